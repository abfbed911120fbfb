// Package backup writes and restores consistent copies of a node: the store
// file, a snapshot of the event log and the source registry, together with
// the log position the store is complete up to.
//
// Consistency comes from the log: the store is copied first, at applied
// sequence S with its writes paused; the log snapshot follows and holds every
// message up to some L ≥ S. After a restore the store writer resumes from
// S+1, so the messages between S and L are applied once, exactly as after a
// crash. The key index is not copied: it is rebuilt from the store.
package backup

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"time"

	"github.com/tradewind/tradewind/internal/eventlog"
	"github.com/tradewind/tradewind/internal/source"
	"github.com/tradewind/tradewind/internal/store/duckdb"
)

// Manifest describes a backup.
type Manifest struct {
	Format       int                 `json:"format"`
	CreatedAt    time.Time           `json:"created_at"`
	AppliedSeq   uint64              `json:"applied_seq"`  // the store copy is complete up to here
	LogLastSeq   uint64              `json:"log_last_seq"` // the log snapshot ends here
	Stream       eventlog.StreamMeta `json:"stream"`
	SourceCount  int                 `json:"sources"`
	StoreBytes   int64               `json:"store_bytes"`
	LogBytes     int64               `json:"log_bytes"`
	TookSeconds  float64             `json:"took_seconds"`
	BackupFormat string              `json:"about"`
}

const (
	manifestFile = "manifest.json"
	storeFile    = "store.duckdb"
	logFile      = "log.snapshot"
	sourcesFile  = "sources.json"
)

// Create writes a backup of a running node into dir, which must not exist
// or be empty. The sources file holds write keys and webhook secrets: the
// directory is created with mode 0700 and its files 0600.
func Create(ctx context.Context, st *duckdb.DB, log *eventlog.Log, reg *source.Registry, dir string) (*Manifest, error) {
	start := time.Now()
	if err := prepareDir(dir); err != nil {
		return nil, err
	}
	m := &Manifest{Format: 1, CreatedAt: start.UTC(), BackupFormat: "tradewind backup: restore with `tradewind restore --from DIR --data NEWDIR`"}
	// The store first: the log snapshot must not end before it.
	sf, err := create(filepath.Join(dir, storeFile))
	if err != nil {
		return nil, err
	}
	m.AppliedSeq, err = st.Backup(ctx, sf)
	if err = closeErr(sf, err); err != nil {
		return nil, err
	}
	lf, err := create(filepath.Join(dir, logFile))
	if err != nil {
		return nil, err
	}
	m.Stream, err = log.Snapshot(ctx, lf)
	if err = closeErr(lf, err); err != nil {
		return nil, err
	}
	m.LogLastSeq = m.Stream.LastSeq()
	// The store's position names a message inside the log's JetStream
	// message (eventlog's positions); the snapshot ends at a JetStream one.
	if m.LogLastSeq < eventlog.StreamSeq(m.AppliedSeq) {
		return nil, fmt.Errorf("backup: log snapshot ends at stream sequence %d, before the store's position %d", m.LogLastSeq, m.AppliedSeq)
	}
	srcs := reg.List()
	m.SourceCount = len(srcs)
	if err := writeJSON(filepath.Join(dir, sourcesFile), srcs); err != nil {
		return nil, err
	}
	m.StoreBytes = size(filepath.Join(dir, storeFile))
	m.LogBytes = size(filepath.Join(dir, logFile))
	m.TookSeconds = time.Since(start).Seconds()
	if err := writeJSON(filepath.Join(dir, manifestFile), m); err != nil {
		return nil, err
	}
	return m, nil
}

// ReadManifest reads a backup's manifest.
func ReadManifest(dir string) (*Manifest, error) {
	b, err := os.ReadFile(filepath.Join(dir, manifestFile))
	if err != nil {
		return nil, fmt.Errorf("backup %s: %w", dir, err)
	}
	var m Manifest
	if err := json.Unmarshal(b, &m); err != nil {
		return nil, fmt.Errorf("backup %s: manifest: %w", dir, err)
	}
	if m.Format != 1 {
		return nil, fmt.Errorf("backup %s: unknown format %d", dir, m.Format)
	}
	return &m, nil
}

// RestoreFiles puts the store copy of backup dir into storeDir and the log
// snapshot into the log, and returns the sources to re-create. The log must
// not have the stream yet.
func RestoreFiles(ctx context.Context, from, storeDir string, log *eventlog.Log) (*Manifest, []source.Source, error) {
	m, err := ReadManifest(from)
	if err != nil {
		return nil, nil, err
	}
	if err := os.MkdirAll(storeDir, 0o700); err != nil {
		return nil, nil, err
	}
	if err := copyFile(filepath.Join(from, storeFile), filepath.Join(storeDir, duckdb.FileName)); err != nil {
		return nil, nil, err
	}
	lf, err := os.Open(filepath.Join(from, logFile))
	if err != nil {
		return nil, nil, fmt.Errorf("backup: %w", err)
	}
	defer lf.Close()
	if err := log.Restore(ctx, m.Stream, lf); err != nil {
		return nil, nil, err
	}
	b, err := os.ReadFile(filepath.Join(from, sourcesFile))
	if err != nil {
		return nil, nil, fmt.Errorf("backup: %w", err)
	}
	var srcs []source.Source
	if err := json.Unmarshal(b, &srcs); err != nil {
		return nil, nil, fmt.Errorf("backup: sources: %w", err)
	}
	return m, srcs, nil
}

func prepareDir(dir string) error {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return fmt.Errorf("backup: %w", err)
	}
	entries, err := os.ReadDir(dir)
	if err != nil {
		return fmt.Errorf("backup: %w", err)
	}
	if len(entries) > 0 {
		return fmt.Errorf("backup: %s is not empty", dir)
	}
	return nil
}

func create(path string) (*os.File, error) {
	f, err := os.OpenFile(path, os.O_CREATE|os.O_EXCL|os.O_WRONLY, 0o600)
	if err != nil {
		return nil, fmt.Errorf("backup: %w", err)
	}
	return f, nil
}

// closeErr syncs and closes f, keeping the first error.
func closeErr(f *os.File, err error) error {
	return errors.Join(err, f.Sync(), f.Close())
}

func writeJSON(path string, v any) error {
	f, err := create(path)
	if err != nil {
		return err
	}
	enc := json.NewEncoder(f)
	enc.SetIndent("", "  ")
	return closeErr(f, enc.Encode(v))
}

func size(path string) int64 {
	st, err := os.Stat(path)
	if err != nil {
		return 0
	}
	return st.Size()
}

func copyFile(from, to string) error {
	in, err := os.Open(from)
	if err != nil {
		return fmt.Errorf("backup: %w", err)
	}
	defer in.Close()
	out, err := create(to)
	if err != nil {
		return err
	}
	_, err = io.Copy(out, in)
	return closeErr(out, err)
}
