package audience

import (
	"bytes"
	"encoding/json"
	"fmt"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/govalues/decimal"
	"github.com/tradewind/tradewind/internal/jsonw"
)

// RuleError says where in a rule something is wrong and what. Path is the
// JSON path of the offending node ("and[1].where[0].op"; "" for the root),
// so that an API can point at the field.
type RuleError struct {
	Path string
	Msg  string
}

// Error returns "path: message", or the message alone for the root.
func (e *RuleError) Error() string {
	if e.Path == "" {
		return e.Msg
	}
	return e.Path + ": " + e.Msg
}

func ruleErr(path, format string, args ...any) *RuleError {
	return &RuleError{Path: path, Msg: fmt.Sprintf(format, args...)}
}

func join(path, key string) string {
	if path == "" {
		return key
	}
	return path + "." + key
}

func index(path string, i int) string { return path + "[" + strconv.Itoa(i) + "]" }

// ParseJSON reads a rule in its JSON form (see the package documentation).
// Unknown keys are refused, so that a misspelt "witin" is an error rather
// than a rule without a window. The tree it returns is normalised: an and
// or or of one condition is that condition, and an absent count is
// "at least once".
func ParseJSON(data []byte) (Rule, error) {
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil {
		return nil, &RuleError{Msg: "invalid JSON: " + err.Error()}
	}
	if dec.More() {
		return nil, &RuleError{Msg: "invalid JSON: more than one value"}
	}
	return ruleFromJSON(v, "")
}

func ruleFromJSON(v any, path string) (Rule, error) {
	obj, ok := v.(map[string]any)
	if !ok {
		return nil, ruleErr(path, "a condition must be an object, not %s", jsonKind(v))
	}
	var kinds []string
	for _, k := range []string{"and", "or", "not", "trait", "segment", "event"} {
		if _, ok := obj[k]; ok {
			kinds = append(kinds, k)
		}
	}
	if _, ok := obj["type"]; ok && len(kinds) == 0 {
		kinds = append(kinds, "event")
	}
	if len(kinds) > 1 {
		return nil, ruleErr(path, "a condition has one of and, or, not, trait, segment or event; this one has both %s and %s", kinds[0], kinds[1])
	}
	kind := ""
	if len(kinds) == 1 {
		kind = kinds[0]
	}
	switch kind {
	case "and", "or":
		if err := onlyKeys(obj, path, kind); err != nil {
			return nil, err
		}
		arr, ok := obj[kind].([]any)
		if !ok {
			return nil, ruleErr(join(path, kind), "must be a list of conditions")
		}
		if len(arr) == 0 {
			return nil, ruleErr(join(path, kind), "needs at least one condition")
		}
		kids := make([]Rule, len(arr))
		for i, x := range arr {
			r, err := ruleFromJSON(x, index(join(path, kind), i))
			if err != nil {
				return nil, err
			}
			kids[i] = r
		}
		if len(kids) == 1 {
			return kids[0], nil
		}
		if kind == "and" {
			return And(kids), nil
		}
		return Or(kids), nil
	case "not":
		if err := onlyKeys(obj, path, "not"); err != nil {
			return nil, err
		}
		r, err := ruleFromJSON(obj["not"], join(path, "not"))
		if err != nil {
			return nil, err
		}
		return Not{Rule: r}, nil
	case "segment":
		if err := onlyKeys(obj, path, "segment"); err != nil {
			return nil, err
		}
		id, ok := obj["segment"].(string)
		if !ok {
			return nil, ruleErr(join(path, "segment"), "must be a segment id (a string)")
		}
		return InSegment{ID: id}, nil
	case "trait":
		if err := onlyKeys(obj, path, "trait", "op", "value"); err != nil {
			return nil, err
		}
		attr, ok := obj["trait"].(string)
		if !ok {
			return nil, ruleErr(join(path, "trait"), "must be an attribute name (a string)")
		}
		op, val, err := testFromJSON(obj, path)
		if err != nil {
			return nil, err
		}
		return TraitCond{Attr: attr, Op: op, Value: val}, nil
	case "event":
		return eventFromJSON(obj, path)
	}
	return nil, ruleErr(path, "a condition needs one of the keys and, or, not, trait, segment or event")
}

func onlyKeys(obj map[string]any, path string, keys ...string) error {
	var bad []string
	for k := range obj {
		found := false
		for _, want := range keys {
			if k == want {
				found = true
				break
			}
		}
		if !found {
			bad = append(bad, k)
		}
	}
	if len(bad) == 0 {
		return nil
	}
	sort.Strings(bad)
	return ruleErr(path, "unknown key %q here (allowed: %s)", bad[0], strings.Join(keys, ", "))
}

// testFromJSON reads "op" and "value" of a trait or property condition and
// checks that the value has the shape the operator needs.
func testFromJSON(obj map[string]any, path string) (Op, Literal, error) {
	s, ok := obj["op"].(string)
	if !ok {
		return "", Literal{}, ruleErr(join(path, "op"), "missing or not a string; one of %s", opList(allOps))
	}
	op := Op(s)
	if !knownOp(op, allOps) {
		return "", Literal{}, ruleErr(join(path, "op"), "unknown operator %q; one of %s", s, opList(allOps))
	}
	raw, has := obj["value"]
	switch op {
	case OpExists, OpNotExists:
		if has {
			return "", Literal{}, ruleErr(join(path, "value"), "%s takes no value", op)
		}
		return op, Literal{}, nil
	}
	if !has {
		return "", Literal{}, ruleErr(join(path, "value"), "%s needs a value", op)
	}
	lit, err := litFromJSON(raw, join(path, "value"), true)
	if err != nil {
		return "", Literal{}, err
	}
	if err := checkShape(op, lit); err != nil {
		return "", Literal{}, ruleErr(join(path, "value"), "%s", err.Error())
	}
	return op, lit, nil
}

// checkShape checks that a literal has the shape op needs: a list for in and
// not_in, a list of two for between, one value otherwise. Both parsers call
// it, so that every tree either form can produce the other can print.
func checkShape(op Op, lit Literal) error {
	switch op {
	case OpIn, OpNotIn:
		if lit.Kind != LitList {
			return fmt.Errorf("%s needs a list of values", op)
		}
		if len(lit.List) == 0 {
			return fmt.Errorf("%s needs at least one value", op)
		}
	case OpBetween:
		if lit.Kind != LitList || len(lit.List) != 2 {
			return fmt.Errorf("between needs a list of two values, the lower and the upper bound")
		}
	default:
		if lit.Kind == LitList {
			return fmt.Errorf("%s needs a single value, not a list", op)
		}
	}
	return nil
}

func litFromJSON(v any, path string, listOK bool) (Literal, error) {
	switch x := v.(type) {
	case string:
		return StringLit(x), nil
	case bool:
		return BoolLit(x), nil
	case json.Number:
		d, err := parseNumber(string(x))
		if err != nil {
			return Literal{}, ruleErr(path, "%s", err.Error())
		}
		return NumberLit(d), nil
	case []any:
		if !listOK {
			return Literal{}, ruleErr(path, "lists do not nest")
		}
		items := make([]Literal, len(x))
		for i, e := range x {
			l, err := litFromJSON(e, index(path, i), false)
			if err != nil {
				return Literal{}, err
			}
			items[i] = l
		}
		return ListLit(items...), nil
	case nil:
		return Literal{}, ruleErr(path, "null is not a value (to ask whether something is missing, use not_exists)")
	}
	return Literal{}, ruleErr(path, "must be a string, number, boolean or list, not %s", jsonKind(v))
}

// parseNumber reads a number exactly. More than 19 significant digits is an
// error rather than a silent rounding: a rule says what its author wrote.
func parseNumber(s string) (decimal.Decimal, error) {
	mant := s
	if i := strings.IndexAny(s, "eE"); i >= 0 {
		mant = s[:i]
	}
	digits := strings.TrimLeft(strings.NewReplacer("-", "", "+", "", ".", "").Replace(mant), "0")
	if len(digits) > decimal.MaxPrec {
		return decimal.Decimal{}, fmt.Errorf("number %s has more than %d significant digits", s, decimal.MaxPrec)
	}
	exp := 0
	if i := strings.IndexAny(s, "eE"); i >= 0 {
		e, err := strconv.Atoi(strings.TrimPrefix(s[i+1:], "+"))
		if err != nil || e > 1000 || e < -1000 {
			return decimal.Decimal{}, fmt.Errorf("number %s is out of range", s)
		}
		exp = e
	}
	scale := 0
	if _, frac, ok := strings.Cut(mant, "."); ok {
		scale = len(frac)
	}
	if scale-exp > decimal.MaxScale {
		return decimal.Decimal{}, fmt.Errorf("number %s has more than %d decimal places", s, decimal.MaxScale)
	}
	d, err := decimal.Parse(s)
	if err != nil {
		return decimal.Decimal{}, fmt.Errorf("number %s is out of range", s)
	}
	return d, nil
}

func eventFromJSON(obj map[string]any, path string) (Rule, error) {
	if err := onlyKeys(obj, path, "type", "event", "name", "where", "count", "within"); err != nil {
		return nil, err
	}
	ev := EventCond{Type: EventTrack}
	if t, has := obj["type"]; has {
		s, ok := t.(string)
		if !ok || (s != EventTrack && s != EventPage && s != EventScreen) {
			return nil, ruleErr(join(path, "type"), "must be track, page or screen")
		}
		ev.Type = s
	}
	if ev.Type == EventTrack {
		if _, has := obj["name"]; has {
			return nil, ruleErr(join(path, "name"), "a track event is named by \"event\"; \"name\" is for pages and screens")
		}
		s, ok := obj["event"].(string)
		if !ok || s == "" {
			return nil, ruleErr(join(path, "event"), "must be the event's name (a non-empty string)")
		}
		ev.Name = s
	} else {
		if _, has := obj["event"]; has {
			return nil, ruleErr(join(path, "event"), "a %s is named by \"name\"", ev.Type)
		}
		if n, has := obj["name"]; has {
			s, ok := n.(string)
			if !ok {
				return nil, ruleErr(join(path, "name"), "must be a string")
			}
			ev.Name = s
		}
	}
	if w, has := obj["where"]; has {
		arr, ok := w.([]any)
		if !ok {
			return nil, ruleErr(join(path, "where"), "must be a list of property conditions")
		}
		for i, x := range arr {
			p := index(join(path, "where"), i)
			o, ok := x.(map[string]any)
			if !ok {
				return nil, ruleErr(p, "a property condition must be an object")
			}
			if err := onlyKeys(o, p, "property", "op", "value"); err != nil {
				return nil, err
			}
			prop, ok := o["property"].(string)
			if !ok {
				return nil, ruleErr(join(p, "property"), "must be a property name (a string)")
			}
			op, val, err := testFromJSON(o, p)
			if err != nil {
				return nil, err
			}
			ev.Where = append(ev.Where, PropCond{Property: prop, Op: op, Value: val})
		}
	}
	ev.Count = CountCond{Op: OpGte, Value: 1}
	if c, has := obj["count"]; has {
		p := join(path, "count")
		o, ok := c.(map[string]any)
		if !ok {
			return nil, ruleErr(p, "must be an object with op and value")
		}
		if err := onlyKeys(o, p, "op", "value"); err != nil {
			return nil, err
		}
		s, _ := o["op"].(string)
		if !knownOp(Op(s), countOps) {
			return nil, ruleErr(join(p, "op"), "must be one of %s", opList(countOps))
		}
		cc := CountCond{Op: Op(s)}
		if cc.Op == OpBetween {
			arr, ok := o["value"].([]any)
			if !ok || len(arr) != 2 {
				return nil, ruleErr(join(p, "value"), "between needs a list of two counts")
			}
			lo, err := countFromJSON(arr[0], index(join(p, "value"), 0))
			if err != nil {
				return nil, err
			}
			hi, err := countFromJSON(arr[1], index(join(p, "value"), 1))
			if err != nil {
				return nil, err
			}
			cc.Value, cc.Upper = lo, hi
		} else {
			n, err := countFromJSON(o["value"], join(p, "value"))
			if err != nil {
				return nil, err
			}
			cc.Value = n
		}
		if err := checkCount(cc); err != nil {
			return nil, ruleErr(p, "%s", err.Error())
		}
		ev.Count = cc
	}
	if w, has := obj["within"]; has {
		s, ok := w.(string)
		if !ok {
			return nil, ruleErr(join(path, "within"), "must be a duration such as \"90d\"")
		}
		d, err := parseDuration(s)
		if err != nil {
			return nil, ruleErr(join(path, "within"), "%s", err.Error())
		}
		if d == 0 {
			return nil, ruleErr(join(path, "within"), "a window must be longer than zero; leave within out for all time")
		}
		ev.Within = d
	}
	return ev, nil
}

// maxCount bounds count thresholds: the all-time state keeps as many
// timestamps as the threshold, so an absurd one would be a memory bomb.
const maxCount = 100000

func countFromJSON(v any, path string) (int64, error) {
	n, ok := v.(json.Number)
	if !ok {
		return 0, ruleErr(path, "must be a whole number")
	}
	i, err := strconv.ParseInt(string(n), 10, 64)
	if err != nil || i < 0 || i > maxCount {
		return 0, ruleErr(path, "must be a whole number from 0 to %d", maxCount)
	}
	return i, nil
}

func checkCount(c CountCond) error {
	if c.Value < 0 || c.Value > maxCount || c.Upper < 0 || c.Upper > maxCount {
		return fmt.Errorf("counts run from 0 to %d", maxCount)
	}
	if c.Op == OpBetween && c.Upper < c.Value {
		return fmt.Errorf("between %d and %d: the lower bound is above the upper", c.Value, c.Upper)
	}
	return nil
}

// maxDuration bounds windows and relative times (100 years), keeping every
// clock arithmetic far from overflow.
const maxDuration = 36500 * 24 * time.Hour

var durUnits = []struct {
	c byte
	d time.Duration
}{{'w', 7 * 24 * time.Hour}, {'d', 24 * time.Hour}, {'h', time.Hour}, {'m', time.Minute}, {'s', time.Second}}

// parseDuration reads "90d": a whole number and one unit of s, m, h, d or
// w. Days are 24 hours: the clock is UTC, which has no daylight saving, and
// the SQL side does the same arithmetic on instants.
func parseDuration(s string) (time.Duration, error) {
	bad := fmt.Errorf("%q is not a duration; write a whole number and a unit: 90d, 12h, 30m, 45s or 2w", s)
	if len(s) < 2 {
		return 0, bad
	}
	var unit time.Duration
	for _, u := range durUnits {
		if s[len(s)-1] == u.c {
			unit = u.d
		}
	}
	num := s[:len(s)-1]
	if unit == 0 || num == "" || strings.TrimLeft(num, "0123456789") != "" {
		return 0, bad
	}
	n, err := strconv.ParseInt(num, 10, 64)
	if err != nil || n > int64(maxDuration/unit) {
		return 0, fmt.Errorf("%q is longer than 100 years", s)
	}
	return time.Duration(n) * unit, nil
}

// formatDuration prints a duration in the largest of d, h, m and s that
// divides it: 90d, not 2160h. Weeks are read but not written, so that a
// window the user wrote as 14d does not come back as 2w.
func formatDuration(d time.Duration) string {
	if d <= 0 {
		return strconv.FormatInt(int64(d/time.Second), 10) + "s"
	}
	for _, u := range durUnits[1:] {
		if d%u.d == 0 {
			return strconv.FormatInt(int64(d/u.d), 10) + string(u.c)
		}
	}
	// Not a whole number of seconds: only a tree built in Go can say this,
	// and validation refuses it.
	return strconv.FormatInt(int64(d/time.Second), 10) + "s"
}

func jsonKind(v any) string {
	switch v.(type) {
	case map[string]any:
		return "an object"
	case []any:
		return "a list"
	case string:
		return "a string"
	case json.Number:
		return "a number"
	case bool:
		return "a boolean"
	case nil:
		return "null"
	}
	return fmt.Sprintf("%T", v)
}

func opList(ops []Op) string {
	s := make([]string, len(ops))
	for i, o := range ops {
		s[i] = string(o)
	}
	return strings.Join(s, ", ")
}

// MarshalJSON writes the canonical JSON form.
func (r And) MarshalJSON() ([]byte, error) { return FormatJSON(r), nil }

// MarshalJSON writes the canonical JSON form.
func (r Or) MarshalJSON() ([]byte, error) { return FormatJSON(r), nil }

// MarshalJSON writes the canonical JSON form.
func (r Not) MarshalJSON() ([]byte, error) { return FormatJSON(r), nil }

// MarshalJSON writes the canonical JSON form.
func (r TraitCond) MarshalJSON() ([]byte, error) { return FormatJSON(r), nil }

// MarshalJSON writes the canonical JSON form.
func (r EventCond) MarshalJSON() ([]byte, error) { return FormatJSON(r), nil }

// MarshalJSON writes the canonical JSON form.
func (r InSegment) MarshalJSON() ([]byte, error) { return FormatJSON(r), nil }

// FormatJSON writes a rule in its canonical JSON form: keys in a fixed
// order, the default count left out. ParseJSON of the result gives an equal
// tree.
func FormatJSON(r Rule) []byte {
	return appendJSON(nil, r)
}

func appendJSON(b []byte, r Rule) []byte {
	switch r := r.(type) {
	case And:
		return appendJSONList(append(b, `{"and":`...), r)
	case Or:
		return appendJSONList(append(b, `{"or":`...), r)
	case Not:
		b = append(b, `{"not":`...)
		b = appendJSON(b, r.Rule)
		return append(b, '}')
	case InSegment:
		b = append(b, `{"segment":`...)
		b = jsonw.AppendString(b, r.ID)
		return append(b, '}')
	case TraitCond:
		b = append(b, `{"trait":`...)
		b = jsonw.AppendString(b, r.Attr)
		b = appendJSONTest(b, r.Op, r.Value)
		return append(b, '}')
	case EventCond:
		if r.Type == EventTrack || r.Type == "" {
			b = append(b, `{"event":`...)
			b = jsonw.AppendString(b, r.Name)
		} else {
			b = append(b, `{"type":`...)
			b = jsonw.AppendString(b, r.Type)
			if r.Name != "" {
				b = append(b, `,"name":`...)
				b = jsonw.AppendString(b, r.Name)
			}
		}
		if len(r.Where) > 0 {
			b = append(b, `,"where":[`...)
			for i, p := range r.Where {
				if i > 0 {
					b = append(b, ',')
				}
				b = append(b, `{"property":`...)
				b = jsonw.AppendString(b, p.Property)
				b = appendJSONTest(b, p.Op, p.Value)
				b = append(b, '}')
			}
			b = append(b, ']')
		}
		if c := normCount(r.Count); c != (CountCond{Op: OpGte, Value: 1}) {
			b = append(b, `,"count":{"op":`...)
			b = jsonw.AppendString(b, string(c.Op))
			b = append(b, `,"value":`...)
			if c.Op == OpBetween {
				b = append(b, '[')
				b = strconv.AppendInt(b, c.Value, 10)
				b = append(b, ',')
				b = strconv.AppendInt(b, c.Upper, 10)
				b = append(b, ']')
			} else {
				b = strconv.AppendInt(b, c.Value, 10)
			}
			b = append(b, '}')
		}
		if r.Within != 0 {
			b = append(b, `,"within":`...)
			b = jsonw.AppendString(b, formatDuration(r.Within))
		}
		return append(b, '}')
	}
	return append(b, "null"...)
}

func appendJSONList(b []byte, rs []Rule) []byte {
	b = append(b, '[')
	for i, r := range rs {
		if i > 0 {
			b = append(b, ',')
		}
		b = appendJSON(b, r)
	}
	return append(b, "]}"...)
}

func appendJSONTest(b []byte, op Op, v Literal) []byte {
	b = append(b, `,"op":`...)
	b = jsonw.AppendString(b, string(op))
	if op == OpExists || op == OpNotExists {
		return b
	}
	b = append(b, `,"value":`...)
	return appendJSONLit(b, v)
}

func appendJSONLit(b []byte, v Literal) []byte {
	switch v.Kind {
	case LitString:
		return jsonw.AppendString(b, v.Str)
	case LitNumber:
		return append(b, v.Num.String()...)
	case LitBool:
		return strconv.AppendBool(b, v.Bool)
	case LitList:
		b = append(b, '[')
		for i, e := range v.List {
			if i > 0 {
				b = append(b, ',')
			}
			b = appendJSONLit(b, e)
		}
		return append(b, ']')
	}
	return append(b, "null"...)
}

// MarshalJSON writes a segment as {"id", "name", "version", "rule"}.
func (s Segment) MarshalJSON() ([]byte, error) {
	b := []byte(`{"id":`)
	b = jsonw.AppendString(b, s.ID)
	b = append(b, `,"name":`...)
	b = jsonw.AppendString(b, s.Name)
	b = append(b, `,"version":`...)
	b = strconv.AppendInt(b, int64(s.Version), 10)
	b = append(b, `,"rule":`...)
	b = appendJSON(b, s.Rule)
	return append(b, '}'), nil
}

// UnmarshalJSON reads what MarshalJSON writes; the rule goes through
// ParseJSON.
func (s *Segment) UnmarshalJSON(data []byte) error {
	var raw struct {
		ID      string          `json:"id"`
		Name    string          `json:"name"`
		Version int             `json:"version"`
		Rule    json.RawMessage `json:"rule"`
	}
	if err := json.Unmarshal(data, &raw); err != nil {
		return err
	}
	r, err := ParseJSON(raw.Rule)
	if err != nil {
		if re, ok := err.(*RuleError); ok {
			return &RuleError{Path: join("rule", re.Path), Msg: re.Msg}
		}
		return err
	}
	*s = Segment{ID: raw.ID, Name: raw.Name, Version: raw.Version, Rule: r}
	return nil
}
