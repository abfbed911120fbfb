package audience

import (
	"errors"
	"fmt"
	"math"
	"slices"
	"strings"
	"sync/atomic"
	"time"

	"github.com/govalues/decimal"
	"github.com/valyala/fastjson"
)

// Event is what the engine needs of one message from the event log.
type Event struct {
	// Profile is the profile the event belongs to when it is applied.
	Profile string
	// Type is the message type: track, page or screen (others match no
	// condition).
	Type string
	// Name is the track event's name, or the page or screen name.
	Name string
	// Props is the message's properties object as JSON, as it is in the
	// log and in the events table. Taking the raw JSON rather than a
	// decoded map is what lets the Go side read a property exactly as the
	// SQL side does (numbers, strings, nulls, nesting); it is only parsed
	// when some condition's where needs it. Nil means no properties.
	Props []byte
	// At is the event time.
	At time.Time
	// Seq is the event's position in the log. Each piece of state
	// remembers the highest Seq it applied, so a redelivered or replayed
	// event is not counted twice; 0 turns that off.
	Seq uint64
}

// ErrClockBehind is returned by Evaluate and Apply when asked about a
// clock earlier than one the profile's state was already trimmed for: the
// events that such a clock would still see in its windows are gone.
var ErrClockBehind = errors.New("audience: clock is earlier than the profile's state allows")

// Engine holds the compiled segments and evaluates them for one profile at
// a time. Its methods are safe for concurrent use; calls for the same
// profile must not overlap (each reads, changes and writes the profile's
// state), which the profile engine ensures by handling a profile on one
// goroutine at a time.
type Engine struct {
	schema Schema
	cur    atomic.Pointer[compiled]
}

type evKey struct{ typ, name string }

// compiled is one immutable set of segments; Set swaps it in whole.
type compiled struct {
	segs      []Segment
	roots     []*cnode
	byID      map[string]int
	order     []int // segments with their dependencies first
	streams   []*stream
	streamIdx map[uint64]int
	byName    map[evKey][]int
	anyName   map[string][]int
	evLeaves  []*eventLeaf // distinct event leaves: each can change with the clock
	relLeaves []*traitLeaf // trait leaves with a relative time
}

// New returns an engine with no segments that validates rules against
// schema. The zero Engine works too, with an empty schema (event and
// segment conditions only).
func New(schema Schema) *Engine {
	return &Engine{schema: schema}
}

var emptySet = &compiled{byID: map[string]int{}, streamIdx: map[uint64]int{}}

// load returns the current segments.
func (e *Engine) load() *compiled {
	if c := e.cur.Load(); c != nil {
		return c
	}
	return emptySet
}

// Set replaces the engine's segments. It refuses the whole set, keeping
// the old one, when a rule is invalid, an id is empty or repeated, a
// segment refers to one that is not in the set, or references form a
// cycle.
//
// Event state is keyed by what a condition counts (type, name, where and
// window), not by segment: a new segment whose conditions match an
// existing one's shares its history, and one with a new condition starts
// with none. Replaying the log through OnEvent fills it in; the sequence
// numbers in the state keep the replay from counting twice what the other
// conditions already hold.
func (e *Engine) Set(segs []Segment) error {
	c, err := e.compile(segs)
	if err != nil {
		return err
	}
	e.cur.Store(c)
	return nil
}

// Check reports whether Set would accept seg alongside the current
// segments (replacing the one with the same id): what an API calls before
// saving a segment.
func (e *Engine) Check(seg Segment) error {
	cur := e.load().segs
	segs := make([]Segment, 0, len(cur)+1)
	replaced := false
	for _, s := range cur {
		if s.ID == seg.ID {
			s, replaced = seg, true
		}
		segs = append(segs, s)
	}
	if !replaced {
		segs = append(segs, seg)
	}
	_, err := e.compile(segs)
	return err
}

// Segments returns the current segments.
func (e *Engine) Segments() []Segment {
	return slices.Clone(e.load().segs)
}

func (e *Engine) compile(segs []Segment) (*compiled, error) {
	c := &compiled{
		segs:      slices.Clone(segs),
		byID:      make(map[string]int, len(segs)),
		streamIdx: map[uint64]int{},
		byName:    map[evKey][]int{},
		anyName:   map[string][]int{},
	}
	for i, s := range segs {
		if s.ID == "" {
			return nil, fmt.Errorf("audience: segment %d has no id", i)
		}
		if _, dup := c.byID[s.ID]; dup {
			return nil, fmt.Errorf("audience: segment id %q is used twice", s.ID)
		}
		c.byID[s.ID] = i
	}
	set := &streamSet{byDesc: map[string]int{}}
	refs := make([][]int, len(segs))
	for i, s := range segs {
		cp := &compiler{schema: e.schema, streams: set, resolve: func(id string) (int, bool) {
			j, ok := c.byID[id]
			return j, ok
		}}
		root, err := cp.rule(s.Rule, "")
		if err != nil {
			return nil, fmt.Errorf("audience: segment %q: %w", s.ID, err)
		}
		c.roots = append(c.roots, root)
		refs[i] = cp.refs
	}
	order, err := topoOrder(segs, refs)
	if err != nil {
		return nil, err
	}
	c.order = order
	c.streams = set.list
	for i, s := range c.streams {
		if j, dup := c.streamIdx[s.id]; dup {
			return nil, fmt.Errorf("audience: conditions %q and %q hash alike; change one", s.desc, c.streams[j].desc)
		}
		c.streamIdx[s.id] = i
		if s.name == "" {
			c.anyName[s.typ] = append(c.anyName[s.typ], i)
		} else {
			k := evKey{s.typ, s.name}
			c.byName[k] = append(c.byName[k], i)
		}
	}
	seen := map[eventLeaf]bool{}
	var walk func(n *cnode)
	walk = func(n *cnode) {
		switch n.kind {
		case nEvent:
			if !seen[*n.ev] {
				seen[*n.ev] = true
				c.evLeaves = append(c.evLeaves, n.ev)
			}
		case nTrait:
			if n.trait.rel {
				c.relLeaves = append(c.relLeaves, n.trait)
			}
		}
		for _, k := range n.kids {
			walk(k)
		}
	}
	for _, r := range c.roots {
		walk(r)
	}
	return c, nil
}

// topoOrder orders segments so that every segment comes after those it
// refers to, or reports a cycle with its path.
func topoOrder(segs []Segment, refs [][]int) ([]int, error) {
	const (
		white = iota
		grey
		black
	)
	color := make([]int, len(segs))
	var order, stack []int
	var visit func(i int) error
	visit = func(i int) error {
		switch color[i] {
		case grey:
			var path []string
			start := slices.Index(stack, i)
			for _, j := range stack[start:] {
				path = append(path, fmt.Sprintf("%q", segs[j].ID))
			}
			path = append(path, fmt.Sprintf("%q", segs[i].ID))
			return fmt.Errorf("audience: segments refer to each other in a cycle: %s", strings.Join(path, " → "))
		case black:
			return nil
		}
		color[i] = grey
		stack = append(stack, i)
		for _, j := range refs[i] {
			if err := visit(j); err != nil {
				return err
			}
		}
		stack = stack[:len(stack)-1]
		color[i] = black
		order = append(order, i)
		return nil
	}
	for i := range segs {
		if err := visit(i); err != nil {
			return nil, err
		}
	}
	return order, nil
}

var parserPool fastjson.ParserPool

// OnEvent records ev in the state of every event condition it matches.
// Events that match no condition cost a map lookup and no I/O.
func (e *Engine) OnEvent(kv KV, ev Event) error {
	c := e.load()
	var buf [8]int
	matched, err := c.match(ev, buf[:0])
	if err != nil || len(matched) == 0 {
		return err
	}
	key := stateKey(ev.Profile)
	sc := getScratch()
	defer putScratch(sc)
	if err := sc.load(kv, key, ev.Profile); err != nil {
		return err
	}
	if !c.record(&sc.st, ev, matched) {
		return nil
	}
	c.tidy(&sc.st)
	return sc.save(kv, key)
}

// Apply is OnEvent followed by Evaluate at now, reading and writing the
// profile's state once instead of twice: what the profile engine does for
// every event, at about half the cost.
func (e *Engine) Apply(kv KV, ev Event, p Profile, now time.Time) (members map[string]bool, nextChange time.Time, err error) {
	c := e.load()
	var buf [8]int
	matched, err := c.match(ev, buf[:0])
	if err != nil {
		return nil, time.Time{}, err
	}
	sc := getScratch()
	defer putScratch(sc)
	key := stateKey(ev.Profile)
	if len(c.streams) > 0 {
		if err := sc.load(kv, key, ev.Profile); err != nil {
			return nil, time.Time{}, err
		}
	}
	changed := len(matched) > 0 && c.record(&sc.st, ev, matched)
	members = make(map[string]bool, len(c.segs))
	nextChange, trim, err := c.evaluate(sc, &sc.st, ev.Profile, p, now, func(id string, in bool) { members[id] = in })
	if err != nil {
		return nil, time.Time{}, err
	}
	if changed || trim {
		c.tidy(&sc.st)
		if err := sc.save(kv, key); err != nil {
			return nil, time.Time{}, err
		}
	}
	return members, nextChange, nil
}

// match returns the streams whose conditions ev satisfies, appended to out.
// The properties are parsed at most once, and only when some stream of
// the event's type and name has a where.
func (c *compiled) match(ev Event, out []int) ([]int, error) {
	named := c.byName[evKey{ev.Type, ev.Name}]
	anyN := c.anyName[ev.Type]
	if len(named) == 0 && len(anyN) == 0 {
		return out, nil
	}
	if ev.Profile == "" {
		return out, errors.New("audience: event without a profile")
	}
	var root *fastjson.Value
	parsed := false
	var parser *fastjson.Parser
	defer func() {
		if parser != nil {
			parserPool.Put(parser)
		}
	}()
	for _, list := range [2][]int{named, anyN} {
		for _, si := range list {
			s := c.streams[si]
			if len(s.where) > 0 && !parsed {
				parsed = true
				if len(ev.Props) > 0 {
					parser = parserPool.Get()
					v, err := parser.ParseBytes(ev.Props)
					if err != nil {
						return out, fmt.Errorf("audience: event %d of profile %q: properties are not JSON: %w", ev.Seq, ev.Profile, err)
					}
					root = v
				}
			}
			if s.matches(root) {
				out = append(out, si)
			}
		}
	}
	return out, nil
}

// record adds ev to the matched streams of st and reports whether st
// changed.
func (c *compiled) record(st *profState, ev Event, matched []int) bool {
	at := ev.At.UnixMicro()
	changed := false
	for _, si := range matched {
		s := c.streams[si]
		sd := st.stream(s.id)
		if ev.Seq != 0 {
			if ev.Seq <= sd.seq {
				continue // applied before: a redelivery or a replay
			}
			sd.seq = ev.Seq
			changed = true
		}
		if s.window > 0 {
			if st.hasW && at <= st.w-s.window {
				continue // outside the window at every clock still allowed
			}
			sd.ts = insertSorted(sd.ts, at)
			changed = true
		} else if len(sd.ts) < s.k {
			sd.ts = insertSorted(sd.ts, at)
			changed = true
		} else if at < sd.ts[len(sd.ts)-1] {
			sd.ts = insertSorted(sd.ts[:len(sd.ts)-1], at)
			changed = true
		}
	}
	return changed
}

// matches reports whether an event's properties satisfy the stream's
// where-conditions.
func (s *stream) matches(root *fastjson.Value) bool {
	for _, p := range s.where {
		if !p.match(root) {
			return false
		}
	}
	return true
}

func (p *propPred) match(root *fastjson.Value) bool {
	v := lookupProp(root, p.path)
	k := kindOf(v)
	switch p.op {
	case OpExists:
		return k != propMissing
	case OpNotExists:
		return k == propMissing
	}
	switch p.kind {
	case LitString:
		if p.op == OpContains && k == propArray {
			arr, _ := v.Array()
			for _, e := range arr {
				if e.Type() == fastjson.TypeString && string(e.GetStringBytes()) == p.strs[0] {
					return true
				}
			}
			return false
		}
		if k != propString {
			return false
		}
		return stringHolds(p.op, string(v.GetStringBytes()), p.strs)
	case LitNumber:
		if k != propNumber {
			return false
		}
		var tmp [40]byte
		d, ok := jsonNumber(string(v.MarshalTo(tmp[:0])))
		return ok && numberHolds(p.op, d, p.nums)
	case LitBool:
		if k != propBool {
			return false
		}
		b := v.Type() == fastjson.TypeTrue
		if p.op == OpEq {
			return b == p.b
		}
		return b != p.b
	}
	return false
}

// ordered applies an ordering operator given how the value compares with
// each operand (c[i] < 0: value is smaller).
func ordered(op Op, n int, cmp func(i int) int) bool {
	switch op {
	case OpEq:
		return cmp(0) == 0
	case OpNe:
		return cmp(0) != 0
	case OpGt:
		return cmp(0) > 0
	case OpGte:
		return cmp(0) >= 0
	case OpLt:
		return cmp(0) < 0
	case OpLte:
		return cmp(0) <= 0
	case OpBetween:
		return cmp(0) >= 0 && cmp(1) <= 0
	case OpIn:
		for i := 0; i < n; i++ {
			if cmp(i) == 0 {
				return true
			}
		}
		return false
	case OpNotIn:
		for i := 0; i < n; i++ {
			if cmp(i) == 0 {
				return false
			}
		}
		return true
	}
	return false
}

func stringHolds(op Op, s string, ops []string) bool {
	switch op {
	case OpContains:
		return strings.Contains(s, ops[0])
	case OpStartsWith:
		return strings.HasPrefix(s, ops[0])
	}
	return ordered(op, len(ops), func(i int) int { return strings.Compare(s, ops[i]) })
}

func numberHolds(op Op, d decimal.Decimal, ops []decimal.Decimal) bool {
	return ordered(op, len(ops), func(i int) int { return d.Cmp(ops[i]) })
}

func (l *traitLeaf) eval(v Value, ok bool, now int64) bool {
	if !ok || !fits(v.kind, l.typ) {
		return l.op == OpNotExists
	}
	switch l.op {
	case OpExists:
		return true
	case OpNotExists:
		return false
	}
	switch l.typ {
	case String:
		return stringHolds(l.op, v.s, l.strs)
	case Number, Decimal:
		return numberHolds(l.op, v.n, l.nums)
	case Bool:
		if l.op == OpEq {
			return v.b == l.b
		}
		return v.b != l.b
	case Time:
		return ordered(l.op, len(l.times), func(i int) int {
			t := l.times[i].resolve(now)
			switch {
			case v.t < t:
				return -1
			case v.t > t:
				return 1
			}
			return 0
		})
	case StringList:
		switch l.op {
		case OpContains:
			return slices.Contains(v.list, l.strs[0])
		case OpIn, OpNotIn:
			hit := false
			for _, x := range v.list {
				if slices.Contains(l.strs, x) {
					hit = true
					break
				}
			}
			return hit == (l.op == OpIn)
		}
	}
	return false
}

// flip returns the first instant after now at which the leaf's truth
// changes with the clock alone, if any. A comparison of a time x with
// now+off changes only where now reaches x−off (equality) and one
// microsecond later.
func (l *traitLeaf) flip(v Value, ok bool, now int64) (int64, bool) {
	if !ok || !fits(v.kind, l.typ) || l.op == OpExists || l.op == OpNotExists {
		return 0, false
	}
	cur := l.eval(v, ok, now)
	var cands [4]int64
	n := 0
	for _, b := range l.times {
		if b.rel {
			cands[n], cands[n+1] = v.t-b.off, v.t-b.off+1
			n += 2
		}
	}
	cs := cands[:n]
	slices.Sort(cs)
	for _, x := range cs {
		if x > now && l.eval(v, ok, x) != cur {
			return x, true
		}
	}
	return 0, false
}

func countHolds(c CountCond, n int) bool {
	v := int(c.Value)
	switch c.Op {
	case OpEq:
		return n == v
	case OpNe:
		return n != v
	case OpGt:
		return n > v
	case OpGte:
		return n >= v
	case OpLt:
		return n < v
	case OpLte:
		return n <= v
	case OpBetween:
		return n >= v && n <= int(c.Upper)
	}
	return false
}

// count is the number of the stream's events the leaf sees at now: those
// in (now−window, now], or all up to now. For an all-time stream, which
// keeps only the earliest k, the count is capped at k, which is enough.
func (l *eventLeaf) countAt(ts []int64, now int64) int {
	n := upper(ts, now)
	if l.window > 0 {
		n -= upper(ts, now-l.window)
	}
	return n
}

// flip returns the first instant after now at which the leaf's truth
// changes with the clock alone: events count from the instant they
// happened (a future event enters when the clock reaches it) and leave the
// window when it reaches t+window.
func (l *eventLeaf) flip(ts []int64, now int64) (int64, bool) {
	c := l.countAt(ts, now)
	cur := countHolds(l.count, c)
	if len(ts) == 0 || ts[len(ts)-1] <= now {
		// No event is still to come, the common case: an all-time count
		// cannot change, and a window's only falls, by one (or by the
		// duplicates of one instant) each time its oldest event leaves.
		// Rather than walk every departure, jump to the departure that
		// brings the count to the next value at which the truth differs.
		if l.window == 0 {
			return 0, false
		}
		n := len(ts)
		for want := c - 1; want >= 0; want-- {
			if countHolds(l.count, want) == cur {
				continue
			}
			// The count falls to want when the oldest of the newest want+1
			// leaves; with duplicates it may fall further at once.
			x := ts[n-want-1] + l.window
			got := n - upper(ts, x-l.window)
			if countHolds(l.count, got) != cur {
				return x, true
			}
			want = got
		}
		return 0, false
	}
	i := upper(ts, now) // next to enter
	j := 0              // next to leave
	if l.window > 0 {
		j = upper(ts, now-l.window)
	} else {
		j = len(ts)
	}
	for {
		x := int64(math.MaxInt64)
		if i < len(ts) {
			x = ts[i]
		}
		if j < len(ts) && ts[j]+l.window < x {
			x = ts[j] + l.window
		}
		if x == math.MaxInt64 {
			return 0, false
		}
		for i < len(ts) && ts[i] == x {
			c++
			i++
		}
		for l.window > 0 && j < len(ts) && ts[j]+l.window == x {
			c--
			j++
		}
		if countHolds(l.count, c) != cur {
			return x, true
		}
	}
}

type evalCtx struct {
	c    *compiled
	p    Profile
	now  int64
	ts   [][]int64
	memo []int8
}

func (x *evalCtx) node(n *cnode) bool {
	switch n.kind {
	case nAnd:
		for _, k := range n.kids {
			if !x.node(k) {
				return false
			}
		}
		return true
	case nOr:
		for _, k := range n.kids {
			if x.node(k) {
				return true
			}
		}
		return false
	case nNot:
		return !x.node(n.kids[0])
	case nTrait:
		v, ok := x.p.Attr(n.trait.attr)
		return n.trait.eval(v, ok, x.now)
	case nEvent:
		return countHolds(n.ev.count, n.ev.countAt(x.ts[n.ev.stream], x.now))
	case nSeg:
		return x.seg(n.seg)
	}
	return false
}

func (x *evalCtx) seg(i int) bool {
	switch x.memo[i] {
	case 1:
		return false
	case 2:
		return true
	}
	r := x.node(x.c.roots[i])
	x.memo[i] = 1
	if r {
		x.memo[i] = 2
	}
	return r
}

// Evaluate returns the profile's membership of every segment (true or
// false, keyed by segment id) as of now, and nextChange: the earliest
// instant after now at which some membership could change with no new
// event and no trait change — an event entering or leaving a window, a
// relative time crossing a trait's value. The zero time means never. The
// caller sets a timer for it; memberships are the same at every clock in
// [now, nextChange).
//
// When enough timestamps have left their windows, Evaluate drops them and
// writes the state back; after that, clocks earlier than now give
// ErrClockBehind. A nil Profile has no attributes.
func (e *Engine) Evaluate(kv KV, profile string, p Profile, now time.Time) (members map[string]bool, nextChange time.Time, err error) {
	members = make(map[string]bool, len(e.load().segs))
	nextChange, err = e.EvaluateFunc(kv, profile, p, now, func(id string, in bool) { members[id] = in })
	if err != nil {
		return nil, time.Time{}, err
	}
	return members, nextChange, nil
}

// EvaluateFunc is Evaluate calling fn with each segment's membership
// instead of building a map: what the profile engine does for every
// message, without a map of every segment to allocate and fill.
func (e *Engine) EvaluateFunc(kv KV, profile string, p Profile, now time.Time, fn func(segment string, member bool)) (nextChange time.Time, err error) {
	c := e.load()
	sc := getScratch()
	defer putScratch(sc)
	key := stateKey(profile)
	if len(c.streams) > 0 {
		if err := sc.load(kv, key, profile); err != nil {
			return time.Time{}, err
		}
	}
	nextChange, trim, err := c.evaluate(sc, &sc.st, profile, p, now, fn)
	if err != nil {
		return time.Time{}, err
	}
	if trim {
		c.tidy(&sc.st)
		if err := sc.save(kv, key); err != nil {
			return time.Time{}, err
		}
	}
	return nextChange, nil
}

// trimSlack keeps Evaluate from writing state back for a few stale
// timestamps; tests lower it to trim at every chance.
var trimSlack = 16

// evaluate computes memberships (fn is called for each segment, in
// dependency order) and the next change from a loaded state. trim is true
// when the state should be tidied and written back; the watermark is then
// already moved to now. sc lends its buffers.
func (c *compiled) evaluate(sc *scratch, st *profState, profile string, p Profile, now time.Time, fn func(string, bool)) (time.Time, bool, error) {
	if p == nil {
		p = Attrs(nil)
	}
	nowUS := now.UnixMicro()
	if st.hasW && nowUS < st.w {
		return time.Time{}, false, fmt.Errorf("%w: profile %q, clock %s, state trimmed for %s", ErrClockBehind, profile,
			now.UTC().Format(time.RFC3339Nano), time.UnixMicro(st.w).UTC().Format(time.RFC3339Nano))
	}
	sc.ts = append(sc.ts[:0], make([][]int64, len(c.streams))...)
	sc.memo = append(sc.memo[:0], make([]int8, len(c.segs))...)
	x := evalCtx{c: c, p: p, now: nowUS, ts: sc.ts, memo: sc.memo}
	// Timestamps that have left their windows are only dropped (and the
	// state written back) once they are a good part of it: counting
	// ignores them anyway, and writing on every evaluation would double
	// the cost of the common case, one event and one evaluation.
	stale, kept := 0, 0
	for i := range st.streams {
		sd := &st.streams[i]
		si, ok := c.streamIdx[sd.id]
		if !ok {
			stale += len(sd.ts) + 1
			continue
		}
		if s := c.streams[si]; s.window > 0 {
			keep := len(windowKeep(sd.ts, nowUS, s.window, s.k))
			stale += len(sd.ts) - keep
			kept += keep
		} else {
			kept += len(sd.ts)
		}
		x.ts[si] = sd.ts
	}
	trim := stale > 0 && stale*4 >= kept+trimSlack
	if trim && (!st.hasW || nowUS > st.w) {
		st.hasW, st.w = true, nowUS
	}
	for _, i := range c.order {
		fn(c.segs[i].ID, x.seg(i))
	}
	next := int64(math.MaxInt64)
	for _, l := range c.evLeaves {
		if t, ok := l.flip(x.ts[l.stream], nowUS); ok && t < next {
			next = t
		}
	}
	for _, l := range c.relLeaves {
		v, ok := p.Attr(l.attr)
		if t, ok := l.flip(v, ok, nowUS); ok && t < next {
			next = t
		}
	}
	clear(sc.ts) // no reference to the state's timestamps stays in the pool
	if next == math.MaxInt64 {
		return time.Time{}, trim, nil
	}
	return time.UnixMicro(next).UTC(), trim, nil
}

// Merge moves the event state of profile from into profile into, as when
// identity resolution finds they are one person: timestamps are combined
// per condition (all-time conditions keep their earliest k), sequence
// numbers and watermarks take the larger, and from's state is deleted.
//
// An unmerge cannot split combined state; the caller forgets both profiles
// and replays their events instead.
func (e *Engine) Merge(kv KV, into, from string) error {
	if into == from {
		return nil
	}
	c := e.load()
	fromKey := stateKey(from)
	scFrom, scInto := getScratch(), getScratch()
	defer putScratch(scFrom)
	defer putScratch(scInto)
	if err := scFrom.load(kv, fromKey, from); err != nil {
		return err
	}
	b := &scFrom.st
	if !b.hasW && len(b.streams) == 0 {
		return nil
	}
	intoKey := stateKey(into)
	if err := scInto.load(kv, intoKey, into); err != nil {
		return err
	}
	a := &scInto.st
	if b.hasW && (!a.hasW || b.w > a.w) {
		a.hasW, a.w = true, b.w
	}
	for _, sb := range b.streams {
		si, ok := c.streamIdx[sb.id]
		if !ok {
			continue
		}
		s := c.streams[si]
		sa := a.stream(sb.id)
		sa.seq = max(sa.seq, sb.seq)
		merged := make([]int64, 0, len(sa.ts)+len(sb.ts))
		merged = append(merged, sa.ts...)
		merged = append(merged, sb.ts...)
		slices.Sort(merged)
		if s.window == 0 && len(merged) > s.k {
			merged = merged[:s.k]
		}
		sa.ts = merged
	}
	c.tidy(a)
	if err := scInto.save(kv, intoKey); err != nil {
		return err
	}
	if err := kv.Delete(fromKey); err != nil {
		return fmt.Errorf("audience: delete state of %q: %w", from, err)
	}
	return nil
}

// Forget deletes a profile's event state: for an erased person, or before
// rebuilding a profile from the log.
func (e *Engine) Forget(kv KV, profile string) error {
	if err := kv.Delete(stateKey(profile)); err != nil {
		return fmt.Errorf("audience: delete state of %q: %w", profile, err)
	}
	return nil
}

// tidy drops what no current condition needs before state is written:
// streams of conditions no segment has any more, and, for windows, the
// timestamps at or before the watermark beyond the newest k still in the
// window (see stream).
func (c *compiled) tidy(st *profState) {
	out := st.streams[:0]
	for _, sd := range st.streams {
		si, ok := c.streamIdx[sd.id]
		if !ok {
			continue
		}
		if s := c.streams[si]; s.window > 0 && st.hasW {
			sd.ts = windowKeep(sd.ts, st.w, s.window, s.k)
		}
		out = append(out, sd)
	}
	st.streams = out
}

// windowKeep returns what a window stream must keep for clocks ≥ w: the
// newest k of the timestamps in (w−window, w], and all after w. It
// shares ts's array.
func windowKeep(ts []int64, w, window int64, k int) []int64 {
	past := upper(ts, w)
	in := past - upper(ts, w-window)
	keep := min(in, k)
	if past-keep == 0 {
		return ts
	}
	return append(ts[:0:0], ts[past-keep:]...)
}

func (sc *scratch) load(kv KV, key []byte, profile string) error {
	b, err := kv.Get(key)
	if err != nil {
		return fmt.Errorf("audience: read state of %q: %w", profile, err)
	}
	if err := sc.decode(b); err != nil {
		return fmt.Errorf("audience: state of %q: %w", profile, err)
	}
	return nil
}

func (sc *scratch) save(kv KV, key []byte) error {
	sc.buf = sc.st.appendTo(sc.buf[:0])
	if err := kv.Set(key, sc.buf); err != nil {
		return fmt.Errorf("audience: write state of %q: %w", key[len(KeyPrefix):], err)
	}
	return nil
}
