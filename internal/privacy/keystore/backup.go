package keystore

import (
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
)

// CopyTo writes a consistent copy of the store's file to w, for a key backup
// kept apart from the data backups (and from the master key). Keys created
// while it runs may or may not be in the copy; Destroy and Rotate wait for
// it, so no slot is copied half-overwritten. A copy taken while Rotate runs
// may hold keys wrapped under both the old and the new master version.
//
// The copy holds every key live when it was taken: restoring it brings back
// keys destroyed since, so a restore must be followed by destroying them
// again (see RestoreFrom).
func (s *Store) CopyTo(w io.Writer) error {
	s.omu.Lock()
	defer s.omu.Unlock()
	s.mu.RLock()
	closed, n := s.closed, int64(len(s.states))
	s.mu.RUnlock()
	if closed {
		return s.errClosed()
	}
	size := headerSize + n*slotSize
	if _, err := io.Copy(w, io.NewSectionReader(s.f, 0, size)); err != nil {
		return fmt.Errorf("keystore: copy %s: %w", s.path, err)
	}
	return nil
}

// RestoreFrom writes a copy made by CopyTo into dir as its key store. It
// refuses to overwrite an existing store: that would bring back keys
// destroyed since the copy was taken. For the same reason, after a restore
// the caller must Destroy again every key destroyed after the copy was made
// (from its erasure records) before the store serves anything.
func RestoreFrom(dir string, r io.Reader) error {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return fmt.Errorf("keystore: create %s: %w", dir, err)
	}
	path := filepath.Join(dir, fileName)
	if _, err := os.Stat(path); err == nil {
		return fmt.Errorf("keystore: restore: %s already exists; refusing to overwrite a key store", path)
	}
	err := linkNew(path, func(f *os.File) error {
		n, err := io.Copy(f, r)
		if err != nil {
			return err
		}
		return checkCopy(f, n)
	})
	if errors.Is(err, os.ErrExist) {
		return fmt.Errorf("keystore: restore: %s already exists; refusing to overwrite a key store", path)
	}
	if err != nil {
		return fmt.Errorf("keystore: restore into %s: %w", dir, err)
	}
	return nil
}

// checkCopy checks what it can without the master key: the size and the
// magic of a header copy.
func checkCopy(f *os.File, n int64) error {
	if n < headerSize || (n-headerSize)%slotSize != 0 {
		return fmt.Errorf("%w: the copy is %d bytes, not a %d-byte header plus whole %d-byte slots", ErrCorrupt, n, headerSize, slotSize)
	}
	var hdr [copyBOffset + copySize]byte
	if _, err := f.ReadAt(hdr[:], 0); err != nil {
		return err
	}
	if [8]byte(hdr[0:8]) != headerMagic && [8]byte(hdr[copyBOffset:copyBOffset+8]) != headerMagic {
		return fmt.Errorf("%w: the copy is not a tradewind key store", ErrCorrupt)
	}
	return nil
}
