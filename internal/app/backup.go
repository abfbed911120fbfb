package app

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"

	"github.com/tradewind/tradewind/internal/backup"
	"github.com/tradewind/tradewind/internal/eventlog"
	"github.com/tradewind/tradewind/internal/privacy/keystore"
	"github.com/tradewind/tradewind/internal/privacy/suppress"
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

// BackupKeys writes the key material — the per-subject key store and the
// suppression list — into dir, apart from the data backups: a data backup
// holds only ciphertext, and erasing a person destroys their keys here, so
// keeping the two apart is what makes an old data backup safe. The master
// key is not copied: keep it in a third place.
func (a *App) BackupKeys(ctx context.Context, dir string) error {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return err
	}
	f, err := os.OpenFile(filepath.Join(dir, "keys.slots"), os.O_CREATE|os.O_EXCL|os.O_WRONLY, 0o600)
	if err != nil {
		return fmt.Errorf("key backup: %w", err)
	}
	if err := errors.Join(a.Keys.CopyTo(f), f.Sync(), f.Close()); err != nil {
		return fmt.Errorf("key backup: %w", err)
	}
	l, err := suppress.Open(filepath.Join(dir, "suppression.list"))
	if err != nil {
		return fmt.Errorf("key backup: %w", err)
	}
	if all := a.Suppress.All(); len(all) > 0 {
		if err := l.Add(all...); err != nil {
			l.Close()
			return fmt.Errorf("key backup: %w", err)
		}
	}
	if err := l.Close(); err != nil {
		return err
	}
	a.Logger.Info("key backup written", "dir", dir)
	return nil
}

// restoreKeys copies key material into a new data directory: the key store
// and suppression list of a key backup (or of another node's keys
// directory), and its master key file if it has one.
func restoreKeys(keysFrom, dataDir string) error {
	dst := filepath.Join(dataDir, KeysDir)
	if _, err := os.Stat(filepath.Join(dst, "keys.slots")); err == nil {
		return fmt.Errorf("restore: %s already has keys", dst)
	}
	f, err := os.Open(filepath.Join(keysFrom, "keys.slots"))
	if err != nil {
		return fmt.Errorf("restore keys: %w", err)
	}
	defer f.Close()
	if err := keystore.RestoreFrom(dst, f); err != nil {
		return err
	}
	src, err := suppress.Open(filepath.Join(keysFrom, "suppression.list"))
	if err != nil {
		return fmt.Errorf("restore keys: %w", err)
	}
	all := src.All()
	src.Close()
	l, err := suppress.Open(filepath.Join(dst, "suppression.list"))
	if err != nil {
		return err
	}
	if len(all) > 0 {
		if err := l.Add(all...); err != nil {
			l.Close()
			return err
		}
	}
	if err := l.Close(); err != nil {
		return err
	}
	if b, err := os.ReadFile(filepath.Join(keysFrom, "master.key")); err == nil {
		if err := os.WriteFile(filepath.Join(dst, "master.key"), b, 0o600); err != nil {
			return err
		}
	}
	return nil
}

// Restore brings a backup back into cfg.DataDir, which must hold no store
// and no log yet, with the key material of keysFrom (a key backup or a
// node's keys directory; empty starts with no keys, leaving encrypted
// fields unreadable). It then opens the node once, so the store writer
// applies the log beyond the store copy and the suppression list erases,
// again, everyone erased since the backup was taken; and closes it.
func Restore(ctx context.Context, from string, cfg Config, keysFrom string) (*backup.Manifest, error) {
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
	if keysFrom != "" {
		if err := restoreKeys(keysFrom, cfg.DataDir); err != nil {
			return nil, err
		}
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
	if _, err := a.Privacy.Reapply(ctx); err != nil {
		return nil, fmt.Errorf("restore: re-apply the suppression list: %w", err)
	}
	return m, nil
}
