package keystore

import (
	"crypto/rand"
	"encoding/binary"
	"fmt"
	"maps"
)

// Rotate rewraps the store's secrets and every live key under the highest
// version in newMasters, in place, and fsyncs. Afterwards the store needs
// only newMasters (open it with them alone); the versions it had before are
// forgotten.
//
// Keys already wrapped under the new version are left as they are, so
// running Rotate again after a failure or a crash finishes the job. Each slot
// records its own master version, so a crash mid-rotation leaves a file that
// opens with the old and the new master keys together; give both until a
// Rotate has completed. The header is rewritten last, one copy at a time,
// with an fsync between them, so one copy is always intact.
//
// Destroy waits only for the chunk of slots being rewritten, not the whole
// rotation; KeyFor is held up only for the moment the current version
// changes.
func (s *Store) Rotate(newMasters []MasterKey) error {
	nms, cur, err := mastersByVersion(newMasters)
	if err != nil {
		return err
	}
	s.rotMu.Lock()
	defer s.rotMu.Unlock()

	// Change the current version between two appends: every slot appended
	// from here on is wrapped under cur, every slot before n gets rewrapped.
	s.wmu.Lock()
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		s.wmu.Unlock()
		return s.errClosed()
	}
	if cur.version < s.current.version {
		v := s.current.version
		s.mu.Unlock()
		s.wmu.Unlock()
		return fmt.Errorf("keystore: %s: rotate to master key v%d: the store is already at v%d", s.path, cur.version, v)
	}
	union := maps.Clone(s.masters)
	for v, m := range nms {
		if old := union[v]; old != nil && !old.sameKey(m) {
			s.mu.Unlock()
			s.wmu.Unlock()
			return fmt.Errorf("keystore: %s: rotate: the new master key v%d differs from the store's v%d; a version number must never be reused for another key", s.path, v, v)
		}
		union[v] = m
	}
	s.masters, s.current = union, cur
	n := int64(len(s.states))
	s.mu.Unlock()
	s.wmu.Unlock()

	buf := make([]byte, scanChunk*slotSize)
	for start := int64(0); start < n; start += scanChunk {
		if err := s.rotateChunk(buf[:min(scanChunk, n-start)*slotSize], start, cur, union); err != nil {
			return err
		}
	}

	s.omu.Lock()
	defer s.omu.Unlock()
	if err := s.f.Sync(); err != nil {
		return fmt.Errorf("keystore: %s: rotate: fsync slots: %w", s.path, err)
	}
	var secrets [secretsLen]byte
	copy(secrets[:32], s.lookupKey[:])
	copy(secrets[32:], s.indexKey[:])
	defer clear(secrets[:])
	var hdr [copySize]byte
	for _, off := range []int64{copyBOffset, 0} {
		var nonce [nonceLen]byte
		rand.Read(nonce[:])
		sealHeader(hdr[:], cur, nonce[:], secrets[:])
		if _, err := s.f.WriteAt(hdr[:], off); err != nil {
			return fmt.Errorf("keystore: %s: rotate: write header copy at %d: %w", s.path, off, err)
		}
		if err := s.f.Sync(); err != nil {
			return fmt.Errorf("keystore: %s: rotate: fsync header copy at %d: %w", s.path, off, err)
		}
	}
	s.mu.Lock()
	s.masters = nms
	s.mu.Unlock()
	return nil
}

// rotateChunk rewraps the live slots of one chunk that are not yet under cur.
func (s *Store) rotateChunk(chunk []byte, start int64, cur *master, masters map[uint32]*master) error {
	s.omu.Lock()
	defer s.omu.Unlock()
	s.mu.RLock()
	closed := s.closed
	s.mu.RUnlock()
	if closed {
		return s.errClosed()
	}
	off := headerSize + start*slotSize
	if _, err := s.f.ReadAt(chunk, off); err != nil {
		return fmt.Errorf("keystore: %s: rotate: read slots from %d: %w", s.path, start, err)
	}
	n := len(chunk) / slotSize
	nonces := make([]byte, n*nonceLen)
	rand.Read(nonces)
	dirty := false
	for j := range n {
		id := uint64(start) + uint64(j)
		b := chunk[j*slotSize : (j+1)*slotSize]
		if !slotValid(b, id) {
			return fmt.Errorf("keystore: %s: rotate: slot %d: %w: checksum mismatch", s.path, id, ErrCorrupt)
		}
		if b[sState] != stateLive {
			continue
		}
		v := binary.LittleEndian.Uint32(b[sMaster:])
		if v == cur.version {
			continue
		}
		m := masters[v]
		if m == nil {
			return fmt.Errorf("keystore: %s: rotate: slot %d: %w: wrapped under master key v%d", s.path, id, ErrMasterMissing, v)
		}
		dataKey, err := unsealSlot(b, id, m)
		if err != nil {
			return fmt.Errorf("keystore: %s: rotate: slot %d: %w: the wrapped key does not open under master key v%d", s.path, id, ErrCorrupt, v)
		}
		var hash [32]byte
		copy(hash[:], b[sHash:sHash+32])
		sealSlot(b, id, cur, hash[:], nonces[j*nonceLen:(j+1)*nonceLen], dataKey)
		clear(dataKey)
		dirty = true
	}
	if !dirty {
		return nil
	}
	if _, err := s.f.WriteAt(chunk, off); err != nil {
		return fmt.Errorf("keystore: %s: rotate: write slots %d-%d: %w", s.path, start, int64(start)+int64(n)-1, err)
	}
	return nil
}
