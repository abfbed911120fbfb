package realtime

import (
	"bytes"
	"errors"
	"hash/maphash"

	"github.com/cockroachdb/pebble/v2"

	"github.com/tradewind/tradewind/internal/profile"
)

// batchKV is the key-value view the engine's parts (identity graph, profile
// state, segment state) read and write through: a Pebble indexed batch, so
// a part reads its own uncommitted writes, and everything one batch of log
// messages changed commits atomically with the engine's log position.
type batchKV struct {
	b      pebble.Reader
	w      pebble.Writer // nil for a read-only view (a snapshot)
	prefix []byte
	c      *readCache // nil: every Get reads the batch
	// lend says the reader neither keeps nor modifies what Get returns
	// (profile state, segment state, the engine's own records: each is
	// decoded into fresh memory at once), so a cached value is handed out
	// as it is rather than copied. The identity graph may keep the slices
	// it reads, and gets copies.
	lend bool
}

// readCache is one batch's view of the engine's state cache: the values of
// the state keys the batch has read or written (its overlay), over the
// values committed by earlier batches (shared, the engine's stateCache).
// The parts read the same records again and again (the profile's state is
// read when a message is applied, again when its segments are evaluated,
// and once more for each of its messages in the batch, and the next batch
// touches many of the same profiles), and a point read of an indexed batch
// searches the batch, the memtables and the sstables every time: with the
// cache most reads are a map lookup.
//
// It is write-through: every write to the cached prefixes in the batch must
// go through a view that shares the cache, or the cache must be reset
// after it (an unmerge, a rebuild). The overlay becomes shared only when
// the batch commits (commit); a batch that fails drops it.
type readCache struct {
	m      map[string]cached
	shared *stateCache
	// profiles are the profiles as the batch's last Apply left them, so
	// that evaluating their segments at the end of the batch does not
	// decode and compute them again; a merge drops both profiles' entries.
	profiles map[string]*profile.Profile
	// dirtied are the profiles already marked for the flush in this batch:
	// one marker write per profile and batch is enough.
	dirtied map[string]bool
	// reads counts the reads that missed the cache and went to Pebble
	// (what prefetch saves; its test counts them).
	reads int
}

// cached is a key's value; ok is false for an absent key.
type cached struct {
	v  []byte
	ok bool
}

// newReadCache returns a cache for one batch over shared (nil: the batch's
// own reads only).
func newReadCache(shared *stateCache) *readCache {
	return &readCache{m: map[string]cached{}, shared: shared, profiles: map[string]*profile.Profile{},
		dirtied: map[string]bool{}}
}

// lookup returns what the cache knows of key.
func (c *readCache) lookup(key string) (cached, bool) {
	if e, hit := c.m[key]; hit {
		return e, true
	}
	if c.shared != nil {
		return c.shared.get(key)
	}
	return cached{}, false
}

// reset forgets everything, the committed values included (after writes
// that bypassed the cache: the shared values may no longer be the batch's).
func (c *readCache) reset() {
	if c != nil {
		clear(c.m)
		clear(c.profiles)
		if c.shared != nil {
			c.shared.clear()
		}
	}
}

// commit hands the batch's values to the shared cache once the batch has
// committed: they are the database's values now.
func (c *readCache) commit() {
	if c == nil || c.shared == nil {
		return
	}
	for k, v := range c.m {
		c.shared.put(k, v)
	}
	clear(c.m)
}

// stateCache holds committed values of the engine's state keys across
// batches (the caller holds the engine's lock). It is bounded by bytes, in
// two generations: new values go into cur; when cur reaches half the
// budget it becomes prev and a new cur starts, and a value found in prev
// moves back to cur. So what was used recently stays, and the cache never
// holds much more than its budget, without per-entry bookkeeping.
//
// A generation keeps its keys and values in large byte chunks and indexes
// them by a 64-bit hash of the key in a map without pointers, which the
// garbage collector does not scan: held as a map of strings to byte
// slices, the cache was ~75 MB of small objects in a ~330 MB live heap
// during a bulk import (bench/ingest), marked again by every collection.
type stateCache struct {
	cur, prev *cacheGen
	limit     int
	seed      maphash.Seed
	// hash is maphash.String with seed; tests replace it to force
	// collisions.
	hash func(key string) uint64
}

// cacheGen is one generation: idx maps a key's hash to where its key and
// value are in chunks. Two keys with one hash share a slot (the later one
// wins); a lookup compares the key, so a collision is a miss.
type cacheGen struct {
	idx    map[uint64]cacheSlot
	chunks [][]byte
	size   int // bytes of keys and values appended, plus slot overhead
}

type cacheSlot struct {
	chunk, off, klen, vlen uint32
	ok                     bool
}

// cacheEntryOverhead approximates a slot's own memory in the index (hash,
// slot, the map's bucket share), so many small values count for what they
// cost.
const cacheEntryOverhead = 40

// cacheChunkSize is a generation's chunk size; a larger key and value get
// a chunk of their own.
const cacheChunkSize = 256 << 10

func newStateCache(limit int) *stateCache {
	s := &stateCache{limit: limit, seed: maphash.MakeSeed()}
	s.hash = func(key string) uint64 { return maphash.String(s.seed, key) }
	s.cur = newCacheGen()
	return s
}

func newCacheGen() *cacheGen { return &cacheGen{idx: map[uint64]cacheSlot{}} }

// find returns key's value in g: hit is false when g has no slot for the
// key (or the slot holds another key with the same hash).
func (g *cacheGen) find(h uint64, key string) (v cached, hit bool) {
	sl, ok := g.idx[h]
	if !ok {
		return cached{}, false
	}
	c := g.chunks[sl.chunk]
	if string(c[sl.off:sl.off+sl.klen]) != key {
		return cached{}, false
	}
	if !sl.ok {
		return cached{}, true
	}
	// Capped, so that whoever appends to a lent value cannot write over
	// the next entry.
	start := sl.off + sl.klen
	return cached{v: c[start : start+sl.vlen : start+sl.vlen], ok: true}, true
}

// add copies key and v into g's chunks and indexes them under h.
func (g *cacheGen) add(h uint64, key string, v cached) {
	n := len(key) + len(v.v)
	last := len(g.chunks) - 1
	if last < 0 || len(g.chunks[last])+n > cap(g.chunks[last]) {
		g.chunks = append(g.chunks, make([]byte, 0, max(cacheChunkSize, n)))
		last++
	}
	c := g.chunks[last]
	off := len(c)
	c = append(append(c, key...), v.v...)
	g.chunks[last] = c
	g.idx[h] = cacheSlot{chunk: uint32(last), off: uint32(off), klen: uint32(len(key)), vlen: uint32(len(v.v)), ok: v.ok}
	g.size += n + cacheEntryOverhead
}

func (s *stateCache) get(key string) (cached, bool) {
	h := s.hash(key)
	if e, ok := s.cur.find(h, key); ok {
		return e, true
	}
	if s.prev == nil {
		return cached{}, false
	}
	e, ok := s.prev.find(h, key)
	if ok {
		// Moved to cur; e stays valid where it is (chunks are never
		// written over, and dropping prev leaves them to whoever holds e).
		delete(s.prev.idx, h)
		s.put(key, e)
	}
	return e, ok
}

func (s *stateCache) put(key string, v cached) {
	if s.limit <= 0 {
		return
	}
	h := s.hash(key)
	// A key lives in one generation only: left in prev, an older value
	// would answer get once a colliding key takes the slot in cur.
	if s.prev != nil {
		if _, ok := s.prev.find(h, key); ok {
			delete(s.prev.idx, h)
		}
	}
	s.cur.add(h, key, v)
	if s.cur.size >= s.limit/2 {
		s.prev, s.cur = s.cur, newCacheGen()
	}
}

// forget drops one key (written around the cache).
func (s *stateCache) forget(key string) {
	h := s.hash(key)
	for _, g := range [...]*cacheGen{s.cur, s.prev} {
		if g == nil {
			continue
		}
		if _, ok := g.find(h, key); ok {
			delete(g.idx, h)
		}
	}
}

func (s *stateCache) clear() {
	s.cur, s.prev = newCacheGen(), nil
}

// errReadOnly is returned by writes through a read-only view.
var errReadOnly = errors.New("realtime: read-only view")

// view returns the part of reader r (and writer w, if any) under prefix.
func view(r pebble.Reader, w pebble.Writer, prefix string) batchKV {
	return batchKV{b: r, w: w, prefix: []byte(prefix)}
}

func (k batchKV) key(key []byte) []byte {
	out := make([]byte, 0, len(k.prefix)+len(key))
	return append(append(out, k.prefix...), key...)
}

// cachedView is view(b, b, prefix) reading through cache c.
func cachedView(b *pebble.Batch, c *readCache, prefix string) batchKV {
	return batchKV{b: b, w: b, prefix: []byte(prefix), c: c, lend: prefix != prefIdentity}
}

// Get returns the value of key, nil if absent. The caller owns the slice,
// unless the view lends (see batchKV.lend).
func (k batchKV) Get(key []byte) ([]byte, error) {
	full := k.key(key)
	if k.c != nil {
		if e, hit := k.c.lookup(string(full)); hit {
			if !e.ok {
				return nil, nil
			}
			if k.lend {
				return e.v, nil
			}
			return bytes.Clone(e.v), nil
		}
	}
	if k.c != nil {
		k.c.reads++
	}
	v, closer, err := k.b.Get(full)
	if errors.Is(err, pebble.ErrNotFound) {
		if k.c != nil {
			k.c.m[string(full)] = cached{}
		}
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	out := bytes.Clone(v)
	closer.Close()
	if out == nil {
		out = []byte{} // present but empty is not absent
	}
	if k.c != nil {
		cv := out
		if !k.lend {
			cv = bytes.Clone(out)
		}
		k.c.m[string(full)] = cached{v: cv, ok: true}
	}
	return out, nil
}

// Set writes key.
func (k batchKV) Set(key, value []byte) error {
	if k.w == nil {
		return errReadOnly
	}
	full := k.key(key)
	if err := k.w.Set(full, value, nil); err != nil {
		return err
	}
	if k.c != nil {
		k.c.m[string(full)] = cached{v: bytes.Clone(value), ok: true}
	}
	return nil
}

// Delete removes key.
func (k batchKV) Delete(key []byte) error {
	if k.w == nil {
		return errReadOnly
	}
	full := k.key(key)
	if err := k.w.Delete(full, nil); err != nil {
		return err
	}
	if k.c != nil {
		k.c.m[string(full)] = cached{}
	}
	return nil
}

// Iterate calls fn for every key with prefix, in key order, with the prefix
// of the part removed.
func (k batchKV) Iterate(prefix []byte, fn func(key, value []byte) error) error {
	lo := k.key(prefix)
	it, err := k.b.NewIter(&pebble.IterOptions{LowerBound: lo, UpperBound: prefixEnd(lo)})
	if err != nil {
		return err
	}
	defer it.Close()
	for ok := it.First(); ok; ok = it.Next() {
		if err := fn(bytes.Clone(it.Key()[len(k.prefix):]), bytes.Clone(it.Value())); err != nil {
			return err
		}
	}
	return it.Error()
}

// prefixEnd is the first key after every key with prefix p.
func prefixEnd(p []byte) []byte {
	end := bytes.Clone(p)
	for i := len(end) - 1; i >= 0; i-- {
		end[i]++
		if end[i] != 0 {
			return end[:i+1]
		}
	}
	return nil
}
