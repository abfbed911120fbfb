package deliver

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// waitFor fails the test if ch is not closed or sent on within a generous
// limit. The limit only catches a hang; no assertion depends on timing.
func waitFor(t *testing.T, ch <-chan struct{}, what string) {
	t.Helper()
	select {
	case <-ch:
	case <-time.After(30 * time.Second):
		t.Fatalf("timed out waiting for %s", what)
	}
}

// A destination whose receiver hangs must not delay another destination: the
// slow receiver holds its lane's only worker, while every delivery to the fast
// destination completes. The test asserts order (all fast deliveries done
// while the slow one is still held), never elapsed time.
func TestLanesIsolateSlowDestination(t *testing.T) {
	release := make(chan struct{})
	slowEntered := make(chan struct{}, 16)
	slow := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		slowEntered <- struct{}{}
		<-release
		w.WriteHeader(http.StatusOK)
	}))
	defer slow.Close()
	fast := &receiver{secret: []byte("k")}
	fastSrv := httptest.NewServer(fast)
	defer fastSrv.Close()

	lanes := NewLanes(func(dest string) LaneConfig { return LaneConfig{Concurrency: 1, Queue: 32} })
	defer lanes.Close()

	slowHook := &Webhook{URL: slow.URL, Secret: []byte("k"), Timeout: time.Minute}
	fastHook := &Webhook{URL: fastSrv.URL, Secret: []byte("k")}

	var mu sync.Mutex
	var order []string
	record := func(s string) { mu.Lock(); order = append(order, s); mu.Unlock() }

	slowDone := make(chan struct{}, 3)
	for i := range 3 {
		key := fmt.Sprintf("slow-%d", i)
		if !lanes.Submit("slow", key, func(ctx context.Context) {
			_ = slowHook.Send(ctx, key, []byte(`{}`))
			record(key)
			slowDone <- struct{}{}
		}) {
			t.Fatalf("submit %s refused", key)
		}
	}
	waitFor(t, slowEntered, "the slow receiver to be entered")

	const n = 20
	var fastWG sync.WaitGroup
	fastWG.Add(n)
	for i := range n {
		key := fmt.Sprintf("fast-%d", i)
		if !lanes.Submit("fast", key, func(ctx context.Context) {
			defer fastWG.Done()
			if err := fastHook.Send(ctx, key, []byte(`{}`)); err != nil {
				t.Errorf("fast %s: %v", key, err)
			}
			record(key)
		}) {
			fastWG.Done()
			t.Errorf("submit %s refused", key)
		}
	}
	allFast := make(chan struct{})
	go func() { fastWG.Wait(); close(allFast) }()
	waitFor(t, allFast, "every fast delivery while the slow receiver hangs")

	st := lanes.Stats()
	if st["slow"].InFlight != 1 || st["slow"].Queued != 2 || st["slow"].Done != 0 {
		t.Errorf("slow lane stats %+v, want 1 in flight, 2 queued, 0 done", st["slow"])
	}
	if st["fast"].Done == 0 || st["fast"].InFlight != 0 {
		t.Errorf("fast lane stats %+v", st["fast"])
	}
	close(release)
	for range 3 {
		waitFor(t, slowDone, "the slow deliveries after release")
	}
	mu.Lock()
	defer mu.Unlock()
	for i, s := range order {
		isSlow := len(s) > 4 && s[:4] == "slow"
		if isSlow && i < len(order)-3 {
			t.Fatalf("slow delivery %s finished before fast ones: %v", s, order)
		}
	}
}

func TestLanesDedupeAndQueueFull(t *testing.T) {
	lanes := NewLanes(func(string) LaneConfig { return LaneConfig{Concurrency: 1, Queue: 1} })
	defer lanes.Close()
	hold := make(chan struct{})
	started := make(chan struct{})
	if !lanes.Submit("d", "a", func(ctx context.Context) { close(started); <-hold }) {
		t.Fatal("first submit refused")
	}
	waitFor(t, started, "job a to start")
	if lanes.Submit("d", "a", func(context.Context) { t.Error("duplicate of a ran") }) {
		t.Error("key a accepted again while in flight")
	}
	ranB := make(chan struct{})
	if !lanes.Submit("d", "b", func(context.Context) { close(ranB) }) {
		t.Fatal("b refused with an empty queue")
	}
	if lanes.Submit("d", "b", func(context.Context) { t.Error("duplicate of b ran") }) {
		t.Error("key b accepted again while queued")
	}
	if lanes.Submit("d", "c", func(context.Context) {}) {
		t.Error("c accepted although the queue (1) is full")
	}
	// The same key in another lane is another delivery.
	ranOther := make(chan struct{})
	if !lanes.Submit("e", "a", func(context.Context) { close(ranOther) }) {
		t.Error("key a refused in another lane")
	}
	waitFor(t, ranOther, "lane e")
	close(hold)
	waitFor(t, ranB, "job b")
	// Once a has finished its key may be submitted again (a later retry).
	again := make(chan struct{})
	for !lanes.Submit("d", "a", func(context.Context) { close(again) }) {
		time.Sleep(time.Millisecond) // a's bookkeeping may trail b's start
	}
	waitFor(t, again, "a resubmitted")
}

func TestLanesRateLimitAndClose(t *testing.T) {
	// One start per ~17 minutes after a burst of one: the second job cannot
	// start during the test, whatever the machine's load.
	lanes := NewLanes(func(string) LaneConfig { return LaneConfig{Concurrency: 2, RatePerSecond: 0.001, Burst: 1} })
	first := make(chan struct{})
	var ran atomic.Int32
	job := func(context.Context) {
		if ran.Add(1) == 1 {
			close(first)
		} else {
			t.Error("a second job ran despite the rate limit")
		}
	}
	// Two workers: either may win the one token; the other must wait.
	if !lanes.Submit("d", "1", job) || !lanes.Submit("d", "2", job) {
		t.Fatal("submit refused")
	}
	waitFor(t, first, "the first job")
	for {
		st := lanes.Stats()["d"]
		if st.Done == 1 {
			if st.Queued != 1 {
				t.Fatalf("stats %+v, want job 2 queued behind the limiter", st)
			}
			break
		}
		time.Sleep(time.Millisecond)
	}
	lanes.Close()
	st := lanes.Stats()["d"]
	if st.Dropped != 1 || st.Queued != 0 || st.Done != 1 {
		t.Errorf("after Close stats %+v, want 1 done, 1 dropped", st)
	}
	if lanes.Submit("d", "3", func(context.Context) {}) {
		t.Error("Submit accepted after Close")
	}
}

func TestLanesDrain(t *testing.T) {
	lanes := NewLanes(nil)
	var mu sync.Mutex
	ran := 0
	for i := range 50 {
		lanes.Submit(fmt.Sprintf("dest-%d", i%5), fmt.Sprint(i), func(context.Context) {
			mu.Lock()
			ran++
			mu.Unlock()
		})
	}
	if err := lanes.Drain(context.Background()); err != nil {
		t.Fatal(err)
	}
	if ran != 50 {
		t.Fatalf("ran %d of 50 before Drain returned", ran)
	}
	if got := len(lanes.Destinations()); got != 5 {
		t.Errorf("%d lanes, want 5", got)
	}
}

func TestLanesCloseCancelsRunningJob(t *testing.T) {
	lanes := NewLanes(nil)
	started := make(chan struct{})
	cancelled := make(chan struct{})
	lanes.Submit("d", "k", func(ctx context.Context) {
		close(started)
		<-ctx.Done()
		close(cancelled)
	})
	waitFor(t, started, "job start")
	lanes.Close()
	waitFor(t, cancelled, "job to see its context cancelled")
}

func TestLanesPanicKeepsWorker(t *testing.T) {
	lanes := NewLanes(nil)
	defer lanes.Close()
	lanes.Submit("d", "boom", func(context.Context) { panic("boom") })
	ok := make(chan struct{})
	lanes.Submit("d", "next", func(context.Context) { close(ok) })
	waitFor(t, ok, "the job after a panicking one")
}

// TestLaneFull: a lane whose queue is full says so, and another lane does
// not.
func TestLaneFull(t *testing.T) {
	release := make(chan struct{})
	l := NewLanes(func(string) LaneConfig { return LaneConfig{Concurrency: 1, Queue: 1} })
	defer l.Close()
	defer close(release)
	started := make(chan struct{})
	l.Submit("slow", "a", func(context.Context) { close(started); <-release })
	<-started // "a" holds the worker; the queue is empty again
	if l.Full("slow") {
		t.Fatal("full with an empty queue")
	}
	if !l.Submit("slow", "b", func(context.Context) { <-release }) {
		t.Fatal("the queue's one place was refused")
	}
	if !l.Full("slow") || l.Submit("slow", "c", func(context.Context) {}) {
		t.Error("a full queue took another job, or did not say it was full")
	}
	if l.Full("fast") || l.Full("never-made") {
		t.Error("other lanes report full")
	}
}
