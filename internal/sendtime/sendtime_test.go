package sendtime

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// holidayDir finds the shared holiday data (../shared/data/holidays from
// the project root) by walking up from the package directory; the data is
// not copied into the repository.
func holidayDir(t *testing.T) string {
	t.Helper()
	dir, err := os.Getwd()
	if err != nil {
		t.Fatal(err)
	}
	for {
		p := filepath.Join(dir, "shared", "data", "holidays")
		if st, err := os.Stat(p); err == nil && st.IsDir() {
			return p
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			t.Skip("shared/data/holidays not found above the package directory")
		}
		dir = parent
	}
}

func realCalendar(t *testing.T) *Calendar {
	t.Helper()
	cal, err := LoadCalendar(holidayDir(t))
	if err != nil {
		t.Fatal(err)
	}
	return cal
}

func zone(t *testing.T, name string) *time.Location {
	t.Helper()
	loc, err := time.LoadLocation(name)
	if err != nil {
		t.Fatal(err)
	}
	return loc
}

func at(loc *time.Location, y int, m time.Month, d, h, min int) time.Time {
	return time.Date(y, m, d, h, min, 0, 0, loc)
}

func TestLoadCalendarShared(t *testing.T) {
	cal := realCalendar(t)
	got := strings.Join(cal.Countries(), " ")
	for _, cc := range []string{"CN", "US", "DE", "JP", "AE", "SA"} {
		if !strings.Contains(got, cc) {
			t.Errorf("countries %q lack %s", got, cc)
		}
	}
	if name, ok := cal.Holiday("cn", Date{2026, 2, 17}); !ok || name != "Chinese New Year (Spring Festival)" {
		t.Errorf("CN 2026-02-17: %q %v", name, ok)
	}
	if _, ok := cal.Holiday("CN", Date{2026, 2, 24}); ok {
		t.Error("CN 2026-02-24 is a working day")
	}
	if _, ok := cal.Holiday("ZZ", Date{2026, 1, 1}); ok {
		t.Error("unknown country has holidays")
	}
}

func TestEmptyCalendar(t *testing.T) {
	for _, cal := range []*Calendar{nil, {}} {
		if _, ok := cal.Holiday("CN", Date{2026, 2, 17}); ok {
			t.Error("empty calendar knows a holiday")
		}
		if len(cal.Countries()) != 0 {
			t.Error("empty calendar lists countries")
		}
	}
	cal, err := LoadCalendar("")
	if err != nil || len(cal.Countries()) != 0 {
		t.Fatalf("LoadCalendar(\"\"): %v %v", cal.Countries(), err)
	}
	r := Rules{AvoidHolidays: true}
	loc := zone(t, "Asia/Shanghai")
	if got, why := r.Next(at(loc, 2026, 2, 17, 12, 0), loc, "CN", nil); why != "" || !got.Equal(at(loc, 2026, 2, 17, 12, 0)) {
		t.Errorf("nil calendar moved a message: %v %q", got, why)
	}
}

func TestLoadCalendarFixtureAndErrors(t *testing.T) {
	dir := t.TempDir()
	write := func(name, body string) {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	write("FR_COMMON.json", `{"2026-07-14": "National Day"}`)
	write("FR_EXTRA.json", `{"2026-07-14": "Bastille sale blackout", "2026-08-01": "Company day"}`)
	write("README.md", "not a holiday file")
	write("notes.json", `not json but not a holiday file either`)
	cal, err := LoadCalendar(dir)
	if err != nil {
		t.Fatal(err)
	}
	if name, _ := cal.Holiday("FR", Date{2026, 7, 14}); name != "National Day; Bastille sale blackout" && name != "Bastille sale blackout; National Day" {
		t.Errorf("merged name %q", name)
	}
	if _, ok := cal.Holiday("FR", Date{2026, 8, 1}); !ok {
		t.Error("second file not merged")
	}

	write("DE_BAD.json", `{"2026-13-01": "Nope"}`)
	if _, err := LoadCalendar(dir); err == nil || !strings.Contains(err.Error(), "DE_BAD.json") || !strings.Contains(err.Error(), "2026-13-01") {
		t.Errorf("bad date: %v", err)
	}
	os.Remove(filepath.Join(dir, "DE_BAD.json"))
	write("DE_BAD.json", `["2026-01-01"]`)
	if _, err := LoadCalendar(dir); err == nil || !strings.Contains(err.Error(), "DE_BAD.json") {
		t.Errorf("not an object: %v", err)
	}
	if _, err := LoadCalendar(filepath.Join(dir, "missing")); err == nil || !strings.Contains(err.Error(), "missing") {
		t.Errorf("missing dir: %v", err)
	}
}

func TestQuietHoursAcrossMidnight(t *testing.T) {
	sh := zone(t, "Asia/Shanghai")
	r := Rules{QuietStart: Clock(21, 0), QuietEnd: Clock(9, 0)}
	cases := []struct {
		in, want time.Time
		moved    bool
	}{
		{at(sh, 2026, 5, 12, 20, 59), at(sh, 2026, 5, 12, 20, 59), false},
		{at(sh, 2026, 5, 12, 21, 0), at(sh, 2026, 5, 13, 9, 0), true},
		{at(sh, 2026, 5, 12, 23, 30), at(sh, 2026, 5, 13, 9, 0), true},
		{at(sh, 2026, 5, 13, 0, 0), at(sh, 2026, 5, 13, 9, 0), true},
		{at(sh, 2026, 5, 13, 8, 59), at(sh, 2026, 5, 13, 9, 0), true},
		{at(sh, 2026, 5, 13, 9, 0), at(sh, 2026, 5, 13, 9, 0), false},
	}
	for _, c := range cases {
		// The instant is given in UTC: the rule reads the person's clock.
		got, why := r.Next(c.in.UTC(), sh, "CN", nil)
		if !got.Equal(c.want) {
			t.Errorf("%v: got %v, want %v", c.in, got.In(sh), c.want)
		}
		if c.moved != (why != "") {
			t.Errorf("%v: reason %q", c.in, why)
		}
		if c.moved && why != "quiet hours 21:00–09:00 Asia/Shanghai" {
			t.Errorf("reason %q", why)
		}
	}
	// Quiet hours within one day, and none when start equals end.
	day := Rules{QuietStart: Clock(12, 0), QuietEnd: Clock(14, 0)}
	if got, _ := day.Next(at(sh, 2026, 5, 12, 13, 0), sh, "CN", nil); !got.Equal(at(sh, 2026, 5, 12, 14, 0)) {
		t.Errorf("midday quiet: %v", got)
	}
	if got, why := (Rules{}).Next(at(sh, 2026, 5, 12, 3, 0), sh, "CN", nil); why != "" || !got.Equal(at(sh, 2026, 5, 12, 3, 0)) {
		t.Errorf("zero rules moved: %v %q", got, why)
	}
}

func TestDSTBerlin(t *testing.T) {
	be := zone(t, "Europe/Berlin")
	// 2026-03-29: clocks jump from 02:00 CET to 03:00 CEST. 02:30 does not
	// exist; a 02:30 send time means 03:30 CEST (forward by the gap).
	send := Clock(2, 30)
	r := Rules{SendAt: &send}
	got, why := r.Next(at(be, 2026, 3, 29, 0, 10), be, "DE", nil)
	if want := time.Date(2026, 3, 29, 1, 30, 0, 0, time.UTC); !got.Equal(want) {
		t.Errorf("spring-forward 02:30: got %v (%v), want %v", got.In(be), got.UTC(), want)
	}
	if why != "send time 02:30 Europe/Berlin" {
		t.Errorf("reason %q", why)
	}
	// The instant it produced is allowed as it stands.
	if again, why := r.Next(got, be, "DE", nil); !again.Equal(got) || why != "" {
		t.Errorf("not stable: %v %q", again, why)
	}
	// 2026-10-25: 02:00–03:00 happens twice; 02:30 is its first occurrence (CEST).
	got, _ = r.Next(at(be, 2026, 10, 25, 0, 10), be, "DE", nil)
	if want := time.Date(2026, 10, 25, 0, 30, 0, 0, time.UTC); !got.Equal(want) {
		t.Errorf("fall-back 02:30: got %v, want %v", got.UTC(), want)
	}
	// Quiet hours 22:00–07:00 across the spring night: 7 hours of wall
	// clock are 6 hours of real time, and the end is 07:00 CEST.
	q := Rules{QuietStart: Clock(22, 0), QuietEnd: Clock(7, 0)}
	got, _ = q.Next(at(be, 2026, 3, 28, 23, 0), be, "DE", nil)
	if want := time.Date(2026, 3, 29, 5, 0, 0, 0, time.UTC); !got.Equal(want) {
		t.Errorf("quiet over spring-forward: %v", got.UTC())
	}
	// Quiet hours ending inside the gap (02:30) end at 03:30 CEST.
	gap := Rules{QuietStart: Clock(23, 0), QuietEnd: Clock(2, 30)}
	got, _ = gap.Next(at(be, 2026, 3, 29, 1, 0), be, "DE", nil)
	if want := time.Date(2026, 3, 29, 1, 30, 0, 0, time.UTC); !got.Equal(want) {
		t.Errorf("quiet end in gap: %v", got.In(be))
	}
}

func TestDSTNewYork(t *testing.T) {
	ny := zone(t, "America/New_York")
	send := Clock(2, 30)
	r := Rules{SendAt: &send}
	// 2026-03-08: 02:00 EST → 03:00 EDT. Go's time.Date puts 02:30 at
	// 01:30 EST here (backwards); the package must move it forward.
	got, _ := r.Next(at(ny, 2026, 3, 8, 0, 0), ny, "US", nil)
	if want := time.Date(2026, 3, 8, 7, 30, 0, 0, time.UTC); !got.Equal(want) {
		t.Errorf("spring-forward 02:30 NY: got %v (%v), want 03:30 EDT", got.In(ny), got.UTC())
	}
	// 2026-11-01: 01:00–02:00 happens twice; 01:30 is the EDT one.
	send = Clock(1, 30)
	got, _ = r.Next(at(ny, 2026, 11, 1, 0, 0), ny, "US", nil)
	if want := time.Date(2026, 11, 1, 5, 30, 0, 0, time.UTC); !got.Equal(want) {
		t.Errorf("fall-back 01:30 NY: got %v", got.UTC())
	}
	// A message at the second 01:15 (EST) with quiet hours 01:00–06:00
	// goes at 06:00 EST.
	q := Rules{QuietStart: Clock(1, 0), QuietEnd: Clock(6, 0)}
	second := time.Date(2026, 11, 1, 6, 15, 0, 0, time.UTC) // 01:15 EST
	got, _ = q.Next(second, ny, "US", nil)
	if want := time.Date(2026, 11, 1, 11, 0, 0, 0, time.UTC); !got.Equal(want) {
		t.Errorf("quiet after fall-back: %v", got.In(ny))
	}
}

func TestChineseNewYearRun(t *testing.T) {
	cal := realCalendar(t)
	sh := zone(t, "Asia/Shanghai")
	r := Rules{AvoidHolidays: true, QuietStart: Clock(21, 0), QuietEnd: Clock(9, 0)}
	// 2026-02-16 (eve) to 02-20 are holidays, 21–22 a weekend inside the
	// break, 23 a substituted day off: the first allowed time is 24 Feb
	// at the end of the quiet hours.
	for _, start := range []time.Time{at(sh, 2026, 2, 16, 10, 0), at(sh, 2026, 2, 18, 22, 0), at(sh, 2026, 2, 21, 12, 0), at(sh, 2026, 2, 23, 23, 0)} {
		got, why := r.Next(start, sh, "CN", cal)
		if want := at(sh, 2026, 2, 24, 9, 0); !got.Equal(want) {
			t.Errorf("from %v: got %v, want %v (%s)", start, got.In(sh), want, why)
		}
		if !strings.HasPrefix(why, "public holiday: ") {
			t.Errorf("from %v: reason %q", start, why)
		}
	}
	_, why := r.Next(at(sh, 2026, 2, 17, 10, 0), sh, "CN", cal)
	if why != "public holiday: Chinese New Year (Spring Festival) (through 2026-02-23); quiet hours 21:00–09:00 Asia/Shanghai" {
		t.Errorf("reason %q", why)
	}
	_, why = r.Next(at(sh, 2026, 2, 21, 10, 0), sh, "CN", cal)
	if !strings.Contains(why, "(holiday break)") {
		t.Errorf("weekend inside the break: reason %q", why)
	}
	// Without AvoidHolidays nothing moves but the quiet hours.
	plain := Rules{QuietStart: Clock(21, 0), QuietEnd: Clock(9, 0)}
	if got, why := plain.Next(at(sh, 2026, 2, 17, 10, 0), sh, "CN", cal); why != "" || !got.Equal(at(sh, 2026, 2, 17, 10, 0)) {
		t.Errorf("moved without AvoidHolidays: %v %q", got, why)
	}
	// An ordinary weekend not next to a holiday is not a holiday.
	if got, why := r.Next(at(sh, 2026, 3, 7, 10, 0), sh, "CN", cal); why != "" || !got.Equal(at(sh, 2026, 3, 7, 10, 0)) {
		t.Errorf("plain Saturday moved: %v %q", got, why)
	}
}

// China moves weekend days: Saturday 14 February 2026 is a working day
// (its day off moved to 20 February), so a weekend rule allows it.
func TestMadeUpWorkday(t *testing.T) {
	cal := realCalendar(t)
	if !cal.Workday("CN", Date{2026, 2, 14}) || cal.Workday("CN", Date{2026, 2, 21}) || cal.Workday("US", Date{2026, 2, 14}) {
		t.Fatal("Workday")
	}
	sh := zone(t, "Asia/Shanghai")
	r := Rules{AvoidWeekends: true, AvoidHolidays: true}
	if got, why := r.Next(at(sh, 2026, 2, 14, 10, 0), sh, "CN", cal); why != "" || !got.Equal(at(sh, 2026, 2, 14, 10, 0)) {
		t.Errorf("made-up workday moved: %v %q", got, why)
	}
	if got, _ := r.Next(at(sh, 2026, 3, 7, 10, 0), sh, "CN", cal); !got.Equal(at(sh, 2026, 3, 9, 0, 0)) {
		t.Errorf("ordinary Saturday: %v", got.In(sh))
	}
}

func TestObservances(t *testing.T) {
	cal := realCalendar(t)
	ny := zone(t, "America/New_York")
	r := Rules{AvoidHolidays: true}
	// Valentine's Day is a marketing date, not a day off.
	if got, why := r.Next(at(ny, 2026, 2, 14, 10, 0), ny, "US", cal); why != "" || !got.Equal(at(ny, 2026, 2, 14, 10, 0)) {
		t.Errorf("Valentine's Day avoided by default: %v %q", got, why)
	}
	r.AvoidObservances = true
	if _, why := r.Next(at(ny, 2026, 2, 14, 10, 0), ny, "US", cal); why != "public holiday: Valentine's Day" {
		t.Errorf("AvoidObservances: %q", why)
	}
	r.AvoidObservances = false
	// Thanksgiving is a day off.
	if got, why := r.Next(at(ny, 2026, 11, 26, 10, 0), ny, "US", cal); !got.Equal(at(ny, 2026, 11, 27, 0, 0)) || why != "public holiday: Thanksgiving Day" {
		t.Errorf("Thanksgiving: %v %q", got, why)
	}
	if !IsObservance("CN", "Youth Day") || IsObservance("CN", "Labor Day (observed); Youth Day") || IsObservance("JP", "Children's Day") {
		t.Error("IsObservance")
	}
}

func TestWeekends(t *testing.T) {
	r := Rules{AvoidWeekends: true}
	ri := ZoneFor("SA")
	// Saudi Arabia: Friday and Saturday. 2026-05-15 is a Friday.
	got, why := r.Next(at(ri, 2026, 5, 15, 10, 0), nil, "SA", nil)
	if !got.Equal(at(ri, 2026, 5, 17, 0, 0)) || why != "weekend (Friday, Saturday) in SA" {
		t.Errorf("SA Friday: %v %q", got.In(ri), why)
	}
	if got, why := r.Next(at(ri, 2026, 5, 17, 10, 0), nil, "SA", nil); why != "" || !got.Equal(at(ri, 2026, 5, 17, 10, 0)) {
		t.Errorf("SA Sunday is a working day: %v %q", got, why)
	}
	// The UAE: Saturday and Sunday since 2022, so Friday is allowed.
	du := ZoneFor("AE")
	if _, why := r.Next(at(du, 2026, 5, 15, 10, 0), nil, "AE", nil); why != "" {
		t.Errorf("AE Friday moved: %q", why)
	}
	if got, _ := r.Next(at(du, 2026, 5, 16, 10, 0), nil, "AE", nil); !got.Equal(at(du, 2026, 5, 18, 0, 0)) {
		t.Errorf("AE Saturday: %v", got.In(du))
	}
	// Friday evening in Germany with quiet hours: past the quiet hours,
	// past the weekend, to Monday 08:00; both reasons given.
	be := ZoneFor("DE")
	wq := Rules{AvoidWeekends: true, QuietStart: Clock(20, 0), QuietEnd: Clock(8, 0)}
	got, why = wq.Next(at(be, 2026, 5, 15, 21, 0), be, "DE", nil)
	if !got.Equal(at(be, 2026, 5, 18, 8, 0)) {
		t.Errorf("DE Friday night: %v", got.In(be))
	}
	if why != "quiet hours 20:00–08:00 Europe/Berlin; weekend (Saturday, Sunday) in DE" {
		t.Errorf("reasons %q", why)
	}
	// An override for a region with another weekend.
	ov := Rules{AvoidWeekends: true, Weekend: map[string][]time.Weekday{"MY": {time.Friday, time.Saturday}}}
	kl := ZoneFor("MY")
	if got, _ := ov.Next(at(kl, 2026, 5, 15, 10, 0), kl, "MY", nil); !got.Equal(at(kl, 2026, 5, 17, 0, 0)) {
		t.Errorf("override: %v", got.In(kl))
	}
}

func TestSendAt(t *testing.T) {
	sh := zone(t, "Asia/Shanghai")
	ten := Clock(10, 0)
	r := Rules{SendAt: &ten, QuietStart: Clock(21, 0), QuietEnd: Clock(9, 0)}
	if got, _ := r.Next(at(sh, 2026, 5, 12, 8, 0), sh, "CN", nil); !got.Equal(at(sh, 2026, 5, 12, 10, 0)) {
		t.Errorf("same day: %v", got)
	}
	if got, _ := r.Next(at(sh, 2026, 5, 12, 10, 1), sh, "CN", nil); !got.Equal(at(sh, 2026, 5, 13, 10, 0)) {
		t.Errorf("next day: %v", got)
	}
	if got, why := r.Next(at(sh, 2026, 5, 12, 10, 0), sh, "CN", nil); why != "" || !got.Equal(at(sh, 2026, 5, 12, 10, 0)) {
		t.Errorf("on time: %v %q", got, why)
	}
	bad := Clock(22, 0)
	broken := Rules{SendAt: &bad, QuietStart: Clock(21, 0), QuietEnd: Clock(9, 0)}
	if err := broken.Validate(); err == nil || !strings.Contains(err.Error(), "22:00") {
		t.Errorf("Validate: %v", err)
	}
	if got, why := broken.Next(at(sh, 2026, 5, 12, 8, 0), sh, "CN", nil); !got.IsZero() || !strings.Contains(why, "no allowed time") {
		t.Errorf("impossible rules: %v %q", got, why)
	}
	if err := r.Validate(); err != nil {
		t.Error(err)
	}
}

func TestTimeOfDayJSON(t *testing.T) {
	var r Rules
	if err := json.Unmarshal([]byte(`{"quiet_start":"21:00","quiet_end":"09:00","send_at":"10:30","avoid_holidays":true}`), &r); err != nil {
		t.Fatal(err)
	}
	if r.QuietStart != Clock(21, 0) || r.QuietEnd != Clock(9, 0) || r.SendAt == nil || *r.SendAt != Clock(10, 30) || !r.AvoidHolidays {
		t.Fatalf("%+v", r)
	}
	b, _ := json.Marshal(r)
	if !strings.Contains(string(b), `"quiet_start":"21:00"`) {
		t.Errorf("%s", b)
	}
	for _, s := range []string{"24:00", "9:00", "21:60", "x", "21:00:00:00"} {
		if _, err := ParseTimeOfDay(s); err == nil {
			t.Errorf("ParseTimeOfDay(%q) accepted", s)
		}
	}
	if c, err := ParseTimeOfDay("23:59:30"); err != nil || c.String() != "23:59:30" {
		t.Errorf("seconds: %v %v", c, err)
	}
}

func TestZoneFor(t *testing.T) {
	for cc := range defaultZones {
		if ZoneFor(cc) == time.UTC {
			t.Errorf("%s resolves to UTC", cc)
		}
	}
	if ZoneFor("cn").String() != "Asia/Shanghai" || ZoneFor("US").String() != "America/New_York" {
		t.Error("CN/US zones")
	}
	if ZoneFor("ZZ") != time.UTC || HasDefaultZone("ZZ") || !HasDefaultZone("jp") {
		t.Error("unknown country")
	}
	// Every country in the shared holiday data has a zone.
	for _, cc := range realCalendar(t).Countries() {
		if !HasDefaultZone(cc) {
			t.Errorf("no default zone for %s, which has holidays", cc)
		}
	}
}

func TestDate(t *testing.T) {
	d := Date{2026, 12, 31}
	if d.AddDays(1) != (Date{2027, 1, 1}) || d.AddDays(-365) != (Date{2025, 12, 31}) {
		t.Error("AddDays")
	}
	if d.Weekday() != time.Thursday || d.String() != "2026-12-31" {
		t.Error("Weekday/String")
	}
	if _, err := ParseDate("2026-02-30"); err == nil {
		t.Error("ParseDate accepted 2026-02-30")
	}
}

func TestLegalQuietHours(t *testing.T) {
	q, ok := LegalQuietHours("kr")
	if !ok || q.Start != Clock(21, 0) || q.End != Clock(8, 0) || !strings.Contains(q.Source, "제50조") {
		t.Fatalf("KR: %+v %v", q, ok)
	}
	if _, ok := LegalQuietHours("US"); ok {
		t.Error("US has no statutory quiet hours for messages")
	}
	seoul := ZoneFor("KR")
	r := Rules{QuietStart: q.Start, QuietEnd: q.End}
	if got, _ := r.Next(at(seoul, 2026, 5, 12, 21, 30), seoul, "KR", nil); !got.Equal(at(seoul, 2026, 5, 13, 8, 0)) {
		t.Errorf("KR 21:30: %v", got.In(seoul))
	}
}

func TestDateJSON(t *testing.T) {
	b, err := json.Marshal(map[string]Date{"d": {2026, 2, 17}})
	if err != nil || string(b) != `{"d":"2026-02-17"}` {
		t.Fatalf("%s %v", b, err)
	}
	var m map[string]Date
	if err := json.Unmarshal(b, &m); err != nil || m["d"] != (Date{2026, 2, 17}) {
		t.Errorf("%v %v", m, err)
	}
	if err := json.Unmarshal([]byte(`{"d":"17.02.2026"}`), &m); err == nil {
		t.Error("accepted a bad date")
	}
}
