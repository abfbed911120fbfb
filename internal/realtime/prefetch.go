package realtime

import (
	"bytes"
	"encoding/binary"
	"errors"
	"slices"

	"github.com/cockroachdb/pebble/v2"

	"github.com/tradewind/tradewind/internal/audience"
	"github.com/tradewind/tradewind/internal/eventlog"
	"github.com/tradewind/tradewind/internal/identity"
	"github.com/tradewind/tradewind/internal/profile"
	"github.com/tradewind/tradewind/internal/store"
)

// The engine reads a chunk's state before applying it, in key order.
//
// Applying a message reads about eight records (its message key, its
// identifiers, the profile's identity record, profile state, orders,
// segment state, memberships, timer); the state cache answers those of
// recently active profiles, but in a bulk import or at 1,000,000 profiles
// most of them miss it, and a miss was a point read of the indexed batch:
// a search of the batch, of every memtable and of each level of sstables
// (more than half the engine's CPU in a 1,000,000-row import, bench/ingest).
// prefetch gathers the keys a chunk will read — all of them that follow
// from the messages alone, then those of the profiles the messages belong
// to now — and reads each set in key order from the database (the chunk's
// batch is still empty, so the database's values are the batch's), into
// the chunk's read cache. The parts then find them there.
//
// It is an optimisation only: a key it did not foresee is read as before,
// one it read in vain costs a read, and what it stores is what the read it
// replaces would have returned. A chunk that writes around the cache (an
// unmerge, a rebuild) resets it, prefetched values included.

// chunkItem is a message of the chunk, projected once for prefetch and apply.
type chunkItem struct {
	p   store.Projected
	obs identity.Observation
	// live says the message passed the projection's verdicts: it is
	// checked against the message keys and applied.
	live bool
}

// prefetcher is the engine's reusable prefetch state (guarded by e.mu).
type prefetcher struct {
	want map[string]struct{}
	keys []string
	rec  keyRecorder
	// dup holds the chunk's message keys (e/key/…): read by prefetch,
	// updated by duplicate as it records keys, so a key repeated within
	// the chunk sees the earlier message's entry. Unmerges and rebuilds do
	// not write message keys, so it stays valid for the whole chunk.
	dup map[string]cached
	// dupReads counts the message keys duplicate had to read itself.
	dupReads int
}

// keyRecorder is a key-value view that answers every read "absent" and
// records the keys asked for: run through the identity graph's read-only
// calls, it says which keys they read, without reading.
type keyRecorder struct{ keys [][]byte }

func (r *keyRecorder) Get(key []byte) ([]byte, error) {
	r.keys = append(r.keys, bytes.Clone(key))
	return nil, nil
}
func (r *keyRecorder) Set(key, value []byte) error { return errReadOnly }
func (r *keyRecorder) Delete(key []byte) error     { return errReadOnly }
func (r *keyRecorder) Iterate(prefix []byte, fn func(key, value []byte) error) error {
	return nil
}

// profileStateKey is the key of a part of a profile's state in the
// profile Keeper (profile.DefaultPrefix, the id's length, the id, the
// part: 'c' core, 'o' orders), under the engine's prefix. A test holds it
// equal to what the Keeper reads; were it ever wrong, prefetch would read
// in vain, not wrongly.
func profileStateKey(pid string, part byte) string {
	k := make([]byte, 0, len(prefProfile)+len(profile.DefaultPrefix)+binary.MaxVarintLen64+len(pid)+1)
	k = append(k, prefProfile...)
	k = append(k, profile.DefaultPrefix...)
	k = binary.AppendUvarint(k, uint64(len(pid)))
	k = append(k, pid...)
	return string(append(k, part))
}

// add notes key for the next read unless c already knows it.
func (f *prefetcher) add(c *readCache, key string) {
	if _, ok := f.want[key]; ok {
		return
	}
	if c != nil {
		if _, hit := c.lookup(key); hit {
			return
		}
	}
	f.want[key] = struct{}{}
	f.keys = append(f.keys, key)
}

// prefetch reads the keys items will read into c and f.dup.
func (e *Engine) prefetch(c *readCache, items []chunkItem, batch []eventlog.Delivery) error {
	f := e.prefetcher()
	clear(f.dup)
	f.dupReads = 0
	g := e.parts.graph
	// The message keys and the messages' identifiers.
	var dupKeys []string
	for i := range items {
		it := &items[i]
		if !it.live {
			continue
		}
		var k [32]byte
		if key, _, ok := messageKey(k[:0], &batch[i]); ok {
			dupKeys = append(dupKeys, string(key))
		}
		f.rec.keys = f.rec.keys[:0]
		if _, _, err := g.Locate(&f.rec, it.obs); err != nil {
			continue // apply meets the same error
		}
		for _, k := range f.rec.keys {
			f.add(c, prefIdentity+string(k))
		}
	}
	slices.Sort(dupKeys)
	dupKeys = slices.Compact(dupKeys)
	if err := readSorted(e.db, dupKeys, func(k string, v cached) { f.dup[k] = v }); err != nil {
		return err
	}
	if err := f.readInto(e.db, c); err != nil {
		return err
	}
	// The records of the profiles the messages belong to now.
	// Read-only, through the database: the chunk's batch is still empty.
	kvI := batchKV{b: e.db, prefix: []byte(prefIdentity), c: c}
	for i := range items {
		it := &items[i]
		if !it.live {
			continue
		}
		pid, ok, err := g.Locate(kvI, it.obs)
		if err != nil || !ok {
			continue
		}
		// Only what applying and evaluating read for certain: a record
		// read in vain costs as much as one read when needed (the
		// identity graph reads a known person's profile record only to
		// merge or split; segment state is read only for segments).
		f.add(c, profileStateKey(pid, 'c'))
		if it.p.Order != nil || it.p.Refund != nil || it.p.Cancel != nil {
			f.add(c, profileStateKey(pid, 'o'))
		}
		if len(e.parts.segs) > 0 {
			f.add(c, prefAudience+audience.KeyPrefix+pid)
		}
		f.add(c, prefMember+pid)
		f.add(c, string(prefTimerP)+pid)
		if e.parts.preds {
			f.add(c, prefPrediction+pid)
		}
	}
	return f.readInto(e.db, c)
}

// noState notes in c that profile pid, which the identity graph has just
// created, has no state yet. Prefetch cannot foresee a new profile's id,
// and in a bulk import a third of the messages create one: reading its
// records found nothing, after searching every memtable and level (about
// a fifth of the engine's CPU in a 1,000,000-row import after prefetch).
// The id is new: the graph derives it from the identifier that founded the
// profile and the message's log sequence, and checks that no profile has
// it; the engine writes state only under ids the graph gave it, and
// erasing a profile deletes its state. So its records are absent in the
// chunk's batch, whatever the cache held.
func (e *Engine) noState(c *readCache, pid string) {
	for _, k := range [...]string{profileStateKey(pid, 'c'), profileStateKey(pid, 'o'),
		prefAudience + audience.KeyPrefix + pid, prefMember + pid, string(prefTimerP) + pid, prefPrediction + pid} {
		c.m[k] = cached{}
	}
}

// prefetchProfiles reads into c, in key order, the records the flusher
// reads of the profiles that markers (e/dirty/<profile>) name: their
// identity records, states and memberships (their identifiers are
// iterated, not read). The caller holds e.mu, and r is the committed state.
func (e *Engine) prefetchProfiles(r pebble.Reader, c *readCache, markers []marker) error {
	f := e.prefetcher()
	for _, m := range markers {
		pid := string(m.key[len(prefDirty):])
		f.rec.keys = f.rec.keys[:0]
		_, _ = e.parts.graph.Profile(&f.rec, pid)
		for _, k := range f.rec.keys {
			f.add(c, prefIdentity+string(k))
		}
		f.add(c, profileStateKey(pid, 'c'))
		f.add(c, prefMember+pid)
	}
	return f.readInto(r, c)
}

// prefetchIdentities reads into c, in key order, the identity records of
// rows' profiles (the flusher's recheck).
func (e *Engine) prefetchIdentities(r pebble.Reader, c *readCache, rows []store.ProfileRow) error {
	f := e.prefetcher()
	for _, row := range rows {
		f.rec.keys = f.rec.keys[:0]
		_, _ = e.parts.graph.Profile(&f.rec, row.ProfileID)
		for _, k := range f.rec.keys {
			f.add(c, prefIdentity+string(k))
		}
	}
	return f.readInto(r, c)
}

// prefetcher returns the engine's prefetch state, made on first use.
func (e *Engine) prefetcher() *prefetcher {
	f := &e.pre
	if f.want == nil {
		f.want = make(map[string]struct{}, 8*maxChunk)
		f.dup = make(map[string]cached, maxChunk)
	}
	return f
}

// readInto reads the keys noted with add from r into c's overlay and
// forgets them.
func (f *prefetcher) readInto(r pebble.Reader, c *readCache) error {
	slices.Sort(f.keys)
	err := readSorted(r, f.keys, func(k string, v cached) { c.m[k] = v })
	f.keys = f.keys[:0]
	clear(f.want)
	return err
}

// readSorted reads keys (sorted, distinct) from r and hands each one's
// value to fn; the value is fn's to keep.
func readSorted(r pebble.Reader, keys []string, fn func(key string, v cached)) error {
	if len(keys) == 0 {
		return nil
	}
	for _, k := range keys {
		v, closer, err := r.Get([]byte(k))
		if errors.Is(err, pebble.ErrNotFound) {
			fn(k, cached{})
			continue
		}
		if err != nil {
			return err
		}
		out := bytes.Clone(v)
		closer.Close()
		if out == nil {
			out = []byte{}
		}
		fn(k, cached{v: out, ok: true})
	}
	return nil
}
