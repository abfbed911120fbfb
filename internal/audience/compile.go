package audience

import (
	"fmt"
	"hash/fnv"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/govalues/decimal"
	"github.com/tradewind/tradewind/internal/jsonw"
)

// The compiled form of a rule: the same tree with every literal converted
// once to what the comparisons need, and every event condition pointing at
// the stream of events it counts. Both the evaluator and the SQL compiler
// work from it, so a rule is interpreted in one place.

type nodeKind uint8

const (
	nAnd nodeKind = iota
	nOr
	nNot
	nTrait
	nEvent
	nSeg
)

type cnode struct {
	kind  nodeKind
	kids  []*cnode
	trait *traitLeaf
	ev    *eventLeaf
	seg   int // index of the referenced segment
}

// timeBound is a time operand: an absolute instant, or an offset from the
// evaluation clock (both in microseconds).
type timeBound struct {
	rel bool
	at  int64
	off int64
}

func (b timeBound) resolve(now int64) int64 {
	if b.rel {
		return now + b.off
	}
	return b.at
}

type traitLeaf struct {
	attr  string
	typ   Type
	op    Op
	strs  []string
	nums  []decimal.Decimal
	b     bool
	times []timeBound
	rel   bool // some operand is relative: the truth can change with the clock
}

// propPred is one compiled where-condition; kind is the literal's kind
// (LitNone for exists and not_exists), which decides the comparison.
type propPred struct {
	path []string
	raw  string
	op   Op
	kind LitKind
	strs []string
	nums []decimal.Decimal
	b    bool
}

type eventLeaf struct {
	st     *stream
	stream int
	count  CountCond // normalised
	window int64     // microseconds; 0 for all time
}

// stream is one kind of per-profile event state: the timestamps of the
// events of one type and name whose properties match where, as many as a
// count compared with thresholds below k needs. For all time (window 0)
// that is the k earliest. For a window, it is every event after the
// watermark (the clock may not have reached them yet) and the k newest of
// those at or before it that are still in the window: every allowed clock
// is at or after the watermark, so older ones can only leave before those
// do, and a count capped at k cannot tell them apart.
type stream struct {
	id     uint64
	desc   string
	match  string // desc without the retention: what the SQL counts
	typ    string
	name   string // "" matches any page or screen name
	where  []*propPred
	window int64
	k      int
}

type streamSet struct {
	list   []*stream
	byDesc map[string]int
}

type compiler struct {
	schema  Schema
	resolve func(id string) (int, bool) // nil: references are not checked
	streams *streamSet
	refs    []int
}

func (c *compiler) rule(r Rule, path string) (*cnode, error) {
	switch r := r.(type) {
	case And, Or:
		kids := []Rule(nil)
		kind := nAnd
		name := "and"
		if a, ok := r.(And); ok {
			kids = a
		} else {
			kids = r.(Or)
			kind, name = nOr, "or"
		}
		if len(kids) == 0 {
			return nil, ruleErr(path, "%s needs at least one condition", name)
		}
		n := &cnode{kind: kind}
		for i, k := range kids {
			ck, err := c.rule(k, index(join(path, name), i))
			if err != nil {
				return nil, err
			}
			n.kids = append(n.kids, ck)
		}
		return n, nil
	case Not:
		k, err := c.rule(r.Rule, join(path, "not"))
		if err != nil {
			return nil, err
		}
		return &cnode{kind: nNot, kids: []*cnode{k}}, nil
	case InSegment:
		if r.ID == "" {
			return nil, ruleErr(join(path, "segment"), "the segment id is empty")
		}
		if c.resolve == nil {
			return &cnode{kind: nSeg, seg: -1}, nil
		}
		i, ok := c.resolve(r.ID)
		if !ok {
			return nil, ruleErr(join(path, "segment"), "no segment with id %q", r.ID)
		}
		c.refs = append(c.refs, i)
		return &cnode{kind: nSeg, seg: i}, nil
	case TraitCond:
		l, err := c.trait(r, path)
		if err != nil {
			return nil, err
		}
		return &cnode{kind: nTrait, trait: l}, nil
	case EventCond:
		l, err := c.event(r, path)
		if err != nil {
			return nil, err
		}
		return &cnode{kind: nEvent, ev: l}, nil
	case nil:
		return nil, ruleErr(path, "empty condition")
	}
	return nil, ruleErr(path, "unknown condition %T", r)
}

// traitOps says which operators each attribute type takes.
var traitOps = map[Type][]Op{
	String:     {OpEq, OpNe, OpIn, OpNotIn, OpGt, OpGte, OpLt, OpLte, OpBetween, OpContains, OpStartsWith, OpExists, OpNotExists},
	Number:     {OpEq, OpNe, OpIn, OpNotIn, OpGt, OpGte, OpLt, OpLte, OpBetween, OpExists, OpNotExists},
	Decimal:    {OpEq, OpNe, OpIn, OpNotIn, OpGt, OpGte, OpLt, OpLte, OpBetween, OpExists, OpNotExists},
	Bool:       {OpEq, OpNe, OpExists, OpNotExists},
	Time:       {OpEq, OpNe, OpGt, OpGte, OpLt, OpLte, OpBetween, OpExists, OpNotExists},
	StringList: {OpContains, OpIn, OpNotIn, OpExists, OpNotExists},
}

func (c *compiler) trait(t TraitCond, path string) (*traitLeaf, error) {
	fail := func(format string, args ...any) error {
		return ruleErr(path, "%s: %s", Format(t), fmt.Sprintf(format, args...))
	}
	typ, ok := c.schema.Attrs[t.Attr]
	if !ok {
		if s := suggest(t.Attr, c.schema.Attrs); s != "" {
			return nil, fail("unknown attribute %q (did you mean %q?)", t.Attr, s)
		}
		return nil, fail("unknown attribute %q", t.Attr)
	}
	if !knownOp(t.Op, allOps) {
		return nil, fail("unknown operator %q", t.Op)
	}
	if !knownOp(t.Op, traitOps[typ]) {
		return nil, fail("%s is a %s attribute, which takes %s, not %s", t.Attr, typ, opList(traitOps[typ]), t.Op)
	}
	if err := checkShape(t.Op, t.Value); err != nil && t.Op != OpExists && t.Op != OpNotExists {
		return nil, fail("%s", err.Error())
	}
	l := &traitLeaf{attr: t.Attr, typ: typ, op: t.Op}
	if t.Op == OpExists || t.Op == OpNotExists {
		if t.Value.Kind != LitNone {
			return nil, fail("%s takes no value", t.Op)
		}
		return l, nil
	}
	items := []Literal{t.Value}
	if t.Value.Kind == LitList {
		items = t.Value.List
	}
	want := map[Type]LitKind{String: LitString, Number: LitNumber, Decimal: LitNumber, Bool: LitBool, Time: LitString, StringList: LitString}[typ]
	for _, it := range items {
		if it.Kind != want {
			return nil, fail("%s is a %s attribute; %s is %s", t.Attr, typ, litText(it), litKindName(it.Kind))
		}
		switch typ {
		case String, StringList:
			l.strs = append(l.strs, it.Str)
		case Number, Decimal:
			l.nums = append(l.nums, it.Num)
		case Bool:
			l.b = it.Bool
		case Time:
			tb, err := parseTimeLit(it.Str)
			if err != nil {
				return nil, fail("%s is a time attribute: %s", t.Attr, err.Error())
			}
			l.times = append(l.times, tb)
			l.rel = l.rel || tb.rel
		}
	}
	return l, nil
}

// parseTimeLit reads an RFC 3339 time (any offset; kept as the instant, to
// the microsecond) or a relative time: a sign, a whole number and a unit,
// counted from the evaluation clock.
func parseTimeLit(s string) (timeBound, error) {
	if isRelTime(s) {
		d, err := parseDuration(s[1:])
		if err != nil {
			return timeBound{}, err
		}
		off := d.Microseconds()
		if s[0] == '-' {
			off = -off
		}
		return timeBound{rel: true, off: off}, nil
	}
	t, err := time.Parse(time.RFC3339Nano, s)
	if err != nil {
		return timeBound{}, fmt.Errorf("%q is neither an RFC 3339 time such as \"2025-05-01T00:00:00Z\" nor a relative time such as -30d", s)
	}
	return timeBound{at: t.UnixMicro()}, nil
}

func (c *compiler) event(e EventCond, path string) (*eventLeaf, error) {
	fail := func(format string, args ...any) error {
		return ruleErr(path, "%s: %s", Format(e), fmt.Sprintf(format, args...))
	}
	typ := e.Type
	if typ == "" {
		typ = EventTrack
	}
	switch typ {
	case EventTrack:
		if e.Name == "" {
			return nil, fail("a track event condition needs the event's name")
		}
	case EventPage, EventScreen:
	default:
		return nil, fail("unknown event type %q (track, page or screen)", e.Type)
	}
	cnt := normCount(e.Count)
	if !knownOp(cnt.Op, countOps) {
		return nil, fail("unknown count operator %q", cnt.Op)
	}
	if err := checkCount(cnt); err != nil {
		return nil, fail("%s", err.Error())
	}
	if e.Within < 0 || e.Within > maxDuration || e.Within%time.Second != 0 {
		return nil, fail("a window is a whole number of seconds up to 100 years")
	}
	var preds []*propPred
	var descs []string
	for i, w := range e.Where {
		p, err := compileProp(w)
		if err != nil {
			return nil, ruleErr(index(join(path, "where"), i), "%s", err.Error())
		}
		preds = append(preds, p)
		var b strings.Builder
		b.WriteString(formatName(w.Property, true))
		formatTest(&b, w.Op, w.Value)
		descs = append(descs, b.String())
	}
	// Conditions are sorted in the stream's description (and so its id):
	// the same conditions in another order are the same events.
	order := make([]int, len(descs))
	for i := range order {
		order[i] = i
	}
	sort.SliceStable(order, func(a, b int) bool { return descs[order[a]] < descs[order[b]] })
	sortedPreds := make([]*propPred, len(preds))
	sortedDescs := make([]string, len(descs))
	for i, j := range order {
		sortedPreds[i], sortedDescs[i] = preds[j], descs[j]
	}
	st := &stream{typ: typ, name: e.Name, where: sortedPreds}
	leaf := &eventLeaf{count: cnt, window: e.Within.Microseconds()}
	st.k = saturation(cnt)
	retention := "earliest " + strconv.Itoa(st.k)
	if leaf.window > 0 {
		st.window = leaf.window
		retention = "window " + strconv.FormatInt(leaf.window, 10) + "us, newest " + strconv.Itoa(st.k)
	}
	st.match = typ + " " + string(jsonw.AppendString(nil, e.Name)) + " where [" + strings.Join(sortedDescs, ", ") + "]"
	st.desc = st.match + " " + retention
	leaf.st = st
	if c.streams != nil {
		if i, ok := c.streams.byDesc[st.desc]; ok {
			leaf.stream = i
			leaf.st = c.streams.list[i]
			return leaf, nil
		}
		h := fnv.New64a()
		h.Write([]byte("audience/v1\x00" + st.desc))
		st.id = h.Sum64()
		leaf.stream = len(c.streams.list)
		c.streams.byDesc[st.desc] = leaf.stream
		c.streams.list = append(c.streams.list, st)
	}
	return leaf, nil
}

// saturation is the smallest cap on a count that still decides c: counts
// at or above it all compare alike, so a stream keeps about that many
// timestamps (see stream).
func saturation(c CountCond) int {
	var k int64
	switch c.Op {
	case OpGte, OpLt:
		k = c.Value
	case OpBetween:
		k = c.Upper + 1
	default: // gt, eq, ne, lte
		k = c.Value + 1
	}
	if k < 1 {
		k = 1
	}
	return int(k)
}

func compileProp(w PropCond) (*propPred, error) {
	var b strings.Builder
	b.WriteString(formatName(w.Property, true))
	formatTest(&b, w.Op, w.Value)
	fail := func(format string, args ...any) error {
		return fmt.Errorf("%s: %s", b.String(), fmt.Sprintf(format, args...))
	}
	path, err := splitPath(w.Property)
	if err != nil {
		return nil, fail("%s", err.Error())
	}
	if !knownOp(w.Op, allOps) {
		return nil, fail("unknown operator %q", w.Op)
	}
	p := &propPred{path: path, raw: w.Property, op: w.Op}
	if w.Op == OpExists || w.Op == OpNotExists {
		if w.Value.Kind != LitNone {
			return nil, fail("%s takes no value", w.Op)
		}
		return p, nil
	}
	if err := checkShape(w.Op, w.Value); err != nil {
		return nil, fail("%s", err.Error())
	}
	items := []Literal{w.Value}
	if w.Value.Kind == LitList {
		items = w.Value.List
	}
	p.kind = items[0].Kind
	for _, it := range items {
		if it.Kind != p.kind {
			return nil, fail("the values must all be of one kind")
		}
		switch it.Kind {
		case LitString:
			p.strs = append(p.strs, it.Str)
		case LitNumber:
			p.nums = append(p.nums, it.Num)
		case LitBool:
			p.b = it.Bool
		default:
			return nil, fail("unsupported value")
		}
	}
	ok := false
	switch w.Op {
	case OpEq, OpNe:
		ok = true
	case OpIn, OpNotIn, OpGt, OpGte, OpLt, OpLte, OpBetween:
		ok = p.kind == LitString || p.kind == LitNumber
	case OpContains, OpStartsWith:
		ok = p.kind == LitString
	}
	if !ok {
		return nil, fail("%s does not take %s", w.Op, litKindName(p.kind))
	}
	return p, nil
}

// splitPath splits a property path at its dots. What it refuses in a name
// (quotes, backslashes, control characters, a lone *) is what would need
// escaping inside a JSON path or means something else there: refusing it
// keeps the SQL path a plain literal that means exactly what the Go lookup
// does.
func splitPath(s string) ([]string, error) {
	if s == "" {
		return nil, fmt.Errorf("the property name is empty")
	}
	parts := strings.Split(s, ".")
	for _, p := range parts {
		if p == "" {
			return nil, fmt.Errorf("property path %q has an empty part", s)
		}
		if p == "*" {
			// DuckDB reads a quoted * in a JSON path as a wildcard.
			return nil, fmt.Errorf("property path %q: a part cannot be *", s)
		}
		for _, r := range p {
			if r == '"' || r == '\\' || r < 0x20 || r == 0x7f {
				return nil, fmt.Errorf("property name %q has a character that is not allowed (quote, backslash or control character)", s)
			}
		}
	}
	return parts, nil
}

func litText(l Literal) string {
	var b strings.Builder
	formatLit(&b, l)
	return b.String()
}

func litKindName(k LitKind) string {
	switch k {
	case LitString:
		return "a string"
	case LitNumber:
		return "a number"
	case LitBool:
		return "a boolean"
	case LitList:
		return "a list"
	}
	return "no value"
}

// suggest returns the known attribute closest to name, if it is close
// enough to be a typo.
func suggest(name string, attrs map[string]Type) string {
	best, bestD := "", 3
	for a := range attrs {
		if d := editDistance(strings.ToLower(name), strings.ToLower(a)); d < bestD || (d == bestD && best != "" && a < best) {
			best, bestD = a, d
		}
	}
	return best
}

func editDistance(a, b string) int {
	if len(a) > 64 || len(b) > 64 {
		return 99
	}
	prev := make([]int, len(b)+1)
	cur := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev, cur = cur, prev
	}
	return prev[len(b)]
}

// Validate checks a rule against the schema: known attributes, operators
// that fit their types, values of the right kind, well-formed property
// paths, counts and windows. Segment references are only checked to be
// non-empty here; the Engine checks that they exist and form no cycle.
func (s Schema) Validate(r Rule) error {
	c := &compiler{schema: s}
	_, err := c.rule(r, "")
	return err
}
