package audit

import (
	"encoding/json"
	"fmt"
	"math"
	"sync"
	"time"
)

// Defaults for MonitorConfig's zero values.
const (
	// DefaultMultiplier: a day is unusual at ten times the actor's usual
	// volume. Daily volumes of normal work vary by a factor of two or
	// three; an order of magnitude is a different activity (a bulk export,
	// a scraper, a stolen token).
	DefaultMultiplier = 10
	// DefaultFloor: no alert below 1000 records a day, whatever the
	// baseline, so that a new colleague looking up a few dozen customers
	// is not flagged; 1000 personal records is already a notable breach.
	DefaultFloor = 1000
	// DefaultCeiling: 100 000 records a day always alerts, so that a
	// baseline raised slowly, day by day, cannot hide mass extraction.
	DefaultCeiling = 100_000
	// DefaultAlpha: the weight of the latest day in the baseline, an
	// exponentially weighted mean. 0.3 follows a real change of role in
	// about a week while one busy day moves it little.
	DefaultAlpha = 0.3
	// DefaultIdleDays: an actor unseen this long is forgotten.
	DefaultIdleDays = 90
)

// MonitorConfig tunes an AccessMonitor. Zero fields take the defaults
// above.
type MonitorConfig struct {
	// Multiplier times the baseline is the day's threshold.
	Multiplier float64
	// Floor is the lowest threshold.
	Floor int64
	// Ceiling is a count that always alerts; negative disables it.
	Ceiling int64
	// Alpha is the weight of the latest day in the baseline, in (0, 1].
	Alpha float64
	// IdleDays is how long an actor's state is kept without activity.
	IdleDays int
}

// Alert is an actor reading unusually many personal records in one day.
type Alert struct {
	Actor string `json:"actor"`
	// Day is the UTC date, "2006-01-02".
	Day string `json:"day"`
	// Count is the records read or exported that day, so far.
	Count int64 `json:"count"`
	// Baseline is the actor's usual daily count before that day.
	Baseline float64 `json:"baseline"`
	// Threshold is the count that was exceeded.
	Threshold int64 `json:"threshold"`
	// Reason says why in a sentence.
	Reason string `json:"reason"`
}

// AccessMonitor detects unusual access to personal data: an actor reading or
// exporting many more personal records in a day than it usually does.
//
// For each actor it counts records per UTC day and keeps a baseline, the
// exponentially weighted mean of its previous days' counts (days without
// activity count as zero). A day's count over
//
//	min(max(Multiplier × baseline, Floor), Ceiling)
//
// raises one Alert, the first time it is crossed that day. A day that
// alerted enters the baseline only up to its threshold: one extraction
// must not teach the monitor that extraction is normal, while an actor
// whose work really changed (a new export job) stops alerting after a few
// days of alerts that someone has seen. A new actor's baseline is 0, so its
// threshold is the Floor.
//
// The monitor does not persist itself: the app saves MarshalState
// periodically and restores it with UnmarshalState. It is safe for
// concurrent use. Time is passed in (Record's now), so tests and replays
// control the clock.
type AccessMonitor struct {
	cfg    MonitorConfig
	mu     sync.Mutex
	actors map[string]*actorState
	swept  int64 // the day of the last sweep of idle actors
}

// actorState is one actor's counts; days are days since 1970-01-01 UTC.
type actorState struct {
	Day      int64   `json:"-"`
	Count    int64   `json:"count"`
	Baseline float64 `json:"baseline"`
	Days     int     `json:"days"` // days folded into Baseline
	Alerted  bool    `json:"alerted"`
}

// NewAccessMonitor returns a monitor with cfg, defaults filled in.
func NewAccessMonitor(cfg MonitorConfig) *AccessMonitor {
	if cfg.Multiplier <= 0 {
		cfg.Multiplier = DefaultMultiplier
	}
	if cfg.Floor <= 0 {
		cfg.Floor = DefaultFloor
	}
	if cfg.Ceiling == 0 {
		cfg.Ceiling = DefaultCeiling
	}
	if cfg.Alpha <= 0 || cfg.Alpha > 1 {
		cfg.Alpha = DefaultAlpha
	}
	if cfg.IdleDays <= 0 {
		cfg.IdleDays = DefaultIdleDays
	}
	return &AccessMonitor{cfg: cfg, actors: map[string]*actorState{}}
}

// Record counts n personal records read or exported by actor at now, and
// returns an Alert if this pushes the actor's day over its threshold for the
// first time that day; otherwise nil. A record for a day before the actor's
// latest counts toward the latest (late reports are not lost).
func (m *AccessMonitor) Record(actor string, n int, now time.Time) *Alert {
	if n <= 0 || actor == "" {
		return nil
	}
	day := dayNumber(now)
	m.mu.Lock()
	defer m.mu.Unlock()
	if day > m.swept {
		m.sweep(day)
	}
	st := m.actors[actor]
	if st == nil {
		st = &actorState{Day: day}
		m.actors[actor] = st
	}
	if day > st.Day {
		m.fold(st, day)
	}
	st.Count += int64(n)
	if st.Alerted {
		return nil
	}
	threshold, why := m.threshold(st)
	if st.Count <= threshold {
		return nil
	}
	st.Alerted = true
	return &Alert{
		Actor:     actor,
		Day:       dayString(st.Day),
		Count:     st.Count,
		Baseline:  st.Baseline,
		Threshold: threshold,
		Reason:    fmt.Sprintf("%d personal records read or exported today, over %s", st.Count, why),
	}
}

// threshold returns the actor's threshold for its current day and how it
// was set, for the alert's reason.
func (m *AccessMonitor) threshold(st *actorState) (int64, string) {
	scaled := int64(math.Ceil(m.cfg.Multiplier * st.Baseline))
	t, why := m.cfg.Floor, fmt.Sprintf("the minimum of %d for any actor", m.cfg.Floor)
	if st.Days > 0 && scaled > t {
		t, why = scaled, fmt.Sprintf("%g times the usual %.0f a day", m.cfg.Multiplier, st.Baseline)
	}
	if m.cfg.Ceiling > 0 && t > m.cfg.Ceiling {
		t, why = m.cfg.Ceiling, fmt.Sprintf("the absolute limit of %d a day", m.cfg.Ceiling)
	}
	return t, why
}

// fold closes the actor's current day into its baseline and starts day.
func (m *AccessMonitor) fold(st *actorState, day int64) {
	a := m.cfg.Alpha
	count := float64(st.Count)
	if st.Alerted {
		// An anomaly counts only up to the threshold it crossed: one
		// extraction must not buy the next a much higher threshold, yet
		// a lasting change of work is learned within a few days.
		t, _ := m.threshold(st)
		count = min(count, float64(t))
	}
	if st.Days == 0 {
		st.Baseline = count
	} else {
		st.Baseline = a*count + (1-a)*st.Baseline
	}
	st.Days++
	// Days without any activity count as zero. Past a few months the
	// baseline is ~0 anyway; bound the loop.
	idle := day - st.Day - 1
	if idle > 0 {
		st.Baseline *= math.Pow(1-a, float64(min(idle, 120)))
		st.Days += int(min(idle, 120))
	}
	st.Day, st.Count, st.Alerted = day, 0, false
}

// sweep forgets actors idle for more than IdleDays; it runs once a day.
func (m *AccessMonitor) sweep(day int64) {
	for a, st := range m.actors {
		if day-st.Day > int64(m.cfg.IdleDays) {
			delete(m.actors, a)
		}
	}
	m.swept = day
}

// monitorState is the JSON form of an AccessMonitor's state.
type monitorState struct {
	Version int                       `json:"version"`
	Actors  map[string]actorStateJSON `json:"actors"`
}

type actorStateJSON struct {
	Day string `json:"day"`
	actorState
}

// MarshalState returns the monitor's state as JSON: per actor, the current
// day, its count so far, the baseline and whether it has alerted. It holds
// actor ids and counts, no personal data of customers.
func (m *AccessMonitor) MarshalState() ([]byte, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	s := monitorState{Version: 1, Actors: make(map[string]actorStateJSON, len(m.actors))}
	for a, st := range m.actors {
		s.Actors[a] = actorStateJSON{Day: dayString(st.Day), actorState: *st}
	}
	return json.Marshal(s)
}

// UnmarshalState replaces the monitor's state with one from MarshalState.
func (m *AccessMonitor) UnmarshalState(b []byte) error {
	var s monitorState
	if err := json.Unmarshal(b, &s); err != nil {
		return fmt.Errorf("access monitor state: %w", err)
	}
	if s.Version != 1 {
		return fmt.Errorf("access monitor state: unknown version %d", s.Version)
	}
	actors := make(map[string]*actorState, len(s.Actors))
	for a, j := range s.Actors {
		t, err := time.Parse(time.DateOnly, j.Day)
		if err != nil {
			return fmt.Errorf("access monitor state: actor %q: %w", a, err)
		}
		st := j.actorState
		st.Day = dayNumber(t)
		actors[a] = &st
	}
	m.mu.Lock()
	m.actors, m.swept = actors, 0
	m.mu.Unlock()
	return nil
}

// dayNumber is t's UTC date as days since 1970-01-01.
func dayNumber(t time.Time) int64 {
	u := t.Unix()
	d := u / 86400
	if u%86400 < 0 {
		d-- // floor, for times before 1970
	}
	return d
}

func dayString(day int64) string {
	return time.Unix(day*86400, 0).UTC().Format(time.DateOnly)
}
