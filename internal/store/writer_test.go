package store_test

import (
	"context"
	"fmt"
	"log/slog"
	"testing"
	"time"

	"github.com/tradewind/tradewind/internal/eventlog"
	"github.com/tradewind/tradewind/internal/store"
	"github.com/tradewind/tradewind/internal/store/duckdb"
)

// TestWriterAppliesBundlesAndSaysWhenBehind: the writer applies a bundle's
// messages one by one, in batches cut at MaxBatch, and reports its lag —
// the age of a full batch's newest message — only while it is behind.
func TestWriterAppliesBundlesAndSaysWhenBehind(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	l, err := eventlog.Open(ctx, eventlog.Config{Dir: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	st, err := duckdb.Open(ctx, duckdb.Config{Dir: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()

	// 250 old messages in one request: the writer meets them all at once,
	// as when it is behind.
	old := time.Now().Add(-5 * time.Second).UTC()
	msgs := make([]eventlog.Message, 250)
	for i := range msgs {
		msgs[i] = eventlog.Message{Type: "track",
			Meta: eventlog.Meta{Source: "s", MessageID: fmt.Sprint("m", i), ReceivedAt: old, Timestamp: old},
			Data: []byte(fmt.Sprintf(`{"userId":"u%d","event":"Viewed"}`, i))}
	}
	p, err := l.PublishBundled(msgs)
	if err != nil {
		t.Fatal(err)
	}
	acks, err := p.Wait(ctx)
	if err != nil {
		t.Fatal(err)
	}
	w := &store.Writer{Log: l, Store: st, Projector: &store.Projector{
		Source: func(string) (store.SourceInfo, bool) { return store.SourceInfo{}, false }}, Logger: slog.New(slog.DiscardHandler),
		MaxBatch: 50, MaxWait: 10 * time.Millisecond}
	done := make(chan error, 1)
	go func() { done <- w.Run(ctx) }()
	wctx, wcancel := context.WithTimeout(ctx, 20*time.Second)
	defer wcancel()
	if err := store.WaitApplied(wctx, st, acks[len(acks)-1].Seq); err != nil {
		t.Fatal(err)
	}
	if n := st.AppliedMessages(); n != 250 {
		t.Fatalf("applied %d messages, want 250", n)
	}
	if lag := w.Lag(); lag < 4*time.Second {
		t.Fatalf("lag after full batches of old messages = %v, want ~5s", lag)
	}
	// One new message: a batch that is not full, so the writer is not
	// behind any more.
	fresh := time.Now().UTC()
	p, err = l.PublishBundled([]eventlog.Message{{Type: "track",
		Meta: eventlog.Meta{Source: "s", MessageID: "new", ReceivedAt: fresh, Timestamp: fresh},
		Data: []byte(`{"userId":"u1","event":"Viewed"}`)}})
	if err != nil {
		t.Fatal(err)
	}
	if acks, err = p.Wait(ctx); err != nil {
		t.Fatal(err)
	}
	if err := store.WaitApplied(wctx, st, acks[0].Seq); err != nil {
		t.Fatal(err)
	}
	if lag := w.Lag(); lag != 0 {
		t.Fatalf("lag once caught up = %v, want 0", lag)
	}
	res, err := st.Query(ctx, "SELECT count(*), count(DISTINCT message_id) FROM events", 10)
	if err != nil {
		t.Fatal(err)
	}
	if got := fmt.Sprint(res.Rows[0]); got != "[251 251]" {
		t.Fatalf("events: %s, want 251 distinct", got)
	}
	cancel()
	<-done
}
