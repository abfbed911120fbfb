// Package realtime is the profile engine: it consumes the event log in
// order, resolves every message to a unified profile (identity graph), keeps
// each profile's traits and computed traits current, evaluates the live
// segments of the profiles a message touched, and publishes
// segment_entered / segment_exited messages — within well under a second of
// the message's acknowledgement. Time-window conditions change membership
// when time passes too: each profile's next possible change is a timer.
//
// Its state lives in Pebble (DATA/profiles) and commits atomically with its
// log position, so a restart resumes where it stopped; deleting the
// directory replays the log from the start and rebuilds the same state
// (erased people are gone from the log, and suppressed). A flusher copies
// changed profiles into the analytic store (profiles, identities,
// memberships, merge log) for SQL and the batch side of segments.
package realtime

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"sort"
	"sync"
	"sync/atomic"
	"time"

	"github.com/cockroachdb/pebble/v2"
	"github.com/cockroachdb/pebble/v2/bloom"
	"github.com/nats-io/nats.go/jetstream"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/tradewind/tradewind/internal/eventlog"
	"github.com/tradewind/tradewind/internal/identity"
	"github.com/tradewind/tradewind/internal/kvjson"
	"github.com/tradewind/tradewind/internal/segment"
	"github.com/tradewind/tradewind/internal/store"
)

// Store is the part of the analytic store the engine writes.
type Store interface {
	ApplyProfiles(ctx context.Context, b *store.ProfileBatch) error
}

// Config configures the engine.
type Config struct {
	// Dir holds the engine's Pebble state.
	Dir       string
	Log       *eventlog.Log
	Store     Store
	Projector *store.Projector
	// SharedUserSpaces maps source ids that share one user-id space to its
	// name (a site and its app).
	SharedUserSpaces map[string]string
	// SourceInfo gives a source's kind and store (marketplace account), for
	// platform ids and trait precedence.
	SourceInfo func(id string) (kind, storeID string)
	// Blocklist are junk identifiers that never link (placeholder e-mails
	// and phones, tokenised like real ones).
	Blocklist []identity.ID
	// SourcePrecedence lists source ids or kinds whose traits win over
	// others' regardless of time, strongest first.
	SourcePrecedence []string
	// RebuildStore finds the messages of identities when a profile that
	// split is rebuilt.
	RebuildStore interface {
		SenderSeqs(ctx context.Context, ids []store.Identity) ([]uint64, error)
		AppliedSeq(ctx context.Context) (uint64, error)
	}
	// Now is the clock of time windows and timers; nil is time.Now.
	Now func() time.Time
	// FlushEvery is how often changed profiles go to the analytic store
	// (default 1 s): the API reads profiles from the engine itself, the
	// store's copy is for SQL.
	FlushEvery time.Duration
	// CacheBytes bounds the state's block cache (default 128 MiB; a
	// 60-second load at 20,000 events/s fills 20–37 MiB of it).
	CacheBytes int64
	// StateCacheBytes bounds the cache of state values the engine keeps
	// between chunks of messages (default 64 MiB; negative: none), so that
	// the records of recently active profiles are read from memory rather
	// than searched for in Pebble's memtables and sstables. It is Go heap:
	// the server's 1 GiB Go memory limit must leave it room.
	StateCacheBytes int
	// Sync fsyncs every committed batch of state (with --fsync always).
	Sync     bool
	Logger   *slog.Logger
	Registry prometheus.Registerer
	// Durable names the log consumer (tests sharing a stream set their own).
	Durable string
	// MaxDelivery bounds a delivery from the log (0: maxDelivery).
	MaxDelivery int
	// GiveWay, when set, is called before each chunk of messages: it may
	// wait a little for more urgent work of the process (the store
	// writer's, when it is behind) to get the cores.
	GiveWay func(ctx context.Context)
	// JetStream and SegmentsBucket keep the segment definitions.
	JetStream      jetstream.JetStream
	SegmentsBucket string
	// Query runs one of tradewind's own queries on the store (segment
	// backfills, listing profiles), calling fn for each row.
	Query func(ctx context.Context, sql string, args []any, fn func(row []any) error) error
}

// Engine is a running profile engine.
type Engine struct {
	cfg Config
	db  *pebble.DB

	// mu serialises everything that changes state: the consumer's batches,
	// timers, admin actions (unmerge, segment changes, erasure).
	mu    sync.Mutex
	parts *parts
	// cache holds committed state values across batches (see readCache);
	// guarded by mu.
	cache *stateCache
	segKV *kvjson.Bucket[SegmentDef]
	defs  map[string]SegmentDef

	applied atomic.Uint64
	keyDays // message keys' latest day and expiry (keys.go)
	cancel  context.CancelFunc
	wg      sync.WaitGroup

	// unmerges are the unmerge requests waiting for the engine to read
	// their message from the log.
	waitMu   sync.Mutex
	unmerges map[string]chan unmergeOutcome

	// touched (profile → sequence of its last message in the chunk) and
	// chunk (the chunk's read cache) are handleChunk's, reused from chunk
	// to chunk: a new set of maps for each chunk was a sixth of the
	// engine's allocations. Guarded by mu.
	touched map[string]uint64
	chunk   *readCache
	// items and pre are the chunk's projected messages and prefetch state
	// (prefetch.go), reused likewise.
	items []chunkItem
	pre   prefetcher

	// pending are messages the batch being processed will publish
	// (deviations), and splits the profiles it must rebuild.
	pending []eventlog.Message
	splits  []string

	latency  prometheus.Histogram
	messages prometheus.Counter
	flushErr atomic.Value // last flush error text
}

// Keys of the engine's own records (parts use their own prefixes).
var (
	keyApplied = []byte("e/applied")
	prefDirty  = []byte("e/dirty/")    // profiles to flush to the store
	prefGone   = []byte("e/gone/")     // profiles to remove from the store
	prefTimer  = []byte("e/timer/")    // e/timer/<unix nanos, 8 bytes BE><profile>
	prefTimerP = []byte("e/timerp/")   // e/timerp/<profile> → its timer's time
	prefMerge  = []byte("e/merge/")    // merges to flush
	prefConfl  = []byte("e/conflict/") // conflicts to flush
)

// Open opens the engine's state; Start begins consuming.
func Open(cfg Config) (*Engine, error) {
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.FlushEvery == 0 {
		cfg.FlushEvery = time.Second
	}
	if cfg.CacheBytes == 0 {
		cfg.CacheBytes = 128 << 20
	}
	if cfg.StateCacheBytes == 0 {
		cfg.StateCacheBytes = 64 << 20
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	if cfg.Durable == "" {
		cfg.Durable = "profile-engine"
	}
	if err := os.MkdirAll(cfg.Dir, 0o700); err != nil {
		return nil, err
	}
	// Every message reads a handful of keys (identifiers, the profile's
	// state): a block cache that holds the working set and Bloom filters
	// that answer "absent" for a new identifier without reading a file keep
	// those reads in memory.
	cache := pebble.NewCache(cfg.CacheBytes)
	defer cache.Unref()
	opts := &pebble.Options{Logger: quietLogger{}, Cache: cache, MemTableSize: 32 << 20,
		MemTableStopWritesThreshold: 4}
	for i := range opts.Levels {
		opts.Levels[i].FilterPolicy = bloom.FilterPolicy(10)
	}
	db, err := pebble.Open(cfg.Dir, opts)
	if err != nil {
		return nil, fmt.Errorf("realtime: open %s: %w", cfg.Dir, err)
	}
	e := &Engine{cfg: cfg, db: db, unmerges: map[string]chan unmergeOutcome{}, cache: newStateCache(cfg.StateCacheBytes)}
	e.latency = prometheus.NewHistogram(prometheus.HistogramOpts{Name: "tradewind_profiles_update_seconds",
		Help:    "Time from a message's receipt to its profile and segment memberships being updated.",
		Buckets: prometheus.ExponentialBuckets(0.005, 2, 12)})
	e.messages = prometheus.NewCounter(prometheus.CounterOpts{Name: "tradewind_profiles_messages_total",
		Help: "Messages the profile engine processed."})
	if cfg.Registry != nil {
		cfg.Registry.MustRegister(e.latency, e.messages, prometheus.NewGaugeFunc(prometheus.GaugeOpts{
			Name: "tradewind_profiles_applied_sequence", Help: "Log sequence up to which profiles are current."},
			func() float64 { return float64(e.applied.Load()) }))
	}
	v, closer, err := db.Get(keyApplied)
	if err == nil {
		e.applied.Store(binary.BigEndian.Uint64(v))
		closer.Close()
	} else if !errors.Is(err, pebble.ErrNotFound) {
		db.Close()
		return nil, err
	}
	if e.parts, err = newParts(e); err != nil {
		db.Close()
		return nil, err
	}
	e.defs = map[string]SegmentDef{}
	if cfg.JetStream != nil {
		if cfg.SegmentsBucket == "" {
			cfg.SegmentsBucket = "tradewind_segments"
		}
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		if e.segKV, err = openSegments(ctx, cfg.JetStream, cfg.SegmentsBucket); err != nil {
			db.Close()
			return nil, err
		}
		defs, err := e.segKV.All(ctx)
		if err == nil {
			err = e.setSegments(defs)
		}
		if err != nil {
			db.Close()
			return nil, err
		}
	}
	return e, nil
}

// Applied is the log sequence up to which the engine's state is current.
func (e *Engine) Applied() uint64 { return e.applied.Load() }

// Start runs the consumer, the timers and the flusher until Close.
func (e *Engine) Start(ctx context.Context) {
	ctx, cancel := context.WithCancel(context.WithoutCancel(ctx))
	e.cancel = cancel
	e.wg.Add(3)
	go func() { defer e.wg.Done(); e.consumeLoop(ctx) }()
	go func() { defer e.wg.Done(); e.timerLoop(ctx) }()
	go func() { defer e.wg.Done(); e.flushLoop(ctx) }()
}

// Close stops the engine, flushes what it can and closes its state.
func (e *Engine) Close() error {
	if e.cancel != nil {
		e.cancel()
		e.wg.Wait()
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		_ = e.Flush(ctx)
		cancel()
	}
	return e.db.Close()
}

func (e *Engine) consumeLoop(ctx context.Context) {
	backoff := 500 * time.Millisecond
	for {
		n := e.cfg.MaxDelivery
		if n <= 0 {
			n = maxDelivery
		}
		err := e.cfg.Log.Consume(ctx, eventlog.ConsumeConfig{Durable: e.cfg.Durable, MaxBatch: n,
			MaxWait: 20 * time.Millisecond, StartSeq: e.applied.Load() + 1}, e.handle)
		if ctx.Err() != nil {
			return
		}
		e.cfg.Logger.Error("profile engine stopped; restarting", "err", err, "in", backoff)
		select {
		case <-ctx.Done():
			return
		case <-time.After(backoff):
		}
		backoff = min(2*backoff, 10*time.Second)
	}
}

// handle processes one batch of deliveries in log order, in chunks of at
// most maxChunk messages, each committed with its log position and
// holding the engine's lock only while it is applied: an erasure
// (Forget), a timer tick or an API action waits for one chunk, not for a
// whole delivery of up to 2,000 messages, and the applied position moves
// as each chunk commits. A chunk that fails leaves the ones before it
// committed; the redelivered batch skips what they applied.
func (e *Engine) handle(ctx context.Context, batch []eventlog.Delivery) error {
	for len(batch) > 0 {
		if e.cfg.GiveWay != nil {
			e.cfg.GiveWay(ctx)
		}
		n := min(len(batch), maxChunk)
		if err := e.handleChunk(ctx, batch[:n]); err != nil {
			return err
		}
		batch = batch[n:]
	}
	return nil
}

// maxDelivery bounds a delivery from the log. The engine applies chunks
// of maxChunk whatever the delivery's size, so a larger one saves only
// round trips; but the log's consumer keeps two deliveries ready, and
// while the engine is behind (a bulk import, a catch-up) they are full:
// at 2,000 that was ~6,000 messages held in the Go heap, which at the
// 448 MiB memory limit makes the collector run more often (see
// store.DefaultMaxBatch).
const maxDelivery = 1000

// BulkMaxDelivery is the delivery limit for a process that loads in bulk
// with a raised Go memory limit (Config.MaxDelivery), where holding more
// messages ready costs no collections.
const BulkMaxDelivery = 2000

// maxChunk is how many deliveries the engine applies under one hold of
// its lock and commits at once. Larger chunks share more reads and
// evaluations (a profile seen twice in a chunk is evaluated once), smaller
// ones make others wait less.
const maxChunk = 500

// chunkState returns the emptied touched map and read cache of a chunk;
// the caller holds mu.
func (e *Engine) chunkState() (map[string]uint64, *readCache) {
	if e.chunk == nil {
		e.touched = make(map[string]uint64, maxChunk)
		e.chunk = newReadCache(e.cache)
		e.chunk.m = make(map[string]cached, 8*maxChunk) // a message reads and writes about eight records
	}
	clear(e.touched)
	c := e.chunk
	clear(c.m)
	clear(c.profiles)
	clear(c.dirtied)
	c.reads = 0
	return e.touched, c
}

// project projects the chunk's messages after applied (not the engine's
// own), once, for prefetch and apply: items[i] is batch[i]'s.
func (e *Engine) project(batch []eventlog.Delivery, applied uint64) []chunkItem {
	items := e.items[:0]
	for i := range batch {
		items = append(items, chunkItem{})
		d := &batch[i]
		if d.Seq <= applied || d.Meta.Source == engineSource {
			continue
		}
		applied = d.Seq
		it := &items[i]
		it.p = e.cfg.Projector.Project(*d)
		if it.p.Err != nil || it.p.Suppressed || it.p.Expired || it.p.Event == nil {
			continue
		}
		it.live = true
		it.obs = e.observation(&it.p, e.storeOf)
	}
	e.items = items
	return items
}

// handleChunk applies deliveries in log order and commits them.
func (e *Engine) handleChunk(ctx context.Context, batch []eventlog.Delivery) error {
	e.mu.Lock()
	defer e.mu.Unlock()
	b := e.db.NewIndexedBatch()
	defer b.Close()
	e.pending, e.splits = nil, nil
	var out []eventlog.Message
	last := e.applied.Load()
	now := e.cfg.Now()
	touched, cache := e.chunkState()
	items := e.project(batch, last)
	defer clear(items) // the projections' memory is not kept until the next chunk
	if err := e.prefetch(cache, items, batch); err != nil {
		return err
	}
	for i, d := range batch {
		if d.Seq <= last {
			continue
		}
		last = d.Seq
		if d.Meta.Source == engineSource {
			// The engine's own messages: only an unmerge changes state.
			if d.Type == segment.IdentityUnmerge {
				// Everything before it must be applied first: its rebuild
				// reads the store, and this batch's earlier messages are
				// in b only.
				rebuilt, err := e.applyUnmerge(ctx, b, d, now)
				if err != nil {
					return err
				}
				cache.reset() // the unmerge wrote state around the cache
				for _, pid := range rebuilt {
					touched[pid] = d.Seq
				}
			}
			continue
		}
		it := &items[i]
		if !it.live {
			continue
		}
		// Checked after the projection's verdicts, as the store does, so
		// that both keep the keys of the same messages.
		if dup, err := e.duplicate(b, &d); err != nil || dup {
			if err != nil {
				return fmt.Errorf("realtime: message %d: %w", d.Seq, err)
			}
			continue
		}
		pid, err := e.parts.apply(b, cache, &it.p, &it.obs, now)
		if err != nil {
			return fmt.Errorf("realtime: message %d: %w", d.Seq, err)
		}
		if pid != "" {
			touched[pid] = d.Seq
		}
	}
	if len(e.splits) > 0 {
		rebuilt, err := e.rebuild(ctx, b, e.splits, last, now)
		e.splits = nil
		cache.reset() // the rebuild wrote state around the cache
		if err != nil {
			return err
		}
		for _, pid := range rebuilt {
			touched[pid] = last
		}
	}
	for pid, seq := range touched {
		msgs, err := e.parts.evaluate(b, cache, pid, now, fmt.Sprintf("m%d", seq))
		if err != nil {
			return err
		}
		out = append(out, msgs...)
	}
	out = append(out, e.pending...)
	e.pending = nil
	// Membership messages go out before the state that says they were sent
	// commits: a crash in between sends them again with the same ids, which
	// the log and the store drop as duplicates; the other order could lose
	// them.
	if len(out) > 0 {
		if _, err := e.cfg.Log.Publish(ctx, out); err != nil {
			return err
		}
	}
	var buf [8]byte
	binary.BigEndian.PutUint64(buf[:], last)
	if err := b.Set(keyApplied, buf[:], nil); err != nil {
		return err
	}
	opt := pebble.NoSync
	if e.cfg.Sync {
		opt = pebble.Sync
	}
	if err := b.Commit(opt); err != nil {
		return err
	}
	cache.commit()
	e.applied.Store(last)
	e.messages.Add(float64(len(batch)))
	for _, d := range batch {
		if !d.Meta.ReceivedAt.IsZero() {
			e.latency.Observe(time.Since(d.Meta.ReceivedAt).Seconds())
		}
	}
	return nil
}

// Tick evaluates the profiles whose timers are due at now: memberships that
// change because time passed (a window slid), not because of an event.
func (e *Engine) Tick(ctx context.Context, now time.Time) error {
	e.mu.Lock()
	defer e.mu.Unlock()
	b := e.db.NewIndexedBatch()
	defer b.Close()
	var due []string
	var hi [8]byte
	binary.BigEndian.PutUint64(hi[:], uint64(now.UnixNano())+1)
	it, err := b.NewIter(&pebble.IterOptions{LowerBound: prefTimer, UpperBound: append(append([]byte{}, prefTimer...), hi[:]...)})
	if err != nil {
		return err
	}
	for ok := it.First(); ok; ok = it.Next() {
		k := it.Key()
		due = append(due, string(k[len(prefTimer)+8:]))
	}
	it.Close()
	if len(due) == 0 {
		return nil
	}
	var out []eventlog.Message
	cache := newReadCache(e.cache)
	for _, pid := range due {
		msgs, err := e.parts.evaluate(b, cache, pid, now, fmt.Sprintf("t%d", now.UnixNano()))
		if err != nil {
			return err
		}
		out = append(out, msgs...)
	}
	if len(out) > 0 {
		if _, err := e.cfg.Log.Publish(ctx, out); err != nil {
			return err
		}
	}
	if err := b.Commit(pebble.NoSync); err != nil {
		return err
	}
	cache.commit()
	return nil
}

func (e *Engine) timerLoop(ctx context.Context) {
	t := time.NewTicker(time.Second)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			if err := e.Tick(ctx, e.cfg.Now()); err != nil && ctx.Err() == nil {
				e.cfg.Logger.Error("profile timers failed", "err", err)
			}
			if n, err := e.expireKeys(); err != nil && ctx.Err() == nil {
				e.cfg.Logger.Error("profile engine's message key expiry failed", "err", err)
			} else if n > 0 {
				e.cfg.Logger.Info("profile engine expired message keys outside the deduplication window", "keys", n)
			}
		}
	}
}

func (e *Engine) flushLoop(ctx context.Context) {
	wait := e.cfg.FlushEvery
	for {
		select {
		case <-ctx.Done():
			return
		case <-time.After(wait):
		}
		start := time.Now()
		if err := e.Flush(ctx); err != nil && ctx.Err() == nil {
			e.cfg.Logger.Error("profile flush failed; retrying", "err", err)
		}
		wait = flushWait(e.cfg.FlushEvery, time.Since(start))
	}
}

// flushWait is the pause before the next flush, given how long the last one
// took. A flush writes under the store's write lock, so it holds up the
// store writer, and each one scans the profile tables whatever it writes:
// during a bulk load (a demo, an import, a replay) flushing every second
// would spend much of the time flushing the same profiles again. The pause
// stretches to 20 times the last flush, so flushing takes at most about 5%
// of the time, up to maxFlushWait; an idle or lightly loaded engine keeps
// the configured interval.
func flushWait(every, took time.Duration) time.Duration {
	return min(max(every, 20*took), max(every, maxFlushWait))
}

// maxFlushWait bounds how stale the store's copy of profiles gets under
// load.
const maxFlushWait = 30 * time.Second

// Flush copies the profiles changed since the last flush into the store.
// The set of changed profiles is part of the committed state, so nothing
// is lost across a crash: the next flush writes them. It writes in
// transactions of up to flushChunk profiles until it has written what was
// changed when it started (changes made meanwhile may be written too).
func (e *Engine) Flush(ctx context.Context) error {
	for range maxFlushRounds {
		done, err := e.flushOnce(ctx, false)
		if err != nil || len(done) < flushChunk {
			return err
		}
	}
	return nil
}

// flushChunk is how many changes one flush transaction writes at most;
// collectStep how many profiles the flusher reads under one hold of the
// engine's lock; maxFlushRounds bounds one Flush under a stream of new
// changes.
const (
	flushChunk     = 5000
	collectStep    = 250
	maxFlushRounds = 100
)

// flushLocked flushes everything changed so far while the caller holds
// e.mu (a segment backfill reads the store's profile mapping and needs it
// exactly current).
func (e *Engine) flushLocked(ctx context.Context) error {
	for {
		done, err := e.flushOnce(ctx, true)
		if err != nil || len(done) == 0 {
			return err
		}
	}
}

// flushOnce writes up to flushChunk changes to the store and clears their
// markers; locked says the caller holds e.mu.
//
// The changed profiles are read from the committed state through the
// engine's state cache, collectStep at a time under the engine's lock (the
// profiles a message touched a moment ago are in the cache: reading them
// from a Pebble snapshot searched the memtables for each record again).
// Each step reads markers and profiles at one point, which is all the
// markers need: a profile changed after its step keeps a newer marker and
// is written again by the next flush.
func (e *Engine) flushOnce(ctx context.Context, locked bool) ([]marker, error) {
	out := &store.ProfileBatch{}
	var done []marker
	var after []byte
	for {
		if !locked {
			e.mu.Lock()
		}
		var err error
		first := after == nil
		c := newReadCache(e.cache)
		done, after, err = e.parts.collect(e.db, c, out, done, min(len(done)+collectStep, flushChunk), flushChunk, after)
		last := err == nil && (after == nil || len(done) >= flushChunk)
		if last && !first {
			// Profiles read in earlier steps may have been merged away or
			// erased since; their markers are cleared with this batch, so
			// their rows must not be written.
			err = e.parts.recheck(e.db, c, out)
		}
		if !locked {
			e.mu.Unlock()
		}
		if err != nil {
			return nil, err
		}
		if last {
			break
		}
	}
	if len(done) == 0 {
		return nil, nil
	}
	sort.Strings(out.Removed)
	if err := e.cfg.Store.ApplyProfiles(ctx, out); err != nil {
		e.flushErr.Store(err.Error())
		return nil, err
	}
	if !locked {
		e.mu.Lock()
		defer e.mu.Unlock()
	}
	return done, e.clearMarkers(done)
}

// clearMarkers deletes flushed markers, unless a newer change re-marked
// them (caller holds e.mu).
func (e *Engine) clearMarkers(done []marker) error {
	b := e.db.NewBatch()
	for _, k := range done {
		cur, closer, err := e.db.Get(k.key)
		if err == nil {
			same := string(cur) == string(k.val)
			closer.Close()
			if same {
				_ = b.Delete(k.key, nil)
			}
		}
	}
	return b.Commit(pebble.NoSync)
}

// marker is a flush marker and the value it had when read.
type marker struct{ key, val []byte }

// WaitApplied blocks until the engine has processed the log up to seq.
func (e *Engine) WaitApplied(ctx context.Context, seq uint64) error {
	for e.applied.Load() < seq {
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(5 * time.Millisecond):
		}
	}
	return nil
}

// quietLogger keeps Pebble's informational lines out of tradewind's log.
type quietLogger struct{}

func (quietLogger) Infof(string, ...any)  {}
func (quietLogger) Errorf(string, ...any) {}
func (quietLogger) Fatalf(format string, args ...any) {
	panic(fmt.Sprintf(format, args...))
}
