package identity

import (
	"errors"
	"fmt"
	"sort"
	"time"
)

// Observation is one message as identity resolution sees it: the
// identifiers it carries together, in event-log order.
type Observation struct {
	// Seq is the message's position in the event log. Observations must
	// arrive in increasing Seq order, each once: profile ids and log
	// entries derive from it.
	Seq       uint64
	MessageID string    // the message's id, named in merge reasons and conflicts
	Source    string    // the source id: the namespace of its userIds and platform ids
	At        time.Time // when the message happened, recorded in the logs
	// IDs are the identifiers the message carries: userId, anonymousId,
	// email and phone tokens from traits, context.traits and properties,
	// platform ids, an alias's previousId. Order does not matter; junk and
	// duplicates are dropped.
	IDs  []ID
	Type string // identify, track, alias, …; informational
}

// Result says what one observation did.
type Result struct {
	// Profile is the profile the message belongs to now: the strongest
	// profile among those of its identifiers that link (see Locate); ""
	// when every identifier was junk.
	Profile string
	// Created is true when Profile was created by this message.
	Created bool
	// Merges are the merges this message caused.
	Merges []Merge
	// Conflicts are the links this message offered and the guard-rails
	// refused (or the ambiguity it revealed).
	Conflicts []Conflict
	// Previous are the profiles merged away into others.
	Previous []string
	// Splits are the profiles this message caused to fall apart: an
	// identifier became ambiguous or shared, and what it alone held
	// together was separated.
	Splits []Split
	// Changed are the live profiles whose identifiers changed (created,
	// grown, merged into, split, restored), sorted: the engine recomputes
	// their traits.
	Changed []string
}

// Merge is one entry of the merge log.
type Merge struct {
	ID        string    `json:"id"`         // "m-<seq>-<index>": the key to Unmerge it
	Seq       uint64    `json:"seq"`        // the message that caused it
	MessageID string    `json:"message_id"` // the message's id
	At        time.Time `json:"at"`         // the message's time (UTC)
	Into      string    `json:"into"`       // the surviving profile
	From      string    `json:"from"`       // the profile merged away
	// Reason is a sentence naming the identifiers that met, masked:
	// "email token fcv-KM… seen with anonymousId ab…e9 on message m-123".
	Reason string `json:"reason"`
	Via    ID     `json:"via"`  // the message's identifier on Into's side
	With   ID     `json:"with"` // the message's identifier on From's side
	// UndoneAt and UndoneBy are set when an admin unmerged it.
	UndoneAt *time.Time `json:"undone_at,omitempty"` // when (UTC)
	UndoneBy string     `json:"undone_by,omitempty"` // who, as the caller named them
}

// Conflict codes: why a link was refused, or what was noticed.
const (
	// CodeStrong: the profiles hold different values of one strong kind in
	// one namespace (two userIds of a source, two customer ids of a store).
	CodeStrong = "strong id"
	// CodeLimit: together they would exceed Config.MaxPerKind for a kind.
	CodeLimit = "limit"
	// CodeUnmerged: an admin undid a merge between these two sides.
	CodeUnmerged = "unmerged by admin"
	// CodeAmbiguous: an email, phone or device turned out to belong to
	// more than one account of one namespace; it no longer links.
	CodeAmbiguous = "ambiguous"
	// CodeShared: an email, phone or device passed its threshold and was
	// detached into a profile of its own.
	CodeShared = "shared"
	// CodeSplit: identifiers that only an ambiguous or shared identifier
	// held in a profile were split off into another profile.
	CodeSplit = "split"
)

// Conflict is one entry of the conflict log: a link the guard-rails
// refused, recorded for review. The same code between the same two
// profiles (and kind and namespace) is recorded once.
type Conflict struct {
	ID        string    `json:"id"`                   // "c-<seq>-<index>", a paging cursor
	Seq       uint64    `json:"seq"`                  // the message that revealed it
	MessageID string    `json:"message_id,omitempty"` // the message's id
	At        time.Time `json:"at"`                   // the message's time (UTC)
	// Profiles are the two profiles involved; the second is "" when the
	// conflict concerns one profile (an identifier became ambiguous).
	Profiles [2]string `json:"profiles"`
	Kind     string    `json:"kind"`         // the identifier kind in conflict, if one
	NS       string    `json:"ns,omitempty"` // its namespace, for strong kinds
	Code     string    `json:"code"`         // CodeStrong, CodeLimit, …
	// Reason is a sentence for a reviewer, with identifiers masked.
	Reason string `json:"reason"`
}

// Split is a profile that fell apart because an identifier stopped linking.
type Split struct {
	Profile string   // the profile that keeps the main part
	New     []string // the profiles split off
	Reason  string   // a sentence naming the identifier, masked
}

// Errors.
var (
	ErrNotFound      = errors.New("identity: not found")
	ErrAlreadyUndone = errors.New("identity: merge already undone")
)

// Graph is the identity graph. It holds only its configuration: all state
// is in the KV each call is given, so a Graph is cheap, replays need no
// warm-up, and a discarded batch leaves nothing stale behind.
//
// Observe, Unmerge and Forget change state and must be called one at a
// time per state (the engine calls them from one goroutine); the read
// methods may run concurrently on KVs that nobody writes meanwhile.
type Graph struct {
	s   settings
	err error
}

// New makes a graph with a configuration. An invalid configuration (a
// MaxPerKind below 1, a kind that is not lower_snake_case) makes every
// method return the error, also available from Err.
func New(cfg Config) *Graph {
	s, err := cfg.settings()
	return &Graph{s: s, err: err}
}

// Err is the configuration's error, if any.
func (g *Graph) Err() error { return g.err }

// idState is one identifier of the message being observed.
type idState struct {
	id    ID
	h     hkey
	rank  int
	wi    int  // weak index, -1 for strong kinds
	known bool // it had a record before this message
	rec   *idRec
	// lvlKind and lvlNS name the strong namespace of the witness that last
	// raised the identifier's level, for the sentence that reports it.
	lvlKind, lvlNS string
}

func (s *idState) passive() bool { return s.rec.flags != 0 }

// clean normalises namespaces, drops junk and duplicates, and sorts the
// identifiers strongest first (rank, then kind, namespace, value), the
// order in which everything else considers them.
func (g *Graph) clean(in []ID, source string) ([]*idState, error) {
	out := make([]*idState, 0, len(in))
	for _, id := range in {
		n, err := g.s.normalizeNS(id, source)
		if err != nil {
			return nil, err
		}
		if g.s.blocked(n) {
			continue
		}
		out = append(out, &idState{id: n, rank: g.s.rankOf(n.Kind), wi: weakIndex(n.Kind)})
	}
	sort.Slice(out, func(i, j int) bool { return lessState(out[i], out[j]) })
	w := 0
	for i, s := range out {
		if i > 0 && s.id == out[w-1].id {
			continue
		}
		s.h = hashID(s.id)
		out[w] = s
		w++
	}
	return out[:w], nil
}

func lessState(a, b *idState) bool {
	if a.rank != b.rank {
		return a.rank < b.rank
	}
	if a.id.Kind != b.id.Kind {
		return a.id.Kind < b.id.Kind
	}
	if a.id.NS != b.id.NS {
		return a.id.NS < b.id.NS
	}
	return a.id.Value < b.id.Value
}

// Observe applies one message: its identifiers link, and the profiles
// they belong to merge, within the guard-rails (see the package
// documentation). Writes go to kv only; the caller commits them.
func (g *Graph) Observe(kv KV, o Observation) (Result, error) {
	if g.err != nil {
		return Result{}, g.err
	}
	ids, err := g.clean(o.IDs, o.Source)
	if err != nil {
		return Result{}, fmt.Errorf("identity: message %q (seq %d): %w", o.MessageID, o.Seq, err)
	}
	if len(ids) == 0 {
		return Result{}, nil
	}
	t := g.newTxn(kv, o.Seq, o.MessageID, o.At)
	if err := t.observe(ids); err != nil {
		return Result{}, fmt.Errorf("identity: message %q (seq %d): %w", o.MessageID, o.Seq, err)
	}
	return *t.res, nil
}

func (t *txn) observe(ids []*idState) (err error) {
	for _, s := range ids {
		r, err := t.rec(s.h)
		if err != nil {
			return err
		}
		if r != nil {
			s.known, s.rec = true, r
		} else {
			s.rec = &idRec{first: t.seq}
		}
	}
	// Every weak identifier remembers the strong ones it was seen with:
	// that is how a household email or a family tablet is recognised.
	var witnessed []*idState
	for _, w := range ids {
		if w.wi < 0 {
			continue
		}
		added := false
		for _, s := range ids {
			if s.wi >= 0 {
				continue
			}
			if t.addWitness(w, s.id, s.h) {
				added = true
			}
		}
		if added {
			witnessed = append(witnessed, w)
		}
	}
	if err := t.transitions(witnessed); err != nil {
		return err
	}
	// Plan the links. A plan that refuses a link because of a strong
	// conflict shows that the weak identifiers bridging the two sides are
	// ambiguous, which changes what may link, so plan again; each round
	// makes at least one linking identifier ambiguous, so there are at
	// most as many rounds as identifiers.
	var p *plan
	for round := 0; ; round++ {
		if round > len(ids) {
			return fmt.Errorf("planning did not settle: %w", errCorrupt)
		}
		var err error
		if p, err = t.plan(ids); err != nil {
			return err
		}
		changed := t.bridge(p)
		if len(changed) == 0 {
			break
		}
		if err := t.earlyRefusals(p); err != nil {
			return err
		}
		if err := t.transitions(changed); err != nil {
			return err
		}
	}
	if err := t.execute(p); err != nil {
		return err
	}
	if t.res.Profile, err = t.locate(ids); err != nil {
		return err
	}
	t.res.Created = t.created[t.res.Profile]
	return t.finish()
}

// locate picks the profile of a message from its identifiers' records:
// among the profiles of its identifiers that link, the strongest (in the
// order that decides which profile survives a merge); if none links, the
// same among its ambiguous and shared ones. It reads profile records only
// when the identifiers are in several profiles.
func (t *txn) locate(ids []*idState) (string, error) {
	for _, passive := range [2]bool{false, true} {
		var pids []string
		for _, s := range ids {
			if s.rec != nil && s.rec.pid != "" && s.passive() == passive && !containsAny(pids, s.rec.pid) {
				pids = append(pids, s.rec.pid)
			}
		}
		if len(pids) == 1 {
			return pids[0], nil
		}
		best, bp := "", (*profRec)(nil)
		for _, pid := range pids {
			p, err := t.prof(pid)
			if err != nil {
				return "", err
			}
			if p == nil {
				return "", fmt.Errorf("profile %s: %w", pid, errCorrupt)
			}
			if bp == nil || strongerProfile(p, pid, bp, best) {
				best, bp = pid, p
			}
		}
		if best != "" {
			return best, nil
		}
	}
	return "", nil
}

// addWitness records strong identifier sid as seen with weak identifier w
// and reports whether that was new; a new witness also leaves an edge, so
// that erasing the strong identifier can find and remove it.
func (t *txn) addWitness(w *idState, sid ID, sh hkey) bool {
	capPer := t.g.s.sharedThreshold + 1
	if w.id.Kind == Anon {
		capPer = t.g.s.deviceThreshold + 1
	}
	ns := nsHash(sid.Kind, sid.NS)
	if !w.rec.addWitness(ns, t.g.s.maxStrongOf(sid.Kind), witnessValue(sh), capPer) {
		return false
	}
	for _, g := range w.rec.wit {
		if g.ns == ns && len(g.vals)-int(g.allow)+1 == w.rec.level() {
			w.lvlKind, w.lvlNS = sid.Kind, sid.NS
		}
	}
	w.rec.dirty = true
	t.addEdge(w.h, sh, edgeWitness)
	return true
}

func witnessValue(h hkey) uint64 {
	return uint64(h[0])<<56 | uint64(h[1])<<48 | uint64(h[2])<<40 | uint64(h[3])<<32 |
		uint64(h[4])<<24 | uint64(h[5])<<16 | uint64(h[6])<<8 | uint64(h[7])
}

// flagsFor is what an identifier's witnesses make of it: shared past its
// threshold (sticky: a detached identifier is not put back), ambiguous
// from two values of one strong namespace on.
func (t *txn) flagsFor(id ID, r *idRec) byte {
	if weakIndex(id.Kind) < 0 {
		return 0
	}
	th := t.g.s.sharedThreshold
	if id.Kind == Anon {
		th = t.g.s.deviceThreshold
	}
	lvl := r.level()
	switch {
	case r.flags&flagShared != 0 || lvl > th:
		return flagShared
	case lvl >= 2:
		return flagContested
	}
	return 0
}

// group is one profile (or one new identifier) that a message touches.
type group struct {
	pid  string
	prof *profRec
	ids  []*idState // the message's identifiers in it
}

// agg is what the guard-rails look at: a set of profiles and identifiers
// considered as one profile.
type agg struct {
	pids   []string
	counts [3]int
	strong []ID
	dnm    []string
}

func (a *agg) addProfile(pid string, p *profRec) {
	a.pids = append(a.pids, pid)
	for i, c := range p.counts {
		a.counts[i] += int(c)
	}
	a.strong = unionIDs(a.strong, p.strong)
	a.dnm = unionStrings(a.dnm, p.dnm)
}

func (a *agg) addID(s *idState) {
	if s.wi >= 0 {
		a.counts[s.wi]++
		return
	}
	a.strong = unionIDs(a.strong, []ID{s.id})
}

func (a *agg) absorb(b *agg) {
	a.pids = append(a.pids, b.pids...)
	for i := range a.counts {
		a.counts[i] += b.counts[i]
	}
	a.strong = unionIDs(a.strong, b.strong)
	a.dnm = unionStrings(a.dnm, b.dnm)
}

// cluster is a planned profile: known profiles to merge and new
// identifiers to attach (or to found it).
type cluster struct {
	groups []*group
	news   []*idState
	agg    agg
	pid    string // set by execute
}

func (c *cluster) ids() []*idState {
	var out []*idState
	for _, g := range c.groups {
		out = append(out, g.ids...)
	}
	out = append(out, c.news...)
	sort.Slice(out, func(i, j int) bool { return lessState(out[i], out[j]) })
	return out
}

// refusal is a link the plan refused.
type refusal struct {
	a, b       *cluster
	code       string
	kind, ns   string
	detail     string
	bridgeVals []ID       // strong conflict: the values of the namespace in conflict
	bridgeIDs  []*idState // strong conflict: the weak identifiers that offered the link
}

type plan struct {
	clusters []*cluster
	refused  []refusal
	passive  []*idState // new identifiers that are ambiguous from birth
}

// plan decides, without writing, what the message links. The strongest of
// the profiles its linking identifiers belong to seeds the first cluster;
// the other profiles join it, strongest first, if the guard-rails allow, and new identifiers
// join it only if nothing was refused — otherwise which side they belong
// to is ambiguous and each founds a profile of its own.
func (t *txn) plan(ids []*idState) (*plan, error) {
	p := &plan{}
	var groups []*group
	var news []*idState
	for _, s := range ids {
		switch {
		case s.passive():
			if !s.known && s.rec.pid == "" {
				p.passive = append(p.passive, s)
			}
		case !s.known:
			news = append(news, s)
		default:
			var g *group
			for _, x := range groups {
				if x.pid == s.rec.pid {
					g = x
				}
			}
			if g == nil {
				g = &group{pid: s.rec.pid}
				groups = append(groups, g)
			}
			g.ids = append(g.ids, s)
		}
	}
	if len(groups) == 1 && len(news) == 0 {
		// The common case — every identifier already in one profile —
		// checks nothing and reads no profile.
		p.clusters = []*cluster{{groups: groups}}
		return p, nil
	}
	for _, g := range groups {
		pr, err := t.prof(g.pid)
		if err != nil {
			return nil, err
		}
		if pr == nil || pr.state != stateLive {
			return nil, fmt.Errorf("identifier of %s points to profile %s, which is not live: %w", Masked(g.ids[0].id), g.pid, errCorrupt)
		}
		g.prof = pr
	}
	// The strongest profile seeds the cluster: it is the one that would
	// survive, and the one the message belongs to if links are refused.
	sort.SliceStable(groups, func(i, j int) bool {
		return strongerProfile(groups[i].prof, groups[i].pid, groups[j].prof, groups[j].pid)
	})
	var c *cluster
	rejected := false
	for _, g := range groups {
		gc := &cluster{groups: []*group{g}}
		gc.agg.addProfile(g.pid, g.prof)
		if c == nil {
			c = gc
			p.clusters = append(p.clusters, c)
			continue
		}
		if r, ok := t.check(c, gc); !ok {
			rejected = true
			p.clusters = append(p.clusters, gc)
			p.refused = append(p.refused, r)
			continue
		}
		c.groups = append(c.groups, g)
		c.agg.absorb(&gc.agg)
	}
	for _, n := range news {
		nc := &cluster{news: []*idState{n}}
		nc.agg.addID(n)
		if c == nil {
			c = nc
			p.clusters = append(p.clusters, c)
			continue
		}
		if !rejected {
			r, ok := t.check(c, nc)
			if ok {
				c.news = append(c.news, n)
				c.agg.absorb(&nc.agg)
				continue
			}
			rejected = true
			p.refused = append(p.refused, r)
		}
		p.clusters = append(p.clusters, nc)
	}
	return p, nil
}

// check applies the guard-rails to joining cluster b to cluster a.
func (t *txn) check(a, b *cluster) (refusal, bool) {
	r := refusal{a: a, b: b}
	for _, x := range b.agg.pids {
		if containsString(a.agg.dnm, x) {
			r.code = CodeUnmerged
			return r, false
		}
	}
	for _, x := range a.agg.pids {
		if containsString(b.agg.dnm, x) {
			r.code = CodeUnmerged
			return r, false
		}
	}
	all := unionIDs(a.agg.strong, b.agg.strong)
	for i := 0; i < len(all); {
		j := i + 1
		for j < len(all) && all[j].Kind == all[i].Kind && all[j].NS == all[i].NS {
			j++
		}
		if j-i > t.g.s.maxStrongOf(all[i].Kind) {
			r.code, r.kind, r.ns = CodeStrong, all[i].Kind, all[i].NS
			r.bridgeVals = append([]ID(nil), all[i:j]...)
			r.bridgeIDs = suspects(a, b, all[i].Kind, all[i].NS)
			r.detail = fmt.Sprintf("together they would hold %d %ss of %s", j-i, kindName(all[i].Kind), all[i].NS)
			return r, false
		}
		i = j
	}
	for i := range a.agg.counts {
		if n := a.agg.counts[i] + b.agg.counts[i]; n > t.g.s.maxWeak[i] {
			r.code, r.kind = CodeLimit, weakKinds[i]
			r.detail = fmt.Sprintf("together they would hold %d %ss, more than the limit of %d", n, kindName(weakKinds[i]), t.g.s.maxWeak[i])
			return r, false
		}
	}
	return r, true
}

// suspects are the weak identifiers a refused link makes ambiguous. If
// the message itself carries a value of the conflicting namespace on one
// side, the message is that side's, and its weak identifiers that belong
// to the other side are the ones linked to two accounts; otherwise (the
// message offers no such value, or values of both sides) every weak
// identifier the message offered on either side is.
func suspects(a, b *cluster, kind, ns string) []*idState {
	has := func(c *cluster) bool {
		for _, s := range c.ids() {
			if s.id.Kind == kind && s.id.NS == ns {
				return true
			}
		}
		return false
	}
	sides := []*cluster{a, b}
	switch ha, hb := has(a), has(b); {
	case ha && !hb:
		sides = []*cluster{b}
	case hb && !ha:
		sides = []*cluster{a}
	}
	var out []*idState
	for _, c := range sides {
		for _, s := range c.ids() {
			if s.wi >= 0 && s.known {
				out = append(out, s)
			}
		}
	}
	return out
}

// bridge records, for every link refused because of a strong conflict,
// the conflicting strong values as witnesses of the weak identifiers that
// offered the link, and returns those whose flags this changes.
func (t *txn) bridge(p *plan) []*idState {
	var changed []*idState
	for _, r := range p.refused {
		for _, w := range r.bridgeIDs {
			if w.passive() {
				continue
			}
			for _, v := range r.bridgeVals {
				t.addWitness(w, v, hashID(v))
			}
			if t.flagsFor(w.id, w.rec) != w.rec.flags && !containsState(changed, w) {
				changed = append(changed, w)
			}
		}
	}
	return changed
}

// execute carries out a plan: merges, attachments, new profiles, edges
// and conflict records.
func (t *txn) execute(p *plan) error {
	for _, c := range p.clusters {
		if len(c.groups) > 0 {
			surv := c.groups[0]
			for _, g := range c.groups[1:] {
				if strongerProfile(g.prof, g.pid, surv.prof, surv.pid) {
					surv = g
				}
			}
			for _, g := range c.groups {
				if g != surv {
					if err := t.merge(surv.pid, g.pid, surv.ids[0].id, g.ids[0].id); err != nil {
						return err
					}
				}
			}
			c.pid = surv.pid
			if err := t.attach(c.pid, c.news); err != nil {
				return err
			}
		} else {
			pid, err := t.create(c.news, stateLive)
			if err != nil {
				return err
			}
			c.pid = pid
		}
		// A star of edges from the cluster's strongest identifier records
		// what this message linked, for unmerge and splits to recompute.
		cids := c.ids()
		for _, s := range cids[1:] {
			t.addEdge(cids[0].h, s.h, edgeLinked)
		}
	}
	for _, s := range p.passive {
		state := byte(stateLive)
		if s.rec.flags&flagShared != 0 {
			state = stateShared
		}
		if _, err := t.create([]*idState{s}, state); err != nil {
			return err
		}
	}
	for _, r := range p.refused {
		if err := t.refusal(r, r.a.pid, r.b.pid); err != nil {
			return err
		}
	}
	return nil
}

// refusal records a refused link between profiles a and b.
func (t *txn) refusal(r refusal, a, b string) error {
	var reason string
	switch r.code {
	case CodeUnmerged:
		reason = fmt.Sprintf("unmerged by admin: %s links %s and %s, which an admin separated; not merged", t.msg(), a, b)
	default:
		reason = fmt.Sprintf("%s links %s (%s) and %s (%s): %s; not merged", t.msg(), a, describe(r.a), b, describe(r.b), r.detail)
	}
	return t.conflict([2]string{a, b}, r.kind, r.ns, r.code, reason)
}

// earlyRefusals records the refusals of a plan that is replanned: the
// replan no longer offers the link (its weak identifiers became
// ambiguous), but a reviewer should still see that two existing profiles
// with different strong ids were linked. Links to identifiers new on the
// message are reported by the ambiguity they caused.
func (t *txn) earlyRefusals(p *plan) error {
	for _, r := range p.refused {
		if len(r.a.groups) == 0 || len(r.b.groups) == 0 {
			continue
		}
		if err := t.refusal(r, r.a.groups[0].pid, r.b.groups[0].pid); err != nil {
			return err
		}
	}
	return nil
}

// describe names the strongest identifier the message offered from a
// cluster, masked.
func describe(c *cluster) string {
	if ids := c.ids(); len(ids) > 0 {
		return Masked(ids[0].id)
	}
	return "no identifier"
}

// strongerProfile orders profiles for survivorship: the strongest kind
// held, then the oldest, then the smaller id.
func strongerProfile(a *profRec, apid string, b *profRec, bpid string) bool {
	if a.best != b.best {
		return a.best < b.best
	}
	if a.created != b.created {
		return a.created < b.created
	}
	return apid < bpid
}

func (t *txn) msg() string {
	if t.mid == "" {
		return fmt.Sprintf("message at seq %d", t.seq)
	}
	return "message " + t.mid
}

func containsString(s []string, x string) bool {
	i := sort.SearchStrings(s, x)
	return i < len(s) && s[i] == x
}

func containsState(s []*idState, x *idState) bool {
	for _, y := range s {
		if y == x {
			return true
		}
	}
	return false
}

func lessID(a, b ID) bool {
	if a.Kind != b.Kind {
		return a.Kind < b.Kind
	}
	if a.NS != b.NS {
		return a.NS < b.NS
	}
	return a.Value < b.Value
}

// unionIDs merges two sorted, duplicate-free lists into a new one.
func unionIDs(a, b []ID) []ID {
	out := make([]ID, 0, len(a)+len(b))
	i, j := 0, 0
	for i < len(a) || j < len(b) {
		switch {
		case j == len(b) || i < len(a) && lessID(a[i], b[j]):
			out = append(out, a[i])
			i++
		case i == len(a) || lessID(b[j], a[i]):
			out = append(out, b[j])
			j++
		default:
			out = append(out, a[i])
			i++
			j++
		}
	}
	return out
}

// unionStrings merges two sorted, duplicate-free lists into a new one.
func unionStrings(a, b []string) []string {
	out := make([]string, 0, len(a)+len(b))
	i, j := 0, 0
	for i < len(a) || j < len(b) {
		switch {
		case j == len(b) || i < len(a) && a[i] < b[j]:
			out = append(out, a[i])
			i++
		case i == len(a) || b[j] < a[i]:
			out = append(out, b[j])
			j++
		default:
			out = append(out, a[i])
			i++
			j++
		}
	}
	return out
}
