package sendtime

import (
	"errors"
	"fmt"
	"strings"
	"time"
)

// TimeOfDay is a local wall-clock time, seconds since midnight. It is
// written "HH:MM" (or "HH:MM:SS") in JSON and flags.
type TimeOfDay int

// Clock is the time of day h:m.
func Clock(h, m int) TimeOfDay { return TimeOfDay(h*3600 + m*60) }

// ParseTimeOfDay reads "HH:MM" or "HH:MM:SS", 00:00 to 23:59:59.
func ParseTimeOfDay(s string) (TimeOfDay, error) {
	var h, m, sec int
	var n int
	var err error
	switch strings.Count(s, ":") {
	case 1:
		n, err = fmt.Sscanf(s, "%d:%d", &h, &m)
		if n != 2 || len(s) != 5 {
			err = errors.New("bad")
		}
	case 2:
		n, err = fmt.Sscanf(s, "%d:%d:%d", &h, &m, &sec)
		if n != 3 || len(s) != 8 {
			err = errors.New("bad")
		}
	default:
		err = errors.New("bad")
	}
	if err != nil || h < 0 || h > 23 || m < 0 || m > 59 || sec < 0 || sec > 59 {
		return 0, fmt.Errorf("time of day %q: want HH:MM, 00:00 to 23:59", s)
	}
	return TimeOfDay(h*3600 + m*60 + sec), nil
}

// String writes HH:MM, with :SS only when the seconds are not zero.
func (c TimeOfDay) String() string {
	h, m, s := int(c)/3600, int(c)/60%60, int(c)%60
	if s != 0 {
		return fmt.Sprintf("%02d:%02d:%02d", h, m, s)
	}
	return fmt.Sprintf("%02d:%02d", h, m)
}

// MarshalText writes the time of day as String does.
func (c TimeOfDay) MarshalText() ([]byte, error) { return []byte(c.String()), nil }

// UnmarshalText reads a time of day as ParseTimeOfDay does.
func (c *TimeOfDay) UnmarshalText(b []byte) error {
	v, err := ParseTimeOfDay(string(b))
	if err != nil {
		return err
	}
	*c = v
	return nil
}

// of is the time of day of t on t's own clock.
func of(t time.Time) TimeOfDay {
	return TimeOfDay(t.Hour()*3600 + t.Minute()*60 + t.Second())
}

// Rules say when a message may go. The zero value allows every instant.
type Rules struct {
	// QuietStart and QuietEnd are the quiet hours on the person's clock:
	// no message from QuietStart up to (not including) QuietEnd. They may
	// wrap midnight (21:00–09:00). Equal values mean no quiet hours.
	QuietStart TimeOfDay `json:"quiet_start"`
	QuietEnd   TimeOfDay `json:"quiet_end"`
	// AvoidHolidays moves a message off the country's public holidays,
	// and off weekend days that lie inside a holiday break (China's
	// Spring Festival week spans a weekend the data lists as plain
	// weekend days).
	AvoidHolidays bool `json:"avoid_holidays"`
	// AvoidObservances also avoids named days that are not days off
	// (Valentine's Day, Halloween; see IsObservance). Off by default:
	// they are marketing dates, not rest days.
	AvoidObservances bool `json:"avoid_observances"`
	// AvoidWeekends moves a message off the country's weekend days, except
	// those the calendar knows as made-up working days (Calendar.Workday).
	AvoidWeekends bool `json:"avoid_weekends"`
	// Weekend overrides the weekend days per country (ISO alpha-2, upper
	// case); countries not in it use WeekendFor.
	Weekend map[string][]time.Weekday `json:"weekend,omitempty"`
	// SendAt, when set, is the time of day messages go out: a message
	// waits for the next SendAt on the person's clock.
	SendAt *TimeOfDay `json:"send_at,omitempty"`
}

// fridaySaturday are the countries whose weekend is Friday and Saturday.
// The UAE moved to Saturday–Sunday on 1 January 2022 for the federal
// government, and most of its private sector followed; Saudi Arabia has
// kept Friday–Saturday since 2013.
var fridaySaturday = map[string]bool{
	"SA": true, "KW": true, "QA": true, "BH": true, "OM": true, "EG": true, "JO": true,
	"IQ": true, "DZ": true, "LY": true, "YE": true, "SY": true, "SD": true, "IL": true,
}

// WeekendFor is the usual weekend of country: Friday and Saturday in Saudi
// Arabia, most other Gulf states, Egypt and Israel; Saturday and Sunday
// elsewhere, including the UAE since 2022. Regions that differ from their
// country (some Malaysian states keep Friday–Saturday) are not modelled:
// set Rules.Weekend for them.
func WeekendFor(country string) []time.Weekday {
	if fridaySaturday[strings.ToUpper(country)] {
		return []time.Weekday{time.Friday, time.Saturday}
	}
	return []time.Weekday{time.Saturday, time.Sunday}
}

// Validate reports rules that can never allow a message: a SendAt inside
// the quiet hours, or every day of the week a weekend.
func (r Rules) Validate() error {
	for _, c := range []struct {
		name string
		v    TimeOfDay
	}{{"quiet_start", r.QuietStart}, {"quiet_end", r.QuietEnd}} {
		if c.v < 0 || c.v >= 24*3600 {
			return fmt.Errorf("%s %d: want a time of day 00:00 to 23:59:59", c.name, int(c.v))
		}
	}
	if r.SendAt != nil {
		if *r.SendAt < 0 || *r.SendAt >= 24*3600 {
			return fmt.Errorf("send_at %d: want a time of day 00:00 to 23:59:59", int(*r.SendAt))
		}
		if r.quiet(*r.SendAt) {
			return fmt.Errorf("send_at %s lies inside the quiet hours %s–%s", r.SendAt, r.QuietStart, r.QuietEnd)
		}
	}
	for cc, days := range r.Weekend {
		seen := map[time.Weekday]bool{}
		for _, d := range days {
			if d < time.Sunday || d > time.Saturday {
				return fmt.Errorf("weekend of %s: %d is not a weekday", cc, d)
			}
			seen[d] = true
		}
		if len(seen) == 7 && r.AvoidWeekends {
			return fmt.Errorf("weekend of %s covers the whole week, so no day is allowed", cc)
		}
	}
	return nil
}

// quiet reports whether the time of day c lies in the quiet hours.
func (r Rules) quiet(c TimeOfDay) bool {
	s, e := r.QuietStart, r.QuietEnd
	switch {
	case s == e:
		return false
	case s < e:
		return c >= s && c < e
	default: // wraps midnight
		return c >= s || c < e
	}
}

func (r Rules) weekend(country string, d Date) bool {
	days, ok := r.Weekend[strings.ToUpper(country)]
	if !ok {
		days = WeekendFor(country)
	}
	wd := d.Weekday()
	for _, w := range days {
		if w == wd {
			return true
		}
	}
	return false
}

// restDay is a weekend day that the calendar has not made a working day.
func (r Rules) restDay(country string, d Date, cal *Calendar) bool {
	return r.weekend(country, d) && !cal.Workday(country, d)
}

// weekendReason says which days are the weekend of country.
func (r Rules) weekendReason(country string) string {
	days, ok := r.Weekend[strings.ToUpper(country)]
	if !ok {
		days = WeekendFor(country)
	}
	names := make([]string, len(days))
	for i, d := range days {
		names[i] = d.String()
	}
	return fmt.Sprintf("weekend (%s) in %s", strings.Join(names, ", "), strings.ToUpper(country))
}

// holiday names the holiday that Rules avoid on d, or "".
func (r Rules) holiday(country string, d Date, cal *Calendar) string {
	if name, ok := cal.Holiday(country, d); ok && (r.AvoidObservances || !IsObservance(country, name)) {
		return name
	}
	if !r.restDay(country, d, cal) {
		return ""
	}
	// A weekend day inside a holiday break: the nearest non-weekend days
	// before and after it are both holidays (a week is the longest run of
	// weekend days to look across).
	var before, after string
	for i := 1; i <= 7; i++ {
		p := d.AddDays(-i)
		if r.restDay(country, p, cal) {
			continue
		}
		if name, ok := cal.Holiday(country, p); ok && !IsObservance(country, name) {
			before = name
		}
		break
	}
	if before == "" {
		return ""
	}
	for i := 1; i <= 7; i++ {
		n := d.AddDays(i)
		if r.restDay(country, n, cal) {
			continue
		}
		if name, ok := cal.Holiday(country, n); ok && !IsObservance(country, name) {
			after = name
		}
		break
	}
	if after == "" {
		return ""
	}
	return before + " (holiday break)"
}

// maxDays bounds the search of Next: rules that allow no instant within it
// are broken (Validate catches the usual ways).
const maxDays = 800

// Next is the earliest instant at or after t when a message may go to a
// person of country whose clock is loc (nil: ZoneFor(country)), and the
// reason it is later than t — "" when t itself is allowed. Several reasons
// (a Friday-night message moved past the quiet hours and then the weekend)
// are joined with "; ". The calendar may be nil (no holidays known).
//
// Wall-clock times that do not exist on a day because the clocks spring
// forward (02:30 in Berlin on the last Sunday of March) are moved forward
// by the length of the gap, to 03:30, as iCalendar (RFC 5545) does; a
// wall-clock time that happens twice when the clocks fall back means its
// first occurrence.
//
// If no instant within about two years is allowed (every day a holiday or
// a weekend, or a SendAt inside the quiet hours — see Validate), Next
// returns the zero Time and a reason saying so.
func (r Rules) Next(t time.Time, loc *time.Location, country string, cal *Calendar) (time.Time, string) {
	if loc == nil {
		loc = ZoneFor(country)
	}
	var reasons []string
	add := func(s string) {
		for _, x := range reasons {
			if x == s {
				return
			}
		}
		reasons = append(reasons, s)
	}
	// A run of holidays is one reason: the first holiday's name and the
	// last day of the run.
	holidayAt, holidayFirst, holidayLast := -1, Date{}, Date{}
	cur := t
	for i := 0; i < 4*maxDays; i++ {
		local := cur.In(loc)
		day := DateOf(local)
		if r.AvoidHolidays {
			if name := r.holiday(country, day, cal); name != "" {
				if holidayAt < 0 {
					add("public holiday: " + name)
					holidayAt, holidayFirst = len(reasons)-1, day
				}
				holidayLast = day
				cur = wall(day.AddDays(1), 0, loc)
				continue
			}
		}
		if r.AvoidWeekends && r.restDay(country, day, cal) {
			add(r.weekendReason(country))
			cur = wall(day.AddDays(1), 0, loc)
			continue
		}
		tod := of(local)
		if r.SendAt != nil && tod != *r.SendAt {
			at := wall(day, *r.SendAt, loc)
			if at.Before(cur) {
				at = wall(day.AddDays(1), *r.SendAt, loc)
			}
			if !at.Equal(cur) {
				add(fmt.Sprintf("send time %s %s", r.SendAt, loc))
				cur = at
				continue
			}
		}
		if r.quiet(tod) {
			add(fmt.Sprintf("quiet hours %s–%s %s", r.QuietStart, r.QuietEnd, loc))
			next := day
			if tod >= r.QuietEnd {
				next = day.AddDays(1)
			}
			at := wall(next, r.QuietEnd, loc)
			if !at.After(cur) { // a DST gap swallowed the end of the quiet hours
				at = wall(next.AddDays(1), r.QuietEnd, loc)
			}
			cur = at
			continue
		}
		if cur.Equal(t) {
			return t, ""
		}
		if holidayAt >= 0 && holidayLast != holidayFirst {
			reasons[holidayAt] += " (through " + holidayLast.String() + ")"
		}
		return cur, strings.Join(reasons, "; ")
	}
	return time.Time{}, fmt.Sprintf("no allowed time within %d days of %s for %s", maxDays, t.In(loc).Format(time.DateOnly), strings.ToUpper(country))
}

// wall is the instant when the clock in loc reads c on day d. A time that
// does not exist (a spring-forward gap) is moved forward by the gap's
// length; one that exists twice (fall-back) is its first occurrence. Go's
// time.Date picks either side in both cases depending on the zone, so the
// choice is made here.
func wall(d Date, c TimeOfDay, loc *time.Location) time.Time {
	naive := time.Date(d.Year, d.Month, d.Day, 0, 0, int(c), 0, time.UTC)
	_, before := naive.Add(-24 * time.Hour).In(loc).Zone()
	_, after := naive.Add(24 * time.Hour).In(loc).Zone()
	var best time.Time
	for _, off := range []int{before, after} {
		cand := naive.Add(-time.Duration(off) * time.Second)
		l := cand.In(loc)
		if DateOf(l) == d && of(l) == c && (best.IsZero() || cand.Before(best)) {
			best = cand
		}
	}
	if best.IsZero() {
		// In a gap: read the wall time with the offset in force before it.
		best = naive.Add(-time.Duration(before) * time.Second)
	}
	return best.In(loc)
}

// LegalQuiet is a period of the day in which a country's law restricts
// advertising messages, with the law that says so.
type LegalQuiet struct {
	Start, End TimeOfDay
	Source     string
}

// legalQuiet are the statutory quiet hours known to the package. Korea
// requires separate, explicit consent for advertising sent to a phone
// between 21:00 and 08:00; without it, those hours are closed.
var legalQuiet = map[string]LegalQuiet{
	"KR": {Clock(21, 0), Clock(8, 0), "정보통신망 이용촉진 및 정보보호 등에 관한 법률 제50조 제3항"},
}

// LegalQuietHours are the hours in which country's law restricts
// advertising messages without separate consent, if it has such a rule
// the package knows (Korea: 21:00–08:00). A journey sending advertising to
// a person without that consent should use them as its quiet hours, or
// widen its own to cover them.
func LegalQuietHours(country string) (LegalQuiet, bool) {
	q, ok := legalQuiet[strings.ToUpper(country)]
	return q, ok
}
