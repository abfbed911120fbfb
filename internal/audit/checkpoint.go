package audit

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
)

// Checkpointer keeps the head of the chain — the Seq and Hash of the last
// committed entry — somewhere other than the log file, so that cutting
// entries off the end of the log is detectable (see the package
// documentation). The Log calls Save after every commit, from one goroutine
// at a time; Save must be durable when it returns.
type Checkpointer interface {
	// Save records seq and hash as the head, replacing the previous one.
	Save(seq uint64, hash string) error
	// Load returns the head last saved; ok is false if none was ever
	// saved (and err is nil then).
	Load() (seq uint64, hash string, ok bool, err error)
}

// FileCheckpointer keeps the head in a small JSON file at Path,
// {"seq":N,"hash":"…"}, replaced atomically: written to a temporary file
// beside it, synced, renamed over it, and the directory synced, so that a
// crash leaves either the old or the new head, never a torn one.
//
// Put Path on a different volume or at least outside the directory that
// holds the log where you can: the checkpoint protects against truncation
// only as far as whoever can change the log cannot also change it.
type FileCheckpointer struct {
	Path string
}

// checkpointFile is FileCheckpointer's file format.
type checkpointFile struct {
	Seq  uint64 `json:"seq"`
	Hash string `json:"hash"`
}

// Save writes the head atomically (see FileCheckpointer).
func (c FileCheckpointer) Save(seq uint64, hash string) error {
	b, err := json.Marshal(checkpointFile{Seq: seq, Hash: hash})
	if err != nil {
		return err
	}
	b = append(b, '\n')
	dir, base := filepath.Split(c.Path)
	if dir == "" {
		dir = "."
	}
	tmp, err := os.CreateTemp(dir, "."+base+".tmp*")
	if err != nil {
		return fmt.Errorf("save audit checkpoint %s: %w", c.Path, err)
	}
	tmpName := tmp.Name()
	fail := func(err error) error {
		tmp.Close()
		os.Remove(tmpName)
		return fmt.Errorf("save audit checkpoint %s: %w", c.Path, err)
	}
	if err := tmp.Chmod(0o600); err != nil {
		return fail(err)
	}
	if _, err := tmp.Write(b); err != nil {
		return fail(err)
	}
	if err := tmp.Sync(); err != nil {
		return fail(err)
	}
	if err := tmp.Close(); err != nil {
		os.Remove(tmpName)
		return fmt.Errorf("save audit checkpoint %s: %w", c.Path, err)
	}
	if err := os.Rename(tmpName, c.Path); err != nil {
		os.Remove(tmpName)
		return fmt.Errorf("save audit checkpoint %s: %w", c.Path, err)
	}
	if err := syncDir(dir); err != nil {
		return fmt.Errorf("save audit checkpoint %s: %w", c.Path, err)
	}
	return nil
}

// Load reads the head; a missing file means no checkpoint (ok false, no
// error), a damaged one is an error.
func (c FileCheckpointer) Load() (seq uint64, hash string, ok bool, err error) {
	b, err := os.ReadFile(c.Path)
	if errors.Is(err, fs.ErrNotExist) {
		return 0, "", false, nil
	}
	if err != nil {
		return 0, "", false, fmt.Errorf("load audit checkpoint: %w", err)
	}
	var f checkpointFile
	if err := json.Unmarshal(b, &f); err != nil {
		return 0, "", false, fmt.Errorf("load audit checkpoint %s: %w", c.Path, err)
	}
	if f.Seq == 0 || !validHash(f.Hash) {
		return 0, "", false, fmt.Errorf("load audit checkpoint %s: seq or hash missing", c.Path)
	}
	return f.Seq, f.Hash, true, nil
}

// syncDir fsyncs a directory so that a file created or renamed in it
// survives a crash.
func syncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	defer d.Close()
	return d.Sync()
}
