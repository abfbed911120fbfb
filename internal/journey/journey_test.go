package journey

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/tradewind/tradewind/internal/eventlog"
	"github.com/tradewind/tradewind/internal/segment"
)

// directory is a People over a table: profile ids are "p_" + userId.
// The journey engine's own contract with the profile engine is tested end
// to end in internal/app; here the table keeps the engine's logic in view.
type directory struct {
	mu       sync.Mutex
	segments map[string]map[string]bool
	traits   map[string]map[string]any
}

func (d *directory) Resolve(_ context.Context, m eventlog.Delivery) (string, error) {
	var body struct {
		UserID string `json:"userId"`
	}
	_ = json.Unmarshal(m.Data, &body)
	if body.UserID == "" {
		return "", nil
	}
	return "p_" + body.UserID, nil
}

func (d *directory) Person(_ context.Context, pid string) (*Person, error) {
	d.mu.Lock()
	defer d.mu.Unlock()
	return &Person{ID: pid, Country: "DE", Segments: d.segments[pid], Traits: d.traits[pid], Consent: map[string]bool{}}, nil
}

func (d *directory) EnsureSegment(context.Context, string, string, string) error { return nil }

func (d *directory) SetTraits(_ context.Context, pid, _ string, traits map[string]any) error {
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.traits == nil {
		d.traits = map[string]map[string]any{}
	}
	if d.traits[pid] == nil {
		d.traits[pid] = map[string]any{}
	}
	for k, v := range traits {
		d.traits[pid][k] = v
	}
	return nil
}

// clock is a settable clock.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) Now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *clock) Add(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

// rig is an engine on a real embedded event log, whose notify steps land
// in notices.
type rig struct {
	t       *testing.T
	e       *Engine
	log     *eventlog.Log
	clock   *clock
	dir     *directory
	mu      sync.Mutex
	notices map[string][]string // person → steps notified
	seq     int
}

func newRig(t *testing.T) *rig {
	t.Helper()
	ctx := context.Background()
	l, err := eventlog.Open(ctx, eventlog.Config{Dir: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { l.Close() })
	r := &rig{t: t, log: l, clock: &clock{t: time.Date(2026, 3, 2, 10, 0, 0, 0, time.UTC)}, dir: &directory{},
		notices: map[string][]string{}}
	r.e, err = Open(ctx, Config{Dir: t.TempDir(), Log: l, JetStream: l.JetStream(), People: r.dir, Now: r.clock.Now,
		Tick: 10 * time.Millisecond,
		Notify: func(_ context.Context, jid, step, _, person string) error {
			r.mu.Lock()
			r.notices[person] = append(r.notices[person], step)
			r.mu.Unlock()
			return nil
		}})
	if err != nil {
		t.Fatal(err)
	}
	r.e.Start(ctx)
	t.Cleanup(func() { r.e.Close() })
	return r
}

func (r *rig) define(j Journey) {
	r.t.Helper()
	ctx := context.Background()
	if _, _, err := r.e.Save(ctx, j, true, "test"); err != nil {
		r.t.Fatal(err)
	}
	if _, _, err := r.e.SetStatus(ctx, j.ID, StatusActive, "test"); err != nil {
		r.t.Fatal(err)
	}
}

func (r *rig) track(user, event string, props map[string]any) {
	r.t.Helper()
	r.seq++
	now := r.clock.Now()
	id := fmt.Sprintf("m%d", r.seq)
	body, _ := json.Marshal(map[string]any{"type": "track", "userId": user, "event": event, "properties": props, "messageId": id})
	if _, err := r.log.Publish(context.Background(), []eventlog.Message{{Type: segment.Track,
		Meta: eventlog.Meta{Source: "web", MessageID: id, ReceivedAt: now, Timestamp: now}, Data: body}}); err != nil {
		r.t.Fatal(err)
	}
}

// settle waits until the engine has read the whole log and delivered
// everything due.
func (r *rig) settle() {
	r.t.Helper()
	ctx := context.Background()
	last, err := r.log.LastSeq(ctx)
	if err != nil {
		r.t.Fatal(err)
	}
	deadline := time.Now().Add(20 * time.Second)
	for {
		outbox := r.e.countDue(r.clock.Now())
		if r.e.Applied() >= last && outbox == 0 {
			return
		}
		if time.Now().After(deadline) {
			r.t.Fatalf("engine at %d of %d, %d actions due", r.e.Applied(), last, outbox)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

func (r *rig) notified(person string) []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]string{}, r.notices[person]...)
}

func (r *rig) stats(id string) map[string]int64 {
	st, err := r.e.JourneyStats(id)
	if err != nil {
		r.t.Fatal(err)
	}
	return st.Counters
}

func note(id string) Step { return Step{ID: id, Type: StepNotify, Message: "hello"} }

func TestValidateNamesTheField(t *testing.T) {
	ok := func() Journey {
		return Journey{Name: "J", Trigger: Trigger{Type: TriggerEvent, Event: "Signed Up"}, Steps: []Step{note("a")}}
	}
	cases := map[string]func(j *Journey){
		"name":              func(j *Journey) { j.Name = " " },
		"trigger.type":      func(j *Journey) { j.Trigger.Type = "whenever" },
		"trigger.event":     func(j *Journey) { j.Trigger.Event = "" },
		"trigger.attribute": func(j *Journey) { j.Trigger = Trigger{Type: TriggerPrediction, Attribute: "mood", Op: ">", Value: 1.0} },
		"trigger.value": func(j *Journey) {
			j.Trigger = Trigger{Type: TriggerPrediction, Attribute: "churn_tier", Op: "=", Value: "extreme"}
		},
		"trigger.days":        func(j *Journey) { j.Trigger = Trigger{Type: TriggerInactivity, Event: "Order Completed"} },
		"trigger.grade":       func(j *Journey) { j.Trigger = Trigger{Type: TriggerAlert, Grade: "dire"} },
		"trigger.where[0].op": func(j *Journey) { j.Trigger.Where = []Filter{{Property: "total", Op: "~"}} },
		"steps":               func(j *Journey) { j.Steps = nil },
		"steps[1].id":         func(j *Journey) { j.Steps = append(j.Steps, note("a")) },
		"steps[0].type":       func(j *Journey) { j.Steps[0].Type = "sms" },
		"steps[0]":            func(j *Journey) { j.Steps[0] = Step{Type: StepWait} },
		"steps[0].until":      func(j *Journey) { j.Steps[0] = Step{Type: StepWait, Until: "25:00"} },
		"steps[0].then":       func(j *Journey) { j.Steps[0] = Step{Type: StepBranch, If: &Condition{Segment: "vip"}, Then: "nowhere"} },
		"steps[0].if":         func(j *Journey) { j.Steps[0] = Step{Type: StepBranch, If: &Condition{Segment: "vip", Event: "x"}} },
		"steps[0].template":   func(j *Journey) { j.Steps[0] = Step{Type: StepEmail} },
		"steps[0].trait":      func(j *Journey) { j.Steps[0] = Step{Type: StepSetTrait, Trait: "1bad", Value: 1.0} },
		"steps[0].segment":    func(j *Journey) { j.Steps[0] = Step{Type: StepAddToSegment, Segment: "Bad Name"} },
		"steps[0].next":       func(j *Journey) { j.Steps[0].Next = "missing" },
		"goal.event":          func(j *Journey) { j.Goal = &Goal{} },
		"reentry.after":       func(j *Journey) { j.Reentry = Reentry{Mode: ReentryAfter} },
		"control_percent":     func(j *Journey) { j.ControlPercent = 80 },
		"countries[0]":        func(j *Journey) { j.Countries = []string{"Germany"} },
		"consent":             func(j *Journey) { j.Consent = "maybe" },
		"steps[0].template.variants.de": func(j *Journey) {
			j.Steps[0] = Step{Type: StepEmail, Template: &Template{DefaultLocale: "de", Variants: map[string]Variant{"de": {Subject: "x"}}}}
		},
	}
	for field, edit := range cases {
		j := ok()
		edit(&j)
		err := j.Validate()
		var fe *FieldError
		if !errors.As(err, &fe) || fe.Field != field {
			t.Errorf("%s: got %v", field, err)
		}
	}
	j := ok()
	if err := j.Validate(); err != nil || j.ID != "j" || j.Status != StatusDraft || j.Reentry.Mode != ReentryNever ||
		time.Duration(j.MaxEventAge) != 24*time.Hour {
		t.Fatalf("defaults: %v %+v", err, j)
	}
	// An alert journey has no person to e-mail.
	j = Journey{Name: "a", Trigger: Trigger{Type: TriggerAlert}, Steps: []Step{{Type: StepEmail,
		Template: &Template{Variants: map[string]Variant{"en": {Subject: "s", Text: "t"}}}}}}
	if err := j.Validate(); err == nil || !strings.Contains(err.Error(), "alert journey") {
		t.Errorf("alert with e-mail: %v", err)
	}
}

func TestDurationJSON(t *testing.T) {
	var d struct{ D Duration }
	for in, want := range map[string]time.Duration{`"7d"`: 7 * 24 * time.Hour, `"90m"`: 90 * time.Minute, `3600`: time.Hour, `"1.5d"`: 36 * time.Hour} {
		if err := json.Unmarshal([]byte(`{"D":`+in+`}`), &d); err != nil || time.Duration(d.D) != want {
			t.Errorf("%s: %v %v", in, time.Duration(d.D), err)
		}
	}
	if err := json.Unmarshal([]byte(`{"D":"soon"}`), &d); err == nil || !strings.Contains(err.Error(), "not a duration") {
		t.Errorf("bad duration: %v", err)
	}
	b, _ := json.Marshal(Duration(48 * time.Hour))
	if string(b) != `"2d"` {
		t.Errorf("marshal: %s", b)
	}
}

func TestFilters(t *testing.T) {
	props := []byte(`{"total":"59.90","currency":"EUR","items":3,"cart":{"coupon":"SPRING"}}`)
	cases := []struct {
		f    Filter
		want bool
	}{
		{Filter{"total", ">=", 50.0}, true},
		{Filter{"total", "<", 50.0}, false},
		{Filter{"currency", "=", "eur"}, true},
		{Filter{"cart.coupon", "contains", "spr"}, true},
		{Filter{"items", "!=", 3.0}, false},
		{Filter{"missing", "exists", nil}, false},
		{Filter{"missing", "!=", "x"}, true},
		{Filter{"currency", "exists", nil}, true},
	}
	for _, c := range cases {
		if got := filtersHold([]Filter{c.f}, props); got != c.want {
			t.Errorf("%+v: %v", c.f, got)
		}
	}
	if filtersHold([]Filter{{"total", ">", 1.0}}, []byte(`not json`)) {
		t.Error("a filter passed on a broken body")
	}
}

// TestEventTriggerFiltersAgeAndReentry: only fresh events after the start
// trigger, filters hold, and re-entry follows the rule.
func TestEventTriggerFiltersAgeAndReentry(t *testing.T) {
	r := newRig(t)
	r.track("early", "Signed Up", nil) // before the start: ignored
	r.define(Journey{ID: "big", Name: "Big carts", Trigger: Trigger{Type: TriggerEvent, Event: "Cart Viewed",
		Where: []Filter{{"total", ">=", 100.0}}}, Steps: []Step{note("n")}, Reentry: Reentry{Mode: ReentryAfter, After: Duration(time.Hour)}})
	r.define(Journey{ID: "once", Name: "Once", Trigger: Trigger{Type: TriggerEvent, Event: "Signed Up"}, Steps: []Step{note("n")}})
	r.track("ann", "Cart Viewed", map[string]any{"total": 150})
	r.track("bob", "Cart Viewed", map[string]any{"total": 20})
	r.track("ann", "Cart Viewed", map[string]any{"total": 150}) // within the hour: no re-entry
	r.track("cat", "Signed Up", nil)
	r.track("cat", "Signed Up", nil) // never re-enters
	// An old event arriving now (an import) triggers nothing.
	r.seq++
	old := r.clock.Now().Add(-72 * time.Hour)
	body, _ := json.Marshal(map[string]any{"type": "track", "userId": "dan", "event": "Signed Up"})
	_, _ = r.log.Publish(context.Background(), []eventlog.Message{{Type: segment.Track,
		Meta: eventlog.Meta{Source: "web", MessageID: "old", ReceivedAt: r.clock.Now(), Timestamp: old}, Data: body}})
	r.settle()
	if got := r.notified("p_ann"); len(got) != 1 {
		t.Errorf("ann notified %v, want once", got)
	}
	for _, who := range []string{"p_bob", "p_early", "p_dan"} {
		if got := r.notified(who); len(got) != 0 {
			t.Errorf("%s notified %v", who, got)
		}
	}
	if got := r.notified("p_cat"); len(got) != 1 {
		t.Errorf("cat notified %v, want once", got)
	}
	r.clock.Add(2 * time.Hour)
	r.track("ann", "Cart Viewed", map[string]any{"total": 150})
	r.settle()
	if got := r.notified("p_ann"); len(got) != 2 {
		t.Errorf("ann after an hour: notified %v, want twice", got)
	}
	if c := r.stats("big"); c["entered_treatment"] != 2 || c["completed_treatment"] != 2 {
		t.Errorf("counters %v", c)
	}
}

// TestWaitBranchAndGoal: a wait holds a run until its time; a branch on an
// event done since entering; the goal ends a waiting run as converted.
func TestWaitBranchAndGoal(t *testing.T) {
	r := newRig(t)
	r.define(Journey{ID: "w", Name: "W", Trigger: Trigger{Type: TriggerEvent, Event: "Signed Up"},
		Steps: []Step{
			{ID: "wait", Type: StepWait, Duration: Duration(24 * time.Hour)},
			{ID: "opened", Type: StepBranch, If: &Condition{Event: "Email Opened"}, Then: "thanks", Else: "nudge"},
			{ID: "nudge", Type: StepNotify, Message: "nudge", Next: "end"},
			{ID: "thanks", Type: StepNotify, Message: "thanks"},
			{ID: "end", Type: StepExit},
		},
		Goal: &Goal{Event: "Order Completed", Within: Duration(7 * 24 * time.Hour)}})
	for _, u := range []string{"a", "b", "c"} {
		r.track(u, "Signed Up", nil)
	}
	r.track("b", "Email Opened", nil)
	r.track("c", "Order Completed", nil) // converts while waiting
	r.settle()
	if n := len(r.notified("p_a")) + len(r.notified("p_b")); n != 0 {
		t.Fatalf("notices before the wait ended: %d", n)
	}
	if st, _ := r.e.JourneyStats("w"); st.Steps[0].Now != 2 {
		t.Errorf("%d people at the wait, want 2 (c converted)", st.Steps[0].Now)
	}
	r.clock.Add(25 * time.Hour)
	time.Sleep(100 * time.Millisecond) // the timer loop ticks every 10 ms
	r.settle()
	if got := r.notified("p_a"); strings.Join(got, ",") != "nudge" {
		t.Errorf("a: %v", got)
	}
	if got := r.notified("p_b"); strings.Join(got, ",") != "thanks" {
		t.Errorf("b: %v", got)
	}
	if got := r.notified("p_c"); len(got) != 0 {
		t.Errorf("c converted but was notified %v", got)
	}
	if st, _ := r.e.JourneyStats("w"); st.Steps[0].Now != 0 {
		t.Errorf("%d people still at the wait", st.Steps[0].Now)
	}
	c := r.stats("w")
	if c["converted_treatment"] != 1 || c["converted_treatment"] != c["converted_treatment"] || c["exited_treatment"] != 2 || c["active"] != 0 {
		t.Errorf("counters %v", c)
	}
}

// TestControlGroup: the draw holds out about the share asked for, stably,
// and the held-out get nothing but their conversions are counted.
func TestControlGroup(t *testing.T) {
	const n = 400
	held := 0
	for i := 0; i < n; i++ {
		a := inControl("j", fmt.Sprintf("p%d", i), 1, 25)
		if a != inControl("j", fmt.Sprintf("p%d", i), 1, 25) {
			t.Fatal("the draw is not stable")
		}
		if a {
			held++
		}
	}
	// 25% of 400: mean 100, sd √75 ≈ 8.7; 5 sd either side.
	if held < 57 || held > 143 {
		t.Errorf("%d of %d held out at 25%%", held, n)
	}
	r := newRig(t)
	r.define(Journey{ID: "c", Name: "C", Trigger: Trigger{Type: TriggerEvent, Event: "Signed Up"}, Steps: []Step{note("n")},
		ControlPercent: 50, Goal: &Goal{Event: "Order Completed"}})
	for i := 0; i < 40; i++ {
		r.track(fmt.Sprintf("u%d", i), "Signed Up", nil)
		r.track(fmt.Sprintf("u%d", i), "Order Completed", nil)
	}
	r.settle()
	c := r.stats("c")
	if c["entered_treatment"]+c["entered_control"] != 40 || c["entered_control"] == 0 || c["entered_treatment"] == 0 {
		t.Fatalf("arms %v", c)
	}
	if c["converted_control"] != c["entered_control"] || c["converted_treatment"] != c["entered_treatment"] {
		t.Errorf("conversions %v", c)
	}
	// Everyone converted in both arms: no variance, so no verdict, and
	// the stats say why rather than inventing one.
	if st, _ := r.e.JourneyStats("c"); st.Uplift != nil || !strings.Contains(st.UpliftNote, "variance") {
		t.Errorf("uplift %+v, note %q", st.Uplift, st.UpliftNote)
	}
	notified := 0
	for i := 0; i < 40; i++ {
		pid := fmt.Sprintf("p_u%d", i)
		if len(r.notified(pid)) > 0 {
			notified++
			if inControl("c", pid, 1, 50) {
				t.Errorf("%s is in the control group but was notified", pid)
			}
		}
	}
	if int64(notified) != c["entered_treatment"] {
		t.Errorf("%d notified, %d in the treatment", notified, c["entered_treatment"])
	}
}

// TestInactivityAndAbandonedCheckout: quiet periods and abandoned checkouts
// fire on timers; activity moves the deadline; an order recovers the
// checkout.
func TestInactivityAndAbandonedCheckout(t *testing.T) {
	r := newRig(t)
	r.define(Journey{ID: "idle", Name: "Idle", Trigger: Trigger{Type: TriggerInactivity, Event: "Order Completed", Days: 30},
		Steps: []Step{note("winback")}})
	r.define(Journey{ID: "cart", Name: "Cart", Trigger: Trigger{Type: TriggerAbandonedCheckout, Hours: 2},
		Steps: []Step{note("remind")}})
	r.track("a", "Order Completed", nil)
	r.track("b", "Order Completed", nil)
	r.track("c", "Checkout Started", nil)
	r.track("d", "Checkout Started", nil)
	r.track("d", "Order Completed", nil)
	r.settle()
	r.clock.Add(20 * 24 * time.Hour)
	r.track("b", "Order Completed", nil) // b keeps buying
	r.settle()
	r.clock.Add(11 * 24 * time.Hour) // a: 31 days quiet; b: 11
	time.Sleep(100 * time.Millisecond)
	r.settle()
	has := func(pid, step string) bool {
		for _, s := range r.notified(pid) {
			if s == step {
				return true
			}
		}
		return false
	}
	if !has("p_a", "winback") || has("p_b", "winback") {
		t.Errorf("inactivity: a %v, b %v", r.notified("p_a"), r.notified("p_b"))
	}
	if !has("p_c", "remind") || has("p_d", "remind") {
		t.Errorf("abandoned checkout: c %v, d %v", r.notified("p_c"), r.notified("p_d"))
	}
	if c := r.stats("cart"); c["recovered_none"] < 1 || c["entered_treatment"] < 1 {
		t.Errorf("cart counters %v", c)
	}
}

// TestAlertTriggerAndProfileActions: an alert run notifies the team; a
// person's run sets traits and list membership through People.
func TestAlertTriggerAndProfileActions(t *testing.T) {
	r := newRig(t)
	r.define(Journey{ID: "crisis", Name: "Crisis", Trigger: Trigger{Type: TriggerAlert, Grade: "warning"}, Steps: []Step{note("page")}})
	r.define(Journey{ID: "tag", Name: "Tag", Trigger: Trigger{Type: TriggerEvent, Event: "Signed Up"}, Steps: []Step{
		{ID: "list", Type: StepAddToSegment, Segment: "new-people"},
		{ID: "mark", Type: StepSetTrait, Trait: "welcomed", Value: true}}})
	now := r.clock.Now()
	for i, grade := range []string{"info", "critical"} {
		body, _ := json.Marshal(map[string]any{"type": segment.AlertRaised, "properties": map[string]any{"id": fmt.Sprintf("al%d", i), "grade": grade}})
		if _, err := r.log.Publish(context.Background(), []eventlog.Message{{Type: segment.AlertRaised,
			Meta: eventlog.Meta{Source: segment.EngineSource, MessageID: fmt.Sprintf("al%d", i), ReceivedAt: now, Timestamp: now}, Data: body}}); err != nil {
			t.Fatal(err)
		}
	}
	r.track("x", "Signed Up", nil)
	r.settle()
	r.mu.Lock()
	pages := len(r.notices[""])
	r.mu.Unlock()
	if pages != 1 {
		t.Errorf("%d team pages, want 1 (the critical alert, not the info)", pages)
	}
	r.dir.mu.Lock()
	tr := r.dir.traits["p_x"]
	r.dir.mu.Unlock()
	if tr[ListTrait("new-people")] != "member" || tr["welcomed"] != true {
		t.Errorf("traits %v", tr)
	}
}

// TestUpliftUsesExperimentStatistics: the stats compare the arms'
// conversion with the experiment package: 15% against 10% of 1,000 each
// is a +50% relative lift, clearly a win.
func TestUpliftUsesExperimentStatistics(t *testing.T) {
	r := newRig(t)
	r.define(Journey{ID: "u", Name: "U", Trigger: Trigger{Type: TriggerEvent, Event: "Signed Up"}, Steps: []Step{note("n")},
		ControlPercent: 50, Goal: &Goal{Event: "Order Completed"}})
	b := r.e.db.NewIndexedBatch()
	c := newCounters(b)
	for k, v := range map[string]int64{"entered_control": 1000, "converted_control": 100, "entered_treatment": 1000, "converted_treatment": 150} {
		if err := c.add("u", k, v); err != nil {
			t.Fatal(err)
		}
	}
	if err := c.flush(); err != nil {
		t.Fatal(err)
	}
	if err := b.Commit(nil); err != nil {
		t.Fatal(err)
	}
	st, err := r.e.JourneyStats("u")
	if err != nil || st.Uplift == nil {
		t.Fatalf("%v %+v", err, st)
	}
	if d := st.Uplift.Relative.Lift - 0.5; d > 1e-9 || d < -1e-9 {
		t.Errorf("relative lift %v, want 0.5", st.Uplift.Relative.Lift)
	}
	if st.Uplift.ChanceToWin < 0.99 {
		t.Errorf("chance to win %v", st.Uplift.ChanceToWin)
	}
}

// TestInactivityFromHistory: an inactivity journey starting on a shop with
// history times each person from their last event in the store; people
// already past the period do not enter.
func TestInactivityFromHistory(t *testing.T) {
	r := newRig(t)
	now := r.clock.Now()
	r.e.cfg.LastDone = func(_ context.Context, event string) (map[string]time.Time, error) {
		if event != "Order Completed" {
			t.Errorf("asked for %q", event)
		}
		return map[string]time.Time{"p_recent": now.Add(-50 * 24 * time.Hour), "p_long_gone": now.Add(-90 * 24 * time.Hour)}, nil
	}
	r.define(Journey{ID: "idle60", Name: "Idle 60", Trigger: Trigger{Type: TriggerInactivity, Event: "Order Completed", Days: 60},
		Steps: []Step{note("winback")}})
	// The deadlines are set in the background after the start.
	deadline := time.Now().Add(10 * time.Second)
	for {
		var v int64
		if ok, _ := getJSON(r.e.db, idleKey("idle60", "p_recent"), &v); ok {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("no deadline from history")
		}
		time.Sleep(10 * time.Millisecond)
	}
	r.clock.Add(11 * 24 * time.Hour)
	time.Sleep(100 * time.Millisecond)
	r.settle()
	if got := r.notified("p_recent"); len(got) != 1 {
		t.Errorf("p_recent notified %v, want once (60 days after their last order)", got)
	}
	if got := r.notified("p_long_gone"); len(got) != 0 {
		t.Errorf("p_long_gone notified %v: already past the period when the journey started", got)
	}
}
