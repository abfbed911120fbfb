// Package testlog gives tests a logger whose output is kept when the test
// suite asks for it: with TRADEWIND_TEST_LOG_DIR set (scripts/test sets it),
// every test's log lines are appended to a file there, so that after a full
// run the logs can be searched for personal data that must never appear in
// them. Without it, logs are discarded.
package testlog

import (
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
)

var (
	mu    sync.Mutex
	files = map[string]*os.File{}
)

// Writer returns where a test's log output goes: a file in
// TRADEWIND_TEST_LOG_DIR named after the test binary, or io.Discard.
func Writer(t testing.TB) io.Writer {
	dir := os.Getenv("TRADEWIND_TEST_LOG_DIR")
	if dir == "" {
		return io.Discard
	}
	mu.Lock()
	defer mu.Unlock()
	name := strings.ReplaceAll(filepath.Base(os.Args[0]), string(filepath.Separator), "_") + ".log"
	f := files[name]
	if f == nil {
		var err error
		f, err = os.OpenFile(filepath.Join(dir, name), os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o600)
		if err != nil {
			t.Fatalf("test log: %v", err)
		}
		files[name] = f
	}
	fmt.Fprintf(f, "=== %s\n", t.Name())
	return f
}

// Logger returns a debug-level text logger writing to Writer(t).
func Logger(t testing.TB) *slog.Logger {
	return slog.New(slog.NewTextHandler(Writer(t), &slog.HandlerOptions{Level: slog.LevelDebug}))
}
