package profile

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"math"
)

// KV is the key-value store a Keeper keeps its state in: in the real-time
// engine, a Pebble indexed batch, so that a profile's state commits
// atomically with the log position that produced it.
//
// Get returns the value of key, or a nil value with a nil error (or an
// error wrapping ErrNotFound) when the key is absent; the Keeper decodes the
// value before its next call, so an adapter may return memory it reuses.
// Set must not retain key or value after it returns (Pebble's batch copies
// them), though the Keeper never reuses a slice it has passed to Set.
// Iterate calls fn for every key with the prefix, in key order; fn must not
// modify the KV.
type KV interface {
	Get(key []byte) ([]byte, error)
	Set(key, value []byte) error
	Delete(key []byte) error
	Iterate(prefix []byte, fn func(k, v []byte) error) error
}

// ErrNotFound may be returned (wrapped or not) by KV.Get for an absent key.
var ErrNotFound = errors.New("profile: key not found")

// DefaultPrefix is the key prefix of a Keeper's state when Config.Prefix is
// empty: it keeps profile state apart from the identity graph and the
// engine's own keys in a shared Pebble database.
const DefaultPrefix = "tw/profile/"

// Part names, one byte after the profile's key prefix. The core part is what
// every message touches (seen times, traits, locale, channels, reviews,
// deviations, the orders' summary); the orders live apart because they are
// the large part and only messages about orders need them.
const (
	partCore   = 'c'
	partOrders = 'o'
)

// profileKey is prefix, the id's length as a uvarint, the id, then the part:
// the length makes the key of profile "a" no prefix of profile "ab"'s, so
// that Reset's Iterate never reaches another profile's keys.
func profileKey(prefix []byte, id string) []byte {
	k := make([]byte, 0, len(prefix)+binary.MaxVarintLen64+len(id)+1)
	k = append(k, prefix...)
	k = binary.AppendUvarint(k, uint64(len(id)))
	k = append(k, id...)
	return k
}

func partKey(profile []byte, part byte) []byte {
	k := make([]byte, len(profile)+1)
	copy(k, profile)
	k[len(profile)] = part
	return k
}

func get(kv KV, key []byte) ([]byte, error) {
	v, err := kv.Get(key)
	if errors.Is(err, ErrNotFound) {
		return nil, nil
	}
	return v, err
}

// enc appends the compact binary form of state: varints, length-prefixed
// strings, floats as their 8 bytes. It is private to this package and
// versioned by a leading byte, so it can change with a migration.
type enc struct{ b []byte }

func (e *enc) u(v uint64)     { e.b = binary.AppendUvarint(e.b, v) }
func (e *enc) i(v int64)      { e.b = binary.AppendVarint(e.b, v) }
func (e *enc) byte(v byte)    { e.b = append(e.b, v) }
func (e *enc) f(v float64)    { e.fixed(math.Float64bits(v)) }
func (e *enc) fixed(v uint64) { e.b = binary.LittleEndian.AppendUint64(e.b, v) }
func (e *enc) s(v string)     { e.u(uint64(len(v))); e.b = append(e.b, v...) }
func (e *enc) bs(v []byte)    { e.u(uint64(len(v))); e.b = append(e.b, v...) }
func (e *enc) st(v stamp)     { e.i(v.at); e.u(v.seq) }
func (e *enc) bool(v bool) {
	if v {
		e.byte(1)
	} else {
		e.byte(0)
	}
}

// dec reads what enc wrote; the first error sticks and every later read
// returns zero values, so decoders check err once at the end. Strings are
// substrings of one copy of the whole value (str), made once: one
// allocation instead of one per key, and no reference to memory the KV may
// reuse.
type dec struct {
	b   []byte
	str string // the same bytes as b, as a string
	own []byte // a copy of b, made by the first bs
	off int
	err error
}

func newDec(b []byte) dec { return dec{b: b, str: string(b)} }

var errCorrupt = errors.New("truncated or corrupt state")

func (d *dec) fail() {
	if d.err == nil {
		d.err = errCorrupt
	}
	d.off = len(d.b)
}

func (d *dec) u() uint64 {
	v, n := binary.Uvarint(d.b[d.off:])
	if n <= 0 {
		d.fail()
		return 0
	}
	d.off += n
	return v
}

func (d *dec) i() int64 {
	v, n := binary.Varint(d.b[d.off:])
	if n <= 0 {
		d.fail()
		return 0
	}
	d.off += n
	return v
}

func (d *dec) byte() byte {
	if d.off >= len(d.b) {
		d.fail()
		return 0
	}
	v := d.b[d.off]
	d.off++
	return v
}

func (d *dec) bool() bool { return d.byte() != 0 }

func (d *dec) f() float64 { return math.Float64frombits(d.fixed()) }

func (d *dec) fixed() uint64 {
	if len(d.b)-d.off < 8 {
		d.fail()
		return 0
	}
	v := binary.LittleEndian.Uint64(d.b[d.off:])
	d.off += 8
	return v
}

// span reads a length and returns the offsets of that many bytes.
func (d *dec) span() (int, int) {
	n := d.u()
	if n > uint64(len(d.b)-d.off) {
		d.fail()
		return d.off, d.off
	}
	start := d.off
	d.off += int(n)
	return start, d.off
}

func (d *dec) s() string {
	a, b := d.span()
	return d.str[a:b]
}

// bs returns the bytes of a field, in a copy of the value shared by all
// of them (capacity-limited, so appending to one cannot overwrite another).
func (d *dec) bs() []byte {
	a, b := d.span()
	if a == b {
		return nil
	}
	if d.own == nil {
		d.own = bytes.Clone(d.b)
	}
	return d.own[a:b:b]
}

func (d *dec) st() stamp { return stamp{at: d.i(), seq: d.u()} }

// count reads a collection length, refusing one that cannot fit in what is
// left (each element takes at least min bytes), so corrupt state cannot make
// a decoder allocate without bound.
func (d *dec) count(min int) int {
	n := d.u()
	if d.err == nil && n > uint64((len(d.b)-d.off)/min) {
		d.fail()
		return 0
	}
	return int(n)
}

func (d *dec) done(what string) error {
	if d.err == nil && d.off != len(d.b) {
		d.err = errCorrupt
	}
	if d.err != nil {
		return fmt.Errorf("profile: decode %s: %w", what, d.err)
	}
	return nil
}
