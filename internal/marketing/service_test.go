package marketing

import (
	"context"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/tradewind/tradewind/internal/attribution"
)

// TestServiceAnswersWhileReading: an analysis is computed once per read of
// its period's data; once the data is older than CacheFor it is still
// answered from (at once) while a fresh read runs in the background, and
// the fresh data replaces it with the analysis already computed on it;
// data older than three times CacheFor, or read before the store grew by
// 5%, is not answered from: the request waits for a fresh read.
func TestServiceAnswersWhileReading(t *testing.T) {
	ctx := context.Background()
	var mu sync.Mutex
	now := time.Date(2026, 6, 30, 12, 0, 0, 0, time.UTC)
	clock := func() time.Time { mu.Lock(); defer mu.Unlock(); return now }
	advance := func(d time.Duration) { mu.Lock(); now = now.Add(d); mu.Unlock() }
	var reads atomic.Int64
	var gen atomic.Uint64
	gen.Store(100_000)
	block := make(chan struct{}, 10)
	var blocking atomic.Bool
	orders := atomic.Int64{}
	orders.Store(1)
	scan := func(ctx context.Context, q string, args []any, fn func([]any) error) error {
		switch {
		case strings.Contains(q, "FILTER (WHERE s_start"): // cutSQL
			return fn([]any{nil, nil, int64(0)})
		case strings.Contains(q, "FROM touch_points WHERE s_end"): // the touches
			reads.Add(1)
			if blocking.Load() {
				<-block
			}
			return nil
		case strings.Contains(q, "FROM orders"):
			for i := range orders.Load() {
				if err := fn([]any{"p1", now.Add(-time.Duration(i+1) * time.Hour), 10.0, true, "shop", "", int64(i + 1)}); err != nil {
					return err
				}
			}
		}
		return nil
	}
	s := &Service{Scan: scan, Now: clock, CacheFor: time.Minute, Generation: gen.Load}
	q := AttributionQuery{Models: []attribution.Model{attribution.LastTouch}}
	ask := func() *AttributionResult {
		t.Helper()
		r, err := s.Attribution(ctx, q)
		if err != nil {
			t.Fatal(err)
		}
		return r
	}
	first := ask()
	if again := ask(); again != first || reads.Load() != 1 {
		t.Fatalf("asked twice: %d reads, same answer %v", reads.Load(), again == first)
	}
	if first.Converting != 1 {
		t.Fatalf("converting journeys %d, want 1", first.Converting)
	}

	// Stale: answered at once from the old data while the read waits.
	advance(2 * time.Minute)
	orders.Store(2)
	blocking.Store(true)
	done := make(chan *AttributionResult)
	go func() { r, _ := s.Attribution(ctx, q); done <- r }()
	select {
	case r := <-done:
		if r != first {
			t.Fatal("a stale read's answer is not the old one")
		}
	case <-time.After(5 * time.Second):
		t.Fatal("a request waited for the background read")
	}
	// Once the fresh data replaces the old, it comes with the analysis
	// asked of the old already computed.
	data := func() *Data {
		// Not a request; while the background read runs, it starts none.
		d, _, err := s.fetch(ctx, q.Period)
		if err != nil {
			t.Fatal(err)
		}
		return d
	}
	old := data()
	block <- struct{}{}
	for deadline := time.Now().Add(5 * time.Second); data() == old && time.Now().Before(deadline); {
		time.Sleep(10 * time.Millisecond)
	}
	d := data()
	d.answers.mu.Lock()
	computed := len(d.answers.m)
	d.answers.mu.Unlock()
	if d == old || computed != 1 {
		t.Fatalf("after the background read: new data %v, %d analyses computed on it", d != old, computed)
	}
	if fresh := ask(); fresh == first || fresh.Converting != 2 || reads.Load() != 2 {
		t.Fatalf("after the background read: %d reads, converting %d", reads.Load(), fresh.Converting)
	}

	// Too old, or the store grew by over 5%: the request waits.
	for i, change := range []func(){func() { advance(4 * time.Minute) }, func() { gen.Add(10_000) }} {
		change()
		orders.Store(int64(3 + i))
		go func() { time.Sleep(100 * time.Millisecond); block <- struct{}{} }()
		if r := ask(); r.Converting != int(3+i) {
			t.Fatalf("case %d: converting %d: answered from old data", i, r.Converting)
		}
	}
}
