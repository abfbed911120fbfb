package identity

import (
	"fmt"
	"testing"
)

// feed observes messages [from, to) of a corpus, committing every n.
func feed(t testing.TB, e *env, c *corpus, from, to, n int) {
	e.commitEvery = n
	for i := from; i < to; i++ {
		m := c.msgs[i]
		e.seq = uint64(i + 1)
		if _, err := e.g.Observe(e.kv, Observation{Seq: e.seq, MessageID: fmt.Sprintf("msg-%d", i), Source: m.source, At: m.at, IDs: m.ids}); err != nil {
			t.Fatal(err)
		}
		e.pending++
		if e.pending >= e.commitEvery {
			e.commit()
		}
	}
	e.commit()
}

// unmergeFirst undoes the oldest merge still in force, as an admin would
// at that point of the log.
func unmergeFirst(t testing.TB, e *env) {
	ms, err := e.g.Merges(e.kv, MergeFilter{Limit: 1000})
	if err != nil || len(ms) == 0 {
		t.Fatalf("no merges to undo: %v", err)
	}
	if _, err := e.g.Unmerge(e.kv, ms[len(ms)-1].ID, "admin", t0); err != nil {
		t.Fatal(err)
	}
	e.commit()
}

// TestDeterministicReplay: the same observations in the same order give
// byte-identical state, however the engine batches its commits, and a run
// interrupted after a prefix and resumed by a new Graph (a restart) ends
// in the same state as one run.
func TestDeterministicReplay(t *testing.T) {
	c := genCorpus(800, 7)
	half := len(c.msgs) / 2
	cfg := corpusConfig()

	a := newEnv(t, cfg)
	feed(t, a, c, 0, half, 500)
	unmergeFirst(t, a)
	feed(t, a, c, half, len(c.msgs), 500)

	b := newEnv(t, cfg)
	feed(t, b, c, 0, half, 1)
	unmergeFirst(t, b)
	b.g = New(cfg) // restart: nothing carried over in memory
	feed(t, b, c, half, len(c.msgs), 137)

	da, db := a.digest(), b.digest()
	if da != db {
		ka, kb := a.keys(DefaultKeyPrefix), b.keys(DefaultKeyPrefix)
		t.Fatalf("states differ: %d and %d keys", len(ka), len(kb))
	}
	// And the same profiles for every message.
	for i, m := range c.msgs {
		o := Observation{Source: m.source, IDs: m.ids}
		pa, _, _ := a.g.Locate(a.kv, o)
		pb, _, _ := b.g.Locate(b.kv, o)
		if pa != pb {
			t.Fatalf("message %d: %s vs %s", i, pa, pb)
		}
	}
	t.Logf("%d messages, %d keys, state digest %x", len(c.msgs), len(a.keys(DefaultKeyPrefix)), da[:8])
}
