package app

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"

	"github.com/tradewind/tradewind/internal/backup"
	"github.com/tradewind/tradewind/internal/eventlog"
	"github.com/tradewind/tradewind/internal/source"
	"github.com/tradewind/tradewind/internal/store"
)

// Backup implements api.Backend: a consistent copy of this node in dir.
func (a *App) Backup(ctx context.Context, dir string) (*backup.Manifest, error) {
	m, err := backup.Create(ctx, a.Store, a.Log, a.Sources, dir)
	if err != nil {
		return nil, err
	}
	a.Logger.Info("backup written", "dir", dir, "applied_seq", m.AppliedSeq, "log_last_seq", m.LogLastSeq)
	return m, nil
}

// Restore brings a backup back into cfg.DataDir, which must hold no store
// and no log yet. It then opens the node once, so the store writer applies
// the log beyond the store copy, and closes it.
func Restore(ctx context.Context, from string, cfg Config) (*backup.Manifest, error) {
	if _, err := backup.ReadManifest(from); err != nil {
		return nil, err
	}
	for _, p := range []string{"store", "log"} {
		if _, err := os.Stat(filepath.Join(cfg.DataDir, p)); err == nil {
			return nil, fmt.Errorf("restore: %s already has a %s; restore into a new data directory", cfg.DataDir, p)
		}
	}
	if err := os.MkdirAll(cfg.DataDir, 0o700); err != nil {
		return nil, err
	}
	lock, err := LockDataDir(cfg.DataDir)
	if err != nil {
		return nil, err
	}
	log, err := eventlog.OpenForRestore(ctx, eventlog.Config{Dir: filepath.Join(cfg.DataDir, "log"), URL: cfg.NATSURL,
		Stream: cfg.Stream, SubjectPrefix: cfg.SubjectPrefix, Logger: cfg.Logger})
	if err != nil {
		UnlockDataDir(lock)
		return nil, err
	}
	m, srcs, err := backup.RestoreFiles(ctx, from, filepath.Join(cfg.DataDir, "store"), log)
	log.Close()
	UnlockDataDir(lock)
	if err != nil {
		return nil, err
	}
	a, err := Open(ctx, cfg)
	if err != nil {
		return nil, err
	}
	defer a.Close()
	for _, s := range srcs {
		if _, err := a.CreateSource(ctx, s); err != nil && !errors.Is(err, source.ErrExists) {
			return nil, fmt.Errorf("restore source %s: %w", s.ID, err)
		}
	}
	// Apply the log beyond the store copy now, so the restored directory is
	// complete when this returns.
	if err := store.WaitApplied(ctx, a.Store, m.LogLastSeq); err != nil {
		return nil, err
	}
	return m, nil
}
