package realtime

import (
	"context"
	"path/filepath"
	"testing"
	"time"

	"github.com/tradewind/tradewind/internal/eventlog"
	"github.com/tradewind/tradewind/internal/store"
	"github.com/tradewind/tradewind/internal/store/duckdb"
)

// openLogAndStore opens an embedded event log (with JetStream's duplicate
// window, 0 for the default) and a store under dir, closed when the test
// ends.
func openLogAndStore(t *testing.T, dir string, window time.Duration) (*eventlog.Log, *duckdb.DB) {
	t.Helper()
	ctx := context.Background()
	log, err := eventlog.Open(ctx, eventlog.Config{Dir: filepath.Join(dir, "log"), DuplicateWindow: window})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { log.Close() })
	db, err := duckdb.Open(ctx, duckdb.Config{Dir: filepath.Join(dir, "store"), MemoryLimit: "128MB", Threads: 1, BaseCurrency: "USD"})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return log, db
}

// testConfig is an engine named name over log and db, its state under dir,
// where every source is the server source of store s1, in USD.
func testConfig(dir, name string, log *eventlog.Log, db *duckdb.DB) Config {
	return Config{Dir: filepath.Join(dir, name), Log: log, Store: db, Durable: name,
		Projector:  &store.Projector{Source: func(string) (store.SourceInfo, bool) { return store.SourceInfo{Store: "s1", Currency: "USD"}, true }},
		SourceInfo: func(string) (string, string) { return "server", "s1" },
		JetStream:  log.JetStream(), SegmentsBucket: "test_segments"}
}
