package audience

import (
	"errors"
	"strings"
	"testing"
	"time"
)

var t0 = time.Date(2026, time.March, 1, 12, 0, 0, 0, time.UTC)

const day = 24 * time.Hour

func mustSegs(t testing.TB, e *Engine, rules map[string]string) {
	t.Helper()
	var segs []Segment
	for id, src := range rules {
		r, err := ParseText(src)
		if err != nil {
			t.Fatalf("%s: %v", src, err)
		}
		segs = append(segs, Segment{ID: id, Name: id, Rule: r})
	}
	if err := e.Set(segs); err != nil {
		t.Fatal(err)
	}
}

func track(profile, name string, at time.Time, seq uint64, props string) Event {
	var p []byte
	if props != "" {
		p = []byte(props)
	}
	return Event{Profile: profile, Type: EventTrack, Name: name, Props: p, At: at, Seq: seq}
}

func eval(t *testing.T, e *Engine, kv KV, profile string, p Profile, now time.Time) (map[string]bool, time.Time) {
	t.Helper()
	m, next, err := e.Evaluate(kv, profile, p, now)
	if err != nil {
		t.Fatal(err)
	}
	return m, next
}

// TestWindowSlides: with a fake clock, membership changes when time passes
// and nextChange says exactly when.
func TestWindowSlides(t *testing.T) {
	e := New(testSchema)
	mustSegs(t, e, map[string]string{
		"repeat": `event "Order Completed" count >= 2 within 90d`,
		"lapsed": `event "Order Completed" count = 0 within 30d`,
	})
	kv := &MemKV{}
	for i, at := range []time.Time{t0, t0.Add(10 * day)} {
		if err := e.OnEvent(kv, track("p", "Order Completed", at, uint64(i+1), "")); err != nil {
			t.Fatal(err)
		}
	}
	now := t0.Add(20 * day)
	m, next := eval(t, e, kv, "p", nil, now)
	if !m["repeat"] || m["lapsed"] {
		t.Fatalf("at +20d: %v", m)
	}
	// The newest order leaves the 30-day window at +40d: "lapsed" starts.
	if want := t0.Add(40 * day); !next.Equal(want) {
		t.Fatalf("next change %v, want %v", next, want)
	}
	m, _ = eval(t, e, kv, "p", nil, next.Add(-time.Microsecond))
	if m["lapsed"] {
		t.Fatal("lapsed one microsecond early")
	}
	m, next = eval(t, e, kv, "p", nil, t0.Add(40*day))
	if !m["lapsed"] || !m["repeat"] {
		t.Fatalf("at +40d: %v", m)
	}
	// The first order is exactly 90 days old at +90d: out, so "repeat" ends.
	if want := t0.Add(90 * day); !next.Equal(want) {
		t.Fatalf("next change %v, want %v", next, want)
	}
	m, next = eval(t, e, kv, "p", nil, t0.Add(90*day))
	if m["repeat"] || !m["lapsed"] {
		t.Fatalf("at +90d: %v", m)
	}
	if !next.IsZero() {
		t.Fatalf("nothing left to change, but next = %v", next)
	}
	// A new order brings "lapsed" to an end at once.
	if err := e.OnEvent(kv, track("p", "Order Completed", t0.Add(95*day), 3, "")); err != nil {
		t.Fatal(err)
	}
	m, next = eval(t, e, kv, "p", nil, t0.Add(95*day))
	// Orders at +10d and +95d are both within 90 days: "repeat" again,
	// until the +10d one leaves at +100d.
	if m["lapsed"] || !m["repeat"] || !next.Equal(t0.Add(100*day)) {
		t.Fatalf("after a new order: %v, next %v", m, next)
	}
}

// TestClockBehind: once Evaluate has dropped timestamps that left their
// windows, a clock that would still see them is refused rather than
// answered wrongly; before that, any clock is fine.
func TestClockBehind(t *testing.T) {
	e := New(testSchema)
	mustSegs(t, e, map[string]string{"week": `event "O" count >= 40 within 7d`})
	kv := &MemKV{}
	for i := range 40 {
		if err := e.OnEvent(kv, track("p", "O", t0.Add(time.Duration(i)*time.Hour), uint64(i+1), "")); err != nil {
			t.Fatal(err)
		}
	}
	eval(t, e, kv, "p", nil, t0.Add(7*day+time.Hour)) // two of forty stale: kept
	m, _ := eval(t, e, kv, "p", nil, t0.Add(39*time.Hour))
	if !m["week"] {
		t.Fatal(m)
	}
	eval(t, e, kv, "p", nil, t0.Add(8*day+10*time.Hour)) // most are stale: dropped
	st, _ := load(kv, stateKey("p"), "p")
	if n := len(st.streams[0].ts); n != 5 {
		t.Fatalf("%d timestamps kept", n)
	}
	if _, _, err := e.Evaluate(kv, "p", nil, t0.Add(8*day)); !errors.Is(err, ErrClockBehind) {
		t.Fatalf("earlier clock: %v", err)
	}
	// A late event that every allowed clock sees outside the window is not
	// stored; one inside is.
	if err := e.OnEvent(kv, track("p", "O", t0.Add(time.Hour+30*time.Minute), 41, "")); err != nil {
		t.Fatal(err)
	}
	if err := e.OnEvent(kv, track("p", "O", t0.Add(8*day), 42, "")); err != nil {
		t.Fatal(err)
	}
	st, _ = load(kv, stateKey("p"), "p")
	if n := len(st.streams[0].ts); n != 6 || st.streams[0].seq != 42 {
		t.Fatalf("%d timestamps, seq %d", n, st.streams[0].seq)
	}
}

// TestWindowKeepsNewest: a window keeps only as many past timestamps as its
// count needs, however many events there are, and still answers exactly.
func TestWindowKeepsNewest(t *testing.T) {
	e := New(testSchema)
	mustSegs(t, e, map[string]string{"three": `event "O" count >= 3 within 1d`, "none": `event "O" count = 0 within 1h`})
	kv := &MemKV{}
	for i := range 1000 {
		at := t0.Add(time.Duration(i) * time.Minute)
		if err := e.OnEvent(kv, track("p", "O", at, uint64(i+1), "")); err != nil {
			t.Fatal(err)
		}
		if i%100 == 99 {
			eval(t, e, kv, "p", nil, at)
		}
	}
	last := t0.Add(999 * time.Minute)
	m, next := eval(t, e, kv, "p", nil, last)
	st, _ := load(kv, stateKey("p"), "p")
	total := 0
	for _, sd := range st.streams {
		total += len(sd.ts)
	}
	if total > 3+1+2*100 {
		t.Fatalf("%d timestamps kept", total)
	}
	if !m["three"] || m["none"] || !next.Equal(last.Add(time.Hour)) {
		t.Fatalf("%v, next %v", m, next)
	}
	m, next = eval(t, e, kv, "p", nil, next)
	if !m["three"] || !m["none"] || !next.Equal(t0.Add(997*time.Minute+day)) {
		t.Fatalf("%v, next %v", m, next)
	}
	m, next = eval(t, e, kv, "p", nil, next)
	if m["three"] || !m["none"] || !next.IsZero() {
		t.Fatalf("%v, next %v", m, next)
	}
	st, _ = load(kv, stateKey("p"), "p")
	total = 0
	for _, sd := range st.streams {
		total += len(sd.ts)
	}
	if total > 4 {
		t.Fatalf("%d timestamps kept", total)
	}
}

// TestFutureEvent: an event stamped after the clock counts from its own
// time on, and nextChange says so.
func TestFutureEvent(t *testing.T) {
	e := New(testSchema)
	mustSegs(t, e, map[string]string{"buyer": `event "Order Completed"`, "recent": `event "Order Completed" within 1d`})
	kv := &MemKV{}
	at := t0.Add(time.Hour)
	if err := e.OnEvent(kv, track("p", "Order Completed", at, 1, "")); err != nil {
		t.Fatal(err)
	}
	m, next := eval(t, e, kv, "p", nil, t0)
	if m["buyer"] || m["recent"] || !next.Equal(at) {
		t.Fatalf("%v %v", m, next)
	}
	m, next = eval(t, e, kv, "p", nil, at)
	if !m["buyer"] || !m["recent"] || !next.Equal(at.Add(day)) {
		t.Fatalf("%v %v", m, next)
	}
}

// TestRelativeTrait: a relative-time trait condition changes with the
// clock, and nextChange names the microsecond.
func TestRelativeTrait(t *testing.T) {
	e := New(testSchema)
	mustSegs(t, e, map[string]string{
		"dormant": `last_order_at < -30d`,
		"atmost":  `last_order_at <= -30d`,
		"exactly": `last_order_at = -30d`,
		"window":  `last_order_at between -60d and -30d`,
	})
	kv := &MemKV{}
	last := t0
	p := Attrs{"last_order_at": TimeValue(last)}
	m, next := eval(t, e, kv, "p", p, t0.Add(10*day))
	if m["dormant"] || m["atmost"] || m["exactly"] || m["window"] {
		t.Fatalf("%v", m)
	}
	if !next.Equal(t0.Add(30 * day)) {
		t.Fatalf("next %v", next)
	}
	m, next = eval(t, e, kv, "p", p, t0.Add(30*day))
	if m["dormant"] || !m["atmost"] || !m["exactly"] || !m["window"] {
		t.Fatalf("at exactly 30d: %v", m)
	}
	if !next.Equal(t0.Add(30*day + time.Microsecond)) {
		t.Fatalf("next %v", next)
	}
	m, next = eval(t, e, kv, "p", p, next)
	if !m["dormant"] || !m["atmost"] || m["exactly"] || !m["window"] {
		t.Fatalf("just after 30d: %v", m)
	}
	if !next.Equal(t0.Add(60*day + time.Microsecond)) {
		t.Fatalf("next %v", next)
	}
	// Missing attribute: not a member of anything, never changes.
	m, next = eval(t, e, kv, "q", Attrs{}, t0)
	if m["dormant"] || m["atmost"] || !next.IsZero() {
		t.Fatalf("%v %v", m, next)
	}
}

// TestMissingIsNeitherEqualNorUnequal: a missing trait fails = and != alike,
// while not (=) holds: conditions are two-valued.
func TestMissingIsNeitherEqualNorUnequal(t *testing.T) {
	e := New(testSchema)
	mustSegs(t, e, map[string]string{
		"eq": `country = "DE"`, "ne": `country != "DE"`, "noteq": `not country = "DE"`,
		"notin": `country not in ["DE"]`, "missing": `country not exists`, "present": `country exists`,
	})
	for _, c := range []struct {
		p    Attrs
		want string
	}{
		{Attrs{}, "missing noteq"},
		{Attrs{"country": Value{}}, "missing noteq"},                    // a null value is missing
		{Attrs{"country": IntValue(3)}, "missing noteq"},                // a value of the wrong kind too
		{Attrs{"country": StringValue("DE")}, "eq present"},             //
		{Attrs{"country": StringValue("de")}, "ne noteq notin present"}, // case matters
	} {
		m, _ := eval(t, e, &MemKV{}, "p", c.p, t0)
		var got []string
		for _, id := range []string{"eq", "ne", "noteq", "notin", "missing", "present"} {
			if m[id] {
				got = append(got, id)
			}
		}
		if !sameSet(got, strings.Fields(c.want)) {
			t.Errorf("%v: %v, want %s", c.p, got, c.want)
		}
	}
}

// TestNestedSegments: membership of other segments, at the same clock;
// cycles are refused with their path; a bad rule leaves the old set.
func TestNestedSegments(t *testing.T) {
	e := New(testSchema)
	mustSegs(t, e, map[string]string{
		"de":       `country = "DE"`,
		"buyer":    `orders >= 1`,
		"de_buyer": `in segment "de" and in segment "buyer"`,
		"other":    `not in segment "de_buyer"`,
	})
	m, _ := eval(t, e, &MemKV{}, "p", Attrs{"country": StringValue("DE"), "orders": IntValue(2)}, t0)
	if !m["de_buyer"] || m["other"] {
		t.Fatal(m)
	}
	cyc := []Segment{
		{ID: "a", Rule: InSegment{ID: "b"}},
		{ID: "b", Rule: And{TraitCond{Attr: "vip", Op: OpEq, Value: BoolLit(true)}, InSegment{ID: "c"}}},
		{ID: "c", Rule: Not{Rule: InSegment{ID: "a"}}},
	}
	err := e.Set(cyc)
	if err == nil || !strings.Contains(err.Error(), `cycle: "a" → "b" → "c" → "a"`) {
		t.Fatalf("cycle: %v", err)
	}
	if err := e.Set([]Segment{{ID: "s", Rule: InSegment{ID: "s"}}}); err == nil || !strings.Contains(err.Error(), `"s" → "s"`) {
		t.Fatalf("self reference: %v", err)
	}
	if err := e.Set([]Segment{{ID: "s", Rule: InSegment{ID: "nope"}}}); err == nil || !strings.Contains(err.Error(), `segment "s": segment: no segment with id "nope"`) {
		t.Fatalf("dangling reference: %v", err)
	}
	if err := e.Set([]Segment{{ID: "s", Rule: InSegment{ID: "de"}}, {ID: "s", Rule: InSegment{ID: "de"}}}); err == nil || !strings.Contains(err.Error(), "used twice") {
		t.Fatalf("duplicate id: %v", err)
	}
	if len(e.Segments()) != 4 {
		t.Fatal("a refused Set changed the segments")
	}
	// Check: replacing "de" by a rule that refers to "other" closes a cycle.
	if err := e.Check(Segment{ID: "de", Rule: InSegment{ID: "other"}}); err == nil || !strings.Contains(err.Error(), "cycle") {
		t.Fatalf("Check: %v", err)
	}
	if err := e.Check(Segment{ID: "new", Rule: InSegment{ID: "other"}}); err != nil {
		t.Fatal(err)
	}
}

// TestWhere: property conditions read JSON the way the SQL does.
func TestWhere(t *testing.T) {
	e := New(testSchema)
	mustSegs(t, e, map[string]string{
		"de":      `event "O" where marketplace = "amazon_de"`,
		"big":     `event "O" where total >= 100`,
		"exact":   `event "O" where total = 19.9`,
		"tag":     `event "O" where tags contains "sale"`,
		"nested":  `event "O" where product.category = "tents"`,
		"noprop":  `event "O" where marketplace not exists`,
		"anyprop": `event "O" where marketplace exists`,
		"bool":    `event "O" where tax_included = true`,
	})
	for _, c := range []struct {
		props string
		want  string
	}{
		{`{"marketplace":"amazon_de","total":19.90}`, "de exact anyprop"},
		{`{"marketplace":"Amazon_DE","total":"19.90"}`, "anyprop"},
		{`{"marketplace":null,"total":1e2}`, "big noprop"},
		{`{"tags":["x","sale"],"total":100.0000}`, "tag big noprop"},
		{`{"tags":"on sale","product":{"category":"tents"}}`, "tag noprop nested"}, // contains on a string: a substring
		{`{"tags":[1,"Sale"],"product.category":"tents"}`, "noprop"},
		{`{"tax_included":true,"marketplace":{"x":1}}`, "bool anyprop"},
		{`{"tax_included":"true"}`, "noprop"},
		{``, "noprop"},
		{`[1,2]`, "noprop"},
		{`{"total":9223372036854775808}`, "big noprop"},
		{`{"total":99999999999999999999}`, "noprop"}, // beyond DECIMAL(38,19): not comparable
		{`{"marketplace":"amazon_de","marketplace":"x"}`, "de anyprop"},
	} {
		kv := &MemKV{}
		if err := e.OnEvent(kv, track("p", "O", t0, 1, c.props)); err != nil {
			t.Fatal(err)
		}
		m, _ := eval(t, e, kv, "p", nil, t0)
		var got []string
		for id, in := range m {
			if in {
				got = append(got, id)
			}
		}
		want := strings.Fields(c.want)
		if !sameSet(got, want) {
			t.Errorf("%s: %v, want %v", c.props, got, want)
		}
	}
	if err := e.OnEvent(&MemKV{}, track("p", "O", t0, 1, `{"x":`)); err == nil {
		t.Fatal("bad JSON accepted")
	}
}

func sameSet(a, b []string) bool {
	m := map[string]int{}
	for _, x := range a {
		m[x]++
	}
	for _, x := range b {
		m[x]--
	}
	for _, n := range m {
		if n != 0 {
			return false
		}
	}
	return true
}

// TestDedupAndReplay: an event applied twice (a redelivery) counts once; a
// replay after a new segment fills the new condition only.
func TestDedupAndReplay(t *testing.T) {
	e := New(testSchema)
	mustSegs(t, e, map[string]string{"two": `event "O" count >= 2`})
	kv := &MemKV{}
	evs := []Event{track("p", "O", t0, 1, ""), track("p", "O", t0.Add(time.Hour), 2, "")}
	for _, ev := range evs {
		for range 2 {
			if err := e.OnEvent(kv, ev); err != nil {
				t.Fatal(err)
			}
		}
	}
	mustSegs(t, e, map[string]string{"two": `event "O" count >= 2`, "three": `event "O" count >= 3`, "any": `event "O" count >= 1`})
	evs = append(evs, track("p", "O", t0.Add(2*time.Hour), 3, ""))
	for _, ev := range evs { // the replay: the old condition has 1 and 2 already
		if err := e.OnEvent(kv, ev); err != nil {
			t.Fatal(err)
		}
	}
	m, _ := eval(t, e, kv, "p", nil, t0.Add(day))
	if !m["two"] || !m["three"] || !m["any"] {
		t.Fatal(m)
	}
	st, _ := load(kv, stateKey("p"), "p")
	for _, sd := range st.streams {
		if len(sd.ts) > 3 {
			t.Fatalf("stream %x has %d timestamps", sd.id, len(sd.ts))
		}
	}
}

// TestAllTimeKeepsEarliest: an all-time condition keeps only as many
// timestamps as its threshold needs.
func TestAllTimeKeepsEarliest(t *testing.T) {
	e := New(testSchema)
	mustSegs(t, e, map[string]string{"three": `event "O" count >= 3`})
	kv := &MemKV{}
	for i := 0; i < 100; i++ {
		// Newest first, so that every event is earlier than those kept.
		if err := e.OnEvent(kv, track("p", "O", t0.Add(-time.Duration(i)*time.Hour), uint64(i+1), "")); err != nil {
			t.Fatal(err)
		}
	}
	st, _ := load(kv, stateKey("p"), "p")
	if len(st.streams) != 1 || len(st.streams[0].ts) != 3 {
		t.Fatalf("%+v", st)
	}
	if got := st.streams[0].ts[0]; got != t0.Add(-99*time.Hour).UnixMicro() {
		t.Fatalf("earliest kept %d", got)
	}
	m, next := eval(t, e, kv, "p", nil, t0.Add(-98*time.Hour))
	if m["three"] || !next.Equal(t0.Add(-97*time.Hour)) {
		t.Fatalf("%v %v", m, next)
	}
}

// TestMergeForget: merging adds the counts of two profiles; forgetting
// removes everything.
func TestMergeForget(t *testing.T) {
	e := New(testSchema)
	mustSegs(t, e, map[string]string{
		"two90": `event "O" count >= 2 within 90d`,
		"two":   `event "O" count >= 2`,
		"page":  `page "Pricing"`,
	})
	kv := &MemKV{}
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	must(e.OnEvent(kv, track("a", "O", t0, 1, "")))
	must(e.OnEvent(kv, track("b", "O", t0.Add(time.Hour), 2, "")))
	must(e.OnEvent(kv, Event{Profile: "b", Type: EventPage, Name: "Pricing", At: t0, Seq: 3}))
	m, _ := eval(t, e, kv, "a", nil, t0.Add(day))
	if m["two90"] || m["two"] || m["page"] {
		t.Fatal(m)
	}
	must(e.Merge(kv, "a", "b"))
	must(e.Merge(kv, "a", "a"))
	must(e.Merge(kv, "a", "nobody"))
	m, _ = eval(t, e, kv, "a", nil, t0.Add(day))
	if !m["two90"] || !m["two"] || !m["page"] {
		t.Fatal(m)
	}
	if b, _ := kv.Get(stateKey("b")); b != nil {
		t.Fatal("merged-away state kept")
	}
	must(e.Forget(kv, "a"))
	if n, _ := kv.Len(); n != 0 {
		t.Fatalf("%d keys left", n)
	}
}

// TestStateGC: state of conditions that no segment has any more is dropped
// on the next write.
func TestStateGC(t *testing.T) {
	e := New(testSchema)
	mustSegs(t, e, map[string]string{"a": `event "A"`, "b": `event "B"`})
	kv := &MemKV{}
	if err := e.OnEvent(kv, track("p", "A", t0, 1, "")); err != nil {
		t.Fatal(err)
	}
	mustSegs(t, e, map[string]string{"b": `event "B"`})
	if err := e.OnEvent(kv, track("p", "B", t0, 2, "")); err != nil {
		t.Fatal(err)
	}
	st, _ := load(kv, stateKey("p"), "p")
	if len(st.streams) != 1 {
		t.Fatalf("%d streams", len(st.streams))
	}
}

// TestStateEncoding: encode and decode are inverse, and corrupt input is an
// error, not a panic.
func TestStateEncoding(t *testing.T) {
	st := profState{hasW: true, w: -5, streams: []streamData{
		{id: 1, seq: 7, ts: []int64{-100, -100, 0, 1 << 50}},
		{id: 1 << 63, seq: 0, ts: []int64{42}},
	}}
	b := st.encode()
	got, err := decodeState(b)
	if err != nil {
		t.Fatal(err)
	}
	if got.w != st.w || !got.hasW || len(got.streams) != 2 || got.streams[0].ts[3] != 1<<50 || got.streams[1].id != 1<<63 {
		t.Fatalf("%+v", got)
	}
	for i := range b {
		if _, err := decodeState(b[:i]); err == nil && i > 0 {
			t.Fatalf("truncated at %d: no error", i)
		}
	}
	if _, err := decodeState(append(b, 0)); err == nil {
		t.Fatal("trailing byte accepted")
	}
}

// TestEventTypes: page and screen conditions, with and without a name.
func TestEventTypes(t *testing.T) {
	e := New(testSchema)
	mustSegs(t, e, map[string]string{
		"pricing": `page "Pricing"`, "anypage": `page count >= 2`, "screen": `screen "Home"`, "track": `event "Pricing"`,
	})
	kv := &MemKV{}
	for i, ev := range []Event{
		{Profile: "p", Type: EventPage, Name: "Pricing", At: t0, Seq: 1},
		{Profile: "p", Type: EventPage, Name: "Blog", At: t0, Seq: 2},
		{Profile: "p", Type: EventScreen, Name: "Pricing", At: t0, Seq: 3},
		{Profile: "p", Type: "identify", At: t0, Seq: 4},
	} {
		if err := e.OnEvent(kv, ev); err != nil {
			t.Fatal(i, err)
		}
	}
	m, _ := eval(t, e, kv, "p", nil, t0)
	if !m["pricing"] || !m["anypage"] || m["screen"] || m["track"] {
		t.Fatal(m)
	}
}

// load reads a profile's state for a test to look at.
func load(kv KV, key []byte, profile string) (profState, error) {
	var sc scratch
	err := sc.load(kv, key, profile)
	return sc.st, err
}

// TestPooledStateIsClean: a call for an engine without event conditions
// does not see the state another call left in the pool.
func TestPooledStateIsClean(t *testing.T) {
	e := New(testSchema)
	mustSegs(t, e, map[string]string{"w": `event "O" within 1h`})
	kv := &MemKV{}
	for i := range 100 {
		if err := e.OnEvent(kv, track("p", "O", t0.Add(time.Duration(i)*time.Minute), uint64(i+1), "")); err != nil {
			t.Fatal(err)
		}
	}
	eval(t, e, kv, "p", nil, t0.Add(100*day)) // trims: a watermark far ahead
	traits := New(testSchema)
	mustSegs(t, traits, map[string]string{"de": `country = "DE"`})
	for range 10 {
		if _, _, err := traits.Evaluate(kv, "q", nil, t0); err != nil {
			t.Fatal(err)
		}
	}
}
