package identity

import (
	"encoding/json"
	"fmt"
	"sort"
	"strconv"
	"strings"
	"time"
)

// transitions applies what new witnesses made of weak identifiers. An
// identifier that became ambiguous stays in its profile but no longer
// links, so the profile is split along the links it alone provided; one
// that became shared is also detached into a profile of its own.
func (t *txn) transitions(ws []*idState) error {
	for _, w := range ws {
		nf := t.flagsFor(w.id, w.rec)
		of := w.rec.flags
		if nf == of {
			continue
		}
		w.rec.flags = nf
		if !w.known {
			continue // born ambiguous: plan gives it a profile of its own
		}
		t.setRec(w.h, w.rec)
		pid := w.rec.pid
		seen := fmt.Sprintf("%s is seen with %d %ss of %s", Masked(w.id), w.rec.widest(), kindName(w.lvlKind), w.lvlNS)
		if nf&flagShared != 0 {
			if err := t.detach(w, pid, seen); err != nil {
				return err
			}
			continue
		}
		if nf&flagContested != 0 {
			reason := seen + " on " + t.msg() + ": it belongs to more than one account and no longer links profiles"
			if err := t.conflict([2]string{pid, ""}, w.id.Kind, "", CodeAmbiguous, reason); err != nil {
				return err
			}
			if err := t.splitProfile(pid, Masked(w.id)+" became ambiguous on "+t.msg()); err != nil {
				return err
			}
		}
	}
	return nil
}

// detach moves a shared identifier out of its profile into a profile of
// its own, which never merges, and splits what it alone held together.
func (t *txn) detach(w *idState, pid, seen string) error {
	p, err := t.prof(pid)
	if err != nil {
		return err
	}
	if p == nil {
		return fmt.Errorf("profile %s of %s: %w", pid, Masked(w.id), ErrNotFound)
	}
	if p.members <= 1 {
		p.state = stateShared
		t.setProf(pid, p)
		t.changed[pid] = true
		return t.conflict([2]string{pid, ""}, w.id.Kind, "", CodeShared,
			seen+" on "+t.msg()+": shared (household, agency or shared device); it no longer links profiles")
	}
	np, err := t.newProfileID(w.h, "shared")
	if err != nil {
		return err
	}
	sp := &profRec{state: stateShared, created: t.seq, best: 255}
	sp.addMember(w.id, w.rank)
	t.setProf(np, sp)
	t.created[np] = true
	if err := t.moveMembers(pid, np, []member{{h: w.h, id: w.id, rec: w.rec}}); err != nil {
		return err
	}
	t.changed[pid], t.changed[np] = true, true
	if err := t.conflict([2]string{pid, np}, w.id.Kind, "", CodeShared,
		seen+" on "+t.msg()+": shared (household, agency or shared device); detached from "+pid+" into "+np+" and no longer links profiles"); err != nil {
		return err
	}
	return t.splitProfile(pid, Masked(w.id)+" became shared on "+t.msg())
}

// splitProfile recomputes a profile's parts after an identifier stopped
// linking, and records the parts split off.
func (t *txn) splitProfile(pid, why string) error {
	sr, err := t.split(pid, nil)
	if err != nil {
		return err
	}
	if len(sr.parts) == 0 {
		return nil
	}
	reason := why + ": " + strconv.Itoa(len(sr.parts)) + " part(s) held only by it split off from " + pid
	for _, np := range sr.parts {
		if err := t.conflict([2]string{pid, np}, "", "", CodeSplit, reason+" into "+np); err != nil {
			return err
		}
	}
	t.res.Splits = append(t.res.Splits, Split{Profile: pid, New: sr.parts, Reason: reason})
	return nil
}

// separation is what an unmerge cuts: no path may join the side of via to
// the side of with through edges of the merge or later.
type separation struct {
	via, with hkey
	restore   string // the merged-away profile id to give back to with's side
	salt      string
}

type splitResult struct {
	main  string
	parts []string            // new or restored profiles, strongest first
	moved map[string][]member // per part
}

// split recomputes the connected components of a profile: its identifiers
// linked by the edges messages left, leaving out edges that touch
// ambiguous or shared identifiers (their links are not evidence any more)
// and, for an unmerge, every edge that would join the two sides of the
// undone merge. The part holding the profile's strongest identifier (for
// an unmerge: via's side) keeps the profile id; every other part becomes a
// profile. Ambiguous identifiers go with the part they were first linked
// to.
func (t *txn) split(pid string, sep *separation) (*splitResult, error) {
	res := &splitResult{main: pid, moved: map[string][]member{}}
	p, err := t.prof(pid)
	if err != nil {
		return nil, err
	}
	if p == nil || p.state == stateMerged {
		return nil, fmt.Errorf("split of %s: %w", pid, ErrNotFound)
	}
	ms, err := t.members(pid)
	if err != nil {
		return nil, err
	}
	n := len(ms)
	idx := make(map[hkey]int, n)
	for i, m := range ms {
		idx[m.h] = i
	}
	amb := make([]bool, n)
	for i, m := range ms {
		amb[i] = m.rec.flags != 0
	}
	vi, wi := -1, -1
	if sep != nil {
		var ok1, ok2 bool
		vi, ok1 = idx[sep.via]
		wi, ok2 = idx[sep.with]
		if !ok1 || !ok2 {
			return nil, fmt.Errorf("unmerge: an identifier of the merge is not in %s: %w", pid, ErrNotFound)
		}
		amb[vi], amb[wi] = false, false
	}
	type edge struct {
		a, b int
		seq  uint64
	}
	var edges []edge
	for i, m := range ms {
		for _, e := range m.rec.adj {
			if j, ok := idx[e.h]; ok && j > i && e.flags&edgeLinked != 0 {
				edges = append(edges, edge{i, j, e.seq})
			}
		}
	}
	sort.Slice(edges, func(x, y int) bool {
		ex, ey := edges[x], edges[y]
		if ex.seq != ey.seq {
			return ex.seq < ey.seq
		}
		if ex.a != ey.a {
			return ex.a < ey.a
		}
		return ex.b < ey.b
	})
	uf := newUnionFind(n)
	var cut []edge
	for _, e := range edges {
		if amb[e.a] || amb[e.b] {
			continue
		}
		if sep != nil {
			ra, rb, rv, rw := uf.find(e.a), uf.find(e.b), uf.find(vi), uf.find(wi)
			if ra == rv && rb == rw || ra == rw && rb == rv {
				cut = append(cut, e)
				continue
			}
		}
		uf.union(e.a, e.b)
	}
	// The strongest identifier of each part represents it.
	stronger := func(i, j int) bool { return t.strongerMember(ms[i], ms[j]) }
	rep := map[int]int{} // root → strongest non-ambiguous member
	for i := range ms {
		if amb[i] {
			continue
		}
		r := uf.find(i)
		if b, ok := rep[r]; !ok || stronger(i, b) {
			rep[r] = i
		}
	}
	if len(rep) == 0 {
		t.recompute(p, ms)
		t.setProf(pid, p)
		return res, nil
	}
	mainRoot := -1
	if sep != nil {
		mainRoot = uf.find(vi)
	} else {
		for r, b := range rep {
			if mainRoot < 0 || stronger(b, rep[mainRoot]) {
				mainRoot = r
			}
		}
	}
	part := make([]int, n) // root of each member's part
	for i := range ms {
		if !amb[i] {
			part[i] = uf.find(i)
			continue
		}
		// An ambiguous identifier stays with the part it was linked to
		// first: whoever used it first keeps it.
		part[i] = mainRoot
		best := -1
		var bestSeq uint64
		for _, e := range edges {
			j := -1
			switch {
			case e.a == i && !amb[e.b]:
				j = e.b
			case e.b == i && !amb[e.a]:
				j = e.a
			}
			if j >= 0 && (best < 0 || e.seq < bestSeq || e.seq == bestSeq && j < best) {
				best, bestSeq = j, e.seq
			}
		}
		if best >= 0 {
			part[i] = uf.find(best)
		}
	}
	roots := make([]int, 0, len(rep))
	for r := range rep {
		if r != mainRoot {
			roots = append(roots, r)
		}
	}
	sort.Slice(roots, func(x, y int) bool { return stronger(rep[roots[x]], rep[roots[y]]) })
	byRoot := map[int][]member{}
	for i, m := range ms {
		byRoot[part[i]] = append(byRoot[part[i]], m)
	}
	for _, r := range roots {
		var np string
		var rec *profRec
		if sep != nil && r == uf.find(wi) && sep.restore != "" {
			np = sep.restore
			old, err := t.prof(np)
			if err != nil {
				return nil, err
			}
			rec = &profRec{created: old.created}
		} else {
			salt := "split"
			if sep != nil {
				salt = sep.salt
			}
			if np, err = t.newProfileID(ms[rep[r]].h, salt); err != nil {
				return nil, err
			}
			rec = &profRec{created: t.seq}
			for _, m := range byRoot[r] {
				rec.created = min(rec.created, m.rec.first)
			}
			t.created[np] = true
		}
		t.recompute(rec, byRoot[r])
		t.setProf(np, rec)
		if err := t.moveMembers(pid, np, byRoot[r]); err != nil {
			return nil, err
		}
		res.parts = append(res.parts, np)
		res.moved[np] = byRoot[r]
		t.changed[np] = true
	}
	t.recompute(p, byRoot[mainRoot])
	t.setProf(pid, p)
	t.changed[pid] = true
	for _, e := range cut {
		if err := t.unlink(ms[e.a].h, ms[e.b].h); err != nil {
			return nil, err
		}
	}
	return res, nil
}

// unlink clears the "linked" flag of an edge an unmerge cut, keeping a
// witness flag (erasure still needs it), so that no later split joins the
// two sides through it.
func (t *txn) unlink(a, b hkey) error {
	for _, p := range [2][2]hkey{{a, b}, {b, a}} {
		r, err := t.rec(p[0])
		if err != nil {
			return err
		}
		if r != nil && r.dropEdgeFlags(p[1], edgeLinked) {
			t.setRec(p[0], r)
		}
	}
	return nil
}

type unionFind []int

func newUnionFind(n int) unionFind {
	u := make(unionFind, n)
	for i := range u {
		u[i] = i
	}
	return u
}

func (u unionFind) find(i int) int {
	for u[i] != i {
		u[i] = u[u[i]]
		i = u[i]
	}
	return i
}

// union joins two sets; the smaller index becomes the root, so the result
// does not depend on anything but the order of unions.
func (u unionFind) union(a, b int) {
	ra, rb := u.find(a), u.find(b)
	if ra == rb {
		return
	}
	if rb < ra {
		ra, rb = rb, ra
	}
	u[rb] = ra
}

// UnmergeResult says what an unmerge did.
type UnmergeResult struct {
	// Merge is the merge, now marked undone.
	Merge Merge
	// Kept is the profile that keeps the Via side of the merge (the
	// survivor, or whatever it has since been merged into).
	Kept string
	// Restored is the profile of the With side: the merged-away profile,
	// live again.
	Restored string
	// Others are further profiles, for identifiers that the cut left
	// connected to neither side.
	Others []string
	// Moved are the identifiers that left Kept.
	Moved []ID
}

// Unmerge undoes a merge on an admin's request: the profile is split back
// into the parts the merge joined — the connected components of its
// identifiers' links without any link (from that merge's message or
// later) that joins the two sides — the merge is marked undone by by at
// at, and the two profiles are marked "do not merge", so that a later
// message linking them records a CodeUnmerged conflict instead of merging
// again. Identifiers linked to the profile only through the merge go back
// with the side they came from.
func (g *Graph) Unmerge(kv KV, mergeID string, by string, at time.Time) (UnmergeResult, error) {
	if g.err != nil {
		return UnmergeResult{}, g.err
	}
	seq, idx, ok := parseLogID(mergeID, "m-")
	if !ok {
		return UnmergeResult{}, fmt.Errorf("identity: unmerge %q: %w", mergeID, ErrNotFound)
	}
	pos := logPos(seq, idx)
	v, err := kv.Get(g.key(spaceMerge, pos))
	if err != nil {
		return UnmergeResult{}, err
	}
	if v == nil {
		return UnmergeResult{}, fmt.Errorf("identity: unmerge %q: %w", mergeID, ErrNotFound)
	}
	var m Merge
	if err := json.Unmarshal(v, &m); err != nil {
		return UnmergeResult{}, fmt.Errorf("identity: merge %q: %w", mergeID, errCorrupt)
	}
	if m.UndoneAt != nil {
		return UnmergeResult{}, fmt.Errorf("identity: unmerge %q: %w", mergeID, ErrAlreadyUndone)
	}
	t := g.newTxn(kv, m.Seq, m.MessageID, at)
	res, err := t.unmerge(&m, pos, by)
	if err != nil {
		return UnmergeResult{}, fmt.Errorf("identity: unmerge %q: %w", mergeID, err)
	}
	return res, nil
}

func (t *txn) unmerge(m *Merge, pos []byte, by string) (UnmergeResult, error) {
	res := UnmergeResult{}
	vh, wh := hashID(m.Via), hashID(m.With)
	vr, err := t.rec(vh)
	if err != nil {
		return res, err
	}
	wr, err := t.rec(wh)
	if err != nil {
		return res, err
	}
	if vr != nil && wr != nil && vr.pid == wr.pid {
		restore := ""
		fp, err := t.prof(m.From)
		if err != nil {
			return res, err
		}
		if fp != nil && fp.state == stateMerged {
			restore = m.From
		}
		sr, err := t.split(vr.pid, &separation{via: vh, with: wh, restore: restore, salt: "unmerge " + m.ID})
		if err != nil {
			return res, err
		}
		for _, np := range sr.parts {
			for _, mm := range sr.moved[np] {
				res.Moved = append(res.Moved, mm.id)
			}
		}
	}
	if vr != nil {
		res.Kept = vr.pid
	}
	if wr != nil {
		res.Restored = wr.pid
	}
	if res.Kept != "" && res.Restored != "" && res.Kept != res.Restored {
		for _, pair := range [][2]string{{res.Kept, res.Restored}, {res.Restored, res.Kept}} {
			p, err := t.prof(pair[0])
			if err != nil {
				return res, err
			}
			if p != nil && p.state != stateMerged {
				p.dnm = unionStrings(p.dnm, []string{pair[1]})
				t.setProf(pair[0], p)
			}
		}
	}
	at := t.at
	m.UndoneAt, m.UndoneBy = &at, by
	if err := t.putMerge(pos, m); err != nil {
		return res, err
	}
	if err := t.finish(); err != nil {
		return res, err
	}
	for _, pid := range t.res.Changed {
		if pid != res.Kept && pid != res.Restored {
			res.Others = append(res.Others, pid)
		}
	}
	sort.Slice(res.Moved, func(i, j int) bool { return lessID(res.Moved[i], res.Moved[j]) })
	res.Merge = *m
	return res, nil
}

// parseLogID reads "m-<seq>-<idx>" (or "c-…").
func parseLogID(id, prefix string) (seq uint64, idx int, ok bool) {
	rest, found := strings.CutPrefix(id, prefix)
	if !found {
		return 0, 0, false
	}
	a, b, found := strings.Cut(rest, "-")
	if !found {
		return 0, 0, false
	}
	seq, err := strconv.ParseUint(a, 10, 64)
	if err != nil {
		return 0, 0, false
	}
	i, err := strconv.Atoi(b)
	if err != nil || i < 0 || i > 0xffff {
		return 0, 0, false
	}
	return seq, i, true
}
