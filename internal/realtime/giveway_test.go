package realtime

import (
	"context"
	"fmt"
	"sync/atomic"
	"testing"
	"time"

	"github.com/tradewind/tradewind/internal/eventlog"
	"github.com/tradewind/tradewind/internal/segment"
)

// TestGiveWayBeforeEachChunk: the engine asks GiveWay before every chunk
// of messages it applies, and a GiveWay that waits slows it without
// stopping it.
func TestGiveWayBeforeEachChunk(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	log, db := openLogAndStore(t, dir, 0)
	var calls atomic.Int64
	cfg := testConfig(dir, "engine", log, db)
	cfg.GiveWay = func(ctx context.Context) {
		calls.Add(1)
		time.Sleep(5 * time.Millisecond)
	}
	e, err := Open(cfg)
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
