// Package compliance checks the content of a message or campaign against
// per-country rules before it goes out — the seeds' "global symbol
// review": words a country's advertising law bans (China's absolute
// claims), claims EU law allows only with proof (generic "eco" and health
// claims), elements a law requires (an unsubscribe link and a postal
// address in US commercial email, the 广告 label in Chinese email subjects),
// and cultural symbols that read badly in a market (the number 4 in East
// Asia, mourning colours on festive messages).
//
// Rules are data, not code: JSON files embedded from rules/ and,
// optionally, an operator's directory (Load) that adds rules or overrides
// them by id. Every rule names its source — the law and article, or for a
// cultural rule the guidance it rests on — and says why in English and
// Chinese, so a blocked campaign shows its reason rather than a bare
// refusal. The check is text matching, not legal advice: it catches the
// common cases and documents what it cannot see (docs/compliance.md).
package compliance

import (
	"embed"
	"encoding/json"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"sync"
)

// Severity is how bad a finding is: warn lets a campaign go with the
// reason shown; block stops it (the CLI's exit code and the journey
// engine both gate on it).
type Severity string

// The severities, in order.
const (
	OK    Severity = "ok"
	Warn  Severity = "warn"
	Block Severity = "block"
)

func (s Severity) rank() int {
	switch s {
	case Warn:
		return 1
	case Block:
		return 2
	}
	return 0
}

// AtLeast reports whether s is at least as severe as o.
func (s Severity) AtLeast(o Severity) bool { return s.rank() >= o.rank() }

// Channels a message goes out on. A rule with ChannelAny applies to all.
const (
	ChannelEmail = "email"
	ChannelSMS   = "sms"
	ChannelPush  = "push"
	ChannelAd    = "ad"
	ChannelAny   = "any"
)

// Channels lists the channels content can be checked for.
var Channels = []string{ChannelEmail, ChannelSMS, ChannelPush, ChannelAd}

func validChannel(c string) bool {
	for _, x := range Channels {
		if c == x {
			return true
		}
	}
	return false
}

// Content is one message as it would go to one country.
type Content struct {
	// Country is the recipient's country, ISO 3166-1 alpha-2 (any case).
	Country string `json:"country"`
	// Channel is email (the default when empty), sms, push or ad.
	Channel string `json:"channel,omitempty"`
	// Locale is the message's language tag (zh-CN, en-US). Rules match
	// whatever language the text is in; the locale is reported back.
	Locale  string `json:"locale,omitempty"`
	Subject string `json:"subject,omitempty"`
	Text    string `json:"text,omitempty"`
	HTML    string `json:"html,omitempty"`
}

// Text is a sentence in English and Chinese, the dashboard's languages.
type Text struct {
	EN string `json:"en"`
	ZH string `json:"zh"`
}

// Finding is one rule that fired, where and why.
type Finding struct {
	RuleID   string   `json:"rule_id"`
	Severity Severity `json:"severity"`
	// Field is subject, text or html.
	Field string `json:"field"`
	// Match is the text that matched, as written; Excerpt the same with
	// some context. Both are empty for a missing required element.
	Match   string `json:"match,omitempty"`
	Excerpt string `json:"excerpt,omitempty"`
	// Offset is where the match starts in the field, in runes (characters),
	// counted in the field as sent (for html, in the markup); -1 for a
	// missing required element.
	Offset int    `json:"offset"`
	Reason Text   `json:"reason"`
	Source string `json:"source"`
}

// Report is the outcome of a check: the worst severity found and every
// finding, in field order (subject, text, html) and then by offset.
type Report struct {
	Country string `json:"country"`
	Channel string `json:"channel"`
	Locale  string `json:"locale,omitempty"`
	// Verdict is ok, warn or block.
	Verdict  Severity  `json:"verdict"`
	Findings []Finding `json:"findings"`
	// RulesApplied is how many rules cover this country and channel.
	RulesApplied int `json:"rules_applied"`
}

// Rule is one check, as written in a rules file.
type Rule struct {
	// ID names the rule in findings and overrides: lower case, digits,
	// dots and dashes, starting with the country or group it is about.
	ID string `json:"id"`
	// Countries are ISO alpha-2 codes or the groups EU, EEA and "*".
	Countries []string `json:"countries"`
	// Channels are email, sms, push, ad or any.
	Channels []string `json:"channels"`
	Severity Severity `json:"severity"`
	// Match lists matchers; the rule fires on every match of any of them.
	Match  []Matcher `json:"match"`
	Reason Text      `json:"reason"`
	// Source is the law, article or guidance the rule rests on.
	Source string `json:"source"`
	// Note says how the rule was decided where that is not obvious (its
	// exceptions, what it leaves out).
	Note string `json:"note,omitempty"`
	// Disabled, in an operator's file, removes the embedded rule of the
	// same id (only the id is needed then).
	Disabled bool `json:"disabled,omitempty"`
	// File is where the rule was read from: rules/NAME.json for the
	// embedded ones, the path for an operator's.
	File string `json:"file"`

	countries map[string]bool
}

// Matcher kinds.
const (
	// KindWords matches any of Terms: terms with CJK characters as
	// substrings, others on word boundaries; case-insensitive after NFKC.
	// A match inside an occurrence of one of Except is not a match.
	KindWords = "words"
	// KindRegex matches Pattern (RE2 syntax, case-insensitive) on the
	// normalised text; Except as for words.
	KindRegex = "regex"
	// KindRequired fires once when Pattern matches none of Fields (the
	// HTML's markup included, so a link's href counts).
	KindRequired = "required"
	// KindNumber matches numbers written only with Digit (4, 44, 4.44)
	// and prices whose integer part ends with Digit twice (¥144) — not
	// the digit inside other numbers (14, 2024), dates, times, versions or
	// model names (A4, 4K).
	KindNumber = "number"
	// KindHTMLColour matches background colours in the HTML (style
	// background/background-color and bgcolor attributes) of the named
	// Colours: black or white.
	KindHTMLColour = "html-colour"
)

// Matcher finds one kind of evidence in the content.
type Matcher struct {
	Kind    string   `json:"kind"`
	Terms   []string `json:"terms,omitempty"`
	Except  []string `json:"except,omitempty"`
	Pattern string   `json:"pattern,omitempty"`
	Digit   string   `json:"digit,omitempty"`
	Colours []string `json:"colours,omitempty"`
	// Fields limits where to look: subject, text, html; all when empty.
	Fields []string `json:"fields,omitempty"`
	// Context, when set, makes the matcher apply only to messages that
	// contain one of these terms (matched as Terms are) in any field: a
	// black background is only a mourning colour on a festive message.
	Context []string `json:"context,omitempty"`

	re     *regexp.Regexp
	terms  []term
	except []term
	ctx    []term
}

// ruleFile is the format of a rules file.
type ruleFile struct {
	Rules []Rule `json:"rules"`
}

//go:embed rules/*.json
var embedded embed.FS

// Set is a validated collection of rules. The package functions use the
// current set (the embedded rules, plus whatever Load added); tests and
// callers that want their own use a Set directly.
type Set struct {
	rules []*Rule
}

// builtin is the embedded rules; a broken embedded file stops the program
// at start-up (and fails the package's tests), naming file and rule.
var builtin = func() *Set {
	s, err := readFS(embedded, "rules")
	if err != nil {
		panic("compliance: embedded rules: " + err.Error())
	}
	return s
}()

var (
	mu      sync.RWMutex
	current = builtin
)

// Default is the set of embedded rules.
func Default() *Set { return builtin }

// Load makes the current rules the embedded ones plus the *.json rules
// files in dir: a rule whose id is embedded replaces it (or, with
// "disabled": true, removes it); new ids add rules. Loading again starts
// from the embedded rules, so it is safe to call on every reload. An
// invalid file changes nothing and is an error naming the file and rule.
func Load(dir string) error {
	s, err := builtin.WithDir(dir)
	if err != nil {
		return err
	}
	mu.Lock()
	current = s
	mu.Unlock()
	return nil
}

// Rules lists the current rules, sorted by id.
func Rules() []Rule {
	mu.RLock()
	s := current
	mu.RUnlock()
	return s.Rules()
}

// RulesFor lists the current rules that apply to country (ISO alpha-2,
// any case) on any channel, sorted by id.
func RulesFor(country string) []Rule {
	mu.RLock()
	s := current
	mu.RUnlock()
	return s.ForCountry(country)
}

// Check checks content against the current rules.
func Check(c Content) Report {
	mu.RLock()
	s := current
	mu.RUnlock()
	return s.Check(c)
}

// WithDir is the set plus the rules files in dir, overriding by id.
func (s *Set) WithDir(dir string) (*Set, error) {
	extra, err := readFS(os.DirFS(dir), ".")
	if err != nil {
		return nil, fmt.Errorf("rules directory %s: %w", dir, err)
	}
	for _, r := range extra.rules {
		r.File = filepath.Join(dir, r.File)
	}
	byID := map[string]*Rule{}
	for _, r := range s.rules {
		byID[r.ID] = r
	}
	for _, r := range extra.rules {
		if r.Disabled {
			delete(byID, r.ID)
			continue
		}
		byID[r.ID] = r
	}
	out := &Set{}
	for _, r := range byID {
		out.rules = append(out.rules, r)
	}
	sort.Slice(out.rules, func(i, j int) bool { return out.rules[i].ID < out.rules[j].ID })
	return out, nil
}

// Rules lists the set's rules, sorted by id.
func (s *Set) Rules() []Rule {
	out := make([]Rule, len(s.rules))
	for i, r := range s.rules {
		out[i] = *r
	}
	return out
}

// ForCountry lists the rules that apply to country (any channel).
func (s *Set) ForCountry(country string) []Rule {
	country = strings.ToUpper(country)
	var out []Rule
	for _, r := range s.rules {
		if r.countries[country] || r.countries["*"] {
			out = append(out, *r)
		}
	}
	return out
}

// readFS reads every *.json file in dir of fsys as a rules file.
func readFS(fsys fs.FS, dir string) (*Set, error) {
	names, err := fs.Glob(fsys, pathJoin(dir, "*.json"))
	if err != nil {
		return nil, err
	}
	if _, err := fs.Stat(fsys, dir); err != nil {
		return nil, err
	}
	sort.Strings(names)
	s := &Set{}
	seen := map[string]string{}
	for _, name := range names {
		b, err := fs.ReadFile(fsys, name)
		if err != nil {
			return nil, err
		}
		rules, err := parseFile(name, b)
		if err != nil {
			return nil, err
		}
		for _, r := range rules {
			if prev, ok := seen[r.ID]; ok {
				return nil, fmt.Errorf("%s: rule %s: id already used in %s", name, r.ID, prev)
			}
			seen[r.ID] = name
			s.rules = append(s.rules, r)
		}
	}
	sort.Slice(s.rules, func(i, j int) bool { return s.rules[i].ID < s.rules[j].ID })
	return s, nil
}

func pathJoin(dir, name string) string {
	if dir == "." || dir == "" {
		return name
	}
	return dir + "/" + name
}

// parseFile decodes and validates one rules file; name is how errors name
// it. Unknown keys are errors: a misspelt "severty" must not silently
// leave a rule without its severity.
func parseFile(name string, b []byte) ([]*Rule, error) {
	dec := json.NewDecoder(strings.NewReader(string(b)))
	dec.DisallowUnknownFields()
	var f ruleFile
	if err := dec.Decode(&f); err != nil {
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	out := make([]*Rule, 0, len(f.Rules))
	for i := range f.Rules {
		r := &f.Rules[i]
		r.File = name
		if err := r.compile(); err != nil {
			id := r.ID
			if id == "" {
				id = fmt.Sprintf("#%d", i+1)
			}
			return nil, fmt.Errorf("%s: rule %s: %w", name, id, err)
		}
		out = append(out, r)
	}
	return out, nil
}

var idPattern = regexp.MustCompile(`^[a-z0-9][a-z0-9.-]*$`)

// compile validates the rule and prepares its matchers.
func (r *Rule) compile() error {
	if !idPattern.MatchString(r.ID) {
		return fmt.Errorf("id %q: want lower-case letters, digits, dots and dashes", r.ID)
	}
	if r.Disabled {
		return nil
	}
	if len(r.Countries) == 0 {
		return fmt.Errorf("countries: at least one ISO code or group (EU, EEA, *) is required")
	}
	var bad string
	if r.countries, bad = expandCountries(r.Countries); bad != "" {
		return fmt.Errorf("countries: %q is not an ISO 3166-1 alpha-2 code or a group (EU, EEA, *)", bad)
	}
	if len(r.Channels) == 0 {
		return fmt.Errorf("channels: at least one of email, sms, push, ad, any is required")
	}
	for _, c := range r.Channels {
		if c != ChannelAny && !validChannel(c) {
			return fmt.Errorf("channels: %q is not email, sms, push, ad or any", c)
		}
	}
	if r.Severity != Warn && r.Severity != Block {
		return fmt.Errorf("severity %q: want warn or block", r.Severity)
	}
	if strings.TrimSpace(r.Reason.EN) == "" || strings.TrimSpace(r.Reason.ZH) == "" {
		return fmt.Errorf("reason: both en and zh are required")
	}
	if strings.TrimSpace(r.Source) == "" {
		return fmt.Errorf("source: say which law or guidance the rule rests on")
	}
	if len(r.Match) == 0 {
		return fmt.Errorf("match: at least one matcher is required")
	}
	for i := range r.Match {
		if err := r.Match[i].compile(); err != nil {
			return fmt.Errorf("match %d (%s): %w", i+1, r.Match[i].Kind, err)
		}
	}
	return nil
}

func (m *Matcher) compile() error {
	for _, f := range m.Fields {
		if f != "subject" && f != "text" && f != "html" {
			return fmt.Errorf("fields: %q is not subject, text or html", f)
		}
	}
	var err error
	if m.except, err = compileTerms(m.Except, "except"); err != nil {
		return err
	}
	if m.ctx, err = compileTerms(m.Context, "context"); err != nil {
		return err
	}
	switch m.Kind {
	case KindWords:
		if len(m.Terms) == 0 {
			return fmt.Errorf("terms: at least one is required")
		}
		m.terms, err = compileTerms(m.Terms, "terms")
		return err
	case KindRegex, KindRequired:
		if m.Pattern == "" {
			return fmt.Errorf("pattern is required")
		}
		m.re, err = regexp.Compile("(?i)" + m.Pattern)
		if err != nil {
			return fmt.Errorf("pattern: %w", err)
		}
		if m.Kind == KindRequired && len(m.Except) > 0 {
			return fmt.Errorf("except does not apply to a required element")
		}
		return nil
	case KindNumber:
		if len(m.Digit) != 1 || m.Digit[0] < '0' || m.Digit[0] > '9' {
			return fmt.Errorf("digit %q: want one digit 0-9", m.Digit)
		}
		return nil
	case KindHTMLColour:
		if len(m.Colours) == 0 {
			return fmt.Errorf("colours: at least one of black, white is required")
		}
		for _, c := range m.Colours {
			if c != "black" && c != "white" {
				return fmt.Errorf("colours: %q is not black or white", c)
			}
		}
		return nil
	}
	return fmt.Errorf("kind %q: want words, regex, required, number or html-colour", m.Kind)
}

// applies reports whether the rule covers the country and channel.
func (r *Rule) applies(country, channel string) bool {
	if !r.countries[country] && !r.countries["*"] {
		return false
	}
	for _, c := range r.Channels {
		if c == ChannelAny || c == channel {
			return true
		}
	}
	return false
}

// InputError is content that cannot be checked; Field names the JSON
// field at fault.
type InputError struct {
	Field, Msg string
}

func (e *InputError) Error() string { return e.Field + ": " + e.Msg }

// Validate reports content that cannot be checked: an unknown country code
// or channel. Check itself reports such content as blocked, so a caller
// that skips Validate still cannot send it unchecked.
func (c Content) Validate() error {
	cc := strings.ToUpper(strings.TrimSpace(c.Country))
	if cc == "" {
		return &InputError{"country", "country is required (ISO 3166-1 alpha-2, e.g. CN, US, DE)"}
	}
	if !ValidCountry(cc) {
		return &InputError{"country", fmt.Sprintf("%q is not an ISO 3166-1 alpha-2 country code (e.g. CN, US, DE; GB, not UK)", c.Country)}
	}
	if ch := strings.ToLower(strings.TrimSpace(c.Channel)); ch != "" && !validChannel(ch) {
		return &InputError{"channel", fmt.Sprintf("%q is not a channel: want email, sms, push or ad", c.Channel)}
	}
	return nil
}

// Check checks content against the set. Content that fails Validate gets
// a block verdict with one finding saying why, rather than an ok for
// matching no rule.
func (s *Set) Check(c Content) Report {
	country := strings.ToUpper(strings.TrimSpace(c.Country))
	channel := strings.ToLower(strings.TrimSpace(c.Channel))
	if channel == "" {
		channel = ChannelEmail
	}
	rep := Report{Country: country, Channel: channel, Locale: c.Locale, Verdict: OK, Findings: []Finding{}}
	if err := c.Validate(); err != nil {
		rep.Verdict = Block
		rep.Findings = append(rep.Findings, Finding{RuleID: "input", Severity: Block, Field: err.(*InputError).Field, Offset: -1,
			Reason: Text{EN: err.Error(), ZH: "无法检查：国家或渠道无效（" + err.Error() + "）"}, Source: "tradewind"})
		return rep
	}
	m := newMessage(c)
	for _, r := range s.rules {
		if !r.applies(country, channel) {
			continue
		}
		rep.RulesApplied++
		for i := range r.Match {
			for _, h := range r.Match[i].find(m) {
				rep.Findings = append(rep.Findings, Finding{RuleID: r.ID, Severity: r.Severity, Field: h.field,
					Match: h.match, Excerpt: h.excerpt, Offset: h.offset, Reason: r.Reason, Source: r.Source})
			}
		}
	}
	order := map[string]int{"subject": 0, "text": 1, "html": 2}
	sort.SliceStable(rep.Findings, func(i, j int) bool {
		a, b := rep.Findings[i], rep.Findings[j]
		if a.Field != b.Field {
			return order[a.Field] < order[b.Field]
		}
		if a.Offset != b.Offset {
			return a.Offset < b.Offset
		}
		return a.RuleID < b.RuleID
	})
	for _, f := range rep.Findings {
		if f.Severity.rank() > rep.Verdict.rank() {
			rep.Verdict = f.Severity
		}
	}
	return rep
}
