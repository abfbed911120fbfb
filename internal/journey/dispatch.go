package journey

import (
	"bytes"
	"context"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/cockroachdb/pebble/v2"

	"github.com/tradewind/tradewind/internal/deliver"
	"github.com/tradewind/tradewind/internal/segment"
)

// Delivery defaults.
const (
	defaultMaxAttempts = 8
	retryBase          = 2 * time.Second
	retryMax           = 30 * time.Minute
)

// laneConfig isolates each destination: its own workers and rate, so a
// slow or failing one never holds up another.
func (e *Engine) laneConfig(dest string) deliver.LaneConfig {
	// By default a destination gets 8 deliveries in flight and no rate
	// limit: a receiver that wants less says so in its settings.
	c := deliver.LaneConfig{Concurrency: 8, Queue: 4000}
	if name, ok := strings.CutPrefix(dest, "webhook:"); ok {
		e.mu.Lock()
		d := e.dests[name]
		e.mu.Unlock()
		if d != nil {
			if d.Concurrency > 0 {
				c.Concurrency = d.Concurrency
			}
			if d.RatePerSecond > 0 {
				c.RatePerSecond = d.RatePerSecond
				c.Burst = max(1, int(d.RatePerSecond))
			}
		}
	}
	return c
}

func (e *Engine) dispatchLoop(ctx context.Context) {
	t := time.NewTicker(e.cfg.Tick)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		case <-e.wake:
		}
		if err := e.dispatch(ctx); err != nil && ctx.Err() == nil {
			e.cfg.Logger.Error("journey dispatcher failed", "err", err)
		}
	}
}

// dispatch hands the due actions to their lanes, lane by lane. A lane
// already holding an action (queued or in flight) refuses it again, so a
// rescan never delivers one action twice at once; a lane whose queue is
// full is left until the next scan, and the next lane is read: a lane with
// a backlog (a slow destination, a long wait ending for a million people)
// neither hides another's actions nor is re-read in full every tick.
func (e *Engine) dispatch(ctx context.Context) error {
	now := e.cfg.Now()
	it, err := e.db.NewIter(&pebble.IterOptions{LowerBound: prefDue, UpperBound: prefixEnd(prefDue)})
	if err != nil {
		return err
	}
	defer it.Close()
	for ok := it.First(); ok; {
		rest := it.Key()[len(prefDue):]
		i := bytes.IndexByte(rest, 0)
		if i < 0 || len(rest) < i+1+8 {
			ok = it.Next()
			continue
		}
		lane := string(rest[:i])
		lanePrefix := []byte(string(prefDue) + lane + "\x00")
		for ok = it.SeekGE(lanePrefix); ok && bytes.HasPrefix(it.Key(), lanePrefix); ok = it.Next() {
			k := it.Key()[len(lanePrefix):]
			if nanosOf(k, 0).After(now) {
				break // this lane's next action is not due yet
			}
			id := string(k[8:])
			if e.lanes.Holds(lane, id) {
				continue // on its way already
			}
			var a action
			found, err := getJSON(e.db, []byte(prefOutbox+id), &a)
			if err != nil {
				return err
			}
			if !found {
				continue
			}
			if !e.lanes.Submit(lane, a.ID, func(context.Context) {
				if err := e.deliver(ctx, a.ID); err != nil && ctx.Err() == nil {
					e.cfg.Logger.Error("journey delivery failed", "action", a.ID, "err", err)
				}
			}) && e.lanes.Full(lane) {
				break
			}
		}
		// On to the next lane.
		ok = it.SeekGE(prefixEnd(lanePrefix))
	}
	return nil
}

// laneOf is a step's delivery lane.
func laneOf(s *Step) string {
	switch s.Type {
	case StepWebhook:
		return "webhook:" + s.Destination
	case StepNotify:
		return "notify"
	case StepSetTrait, StepAddToSegment, StepRemoveFromSegment:
		return "profile"
	}
	return s.Type
}

// outcome is what one delivery attempt came to.
type outcome struct {
	status   string // delivered, skipped, retry, dead, defer
	reason   string
	retryAt  time.Time
	locale   string
	channel  string // counted for frequency caps when delivered
	deferred string
}

// deliver makes one attempt at an action and commits its outcome.
func (e *Engine) deliver(ctx context.Context, id string) error {
	var a action
	found, err := getJSON(e.db, []byte(prefOutbox+id), &a)
	if err != nil || !found {
		return err
	}
	e.mu.Lock()
	j := e.journeys[a.Journey]
	var step *Step
	if j != nil {
		if i := j.stepIndex(a.Step); i >= 0 {
			s := j.Steps[i]
			step = &s
		}
	}
	var jcopy Journey
	if j != nil {
		jcopy = *j
	}
	e.mu.Unlock()
	var out outcome
	switch {
	case j == nil || step == nil || j.Status == StatusStopped:
		out = outcome{status: Skipped, reason: "the journey or its step no longer exists or was stopped"}
	case j.Status == StatusPaused:
		out = outcome{status: "defer", retryAt: e.cfg.Now().Add(30 * time.Second), reason: "journey paused"}
	default:
		a.Attempts++
		out = e.attempt(ctx, &jcopy, step, &a)
	}
	return e.finish(&a, out)
}

// attempt runs the guards and sends.
func (e *Engine) attempt(ctx context.Context, j *Journey, s *Step, a *action) outcome {
	switch s.Type {
	case StepWebhook:
		return e.sendWebhook(ctx, j, s, a)
	case StepEmail:
		return e.sendEmail(ctx, j, s, a)
	case StepNotify:
		if e.cfg.Notify == nil {
			return outcome{status: Skipped, reason: "no team inbox configured"}
		}
		person := a.Person
		if strings.HasPrefix(person, "alert:") {
			person = ""
		}
		if err := e.cfg.Notify(ctx, j.ID, s.ID, s.Message, person); err != nil {
			return e.retryOrDead(a, err)
		}
		return outcome{status: Delivered}
	case StepSetTrait, StepAddToSegment, StepRemoveFromSegment:
		traits := map[string]any{s.Trait: s.Value}
		switch s.Type {
		case StepAddToSegment:
			traits = map[string]any{ListTrait(s.Segment): "member"}
		case StepRemoveFromSegment:
			traits = map[string]any{ListTrait(s.Segment): "removed"}
		}
		if err := e.cfg.People.SetTraits(ctx, a.Person, a.ID, traits); err != nil {
			var pe *PersonError
			if errors.As(err, &pe) {
				return outcome{status: Skipped, reason: pe.Reason}
			}
			return e.retryOrDead(a, err)
		}
		return outcome{status: Delivered}
	}
	return outcome{status: Skipped, reason: "unknown step type " + s.Type}
}

// webhookBody is the JSON a webhook destination receives.
type webhookBody struct {
	ID        string          `json:"id"`
	Journey   string          `json:"journey"`
	Step      string          `json:"step"`
	ProfileID string          `json:"profile_id,omitempty"`
	Entry     int             `json:"entry"`
	Trigger   json.RawMessage `json:"trigger,omitempty"`
	CreatedAt time.Time       `json:"created_at"`
	// Traits are the person's traits when the destination may receive
	// personal data (include_pii).
	Traits map[string]any `json:"traits,omitempty"`
}

func (e *Engine) sendWebhook(ctx context.Context, j *Journey, s *Step, a *action) outcome {
	e.mu.Lock()
	d := e.dests[s.Destination]
	e.mu.Unlock()
	if d == nil {
		return outcome{status: Dead, reason: fmt.Sprintf("no webhook destination %q", s.Destination)}
	}
	body := webhookBody{ID: a.ID, Journey: j.ID, Step: s.ID, Entry: a.Entry, Trigger: a.Trigger, CreatedAt: a.Created.UTC()}
	if !strings.HasPrefix(a.Person, "alert:") {
		body.ProfileID = a.Person
		if d.IncludePII {
			p, err := e.cfg.People.Person(ctx, a.Person)
			if err != nil {
				return e.retryOrDead(a, err)
			}
			if p != nil {
				body.Traits = p.Traits
			}
		}
	}
	raw, err := json.Marshal(body)
	if err != nil {
		return outcome{status: Dead, reason: err.Error()}
	}
	w := deliver.Webhook{URL: d.URL, Secret: []byte(d.Secret), Timeout: time.Duration(d.Timeout), Client: e.hooks}
	if err := w.Send(ctx, a.ID, raw); err != nil {
		return e.retryOrDead(a, err)
	}
	if !a.Created.IsZero() && a.Attempts == 1 {
		e.observeLatency(a)
	}
	return outcome{status: Delivered}
}

// observeLatency records trigger-to-delivery time of an action that had no
// wait before it.
func (e *Engine) observeLatency(a *action) {
	var t struct {
		At time.Time `json:"at"`
	}
	if json.Unmarshal(a.Trigger, &t) == nil && !t.At.IsZero() && a.Created.Sub(t.At) < time.Minute {
		e.latency.Observe(e.cfg.Now().Sub(t.At).Seconds())
	}
}

func (e *Engine) sendEmail(ctx context.Context, j *Journey, s *Step, a *action) outcome {
	if e.cfg.Mailer == nil {
		return outcome{status: Dead, reason: "no SMTP server configured (--smtp-url)"}
	}
	if e.cfg.UnsubscribeURL == nil {
		return outcome{status: Dead, reason: "no unsubscribe link can be made (no public URL configured)"}
	}
	p, err := e.cfg.People.Person(ctx, a.Person)
	if err != nil {
		return e.retryOrDead(a, err)
	}
	if p == nil {
		return outcome{status: Skipped, reason: "the person no longer exists (erased or merged away)"}
	}
	if p.Email == "" {
		return outcome{status: Skipped, reason: "no e-mail address known"}
	}
	granted, decided := p.Consent[segment.PurposeEmail]
	if decided && !granted {
		return outcome{status: Skipped, reason: "the person refused e-mail"}
	}
	if !decided && j.Consent == "required" {
		return outcome{status: Skipped, reason: "no e-mail consent recorded (the journey requires it)"}
	}
	if why, ok := e.suppressedPerson(p, "email"); ok {
		return outcome{status: Skipped, reason: "suppressed: " + why}
	}
	now := e.cfg.Now()
	if at, why := e.cfg.SendRules.Next(now, personZone(p), p.Country, e.cfg.Calendar); why != "" && at.After(now) {
		return outcome{status: "defer", retryAt: at, reason: why, deferred: why}
	}
	if why, ok := e.capped(a.Person, "email", now); ok {
		return outcome{status: Skipped, reason: why}
	}
	tpl, err := e.template(j, s)
	if err != nil {
		return outcome{status: Dead, reason: err.Error()}
	}
	data := map[string]any{"first_name": p.FirstName, "traits": p.Traits, "computed": p.Computed,
		"trigger": jsonAny(a.Trigger), "profile_id": p.ID}
	msg, err := tpl.Render(p.Locale, data)
	if err != nil {
		return outcome{status: Dead, reason: "template: " + err.Error()}
	}
	unsub := e.cfg.UnsubscribeURL(a.Person, "email")
	msg.Text, msg.HTML = withFooter(msg.Text, msg.HTML, msg.Locale, unsub, e.cfg.PostalAddress)
	if e.cfg.Check != nil {
		verdict, issues := e.cfg.Check(p.Country, "email", msg.Locale, msg.Subject, msg.Text, msg.HTML)
		if verdict == "block" {
			return outcome{status: Skipped, reason: "content compliance blocked it for " + p.Country + ": " + strings.Join(issueLines(issues), "; ")}
		}
	}
	// One-click List-Unsubscribe (RFC 8058) must be https; a node served
	// over plain http (a laptop) keeps the link in the footer only.
	header := unsub
	if !strings.HasPrefix(unsub, "https://") {
		header = ""
	}
	err = e.cfg.Mailer.Send(ctx, deliver.Email{MessageID: deliver.MessageID(a.ID, e.cfg.MailDomain), To: p.Email,
		Subject: msg.Subject, Text: msg.Text, HTML: msg.HTML, UnsubscribeURL: header,
		Headers: map[string]string{"X-Tradewind-Journey": j.ID}})
	if err != nil {
		o := e.retryOrDead(a, err)
		o.locale = msg.Locale
		return o
	}
	return outcome{status: Delivered, locale: msg.Locale, channel: "email"}
}

func jsonAny(raw json.RawMessage) any {
	var v any
	_ = json.Unmarshal(raw, &v)
	return v
}

// retryOrDead turns a send error into a retry with back-off, or a dead
// letter when it is permanent or out of attempts.
func (e *Engine) retryOrDead(a *action, err error) outcome {
	if deliver.IsPermanent(err) || a.Attempts >= defaultMaxAttempts {
		return outcome{status: Dead, reason: err.Error()}
	}
	wait := deliver.Backoff(a.Attempts, retryBase, retryMax)
	if ra, ok := deliver.RetryAfter(err); ok && ra > wait {
		wait = ra
	}
	return outcome{status: "retry", reason: err.Error(), retryAt: e.cfg.Now().Add(wait)}
}

// finish commits an attempt's outcome: the action leaves the outbox with a
// record, or stays with its next due time.
func (e *Engine) finish(a *action, out outcome) error {
	e.mu.Lock()
	defer e.mu.Unlock()
	b := e.db.NewIndexedBatch()
	defer b.Close()
	// The action may have been erased meanwhile.
	var cur action
	if ok, err := getJSON(b, []byte(prefOutbox+a.ID), &cur); err != nil || !ok {
		return err
	}
	if err := b.Delete(dueKey(cur.Lane, cur.DueAt, a.ID), nil); err != nil {
		return err
	}
	now := e.cfg.Now()
	switch out.status {
	case "retry", "defer":
		a.DueAt = out.retryAt
		a.LastErr = out.reason
		if out.deferred != "" {
			a.Deferred = out.deferred
		}
		if out.status == "defer" && a.Attempts > 0 {
			a.Attempts-- // waiting for an allowed hour is not a failure
		}
		if err := setJSON(b, []byte(prefOutbox+a.ID), a); err != nil {
			return err
		}
		if err := b.Set(dueKey(a.Lane, a.DueAt, a.ID), nil, nil); err != nil {
			return err
		}
		return b.Commit(e.syncOpt())
	}
	if err := b.Delete([]byte(prefOutbox+a.ID), nil); err != nil {
		return err
	}
	rec := Delivery{ID: a.ID, Journey: a.Journey, Person: a.Person, Step: a.Step, Kind: a.Kind, Status: out.status,
		Reason: out.reason, Attempts: a.Attempts, At: now, Locale: out.locale}
	if out.status == Dead {
		a.LastErr = out.reason
		if err := setJSON(b, []byte(prefDead+a.ID), a); err != nil {
			return err
		}
	}
	if err := setJSON(b, []byte(prefDone+a.ID), &rec); err != nil {
		return err
	}
	if err := setJSON(b, logKeyP(a.Person, now, a.ID), &rec); err != nil {
		return err
	}
	if err := setJSON(b, logKeyJ(a.Journey, now, a.ID), &rec); err != nil {
		return err
	}
	if out.channel != "" {
		if err := e.recordSend(b, a.Person, out.channel, now); err != nil {
			return err
		}
	}
	c := newCounters(b)
	if err := c.add(a.Journey, out.status+":"+a.Step, 1); err != nil {
		return err
	}
	if err := c.flush(); err != nil {
		return err
	}
	e.delivered.WithLabelValues(a.Kind, out.status).Inc()
	return b.Commit(e.syncOpt())
}

func logKeyP(pid string, at time.Time, id string) []byte {
	return nanosKey([]byte(prefLogP+pid+"\x00"), at, id)
}

func logKeyJ(jid string, at time.Time, id string) []byte {
	return nanosKey([]byte(prefLogJ+jid+"\x00"), at, id)
}

// Suppressed reports whether a person opted out of a channel, and why.
func (e *Engine) Suppressed(pid, channel string) (string, bool) { return e.suppressed(pid, channel) }

// suppressed reports whether a person opted out of a channel.
func (e *Engine) suppressed(pid, channel string) (string, bool) {
	var s struct {
		Reason string `json:"reason"`
	}
	ok, _ := getJSON(e.db, []byte(prefSupp+pid+"\x00"+channel), &s)
	return s.Reason, ok
}

// suppressedPerson checks a person's own suppression and their address's.
func (e *Engine) suppressedPerson(p *Person, channel string) (string, bool) {
	if why, ok := e.suppressed(p.ID, channel); ok {
		return why, true
	}
	if p.EmailToken != "" && channel == "email" {
		return e.suppressed(EmailKey(p.EmailToken), channel)
	}
	return "", false
}

// capped reports whether a frequency cap holds a person's next message.
func (e *Engine) capped(pid, channel string, now time.Time) (string, bool) {
	var sends []int64
	if _, err := getJSON(e.db, []byte(prefFreq+pid+"\x00"+channel), &sends); err != nil {
		return "", false
	}
	for _, c := range e.cfg.Caps[channel] {
		n := 0
		for _, s := range sends {
			if now.Sub(time.Unix(0, s)) < c.Window {
				n++
			}
		}
		if n >= c.Max {
			return fmt.Sprintf("frequency cap: %d %s per %s reached", c.Max, channel, fmtWindow(c.Window)), true
		}
	}
	return "", false
}

func fmtWindow(d time.Duration) string {
	if d%(24*time.Hour) == 0 {
		return fmt.Sprintf("%dd", d/(24*time.Hour))
	}
	return d.String()
}

// recordSend remembers a send for the caps (only as far back as the
// longest cap looks).
func (e *Engine) recordSend(b *pebble.Batch, pid, channel string, now time.Time) error {
	key := []byte(prefFreq + pid + "\x00" + channel)
	var sends []int64
	if _, err := getJSON(b, key, &sends); err != nil {
		return err
	}
	var longest time.Duration
	for _, c := range e.cfg.Caps[channel] {
		longest = max(longest, c.Window)
	}
	kept := sends[:0]
	for _, s := range sends {
		if now.Sub(time.Unix(0, s)) < longest {
			kept = append(kept, s)
		}
	}
	return setJSON(b, key, append(kept, now.UnixNano()))
}

// template compiles a step's template once per definition version.
func (e *Engine) template(j *Journey, s *Step) (*deliver.Compiled, error) {
	key := fmt.Sprintf("%s\x00%d\x00%s", j.ID, j.Version, s.ID)
	e.tplMu.Lock()
	defer e.tplMu.Unlock()
	if c, ok := e.templates[key]; ok {
		return c, nil
	}
	c, err := compileTemplate(j.ID, s)
	if err != nil {
		return nil, err
	}
	if len(e.templates) > 1000 {
		clear(e.templates) // old versions
	}
	e.templates[key] = c
	return c, nil
}

// compileTemplate turns a step's template into the deliver package's.
func compileTemplate(jid string, s *Step) (*deliver.Compiled, error) {
	t := deliver.Template{ID: jid + "/" + s.ID, DefaultLocale: s.Template.DefaultLocale, Variants: map[string]deliver.Variant{}}
	for loc, v := range s.Template.Variants {
		t.Variants[loc] = deliver.Variant{Subject: v.Subject, Text: v.Text, HTML: v.HTML}
	}
	return deliver.Compile(t)
}

// PersonError says why an action cannot be done for a person (no userId
// to attach traits to, erased): the action is skipped, not retried.
type PersonError struct{ Reason string }

func (e *PersonError) Error() string { return e.Reason }

// errStopped is returned for changes to a stopped journey.
var errStopped = errors.New("the journey is stopped; copy it into a new one to run it again")

// nanosOf reads the time in a nanos key.
func nanosOf(k []byte, prefixLen int) time.Time {
	return time.Unix(0, int64(binary.BigEndian.Uint64(k[prefixLen:prefixLen+8])))
}
