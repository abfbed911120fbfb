package realtime

import (
	"bytes"
	"errors"

	"github.com/cockroachdb/pebble/v2"
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
}

// readCache holds the values of the state keys one batch of log messages
// has read or written, so that each is read from Pebble once per batch:
// the parts read the same records again and again (the profile's state is
// read when a message is applied, again when its segments are evaluated,
// and once more for each of its messages in the batch), and a point read
// of an indexed batch searches the batch, the memtables and the sstables
// every time. It is write-through: every write to the cached prefixes in
// the batch must go through a view that shares the cache, or the cache
// must be reset after it (an unmerge, a rebuild).
type readCache struct {
	m map[string]cached
}

// cached is a key's value; ok is false for an absent key.
type cached struct {
	v  []byte
	ok bool
}

func newReadCache() *readCache { return &readCache{m: map[string]cached{}} }

// reset forgets everything (after writes that bypassed the cache).
func (c *readCache) reset() {
	if c != nil {
		clear(c.m)
	}
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
	return batchKV{b: b, w: b, prefix: []byte(prefix), c: c}
}

// Get returns the value of key, nil if absent. The caller owns the slice.
func (k batchKV) Get(key []byte) ([]byte, error) {
	full := k.key(key)
	if k.c != nil {
		if e, hit := k.c.m[string(full)]; hit {
			if !e.ok {
				return nil, nil
			}
			return bytes.Clone(e.v), nil
		}
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
		k.c.m[string(full)] = cached{v: bytes.Clone(out), ok: true}
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
