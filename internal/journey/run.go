package journey

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/cockroachdb/pebble/v2"
	"github.com/valyala/fastjson"

	"github.com/tradewind/tradewind/internal/eventlog"
	"github.com/tradewind/tradewind/internal/segment"
)

// message is what the engine reads of a log message.
type message struct {
	kind       string // track, segment_entered, segment_exited, alert_raised
	event      string // a track's event
	properties []byte // raw JSON
	profile    string // engine messages carry the profile
	segment    string
	grade      string // alert
	alertID    string
	at         time.Time
	received   time.Time
}

// parseMessage reads the parts of a log message that triggers look at;
// ok is false for messages no trigger can use.
func parseMessage(d eventlog.Delivery) (message, bool) {
	m := message{kind: d.Type, at: d.Meta.Timestamp, received: d.Meta.ReceivedAt}
	if d.Meta.Source != segment.EngineSource && d.Type != segment.Track {
		return m, false // identify, page, …: nothing to parse
	}
	p := parsers.Get()
	defer parsers.Put(p)
	switch {
	case d.Meta.Source == segment.EngineSource && (d.Type == segment.SegmentEntered || d.Type == segment.SegmentExited):
		v, err := p.ParseBytes(d.Data)
		if err != nil {
			return m, false
		}
		m.profile = string(v.GetStringBytes("properties", "profile_id"))
		m.segment = string(v.GetStringBytes("properties", "segment_id"))
		return m, m.profile != "" && m.segment != ""
	case d.Meta.Source == segment.EngineSource && d.Type == segment.AlertRaised:
		v, err := p.ParseBytes(d.Data)
		if err != nil {
			return m, false
		}
		p := v.Get("properties")
		if p == nil {
			return m, false
		}
		m.alertID = string(p.GetStringBytes("id"))
		m.grade = strings.ToLower(string(p.GetStringBytes("grade")))
		if g := p.Get("grade"); g != nil && g.Type() == fastjson.TypeNumber {
			m.grade = [...]string{"none", "info", "warning", "critical"}[min(max(g.GetInt(), 0), 3)]
		}
		m.properties = p.MarshalTo(nil)
		return m, m.alertID != ""
	case d.Meta.Source == segment.EngineSource:
		return m, false
	case d.Type == segment.Track:
		v, err := p.ParseBytes(d.Data)
		if err != nil {
			return m, false
		}
		m.event = string(v.GetStringBytes("event"))
		if p := v.Get("properties"); p != nil && p.Type() == fastjson.TypeObject {
			m.properties = p.MarshalTo(nil)
		}
		return m, m.event != ""
	}
	return m, false
}

// parsers reuse fastjson's parsers across messages.
var parsers fastjson.ParserPool

// txn is one state change: a log batch or a timer tick.
type txn struct {
	e        *Engine
	b        *pebble.Batch
	c        *counters
	now      time.Time
	people   map[string]*Person
	enqueued bool
	// sender is the profile found for the message being applied, when
	// senderKnown (found before the batch took the lock).
	sender      string
	senderKnown bool
}

// message applies one log message to the running journeys.
func (tx *txn) message(ctx context.Context, active []*Journey, d eventlog.Delivery, m message) error {
	pid := m.profile
	resolved := pid != ""
	if !resolved && tx.senderKnown {
		pid, resolved = tx.sender, true
	}
	resolve := func() (string, error) {
		if resolved {
			return pid, nil
		}
		// Only when a journey started between finding the batch's
		// senders and applying it.
		resolved = true
		var err error
		pid, err = tx.e.cfg.People.Resolve(ctx, d)
		return pid, err
	}
	// History (an import of old orders) is not news: it neither triggers
	// nor converts.
	age := tx.now.Sub(m.at)
	for _, j := range active {
		if d.Seq <= j.StartSeq || age > time.Duration(j.MaxEventAge) {
			continue
		}
		if m.kind == segment.Track {
			if err := tx.observe(ctx, j, m, resolve); err != nil {
				return err
			}
		}
		ok, trig := j.matches(m)
		if !ok {
			continue
		}
		if j.Trigger.Type == TriggerAlert {
			if err := tx.enter(ctx, j, "alert:"+m.alertID, trig, m.at); err != nil {
				return err
			}
			continue
		}
		p, err := resolve()
		if err != nil {
			return err
		}
		if p == "" {
			continue
		}
		if j.Trigger.Type == TriggerInactivity {
			if err := tx.resetIdle(j, p, m.at); err != nil {
				return err
			}
			continue
		}
		if err := tx.enter(ctx, j, p, trig, m.at); err != nil {
			return err
		}
	}
	return nil
}

// matches says whether a message triggers j, and what to remember of it.
func (j *Journey) matches(m message) (bool, json.RawMessage) {
	t := &j.Trigger
	switch t.Type {
	case TriggerEvent, TriggerInactivity:
		if m.kind != segment.Track || m.event != t.Event || !filtersHold(t.Where, m.properties) {
			return false, nil
		}
	case TriggerAbandonedCheckout:
		if m.kind != segment.Track || m.event != "Checkout Started" || !filtersHold(t.Where, m.properties) {
			return false, nil
		}
	case TriggerSegmentEntered:
		if m.kind != segment.SegmentEntered || m.segment != t.Segment {
			return false, nil
		}
	case TriggerSegmentExited:
		if m.kind != segment.SegmentExited || m.segment != t.Segment {
			return false, nil
		}
	case TriggerPrediction:
		if m.kind != segment.SegmentEntered || m.segment != predictionSegment(j.ID) {
			return false, nil
		}
	case TriggerAlert:
		if m.kind != segment.AlertRaised || alertGrades[m.grade] < alertGrades[t.Grade] {
			return false, nil
		}
		return true, rawJSON(map[string]any{"type": "alert", "alert": json.RawMessage(orNull(m.properties))})
	default:
		return false, nil
	}
	trig := map[string]any{"type": m.kind, "at": m.at.UTC()}
	if m.event != "" {
		trig["event"] = m.event
		trig["properties"] = json.RawMessage(orNull(m.properties))
	}
	if m.segment != "" {
		trig["segment_id"] = m.segment
	}
	return true, rawJSON(trig)
}

func orNull(b []byte) []byte {
	if len(b) == 0 {
		return []byte("null")
	}
	return b
}

// predictionSegment is the id of the segment a prediction trigger keeps.
func predictionSegment(jid string) string {
	return "journey_" + strings.ReplaceAll(jid, "-", "_") + "_trigger"
}

// observe handles what a track message means for runs already going: a
// goal reached, an abandoned checkout recovered, an event a branch asks
// about.
func (tx *txn) observe(ctx context.Context, j *Journey, m message, resolve func() (string, error)) error {
	goal := j.goalEvent() == m.event
	recover := j.Trigger.Type == TriggerAbandonedCheckout && m.event == "Order Completed"
	seen := j.branchAsks(m.event)
	if !goal && !recover && !seen {
		return nil
	}
	pid, err := resolve()
	if err != nil || pid == "" {
		return err
	}
	var r run
	ok, err := getJSON(tx.b, runKey(j.ID, pid), &r)
	if err != nil || !ok {
		return err
	}
	if seen && r.Phase == phaseActive {
		if err := tx.b.Set(seenKey(j.ID, pid, m.event), nil, nil); err != nil {
			return err
		}
	}
	if recover && r.Phase == phaseWatch {
		return tx.end(j, pid, &r, "recovered")
	}
	if goal && r.Phase != phaseWatch && r.Arm != "" && m.at.Sub(r.EnteredAt) <= time.Duration(j.Goal.Within) &&
		!m.at.Before(r.EnteredAt) && !r.Converted {
		r.Converted = true
		if err := tx.c.add(j.ID, "converted_"+r.Arm, 1); err != nil {
			return err
		}
		if r.Phase == phaseActive {
			return tx.end(j, pid, &r, "goal")
		}
		return setJSON(tx.b, runKey(j.ID, pid), &r)
	}
	return nil
}

// tracks says whether j acts on a track event of that name: its trigger
// (event, inactivity, the two events of an abandoned checkout), its goal,
// or an event a branch asks about. It is what matches and observe look at
// for track messages, asked before a message's sender is looked up.
func (j *Journey) tracks(event string) bool {
	switch {
	case event == j.goalEvent(), j.branchAsks(event):
		return true
	case j.Trigger.Type == TriggerEvent || j.Trigger.Type == TriggerInactivity:
		return event == j.Trigger.Event
	case j.Trigger.Type == TriggerAbandonedCheckout:
		return event == "Checkout Started" || event == "Order Completed"
	}
	return false
}

// branchEvent is the event a step's branch asks about ("" for none).
func (s *Step) branchEvent() string {
	if s.Type == StepBranch && s.If != nil {
		return s.If.Event
	}
	return ""
}

// branchAsks says whether one of j's branches asks about event. It runs
// for every message of every running journey, so it looks through the
// steps rather than building a set.
func (j *Journey) branchAsks(event string) bool {
	for i := range j.Steps {
		if ev := j.Steps[i].branchEvent(); ev != "" && ev == event {
			return true
		}
	}
	return false
}

// resetIdle moves a person's inactivity deadline: another Event, another
// Days of quiet before the journey starts.
func (tx *txn) resetIdle(j *Journey, pid string, at time.Time) error {
	return setDeadline(tx.b, timerIdle, j.ID, pid, at.Add(time.Duration(j.Trigger.Days*float64(24*time.Hour))))
}

// setDeadline moves a person's inactivity or next-order deadline and its
// timer.
func setDeadline(b *pebble.Batch, kind, jid, pid string, deadline time.Time) error {
	key := deadlineKey(kind, jid, pid)
	var old int64
	if ok, err := getJSON(b, key, &old); err != nil {
		return err
	} else if ok {
		if err := b.Delete(timerKey(time.Unix(0, old), jid, pid+timerSuffix(kind)), nil); err != nil {
			return err
		}
	}
	if err := setJSON(b, key, deadline.UnixNano()); err != nil {
		return err
	}
	return b.Set(timerKey(deadline, jid, pid+timerSuffix(kind)), nil, nil)
}

// enter brings a person into a journey, if its re-entry rule lets them.
func (tx *txn) enter(ctx context.Context, j *Journey, pid string, trig json.RawMessage, at time.Time) error {
	key := runKey(j.ID, pid)
	var r run
	ok, err := getJSON(tx.b, key, &r)
	if err != nil {
		return err
	}
	if ok {
		if r.Phase != phaseEnded {
			return nil // already in
		}
		switch j.Reentry.Mode {
		case ReentryNever:
			return nil
		case ReentryAfter:
			if tx.now.Sub(r.EnteredAt) < time.Duration(j.Reentry.After) {
				return nil
			}
		}
	}
	r = run{Entry: r.Entry + 1, Trigger: trig, EnteredAt: tx.now}
	if j.Trigger.Type == TriggerAbandonedCheckout {
		// The checkout is abandoned only if no order follows in time.
		r.Phase = phaseWatch
		r.WakeAt = maxTime(at.Add(time.Duration(j.Trigger.Hours*float64(time.Hour))), tx.now)
		if err := tx.c.add(j.ID, "watching", 1); err != nil {
			return err
		}
		return tx.schedule(j, pid, &r)
	}
	return tx.start(ctx, j, pid, &r)
}

// start makes a run active: the control draw, then the first steps.
func (tx *txn) start(ctx context.Context, j *Journey, pid string, r *run) error {
	if len(j.Countries) > 0 && !strings.HasPrefix(pid, "alert:") {
		p, err := tx.person(ctx, pid)
		if err != nil {
			return err
		}
		if p == nil || !slices.Contains(j.Countries, p.Country) {
			r.Arm = ""
			return tx.end(j, pid, r, "excluded")
		}
	}
	r.Phase = phaseActive
	r.Step = 0
	r.EnteredAt = tx.now
	r.Arm = "treatment"
	if inControl(j.ID, pid, r.Entry, j.ControlPercent) {
		r.Arm = "control"
	}
	if err := tx.c.add(j.ID, "entered_"+r.Arm, 1); err != nil {
		return err
	}
	if err := tx.c.add(j.ID, "active", 1); err != nil {
		return err
	}
	if r.Arm == "control" {
		// The control group gets nothing; it stays until the goal window
		// closes so its conversions are counted like the treatment's.
		if j.Goal == nil {
			return tx.end(j, pid, r, "completed")
		}
		r.WakeAt = tx.now.Add(time.Duration(j.Goal.Within))
		r.Step = len(j.Steps)
		return tx.schedule(j, pid, r)
	}
	return tx.advance(ctx, j, pid, r)
}

// wakeUp handles a due timer.
func (tx *txn) wakeUp(ctx context.Context, j *Journey, pid, kind string, at time.Time) error {
	if kind == timerIdle || kind == timerNext {
		key := deadlineKey(kind, j.ID, pid)
		var deadline int64
		ok, err := getJSON(tx.b, key, &deadline)
		if err != nil || !ok || deadline != at.UnixNano() {
			return err
		}
		if err := tx.b.Delete(key, nil); err != nil {
			return err
		}
		days := time.Duration(j.Trigger.Days * float64(24*time.Hour))
		trig := rawJSON(map[string]any{"type": "inactivity", "event": j.Trigger.Event, "days": j.Trigger.Days,
			"last_at": at.Add(-days).UTC(), "at": at.UTC()})
		if kind == timerNext {
			trig = rawJSON(map[string]any{"type": TriggerBeforeNextOrder, "days": j.Trigger.Days,
				"expected_next_order": at.Add(days).UTC(), "at": at.UTC()})
		}
		return tx.enter(ctx, j, pid, trig, at)
	}
	var r run
	ok, err := getJSON(tx.b, runKey(j.ID, pid), &r)
	if err != nil || !ok || !r.WakeAt.Equal(at) {
		return err // a stale timer: the run moved on
	}
	r.WakeAt = time.Time{}
	if err := tx.leaveStep(j, &r); err != nil {
		return err
	}
	switch r.Phase {
	case phaseWatch:
		if err := tx.c.add(j.ID, "watching", -1); err != nil {
			return err
		}
		return tx.start(ctx, j, pid, &r)
	case phaseActive:
		if r.Arm == "control" || r.Step >= len(j.Steps) {
			return tx.end(j, pid, &r, "completed")
		}
		return tx.advance(ctx, j, pid, &r)
	}
	return nil
}

// advance runs a treatment run's steps from r.Step until a wait or the end.
func (tx *txn) advance(ctx context.Context, j *Journey, pid string, r *run) error {
	for hops := 0; ; hops++ {
		if hops > 2*len(j.Steps)+2 {
			// Jumps that loop without a wait would spin forever.
			return tx.end(j, pid, r, "exited")
		}
		if r.Step < 0 || r.Step >= len(j.Steps) {
			return tx.end(j, pid, r, "completed")
		}
		s := &j.Steps[r.Step]
		next := r.Step + 1
		if s.Next != "" {
			next = j.stepIndex(s.Next)
		}
		if err := tx.c.add(j.ID, "reached:"+s.ID, 1); err != nil {
			return err
		}
		switch s.Type {
		case StepWait:
			wake, err := tx.waitUntil(ctx, pid, s)
			if err != nil {
				return err
			}
			r.Step = next
			if !wake.After(tx.now) {
				continue
			}
			r.WakeAt, r.At = wake, s.ID
			if err := tx.c.add(j.ID, "at:"+s.ID, 1); err != nil {
				return err
			}
			return tx.schedule(j, pid, r)
		case StepBranch:
			ok, err := tx.holds(ctx, j, pid, s.If)
			if err != nil {
				return err
			}
			target := s.Else
			if ok {
				target = s.Then
			}
			if target != "" {
				next = j.stepIndex(target)
			}
			r.Step = next
		case StepExit:
			return tx.end(j, pid, r, "exited")
		case StepWebhook, StepEmail, StepNotify, StepSetTrait, StepAddToSegment, StepRemoveFromSegment:
			if err := tx.enqueue(j, pid, r, s); err != nil {
				return err
			}
			r.Step = next
		}
	}
}

// waitUntil is when a wait step ends for a person.
func (tx *txn) waitUntil(ctx context.Context, pid string, s *Step) (time.Time, error) {
	if s.Duration > 0 {
		return tx.now.Add(time.Duration(s.Duration)), nil
	}
	loc := time.UTC
	if !strings.HasPrefix(pid, "alert:") {
		p, err := tx.person(ctx, pid)
		if err != nil {
			return time.Time{}, err
		}
		if p != nil {
			loc = personZone(p)
		}
	}
	clock, _ := time.Parse("15:04", s.Until)
	local := tx.now.In(loc)
	t := time.Date(local.Year(), local.Month(), local.Day(), clock.Hour(), clock.Minute(), 0, 0, loc)
	if !t.After(tx.now) {
		t = time.Date(local.Year(), local.Month(), local.Day()+1, clock.Hour(), clock.Minute(), 0, 0, loc)
	}
	return t, nil
}

// schedule saves a run with its wake-up timer.
func (tx *txn) schedule(j *Journey, pid string, r *run) error {
	if err := tx.b.Set(timerKey(r.WakeAt, j.ID, pid), nil, nil); err != nil {
		return err
	}
	return setJSON(tx.b, runKey(j.ID, pid), r)
}

// leaveStep counts a person off the wait step they were at.
func (tx *txn) leaveStep(j *Journey, r *run) error {
	if r.At == "" {
		return nil
	}
	at := r.At
	r.At = ""
	return tx.c.add(j.ID, "at:"+at, -1)
}

// end finishes a run with an outcome.
func (tx *txn) end(j *Journey, pid string, r *run, outcome string) error {
	if r.Phase == phaseActive {
		if err := tx.c.add(j.ID, "active", -1); err != nil {
			return err
		}
	}
	if r.Phase == phaseWatch {
		if err := tx.c.add(j.ID, "watching", -1); err != nil {
			return err
		}
	}
	if !r.WakeAt.IsZero() {
		if err := tx.b.Delete(timerKey(r.WakeAt, j.ID, pid), nil); err != nil {
			return err
		}
	}
	if err := tx.leaveStep(j, r); err != nil {
		return err
	}
	r.Phase, r.Outcome, r.EndedAt, r.WakeAt = phaseEnded, outcome, tx.now, time.Time{}
	if err := tx.c.add(j.ID, outcome+"_"+armOr(r.Arm), 1); err != nil {
		return err
	}
	for i := range j.Steps {
		if ev := j.Steps[i].branchEvent(); ev != "" {
			if err := tx.b.Delete(seenKey(j.ID, pid, ev), nil); err != nil {
				return err
			}
		}
	}
	return setJSON(tx.b, runKey(j.ID, pid), r)
}

func armOr(arm string) string {
	if arm == "" {
		return "none"
	}
	return arm
}

// enqueue puts a step's action in the outbox, unless it was delivered
// already (a replay of the log after a crash re-runs steps).
func (tx *txn) enqueue(j *Journey, pid string, r *run, s *Step) error {
	id := actionID(j.ID, pid, r.Entry, s.ID)
	if _, closer, err := tx.b.Get([]byte(prefDone + id)); err == nil {
		closer.Close()
		return nil
	}
	a := action{ID: id, Journey: j.ID, Person: pid, Step: s.ID, Kind: s.Type, Lane: laneOf(s), Entry: r.Entry,
		DueAt: tx.now, Created: tx.now, Trigger: r.Trigger}
	if err := setJSON(tx.b, []byte(prefOutbox+id), &a); err != nil {
		return err
	}
	tx.enqueued = true
	return tx.b.Set(dueKey(a.Lane, a.DueAt, id), nil, nil)
}

// person fetches a person's details once per transaction.
func (tx *txn) person(ctx context.Context, pid string) (*Person, error) {
	if p, ok := tx.people[pid]; ok {
		return p, nil
	}
	p, err := tx.e.cfg.People.Person(ctx, pid)
	if err != nil {
		return nil, fmt.Errorf("person %s: %w", pid, err)
	}
	tx.people[pid] = p
	return p, nil
}

// holds evaluates a branch condition for a person.
func (tx *txn) holds(ctx context.Context, j *Journey, pid string, c *Condition) (bool, error) {
	if c.Event != "" {
		_, closer, err := tx.b.Get(seenKey(j.ID, pid, c.Event))
		if err == nil {
			closer.Close()
			return true, nil
		}
		return false, nil
	}
	if strings.HasPrefix(pid, "alert:") {
		return false, nil
	}
	p, err := tx.person(ctx, pid)
	if err != nil || p == nil {
		return false, err
	}
	return c.holdsFor(p), nil
}

func (c *Condition) holdsFor(p *Person) bool {
	switch {
	case c.Segment != "":
		return p.Segments[c.Segment]
	case c.Trait != "":
		v, ok := p.Traits[c.Trait]
		return compare(v, ok, c.Op, c.Value)
	case c.Computed != "":
		v, ok := p.Computed[c.Computed]
		return compare(v, ok, c.Op, c.Value)
	}
	return false
}

func maxTime(a, b time.Time) time.Time {
	if a.After(b) {
		return a
	}
	return b
}
