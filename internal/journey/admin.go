package journey

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"net/url"
	"slices"
	"strings"
	"time"

	"github.com/cockroachdb/pebble/v2"

	"github.com/tradewind/tradewind/internal/deliver"
	"github.com/tradewind/tradewind/internal/experiment"
	"github.com/tradewind/tradewind/internal/kvjson"
)

// Destination is a webhook destination.
type Destination struct {
	Name string `json:"name"`
	URL  string `json:"url"`
	// Secret signs every delivery; it is generated on creation and shown
	// only then.
	Secret string `json:"secret,omitempty"`
	// Concurrency and RatePerSecond bound this destination alone.
	Concurrency   int      `json:"concurrency"`
	RatePerSecond float64  `json:"rate_per_second"`
	Timeout       Duration `json:"timeout,omitempty"`
	// IncludePII sends the person's decrypted traits (a CRM that needs the
	// address); off, the body carries the profile id only.
	IncludePII bool      `json:"include_pii"`
	CreatedAt  time.Time `json:"created_at"`
	CreatedBy  string    `json:"created_by,omitempty"`
}

// Errors of the admin API.
var (
	ErrNotFound = errors.New("not found")
	ErrExists   = errors.New("already exists")
)

func (e *Engine) loadDefinitions(ctx context.Context) error {
	e.defs = &kvjson.Bucket[Journey]{JetStream: e.cfg.JetStream, Name: e.cfg.Bucket,
		Description: "tradewind journeys and destinations", Prefix: "journey."}
	e.destDefs = &kvjson.Bucket[Destination]{JetStream: e.cfg.JetStream, Name: e.cfg.Bucket,
		Description: "tradewind journeys and destinations", Prefix: "dest."}
	js, err := e.defs.All(ctx)
	if err != nil {
		return fmt.Errorf("journey: definitions: %w", err)
	}
	for i := range js {
		e.journeys[js[i].ID] = &js[i]
	}
	ds, err := e.destDefs.All(ctx)
	if err != nil {
		return fmt.Errorf("journey: destinations: %w", err)
	}
	for i := range ds {
		e.dests[ds[i].Name] = &ds[i]
	}
	return nil
}

// Summary is a journey's headline tallies, for lists.
type Summary struct {
	Entered   int64 `json:"entered"`
	Active    int64 `json:"active"`
	Converted int64 `json:"converted"`
}

// Summaries reads every journey's headline tallies at once.
func (e *Engine) Summaries() map[string]Summary {
	out := map[string]Summary{}
	for _, j := range e.Journeys() {
		m := map[string]int64{}
		if _, err := getJSON(e.db, []byte(prefCount+j.ID), &m); err != nil {
			continue
		}
		out[j.ID] = Summary{Entered: m["entered_treatment"] + m["entered_control"], Active: m["active"],
			Converted: m["converted_treatment"] + m["converted_control"]}
	}
	return out
}

// saveJourney and saveDest write definitions (an engine without
// JetStream, in tests of its logic, keeps them in memory only).
func (e *Engine) saveJourney(ctx context.Context, j *Journey) error {
	if e.defs == nil {
		return nil
	}
	return e.defs.Put(ctx, j.ID, *j)
}

func (e *Engine) saveDest(ctx context.Context, d *Destination) error {
	if e.destDefs == nil {
		return nil
	}
	return e.destDefs.Put(ctx, d.Name, *d)
}

// Journeys lists the definitions by id.
func (e *Engine) Journeys() []Journey {
	e.mu.Lock()
	defer e.mu.Unlock()
	out := make([]Journey, 0, len(e.journeys))
	for _, j := range e.journeys {
		out = append(out, *j)
	}
	slices.SortFunc(out, func(a, b Journey) int { return strings.Compare(a.ID, b.ID) })
	return out
}

// Journey returns one definition.
func (e *Engine) Journey(id string) (Journey, error) {
	e.mu.Lock()
	defer e.mu.Unlock()
	j, ok := e.journeys[id]
	if !ok {
		return Journey{}, fmt.Errorf("journey %q: %w", id, ErrNotFound)
	}
	return *j, nil
}

// Save creates (create) or replaces a definition. A running journey's
// steps may change: people mid-way continue at the step of the same index.
// The status is changed with SetStatus, not here.
func (e *Engine) Save(ctx context.Context, j Journey, create bool, by string) (Journey, []ContentIssue, error) {
	status := j.Status
	j.Status = ""
	if err := j.Validate(); err != nil {
		return Journey{}, nil, err
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	old, exists := e.journeys[j.ID]
	if create && exists {
		return Journey{}, nil, fmt.Errorf("journey %q: %w", j.ID, ErrExists)
	}
	if !create && !exists {
		return Journey{}, nil, fmt.Errorf("journey %q: %w", j.ID, ErrNotFound)
	}
	if err := e.checkDestinations(&j); err != nil {
		return Journey{}, nil, err
	}
	now := e.cfg.Now().UTC()
	j.Status, j.Version, j.CreatedAt, j.CreatedBy = StatusDraft, 1, now, by
	if exists {
		if old.Status == StatusStopped {
			return Journey{}, nil, errStopped
		}
		j.Status, j.Version, j.CreatedAt, j.CreatedBy = old.Status, old.Version+1, old.CreatedAt, old.CreatedBy
		j.StartedAt, j.StartSeq = old.StartedAt, old.StartSeq
	}
	_ = status
	j.UpdatedAt, j.UpdatedBy = now, by
	warnings, err := e.checkContent(&j)
	if err != nil && j.Status == StatusActive {
		return Journey{}, warnings, err
	}
	if j.Status == StatusActive {
		if err := e.ensureSegments(ctx, &j); err != nil {
			return Journey{}, nil, err
		}
	}
	if err := e.saveJourney(ctx, &j); err != nil {
		return Journey{}, nil, err
	}
	e.journeys[j.ID] = &j
	return j, warnings, nil
}

func (e *Engine) checkDestinations(j *Journey) error {
	for i, s := range j.Steps {
		if s.Type == StepWebhook && e.dests[s.Destination] == nil {
			return fieldErr(fmt.Sprintf("steps[%d].destination", i), "no webhook destination %q (create it first: POST /v1/destinations)", s.Destination)
		}
	}
	return nil
}

// ContentIssue is one content compliance finding on a journey's message,
// with where it is (step, locale variant, country) and its reason in both
// languages, so the dashboard shows it in the reader's.
type ContentIssue struct {
	Step     string `json:"step,omitempty"`
	Locale   string `json:"locale,omitempty"`
	Country  string `json:"country"`
	RuleID   string `json:"rule_id"`
	Severity string `json:"severity"` // warn or block
	Excerpt  string `json:"excerpt,omitempty"`
	Reason   Text   `json:"reason"`
	Source   string `json:"source"`
}

// Text is a message in English and Chinese.
type Text struct {
	EN string `json:"en"`
	ZH string `json:"zh"`
}

// String is the issue as one English line.
func (c ContentIssue) String() string {
	where := c.Country
	if c.Step != "" {
		where = fmt.Sprintf("step %s, %s variant, %s", c.Step, c.Locale, c.Country)
	}
	return fmt.Sprintf("%s: %s (%s: %q) — %s", where, c.Reason.EN, c.RuleID, c.Excerpt, c.Source)
}

func issueLines(issues []ContentIssue) []string {
	out := make([]string, len(issues))
	for i, c := range issues {
		out[i] = c.String()
	}
	return out
}

// ErrBlocked is returned when content compliance blocks a journey.
type ErrBlocked struct {
	// Reasons are the blocking issues as lines; Issues all of them.
	Reasons []string
	Issues  []ContentIssue
}

func (e *ErrBlocked) Error() string {
	return "content compliance blocks this journey: " + strings.Join(e.Reasons, "; ")
}

// checkContent runs every e-mail variant through the compliance check for
// the countries it may reach: warnings come back, blocks are an error
// (which carries the warnings too).
func (e *Engine) checkContent(j *Journey) ([]ContentIssue, error) {
	if e.cfg.Check == nil {
		return nil, nil
	}
	var warnings, blocks []ContentIssue
	for _, s := range j.Steps {
		if s.Type != StepEmail || s.Template == nil {
			continue
		}
		locales := make([]string, 0, len(s.Template.Variants))
		for loc := range s.Template.Variants {
			locales = append(locales, loc)
		}
		slices.Sort(locales)
		for _, loc := range locales {
			v := s.Template.Variants[loc]
			countries := j.Countries
			if len(countries) == 0 {
				countries = countriesOfLocale(loc)
			}
			for _, c := range countries {
				text, htmlBody := withFooter(v.Text, v.HTML, loc, checkURL, e.cfg.PostalAddress)
				_, issues := e.cfg.Check(c, "email", loc, v.Subject, text, htmlBody)
				for _, is := range issues {
					is.Step, is.Locale = s.ID, loc
					if is.Severity == "block" {
						blocks = append(blocks, is)
					} else {
						warnings = append(warnings, is)
					}
				}
			}
		}
	}
	if len(blocks) > 0 {
		return append(blocks, warnings...), &ErrBlocked{Reasons: issueLines(blocks), Issues: append(blocks, warnings...)}
	}
	return warnings, nil
}

// countriesOfLocale guesses where a locale's variant goes: its region, or
// the main markets of its language.
func countriesOfLocale(loc string) []string {
	parts := strings.FieldsFunc(loc, func(r rune) bool { return r == '-' || r == '_' })
	if len(parts) > 1 && len(parts[len(parts)-1]) == 2 {
		return []string{strings.ToUpper(parts[len(parts)-1])}
	}
	switch strings.ToLower(parts[0]) {
	case "zh":
		return []string{"CN"}
	case "ja":
		return []string{"JP"}
	case "ko":
		return []string{"KR"}
	case "de":
		return []string{"DE"}
	case "fr":
		return []string{"FR"}
	case "es":
		return []string{"ES", "MX"}
	case "it":
		return []string{"IT"}
	case "en":
		return []string{"US", "GB"}
	}
	return nil
}

// ensureSegments keeps the segments a running journey needs: its
// prediction trigger's, and the list segments its steps add people to.
func (e *Engine) ensureSegments(ctx context.Context, j *Journey) error {
	if j.Trigger.Type == TriggerPrediction {
		val, _ := json.Marshal(j.Trigger.Value)
		rule := fmt.Sprintf("%s %s %s", j.Trigger.Attribute, j.Trigger.Op, val)
		if err := e.cfg.People.EnsureSegment(ctx, predictionSegment(j.ID), "Journey "+j.Name+": "+rule, rule); err != nil {
			return fieldErr("trigger", "keeping its prediction segment: %v", err)
		}
	}
	for i, s := range j.Steps {
		if s.Type == StepAddToSegment || s.Type == StepRemoveFromSegment {
			if err := e.cfg.People.EnsureSegment(ctx, s.Segment, "List "+s.Segment, ListRule(s.Segment)); err != nil {
				return fieldErr(fmt.Sprintf("steps[%d].segment", i), "%v", err)
			}
		}
	}
	return nil
}

// SetStatus starts (active), pauses, resumes or stops a journey. Starting
// checks the content and marks the log position: only what happens after
// it triggers. Stopping is final: runs end, the outbox drops its actions.
func (e *Engine) SetStatus(ctx context.Context, id, status, by string) (Journey, []ContentIssue, error) {
	switch status {
	case StatusActive, StatusPaused, StatusStopped:
	default:
		return Journey{}, nil, fieldErr("status", "%q is not active, paused or stopped", status)
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	jp, ok := e.journeys[id]
	if !ok {
		return Journey{}, nil, fmt.Errorf("journey %q: %w", id, ErrNotFound)
	}
	j := *jp
	if j.Status == StatusStopped {
		return Journey{}, nil, errStopped
	}
	var warnings []ContentIssue
	if status == StatusActive {
		if err := e.checkDestinations(&j); err != nil {
			return Journey{}, nil, err
		}
		var err error
		if warnings, err = e.checkContent(&j); err != nil {
			return Journey{}, warnings, err
		}
		if err := e.ensureSegments(ctx, &j); err != nil {
			return Journey{}, nil, err
		}
		if j.StartSeq == 0 {
			last, err := e.cfg.Log.LastSeq(ctx)
			if err != nil {
				return Journey{}, nil, err
			}
			j.StartSeq, j.StartedAt = last, e.cfg.Now().UTC()
			// Nothing before the start is read: the log position moves
			// there if the engine was behind with nothing running.
			if len(e.active()) == 0 && e.applied.Load() < last {
				e.applied.Store(last)
			}
		}
	}
	j.Status, j.UpdatedAt, j.UpdatedBy = status, e.cfg.Now().UTC(), by
	j.Version++
	if err := e.saveJourney(ctx, &j); err != nil {
		return Journey{}, nil, err
	}
	e.journeys[id] = &j
	if status == StatusStopped {
		if err := e.endAll(&j); err != nil {
			return Journey{}, nil, err
		}
	}
	if status == StatusActive && j.Trigger.Type == TriggerBeforeNextOrder && e.cfg.PlanNext != nil {
		go func() {
			pctx := context.WithoutCancel(ctx)
			next, err := e.cfg.PlanNext(pctx)
			if err == nil {
				err = e.PlanNextOrders(pctx, next)
			}
			if err != nil {
				e.cfg.Logger.Error("journey next-order dates", "journey", id, "err", err)
			}
		}()
	}
	if status == StatusActive && j.Trigger.Type == TriggerInactivity && e.cfg.LastDone != nil {
		go func() {
			pctx := context.WithoutCancel(ctx)
			last, err := e.cfg.LastDone(pctx, j.Trigger.Event)
			if err == nil {
				err = e.planIdle(j.ID, last)
			}
			if err != nil {
				e.cfg.Logger.Error("journey inactivity deadlines from history", "journey", id, "err", err)
			}
		}()
	}
	return j, warnings, nil
}

// planIdle gives an inactivity journey the people history already knows:
// each person's quiet period runs from their last Event in the store, so
// someone who ordered 50 days ago enters a 60-day journey in 10 days, not
// only after their next order. People already past the period when the
// journey starts do not enter (it reacts to crossings), and a deadline an
// event has moved since is left alone.
func (e *Engine) planIdle(jid string, last map[string]time.Time) error {
	e.mu.Lock()
	defer e.mu.Unlock()
	j := e.journeys[jid]
	if j == nil || j.Status != StatusActive {
		return nil
	}
	days := time.Duration(j.Trigger.Days * float64(24*time.Hour))
	now := e.cfg.Now()
	b := e.db.NewIndexedBatch()
	defer b.Close()
	n := 0
	for pid, at := range last {
		deadline := at.Add(days)
		if !deadline.After(now) {
			continue
		}
		var cur int64
		if ok, err := getJSON(b, idleKey(jid, pid), &cur); err != nil {
			return err
		} else if ok && cur >= deadline.UnixNano() {
			continue // a newer event set it already
		}
		if err := setDeadline(b, timerIdle, jid, pid, deadline); err != nil {
			return err
		}
		n++
	}
	if err := b.Commit(e.syncOpt()); err != nil {
		return err
	}
	e.cfg.Logger.Info("journey inactivity deadlines from history", "journey", jid, "people", n)
	return nil
}

// endAll ends every run of a stopped journey (caller holds e.mu); its
// pending actions are skipped when their turn comes.
func (e *Engine) endAll(j *Journey) error {
	b := e.db.NewIndexedBatch()
	defer b.Close()
	tx := &txn{e: e, b: b, c: newCounters(b), now: e.cfg.Now(), people: map[string]*Person{}}
	pre := []byte(prefRun + j.ID + "/")
	it, err := e.db.NewIter(&pebble.IterOptions{LowerBound: pre, UpperBound: prefixEnd(pre)})
	if err != nil {
		return err
	}
	for ok := it.First(); ok; ok = it.Next() {
		var r run
		if json.Unmarshal(it.Value(), &r) != nil || r.Phase == phaseEnded {
			continue
		}
		if err := tx.end(j, string(it.Key()[len(pre):]), &r, "stopped"); err != nil {
			it.Close()
			return err
		}
	}
	it.Close()
	if err := tx.c.flush(); err != nil {
		return err
	}
	return b.Commit(e.syncOpt())
}

// Delete removes a journey that is not running, with its state.
func (e *Engine) Delete(ctx context.Context, id string) error {
	e.mu.Lock()
	defer e.mu.Unlock()
	j, ok := e.journeys[id]
	if !ok {
		return fmt.Errorf("journey %q: %w", id, ErrNotFound)
	}
	if j.Status == StatusActive || j.Status == StatusPaused {
		return fieldErr("status", "stop the journey before deleting it")
	}
	if e.defs != nil {
		if err := e.defs.Delete(ctx, id); err != nil {
			return err
		}
	}
	delete(e.journeys, id)
	b := e.db.NewBatch()
	for _, p := range []string{prefRun, prefIdle, prefSeen} {
		pre := []byte(p + id + "/")
		_ = b.DeleteRange(pre, prefixEnd(pre), nil)
	}
	_ = b.Delete([]byte(prefCount+id), nil)
	return b.Commit(e.syncOpt())
}

// Destinations lists the webhook destinations, without their secrets.
func (e *Engine) Destinations() []Destination {
	e.mu.Lock()
	defer e.mu.Unlock()
	out := make([]Destination, 0, len(e.dests))
	for _, d := range e.dests {
		c := *d
		c.Secret = ""
		out = append(out, c)
	}
	slices.SortFunc(out, func(a, b Destination) int { return strings.Compare(a.Name, b.Name) })
	return out
}

// SaveDestination creates a destination (its secret generated and
// returned this once) or changes one (the secret kept unless rotate).
func (e *Engine) SaveDestination(ctx context.Context, d Destination, create, rotate bool, by string) (Destination, error) {
	d.Name = strings.TrimSpace(d.Name)
	if !validID(d.Name) {
		return Destination{}, fieldErr("name", "%q must be 1–64 letters, digits, '-' or '_'", d.Name)
	}
	if err := deliver.Validate(d.URL); err != nil {
		return Destination{}, fieldErr("url", "%v", err)
	}
	if !e.cfg.AllowPrivateWebhooks {
		if u, err := url.Parse(d.URL); err == nil {
			host := u.Hostname()
			ip := net.ParseIP(host)
			if strings.EqualFold(host, "localhost") || strings.HasSuffix(strings.ToLower(host), ".localhost") || (ip != nil && !deliver.IsPublic(ip)) {
				return Destination{}, fieldErr("url", "%s is not a public address; internal destinations need the node's --webhook-allow-private", host)
			}
		}
	}
	if d.Concurrency < 0 || d.Concurrency > 64 {
		return Destination{}, fieldErr("concurrency", "must be between 1 and 64")
	}
	if d.RatePerSecond < 0 {
		return Destination{}, fieldErr("rate_per_second", "must not be negative")
	}
	if d.Timeout < 0 || time.Duration(d.Timeout) > time.Minute {
		return Destination{}, fieldErr("timeout", "must be at most 1m")
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	old, exists := e.dests[d.Name]
	if create && exists {
		return Destination{}, fmt.Errorf("destination %q: %w", d.Name, ErrExists)
	}
	if !create && !exists {
		return Destination{}, fmt.Errorf("destination %q: %w", d.Name, ErrNotFound)
	}
	if d.Concurrency == 0 {
		d.Concurrency = 8
	}
	d.CreatedAt, d.CreatedBy = e.cfg.Now().UTC(), by
	shown := ""
	if exists {
		d.CreatedAt, d.CreatedBy, d.Secret = old.CreatedAt, old.CreatedBy, old.Secret
	}
	if !exists || rotate {
		buf := make([]byte, 32)
		_, _ = rand.Read(buf)
		d.Secret = "whsec_" + hex.EncodeToString(buf)
		shown = d.Secret
	}
	if err := e.saveDest(ctx, &d); err != nil {
		return Destination{}, err
	}
	e.dests[d.Name] = &d
	out := d
	out.Secret = shown
	return out, nil
}

// DeleteDestination removes a destination no journey uses.
func (e *Engine) DeleteDestination(ctx context.Context, name string) error {
	e.mu.Lock()
	defer e.mu.Unlock()
	if _, ok := e.dests[name]; !ok {
		return fmt.Errorf("destination %q: %w", name, ErrNotFound)
	}
	for _, j := range e.journeys {
		for _, s := range j.Steps {
			if s.Type == StepWebhook && s.Destination == name && j.Status != StatusStopped {
				return fieldErr("name", "journey %s uses it", j.ID)
			}
		}
	}
	if e.destDefs != nil {
		if err := e.destDefs.Delete(ctx, name); err != nil {
			return err
		}
	}
	delete(e.dests, name)
	return nil
}

// Stats are a journey's tallies: people entered and converted per arm,
// at each step, and deliveries by outcome; with the uplift of treatment
// over control.
type Stats struct {
	Journey  string           `json:"journey"`
	Counters map[string]int64 `json:"counters"`
	// Active people now in the journey; Watching abandoned checkouts not
	// yet abandoned long enough.
	Active   int64       `json:"active"`
	Watching int64       `json:"watching"`
	Steps    []StepStats `json:"steps"`
	Arms     []ArmStats  `json:"arms"`
	Outbox   int         `json:"outbox"`
	Dead     int         `json:"dead"`
	// Uplift is the treatment's goal conversion against the control's,
	// with the experiment statistics (Welch interval on the relative and
	// absolute lift, chance to win); absent without a goal and a control
	// group, or while either arm has no variance (UpliftNote says why).
	Uplift     *experiment.Comparison `json:"uplift,omitempty"`
	UpliftNote string                 `json:"uplift_note,omitempty"`
}

// StepStats tallies one step.
type StepStats struct {
	ID   string `json:"id"`
	Type string `json:"type"`
	// Now is how many people are at this (wait) step now.
	Now       int64 `json:"now"`
	Reached   int64 `json:"reached"`
	Delivered int64 `json:"delivered"`
	Skipped   int64 `json:"skipped"`
	Dead      int64 `json:"dead"`
}

// ArmStats are an arm's entries and goal conversions.
type ArmStats struct {
	Arm       string  `json:"arm"`
	Entered   int64   `json:"entered"`
	Converted int64   `json:"converted"`
	Rate      float64 `json:"conversion_rate"`
}

// JourneyStats reads a journey's tallies.
func (e *Engine) JourneyStats(id string) (*Stats, error) {
	j, err := e.Journey(id)
	if err != nil {
		return nil, err
	}
	m := map[string]int64{}
	if _, err := getJSON(e.db, []byte(prefCount+id), &m); err != nil {
		return nil, err
	}
	s := &Stats{Journey: id, Counters: m, Active: m["active"], Watching: m["watching"], Steps: []StepStats{}}
	for _, st := range j.Steps {
		s.Steps = append(s.Steps, StepStats{ID: st.ID, Type: st.Type, Now: m["at:"+st.ID], Reached: m["reached:"+st.ID],
			Delivered: m[Delivered+":"+st.ID], Skipped: m[Skipped+":"+st.ID], Dead: m[Dead+":"+st.ID]})
	}
	for _, arm := range []string{"treatment", "control"} {
		a := ArmStats{Arm: arm, Entered: m["entered_"+arm], Converted: m["converted_"+arm]}
		if a.Entered > 0 {
			a.Rate = float64(a.Converted) / float64(a.Entered)
		}
		s.Arms = append(s.Arms, a)
	}
	s.Outbox = e.countOutbox(id, prefOutbox)
	s.Dead = e.countOutbox(id, prefDead)
	switch {
	case j.Goal == nil:
		s.UpliftNote = "no goal: nothing to measure an uplift on"
	case j.ControlPercent == 0:
		s.UpliftNote = "no control group"
	default:
		ctl := experiment.Variant{Name: "control", Stat: experiment.Stat{Type: experiment.Proportion, N: m["entered_control"], Sum: float64(m["converted_control"])}}
		trt := experiment.Variant{Name: "treatment", Stat: experiment.Stat{Type: experiment.Proportion, N: m["entered_treatment"], Sum: float64(m["converted_treatment"])}}
		if ctl.N == 0 || trt.N == 0 {
			s.UpliftNote = "an arm has nobody yet"
			break
		}
		cmp, err := experiment.Compare(ctl, trt, experiment.Options{})
		if err != nil {
			s.UpliftNote = err.Error()
			break
		}
		s.Uplift = cmp
	}
	return s, nil
}

func (e *Engine) countOutbox(jid, prefix string) int {
	it, err := e.db.NewIter(&pebble.IterOptions{LowerBound: []byte(prefix), UpperBound: prefixEnd([]byte(prefix))})
	if err != nil {
		return 0
	}
	defer it.Close()
	n := 0
	for ok := it.First(); ok; ok = it.Next() {
		var a action
		if json.Unmarshal(it.Value(), &a) == nil && a.Journey == jid {
			n++
		}
	}
	return n
}

// Deliveries lists a person's delivery log (person != "") or a journey's
// (journey != ""), newest first.
func (e *Engine) Deliveries(person, journey string, limit int) ([]Delivery, error) {
	if limit <= 0 || limit > 1000 {
		limit = 100
	}
	var pre []byte
	switch {
	case person != "":
		pre = []byte(prefLogP + person + "\x00")
	case journey != "":
		pre = []byte(prefLogJ + journey + "\x00")
	default:
		return nil, fieldErr("person", "give a person or a journey")
	}
	it, err := e.db.NewIter(&pebble.IterOptions{LowerBound: pre, UpperBound: prefixEnd(pre)})
	if err != nil {
		return nil, err
	}
	defer it.Close()
	out := []Delivery{}
	for ok := it.Last(); ok && len(out) < limit; ok = it.Prev() {
		var d Delivery
		if json.Unmarshal(it.Value(), &d) == nil {
			out = append(out, d)
		}
	}
	// A person's pending actions come first: they are what happens next.
	if person != "" {
		pending, err := e.pending(person)
		if err != nil {
			return nil, err
		}
		out = append(pending, out...)
	}
	return out, nil
}

func (e *Engine) pending(person string) ([]Delivery, error) {
	it, err := e.db.NewIter(&pebble.IterOptions{LowerBound: []byte(prefOutbox), UpperBound: prefixEnd([]byte(prefOutbox))})
	if err != nil {
		return nil, err
	}
	defer it.Close()
	var out []Delivery
	for ok := it.First(); ok; ok = it.Next() {
		var a action
		if json.Unmarshal(it.Value(), &a) == nil && a.Person == person {
			reason := a.LastErr
			if a.Deferred != "" {
				reason = "deferred: " + a.Deferred
			}
			out = append(out, Delivery{ID: a.ID, Journey: a.Journey, Person: a.Person, Step: a.Step, Kind: a.Kind,
				Status: "pending", Reason: reason, Attempts: a.Attempts, At: a.DueAt})
		}
	}
	return out, nil
}

// DeadLetter is an action that gave up, with its last error.
type DeadLetter struct {
	ID       string    `json:"id"`
	Journey  string    `json:"journey"`
	Person   string    `json:"person"`
	Step     string    `json:"step"`
	Kind     string    `json:"kind"`
	Attempts int       `json:"attempts"`
	Error    string    `json:"error"`
	Created  time.Time `json:"created"`
}

// DeadLetters lists the dead-letter queue (a journey's, or all).
func (e *Engine) DeadLetters(journey string, limit int) ([]DeadLetter, error) {
	if limit <= 0 || limit > 1000 {
		limit = 100
	}
	it, err := e.db.NewIter(&pebble.IterOptions{LowerBound: []byte(prefDead), UpperBound: prefixEnd([]byte(prefDead))})
	if err != nil {
		return nil, err
	}
	defer it.Close()
	out := []DeadLetter{}
	for ok := it.First(); ok && len(out) < limit; ok = it.Next() {
		var a action
		if json.Unmarshal(it.Value(), &a) != nil || (journey != "" && a.Journey != journey) {
			continue
		}
		out = append(out, DeadLetter{ID: a.ID, Journey: a.Journey, Person: a.Person, Step: a.Step, Kind: a.Kind,
			Attempts: a.Attempts, Error: a.LastErr, Created: a.Created})
	}
	return out, nil
}

// Replay puts dead letters back in the outbox (the ids given, or all of a
// journey's, or all): they keep their ids, so receivers that did get a
// first attempt can drop the repeat.
func (e *Engine) Replay(ids []string, journey string) (int, error) {
	e.mu.Lock()
	defer e.mu.Unlock()
	b := e.db.NewIndexedBatch()
	defer b.Close()
	want := map[string]bool{}
	for _, id := range ids {
		want[id] = true
	}
	it, err := e.db.NewIter(&pebble.IterOptions{LowerBound: []byte(prefDead), UpperBound: prefixEnd([]byte(prefDead))})
	if err != nil {
		return 0, err
	}
	n := 0
	now := e.cfg.Now()
	for ok := it.First(); ok; ok = it.Next() {
		var a action
		if json.Unmarshal(it.Value(), &a) != nil {
			continue
		}
		if len(want) > 0 && !want[a.ID] || journey != "" && a.Journey != journey {
			continue
		}
		a.Attempts, a.DueAt, a.LastErr = 0, now, ""
		_ = b.Delete(append([]byte{}, it.Key()...), nil)
		_ = b.Delete([]byte(prefDone+a.ID), nil)
		if err := setJSON(b, []byte(prefOutbox+a.ID), &a); err != nil {
			it.Close()
			return 0, err
		}
		_ = b.Set(dueKey(a.Lane, now, a.ID), nil, nil)
		n++
	}
	it.Close()
	if err := b.Commit(e.syncOpt()); err != nil {
		return 0, err
	}
	e.poke()
	return n, nil
}

// Unsubscribe records a person's opt-out of a channel: nothing more of
// that channel goes to them, whatever the journey.
func (e *Engine) Unsubscribe(pid, channel, reason string) error {
	return e.Suppress([]Suppression{{Key: pid, Channel: channel, Reason: reason}})
}

// Suppression is an entry of the suppression list: a profile id, or an
// address's token (EmailKey), that a channel never reaches.
type Suppression struct {
	Key     string    `json:"key"`
	Channel string    `json:"channel"`
	Reason  string    `json:"reason"`
	At      time.Time `json:"at"`
}

// EmailKey is the suppression key of an address's blind-index token.
func EmailKey(token string) string { return "email:" + token }

// Suppress adds entries to the suppression list.
func (e *Engine) Suppress(entries []Suppression) error {
	e.mu.Lock()
	defer e.mu.Unlock()
	b := e.db.NewBatch()
	now := e.cfg.Now().UTC()
	for _, s := range entries {
		if err := setJSON(b, []byte(prefSupp+s.Key+"\x00"+s.Channel), map[string]any{"reason": s.Reason, "at": now}); err != nil {
			return err
		}
	}
	return b.Commit(e.syncOpt())
}

// Unsuppress removes entries from the suppression list.
func (e *Engine) Unsuppress(entries []Suppression) error {
	e.mu.Lock()
	defer e.mu.Unlock()
	b := e.db.NewBatch()
	for _, s := range entries {
		_ = b.Delete([]byte(prefSupp+s.Key+"\x00"+s.Channel), nil)
	}
	return b.Commit(e.syncOpt())
}

// Suppressions lists the suppression list, at most limit entries.
func (e *Engine) Suppressions(limit int) ([]Suppression, error) {
	if limit <= 0 || limit > 10000 {
		limit = 1000
	}
	it, err := e.db.NewIter(&pebble.IterOptions{LowerBound: []byte(prefSupp), UpperBound: prefixEnd([]byte(prefSupp))})
	if err != nil {
		return nil, err
	}
	defer it.Close()
	out := []Suppression{}
	for ok := it.First(); ok && len(out) < limit; ok = it.Next() {
		key, channel, _ := strings.Cut(string(it.Key()[len(prefSupp):]), "\x00")
		var v struct {
			Reason string    `json:"reason"`
			At     time.Time `json:"at"`
		}
		_ = json.Unmarshal(it.Value(), &v)
		out = append(out, Suppression{Key: key, Channel: channel, Reason: v.Reason, At: v.At})
	}
	return out, nil
}

// Forget deletes everything the engine holds of an erased person: runs,
// pending actions, delivery log, caps and suppression.
func (e *Engine) Forget(pids []string) error {
	e.mu.Lock()
	defer e.mu.Unlock()
	b := e.db.NewIndexedBatch()
	defer b.Close()
	for _, pid := range pids {
		for _, p := range []string{prefLogP, prefFreq, prefSupp} {
			pre := []byte(p + pid + "\x00")
			_ = b.DeleteRange(pre, prefixEnd(pre), nil)
		}
		for jid := range e.journeys {
			var r run
			if ok, _ := getJSON(b, runKey(jid, pid), &r); ok && !r.WakeAt.IsZero() {
				_ = b.Delete(timerKey(r.WakeAt, jid, pid), nil)
			}
			_ = b.Delete(runKey(jid, pid), nil)
			var idle int64
			if ok, _ := getJSON(b, idleKey(jid, pid), &idle); ok {
				_ = b.Delete(timerKey(time.Unix(0, idle), jid, pid+timerSuffix(timerIdle)), nil)
			}
			_ = b.Delete(idleKey(jid, pid), nil)
			pre := []byte(prefSeen + jid + "/" + pid + "/")
			_ = b.DeleteRange(pre, prefixEnd(pre), nil)
		}
	}
	// Actions and journey logs name the person inside their values.
	drop := map[string]bool{}
	for _, pid := range pids {
		drop[pid] = true
	}
	for _, pre := range []string{prefOutbox, prefDead, prefDone} {
		it, err := b.NewIter(&pebble.IterOptions{LowerBound: []byte(pre), UpperBound: prefixEnd([]byte(pre))})
		if err != nil {
			return err
		}
		for ok := it.First(); ok; ok = it.Next() {
			var a action
			if json.Unmarshal(it.Value(), &a) == nil && drop[a.Person] {
				_ = b.Delete(append([]byte{}, it.Key()...), nil)
				if pre == prefOutbox {
					_ = b.Delete(dueKey(a.Lane, a.DueAt, a.ID), nil)
				}
			}
		}
		it.Close()
	}
	it, err := b.NewIter(&pebble.IterOptions{LowerBound: []byte(prefLogJ), UpperBound: prefixEnd([]byte(prefLogJ))})
	if err != nil {
		return err
	}
	for ok := it.First(); ok; ok = it.Next() {
		var d Delivery
		if json.Unmarshal(it.Value(), &d) == nil && drop[d.Person] {
			_ = b.Delete(append([]byte{}, it.Key()...), nil)
		}
	}
	it.Close()
	return b.Commit(pebble.Sync)
}

// countDue counts the outbox's actions due at now, over every lane.
func (e *Engine) countDue(now time.Time) int {
	it, err := e.db.NewIter(&pebble.IterOptions{LowerBound: prefDue, UpperBound: prefixEnd(prefDue)})
	if err != nil {
		return 0
	}
	defer it.Close()
	n := 0
	for ok := it.First(); ok; ok = it.Next() {
		rest := it.Key()[len(prefDue):]
		if i := bytes.IndexByte(rest, 0); i >= 0 && len(rest) >= i+1+8 && !nanosOf(rest[i+1:], 0).After(now) {
			n++
		}
	}
	return n
}
