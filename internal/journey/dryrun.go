package journey

import (
	"context"
	"slices"
	"time"

	"github.com/tradewind/tradewind/internal/segment"
)

// DryRunPerson is what a journey would do for one sampled person.
type DryRunPerson struct {
	ProfileID string         `json:"profile_id"`
	Country   string         `json:"country,omitempty"`
	Locale    string         `json:"locale,omitempty"`
	Arm       string         `json:"arm"`
	Path      []string       `json:"path"`
	Actions   []DryRunAction `json:"actions"`
	Excluded  string         `json:"excluded,omitempty"`
}

// DryRunAction is one action's predicted outcome.
type DryRunAction struct {
	Step    string    `json:"step"`
	Kind    string    `json:"kind"`
	Outcome string    `json:"outcome"` // send, skip, defer, dead
	Reason  string    `json:"reason,omitempty"`
	Locale  string    `json:"locale,omitempty"`
	At      time.Time `json:"at,omitzero"`
}

// DryRunReport sums a dry run.
type DryRunReport struct {
	Journey  string         `json:"journey"`
	Sampled  int            `json:"sampled"`
	Outcomes map[string]int `json:"outcomes"` // "email:send", "email:skip: no consent", …
	Warnings []string       `json:"warnings"`
	// ContentIssues are the content check's findings, structured (reasons
	// in both languages).
	ContentIssues []ContentIssue `json:"content_issues"`
	People        []DryRunPerson `json:"people"`
}

// DryRun walks a definition over sampled people as if each had just
// entered, without waiting, sending or changing anything: which branch
// they take, whether each message would go (consent, suppression, caps,
// quiet hours, content compliance, template), and in which locale.
func (e *Engine) DryRun(ctx context.Context, j Journey, pids []string) (*DryRunReport, error) {
	j.Status = ""
	if err := j.Validate(); err != nil {
		return nil, err
	}
	e.mu.Lock()
	err := e.checkDestinations(&j)
	warnings, cerr := e.checkContent(&j)
	e.mu.Unlock()
	if err != nil {
		return nil, err
	}
	rep := &DryRunReport{Journey: j.ID, Outcomes: map[string]int{}, Warnings: issueLines(warnings), ContentIssues: warnings,
		People: []DryRunPerson{}}
	if cerr != nil {
		rep.Warnings = append([]string{cerr.Error()}, issueLines(warnings)...)
	}
	if rep.ContentIssues == nil {
		rep.ContentIssues = []ContentIssue{}
	}
	now := e.cfg.Now()
	for _, pid := range pids {
		p, err := e.cfg.People.Person(ctx, pid)
		if err != nil {
			return nil, err
		}
		if p == nil {
			continue
		}
		rep.Sampled++
		dp := DryRunPerson{ProfileID: pid, Country: p.Country, Locale: p.Locale, Arm: "treatment", Path: []string{}, Actions: []DryRunAction{}}
		if len(j.Countries) > 0 && !slices.Contains(j.Countries, p.Country) {
			dp.Excluded = "country " + p.Country + " is not among the journey's countries"
			rep.Outcomes["excluded"]++
			rep.People = append(rep.People, dp)
			continue
		}
		if inControl(j.ID, pid, 1, j.ControlPercent) {
			dp.Arm = "control"
			rep.Outcomes["control"]++
			rep.People = append(rep.People, dp)
			continue
		}
		at := now
		step := 0
		for hops := 0; step >= 0 && step < len(j.Steps) && hops <= 2*len(j.Steps)+2; hops++ {
			s := &j.Steps[step]
			dp.Path = append(dp.Path, s.ID)
			next := step + 1
			if s.Next != "" {
				next = j.stepIndex(s.Next)
			}
			switch s.Type {
			case StepWait:
				if s.Duration > 0 {
					at = at.Add(time.Duration(s.Duration))
				}
			case StepBranch:
				target := s.Else
				if s.If.Event == "" && s.If.holdsFor(p) {
					target = s.Then
				}
				if target != "" {
					next = j.stepIndex(target)
				}
			case StepExit:
				next = -1
			case StepWebhook, StepNotify:
				dp.Actions = append(dp.Actions, DryRunAction{Step: s.ID, Kind: s.Type, Outcome: "send", At: at})
				rep.Outcomes[s.Type+":send"]++
			case StepEmail:
				a := e.dryEmail(&j, s, p, at)
				dp.Actions = append(dp.Actions, a)
				key := "email:" + a.Outcome
				if a.Outcome == "skip" {
					key += ": " + a.Reason
				}
				rep.Outcomes[key]++
			}
			step = next
		}
		rep.People = append(rep.People, dp)
	}
	return rep, nil
}

func (e *Engine) dryEmail(j *Journey, s *Step, p *Person, at time.Time) DryRunAction {
	a := DryRunAction{Step: s.ID, Kind: StepEmail, Outcome: "send", At: at}
	skip := func(why string) DryRunAction { a.Outcome, a.Reason = "skip", why; return a }
	if e.cfg.Mailer == nil {
		// As a real run: the action would wait in the dead-letter queue
		// until an SMTP server is configured and it is replayed.
		a.Outcome, a.Reason = "dead", "no SMTP server configured (--smtp-url); it would wait in the dead-letter queue"
		return a
	}
	if p.Email == "" {
		return skip("no e-mail address known")
	}
	granted, decided := p.Consent[segment.PurposeEmail]
	if decided && !granted {
		return skip("refused e-mail")
	}
	if !decided && j.Consent == "required" {
		return skip("no e-mail consent recorded")
	}
	if why, ok := e.suppressedPerson(p, "email"); ok {
		return skip("suppressed: " + why)
	}
	if why, ok := e.capped(p.ID, "email", at); ok {
		return skip(why)
	}
	tpl, err := compileTemplate(j.ID, s)
	if err != nil {
		return skip(err.Error())
	}
	data := map[string]any{"first_name": p.FirstName, "traits": p.Traits, "computed": p.Computed,
		"trigger": map[string]any{}, "profile_id": p.ID}
	msg, err := tpl.Render(p.Locale, data)
	if err != nil {
		return skip("template: " + err.Error())
	}
	a.Locale = msg.Locale
	msg.Text, msg.HTML = withFooter(msg.Text, msg.HTML, msg.Locale, checkURL, e.cfg.PostalAddress)
	if e.cfg.Check != nil {
		if verdict, issues := e.cfg.Check(p.Country, "email", msg.Locale, msg.Subject, msg.Text, msg.HTML); verdict == "block" && len(issues) > 0 {
			return skip("content compliance: " + issues[0].String())
		}
	}
	if when, why := e.cfg.SendRules.Next(at, personZone(p), p.Country, e.cfg.Calendar); why != "" && when.After(at) {
		a.Outcome, a.Reason, a.At = "defer", why, when
	}
	return a
}
