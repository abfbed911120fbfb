package identity

import (
	"encoding/json"
	"fmt"
)

// Forget erases a profile (its canonical profile, if it was merged away),
// for a data-subject erasure: its identifiers and their records, every
// edge that touches them, the profiles that were merged into it, every
// merge and conflict log entry that names any of those, the "do not
// merge" marks others hold against it, and its strong identifiers in the
// witness lists of other profiles' emails, phones and devices. It returns
// the identifiers removed, strongest first.
//
// Pebble deletes by writing tombstones; the old bytes leave the disk at
// compaction, as everywhere else in the data directory.
func (g *Graph) Forget(kv KV, profile string) ([]ID, error) {
	if g.err != nil {
		return nil, g.err
	}
	pid, err := g.Canonical(kv, profile)
	if err != nil {
		return nil, err
	}
	t := g.newTxn(kv, 0, "", zeroTime)
	ids, err := t.forget(pid)
	if err != nil {
		return nil, fmt.Errorf("identity: forget %s: %w", pid, err)
	}
	return ids, nil
}

func (t *txn) forget(pid string) ([]ID, error) {
	p, err := t.prof(pid)
	if err != nil {
		return nil, err
	}
	if p == nil {
		return nil, ErrNotFound
	}
	ms, err := t.members(pid)
	if err != nil {
		return nil, err
	}
	in := make(map[hkey]bool, len(ms))
	for _, m := range ms {
		in[m.h] = true
	}
	// The profile's former ids: every merged-away profile whose
	// identifiers it holds, found through the merge log.
	set := map[string]bool{pid: true}
	queue := []string{pid}
	var mergePos, confPos [][]byte
	seenPos := map[string]bool{}
	for len(queue) > 0 {
		q := queue[0]
		queue = queue[1:]
		pre := t.g.key(spaceMergeBy, []byte(q))
		var found [][]byte
		if err := t.kv.Iterate(pre, func(k, _ []byte) error {
			found = append(found, append([]byte(nil), k[len(pre):]...))
			return nil
		}); err != nil {
			return nil, err
		}
		for _, pos := range found {
			if seenPos[string(pos)] {
				continue
			}
			seenPos[string(pos)] = true
			mergePos = append(mergePos, pos)
			m, err := t.readMerge(pos)
			if err != nil || m == nil {
				if err != nil {
					return nil, err
				}
				continue
			}
			if m.Into != q || set[m.From] {
				continue
			}
			fp, err := t.prof(m.From)
			if err != nil {
				return nil, err
			}
			if fp == nil || fp.state != stateMerged {
				continue // restored by an unmerge: someone else now
			}
			if fp.seed.Kind != "" {
				r, err := t.rec(hashID(fp.seed))
				if err != nil {
					return nil, err
				}
				if r != nil && r.pid != pid && !in[hashID(fp.seed)] {
					continue // its identifiers live elsewhere since a split
				}
			}
			set[m.From] = true
			queue = append(queue, m.From)
		}
	}
	for q := range set {
		pre := t.g.key(spaceConfBy, []byte(q))
		if err := t.kv.Iterate(pre, func(k, _ []byte) error {
			pos := string(k[len(pre):])
			if !seenPos["c"+pos] {
				seenPos["c"+pos] = true
				confPos = append(confPos, []byte(pos))
			}
			return nil
		}); err != nil {
			return nil, err
		}
	}
	// Identifiers, their edges, and their part in others' witness lists.
	for _, m := range ms {
		for _, e := range m.rec.adj {
			if in[e.h] {
				continue
			}
			r, err := t.rec(e.h)
			if err != nil {
				return nil, err
			}
			if r == nil {
				continue
			}
			if r.edge(m.h) >= 0 {
				r.dropEdgeFlags(m.h, edgeLinked|edgeWitness)
				t.setRec(e.h, r)
			}
			if e.flags&edgeWitness != 0 && strong(m.id.Kind) {
				if err := t.unwitness(e.h, r, m); err != nil {
					return nil, err
				}
			}
		}
		t.recs[m.h] = nil
		if err := t.kv.Delete(t.g.idKey(m.h)); err != nil {
			return nil, err
		}
		if err := t.kv.Delete(t.g.memberKey(pid, m.h)); err != nil {
			return nil, err
		}
	}
	for _, pos := range mergePos {
		m, err := t.readMerge(pos)
		if err != nil {
			return nil, err
		}
		if m != nil {
			for _, q := range []string{m.Into, m.From} {
				if err := t.kv.Delete(t.g.key(spaceMergeBy, []byte(q), pos)); err != nil {
					return nil, err
				}
			}
		}
		if err := t.kv.Delete(t.g.key(spaceMerge, pos)); err != nil {
			return nil, err
		}
	}
	for _, pos := range confPos {
		v, err := t.kv.Get(t.g.key(spaceConflict, pos))
		if err != nil {
			return nil, err
		}
		if v != nil {
			var c Conflict
			if err := json.Unmarshal(v, &c); err != nil {
				return nil, errCorrupt
			}
			for _, q := range c.Profiles {
				if q != "" {
					if err := t.kv.Delete(t.g.key(spaceConfBy, []byte(q), pos)); err != nil {
						return nil, err
					}
				}
			}
			if deduplicated(c.Code) {
				if err := t.kv.Delete(t.g.key(spaceConfSeen, conflictDigest(c.Profiles, c.Kind, c.NS, c.Code))); err != nil {
					return nil, err
				}
			}
		}
		if err := t.kv.Delete(t.g.key(spaceConflict, pos)); err != nil {
			return nil, err
		}
	}
	for _, d := range p.dnm {
		if set[d] {
			continue
		}
		dp, err := t.prof(d)
		if err != nil {
			return nil, err
		}
		if dp != nil && dp.state != stateMerged {
			dp.dnm = removeStrings(dp.dnm, pid)
			t.setProf(d, dp)
		}
	}
	for q := range set {
		t.profs[q] = nil
		if err := t.kv.Delete(t.g.profileKey(q)); err != nil {
			return nil, err
		}
	}
	if err := t.finish(); err != nil {
		return nil, err
	}
	out := make([]ID, len(ms))
	for i, m := range ms {
		out[i] = m.id
	}
	t.g.sortIDs(out)
	return out, nil
}

func (t *txn) readMerge(pos []byte) (*Merge, error) {
	v, err := t.kv.Get(t.g.key(spaceMerge, pos))
	if err != nil || v == nil {
		return nil, err
	}
	var m Merge
	if err := json.Unmarshal(v, &m); err != nil {
		return nil, fmt.Errorf("merge log: %w", errCorrupt)
	}
	return &m, nil
}

// unwitness removes an erased strong identifier from the witnesses of a
// weak one; the weak one may stop being ambiguous (it does not re-link
// what it did not link, and a detached shared one stays detached).
func (t *txn) unwitness(o hkey, r *idRec, s member) error {
	if !r.removeWitness(nsHash(s.id.Kind, s.id.NS), witnessValue(s.h)) {
		return nil
	}
	v, err := t.kv.Get(t.g.memberKey(r.pid, o))
	if err != nil {
		return err
	}
	if v != nil {
		id, err := decodeID(v)
		if err != nil {
			return err
		}
		r.flags = t.flagsFor(id, r)
	}
	t.setRec(o, r)
	return nil
}
