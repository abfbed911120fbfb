package audience

import (
	"encoding/binary"
	"errors"
	"fmt"
	"slices"
	"sort"
	"sync"
)

// KV is where the engine keeps per-profile event state; the caller backs it
// with its store (Pebble in the server). The engine uses one key per
// profile, KeyPrefix followed by the profile id, and reads and writes it
// whole: one Get and at most one Set per event, which is what makes
// OnEvent cheap.
//
// A scan method is deliberately absent: nothing here needs one. Timers are
// the caller's (Evaluate returns when to come back), and profiles whose
// segments depend on time only through traits have no state at all, so a
// scan would not find every profile a timer is needed for anyway.
type KV interface {
	// Get returns the value, or nil and no error when the key is absent.
	// The engine does not keep the slice after the call returns.
	Get(key []byte) ([]byte, error)
	// Set stores value under key. The engine reuses both slices after Set
	// returns, so an implementation that keeps them must copy them (Pebble's
	// Set copies; MemKV does too).
	Set(key, value []byte) error
	// Delete removes the key; deleting an absent key is not an error.
	Delete(key []byte) error
}

// KeyPrefix begins every key the engine writes.
const KeyPrefix = "audience/"

func stateKey(profile string) []byte {
	return append([]byte(KeyPrefix), profile...)
}

// MemKV is a KV in memory, safe for concurrent use: for tests, and for
// callers that want to try rules without a store.
type MemKV struct {
	mu sync.Mutex
	m  map[string][]byte
}

// Get implements KV.
func (m *MemKV) Get(key []byte) ([]byte, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	v, ok := m.m[string(key)]
	if !ok {
		return nil, nil
	}
	return append([]byte(nil), v...), nil
}

// Set implements KV.
func (m *MemKV) Set(key, value []byte) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.m == nil {
		m.m = map[string][]byte{}
	}
	m.m[string(key)] = append([]byte(nil), value...)
	return nil
}

// Delete implements KV.
func (m *MemKV) Delete(key []byte) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	delete(m.m, string(key))
	return nil
}

// Len returns the number of keys and the bytes their values take: what a
// test or a benchmark reports as the state's size.
func (m *MemKV) Len() (keys, bytes int) {
	m.mu.Lock()
	defer m.mu.Unlock()
	for k, v := range m.m {
		bytes += len(k) + len(v)
	}
	return len(m.m), bytes
}

// profState is the decoded state of one profile.
//
// Encoding (version 1): a version byte; a flags byte (bit 0: a watermark
// follows); the watermark as a zig-zag varint of microseconds; the number
// of streams and the total number of timestamps (so that decoding makes one
// allocation); then per stream, in increasing id order, its id (8 bytes,
// big-endian), the highest log sequence applied to it, the number of
// timestamps, and the timestamps, sorted: the first as a zig-zag varint,
// the others as unsigned varint deltas. A timestamp costs one to five
// bytes (five for events hours apart, since they are microseconds).
type profState struct {
	hasW    bool
	w       int64 // watermark: state is complete for clocks ≥ w
	streams []streamData
}

type streamData struct {
	id  uint64
	seq uint64
	ts  []int64
}

const stateVersion = 1

var errCorrupt = errors.New("corrupt audience state")

func uvarintLen(x uint64) int {
	n := 1
	for x >= 0x80 {
		x >>= 7
		n++
	}
	return n
}

func varintLen(x int64) int {
	ux := uint64(x) << 1
	if x < 0 {
		ux = ^ux
	}
	return uvarintLen(ux)
}

// size returns the exact length of the encoding, so that encode allocates
// once.
func (s *profState) size() (size, streams, total int) {
	size = 2
	if s.hasW {
		size += varintLen(s.w)
	}
	for i := range s.streams {
		if !s.keep(i) {
			continue
		}
		sd := &s.streams[i]
		streams++
		total += len(sd.ts)
		size += 8 + uvarintLen(sd.seq) + uvarintLen(uint64(len(sd.ts)))
		for j, t := range sd.ts {
			if j == 0 {
				size += varintLen(t)
			} else {
				size += uvarintLen(uint64(t - sd.ts[j-1]))
			}
		}
	}
	size += uvarintLen(uint64(streams)) + uvarintLen(uint64(total))
	return size, streams, total
}

// appendTo appends the encoding to b, growing it once.
func (s *profState) appendTo(b []byte) []byte {
	size, streams, total := s.size()
	b = slices.Grow(b, size)
	b = append(b, stateVersion)
	if s.hasW {
		b = append(b, 1)
		b = binary.AppendVarint(b, s.w)
	} else {
		b = append(b, 0)
	}
	b = binary.AppendUvarint(b, uint64(streams))
	b = binary.AppendUvarint(b, uint64(total))
	for i := range s.streams {
		if !s.keep(i) {
			continue
		}
		sd := &s.streams[i]
		b = binary.BigEndian.AppendUint64(b, sd.id)
		b = binary.AppendUvarint(b, sd.seq)
		b = binary.AppendUvarint(b, uint64(len(sd.ts)))
		for j, t := range sd.ts {
			if j == 0 {
				b = binary.AppendVarint(b, t)
			} else {
				b = binary.AppendUvarint(b, uint64(t-sd.ts[j-1]))
			}
		}
	}
	return b
}

// keep says whether a stream is worth writing: one with no timestamps is
// kept only for its sequence number.
func (s *profState) keep(i int) bool {
	sd := &s.streams[i]
	return len(sd.ts) > 0 || sd.seq > 0
}

func (s *profState) encode() []byte { return s.appendTo(nil) }

func decodeState(b []byte) (profState, error) {
	var sc scratch
	err := sc.decode(b)
	return sc.st, err
}

// scratch holds what one call decodes into and encodes from. Calls take
// one from a pool, so that in steady state a call allocates almost nothing
// beyond the KV's own copies.
type scratch struct {
	st  profState
	all []int64
	buf []byte
	// ts and memo are an evaluation's per-stream timestamps and
	// per-segment results.
	ts   [][]int64
	memo []int8
}

var scratchPool = sync.Pool{New: func() any { return new(scratch) }}

func getScratch() *scratch { return scratchPool.Get().(*scratch) }

func putScratch(sc *scratch) {
	if cap(sc.all) > 1<<16 || cap(sc.buf) > 1<<20 {
		return // an outlier: let the garbage collector have it
	}
	sc.st = profState{streams: sc.st.streams[:0]}
	scratchPool.Put(sc)
}

// decode reads an encoded state into sc.st; the timestamps share sc.all.
func (sc *scratch) decode(b []byte) error {
	s := &sc.st
	s.hasW, s.w, s.streams = false, 0, s.streams[:0]
	if len(b) == 0 {
		return nil
	}
	if len(b) < 2 || b[0] != stateVersion {
		return fmt.Errorf("%w: unknown version", errCorrupt)
	}
	flags := b[1]
	b = b[2:]
	if flags&1 != 0 {
		w, n := binary.Varint(b)
		if n <= 0 {
			return errCorrupt
		}
		s.hasW, s.w = true, w
		b = b[n:]
	}
	count, n := binary.Uvarint(b)
	if n <= 0 || count > uint64(len(b)) {
		return errCorrupt
	}
	b = b[n:]
	total, n := binary.Uvarint(b)
	if n <= 0 || total > uint64(len(b)) {
		return errCorrupt
	}
	b = b[n:]
	if cap(sc.all) < int(total) {
		sc.all = make([]int64, total)
	}
	all := sc.all[:total]
	for range count {
		if len(b) < 8 {
			return errCorrupt
		}
		sd := streamData{id: binary.BigEndian.Uint64(b)}
		b = b[8:]
		if sd.seq, n = binary.Uvarint(b); n <= 0 {
			return errCorrupt
		}
		b = b[n:]
		cnt, n := binary.Uvarint(b)
		if n <= 0 || cnt > uint64(len(all)) {
			return errCorrupt
		}
		b = b[n:]
		if cnt > 0 {
			// A full slice expression: appending to one stream must not
			// overwrite the next one's timestamps.
			sd.ts = all[:cnt:cnt]
			all = all[cnt:]
			t, n := binary.Varint(b)
			if n <= 0 {
				return errCorrupt
			}
			b = b[n:]
			sd.ts[0] = t
			for j := 1; j < int(cnt); j++ {
				d, n := binary.Uvarint(b)
				if n <= 0 {
					return errCorrupt
				}
				b = b[n:]
				t += int64(d)
				sd.ts[j] = t
			}
		}
		s.streams = append(s.streams, sd)
	}
	if len(b) != 0 || len(all) != 0 {
		return fmt.Errorf("%w: lengths do not add up", errCorrupt)
	}
	return nil
}

// stream returns the state of the stream with this id, adding an empty one
// in id order when absent.
func (s *profState) stream(id uint64) *streamData {
	i := sort.Search(len(s.streams), func(i int) bool { return s.streams[i].id >= id })
	if i < len(s.streams) && s.streams[i].id == id {
		return &s.streams[i]
	}
	s.streams = append(s.streams, streamData{})
	copy(s.streams[i+1:], s.streams[i:])
	s.streams[i] = streamData{id: id}
	return &s.streams[i]
}

// find returns the stream with this id, or nil.
func (s *profState) find(id uint64) *streamData {
	i := sort.Search(len(s.streams), func(i int) bool { return s.streams[i].id >= id })
	if i < len(s.streams) && s.streams[i].id == id {
		return &s.streams[i]
	}
	return nil
}

// insertSorted inserts t into the sorted slice ts.
func insertSorted(ts []int64, t int64) []int64 {
	i := sort.Search(len(ts), func(i int) bool { return ts[i] > t })
	ts = append(ts, 0)
	copy(ts[i+1:], ts[i:])
	ts[i] = t
	return ts
}

// upper returns how many of the sorted timestamps are ≤ t.
func upper(ts []int64, t int64) int {
	return sort.Search(len(ts), func(i int) bool { return ts[i] > t })
}
