package identity

import (
	"errors"
	"fmt"

	"github.com/cockroachdb/pebble/v2"
)

// KV is the ordered key-value state the graph reads and writes. The engine
// passes the batch it commits atomically with its own progress, so that
// identity and the engine never disagree after a crash.
type KV interface {
	// Get returns the value of a key, or nil and no error if it is absent.
	// The caller may keep the returned slice.
	Get(key []byte) ([]byte, error)
	// Set writes a key; the graph does not reuse key or value afterwards.
	Set(key, value []byte) error
	// Delete removes a key (absent keys are fine).
	Delete(key []byte) error
	// Iterate calls fn for every key with the prefix, in ascending order,
	// including the writes made before the call. key and value are valid
	// only during fn; an error from fn stops the walk and is returned.
	// The graph never writes while it iterates.
	Iterate(prefix []byte, fn func(key, value []byte) error) error
}

// RangeKV is a KV that can also walk a key range [start, end). The merge
// and conflict logs page with it when the KV has it (a page then costs its
// length, not its position); otherwise they skip through Iterate.
type RangeKV interface {
	KV
	IterateRange(start, end []byte, fn func(key, value []byte) error) error
}

// NewPebbleKV adapts an indexed Pebble batch (DB.NewIndexedBatch): reads see
// the committed database overlaid with the batch's own writes, and
// nothing is visible to others until the caller commits the batch. A
// batch that is not indexed cannot be read, and every read fails.
func NewPebbleKV(b *pebble.Batch) RangeKV { return pebbleKV{b} }

type pebbleKV struct{ b *pebble.Batch }

func (p pebbleKV) Get(key []byte) ([]byte, error) {
	v, closer, err := p.b.Get(key)
	if errors.Is(err, pebble.ErrNotFound) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("identity: get: %w", err)
	}
	out := make([]byte, len(v)) // never nil: present but empty is not absent
	copy(out, v)
	if err := closer.Close(); err != nil {
		return nil, fmt.Errorf("identity: get: %w", err)
	}
	return out, nil
}

func (p pebbleKV) Set(key, value []byte) error {
	if err := p.b.Set(key, value, nil); err != nil {
		return fmt.Errorf("identity: set: %w", err)
	}
	return nil
}

func (p pebbleKV) Delete(key []byte) error {
	if err := p.b.Delete(key, nil); err != nil {
		return fmt.Errorf("identity: delete: %w", err)
	}
	return nil
}

func (p pebbleKV) Iterate(prefix []byte, fn func(key, value []byte) error) error {
	return p.IterateRange(prefix, prefixEnd(prefix), fn)
}

func (p pebbleKV) IterateRange(start, end []byte, fn func(key, value []byte) error) error {
	it, err := p.b.NewIter(&pebble.IterOptions{LowerBound: start, UpperBound: end})
	if err != nil {
		return fmt.Errorf("identity: iterate: %w", err)
	}
	for it.First(); it.Valid(); it.Next() {
		v, err := it.ValueAndErr()
		if err != nil {
			it.Close()
			return fmt.Errorf("identity: iterate: %w", err)
		}
		if err := fn(it.Key(), v); err != nil {
			it.Close()
			return err
		}
	}
	if err := it.Close(); err != nil {
		return fmt.Errorf("identity: iterate: %w", err)
	}
	return nil
}

// prefixEnd is the smallest key greater than every key with the prefix
// (nil: no upper bound).
func prefixEnd(prefix []byte) []byte {
	end := append([]byte(nil), prefix...)
	for i := len(end) - 1; i >= 0; i-- {
		if end[i] < 0xff {
			end[i]++
			return end[:i+1]
		}
	}
	return nil
}

// errStop ends a walk early; it never escapes the package.
var errStop = errors.New("stop")

// iterRange walks [start, end) of kv, through IterateRange when kv has it.
func iterRange(kv KV, prefix, start []byte, fn func(key, value []byte) error) error {
	if r, ok := kv.(RangeKV); ok {
		err := r.IterateRange(start, prefixEnd(prefix), fn)
		if errors.Is(err, errStop) {
			return nil
		}
		return err
	}
	err := kv.Iterate(prefix, func(k, v []byte) error {
		if string(k) < string(start) {
			return nil
		}
		return fn(k, v)
	})
	if errors.Is(err, errStop) {
		return nil
	}
	return err
}
