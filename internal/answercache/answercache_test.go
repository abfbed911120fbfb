package answercache

import (
	"context"
	"errors"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// clock is a settable clock for the tests.
type clock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *clock) Now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.now }

func (c *clock) advance(d time.Duration) { c.mu.Lock(); c.now = c.now.Add(d); c.mu.Unlock() }

func newCache() (*Cache[string, int], *clock) {
	clk := &clock{now: time.Date(2026, 6, 30, 12, 0, 0, 0, time.UTC)}
	return &Cache[string, int]{Fresh: time.Minute, Stale: 15 * time.Minute, Now: clk.Now}, clk
}

// counter computes the answers 1, 2, 3 … and counts its computations; a
// computation waits for gate when gate is set.
type counter struct {
	n    atomic.Int64
	gate chan struct{}
	prev chan int // receives each computation's prev, when set
}

func (k *counter) compute(ctx context.Context, prev int) (int, error) {
	if k.prev != nil {
		k.prev <- prev
	}
	if k.gate != nil {
		select {
		case <-k.gate:
		case <-ctx.Done():
			return 0, ctx.Err()
		}
	}
	return int(k.n.Add(1)), nil
}

func get(t *testing.T, c *Cache[string, int], key string, version uint64, compute Compute[int]) int {
	t.Helper()
	v, _, err := c.Get(context.Background(), key, version, compute)
	if err != nil {
		t.Fatalf("Get %s: %v", key, err)
	}
	return v
}

// within fails the test unless ch delivers within a few seconds: a
// goroutine the cache should have released is stuck.
func within[T any](t *testing.T, ch <-chan T, what string) T {
	t.Helper()
	select {
	case v := <-ch:
		return v
	case <-time.After(5 * time.Second):
		t.Fatalf("%s: still waiting", what)
		panic("unreachable")
	}
}

// TestOneComputationForEveryone: callers asking a question while its
// answer is computed wait for that computation, all get its answer, and
// a fresh answer is served without computing again.
func TestOneComputationForEveryone(t *testing.T) {
	c, _ := newCache()
	k := &counter{gate: make(chan struct{})}
	const callers = 8
	answers := make(chan int, callers)
	for range callers {
		go func() { answers <- get(t, c, "q", 100, k.compute) }()
	}
	time.Sleep(50 * time.Millisecond) // let them all ask
	close(k.gate)
	for i := range callers {
		if v := within(t, answers, "a caller"); v != 1 {
			t.Fatalf("caller %d got %d, want the one computation's 1", i, v)
		}
	}
	if v := get(t, c, "q", 100, k.compute); v != 1 || k.n.Load() != 1 {
		t.Fatalf("fresh answer: %d after %d computations, want 1 after 1", v, k.n.Load())
	}
	if v := get(t, c, "other", 100, k.compute); v != 2 {
		t.Fatalf("another question got %d, want its own computation", v)
	}
}

// TestStaleServedWhileRecomputing: past Fresh the kept answer is served at
// once while one computation, given the old answer, runs in the
// background; its answer then replaces the old.
func TestStaleServedWhileRecomputing(t *testing.T) {
	c, clk := newCache()
	k := &counter{}
	get(t, c, "q", 100, k.compute)
	clk.advance(2 * time.Minute)
	k.gate, k.prev = make(chan struct{}), make(chan int, 4)
	for range 3 {
		if v := get(t, c, "q", 100, k.compute); v != 1 {
			t.Fatalf("stale answer: got %d, want the old 1 at once", v)
		}
	}
	if prev := within(t, k.prev, "the background computation"); prev != 1 {
		t.Fatalf("the background computation was given %d, want the stale answer 1", prev)
	}
	close(k.gate)
	waitFor(t, func() bool { return get(t, c, "q", 100, k.compute) == 2 }) // the new answer replaces the stale one
	if n := k.n.Load(); n != 2 || len(k.prev) != 0 {
		t.Fatalf("%d computations (%d more started), want one refresh for three stale asks", n, len(k.prev))
	}
	clk.advance(15 * time.Minute) // past Stale: the caller waits
	k.prev = nil
	if v := get(t, c, "q", 100, k.compute); v != 3 {
		t.Fatalf("an answer past Stale was served: got %d, want a new 3", v)
	}
}

// TestStoreGrowth: an answer stands while the store grows by up to 5% of
// its messages (and MinGrowth); past that, or when the store went back (a
// restore), the caller waits for a new one; an unknown position (0) keeps
// it.
func TestStoreGrowth(t *testing.T) {
	c, _ := newCache()
	c.MinGrowth = 1000
	k := &counter{}
	for _, step := range []struct {
		version uint64
		want    int
		why     string
	}{
		{100_000, 1, "first"},
		{101_000, 1, "grew by MinGrowth"},
		{0, 1, "unknown position"},
		{105_000, 1, "grew by 5%"},
		{105_001, 2, "grew by over 5%"},
		{105_001 + 5_250, 2, "grew by 5% of the new answer's position"},
		{105_001 + 5_251, 3, "grew by over 5% of it"},
		{10_000, 4, "went back"},
		{11_000, 4, "grew by MinGrowth, over 5%"},
		{11_001, 5, "grew by over MinGrowth"},
	} {
		if v := get(t, c, "q", step.version, k.compute); v != step.want {
			t.Fatalf("%s (version %d): got %d, want %d", step.why, step.version, v, step.want)
		}
	}
}

// TestErrors: a failed computation is not kept — its waiters get the
// error, the next caller asks again — and a stale answer whose refresh
// fails stays served.
func TestErrors(t *testing.T) {
	c, clk := newCache()
	boom := errors.New("boom")
	fail := func(context.Context, int) (int, error) { return 0, boom }
	if _, _, err := c.Get(context.Background(), "q", 1, fail); !errors.Is(err, boom) {
		t.Fatalf("got %v, want the computation's error", err)
	}
	k := &counter{}
	if v := get(t, c, "q", 1, k.compute); v != 1 {
		t.Fatalf("after a failure: got %d, want a new computation", v)
	}
	clk.advance(2 * time.Minute)
	failed := make(chan struct{})
	failOnce := func(context.Context, int) (int, error) { defer close(failed); return 0, boom }
	if v := get(t, c, "q", 1, failOnce); v != 1 {
		t.Fatalf("stale: got %d, want 1", v)
	}
	within(t, failed, "the failing refresh")
	waitFor(t, func() bool {
		// Served still, and refreshed again by a later caller once the
		// failed refresh is over.
		v := get(t, c, "q", 1, k.compute)
		if v != 1 && v != 2 {
			t.Fatalf("after a failed refresh: got %d, want the stale 1 then a new 2", v)
		}
		return v == 2
	})
	if err := c.Fill(context.Background(), "f", 1, fail); !errors.Is(err, boom) {
		t.Fatalf("Fill: got %v, want the computation's error", err)
	}
	if v := get(t, c, "f", 1, k.compute); v != 3 {
		t.Fatalf("after a failed Fill: got %d, want a new computation", v)
	}
}

// TestEviction: past Entries the oldest answer goes, answers older than
// Stale go when a new one comes, and an answer being computed stays.
func TestEviction(t *testing.T) {
	c, clk := newCache()
	c.Entries = 3
	k := &counter{}
	get(t, c, "a", 1, k.compute)
	clk.advance(time.Second)
	get(t, c, "b", 1, k.compute)
	clk.advance(time.Second)
	get(t, c, "c", 1, k.compute)
	clk.advance(time.Second)
	get(t, c, "d", 1, k.compute) // a goes
	if keys := c.keys(); len(keys) != 3 || keys["a"] {
		t.Fatalf("kept %v, want b, c and d", keys)
	}
	if v := get(t, c, "b", 1, k.compute); v != 2 {
		t.Fatalf("b: got %d, want its kept 2", v)
	}

	clk.advance(14 * time.Minute) // b, c, d between 14 min and 15 min old
	get(t, c, "b", 1, k.compute)  // stale: b refreshed in the background
	waitFor(t, func() bool { return get(t, c, "b", 1, k.compute) != 2 })
	clk.advance(time.Minute) // c and d now older than Stale
	gate := make(chan struct{})
	slow := &counter{gate: gate}
	done := make(chan int)
	go func() { done <- get(t, c, "e", 1, slow.compute) }()
	waitFor(t, func() bool { return len(c.keys()) == 2 })
	if keys := c.keys(); !keys["b"] || !keys["e"] {
		t.Fatalf("kept %v, want b and the e being computed", keys)
	}
	get(t, c, "f", 1, k.compute)
	get(t, c, "g", 1, k.compute) // the oldest computed (b) goes, not e
	if keys := c.keys(); !keys["e"] || keys["b"] {
		t.Fatalf("kept %v: an answer being computed was dropped", keys)
	}
	close(gate)
	if v := within(t, done, "e"); v != 1 {
		t.Fatalf("e: got %d", v)
	}
}

// TestReplacingKeepsOthers: a question asked again (its answer outgrown
// by the store) replaces its own answer, so with Entries full nobody
// else's answer goes.
func TestReplacingKeepsOthers(t *testing.T) {
	c, clk := newCache()
	c.Entries = 2
	k := &counter{}
	get(t, c, "a", 1, k.compute)
	clk.advance(time.Second)
	get(t, c, "b", 1, k.compute)
	clk.advance(time.Second)
	get(t, c, "b", 1_000_000, k.compute) // the store grew: b asked again
	if keys := c.keys(); len(keys) != 2 || !keys["a"] || !keys["b"] {
		t.Fatalf("kept %v, want a and b", keys)
	}
}

// TestCancellation: a caller who leaves gets ctx's error at once and does
// not cancel the computation, whose answer the next caller gets; Fill's
// context cancels its computation; Limit bounds a computation.
func TestCancellation(t *testing.T) {
	c, _ := newCache()
	k := &counter{gate: make(chan struct{})}
	ctx, cancel := context.WithCancel(context.Background())
	left := make(chan error)
	go func() { _, _, err := c.Get(ctx, "q", 1, k.compute); left <- err }()
	time.Sleep(20 * time.Millisecond)
	cancel()
	if err := within(t, left, "the caller who left"); !errors.Is(err, context.Canceled) {
		t.Fatalf("the caller who left got %v, want context.Canceled", err)
	}
	close(k.gate)
	if v := get(t, c, "q", 1, k.compute); v != 1 || k.n.Load() != 1 {
		t.Fatalf("after the caller left: got %d after %d computations, want its computation's 1", v, k.n.Load())
	}

	fctx, fcancel := context.WithCancel(context.Background())
	filled := make(chan error)
	blocked := &counter{gate: make(chan struct{})}
	go func() { filled <- c.Fill(fctx, "w", 1, blocked.compute) }()
	time.Sleep(20 * time.Millisecond)
	fcancel()
	if err := within(t, filled, "Fill"); !errors.Is(err, context.Canceled) {
		t.Fatalf("Fill after its context ended: %v, want context.Canceled", err)
	}
	if err := c.Fill(context.Background(), "q", 1, blocked.compute); err != nil || blocked.n.Load() != 0 {
		t.Fatalf("Fill of a kept answer: %v, %d computations, want none", err, blocked.n.Load())
	}

	c.Limit = 10 * time.Millisecond
	limited := func(ctx context.Context, _ int) (int, error) {
		if _, ok := ctx.Deadline(); !ok {
			return 0, errors.New("no time limit")
		}
		<-ctx.Done()
		return 0, ctx.Err()
	}
	if _, _, err := c.Get(context.Background(), "limited", 1, limited); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("a computation past Limit: %v, want context.DeadlineExceeded", err)
	}
}

// keys lists the questions kept.
func (c *Cache[K, V]) keys() map[K]bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	out := map[K]bool{}
	for k := range c.m {
		out[k] = true
	}
	return out
}

// waitFor polls cond until it holds, for what the cache does in the
// background.
func waitFor(t *testing.T, cond func() bool) {
	t.Helper()
	for deadline := time.Now().Add(5 * time.Second); !cond(); time.Sleep(5 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatal("condition never held")
		}
	}
}
