package deliver

import (
	"context"
	"log/slog"
	"sort"
	"sync"

	"golang.org/x/time/rate"
)

// LaneConfig sizes one destination's lane. Zero values get the defaults noted.
type LaneConfig struct {
	// Concurrency is how many deliveries to this destination may run at
	// once; 1 when not positive.
	Concurrency int
	// RatePerSecond limits how often a delivery to this destination starts;
	// unlimited when not positive.
	RatePerSecond float64
	// Burst is how many starts may happen at once under the rate limit;
	// Concurrency when not positive.
	Burst int
	// Queue is how many deliveries may wait for a worker; 256 when not
	// positive. A full queue makes Submit return false rather than block,
	// so the dispatcher moves on to other destinations and picks the
	// refused deliveries up on its next outbox scan.
	Queue int
}

const defaultLaneQueue = 256

// LaneStats counts one lane's deliveries.
type LaneStats struct {
	Queued   int   // waiting for a worker or for the rate limiter
	InFlight int   // running now
	Done     int64 // finished (whatever their outcome) since the lane was made
	Dropped  int64 // queued but never run because Close stopped the lane
}

// Lanes runs jobs in one lane per destination, each with its own queue,
// workers and rate limiter, so a destination that is slow, down or rate
// limited only ever occupies its own workers: the others keep delivering.
// Lanes are made on first use. Jobs are identified by a key (the outbox
// entry's id): a key already queued or running in a lane is refused, so a
// dispatcher that rescans its outbox while a delivery is still under way does
// not start it a second time.
//
// Lanes only schedules; the job itself sends, records the outcome and
// schedules any retry in the caller's outbox.
type Lanes struct {
	config func(dest string) LaneConfig

	ctx    context.Context // given to every job; cancelled by Close
	cancel context.CancelFunc

	mu     sync.Mutex
	lanes  map[string]*lane
	closed bool
	wg     sync.WaitGroup
	idle   *sync.Cond // signalled whenever a job finishes or is dropped
}

type lane struct {
	dest    string
	queue   chan laneJob
	limiter *rate.Limiter
	// The fields below are guarded by Lanes.mu.
	keys     map[string]struct{} // queued or running
	queued   int
	inFlight int
	done     int64
	dropped  int64
}

type laneJob struct {
	key string
	run func(ctx context.Context)
}

// NewLanes returns Lanes that size each destination's lane with config, called
// once per destination when its lane is first needed. A nil config gives every
// lane the defaults.
func NewLanes(config func(dest string) LaneConfig) *Lanes {
	if config == nil {
		config = func(string) LaneConfig { return LaneConfig{} }
	}
	ctx, cancel := context.WithCancel(context.Background())
	l := &Lanes{config: config, ctx: ctx, cancel: cancel, lanes: map[string]*lane{}}
	l.idle = sync.NewCond(&l.mu)
	return l
}

// Submit queues job in dest's lane under key and returns at once. It returns
// false, without queueing, when key is already queued or running in that
// lane, when the lane's queue is full, or after Close. The job gets a context
// that Close cancels; it should give up promptly when it is done.
func (l *Lanes) Submit(dest, key string, job func(ctx context.Context)) bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.closed {
		return false
	}
	ln := l.lanes[dest]
	if ln == nil {
		ln = l.newLane(dest)
	}
	if _, dup := ln.keys[key]; dup {
		return false
	}
	select {
	case ln.queue <- laneJob{key: key, run: job}:
		ln.keys[key] = struct{}{}
		ln.queued++
		return true
	default:
		return false
	}
}

// Holds reports whether key is queued or running in dest's lane: a
// dispatcher skips reading what is already on its way.
func (l *Lanes) Holds(dest, key string) bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	ln := l.lanes[dest]
	if ln == nil {
		return false
	}
	_, ok := ln.keys[key]
	return ok
}

// Full reports whether dest's lane can take no more jobs now (its queue is
// full, or Lanes is closed): a dispatcher stops handing that lane work and
// moves on to the next.
func (l *Lanes) Full(dest string) bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.closed {
		return true
	}
	ln := l.lanes[dest]
	return ln != nil && len(ln.queue) == cap(ln.queue)
}

// newLane makes dest's lane and starts its workers; l.mu is held.
func (l *Lanes) newLane(dest string) *lane {
	c := l.config(dest)
	if c.Concurrency <= 0 {
		c.Concurrency = 1
	}
	if c.Queue <= 0 {
		c.Queue = defaultLaneQueue
	}
	if c.Burst <= 0 {
		c.Burst = c.Concurrency
	}
	limit := rate.Inf
	if c.RatePerSecond > 0 {
		limit = rate.Limit(c.RatePerSecond)
	}
	ln := &lane{
		dest:    dest,
		queue:   make(chan laneJob, c.Queue),
		limiter: rate.NewLimiter(limit, c.Burst),
		keys:    map[string]struct{}{},
	}
	l.lanes[dest] = ln
	for range c.Concurrency {
		l.wg.Add(1)
		go l.work(ln)
	}
	return ln
}

// work runs one of a lane's workers until Close.
func (l *Lanes) work(ln *lane) {
	defer l.wg.Done()
	for {
		select {
		case <-l.ctx.Done():
			return
		case j := <-ln.queue:
			// Waiting here, not in Submit, keeps Submit non-blocking; the
			// job still counts as queued while it waits for a token.
			if err := ln.limiter.Wait(l.ctx); err != nil {
				l.finish(ln, j.key, false)
				return
			}
			l.mu.Lock()
			ln.queued--
			ln.inFlight++
			l.mu.Unlock()
			l.run(ln, j)
			l.finish(ln, j.key, true)
		}
	}
}

// run calls the job, keeping a panicking job from taking the process (and
// every other lane) down with it.
func (l *Lanes) run(ln *lane, j laneJob) {
	defer func() {
		if r := recover(); r != nil {
			slog.Error("deliver: job panicked", "dest", ln.dest, "key", j.key, "panic", r)
		}
	}()
	j.run(l.ctx)
}

func (l *Lanes) finish(ln *lane, key string, ran bool) {
	l.mu.Lock()
	delete(ln.keys, key)
	if ran {
		ln.inFlight--
		ln.done++
	} else {
		ln.queued--
		ln.dropped++
	}
	l.idle.Broadcast()
	l.mu.Unlock()
}

// Stats returns a snapshot of every lane's counts by destination.
func (l *Lanes) Stats() map[string]LaneStats {
	l.mu.Lock()
	defer l.mu.Unlock()
	out := make(map[string]LaneStats, len(l.lanes))
	for dest, ln := range l.lanes {
		out[dest] = LaneStats{Queued: ln.queued, InFlight: ln.inFlight, Done: ln.done, Dropped: ln.dropped}
	}
	return out
}

// Destinations returns the destinations that have a lane, sorted.
func (l *Lanes) Destinations() []string {
	l.mu.Lock()
	defer l.mu.Unlock()
	out := make([]string, 0, len(l.lanes))
	for d := range l.lanes {
		out = append(out, d)
	}
	sort.Strings(out)
	return out
}

// Drain stops accepting jobs, waits until every queued and running job has
// finished or ctx is done, then closes the lanes. It returns ctx's error when
// it had to give up waiting; jobs still queued then are dropped (they remain
// in the caller's outbox and run after the next start).
func (l *Lanes) Drain(ctx context.Context) error {
	l.mu.Lock()
	l.closed = true
	stop := context.AfterFunc(ctx, func() {
		l.mu.Lock()
		l.idle.Broadcast()
		l.mu.Unlock()
	})
	for ctx.Err() == nil && l.busy() {
		l.idle.Wait()
	}
	l.mu.Unlock()
	stop()
	l.Close()
	return ctx.Err()
}

// busy reports whether any lane has queued or running jobs; l.mu is held.
func (l *Lanes) busy() bool {
	for _, ln := range l.lanes {
		if ln.queued > 0 || ln.inFlight > 0 {
			return true
		}
	}
	return false
}

// Close stops accepting jobs, cancels the context of running jobs, waits for
// them to return and drops the jobs still queued (counted in Stats as
// Dropped). Deliveries are durable in the caller's outbox, so a dropped job
// is not lost: it runs again after the next start. Use Drain to let queues
// empty first.
func (l *Lanes) Close() {
	l.mu.Lock()
	l.closed = true
	l.mu.Unlock()
	l.cancel()
	l.wg.Wait()
	l.mu.Lock()
	defer l.mu.Unlock()
	for _, ln := range l.lanes {
		for {
			select {
			case j := <-ln.queue:
				delete(ln.keys, j.key)
				ln.queued--
				ln.dropped++
				continue
			default:
			}
			break
		}
	}
	l.idle.Broadcast()
}
