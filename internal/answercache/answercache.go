// Package answercache keeps the answers of the expensive questions a
// node's visitors share — the overview's and the segments page's reads,
// the marketing page's data — computed once per position of the store in
// the event log and served to everyone who asks. At 1,000,000 customers
// such a read takes seconds to a minute of CPU (bench/dashboard,
// bench/marketing), and every visitor of a page asks the same ones:
// computed per visitor, the pages would queue behind each other.
//
// An answer younger than Fresh is served as it is. An older one, up to
// Stale, is still served at once while one new computation runs in the
// background (stale-while-revalidate), so a page in use never waits for
// it. Past Stale, for a new question, or once the store has grown by more
// than 5% since the answer was read (a bulk load must show at once),
// callers wait for one computation that they all share; a caller who
// leaves does not cancel it for the others.
package answercache

import (
	"context"
	"sync"
	"time"
)

// Cache keeps answers of type V by question K. Set its fields before the
// first call; a Cache must not be copied after it.
type Cache[K comparable, V any] struct {
	// Fresh is how long an answer is served without computing it again.
	Fresh time.Duration
	// Stale is how long it is served at all: from Fresh to Stale it is
	// served while one new computation runs.
	Stale time.Duration
	// MinGrowth is the store's growth (in log messages) that an answer
	// always tolerates, besides 5% of the store: where a computation is
	// costly, a trickle of live events waits for Fresh instead.
	MinGrowth uint64
	// Limit bounds one computation's time; 0 sets none.
	Limit time.Duration
	// Entries bounds the answers kept (the oldest goes first); 0 keeps
	// every answer until it is older than Stale.
	Entries int
	// Now is the clock; nil is time.Now.
	Now func() time.Time

	mu sync.Mutex
	m  map[K]*entry[V]
}

// Compute computes an answer. prev is the answer it replaces when it
// refreshes a stale one (else V's zero value), so that it can carry work
// over: the marketing data computes the analyses asked of the old data on
// the new before the new replaces it.
type Compute[V any] func(ctx context.Context, prev V) (V, error)

// entry is one question's answer, or the computation of its first one.
type entry[V any] struct {
	done       chan struct{} // closed once val, err and at are set
	val        V
	err        error
	at         time.Time // when it was computed
	version    uint64    // the store's position in the log when it was asked
	refreshing bool      // a new computation runs in the background
}

// closed is the done channel of answers that replace a stale one.
var closed = func() chan struct{} { ch := make(chan struct{}); close(ch); return ch }()

func (e *entry[V]) finished() bool {
	select {
	case <-e.done:
		return true
	default:
		return false
	}
}

// Get answers key, as the package describes, with the store at version
// (its position in the log; 0 when unknown). It returns the answer and
// when it was computed. A computation runs in a context of its own,
// within Limit: its answer is everyone's, so neither the end of the
// caller who started it nor its values (who asked) reach it; ctx's end
// only stops this caller's wait.
// A computation that fails is not kept: its waiters get the error and
// the next caller asks again, and a stale answer whose refresh fails
// stays served until Stale.
func (c *Cache[K, V]) Get(ctx context.Context, key K, version uint64, compute Compute[V]) (V, time.Time, error) {
	c.mu.Lock()
	e := c.m[key]
	if e != nil && e.finished() {
		age := c.now().Sub(e.at)
		switch {
		case age >= c.Stale || c.moved(e.version, version):
			e = nil // ask again
		case age < c.Fresh:
			c.mu.Unlock()
			return e.val, e.at, nil
		default:
			if !e.refreshing {
				e.refreshing = true
				go c.refresh(context.Background(), key, e, version, compute)
			}
			c.mu.Unlock()
			return e.val, e.at, nil
		}
	}
	if e == nil {
		e = c.start(key, version)
		go c.first(context.Background(), key, e, compute)
	}
	c.mu.Unlock() // e is being computed: wait for it
	select {
	case <-e.done:
		return e.val, e.at, e.err
	case <-ctx.Done():
		var zero V
		return zero, time.Time{}, ctx.Err()
	}
}

// Fill computes key's answer now, on the caller's goroutine and within
// ctx (its end cancels the computation), unless one is kept or being
// computed: a warm-up ahead of the first caller, which the node's stop
// interrupts. It returns the computation's error.
func (c *Cache[K, V]) Fill(ctx context.Context, key K, version uint64, compute Compute[V]) error {
	c.mu.Lock()
	if c.m[key] != nil {
		c.mu.Unlock()
		return nil
	}
	e := c.start(key, version)
	c.mu.Unlock()
	c.first(ctx, key, e, compute)
	return e.err
}

// start keeps a new entry for key, to be computed (the caller holds mu).
func (c *Cache[K, V]) start(key K, version uint64) *entry[V] {
	if c.m == nil {
		c.m = map[K]*entry[V]{}
	}
	// The key's old answer (if any) is being replaced: it must not count
	// towards Entries, or evict would drop another question's answer
	// although the map does not grow.
	delete(c.m, key)
	c.evict()
	e := &entry[V]{done: make(chan struct{}), version: version}
	c.m[key] = e
	return e
}

// first computes e, a question's first answer (or the one after an
// answer too old to serve), which callers wait for.
func (c *Cache[K, V]) first(ctx context.Context, key K, e *entry[V], compute Compute[V]) {
	var zero V
	val, err := c.run(ctx, zero, compute)
	c.mu.Lock()
	defer c.mu.Unlock()
	e.val, e.err, e.at = val, err, c.now()
	close(e.done)
	if err != nil && c.m[key] == e {
		delete(c.m, key) // not kept: the next caller asks again
	}
}

// refresh computes a new answer in place of stale, which stays served
// until then (and after, if the computation fails).
func (c *Cache[K, V]) refresh(ctx context.Context, key K, stale *entry[V], version uint64, compute Compute[V]) {
	val, err := c.run(ctx, stale.val, compute)
	c.mu.Lock()
	defer c.mu.Unlock()
	stale.refreshing = false
	if err == nil && c.m[key] == stale {
		c.m[key] = &entry[V]{done: closed, val: val, at: c.now(), version: version}
	}
}

func (c *Cache[K, V]) run(ctx context.Context, prev V, compute Compute[V]) (V, error) {
	if c.Limit > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, c.Limit)
		defer cancel()
	}
	return compute(ctx, prev)
}

// evict drops the answers too old to be served and, when Entries are
// kept, the oldest computed one, to make room (the caller holds mu).
// Answers being computed stay: callers wait for them.
func (c *Cache[K, V]) evict() {
	now := c.now()
	var oldest K
	var at time.Time
	found := false
	for k, e := range c.m {
		if !e.finished() {
			continue
		}
		if now.Sub(e.at) >= c.Stale {
			delete(c.m, k)
			continue
		}
		if !found || e.at.Before(at) {
			oldest, at, found = k, e.at, true
		}
	}
	if c.Entries > 0 && len(c.m) >= c.Entries && found {
		delete(c.m, oldest)
	}
}

// moved says whether the store moved on too far from version then, when
// an answer was asked, to version now for the answer to stand: it grew by
// more than 5% of its messages (and more than MinGrowth), so a bulk load
// (the demo, an import) is seen at once, or it went back (a restore, a
// rebuild). A version of 0 is unknown (the store could not say) and moves
// nothing: an answer is not recomputed for a failed look at the log.
func (c *Cache[K, V]) moved(then, now uint64) bool {
	switch {
	case now == 0:
		return false
	case now < then:
		return true
	}
	return now-then > max(c.MinGrowth, then/20)
}

func (c *Cache[K, V]) now() time.Time {
	if c.Now != nil {
		return c.Now()
	}
	return time.Now()
}
