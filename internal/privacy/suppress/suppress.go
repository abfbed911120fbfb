// Package suppress keeps the suppression list: the keyed hashes of the
// identifiers of erased people, so that events carrying them later are
// dropped at ingest, and a replay of the event log or a restore from backup
// never brings an erased person back. Callers compute the hashes (an HMAC of
// a normalised identifier under a secret key), so the list never holds an
// identifier itself.
//
// # File
//
// One append-only file: a 16-byte header — magic "TWNDSUPP", format version
// (uint32 little-endian, 1), record size (uint32, 32) — followed by 32-byte
// records, one hash each. Add appends and fsyncs before it returns. A crash
// mid-append can leave a partial record, or whole records of zeros (an
// extended file whose data never landed), at the end: Open drops that tail.
// An all-zero record anywhere is skipped — no real hash is all zeros — and
// Add refuses one.
//
// Records carry no checksum, so a flipped bit on disk goes unnoticed; the
// list is a second line of defence behind key destruction (package keystore),
// which is what makes an erased person's data unreadable.
package suppress

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"sync"
	"sync/atomic"
	"syscall"
)

const (
	headerSize    = 16
	recordSize    = 32
	formatVersion = 1
)

var magic = [8]byte{'T', 'W', 'N', 'D', 'S', 'U', 'P', 'P'}

// Errors of the list.
var (
	// ErrClosed means the list is closed.
	ErrClosed = errors.New("suppression list closed")
	// ErrZeroHash means Add was given an all-zero hash, which is what an
	// unset [32]byte looks like, never a real hash.
	ErrZeroHash = errors.New("all-zero hash")
	// ErrInUse means another process has the list open.
	ErrInUse = errors.New("suppression list in use by another process")
)

// set is an immutable snapshot of the list. Contains reads it without a lock;
// Add replaces it. Copying one big map per Add would make bulk loading one
// hash at a time quadratic, so new hashes go to a small map that is merged
// into the big one only when it has grown to a fraction of it.
type set struct {
	base   map[[32]byte]struct{}
	recent map[[32]byte]struct{}
}

func (s *set) has(h [32]byte) bool {
	if _, ok := s.base[h]; ok {
		return true
	}
	_, ok := s.recent[h]
	return ok
}

func (s *set) len() int { return len(s.base) + len(s.recent) }

// List is an open suppression list. Its methods are safe for concurrent use.
type List struct {
	path     string
	tornTail int64
	cur      atomic.Pointer[set]

	mu     sync.Mutex // serialises Add and Close
	f      *os.File
	size   int64 // where the next record goes
	closed bool
}

// Open opens the list at path, creating it (and its directory, 0700) if
// absent, and loads it into memory.
func Open(path string) (*List, error) {
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return nil, fmt.Errorf("suppress: create directory of %s: %w", path, err)
	}
	if _, err := os.Stat(path); errors.Is(err, os.ErrNotExist) {
		if err := createFile(path); err != nil {
			return nil, err
		}
	} else if err != nil {
		return nil, fmt.Errorf("suppress: %w", err)
	}
	f, err := os.OpenFile(path, os.O_RDWR, 0)
	if err != nil {
		return nil, fmt.Errorf("suppress: %w", err)
	}
	if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB); err != nil {
		f.Close()
		if errors.Is(err, syscall.EWOULDBLOCK) {
			return nil, fmt.Errorf("suppress: %s: %w", path, ErrInUse)
		}
		return nil, fmt.Errorf("suppress: lock %s: %w", path, err)
	}
	l := &List{path: path, f: f}
	if err := l.load(); err != nil {
		f.Close()
		return nil, err
	}
	return l, nil
}

// createFile writes an empty list: a temporary file, linked into place only
// if no list is there yet, so a crash never leaves half a header and two
// processes creating the list at once end up with the same file.
func createFile(path string) error {
	var hdr [headerSize]byte
	copy(hdr[:], magic[:])
	binary.LittleEndian.PutUint32(hdr[8:], formatVersion)
	binary.LittleEndian.PutUint32(hdr[12:], recordSize)
	dir := filepath.Dir(path)
	f, err := os.CreateTemp(dir, filepath.Base(path)+".new-*") // mode 0600
	if err != nil {
		return fmt.Errorf("suppress: create %s: %w", path, err)
	}
	tmp := f.Name()
	defer os.Remove(tmp)
	_, err = f.Write(hdr[:])
	if err = errors.Join(err, f.Sync(), f.Close()); err != nil {
		return fmt.Errorf("suppress: create %s: %w", path, err)
	}
	if err := os.Link(tmp, path); err != nil {
		if errors.Is(err, os.ErrExist) {
			return nil
		}
		return fmt.Errorf("suppress: create %s: %w", path, err)
	}
	if err := os.Remove(tmp); err != nil {
		return fmt.Errorf("suppress: create %s: %w", path, err)
	}
	d, err := os.Open(dir)
	if err != nil {
		return fmt.Errorf("suppress: create %s: %w", path, err)
	}
	if err := errors.Join(d.Sync(), d.Close()); err != nil {
		return fmt.Errorf("suppress: create %s: %w", path, err)
	}
	return nil
}

func (l *List) load() error {
	fi, err := l.f.Stat()
	if err != nil {
		return fmt.Errorf("suppress: %w", err)
	}
	size := fi.Size()
	var hdr [headerSize]byte
	if size < headerSize {
		return fmt.Errorf("suppress: %s: %d bytes, shorter than the %d-byte header", l.path, size, headerSize)
	}
	if _, err := l.f.ReadAt(hdr[:], 0); err != nil {
		return fmt.Errorf("suppress: read %s: %w", l.path, err)
	}
	if [8]byte(hdr[:8]) != magic {
		return fmt.Errorf("suppress: %s is not a tradewind suppression list (bad magic)", l.path)
	}
	if v := binary.LittleEndian.Uint32(hdr[8:]); v != formatVersion {
		return fmt.Errorf("suppress: %s: format version %d is not supported (this build reads %d)", l.path, v, formatVersion)
	}
	if r := binary.LittleEndian.Uint32(hdr[12:]); r != recordSize {
		return fmt.Errorf("suppress: %s: record size %d, want %d", l.path, r, recordSize)
	}

	base := map[[32]byte]struct{}{}
	good := int64(headerSize) // end of the last non-zero record
	buf := make([]byte, 2048*recordSize)
	full := (size - headerSize) / recordSize
	for start := int64(0); start < full; start += 2048 {
		chunk := buf[:min(2048, full-start)*recordSize]
		off := headerSize + start*recordSize
		if _, err := l.f.ReadAt(chunk, off); err != nil {
			return fmt.Errorf("suppress: read %s: %w", l.path, err)
		}
		for i := 0; i < len(chunk); i += recordSize {
			h := [32]byte(chunk[i : i+recordSize])
			if h == ([32]byte{}) {
				continue
			}
			base[h] = struct{}{}
			good = off + int64(i) + recordSize
		}
	}
	if good < size {
		// A torn append: a partial record, or zeros where records never
		// landed. Nothing there was acknowledged, so it can go.
		l.tornTail = size - good
		if err := l.f.Truncate(good); err != nil {
			return fmt.Errorf("suppress: %s: drop torn tail of %d bytes: %w", l.path, l.tornTail, err)
		}
		if err := l.f.Sync(); err != nil {
			return fmt.Errorf("suppress: %s: drop torn tail of %d bytes: %w", l.path, l.tornTail, err)
		}
	}
	l.size = good
	l.cur.Store(&set{base: base, recent: map[[32]byte]struct{}{}})
	return nil
}

// Add adds hashes to the list, durably (fsynced) before it returns. Hashes
// already listed, or given twice, are stored once. Add many hashes in one
// call where possible: each call is one write and one fsync.
func (l *List) Add(hashes ...[32]byte) error {
	for _, h := range hashes {
		if h == ([32]byte{}) {
			return fmt.Errorf("suppress: %s: add: %w", l.path, ErrZeroHash)
		}
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.closed {
		return fmt.Errorf("suppress: %s: %w", l.path, ErrClosed)
	}
	cur := l.cur.Load()
	var fresh [][32]byte
	seen := map[[32]byte]struct{}{}
	for _, h := range hashes {
		if _, dup := seen[h]; dup || cur.has(h) {
			continue
		}
		seen[h] = struct{}{}
		fresh = append(fresh, h)
	}
	if len(fresh) == 0 {
		return nil
	}
	buf := make([]byte, 0, len(fresh)*recordSize)
	for _, h := range fresh {
		buf = append(buf, h[:]...)
	}
	// Written at the tracked end, not with O_APPEND: after a failed write the
	// next Add overwrites whatever part of it landed.
	if _, err := l.f.WriteAt(buf, l.size); err != nil {
		return fmt.Errorf("suppress: %s: append %d hashes: %w", l.path, len(fresh), err)
	}
	if err := l.f.Sync(); err != nil {
		return fmt.Errorf("suppress: %s: fsync %d hashes: %w", l.path, len(fresh), err)
	}
	l.size += int64(len(buf))

	next := &set{base: cur.base, recent: maps.Clone(cur.recent)}
	for _, h := range fresh {
		next.recent[h] = struct{}{}
	}
	if len(next.recent) > max(1024, len(next.base)/8) {
		b := maps.Clone(next.base)
		maps.Copy(b, next.recent)
		next = &set{base: b, recent: map[[32]byte]struct{}{}}
	}
	l.cur.Store(next)
	return nil
}

// Contains reports whether h is on the list. It takes no lock: it is on the
// ingest hot path. It keeps answering after Close, from memory, so a caller
// racing shutdown still drops what it must.
func (l *List) Contains(h [32]byte) bool {
	return l.cur.Load().has(h)
}

// Len returns the number of hashes on the list.
func (l *List) Len() int {
	return l.cur.Load().len()
}

// All returns every hash on the list, sorted.
func (l *List) All() [][32]byte {
	s := l.cur.Load()
	out := make([][32]byte, 0, s.len())
	for h := range s.base {
		out = append(out, h)
	}
	for h := range s.recent {
		out = append(out, h)
	}
	slices.SortFunc(out, func(a, b [32]byte) int { return bytes.Compare(a[:], b[:]) })
	return out
}

// TornTail returns how many bytes of a torn append Open dropped, for the
// caller to report.
func (l *List) TornTail() int64 { return l.tornTail }

// Close closes the file. Later Adds fail with ErrClosed.
func (l *List) Close() error {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.closed {
		return nil
	}
	l.closed = true
	if err := l.f.Close(); err != nil {
		return fmt.Errorf("suppress: close %s: %w", l.path, err)
	}
	return nil
}
