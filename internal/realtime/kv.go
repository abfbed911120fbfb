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

// Get returns the value of key, nil if absent.
func (k batchKV) Get(key []byte) ([]byte, error) {
	v, closer, err := k.b.Get(k.key(key))
	if errors.Is(err, pebble.ErrNotFound) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	out := bytes.Clone(v)
	closer.Close()
	return out, nil
}

// Set writes key.
func (k batchKV) Set(key, value []byte) error {
	if k.w == nil {
		return errReadOnly
	}
	return k.w.Set(k.key(key), value, nil)
}

// Delete removes key.
func (k batchKV) Delete(key []byte) error {
	if k.w == nil {
		return errReadOnly
	}
	return k.w.Delete(k.key(key), nil)
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
