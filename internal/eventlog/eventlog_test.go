package eventlog

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

func openTestLog(t testing.TB) *Log {
	t.Helper()
	l, err := Open(context.Background(), Config{Dir: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { l.Close() })
	return l
}

// externalConfig returns a config on the shared external NATS, with a stream
// and subjects of the test's own, or skips when no external NATS is set.
func externalConfig(t testing.TB) Config {
	url := os.Getenv("TRADEWIND_TEST_NATS_URL")
	if url == "" {
		t.Skip("TRADEWIND_TEST_NATS_URL not set")
	}
	id := fmt.Sprintf("T%d", time.Now().UnixNano())
	return Config{URL: url, Stream: "TWTEST_" + id, SubjectPrefix: "twtest." + id}
}

func testMessages(n int, source string) []Message {
	msgs := make([]Message, n)
	now := time.Now().UTC()
	for i := range msgs {
		msgs[i] = Message{
			Type: "track",
			Meta: Meta{Source: source, MessageID: fmt.Sprintf("m-%d", i), ReceivedAt: now, Timestamp: now},
			Data: []byte(`{"type":"track","event":"x"}`),
		}
	}
	return msgs
}

func TestPublishConsumeAndDedup(t *testing.T) {
	l := openTestLog(t)
	testPublishConsume(t, l)
}

func TestExternalNATS(t *testing.T) {
	cfg := externalConfig(t)
	l, err := Open(context.Background(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	defer func() {
		_ = l.js.DeleteStream(context.Background(), cfg.Stream)
		l.Close()
	}()
	testPublishConsume(t, l)
}

func testPublishConsume(t *testing.T, l *Log) {
	ctx := context.Background()
	msgs := testMessages(250, "src1")
	acks, err := l.Publish(ctx, msgs)
	if err != nil {
		t.Fatal(err)
	}
	for i, a := range acks {
		if a.Duplicate || a.Seq != l.EndPos(uint64(i+1)) {
			t.Fatalf("ack %d = %+v, want position %d, not duplicate", i, a, l.EndPos(uint64(i+1)))
		}
	}
	// The same ids again are duplicates within the window; the same
	// messageId from another source is not.
	acks, err = l.Publish(ctx, msgs[:10])
	if err != nil {
		t.Fatal(err)
	}
	for i, a := range acks {
		if !a.Duplicate {
			t.Fatalf("resent message %d not reported duplicate: %+v", i, a)
		}
	}
	other := testMessages(1, "src2")
	acks, err = l.Publish(ctx, other)
	if err != nil || acks[0].Duplicate {
		t.Fatalf("same messageId of another source: %+v %v", acks, err)
	}

	cctx, cancel := context.WithCancel(ctx)
	defer cancel()
	var got []Delivery
	err = l.Consume(cctx, ConsumeConfig{Durable: "test", MaxBatch: 100, MaxWait: 20 * time.Millisecond}, func(_ context.Context, b []Delivery) error {
		if len(b) > 100 {
			t.Errorf("batch of %d > MaxBatch", len(b))
		}
		got = append(got, b...)
		if len(got) >= 251 {
			cancel()
		}
		return nil
	})
	if err != context.Canceled {
		t.Fatalf("consume ended with %v", err)
	}
	if len(got) != 251 {
		t.Fatalf("consumed %d messages, want 251", len(got))
	}
	d := got[7]
	if d.Seq != l.EndPos(8) || d.Type != "track" || d.Meta.Source != "src1" || d.Meta.MessageID != "m-7" || string(d.Data) != `{"type":"track","event":"x"}` {
		t.Fatalf("delivery 7 = %+v", d)
	}
	if !d.Meta.ReceivedAt.Equal(msgs[7].Meta.ReceivedAt) {
		t.Fatalf("received at %v, want %v", d.Meta.ReceivedAt, msgs[7].Meta.ReceivedAt)
	}
}

// BenchmarkPublish measures publishing 100-message batches, as /v1/batch does,
// from several concurrent requests, to the embedded file store.
func BenchmarkPublish(b *testing.B) {
	l := openTestLog(b)
	body := make([]byte, 400)
	for i := range body {
		body[i] = 'x'
	}
	var n atomic.Int64
	b.SetBytes(100 * 400)
	b.ResetTimer()
	var wg sync.WaitGroup
	per := b.N/8 + 1
	for w := 0; w < 8; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			now := time.Now()
			for i := 0; i < per; i++ {
				msgs := make([]Message, 100)
				for j := range msgs {
					msgs[j] = Message{Type: "track", Meta: Meta{Source: "s", MessageID: fmt.Sprint(n.Add(1)), ReceivedAt: now, Timestamp: now}, Data: body}
				}
				if _, err := l.Publish(context.Background(), msgs); err != nil {
					b.Error(err)
					return
				}
			}
		}()
	}
	wg.Wait()
	b.ReportMetric(float64(n.Load())/b.Elapsed().Seconds(), "msgs/s")
}

func TestSnapshotRestore(t *testing.T) {
	ctx := context.Background()
	l := openTestLog(t)
	if _, err := l.Publish(ctx, testMessages(1500, "s")); err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	meta, err := l.Snapshot(ctx, &buf)
	if err != nil {
		t.Fatal(err)
	}
	if meta.LastSeq() != 1500 || buf.Len() == 0 {
		t.Fatalf("snapshot: last seq %d, %d bytes", meta.LastSeq(), buf.Len())
	}
	dir := t.TempDir()
	r, err := OpenForRestore(ctx, Config{Dir: dir})
	if err != nil {
		t.Fatal(err)
	}
	if err := r.Restore(ctx, meta, &buf); err != nil {
		t.Fatal(err)
	}
	r.Close()
	l2, err := Open(ctx, Config{Dir: dir})
	if err != nil {
		t.Fatal(err)
	}
	defer l2.Close()
	last, err := l2.LastSeq(ctx)
	if err != nil || last != l2.EndPos(1500) {
		t.Fatalf("restored last seq %d, %v", last, err)
	}
	// Deduplication ids survive too: a resend is still a duplicate.
	acks, err := l2.Publish(ctx, testMessages(1, "s"))
	if err != nil || acks[0].Seq != l2.EndPos(1501) && !acks[0].Duplicate {
		t.Fatalf("publish after restore: %+v %v", acks, err)
	}
}

func TestMetaRoundTripAndV1(t *testing.T) {
	m := Meta{Source: "src", ReceivedAt: time.Unix(100, 5).UTC(), Timestamp: time.Unix(90, 0).UTC(), SentAt: time.Unix(99, 0).UTC(), ImportID: "imp-1", Flags: FlagPermanentKey}
	got, err := decodeMeta(m.encode(), "src/id-1")
	if err != nil {
		t.Fatal(err)
	}
	m.MessageID = "id-1"
	if got != m {
		t.Fatalf("round trip: %+v, want %+v", got, m)
	}
	// Messages written by the v1 format (before sentAt was kept) still read.
	old, err := decodeMeta("v1;src;100000000005;90000000000;2;imp-1", "src/id-1")
	if err != nil || old.Source != "src" || !old.SentAt.IsZero() || old.Flags != FlagPermanentKey || old.ImportID != "imp-1" {
		t.Fatalf("v1: %+v %v", old, err)
	}
	if _, err := decodeMeta("v9;x", "a/b"); err == nil {
		t.Fatal("unknown version accepted")
	}
}
