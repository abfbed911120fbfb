// Package keyindex is the embedded store's on-disk index of natural keys: the
// (source, messageId) of every message in the deduplication window, and the
// keys of the rows that later versions update (orders, customers). DuckDB's
// own unique indexes live in memory and grow with the table, so they are not
// used on big append tables; this index is a Pebble LSM tree whose memory is
// bounded by its cache and memtables, whatever the number of keys.
//
// Keys are SHA-256 digests truncated to 128 bits, so a value that may be
// personal data (an order id, a user id) is never stored in clear here.
// Each entry holds the log sequence of the message that created it: the
// index is a cache of facts in the store, and an entry made by a batch that
// the store did not commit is recognised by its sequence and ignored.
package keyindex

import (
	"crypto/sha256"
	"encoding/binary"
	"errors"
	"fmt"
	"time"

	"github.com/cockroachdb/pebble/v2"
)

// Kind separates the key spaces.
type Kind byte

// Key spaces.
const (
	LiveMessage      Kind = 'L' // messages of the live window, bucketed by day
	PermanentMessage Kind = 'P' // imported messages, kept forever
	Order            Kind = 'O' // (store, order_id)
	Customer         Kind = 'C' // (source, customer key)
	meta             Kind = 'M'
)

// Digest is the 128-bit digest of a natural key.
type Digest [16]byte

// Hash digests the parts of a natural key; parts are separated so that
// ("ab","c") and ("a","bc") differ.
func Hash(parts ...string) Digest {
	h := sha256.New()
	for _, p := range parts {
		var n [4]byte
		binary.BigEndian.PutUint32(n[:], uint32(len(p)))
		h.Write(n[:])
		h.Write([]byte(p))
	}
	var sum [32]byte
	var d Digest
	copy(d[:], h.Sum(sum[:0]))
	return d
}

// Index is an open key index.
type Index struct {
	db *pebble.DB
}

// Open opens (or creates) the index in dir. cacheBytes bounds its block cache.
func Open(dir string, cacheBytes int64) (*Index, error) {
	cache := pebble.NewCache(cacheBytes)
	defer cache.Unref()
	opts := &pebble.Options{
		Cache:                       cache,
		MemTableSize:                16 << 20,
		MemTableStopWritesThreshold: 4,
		Logger:                      quietLogger{},
	}
	db, err := pebble.Open(dir, opts)
	if err != nil {
		return nil, fmt.Errorf("keyindex: open %s: %w", dir, err)
	}
	return &Index{db: db}, nil
}

// Close closes the index.
func (x *Index) Close() error { return x.db.Close() }

func key(k Kind, day uint32, d Digest) []byte {
	if k == LiveMessage {
		b := make([]byte, 1+4+16)
		b[0] = byte(k)
		binary.BigEndian.PutUint32(b[1:], day)
		copy(b[5:], d[:])
		return b
	}
	b := make([]byte, 1+16)
	b[0] = byte(k)
	copy(b[1:], d[:])
	return b
}

// Day is the bucket of a time in the live window.
func Day(t time.Time) uint32 { return uint32(t.Unix() / 86400) }

// Get returns the sequence stored under (k, day, d); day is used only for
// LiveMessage.
func (x *Index) Get(k Kind, day uint32, d Digest) (seq uint64, ok bool, err error) {
	v, closer, err := x.db.Get(key(k, day, d))
	if errors.Is(err, pebble.ErrNotFound) {
		return 0, false, nil
	}
	if err != nil {
		return 0, false, fmt.Errorf("keyindex: get: %w", err)
	}
	defer closer.Close()
	if len(v) != 8 {
		return 0, false, fmt.Errorf("keyindex: corrupt value of %d bytes", len(v))
	}
	return binary.BigEndian.Uint64(v), true, nil
}

// Batch collects writes to commit at once.
type Batch struct {
	b *pebble.Batch
}

// NewBatch starts a batch of writes.
func (x *Index) NewBatch() *Batch { return &Batch{b: x.db.NewBatch()} }

// Put records that seq created the key.
func (b *Batch) Put(k Kind, day uint32, d Digest, seq uint64) {
	var v [8]byte
	binary.BigEndian.PutUint64(v[:], seq)
	_ = b.b.Set(key(k, day, d), v[:], nil)
}

// SetApplied records the log sequence up to which the index is complete.
func (b *Batch) SetApplied(seq uint64) {
	var v [8]byte
	binary.BigEndian.PutUint64(v[:], seq)
	_ = b.b.Set([]byte{byte(meta)}, v[:], nil)
}

// Commit writes the batch. sync forces it to stable storage; without it the
// write survives a crash of the process but not of the machine, which the
// store repairs at start (see Applied).
func (b *Batch) Commit(sync bool) error {
	opt := pebble.NoSync
	if sync {
		opt = pebble.Sync
	}
	if err := b.b.Commit(opt); err != nil {
		return fmt.Errorf("keyindex: commit: %w", err)
	}
	return b.b.Close()
}

// Discard drops the batch's writes.
func (b *Batch) Discard() { _ = b.b.Close() }

// Applied is the log sequence up to which the index holds every key.
func (x *Index) Applied() (uint64, error) {
	v, closer, err := x.db.Get([]byte{byte(meta)})
	if errors.Is(err, pebble.ErrNotFound) {
		return 0, nil
	}
	if err != nil {
		return 0, fmt.Errorf("keyindex: applied: %w", err)
	}
	defer closer.Close()
	return binary.BigEndian.Uint64(v), nil
}

// ExpireLive drops live-window buckets older than keepFrom (a Day).
func (x *Index) ExpireLive(keepFrom uint32) error {
	start := []byte{byte(LiveMessage)}
	end := make([]byte, 5)
	end[0] = byte(LiveMessage)
	binary.BigEndian.PutUint32(end[1:], keepFrom)
	if err := x.db.DeleteRange(start, end, pebble.NoSync); err != nil {
		return fmt.Errorf("keyindex: expire: %w", err)
	}
	return nil
}

// Reset deletes every entry: used before rebuilding from the store.
func (x *Index) Reset() error {
	if err := x.db.DeleteRange([]byte{0}, []byte{0xff}, pebble.Sync); err != nil {
		return fmt.Errorf("keyindex: reset: %w", err)
	}
	return nil
}

type quietLogger struct{}

func (quietLogger) Infof(string, ...any)  {}
func (quietLogger) Errorf(string, ...any) {}
func (quietLogger) Fatalf(format string, args ...any) {
	panic(fmt.Sprintf("keyindex: "+format, args...))
}
