package app

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"syscall"
)

// ErrLocked means another process (a running server) holds the data
// directory: DuckDB allows one writing process.
var ErrLocked = errors.New("the data directory is in use by another tradewind process")

// LockDataDir takes the data directory's lock, without waiting.
func LockDataDir(dir string) (*os.File, error) {
	f, err := os.OpenFile(filepath.Join(dir, "LOCK"), os.O_CREATE|os.O_RDWR, 0o600)
	if err != nil {
		return nil, fmt.Errorf("lock %s: %w", dir, err)
	}
	if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB); err != nil {
		f.Close()
		if errors.Is(err, syscall.EWOULDBLOCK) {
			return nil, fmt.Errorf("%w (%s)", ErrLocked, dir)
		}
		return nil, fmt.Errorf("lock %s: %w", dir, err)
	}
	return f, nil
}

// UnlockDataDir releases the lock.
func UnlockDataDir(f *os.File) error {
	_ = syscall.Flock(int(f.Fd()), syscall.LOCK_UN)
	return f.Close()
}

// ServerInfo is what a running server leaves in its data directory so that
// the CLI finds it.
type ServerInfo struct {
	URL string `json:"url"`
	PID int    `json:"pid"`
}

const serverInfoFile = "server.json"

// WriteServerInfo records the running server's address.
func WriteServerInfo(dir string, info ServerInfo) error {
	b, _ := json.Marshal(info)
	tmp := filepath.Join(dir, serverInfoFile+".tmp")
	if err := os.WriteFile(tmp, b, 0o600); err != nil {
		return err
	}
	return os.Rename(tmp, filepath.Join(dir, serverInfoFile))
}

// RemoveServerInfo removes the record when the server stops.
func RemoveServerInfo(dir string) { _ = os.Remove(filepath.Join(dir, serverInfoFile)) }

// RunningServer returns the server holding dir, if one does: the lock is
// held and the record names it.
func RunningServer(dir string) (ServerInfo, bool) {
	var info ServerInfo
	b, err := os.ReadFile(filepath.Join(dir, serverInfoFile))
	if err != nil || json.Unmarshal(b, &info) != nil || info.URL == "" {
		return info, false
	}
	f, err := LockDataDir(dir)
	if err == nil {
		// Nobody holds it: the record is stale.
		UnlockDataDir(f)
		return info, false
	}
	return info, errors.Is(err, ErrLocked)
}
