package identity

import (
	"bytes"
	"crypto/sha256"
	"fmt"
	"testing"
	"time"

	"github.com/cockroachdb/pebble/v2"
	"github.com/cockroachdb/pebble/v2/bloom"
	"github.com/cockroachdb/pebble/v2/vfs"
)

// env is a graph over an in-memory Pebble database, fed the way the engine
// feeds it: one indexed batch, committed every so often.
type env struct {
	t   testing.TB
	db  *pebble.DB
	g   *Graph
	b   *pebble.Batch
	kv  KV
	seq uint64
	// commitEvery commits the batch after this many observations (0: only
	// on demand), as the engine does with its progress.
	commitEvery int
	pending     int
}

// openMem opens an in-memory Pebble database tuned as a real one would be
// for this workload: a block cache that holds the hot records, Bloom
// filters (most lookups of a new message's identifiers miss), and
// memtables large enough not to stall writers.
func openMem(t testing.TB) *pebble.DB {
	cache := pebble.NewCache(256 << 20)
	defer cache.Unref()
	opts := &pebble.Options{
		FS:                          vfs.NewMem(),
		Logger:                      quiet{},
		Cache:                       cache,
		MemTableSize:                64 << 20,
		MemTableStopWritesThreshold: 4,
		L0CompactionThreshold:       4,
		L0StopWritesThreshold:       24,
	}
	for i := range opts.Levels {
		opts.Levels[i].FilterPolicy = bloom.FilterPolicy(10)
	}
	db, err := pebble.Open("", opts)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

type quiet struct{}

func (quiet) Infof(string, ...any)  {}
func (quiet) Errorf(string, ...any) {}
func (quiet) Fatalf(f string, a ...any) {
	panic(fmt.Sprintf(f, a...))
}

func newEnv(t testing.TB, cfg Config) *env {
	e := &env{t: t, db: openMem(t), g: New(cfg), commitEvery: 1}
	if err := e.g.Err(); err != nil {
		t.Fatal(err)
	}
	e.begin()
	return e
}

func (e *env) begin() {
	e.b = e.db.NewIndexedBatch()
	e.kv = NewPebbleKV(e.b)
}

func (e *env) commit() {
	e.t.Helper()
	if err := e.b.Commit(pebble.NoSync); err != nil {
		e.t.Fatal(err)
	}
	e.b.Close()
	e.begin()
	e.pending = 0
}

var t0 = time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)

// obs observes a message from a source with the next sequence number.
func (e *env) obs(source, mid string, ids ...ID) Result {
	e.t.Helper()
	e.seq++
	r, err := e.g.Observe(e.kv, Observation{Seq: e.seq, MessageID: mid, Source: source, At: t0.Add(time.Duration(e.seq) * time.Second), IDs: ids})
	if err != nil {
		e.t.Fatal(err)
	}
	e.pending++
	if e.commitEvery > 0 && e.pending >= e.commitEvery {
		e.commit()
	}
	return r
}

func (e *env) resolve(id ID) string {
	e.t.Helper()
	p, ok, err := e.g.Resolve(e.kv, id)
	if err != nil {
		e.t.Fatal(err)
	}
	if !ok {
		return ""
	}
	return p
}

func (e *env) identities(pid string) []ID {
	e.t.Helper()
	ids, err := e.g.Identities(e.kv, pid)
	if err != nil {
		e.t.Fatal(err)
	}
	return ids
}

func (e *env) conflicts(pid string) []Conflict {
	e.t.Helper()
	cs, err := e.g.Conflicts(e.kv, ConflictFilter{Profile: pid, Limit: 1000})
	if err != nil {
		e.t.Fatal(err)
	}
	return cs
}

func (e *env) merges(pid string) []Merge {
	e.t.Helper()
	ms, err := e.g.Merges(e.kv, MergeFilter{Profile: pid, Limit: 1000})
	if err != nil {
		e.t.Fatal(err)
	}
	return ms
}

// digest hashes every key and value of the database (after a commit), so
// two states compare byte for byte.
func (e *env) digest() [32]byte {
	e.t.Helper()
	e.commit()
	it, err := e.db.NewIter(nil)
	if err != nil {
		e.t.Fatal(err)
	}
	defer it.Close()
	h := sha256.New()
	for it.First(); it.Valid(); it.Next() {
		fmt.Fprintf(h, "%d:%x=%d:%x;", len(it.Key()), it.Key(), len(it.Value()), it.Value())
	}
	var s [32]byte
	copy(s[:], h.Sum(nil))
	return s
}

// dump lists every key of the database with a prefix, for diagnosing a
// difference.
func (e *env) keys(prefix string) [][]byte {
	var out [][]byte
	it, _ := e.db.NewIter(&pebble.IterOptions{LowerBound: []byte(prefix), UpperBound: prefixEnd([]byte(prefix))})
	defer it.Close()
	for it.First(); it.Valid(); it.Next() {
		out = append(out, bytes.Clone(it.Key()))
	}
	return out
}

func uid(ns, v string) ID        { return ID{Kind: User, NS: ns, Value: v} }
func anon(v string) ID           { return ID{Kind: Anon, Value: v} }
func email(tok string) ID        { return ID{Kind: Email, Value: tok} }
func phone(tok string) ID        { return ID{Kind: Phone, Value: tok} }
func plat(kind, ns, v string) ID { return ID{Kind: kind, NS: ns, Value: v} }
func hasCode(cs []Conflict, code string) bool {
	for _, c := range cs {
		if c.Code == code {
			return true
		}
	}
	return false
}
