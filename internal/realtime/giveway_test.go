package realtime

import (
	"context"
	"fmt"
	"path/filepath"
	"sync/atomic"
	"testing"
	"time"

	"github.com/tradewind/tradewind/internal/eventlog"
	"github.com/tradewind/tradewind/internal/segment"
	"github.com/tradewind/tradewind/internal/store"
	"github.com/tradewind/tradewind/internal/store/duckdb"
)

// TestGiveWayBeforeEachChunk: the engine asks GiveWay before every chunk
// of messages it applies, and a GiveWay that waits slows it without
// stopping it.
func TestGiveWayBeforeEachChunk(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	log, err := eventlog.Open(ctx, eventlog.Config{Dir: filepath.Join(dir, "log")})
	if err != nil {
		t.Fatal(err)
	}
	defer log.Close()
	db, err := duckdb.Open(ctx, duckdb.Config{Dir: filepath.Join(dir, "store"), MemoryLimit: "128MB", Threads: 1, BaseCurrency: "USD"})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	var calls atomic.Int64
	e, err := Open(Config{Dir: filepath.Join(dir, "engine"), Log: log, Store: db,
		Projector:  &store.Projector{Source: func(string) (store.SourceInfo, bool) { return store.SourceInfo{Store: "s1", Currency: "USD"}, true }},
		SourceInfo: func(string) (string, string) { return "server", "s1" },
		JetStream:  log.JetStream(), SegmentsBucket: "test_segments",
		GiveWay: func(ctx context.Context) {
			calls.Add(1)
			time.Sleep(5 * time.Millisecond)
		}})
	if err != nil {
		t.Fatal(err)
	}
	now := time.Now().UTC()
	const n = 3 * maxChunk
	msgs := make([]eventlog.Message, n)
	for i := range msgs {
		id := fmt.Sprint("m", i)
		msgs[i] = eventlog.Message{Type: segment.Track, Meta: eventlog.Meta{Source: "src1", MessageID: id, ReceivedAt: now, Timestamp: now},
			Data: fmt.Appendf(nil, `{"type":"track","event":"Viewed","userId":"u%d","messageId":%q}`, i%40, id)}
	}
	p, err := log.PublishBundled(msgs)
	if err != nil {
		t.Fatal(err)
	}
	acks, err := p.Wait(ctx)
	if err != nil {
		t.Fatal(err)
	}
	e.Start(ctx)
	defer e.Close()
	wctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	if err := e.WaitApplied(wctx, acks[n-1].Seq); err != nil {
		t.Fatal(err)
	}
	if c := calls.Load(); c < 3 {
		t.Fatalf("GiveWay asked %d times for %d messages, want once per chunk of %d", c, n, maxChunk)
	}
}
