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
	"sync/atomic"
	"time"

	"github.com/cockroachdb/pebble/v2"
	"github.com/cockroachdb/pebble/v2/bloom"
)

// Kind separates the key spaces.
type Kind byte

// Key spaces.
const (
	Message  Kind = 'G' // (source, messageId): live ones expire, imported ones stay
	Order    Kind = 'O' // (store, order_id), and other rows that later versions update
	Customer Kind = 'C' // (source, customer key)
	meta     Kind = 'M'
)

// Digest is the 128-bit digest of a natural key.
type Digest [16]byte

// Hash digests the parts of a natural key; parts are separated so that
// ("ab","c") and ("a","bc") differ.
//
// The store writer and the profile engine hash every message's key: the
// parts are laid out in a buffer on the stack and hashed at once (a
// streaming hash allocated its state and a copy of each part).
func Hash(parts ...string) Digest {
	var stack [256]byte
	buf := stack[:0]
	for _, p := range parts {
		buf = binary.BigEndian.AppendUint32(buf, uint32(len(p)))
		buf = append(buf, p...)
	}
	sum := sha256.Sum256(buf)
	return Digest(sum[:16])
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
	// Most lookups are for keys that do not exist (a new message): without
	// Bloom filters each would search every file's index. 10 bits per key
	// answer "absent" with a 1% false-positive rate.
	for i := range opts.Levels {
		opts.Levels[i].FilterPolicy = bloom.FilterPolicy(10)
	}
	db, err := pebble.Open(dir, opts)
	if err != nil {
		return nil, fmt.Errorf("keyindex: open %s: %w", dir, err)
	}
	return &Index{db: db}, nil
}

// Close closes the index.
func (x *Index) Close() error { return x.db.Close() }

func key(k Kind, d Digest) []byte {
	b := make([]byte, 1+16)
	b[0] = byte(k)
	copy(b[1:], d[:])
	return b
}

// Day is the day number of a time, for the expiry of live message keys.
func Day(t time.Time) uint32 { return uint32(t.Unix() / 86400) }

// Entry is what the index holds for a key: the log sequence of the message
// that created it, the day of its receipt, and whether it never expires.
type Entry struct {
	Seq       uint64
	Day       uint32
	Permanent bool
}

// Encode is the entry's 13-byte value (sequence, day, permanent flag); the
// profile engine keeps its own message keys in the same form.
func (e Entry) Encode() []byte {
	v := make([]byte, 13)
	binary.BigEndian.PutUint64(v, e.Seq)
	binary.BigEndian.PutUint32(v[8:], e.Day)
	if e.Permanent {
		v[12] = 1
	}
	return v
}

// DecodeEntry reads a value written by Encode.
func DecodeEntry(v []byte) (Entry, error) {
	if len(v) != 13 {
		return Entry{}, fmt.Errorf("keyindex: corrupt value of %d bytes", len(v))
	}
	return Entry{Seq: binary.BigEndian.Uint64(v), Day: binary.BigEndian.Uint32(v[8:]), Permanent: v[12] == 1}, nil
}

// Covers reports whether a message received on day with the key of this
// entry is a duplicate of the entry's message: imported keys never expire,
// live ones cover messages received the same or the next UTC day (the
// 24-hour window Segment promises, whatever the time of day). The store
// and the profile engine decide by this one rule, so they agree on which
// messages count.
func (e Entry) Covers(day uint32) bool { return e.Permanent || e.Day+1 >= day }

// Expired reports whether a live entry can no longer cover a message
// received on day latest or on the day before it (a log's receipt times
// are ordered only roughly: messages published around midnight may
// interleave), so that deleting it changes no decision.
func (e Entry) Expired(latest uint32) bool { return !e.Permanent && e.Day+2 < latest }

// Get returns the entry of a key. One probe per key: the hot path of the
// store writer asks it for every message.
func (x *Index) Get(k Kind, d Digest) (e Entry, ok bool, err error) {
	v, closer, err := x.db.Get(key(k, d))
	if errors.Is(err, pebble.ErrNotFound) {
		return e, false, nil
	}
	if err != nil {
		return e, false, fmt.Errorf("keyindex: get: %w", err)
	}
	defer closer.Close()
	e, err = DecodeEntry(v)
	return e, err == nil, err
}

// Batch collects writes to commit at once.
type Batch struct {
	b *pebble.Batch
}

// NewBatch starts a batch of writes.
func (x *Index) NewBatch() *Batch { return &Batch{b: x.db.NewBatch()} }

// Put records the entry of a key.
func (b *Batch) Put(k Kind, d Digest, e Entry) {
	_ = b.b.Set(key(k, d), e.Encode(), nil)
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

// ExpireMessages deletes the keys of live (not permanent) messages received
// before the day keepFrom.
func (x *Index) ExpireMessages(keepFrom uint32, lock func() (unlock func())) (deleted int, err error) {
	return ExpireLive(x.db, []byte{byte(Message)}, keepFrom+2, lock)
}

// LatestDay is the latest day of receipt (Day) of a message whose key a
// writer kept. Live keys expire by it, not by the clock, so that a rebuild
// or replay over an old log expires what the live writer did and decides
// the same (the store and the profile engine each keep one). The zero
// value knows no day; it is safe for concurrent use.
type LatestDay struct{ day atomic.Uint32 }

// Note records the day of receipt of a message whose key was kept.
func (l *LatestDay) Note(day uint32) {
	for cur := l.day.Load(); day > cur && !l.day.CompareAndSwap(cur, day); cur = l.day.Load() {
	}
}

// Day is the latest day noted, 0 before the first.
func (l *LatestDay) Day() uint32 { return l.day.Load() }

// ExpireLive deletes the entries under prefix in db (values written by
// Entry.Encode) that are Expired at day latest. It walks them in chunks of
// 10,000 keys, each read and deleted while holding lock, so that a writer
// that re-creates a key between the read and the delete is never undone.
func ExpireLive(db *pebble.DB, prefix []byte, latest uint32, lock func() (unlock func())) (deleted int, err error) {
	start := prefix
	end := append(append([]byte(nil), prefix[:len(prefix)-1]...), prefix[len(prefix)-1]+1)
	for {
		n, next, err := expireChunk(db, start, end, latest, lock)
		deleted += n
		if err != nil || next == nil {
			return deleted, err
		}
		start = next
	}
}

func expireChunk(db *pebble.DB, start, end []byte, latest uint32, lock func() func()) (int, []byte, error) {
	unlock := lock()
	defer unlock()
	it, err := db.NewIter(&pebble.IterOptions{LowerBound: start, UpperBound: end})
	if err != nil {
		return 0, nil, fmt.Errorf("keyindex: expire: %w", err)
	}
	b := db.NewBatch()
	n, seen := 0, 0
	var next []byte
	for it.First(); it.Valid(); it.Next() {
		if seen == 10000 {
			next = append([]byte(nil), it.Key()...)
			break
		}
		seen++
		if e, err := DecodeEntry(it.Value()); err == nil && e.Expired(latest) {
			_ = b.Delete(it.Key(), nil)
			n++
		}
	}
	if err := it.Close(); err != nil {
		return 0, nil, fmt.Errorf("keyindex: expire: %w", err)
	}
	if err := b.Commit(pebble.NoSync); err != nil {
		return 0, nil, fmt.Errorf("keyindex: expire: %w", err)
	}
	return n, next, nil
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
