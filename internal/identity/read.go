package identity

import (
	"encoding/json"
	"fmt"
	"sort"
	"time"
)

// zeroTime is the time of read-only transactions, which log nothing.
var zeroTime time.Time

// Resolve returns the profile an identifier belongs to. The identifier is
// normalised as in Observe, with its NS as the source (so a User id of a
// source that shares a user-id space is found in the space); junk is never
// found.
func (g *Graph) Resolve(kv KV, id ID) (profile string, ok bool, err error) {
	if g.err != nil {
		return "", false, g.err
	}
	n, err := g.s.normalizeNS(id, id.NS)
	if err != nil {
		return "", false, err
	}
	if g.s.blocked(n) {
		return "", false, nil
	}
	t := g.newTxn(kv, 0, "", zeroTime)
	r, err := t.rec(hashID(n))
	if err != nil || r == nil || r.pid == "" {
		return "", false, err
	}
	return r.pid, true, nil
}

// Locate returns the profile a message belongs to now, by the rule
// Observe's Result.Profile follows: of the profiles its linking
// identifiers belong to, the strongest (strongest kind held, then oldest,
// then smallest id); if none links, the same among its ambiguous and
// shared identifiers. The engine can
// use it to attribute a stored message to its current profile after merges
// and unmerges; it writes nothing.
func (g *Graph) Locate(kv KV, o Observation) (profile string, ok bool, err error) {
	if g.err != nil {
		return "", false, g.err
	}
	ids, err := g.clean(o.IDs, o.Source)
	if err != nil {
		return "", false, err
	}
	t := g.newTxn(kv, 0, "", zeroTime)
	for _, s := range ids {
		if s.rec, err = t.rec(s.h); err != nil {
			return "", false, err
		}
	}
	p, err := t.locate(ids)
	return p, p != "", err
}

// Canonical follows a profile id that was merged away to the profile that
// holds its identifiers now: through the strongest identifier it had when
// it was merged (which also finds it after unmerges and splits), else
// through the chain of merges. A live profile is its own canonical id.
func (g *Graph) Canonical(kv KV, profile string) (string, error) {
	if g.err != nil {
		return "", g.err
	}
	if !isPID(profile) {
		return "", fmt.Errorf("identity: profile %q: %w", profile, ErrNotFound)
	}
	t := g.newTxn(kv, 0, "", zeroTime)
	pid := profile
	for range 64 {
		p, err := t.prof(pid)
		if err != nil {
			return "", err
		}
		if p == nil {
			return "", fmt.Errorf("identity: profile %s: %w", pid, ErrNotFound)
		}
		if p.state != stateMerged {
			return pid, nil
		}
		if p.seed.Kind != "" {
			r, err := t.rec(hashID(p.seed))
			if err != nil {
				return "", err
			}
			if r != nil && r.pid != "" && r.flags&flagShared == 0 {
				return r.pid, nil
			}
		}
		pid = p.into
	}
	return "", fmt.Errorf("identity: profile %s: merge chain too long: %w", profile, errCorrupt)
}

// Identities lists the identifiers of a profile (of its canonical profile
// if it was merged away), strongest first.
func (g *Graph) Identities(kv KV, profile string) ([]ID, error) {
	pid, err := g.Canonical(kv, profile)
	if err != nil {
		return nil, err
	}
	var out []ID
	err = kv.Iterate(g.memberPrefix(pid), func(_, v []byte) error {
		id, err := decodeID(v)
		if err != nil {
			return err
		}
		out = append(out, id)
		return nil
	})
	if err != nil {
		return nil, err
	}
	g.sortIDs(out)
	return out, nil
}

func (g *Graph) sortIDs(ids []ID) {
	sort.Slice(ids, func(i, j int) bool {
		ri, rj := g.s.rankOf(ids[i].Kind), g.s.rankOf(ids[j].Kind)
		if ri != rj {
			return ri < rj
		}
		return lessID(ids[i], ids[j])
	})
}

// ProfileInfo is what the graph knows about a profile besides its
// identifiers.
type ProfileInfo struct {
	ID string // the profile id asked about
	// State is "live", "merged" (merged away into MergedInto) or "shared"
	// (holds one shared email, phone or device and never merges).
	State      string
	MergedInto string // for a merged profile: the profile it went into
	// CreatedSeq is the log sequence of the message that created it.
	CreatedSeq  uint64
	Identifiers int // how many identifiers it holds
	Anon        int // anonymousIds among them
	Emails      int // email tokens among them
	Phones      int // phone tokens among them
	// Strong are its userIds and platform ids.
	Strong []ID
	// DoNotMerge are the profiles an admin separated from it.
	DoNotMerge []string
}

// Profile describes a profile id, live or not.
func (g *Graph) Profile(kv KV, profile string) (ProfileInfo, error) {
	if g.err != nil {
		return ProfileInfo{}, g.err
	}
	if !isPID(profile) {
		return ProfileInfo{}, fmt.Errorf("identity: profile %q: %w", profile, ErrNotFound)
	}
	t := g.newTxn(kv, 0, "", zeroTime)
	p, err := t.prof(profile)
	if err != nil {
		return ProfileInfo{}, err
	}
	if p == nil {
		return ProfileInfo{}, fmt.Errorf("identity: profile %s: %w", profile, ErrNotFound)
	}
	info := ProfileInfo{ID: profile, CreatedSeq: p.created}
	switch p.state {
	case stateMerged:
		info.State, info.MergedInto = "merged", p.into
		return info, nil
	case stateShared:
		info.State = "shared"
	default:
		info.State = "live"
	}
	info.Identifiers = int(p.members)
	info.Anon, info.Emails, info.Phones = int(p.counts[0]), int(p.counts[1]), int(p.counts[2])
	info.Strong = append([]ID(nil), p.strong...)
	info.DoNotMerge = append([]string(nil), p.dnm...)
	return info, nil
}

// MergeFilter selects a page of the merge log.
type MergeFilter struct {
	// Profile keeps the merges that name this profile (as Into or From).
	Profile string
	// Before is a merge id: the page starts after it (the log is newest
	// first, so these are older merges). Empty: from the newest.
	Before string
	// Limit is the page size: default 100, at most 1000.
	Limit int
}

// ConflictFilter selects a page of the conflict log, like MergeFilter.
type ConflictFilter struct {
	Profile string // only conflicts that name this profile
	Before  string // a conflict id: the page starts after it
	Limit   int    // page size: default 100, at most 1000
}

func pageLimit(n int) int {
	switch {
	case n <= 0:
		return 100
	case n > 1000:
		return 1000
	}
	return n
}

// Merges returns a page of the merge log, newest first.
func (g *Graph) Merges(kv KV, f MergeFilter) ([]Merge, error) {
	var out []Merge
	err := g.page(kv, spaceMerge, spaceMergeBy, "m-", f.Profile, f.Before, pageLimit(f.Limit), func(v []byte) error {
		var m Merge
		if err := json.Unmarshal(v, &m); err != nil {
			return fmt.Errorf("identity: merge log: %w", errCorrupt)
		}
		out = append(out, m)
		return nil
	})
	return out, err
}

// Conflicts returns a page of the conflict log, newest first.
func (g *Graph) Conflicts(kv KV, f ConflictFilter) ([]Conflict, error) {
	var out []Conflict
	err := g.page(kv, spaceConflict, spaceConfBy, "c-", f.Profile, f.Before, pageLimit(f.Limit), func(v []byte) error {
		var c Conflict
		if err := json.Unmarshal(v, &c); err != nil {
			return fmt.Errorf("identity: conflict log: %w", errCorrupt)
		}
		out = append(out, c)
		return nil
	})
	return out, err
}

// page walks a log (or its index by profile) from a cursor and hands at
// most limit entries to fn.
func (g *Graph) page(kv KV, space, bySpace byte, idPrefix, profile, before string, limit int, fn func(v []byte) error) error {
	if g.err != nil {
		return g.err
	}
	var prefix []byte
	if profile != "" {
		if !isPID(profile) {
			return nil
		}
		prefix = g.key(bySpace, []byte(profile))
	} else {
		prefix = g.key(space)
	}
	start := prefix
	if before != "" {
		seq, idx, ok := parseLogID(before, idPrefix)
		if !ok {
			return fmt.Errorf("identity: cursor %q: %w", before, ErrNotFound)
		}
		start = append(append(append([]byte(nil), prefix...), logPos(seq, idx)...), 0)
	}
	n := 0
	return iterRange(kv, prefix, start, func(k, v []byte) error {
		if profile != "" {
			ev, err := kv.Get(g.key(space, k[len(prefix):]))
			if err != nil {
				return err
			}
			if ev == nil {
				return nil
			}
			v = ev
		}
		if err := fn(v); err != nil {
			return err
		}
		n++
		if n >= limit {
			return errStop
		}
		return nil
	})
}
