// Package keystore keeps one 256-bit data key per subject (a sender identity
// such as "u:<source>:<userId>" or "a:<anonymousId>"), so that a person's
// high-sensitivity fields can be encrypted at ingest under their own key and
// erasing the person is destroying that key: every copy of the ciphertext —
// in the event log, the store, backups — becomes unreadable at once.
//
// # Files
//
// A store is one file, keys.slots, in its directory (created 0700; the file
// 0600). All integers are little-endian.
//
// The header region is 4096 bytes, so slots start on a page boundary. It holds
// two copies of a 128-byte header, at offsets 0 and 512 (two sectors), so a
// torn header write during Rotate leaves one good copy:
//
//	0   magic "TWNDKEYS"
//	8   format version (uint32, 1)
//	12  slot size (uint32, 128)
//	16  header region size (uint32, 4096)
//	20  master key version the secrets are wrapped under (uint32)
//	24  nonce (12 bytes)
//	36  the store's secrets — lookup key ‖ index key, 64 bytes — sealed with
//	    AES-256-GCM (80 bytes), bytes 0..24 as additional data
//	116 reserved (zero)
//	124 CRC-32C of bytes 0..124
//
// Slots follow, 128 bytes each; slot i (the key id) starts at 4096 + 128·i and
// never straddles a 4 KiB page:
//
//	0   state: 1 live, 2 destroyed (0, empty, is never written)
//	1   reserved (zero)
//	4   master key version the data key is wrapped under (uint32)
//	8   subject hash: HMAC-SHA256(lookup key, subject) (32 bytes)
//	40  nonce (12 bytes)
//	52  the data key sealed with AES-256-GCM (48 bytes); additional data
//	    "TWNDSLOT" ‖ slot id ‖ master version ‖ subject hash, so a wrapped key
//	    cannot be moved to another slot or subject
//	100 reserved (zero)
//	124 CRC-32C of the slot id (uint64) ‖ bytes 0..124
//
// A destroyed slot holds its state byte, random bytes over everything else
// and a valid CRC.
//
// Wrapping uses a key-encryption key derived from the master key with
// HKDF-SHA256, not the master key itself. The file reveals no identifier
// (subject hashes are keyed) and no key (data keys and the store's own
// secrets are sealed under the master key); the master key file belongs
// apart from both the data and this file's backups.
//
// # Durability
//
// Slots are appended and never reused: a new key is written (and, with
// Options.Sync, fsynced) before KeyFor returns it, so nothing is encrypted
// under a key the store could lose in a process crash. A crash mid-append can
// leave a torn tail; Open drops it (overwriting its bytes first) and reports
// it. A damaged slot followed by good ones is not a torn write: Open refuses
// the file, naming the slot, rather than silently losing a key.
package keystore

import (
	"crypto/cipher"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/binary"
	"errors"
	"fmt"
	"hash"
	"log/slog"
	"os"
	"path/filepath"
	"slices"
	"sync"
	"syscall"
)

// Errors of the key store. Returned errors wrap them, with the file and slot.
var (
	// ErrDestroyed means the key was destroyed: its person was erased.
	ErrDestroyed = errors.New("key destroyed")
	// ErrUnknownKey means the key id is beyond the end of the store.
	ErrUnknownKey = errors.New("unknown key id")
	// ErrClosed means the store is closed.
	ErrClosed = errors.New("key store closed")
	// ErrWrongMaster means a master key of the right version does not open
	// the store: a different key, or another store's file.
	ErrWrongMaster = errors.New("wrong master key")
	// ErrMasterMissing means the store holds something wrapped under a master
	// key version that was not given (typically after an unfinished Rotate:
	// give the old version too).
	ErrMasterMissing = errors.New("master key version missing")
	// ErrCorrupt means the file is damaged somewhere a torn write cannot
	// explain.
	ErrCorrupt = errors.New("key store file corrupt")
	// ErrInUse means another process has the store open.
	ErrInUse = errors.New("key store in use by another process")
)

// DefaultCacheSize is Options.CacheSize's zero value.
const DefaultCacheSize = 100_000

// Options tune a store. The zero value is usable.
type Options struct {
	// Sync fsyncs each commit of new keys before KeyFor returns, so a key
	// survives power loss, not only a process crash. Concurrent KeyFor calls
	// share one fsync (group commit). Destroy and Rotate always fsync.
	Sync bool
	// CacheSize bounds the unwrapped keys (ready AES-GCM objects) kept in
	// memory; 0 means DefaultCacheSize, negative disables the cache (every
	// call unwraps from the file).
	CacheSize int
	// Logger receives warnings such as a torn tail dropped at Open; nil
	// discards them. Nothing logged contains a key or a subject.
	Logger *slog.Logger
}

// Stats describe a store.
type Stats struct {
	Live      int   // live keys
	Destroyed int   // destroyed keys
	Bytes     int64 // size of the slot file
	TornTail  int64 // bytes of a torn tail dropped at Open
}

// hkey is the in-memory index key: the first 128 bits of the subject hash.
// Half the hash halves the index's memory; a collision among 2^64 subjects
// is still negligible. The file keeps the whole hash.
type hkey [16]byte

type newKey struct {
	hash [32]byte
	id   uint64
	aead cipher.AEAD
	b    *batch
}

// batch is the new keys of one group commit.
type batch struct {
	keys []*newKey
	done chan struct{}
	err  error
}

// Store is an open key store. Its methods are safe for concurrent use.
type Store struct {
	path      string
	f         *os.File
	opts      Options
	log       *slog.Logger
	cacheMax  int
	lookupKey [32]byte  // keys the subject hashes
	indexKey  [32]byte  // for callers' blind indexes
	hashers   sync.Pool // *hasher
	tornTail  int64

	// mu guards the in-memory state. The common KeyFor path (a live, cached
	// key) holds only its read lock.
	mu        sync.RWMutex
	closed    bool
	failed    error           // sticky: a failed append leaves the tail unknown
	index     map[hkey]uint64 // live slot of each subject
	states    []uint8         // state of every slot in the file
	cache     map[uint64]cipher.AEAD
	live      int
	destroyed int
	pending   map[hkey]*newKey // subjects whose new key is being committed
	batch     *batch           // the batch new keys join; nil when none is open
	masters   map[uint32]*master
	current   *master

	// wmu is held by the group-commit leader while it appends; Rotate holds
	// it to change the current master between two appends.
	wmu sync.Mutex
	// omu serialises writes over existing slots (Destroy, Rotate) and
	// CopyTo, which must not see half of them. Appends do not take it:
	// they never touch a slot a copy or an overwrite reads.
	omu sync.Mutex
	// rotMu keeps Rotate calls apart (Rotate releases omu between chunks).
	rotMu sync.Mutex
}

type hasher struct {
	h   hash.Hash
	buf []byte
	sum [32]byte
}

// Open opens the key store in dir, creating it (under the current master key)
// if there is none. masters must include every version the store's header or
// slots are wrapped under; the highest is current.
func Open(dir string, masters []MasterKey, opts Options) (*Store, error) {
	ms, cur, err := mastersByVersion(masters)
	if err != nil {
		return nil, err
	}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, fmt.Errorf("keystore: create %s: %w", dir, err)
	}
	path := filepath.Join(dir, fileName)
	if _, err := os.Stat(path); errors.Is(err, os.ErrNotExist) {
		if err := createFile(path, cur); err != nil {
			return nil, err
		}
	} else if err != nil {
		return nil, fmt.Errorf("keystore: %w", err)
	}
	f, err := os.OpenFile(path, os.O_RDWR, 0)
	if err != nil {
		return nil, fmt.Errorf("keystore: %w", err)
	}
	if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB); err != nil {
		f.Close()
		if errors.Is(err, syscall.EWOULDBLOCK) {
			return nil, fmt.Errorf("keystore: %s: %w", path, ErrInUse)
		}
		return nil, fmt.Errorf("keystore: lock %s: %w", path, err)
	}
	s := &Store{
		path:     path,
		f:        f,
		opts:     opts,
		log:      opts.Logger,
		cacheMax: opts.CacheSize,
		index:    map[hkey]uint64{},
		pending:  map[hkey]*newKey{},
		masters:  ms,
		current:  cur,
	}
	if s.log == nil {
		s.log = slog.New(slog.DiscardHandler)
	}
	if s.cacheMax == 0 {
		s.cacheMax = DefaultCacheSize
	}
	s.cache = make(map[uint64]cipher.AEAD, min(max(s.cacheMax, 0), 1024))
	if err := s.load(); err != nil {
		f.Close()
		return nil, err
	}
	return s, nil
}

// createFile writes a new, empty store: a temporary file, linked into place
// only if no store is there yet. A crash never leaves a half-written header,
// and two processes creating a store at once end up with the same one
// (a rename would let the second replace the first's under its feet).
func createFile(path string, cur *master) error {
	secrets := make([]byte, secretsLen)
	rand.Read(secrets)
	defer clear(secrets)
	hdr := make([]byte, headerSize)
	nonces := make([]byte, 2*nonceLen)
	rand.Read(nonces)
	sealHeader(hdr[0:], cur, nonces[:nonceLen], secrets)
	sealHeader(hdr[copyBOffset:], cur, nonces[nonceLen:], secrets)
	if err := linkNew(path, func(f *os.File) error {
		_, err := f.Write(hdr)
		return err
	}); err != nil && !errors.Is(err, os.ErrExist) {
		return fmt.Errorf("keystore: create %s: %w", path, err)
	}
	return nil
}

// linkNew creates path with the content fill writes, durably and
// atomically, failing with an error wrapping os.ErrExist if path exists.
func linkNew(path string, fill func(*os.File) error) error {
	dir := filepath.Dir(path)
	f, err := os.CreateTemp(dir, filepath.Base(path)+".new-*") // mode 0600
	if err != nil {
		return err
	}
	tmp := f.Name()
	defer os.Remove(tmp)
	err = fill(f)
	if err = errors.Join(err, f.Sync(), f.Close()); err != nil {
		return err
	}
	if err := os.Link(tmp, path); err != nil {
		return err
	}
	if err := os.Remove(tmp); err != nil {
		return err
	}
	return syncDir(dir)
}

// load reads the header and scans the slots.
func (s *Store) load() error {
	fi, err := s.f.Stat()
	if err != nil {
		return fmt.Errorf("keystore: %w", err)
	}
	size := fi.Size()
	if size < headerSize {
		return fmt.Errorf("keystore: %s: %w: %d bytes, shorter than the %d-byte header", s.path, ErrCorrupt, size, headerSize)
	}
	if err := s.readHeader(); err != nil {
		return err
	}
	return s.scan(size)
}

// readHeader opens the secrets from one of the two header copies and
// repairs a damaged copy from the other.
func (s *Store) readHeader() error {
	hdr := make([]byte, headerSize)
	if _, err := s.f.ReadAt(hdr, 0); err != nil {
		return fmt.Errorf("keystore: read header of %s: %w", s.path, err)
	}
	a, b := hdr[0:copySize], hdr[copyBOffset:copyBOffset+copySize]
	secA, _, errA := openHeader(a, s.masters)
	secB, _, errB := openHeader(b, s.masters)
	defer clear(secA)
	defer clear(secB)
	var secrets []byte
	switch {
	case errA == nil && errB == nil:
		if !hmac.Equal(secA, secB) {
			return fmt.Errorf("keystore: %s: %w: the two header copies hold different secrets", s.path, ErrCorrupt)
		}
		secrets = secA
	case errA == nil:
		secrets = secA
		if errors.Is(errB, errDamaged) {
			if err := s.repairHeader(copyBOffset, a, errB); err != nil {
				return err
			}
		}
	case errB == nil:
		secrets = secB
		if errors.Is(errA, errDamaged) {
			if err := s.repairHeader(0, b, errA); err != nil {
				return err
			}
		}
	default:
		// Report what the operator can act on: a missing or wrong master key
		// rather than damage, which is what a wrong file looks like too.
		err := errA
		if errors.Is(errA, errDamaged) && !errors.Is(errB, errDamaged) {
			err = errB
		}
		if errors.Is(err, errDamaged) {
			return fmt.Errorf("keystore: %s: %w: neither header copy is intact (header A: %v; header B: %v)", s.path, ErrCorrupt, errA, errB)
		}
		return fmt.Errorf("keystore: %s: %w", s.path, err)
	}
	copy(s.lookupKey[:], secrets[:32])
	copy(s.indexKey[:], secrets[32:64])
	lookupKey := slices.Clone(secrets[:32])
	s.hashers.New = func() any { return &hasher{h: hmac.New(sha256.New, lookupKey)} }
	return nil
}

func (s *Store) repairHeader(off int64, good []byte, why error) error {
	s.log.Warn("keystore: repairing a damaged header copy from the other", "file", s.path, "offset", off, "damage", why.Error())
	if _, err := s.f.WriteAt(good, off); err != nil {
		return fmt.Errorf("keystore: repair header of %s: %w", s.path, err)
	}
	if err := s.f.Sync(); err != nil {
		return fmt.Errorf("keystore: repair header of %s: %w", s.path, err)
	}
	return nil
}

// scanChunk is how many slots Open and Rotate read at a time.
const scanChunk = 4096

// scan rebuilds the index from the slots, drops a torn tail and refuses a
// damaged slot anywhere a torn append cannot explain it.
func (s *Store) scan(size int64) error {
	full := (size - headerSize) / slotSize
	firstBad := int64(-1)     // first slot failing its check
	firstGarbled := int64(-1) // first such slot that is not all zeros
	buf := make([]byte, scanChunk*slotSize)
	for start := int64(0); start < full; start += scanChunk {
		n := min(scanChunk, full-start)
		chunk := buf[:n*slotSize]
		if _, err := s.f.ReadAt(chunk, headerSize+start*slotSize); err != nil {
			return fmt.Errorf("keystore: read slots of %s: %w", s.path, err)
		}
		for j := range n {
			id := start + j
			b := chunk[j*slotSize : (j+1)*slotSize]
			st := b[sState]
			if !slotValid(b, uint64(id)) || (st != stateLive && st != stateDestroyed) {
				if firstBad < 0 {
					firstBad = id
				}
				if firstGarbled < 0 && !allZero(b) {
					firstGarbled = id
				}
				continue
			}
			if firstBad >= 0 {
				return fmt.Errorf("keystore: %s: %w: slot %d is damaged, and slot %d after it is intact, so it is not a torn write", s.path, ErrCorrupt, firstBad, id)
			}
			if st == stateDestroyed {
				s.states = append(s.states, stateDestroyed)
				s.destroyed++
				continue
			}
			v := binary.LittleEndian.Uint32(b[sMaster:])
			if s.masters[v] == nil {
				return fmt.Errorf("keystore: %s: slot %d: %w: it is wrapped under master key v%d, which was not given (did a rotation not finish?)", s.path, id, ErrMasterMissing, v)
			}
			s.states = append(s.states, stateLive)
			s.live++
			k := hkey(b[sHash : sHash+16])
			if old, dup := s.index[k]; dup {
				// Not written by this code; keep the newest key findable and
				// the older still readable by id.
				s.log.Warn("keystore: two live slots for one subject; using the newer", "file", s.path, "slot", id, "older", old)
			}
			s.index[k] = uint64(id)
		}
	}
	// What follows the last intact slot is a torn append if it is zeros
	// (blocks of an extended file whose data never landed), a partial slot,
	// or a garbled final slot. A garbled slot with anything after it is
	// damage, not a tear.
	if firstGarbled >= 0 && firstGarbled != full-1 {
		return fmt.Errorf("keystore: %s: %w: slot %d is damaged and is not the last slot, so it is not a torn write", s.path, ErrCorrupt, firstGarbled)
	}
	good := headerSize + int64(len(s.states))*slotSize
	if good < size {
		return s.dropTail(good, size)
	}
	return nil
}

// dropTail removes a torn tail: the bytes of an append a crash interrupted.
// They may hold a wrapped key, so they are overwritten before the file is
// truncated (truncating alone would leave them on disk) — with zeros, not
// random bytes, so that a crash before the truncation leaves a tail the next
// Open again recognises as torn.
func (s *Store) dropTail(good, size int64) error {
	s.tornTail = size - good
	slot := (good - headerSize) / slotSize
	s.log.Warn("keystore: dropping a torn tail left by an interrupted append",
		"file", s.path, "first_slot", slot, "bytes", s.tornTail, "damaged_full_slots", max(0, (size-good)/slotSize))
	if _, err := s.f.WriteAt(make([]byte, s.tornTail), good); err != nil {
		return fmt.Errorf("keystore: %s: overwrite torn tail from slot %d: %w", s.path, slot, err)
	}
	if err := s.f.Sync(); err != nil {
		return fmt.Errorf("keystore: %s: overwrite torn tail from slot %d: %w", s.path, slot, err)
	}
	if err := s.f.Truncate(good); err != nil {
		return fmt.Errorf("keystore: %s: truncate torn tail at slot %d: %w", s.path, slot, err)
	}
	if err := s.f.Sync(); err != nil {
		return fmt.Errorf("keystore: %s: truncate torn tail at slot %d: %w", s.path, slot, err)
	}
	return nil
}

func allZero(b []byte) bool {
	for _, c := range b {
		if c != 0 {
			return false
		}
	}
	return true
}

// subjectHash is the keyed hash the file and the index know a subject by.
func (s *Store) subjectHash(subject string) [32]byte {
	hs := s.hashers.Get().(*hasher)
	hs.h.Reset()
	hs.buf = append(hs.buf[:0], subject...)
	hs.h.Write(hs.buf)
	hs.h.Sum(hs.sum[:0])
	sum := hs.sum
	if cap(hs.buf) > 4096 {
		hs.buf = nil
	}
	s.hashers.Put(hs)
	return sum
}

// KeyFor returns the subject's live data key and its id, creating and
// persisting a new one if the subject has none — including when its previous
// key was destroyed: whether an erased person's new events are accepted is
// the caller's decision (see package suppress).
//
// A new key is in the file (fsynced with Options.Sync) before KeyFor returns
// it. Concurrent callers with new subjects share one write and one fsync.
func (s *Store) KeyFor(subject string) (id uint64, aead cipher.AEAD, err error) {
	h := s.subjectHash(subject)
	k := hkey(h[:16])
	for {
		s.mu.RLock()
		if s.closed {
			s.mu.RUnlock()
			return 0, nil, s.errClosed()
		}
		id, ok := s.index[k]
		if ok && s.states[id] == stateLive {
			if a, hit := s.cache[id]; hit {
				s.mu.RUnlock()
				return id, a, nil
			}
			s.mu.RUnlock()
			a, err := s.unwrap(id)
			if errors.Is(err, ErrDestroyed) {
				continue // destroyed meanwhile: the subject gets a new key
			}
			if err != nil {
				return 0, nil, err
			}
			return id, a, nil
		}
		s.mu.RUnlock()
		nk, retry, err := s.create(h, k)
		if err != nil {
			return 0, nil, err
		}
		if !retry {
			return nk.id, nk.aead, nil
		}
	}
}

// create adds a new key for the subject to the open batch (or joins the one
// already pending for it) and waits until it is committed.
func (s *Store) create(h [32]byte, k hkey) (nk *newKey, retry bool, err error) {
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		return nil, false, s.errClosed()
	}
	if s.failed != nil {
		s.mu.Unlock()
		return nil, false, s.failed
	}
	if id, ok := s.index[k]; ok {
		if s.states[id] == stateLive {
			s.mu.Unlock()
			return nil, true, nil // committed by another caller meanwhile
		}
		delete(s.index, k) // a destroyed slot whose hash Destroy could not read
	}
	leader := false
	nk = s.pending[k]
	if nk == nil {
		if s.batch == nil {
			s.batch = &batch{done: make(chan struct{})}
			leader = true
		}
		nk = &newKey{hash: h, b: s.batch}
		s.batch.keys = append(s.batch.keys, nk)
		s.pending[k] = nk
	}
	b := nk.b
	s.mu.Unlock()

	if leader {
		s.commit(b)
	}
	<-b.done
	if b.err != nil {
		return nil, false, b.err
	}
	return nk, false, nil
}

// commit writes batch b, with one write and at most one fsync. The caller
// that opened b leads it: it waits for the previous batch's write (wmu), and
// meanwhile every new key joins b; then it closes b to newcomers (the next
// one opens a new batch and leads that) and writes it. The other callers in
// b only wait for b.done, so they are not held up by a later batch's fsync.
func (s *Store) commit(b *batch) {
	s.wmu.Lock()
	defer s.wmu.Unlock()
	// Only b's leader sets s.batch to nil, so b is still the open batch.
	s.mu.Lock()
	s.batch = nil
	first := uint64(len(s.states))
	m := s.current
	err := s.failed
	if s.closed {
		err = s.errClosed()
	}
	s.mu.Unlock()

	if err == nil {
		err = s.appendBatch(b, first, m)
	}

	s.mu.Lock()
	if err == nil {
		for _, nk := range b.keys {
			s.states = append(s.states, stateLive)
			s.index[hkey(nk.hash[:16])] = nk.id
			s.cachePut(nk.id, nk.aead)
		}
		s.live += len(b.keys)
	} else if s.failed == nil && !errors.Is(err, ErrClosed) {
		// The file's tail is unknown now (the write may have partly landed):
		// refuse further appends until the store is reopened, which drops a
		// torn tail.
		s.failed = err
	}
	for _, nk := range b.keys {
		delete(s.pending, hkey(nk.hash[:16]))
	}
	s.mu.Unlock()
	b.err = err
	close(b.done)
}

// appendBatch creates, wraps and writes the keys of b as slots first, first+1, ….
func (s *Store) appendBatch(b *batch, first uint64, m *master) error {
	n := len(b.keys)
	buf := make([]byte, n*slotSize)
	rnd := make([]byte, n*(32+nonceLen))
	rand.Read(rnd)
	defer clear(rnd)
	for i, nk := range b.keys {
		r := rnd[i*(32+nonceLen) : (i+1)*(32+nonceLen)]
		dataKey, nonce := r[:32], r[32:]
		a, err := newAEAD(dataKey)
		if err != nil {
			return fmt.Errorf("keystore: new key: %w", err)
		}
		nk.id = first + uint64(i)
		nk.aead = a
		sealSlot(buf[i*slotSize:], nk.id, m, nk.hash[:], nonce, dataKey)
	}
	last := first + uint64(n) - 1
	if _, err := s.f.WriteAt(buf, headerSize+int64(first)*slotSize); err != nil {
		return fmt.Errorf("keystore: %s: append slots %d-%d: %w", s.path, first, last, err)
	}
	if s.opts.Sync {
		if err := s.f.Sync(); err != nil {
			return fmt.Errorf("keystore: %s: fsync slots %d-%d: %w", s.path, first, last, err)
		}
	}
	return nil
}

// cachePut caches a ready AEAD, evicting an arbitrary entry when full (Go's
// map iteration starts at a random place, which is good enough here and
// costs no bookkeeping on the hot path). The caller holds mu.
func (s *Store) cachePut(id uint64, a cipher.AEAD) {
	if s.cacheMax <= 0 {
		return
	}
	if len(s.cache) >= s.cacheMax {
		for old := range s.cache {
			delete(s.cache, old)
			break
		}
	}
	s.cache[id] = a
}

// Lookup returns the subject's live key id without creating one.
func (s *Store) Lookup(subject string) (id uint64, ok bool) {
	h := s.subjectHash(subject)
	s.mu.RLock()
	defer s.mu.RUnlock()
	if s.closed {
		return 0, false
	}
	id, ok = s.index[hkey(h[:16])]
	if !ok || s.states[id] != stateLive {
		return 0, false
	}
	return id, true
}

// Key returns the key with the given id, for decryption. It returns an error
// wrapping ErrDestroyed for a destroyed key and ErrUnknownKey for an id
// beyond the end of the store.
func (s *Store) Key(id uint64) (cipher.AEAD, error) {
	s.mu.RLock()
	if s.closed {
		s.mu.RUnlock()
		return nil, s.errClosed()
	}
	if id >= uint64(len(s.states)) {
		n := len(s.states)
		s.mu.RUnlock()
		return nil, fmt.Errorf("keystore: %s: key %d: %w (the store has %d)", s.path, id, ErrUnknownKey, n)
	}
	if s.states[id] != stateLive {
		s.mu.RUnlock()
		return nil, fmt.Errorf("keystore: %s: key %d: %w", s.path, id, ErrDestroyed)
	}
	if a, ok := s.cache[id]; ok {
		s.mu.RUnlock()
		return a, nil
	}
	s.mu.RUnlock()
	return s.unwrap(id)
}

// unwrap reads a committed slot from the file and unseals its key.
func (s *Store) unwrap(id uint64) (cipher.AEAD, error) {
	a, err := s.unwrapOnce(id)
	if err != nil && !errors.Is(err, ErrDestroyed) {
		// A read can race an overwrite by Destroy or Rotate (and a finishing
		// Rotate drops old master keys): read again with those held off.
		s.omu.Lock()
		a, err = s.unwrapOnce(id)
		s.omu.Unlock()
	}
	return a, err
}

func (s *Store) unwrapOnce(id uint64) (cipher.AEAD, error) {
	var b [slotSize]byte
	if _, err := s.f.ReadAt(b[:], headerSize+int64(id)*slotSize); err != nil {
		return nil, fmt.Errorf("keystore: %s: read slot %d: %w", s.path, id, err)
	}
	if !slotValid(b[:], id) {
		return nil, fmt.Errorf("keystore: %s: slot %d: %w: checksum mismatch", s.path, id, ErrCorrupt)
	}
	if b[sState] == stateDestroyed {
		return nil, fmt.Errorf("keystore: %s: key %d: %w", s.path, id, ErrDestroyed)
	}
	v := binary.LittleEndian.Uint32(b[sMaster:])
	s.mu.RLock()
	m := s.masters[v]
	s.mu.RUnlock()
	if m == nil {
		return nil, fmt.Errorf("keystore: %s: slot %d: %w: wrapped under master key v%d", s.path, id, ErrMasterMissing, v)
	}
	dataKey, err := unsealSlot(b[:], id, m)
	if err != nil {
		return nil, fmt.Errorf("keystore: %s: slot %d: %w: the wrapped key does not open under master key v%d", s.path, id, ErrCorrupt, v)
	}
	a, err := newAEAD(dataKey)
	clear(dataKey)
	if err != nil {
		return nil, fmt.Errorf("keystore: slot %d: %w", id, err)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return nil, s.errClosed()
	}
	if s.states[id] != stateLive {
		// Destroy marks the slot before it overwrites it; don't hand out or
		// cache a key whose destruction has begun.
		return nil, fmt.Errorf("keystore: %s: key %d: %w", s.path, id, ErrDestroyed)
	}
	s.cachePut(id, a)
	return a, nil
}

// Destroy destroys the keys with the given ids, erasing everything encrypted
// under them. Destroying a destroyed key again is not an error; an id beyond
// the end of the store is (wrapping ErrUnknownKey), and then nothing is
// destroyed.
//
// Each slot is overwritten in place — random bytes, no wrapped key, no
// subject hash left — and the file fsynced (always, whatever Options.Sync)
// before Destroy returns. In place, because deleting a row or a message, or
// rewriting the file without the slot, leaves the old bytes on disk, where
// they stay readable to anyone who later gets the master key. (A
// copy-on-write file system or an SSD's wear levelling can still keep an old
// copy of the block; Rotate, followed by discarding the old master key, makes
// such leftovers — and old key backups — unreadable too.)
func (s *Store) Destroy(ids ...uint64) error {
	if len(ids) == 0 {
		return nil
	}
	s.omu.Lock()
	defer s.omu.Unlock()
	s.mu.RLock()
	closed, n := s.closed, uint64(len(s.states))
	s.mu.RUnlock()
	if closed {
		return s.errClosed()
	}
	ids = slices.Clone(ids)
	slices.Sort(ids)
	ids = slices.Compact(ids)
	if last := ids[len(ids)-1]; last >= n {
		return fmt.Errorf("keystore: %s: destroy key %d: %w (the store has %d)", s.path, last, ErrUnknownKey, n)
	}

	// Read the slots first: what is already destroyed on disk is skipped
	// (idempotence, and a retry after a failed write redoes exactly what is
	// missing), and the subject hash tells which index entry to drop.
	type victim struct {
		id   uint64
		hash []byte // nil when the slot is damaged
	}
	var todo []victim
	var b [slotSize]byte
	for _, id := range ids {
		if _, err := s.f.ReadAt(b[:], headerSize+int64(id)*slotSize); err != nil {
			return fmt.Errorf("keystore: %s: read slot %d: %w", s.path, id, err)
		}
		valid := slotValid(b[:], id)
		if valid && b[sState] == stateDestroyed {
			continue
		}
		v := victim{id: id}
		if valid {
			v.hash = slices.Clone(b[sHash : sHash+32])
		}
		todo = append(todo, v)
	}

	// Mark them destroyed in memory before touching the file, so no reader
	// caches or returns them from here on.
	s.mu.Lock()
	for _, id := range ids {
		if s.states[id] == stateLive {
			s.states[id] = stateDestroyed
			s.live--
			s.destroyed++
		}
		delete(s.cache, id)
	}
	for _, v := range todo {
		if v.hash == nil {
			continue // KeyFor ignores index entries that point at a destroyed slot
		}
		k := hkey(v.hash[:16])
		if s.index[k] == v.id {
			delete(s.index, k)
		}
	}
	s.mu.Unlock()

	if len(todo) == 0 {
		return nil
	}
	rnd := make([]byte, len(todo)*sCRC)
	rand.Read(rnd)
	for i, v := range todo {
		destroyedSlot(b[:], v.id, rnd[i*sCRC:(i+1)*sCRC])
		if _, err := s.f.WriteAt(b[:], headerSize+int64(v.id)*slotSize); err != nil {
			return fmt.Errorf("keystore: %s: overwrite slot %d: %w", s.path, v.id, err)
		}
	}
	if err := s.f.Sync(); err != nil {
		return fmt.Errorf("keystore: %s: fsync after destroying %d keys: %w", s.path, len(todo), err)
	}
	return nil
}

// IndexKey returns the store's 32-byte secret for blind indexes
// (HMAC-SHA256 of normalised values, so an encrypted field can still be
// looked up by equality). It is random, made once when the store is created
// and kept, wrapped, in the header: it does not change with master key
// rotation, which would otherwise invalidate every blind index.
func (s *Store) IndexKey() []byte {
	return slices.Clone(s.indexKey[:])
}

// Stats returns counts and the file's size.
func (s *Store) Stats() Stats {
	s.mu.RLock()
	defer s.mu.RUnlock()
	return Stats{
		Live:      s.live,
		Destroyed: s.destroyed,
		Bytes:     headerSize + int64(len(s.states))*slotSize,
		TornTail:  s.tornTail,
	}
}

// Close waits for commits in progress and closes the store. Later calls fail
// with ErrClosed.
func (s *Store) Close() error {
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		return nil
	}
	s.closed = true
	s.mu.Unlock()
	s.rotMu.Lock()
	defer s.rotMu.Unlock()
	s.wmu.Lock()
	defer s.wmu.Unlock()
	s.omu.Lock()
	defer s.omu.Unlock()
	s.mu.Lock()
	clear(s.cache)
	clear(s.index)
	s.mu.Unlock()
	if err := s.f.Close(); err != nil { // also releases the flock
		return fmt.Errorf("keystore: close %s: %w", s.path, err)
	}
	return nil
}

func (s *Store) errClosed() error {
	return fmt.Errorf("keystore: %s: %w", s.path, ErrClosed)
}
