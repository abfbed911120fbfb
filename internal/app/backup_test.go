package app

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/tradewind/tradewind/internal/eventlog"
)

// TestBackupRestoreWhileIngesting backs up a node while messages keep
// arriving, restores into a new directory, and checks that the restored
// node has every message of the log snapshot exactly once, and that its
// deduplication still works.
func TestBackupRestoreWhileIngesting(t *testing.T) {
	n := openNode(t, Config{})
	_, key := n.createSource("Site", "EUR")
	send := func(from, to int) {
		var b strings.Builder
		b.WriteString(`{"batch":[`)
		for i := from; i < to; i++ {
			if i > from {
				b.WriteString(",")
			}
			fmt.Fprintf(&b, `{"type":"track","userId":"u%d","event":"Order Completed","messageId":"m%d","properties":{"order_id":"o%d","total":"10.5","currency":"EUR"}}`, i%50, i, i)
		}
		b.WriteString(`]}`)
		if code, m := n.do("POST", "/v1/batch", basic(key), []byte(b.String()), nil); code != 200 {
			t.Errorf("batch: %d %v", code, m)
		}
	}
	send(0, 500)
	n.waitCount("SELECT count(*) FROM events", 500)
	var wg sync.WaitGroup
	wg.Add(1)
	go func() { // keep ingesting during the backup
		defer wg.Done()
		for i := 500; i < 2000; i += 100 {
			send(i, i+100)
		}
	}()
	dir := filepath.Join(t.TempDir(), "bk")
	code, m := n.admin("POST", "/v1/admin/backup", map[string]string{"dir": dir})
	if code != 200 {
		t.Fatalf("backup: %d %v", code, m)
	}
	wg.Wait()
	logLast := uint64(m["log_last_seq"].(float64))
	// The store's position is a message's inside a JetStream message
	// (eventlog/position.go); the log's last sequence a JetStream one.
	if applied := uint64(m["applied_seq"].(float64)); eventlog.StreamSeq(applied) > logLast || applied == 0 {
		t.Fatalf("backup applied %d, log %d", applied, logLast)
	}

	data := t.TempDir()
	rm, err := Restore(context.Background(), dir, Config{DataDir: data}, "")
	if err != nil {
		t.Fatal(err)
	}
	if rm.LogLastSeq != logLast {
		t.Fatalf("restored log to %d, want %d", rm.LogLastSeq, logLast)
	}
	r := openNode(t, Config{DataDir: data})
	// The log holds requests as bundles: count its messages by reading it.
	msgs := logMessages(t, r.a.Log)
	if msgs < 500 {
		t.Fatalf("the restored log holds %d messages", msgs)
	}
	r.waitCount("SELECT count(*) FROM events", float64(msgs))
	r.waitCount("SELECT count(DISTINCT message_id) FROM events", float64(msgs))
	r.waitCount("SELECT count(*) FROM orders", float64(msgs))
	// The restored source keeps its write key, and a resend is a duplicate.
	if code, _ := r.do("POST", "/v1/track", basic(key), []byte(`{"userId":"u1","event":"Order Completed","messageId":"m1","properties":{"order_id":"o1","total":"10.5","currency":"EUR"}}`), nil); code != 200 {
		t.Fatalf("track after restore: %d", code)
	}
	if code, _ := r.do("POST", "/v1/track", basic(key), []byte(`{"userId":"u1","event":"x","messageId":"new-1"}`), nil); code != 200 {
		t.Fatalf("track after restore: %d", code)
	}
	r.waitCount("SELECT count(*) FROM events", float64(msgs+1))
	// Restoring over an existing directory is refused.
	if _, err := Restore(context.Background(), dir, Config{DataDir: data}, ""); err == nil {
		t.Fatal("restore into a used directory was allowed")
	}
}

// logMessages reads the whole log with a consumer of its own and counts
// its messages.
func logMessages(t *testing.T, l *eventlog.Log) int {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	last, err := l.LastSeq(ctx)
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	err = l.Consume(ctx, eventlog.ConsumeConfig{Durable: "test-count"}, func(_ context.Context, b []eventlog.Delivery) error {
		n += len(b)
		if b[len(b)-1].Seq >= last {
			cancel()
		}
		return nil
	})
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("reading the log: %v", err)
	}
	return n
}
