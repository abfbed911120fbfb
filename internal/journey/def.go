package journey

import (
	"encoding/json"
	"errors"
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"time"
	"unicode"
)

// Journey is a journey's definition: what brings a person in, the steps
// they go through, and what takes them out. Its JSON is the API's and the
// CLI's contract.
type Journey struct {
	ID          string  `json:"id"`
	Name        string  `json:"name"`
	Description string  `json:"description,omitempty"`
	Trigger     Trigger `json:"trigger"`
	Steps       []Step  `json:"steps"`
	// Goal ends a person's run as converted when they do it (e.g. they
	// ordered); nil runs every person to the last step.
	Goal *Goal `json:"goal,omitempty"`
	// Reentry says whether a person who was in the journey may enter again.
	Reentry Reentry `json:"reentry"`
	// ControlPercent of entering people are held out at random (by a hash
	// of journey and person, so the draw is stable across replays): they
	// get no actions, and their goal rate measures the journey's uplift.
	ControlPercent float64 `json:"control_percent"`
	// Consent is "required" (default: a person-facing message goes only to
	// people who granted the channel's purpose) or "unless_refused" (sent
	// unless they refused it; for markets where the law allows opt-out).
	Consent string `json:"consent,omitempty"`
	// Countries, when set, limits the journey to people of these countries.
	Countries []string `json:"countries,omitempty"`
	// MaxEventAge keeps history out: an event older than this when it
	// arrives (an import of last year's orders) triggers nothing. Default
	// 24h.
	MaxEventAge Duration `json:"max_event_age,omitempty"`

	Status    string    `json:"status"` // draft, active, paused, stopped
	Version   int       `json:"version"`
	CreatedAt time.Time `json:"created_at"`
	CreatedBy string    `json:"created_by,omitempty"`
	UpdatedAt time.Time `json:"updated_at"`
	UpdatedBy string    `json:"updated_by,omitempty"`
	// StartedAt and StartSeq mark when the journey was first started:
	// only messages after StartSeq trigger it.
	StartedAt time.Time `json:"started_at,omitzero"`
	StartSeq  uint64    `json:"start_seq,omitempty"`
}

// Journey statuses.
const (
	StatusDraft   = "draft"
	StatusActive  = "active"
	StatusPaused  = "paused"
	StatusStopped = "stopped"
)

// Trigger kinds.
const (
	TriggerEvent             = "event"
	TriggerSegmentEntered    = "segment_entered"
	TriggerSegmentExited     = "segment_exited"
	TriggerPrediction        = "prediction"
	TriggerInactivity        = "inactivity"
	TriggerAbandonedCheckout = "abandoned_checkout"
	TriggerBeforeNextOrder   = "before_next_order"
	TriggerAlert             = "alert"
)

// Trigger is what brings a person into a journey.
type Trigger struct {
	Type string `json:"type"`
	// Event is the track event of an event or inactivity trigger.
	Event string `json:"event,omitempty"`
	// Where filters the event's properties (all must hold).
	Where []Filter `json:"where,omitempty"`
	// Segment is the segment id of a segment trigger.
	Segment string `json:"segment,omitempty"`
	// Attribute, Op and Value are a prediction trigger's threshold
	// (churn_risk >= 0.7, churn_tier = "high", p_alive < 0.3, clv > 200):
	// the journey keeps a segment of that rule, and entering it triggers.
	Attribute string `json:"attribute,omitempty"`
	Op        string `json:"op,omitempty"`
	Value     any    `json:"value,omitempty"`
	// Days is an inactivity trigger's quiet period (no Event for Days), or
	// how many days before the expected next order a before_next_order
	// trigger fires.
	Days float64 `json:"days,omitempty"`
	// Hours is how long an abandoned checkout waits for the order (default 1).
	Hours float64 `json:"hours,omitempty"`
	// Grade is an alert trigger's lowest grade (info, warning, critical).
	Grade string `json:"grade,omitempty"`
}

// Filter is one condition on an event's property.
type Filter struct {
	Property string `json:"property"`
	Op       string `json:"op"` // =, !=, >, >=, <, <=, exists, contains
	Value    any    `json:"value,omitempty"`
}

// Step kinds.
const (
	StepWait    = "wait"
	StepBranch  = "branch"
	StepWebhook = "webhook"
	StepEmail   = "email"
	StepNotify  = "notify"
	StepExit    = "exit"
	// Profile actions: they change the person's traits through the event
	// log (an identify from tradewind), so segments and the store follow.
	StepSetTrait          = "set_trait"
	StepAddToSegment      = "add_to_segment"
	StepRemoveFromSegment = "remove_from_segment"
)

// Step is one step of a journey. Steps run in order; a branch, or any
// step's Next, jumps to a named step.
type Step struct {
	ID   string `json:"id"`
	Type string `json:"type"`
	// Next, when set, is the step after this one instead of the following.
	Next string `json:"next,omitempty"`

	// Wait: a Duration, or Until a local clock time ("10:00") in the
	// person's time zone (the next such time after now).
	Duration Duration `json:"duration,omitempty"`
	Until    string   `json:"until,omitempty"`

	// Branch: If holds → Then, else → Else ("" continues with the next step).
	If   *Condition `json:"if,omitempty"`
	Then string     `json:"then,omitempty"`
	Else string     `json:"else,omitempty"`

	// Webhook: the destination's name.
	Destination string `json:"destination,omitempty"`

	// E-mail: the template, with a variant per locale.
	Template *Template `json:"template,omitempty"`

	// Notify: a message to the team (the alerts inbox and, if set, a
	// webhook destination).
	Message string `json:"message,omitempty"`

	// set_trait: the trait and its new value.
	Trait string `json:"trait,omitempty"`
	Value any    `json:"value,omitempty"`
	// add_to_segment / remove_from_segment: a list segment the engine
	// keeps (rule: traits.tw_list_<id> = "member").
	Segment string `json:"segment,omitempty"`
}

// Condition is a branch's test on the person.
type Condition struct {
	// Segment: the person is a member.
	Segment string `json:"segment,omitempty"`
	// Trait or Computed attribute compared with Op and Value.
	Trait    string `json:"trait,omitempty"`
	Computed string `json:"computed,omitempty"`
	Op       string `json:"op,omitempty"`
	Value    any    `json:"value,omitempty"`
	// Event: the person did it since entering the journey.
	Event string `json:"event,omitempty"`
}

// Template is an e-mail's content per locale.
type Template struct {
	// DefaultLocale is used when no variant matches the person's locale.
	DefaultLocale string             `json:"default_locale"`
	Variants      map[string]Variant `json:"variants"`
}

// Variant is one locale's subject, text and HTML.
type Variant struct {
	Subject string `json:"subject"`
	Text    string `json:"text"`
	HTML    string `json:"html,omitempty"`
}

// Goal ends a run as converted.
type Goal struct {
	Event string `json:"event"`
	// Within bounds how long after entering the goal counts (default 30 days).
	Within Duration `json:"within,omitempty"`
}

// Reentry modes.
const (
	ReentryNever  = "never"
	ReentryAlways = "always"
	ReentryAfter  = "after"
)

// Reentry says when a person may enter again.
type Reentry struct {
	Mode  string   `json:"mode"` // never (default), always (once their run ended), after
	After Duration `json:"after,omitempty"`
}

// Duration is a time.Duration written as "90m", "4h" or "7d" in JSON.
type Duration time.Duration

var (
	durRe   = regexp.MustCompile(`^(\d+(?:\.\d+)?)d$`)
	traitRe = regexp.MustCompile(`^[A-Za-z][A-Za-z0-9_]{0,63}$`)
	segRe   = regexp.MustCompile(`^[a-z0-9][a-z0-9_-]{0,62}$`)
)

// ListTrait is the trait that puts a person in a list segment.
func ListTrait(segment string) string { return "tw_list_" + strings.ReplaceAll(segment, "-", "_") }

// ListRule is a list segment's rule.
func ListRule(segment string) string { return `"traits.` + ListTrait(segment) + `" = "member"` }

// ParseDuration reads Go durations plus days ("7d").
func ParseDuration(s string) (time.Duration, error) {
	s = strings.TrimSpace(s)
	if m := durRe.FindStringSubmatch(s); m != nil {
		f, _ := strconv.ParseFloat(m[1], 64)
		return time.Duration(f * float64(24*time.Hour)), nil
	}
	return time.ParseDuration(s)
}

// MarshalJSON writes the duration as text.
func (d Duration) MarshalJSON() ([]byte, error) {
	v := time.Duration(d)
	if v != 0 && v%(24*time.Hour) == 0 {
		return json.Marshal(fmt.Sprintf("%dd", v/(24*time.Hour)))
	}
	return json.Marshal(v.String())
}

// UnmarshalJSON reads "4h", "7d" or a number of seconds.
func (d *Duration) UnmarshalJSON(b []byte) error {
	var s string
	if err := json.Unmarshal(b, &s); err != nil {
		var secs float64
		if json.Unmarshal(b, &secs) != nil {
			return errors.New(`a duration is text such as "90m", "4h" or "7d"`)
		}
		*d = Duration(secs * float64(time.Second))
		return nil
	}
	v, err := ParseDuration(s)
	if err != nil {
		return fmt.Errorf("%q is not a duration (write 90m, 4h or 7d)", s)
	}
	*d = Duration(v)
	return nil
}

// FieldError names the field of a definition that is wrong.
type FieldError struct{ Field, Reason string }

func (e *FieldError) Error() string { return e.Field + ": " + e.Reason }

func fieldErr(field, format string, args ...any) error {
	return &FieldError{Field: field, Reason: fmt.Sprintf(format, args...)}
}

var ops = map[string]bool{"=": true, "!=": true, ">": true, ">=": true, "<": true, "<=": true, "exists": true, "contains": true}

var predictionAttrs = map[string]bool{"churn_risk": true, "churn_tier": true, "p_alive": true, "clv": true, "expected_purchases": true}

var alertGrades = map[string]int{"info": 1, "warning": 2, "critical": 3}

// Validate checks a definition and fills its defaults, naming the first
// field that is wrong.
func (j *Journey) Validate() error {
	j.Name = strings.TrimSpace(j.Name)
	if j.Name == "" {
		return fieldErr("name", "is required")
	}
	if j.ID == "" {
		j.ID = Slug(j.Name)
	}
	if !validID(j.ID) {
		return fieldErr("id", "%q must be 1–64 letters, digits, '-' or '_'", j.ID)
	}
	if err := j.Trigger.validate(); err != nil {
		return err
	}
	if len(j.Steps) == 0 {
		return fieldErr("steps", "give at least one step")
	}
	if len(j.Steps) > 50 {
		return fieldErr("steps", "at most 50 steps")
	}
	ids := map[string]bool{}
	for i := range j.Steps {
		s := &j.Steps[i]
		if s.ID == "" {
			s.ID = fmt.Sprintf("step-%d", i+1)
		}
		if !validID(s.ID) {
			return fieldErr(fmt.Sprintf("steps[%d].id", i), "%q must be 1–64 letters, digits, '-' or '_'", s.ID)
		}
		if ids[s.ID] {
			return fieldErr(fmt.Sprintf("steps[%d].id", i), "%q is used twice", s.ID)
		}
		ids[s.ID] = true
	}
	for i := range j.Steps {
		if err := j.Steps[i].validate(fmt.Sprintf("steps[%d]", i), ids, j.Trigger.Type == TriggerAlert); err != nil {
			return err
		}
	}
	if j.Goal != nil {
		if strings.TrimSpace(j.Goal.Event) == "" {
			return fieldErr("goal.event", "is required (the event that counts as converted, e.g. Order Completed)")
		}
		if j.Goal.Within < 0 {
			return fieldErr("goal.within", "must not be negative")
		}
		if j.Goal.Within == 0 {
			j.Goal.Within = Duration(30 * 24 * time.Hour)
		}
	}
	switch j.Reentry.Mode {
	case "":
		j.Reentry.Mode = ReentryNever
	case ReentryNever, ReentryAlways:
	case ReentryAfter:
		if j.Reentry.After <= 0 {
			return fieldErr("reentry.after", "give how long after their last entry a person may enter again, e.g. 30d")
		}
	default:
		return fieldErr("reentry.mode", "%q is not never, always or after", j.Reentry.Mode)
	}
	if j.ControlPercent < 0 || j.ControlPercent > 50 {
		return fieldErr("control_percent", "must be between 0 and 50")
	}
	switch j.Consent {
	case "":
		j.Consent = "required"
	case "required", "unless_refused":
	default:
		return fieldErr("consent", "%q is not required or unless_refused", j.Consent)
	}
	for i, c := range j.Countries {
		c = strings.ToUpper(strings.TrimSpace(c))
		if len(c) != 2 || !isUpperAlpha(c) {
			return fieldErr(fmt.Sprintf("countries[%d]", i), "%q is not an ISO 3166 two-letter code", j.Countries[i])
		}
		j.Countries[i] = c
	}
	if j.MaxEventAge < 0 {
		return fieldErr("max_event_age", "must not be negative")
	}
	if j.MaxEventAge == 0 {
		j.MaxEventAge = Duration(24 * time.Hour)
	}
	if j.Status == "" {
		j.Status = StatusDraft
	}
	switch j.Status {
	case StatusDraft, StatusActive, StatusPaused, StatusStopped:
	default:
		return fieldErr("status", "%q is not draft, active, paused or stopped", j.Status)
	}
	return nil
}

func (t *Trigger) validate() error {
	switch t.Type {
	case TriggerEvent:
		if strings.TrimSpace(t.Event) == "" {
			return fieldErr("trigger.event", "is required for an event trigger")
		}
	case TriggerSegmentEntered, TriggerSegmentExited:
		if t.Segment == "" {
			return fieldErr("trigger.segment", "is required for a segment trigger")
		}
	case TriggerPrediction:
		if !predictionAttrs[t.Attribute] {
			return fieldErr("trigger.attribute", "%q is not a prediction (churn_risk, churn_tier, p_alive, clv, expected_purchases)", t.Attribute)
		}
		if !ops[t.Op] || t.Op == "exists" || t.Op == "contains" {
			return fieldErr("trigger.op", "%q is not =, !=, >, >=, < or <=", t.Op)
		}
		if t.Value == nil {
			return fieldErr("trigger.value", "is required")
		}
		if t.Attribute == "churn_tier" {
			if s, ok := t.Value.(string); !ok || (s != "low" && s != "medium" && s != "high") {
				return fieldErr("trigger.value", "churn_tier is low, medium or high")
			}
		} else if _, ok := t.Value.(float64); !ok {
			return fieldErr("trigger.value", "%s is compared with a number", t.Attribute)
		}
	case TriggerInactivity:
		if strings.TrimSpace(t.Event) == "" {
			return fieldErr("trigger.event", "is required: the event whose absence counts (e.g. Order Completed)")
		}
		if t.Days <= 0 {
			return fieldErr("trigger.days", "give the quiet period in days")
		}
	case TriggerAbandonedCheckout:
		if t.Hours < 0 {
			return fieldErr("trigger.hours", "must not be negative")
		}
		if t.Hours == 0 {
			t.Hours = 1
		}
	case TriggerBeforeNextOrder:
		if t.Days <= 0 {
			return fieldErr("trigger.days", "give how many days before the expected next order")
		}
	case TriggerAlert:
		if t.Grade == "" {
			t.Grade = "warning"
		}
		if alertGrades[t.Grade] == 0 {
			return fieldErr("trigger.grade", "%q is not info, warning or critical", t.Grade)
		}
	case "":
		return fieldErr("trigger.type", "is required")
	default:
		return fieldErr("trigger.type", "%q is not one of event, segment_entered, segment_exited, prediction, inactivity, abandoned_checkout, before_next_order, alert", t.Type)
	}
	for i, f := range t.Where {
		if f.Property == "" {
			return fieldErr(fmt.Sprintf("trigger.where[%d].property", i), "is required")
		}
		if !ops[f.Op] {
			return fieldErr(fmt.Sprintf("trigger.where[%d].op", i), "%q is not =, !=, >, >=, <, <=, exists or contains", f.Op)
		}
	}
	return nil
}

func (s *Step) validate(field string, ids map[string]bool, teamOnly bool) error {
	if s.Next != "" && !ids[s.Next] {
		return fieldErr(field+".next", "no step %q", s.Next)
	}
	switch s.Type {
	case StepWait:
		if (s.Duration > 0) == (s.Until != "") {
			return fieldErr(field, "a wait has either a duration (\"4h\") or until (a local time \"10:00\")")
		}
		if s.Duration < 0 {
			return fieldErr(field+".duration", "must not be negative")
		}
		if s.Until != "" {
			if _, err := time.Parse("15:04", s.Until); err != nil {
				return fieldErr(field+".until", "%q is not a clock time HH:MM", s.Until)
			}
		}
	case StepBranch:
		if s.If == nil {
			return fieldErr(field+".if", "a branch needs a condition")
		}
		if err := s.If.validate(field + ".if"); err != nil {
			return err
		}
		for _, t := range []struct{ name, v string }{{"then", s.Then}, {"else", s.Else}} {
			if t.v != "" && !ids[t.v] {
				return fieldErr(field+"."+t.name, "no step %q", t.v)
			}
		}
	case StepWebhook:
		if s.Destination == "" {
			return fieldErr(field+".destination", "is required: the name of a webhook destination")
		}
	case StepEmail:
		if teamOnly {
			return fieldErr(field, "an alert journey has no person to e-mail; use notify or webhook")
		}
		if s.Template == nil || len(s.Template.Variants) == 0 {
			return fieldErr(field+".template", "give at least one variant (subject and text per locale)")
		}
		if s.Template.DefaultLocale == "" {
			if len(s.Template.Variants) == 1 {
				for k := range s.Template.Variants {
					s.Template.DefaultLocale = k
				}
			} else {
				return fieldErr(field+".template.default_locale", "is required with several variants")
			}
		}
		if _, ok := s.Template.Variants[s.Template.DefaultLocale]; !ok {
			return fieldErr(field+".template.default_locale", "%q has no variant", s.Template.DefaultLocale)
		}
		for loc, v := range s.Template.Variants {
			if strings.TrimSpace(v.Subject) == "" || strings.TrimSpace(v.Text) == "" {
				return fieldErr(field+".template.variants."+loc, "needs a subject and a text part")
			}
		}
	case StepNotify:
		if strings.TrimSpace(s.Message) == "" {
			return fieldErr(field+".message", "is required")
		}
	case StepSetTrait:
		if teamOnly {
			return fieldErr(field, "an alert journey has no person whose traits to set")
		}
		if !traitRe.MatchString(s.Trait) {
			return fieldErr(field+".trait", "%q must be a trait name (letters, digits, _; at most 64)", s.Trait)
		}
		if s.Value == nil {
			return fieldErr(field+".value", "is required")
		}
	case StepAddToSegment, StepRemoveFromSegment:
		if teamOnly {
			return fieldErr(field, "an alert journey has no person to add to a segment")
		}
		if !segRe.MatchString(s.Segment) {
			return fieldErr(field+".segment", "%q must be lower-case letters, digits, _ or - (at most 63)", s.Segment)
		}
	case StepExit:
	case "":
		return fieldErr(field+".type", "is required (wait, branch, webhook, email, notify, set_trait, add_to_segment, remove_from_segment, exit)")
	default:
		return fieldErr(field+".type", "%q is not wait, branch, webhook, email, notify, set_trait, add_to_segment, remove_from_segment or exit", s.Type)
	}
	return nil
}

func (c *Condition) validate(field string) error {
	n := 0
	for _, v := range []string{c.Segment, c.Trait, c.Computed, c.Event} {
		if v != "" {
			n++
		}
	}
	if n != 1 {
		return fieldErr(field, "give exactly one of segment, trait, computed or event")
	}
	if c.Trait != "" || c.Computed != "" {
		if !ops[c.Op] {
			return fieldErr(field+".op", "%q is not =, !=, >, >=, <, <=, exists or contains", c.Op)
		}
	}
	return nil
}

func validID(s string) bool {
	if s == "" || len(s) > 64 {
		return false
	}
	for _, r := range s {
		if !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '-' || r == '_') {
			return false
		}
	}
	return true
}

func isUpperAlpha(s string) bool {
	for _, r := range s {
		if r < 'A' || r > 'Z' {
			return false
		}
	}
	return true
}

// Slug makes an id from a name: lower-case letters and digits joined by
// '-'; a name with none (中文 only) gets "journey".
func Slug(name string) string {
	var b strings.Builder
	dash := false
	for _, r := range strings.ToLower(name) {
		if r < 128 && (unicode.IsLetter(r) || unicode.IsDigit(r)) {
			if dash && b.Len() > 0 {
				b.WriteByte('-')
			}
			b.WriteRune(r)
			dash = false
		} else {
			dash = true
		}
		if b.Len() >= 48 {
			break
		}
	}
	if b.Len() == 0 {
		return "journey"
	}
	return b.String()
}

// stepIndex finds a step by id (-1 if none).
func (j *Journey) stepIndex(id string) int {
	for i, s := range j.Steps {
		if s.ID == id {
			return i
		}
	}
	return -1
}

// goalEvent is the event that converts, "" for none.
func (j *Journey) goalEvent() string {
	if j.Goal == nil {
		return ""
	}
	return j.Goal.Event
}
