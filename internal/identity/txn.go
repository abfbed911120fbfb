package identity

import (
	"bytes"
	"crypto/sha256"
	"encoding/json"
	"fmt"
	"sort"
	"strconv"
	"time"
)

// txn is one call's view of the state: records read once and cached,
// changed in memory, and written at the end in key order (so the bytes a
// call writes do not depend on the order the code touched them in).
// Members and log entries are written through directly.
type txn struct {
	g       *Graph
	kv      KV
	seq     uint64
	mid     string
	at      time.Time
	recs    map[hkey]*idRec // nil: absent
	profs   map[string]*profRec
	edges   map[[2]hkey]byte // flags to add, keyed by the ordered pair
	nMerge  int
	nConf   int
	res     *Result
	created map[string]bool
	changed map[string]bool
	gone    map[hkey]bool // records deleted (Forget)
}

func (g *Graph) newTxn(kv KV, seq uint64, mid string, at time.Time) *txn {
	return &txn{
		g: g, kv: kv, seq: seq, mid: mid, at: at.UTC(),
		recs:    make(map[hkey]*idRec, 8),
		profs:   make(map[string]*profRec, 4),
		res:     &Result{},
		created: map[string]bool{},
		changed: map[string]bool{},
	}
}

func (t *txn) rec(h hkey) (*idRec, error) {
	if r, ok := t.recs[h]; ok {
		return r, nil
	}
	v, err := t.kv.Get(t.g.idKey(h))
	if err != nil {
		return nil, err
	}
	var r *idRec
	if v != nil {
		if r, err = decodeIDRec(v); err != nil {
			return nil, fmt.Errorf("identifier record %x: %w", h[:4], err)
		}
	}
	t.recs[h] = r
	return r, nil
}

func (t *txn) setRec(h hkey, r *idRec) {
	r.dirty = true
	t.recs[h] = r
}

func (t *txn) prof(pid string) (*profRec, error) {
	if p, ok := t.profs[pid]; ok {
		return p, nil
	}
	v, err := t.kv.Get(t.g.profileKey(pid))
	if err != nil {
		return nil, err
	}
	var p *profRec
	if v != nil {
		if p, err = decodeProfRec(v); err != nil {
			return nil, fmt.Errorf("profile %s: %w", pid, err)
		}
	}
	t.profs[pid] = p
	return p, nil
}

func (t *txn) setProf(pid string, p *profRec) {
	p.dirty = true
	t.profs[pid] = p
}

// addEdge notes that a message showed a and b together (flags: linked
// them, or witnessed them); finish writes it once, in both directions.
func (t *txn) addEdge(a, b hkey, flags byte) {
	if a == b {
		return
	}
	if bytes.Compare(a[:], b[:]) > 0 {
		a, b = b, a
	}
	if t.edges == nil {
		t.edges = make(map[[2]hkey]byte, 4)
	}
	t.edges[[2]hkey{a, b}] |= flags
}

// member is one identifier of a profile, as splits and merges walk them.
type member struct {
	h   hkey
	id  ID
	rec *idRec
}

// members lists a profile's identifiers in key order.
func (t *txn) members(pid string) ([]member, error) {
	var out []member
	pre := t.g.memberPrefix(pid)
	err := t.kv.Iterate(pre, func(k, v []byte) error {
		if len(k) != len(pre)+16 {
			return fmt.Errorf("member key of %s: %w", pid, errCorrupt)
		}
		id, err := decodeID(v)
		if err != nil {
			return fmt.Errorf("member of %s: %w", pid, err)
		}
		var m member
		copy(m.h[:], k[len(pre):])
		m.id = id
		out = append(out, m)
		return nil
	})
	if err != nil {
		return nil, err
	}
	for i := range out {
		r, err := t.rec(out[i].h)
		if err != nil {
			return nil, err
		}
		if r == nil {
			return nil, fmt.Errorf("member %s of %s has no record: %w", Masked(out[i].id), pid, errCorrupt)
		}
		out[i].rec = r
	}
	return out, nil
}

// strongerMember orders a profile's identifiers: strongest kind, first
// seen, then key. The strongest one represents the profile (the seed of a
// merged-away profile, the part of a split that keeps the id).
func (t *txn) strongerMember(a, b member) bool {
	ra, rb := t.g.s.rankOf(a.id.Kind), t.g.s.rankOf(b.id.Kind)
	if ra != rb {
		return ra < rb
	}
	if a.rec.first != b.rec.first {
		return a.rec.first < b.rec.first
	}
	return bytes.Compare(a.h[:], b.h[:]) < 0
}

// newProfileID finds an unused id for a profile founded by h: a
// collision of 80-bit ids is unlikely but must not fuse two people.
func (t *txn) newProfileID(h hkey, salt string) (string, error) {
	for i := 0; ; i++ {
		s := salt
		if i > 0 {
			s = salt + "#" + strconv.Itoa(i)
		}
		pid := newPID(h, s, t.seq)
		p, err := t.prof(pid)
		if err != nil {
			return "", err
		}
		if p == nil {
			return pid, nil
		}
	}
}

// create founds a profile holding new identifiers (the first one names it).
func (t *txn) create(ids []*idState, state byte) (string, error) {
	salt := ""
	if state == stateShared {
		salt = "shared"
	}
	pid, err := t.newProfileID(ids[0].h, salt)
	if err != nil {
		return "", err
	}
	p := &profRec{state: state, created: t.seq, best: 255}
	t.setProf(pid, p)
	t.created[pid] = true
	if err := t.attach(pid, ids); err != nil {
		return "", err
	}
	return pid, nil
}

// attach adds identifiers that had no profile to one.
func (t *txn) attach(pid string, ids []*idState) error {
	if len(ids) == 0 {
		return nil
	}
	p, err := t.prof(pid)
	if err != nil {
		return err
	}
	for _, s := range ids {
		s.rec.pid = pid
		t.setRec(s.h, s.rec)
		if err := t.kv.Set(t.g.memberKey(pid, s.h), encodeID(s.id)); err != nil {
			return err
		}
		p.addMember(s.id, s.rank)
	}
	t.setProf(pid, p)
	t.changed[pid] = true
	return nil
}

func (p *profRec) addMember(id ID, rank int) {
	p.members++
	if i := weakIndex(id.Kind); i >= 0 {
		p.counts[i]++
	} else {
		p.strong = unionIDs(p.strong, []ID{id})
	}
	if rank < int(p.best) {
		p.best = uint8(rank)
	}
}

// recompute sets a live profile's aggregates from its identifiers.
func (t *txn) recompute(p *profRec, ms []member) {
	p.members, p.counts, p.strong, p.best = 0, [3]uint32{}, nil, 255
	for _, m := range ms {
		p.addMember(m.id, t.g.s.rankOf(m.id.Kind))
	}
}

// moveMembers reassigns identifiers to another profile.
func (t *txn) moveMembers(from, to string, ms []member) error {
	for _, m := range ms {
		m.rec.pid = to
		t.setRec(m.h, m.rec)
		if err := t.kv.Delete(t.g.memberKey(from, m.h)); err != nil {
			return err
		}
		if err := t.kv.Set(t.g.memberKey(to, m.h), encodeID(m.id)); err != nil {
			return err
		}
	}
	return nil
}

// merge moves profile from into profile into and logs why: via and with
// are the message's identifiers on either side.
func (t *txn) merge(into, from string, via, with ID) error {
	ip, err := t.prof(into)
	if err != nil {
		return err
	}
	fp, err := t.prof(from)
	if err != nil {
		return err
	}
	ms, err := t.members(from)
	if err != nil {
		return err
	}
	if err := t.moveMembers(from, into, ms); err != nil {
		return err
	}
	ip.members += fp.members
	for i := range ip.counts {
		ip.counts[i] += fp.counts[i]
	}
	ip.strong = unionIDs(ip.strong, fp.strong)
	ip.best = min(ip.best, fp.best)
	ip.dnm = removeStrings(unionStrings(ip.dnm, fp.dnm), into, from)
	t.setProf(into, ip)
	// The profiles that must not merge with from now must not merge with
	// into: the admin's decision follows the person.
	for _, d := range fp.dnm {
		dp, err := t.prof(d)
		if err != nil {
			return err
		}
		if dp == nil || dp.state == stateMerged {
			continue
		}
		dp.dnm = unionStrings(removeStrings(dp.dnm, from), []string{into})
		t.setProf(d, dp)
	}
	seed := ID{}
	if len(ms) > 0 {
		best := ms[0]
		for _, m := range ms[1:] {
			if t.strongerMember(m, best) {
				best = m
			}
		}
		seed = best.id
	}
	t.setProf(from, &profRec{state: stateMerged, created: fp.created, best: fp.best, into: into, seed: seed})
	t.changed[into] = true
	delete(t.changed, from)
	t.res.Previous = append(t.res.Previous, from)
	m := Merge{
		ID:        "m-" + strconv.FormatUint(t.seq, 10) + "-" + strconv.Itoa(t.nMerge),
		Seq:       t.seq,
		MessageID: t.mid,
		At:        t.at,
		Into:      into,
		From:      from,
		Reason:    fmt.Sprintf("%s seen with %s on %s", Masked(with), Masked(via), t.msg()),
		Via:       via,
		With:      with,
	}
	pos := logPos(t.seq, t.nMerge)
	t.nMerge++
	if err := t.putMerge(pos, &m); err != nil {
		return err
	}
	for _, pid := range []string{into, from} {
		if err := t.kv.Set(t.g.key(spaceMergeBy, []byte(pid), pos), nil); err != nil {
			return err
		}
	}
	t.res.Merges = append(t.res.Merges, m)
	return nil
}

func (t *txn) putMerge(pos []byte, m *Merge) error {
	v, err := json.Marshal(m)
	if err != nil {
		return err
	}
	return t.kv.Set(t.g.key(spaceMerge, pos), v)
}

func removeStrings(s []string, xs ...string) []string {
	out := s[:0:0]
	for _, v := range s {
		if !containsAny(xs, v) {
			out = append(out, v)
		}
	}
	return out
}

func containsAny(xs []string, v string) bool {
	for _, x := range xs {
		if x == v {
			return true
		}
	}
	return false
}

// conflictDigest identifies a conflict for deduplication: its code, its
// profiles in either order, kind and namespace.
func conflictDigest(p [2]string, kind, ns, code string) []byte {
	a, b := p[0], p[1]
	if b < a {
		a, b = b, a
	}
	s := sha256.Sum256([]byte(code + "\x00" + a + "\x00" + b + "\x00" + kind + "\x00" + ns))
	return s[:16]
}

// deduplicated reports whether conflicts of a code are recorded once per
// pair: refused links repeat with every message of a household; the other
// codes record a change of state, which happens once.
func deduplicated(code string) bool {
	return code == CodeStrong || code == CodeLimit || code == CodeUnmerged
}

// conflict records a conflict, once per pair for refused links.
func (t *txn) conflict(p [2]string, kind, ns, code, reason string) error {
	if deduplicated(code) {
		dk := t.g.key(spaceConfSeen, conflictDigest(p, kind, ns, code))
		v, err := t.kv.Get(dk)
		if err != nil {
			return err
		}
		if v != nil {
			return nil
		}
		// A one-byte marker: some KV adapters cannot tell an empty value
		// from an absent one.
		if err := t.kv.Set(dk, []byte{1}); err != nil {
			return err
		}
	}
	c := Conflict{
		ID:        "c-" + strconv.FormatUint(t.seq, 10) + "-" + strconv.Itoa(t.nConf),
		Seq:       t.seq,
		MessageID: t.mid,
		At:        t.at,
		Profiles:  p,
		Kind:      kind,
		NS:        ns,
		Code:      code,
		Reason:    reason,
	}
	pos := logPos(t.seq, t.nConf)
	t.nConf++
	b, err := json.Marshal(&c)
	if err != nil {
		return err
	}
	if err := t.kv.Set(t.g.key(spaceConflict, pos), b); err != nil {
		return err
	}
	for _, pid := range p {
		if pid != "" {
			if err := t.kv.Set(t.g.key(spaceConfBy, []byte(pid), pos), []byte{}); err != nil {
				return err
			}
		}
	}
	t.res.Conflicts = append(t.res.Conflicts, c)
	return nil
}

// finish writes the changed records, in key order, after recording the
// message's edges in them.
func (t *txn) finish() error {
	if err := t.applyEdges(); err != nil {
		return err
	}
	hs := make([]hkey, 0, len(t.recs))
	for h, r := range t.recs {
		if r != nil && r.dirty {
			hs = append(hs, h)
		}
	}
	sort.Slice(hs, func(i, j int) bool { return bytes.Compare(hs[i][:], hs[j][:]) < 0 })
	for _, h := range hs {
		if err := t.kv.Set(t.g.idKey(h), t.recs[h].encode()); err != nil {
			return err
		}
	}
	pids := make([]string, 0, len(t.profs))
	for pid, p := range t.profs {
		if p != nil && p.dirty {
			pids = append(pids, pid)
		}
	}
	sort.Strings(pids)
	for _, pid := range pids {
		if err := t.kv.Set(t.g.profileKey(pid), t.profs[pid].encode()); err != nil {
			return err
		}
	}
	for pid := range t.changed {
		if p := t.profs[pid]; p != nil && p.state != stateMerged {
			t.res.Changed = append(t.res.Changed, pid)
		}
	}
	sort.Strings(t.res.Changed)
	return nil
}

// applyEdges records the edges noted by addEdge in the records of both
// ends.
func (t *txn) applyEdges() error {
	for k, flags := range t.edges {
		ra, err := t.rec(k[0])
		if err != nil {
			return err
		}
		rb, err := t.rec(k[1])
		if err != nil {
			return err
		}
		if ra == nil || rb == nil {
			continue // an end that no longer exists (erased meanwhile)
		}
		if ra.addEdge(k[1], flags, t.seq) {
			ra.dirty = true
		}
		if rb.addEdge(k[0], flags, t.seq) {
			rb.dirty = true
		}
	}
	t.edges = nil
	return nil
}
