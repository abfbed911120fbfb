package journey

import (
	"context"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"os"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/cockroachdb/pebble/v2"
	"github.com/cockroachdb/pebble/v2/bloom"
	"github.com/nats-io/nats.go/jetstream"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/tradewind/tradewind/internal/deliver"
	"github.com/tradewind/tradewind/internal/eventlog"
	"github.com/tradewind/tradewind/internal/kvjson"
	"github.com/tradewind/tradewind/internal/segment"
	"github.com/tradewind/tradewind/internal/sendtime"
)

// People is what the engine needs to know about people: who sent a
// message, and their details when an action or a branch needs them. The
// node implements it over the profile engine and the privacy service.
type People interface {
	// Resolve returns the profile of a message's sender once the profile
	// engine has applied the message; "" when the sender has no profile
	// (an erased person, a message without identity) or when the profile
	// engine skipped the message as a resend of one it applied (the log
	// drops resends only within its short duplicate window).
	Resolve(ctx context.Context, d eventlog.Delivery) (string, error)
	// Person returns a person's details, personal data decrypted.
	Person(ctx context.Context, pid string) (*Person, error)
	// EnsureSegment creates or updates a segment the engine keeps (a
	// prediction trigger's, a list segment); it refuses to change a
	// segment someone else defined with another rule.
	EnsureSegment(ctx context.Context, id, name, rule string) error
	// SetTraits sets a person's traits through the event log (an identify
	// message with the given id, so a repeat is dropped as a duplicate).
	SetTraits(ctx context.Context, pid, messageID string, traits map[string]any) error
}

// Person is what actions and branches read of a person.
type Person struct {
	ID    string
	Email string // decrypted; "" when none is known
	// EmailToken is the address's blind-index token, matched against
	// suppression lists of addresses.
	EmailToken string
	FirstName  string
	Locale     string // BCP 47, from traits or the country
	Country    string // ISO 3166 alpha-2
	TimeZone   string // IANA; "" uses the country's
	// Traits are the winning traits, decrypted, for templates.
	Traits map[string]any
	// Computed are the computed traits and predictions.
	Computed map[string]any
	// Segments are the ids of the segments the person is in.
	Segments map[string]bool
	// Consent is the current decision per purpose (absent: none recorded).
	Consent map[string]bool
}

// Config configures the engine.
type Config struct {
	// Dir holds the engine's Pebble state.
	Dir string
	Log *eventlog.Log
	// JetStream and Bucket keep definitions and destinations.
	JetStream jetstream.JetStream
	Bucket    string
	People    People
	// Mailer sends e-mail; nil fails e-mail steps with a clear reason.
	Mailer *deliver.Mailer
	// Calendar and SendRules decide when person-facing messages may go.
	Calendar  *sendtime.Calendar
	SendRules sendtime.Rules
	// Caps are the frequency caps per channel (default: e-mail at most 1
	// a day and 3 a week per person).
	Caps map[string][]Cap
	// Check runs the content compliance check of a message for a
	// country: the verdict (ok, warn, block) and the findings; nil checks
	// nothing.
	Check func(country, channel, locale, subject, text, html string) (verdict string, issues []ContentIssue)
	// Notify puts a team notice in the alerts inbox.
	Notify func(ctx context.Context, journey, step, message, person string) error
	// UnsubscribeURL makes a person's signed unsubscribe link; nil sends
	// no link (and e-mail steps refuse to send: every marketing e-mail
	// needs one).
	UnsubscribeURL func(pid, channel string) string
	// MailDomain is the domain part of Message-IDs.
	MailDomain string
	// AllowPrivateWebhooks lets webhook destinations be internal
	// addresses (loopback, private networks, link-local: a CRM on the
	// office network, a test receiver). Off, such destinations are refused
	// when defined and every connection is checked after DNS, so a
	// destination cannot reach the cloud metadata service or an internal
	// database.
	AllowPrivateWebhooks bool
	// PostalAddress is the sender's physical address, put in every
	// e-mail's footer (CAN-SPAM requires one in US commercial e-mail).
	PostalAddress string
	// Now is the clock; nil is time.Now.
	Now func() time.Time
	// Durable names the log consumer.
	Durable  string
	Logger   *slog.Logger
	Registry prometheus.Registerer
	// Sync fsyncs every commit.
	Sync bool
	// Tick is how often timers and the outbox are scanned (default 100 ms).
	Tick time.Duration
	// PlanNext gives each person's expected next order, for
	// before_next_order journeys when they start (the node also calls
	// PlanNextOrders after every prediction run).
	PlanNext func(ctx context.Context) (map[string]time.Time, error)
	// LastDone gives, per person, when they last did an event (from the
	// store), for inactivity journeys when they start.
	LastDone func(ctx context.Context, event string) (map[string]time.Time, error)
}

// Cap is a frequency cap: at most Max messages of a channel per Window.
type Cap struct {
	Max    int           `json:"max"`
	Window time.Duration `json:"window"`
}

// Engine is a running journey engine.
type Engine struct {
	cfg Config
	db  *pebble.DB
	// defs and destDefs keep the definitions in a key-value bucket.
	defs     *kvjson.Bucket[Journey]
	destDefs *kvjson.Bucket[Destination]

	// mu serialises state changes: log batches, timers, delivery outcomes,
	// admin actions.
	mu       sync.Mutex
	journeys map[string]*Journey
	dests    map[string]*Destination

	lanes *deliver.Lanes
	// hooks is the HTTP client of webhook deliveries (guarded unless
	// AllowPrivateWebhooks; nil is the shared, unguarded one).
	hooks *http.Client
	wake  chan struct{}
	// templates caches compiled e-mail templates by journey version and
	// step.
	tplMu     sync.Mutex
	templates map[string]*deliver.Compiled
	applied   atomic.Uint64
	cancel    context.CancelFunc
	wg        sync.WaitGroup

	latency   prometheus.Histogram
	delivered *prometheus.CounterVec
}

// Open opens the engine's state and definitions; Start runs it.
func Open(ctx context.Context, cfg Config) (*Engine, error) {
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	if cfg.Durable == "" {
		cfg.Durable = "journeys"
	}
	if cfg.Bucket == "" {
		cfg.Bucket = "tradewind_journeys"
	}
	if cfg.Tick == 0 {
		cfg.Tick = 100 * time.Millisecond
	}
	if cfg.MailDomain == "" {
		cfg.MailDomain = "tradewind.invalid"
	}
	if cfg.Caps == nil {
		cfg.Caps = map[string][]Cap{"email": {{Max: 1, Window: 24 * time.Hour}, {Max: 3, Window: 7 * 24 * time.Hour}}}
	}
	if err := os.MkdirAll(cfg.Dir, 0o700); err != nil {
		return nil, err
	}
	// Most lookups are for records that do not exist (has this person a
	// run yet?): Bloom filters answer those without reading a file.
	cache := pebble.NewCache(64 << 20)
	defer cache.Unref()
	opts := &pebble.Options{Logger: quietLogger{}, Cache: cache}
	for i := range opts.Levels {
		opts.Levels[i].FilterPolicy = bloom.FilterPolicy(10)
	}
	db, err := pebble.Open(cfg.Dir, opts)
	if err != nil {
		return nil, fmt.Errorf("journey: open %s: %w", cfg.Dir, err)
	}
	e := &Engine{cfg: cfg, db: db, journeys: map[string]*Journey{}, dests: map[string]*Destination{},
		wake: make(chan struct{}, 1), templates: map[string]*deliver.Compiled{}}
	if v, closer, err := db.Get(keyApplied); err == nil {
		e.applied.Store(binary.BigEndian.Uint64(v))
		closer.Close()
	} else if !errors.Is(err, pebble.ErrNotFound) {
		db.Close()
		return nil, err
	}
	if cfg.JetStream != nil {
		if err := e.loadDefinitions(ctx); err != nil {
			db.Close()
			return nil, err
		}
	}
	e.lanes = deliver.NewLanes(e.laneConfig)
	if !cfg.AllowPrivateWebhooks {
		e.hooks = deliver.NewClient(deliver.IsPublic)
	}
	e.latency = prometheus.NewHistogram(prometheus.HistogramOpts{Name: "tradewind_journey_delivery_seconds",
		Help:    "Time from a triggering message's receipt to its action's delivery (actions without a wait).",
		Buckets: prometheus.ExponentialBuckets(0.005, 2, 14)})
	e.delivered = prometheus.NewCounterVec(prometheus.CounterOpts{Name: "tradewind_journey_actions_total",
		Help: "Journey actions by kind and outcome."}, []string{"kind", "status"})
	if cfg.Registry != nil {
		cfg.Registry.MustRegister(e.latency, e.delivered)
	}
	return e, nil
}

// Applied is the log sequence up to which the engine has read.
func (e *Engine) Applied() uint64 { return e.applied.Load() }

// Start runs the log consumer, the timers and the dispatcher until Close.
func (e *Engine) Start(ctx context.Context) {
	ctx, cancel := context.WithCancel(context.WithoutCancel(ctx))
	e.cancel = cancel
	e.wg.Add(3)
	go func() { defer e.wg.Done(); e.consumeLoop(ctx) }()
	go func() { defer e.wg.Done(); e.timerLoop(ctx) }()
	go func() { defer e.wg.Done(); e.dispatchLoop(ctx) }()
}

// Close stops the loops, lets deliveries in flight finish or give up, and
// closes the state.
func (e *Engine) Close() error {
	if e.cancel != nil {
		e.cancel()
		e.wg.Wait()
	}
	e.lanes.Close()
	return e.db.Close()
}

// active lists the journeys that are running (caller holds e.mu).
func (e *Engine) active() []*Journey {
	var out []*Journey
	for _, j := range e.journeys {
		if j.Status == StatusActive {
			out = append(out, j)
		}
	}
	return out
}

func (e *Engine) consumeLoop(ctx context.Context) {
	backoff := 500 * time.Millisecond
	for {
		// With nothing running there is nothing to read: the log position
		// jumps to its end, so starting a journey later does not wade
		// through history it would ignore anyway.
		e.mu.Lock()
		idle := len(e.active()) == 0
		e.mu.Unlock()
		if idle {
			if last, err := e.cfg.Log.LastSeq(ctx); err == nil && last > e.applied.Load() {
				_ = e.setApplied(last)
			}
			select {
			case <-ctx.Done():
				return
			case <-time.After(time.Second):
			}
			continue
		}
		cctx, cancel := context.WithCancel(ctx)
		stop := make(chan struct{})
		go func() {
			// Stop consuming when the last journey stops.
			t := time.NewTicker(time.Second)
			defer t.Stop()
			for {
				select {
				case <-stop:
					return
				case <-t.C:
					e.mu.Lock()
					idle := len(e.active()) == 0
					e.mu.Unlock()
					if idle {
						cancel()
						return
					}
				}
			}
		}()
		err := e.cfg.Log.Consume(cctx, eventlog.ConsumeConfig{Durable: e.cfg.Durable,
			MaxBatch: 1000, MaxWait: 10 * time.Millisecond, StartSeq: e.applied.Load() + 1}, e.handle)
		close(stop)
		cancel()
		if ctx.Err() != nil {
			return
		}
		if cctx.Err() != nil {
			continue // stopped because no journey runs
		}
		e.cfg.Logger.Error("journey engine stopped reading the log; restarting", "err", err, "in", backoff)
		select {
		case <-ctx.Done():
			return
		case <-time.After(backoff):
		}
		backoff = min(2*backoff, 10*time.Second)
	}
}

func (e *Engine) setApplied(seq uint64) error {
	e.mu.Lock()
	defer e.mu.Unlock()
	if seq <= e.applied.Load() {
		return nil
	}
	var buf [8]byte
	binary.BigEndian.PutUint64(buf[:], seq)
	if err := e.db.Set(keyApplied, buf[:], pebble.NoSync); err != nil {
		return err
	}
	e.applied.Store(seq)
	return nil
}

// handle applies one batch of log messages in order. Finding a message's
// sender waits for the profile engine to have applied it, so it happens
// first, without the engine's lock: deliveries, timers and admin calls go
// on meanwhile. Only then is the batch applied under the lock.
func (e *Engine) handle(ctx context.Context, batch []eventlog.Delivery) error {
	e.mu.Lock()
	active := e.active()
	last := e.applied.Load()
	e.mu.Unlock()
	now := e.cfg.Now()
	type item struct {
		d        eventlog.Delivery
		m        message
		pid      string
		resolved bool
	}
	items := make([]item, 0, len(batch))
	if len(active) > 0 {
		for _, d := range batch {
			if d.Seq <= last {
				continue
			}
			m, ok := parseMessage(d)
			if !ok {
				continue
			}
			it := item{d: d, m: m}
			if m.profile == "" && needsSender(active, d, m, now) {
				pid, err := e.cfg.People.Resolve(ctx, d)
				if err != nil {
					return fmt.Errorf("journey: message %d: %w", d.Seq, err)
				}
				it.pid, it.resolved = pid, true
			}
			items = append(items, it)
		}
	}

	e.mu.Lock()
	defer e.mu.Unlock()
	b := e.db.NewIndexedBatch()
	defer b.Close()
	tx := &txn{e: e, b: b, c: newCounters(b), now: now, people: map[string]*Person{}}
	active = e.active() // a journey may have started or stopped meanwhile
	for _, it := range items {
		if len(active) == 0 {
			break
		}
		tx.sender, tx.senderKnown = it.pid, it.resolved
		if err := tx.message(ctx, active, it.d, it.m); err != nil {
			return fmt.Errorf("journey: message %d: %w", it.d.Seq, err)
		}
	}
	if n := len(batch); n > 0 && batch[n-1].Seq > last {
		last = batch[n-1].Seq
	}
	if err := tx.c.flush(); err != nil {
		return err
	}
	var buf [8]byte
	binary.BigEndian.PutUint64(buf[:], last)
	if err := b.Set(keyApplied, buf[:], nil); err != nil {
		return err
	}
	if err := b.Commit(e.syncOpt()); err != nil {
		return err
	}
	e.applied.Store(last)
	if tx.enqueued {
		e.poke()
	}
	return nil
}

// needsSender says whether some running journey may act on a track
// message (trigger, goal, recovery, branch event), so its sender must be
// found.
func needsSender(active []*Journey, d eventlog.Delivery, m message, now time.Time) bool {
	if m.kind != segment.Track {
		return false
	}
	for _, j := range active {
		if d.Seq <= j.StartSeq || now.Sub(m.at) > time.Duration(j.MaxEventAge) {
			continue
		}
		if j.tracks(m.event) {
			return true
		}
	}
	return false
}

func (e *Engine) syncOpt() *pebble.WriteOptions {
	if e.cfg.Sync {
		return pebble.Sync
	}
	return pebble.NoSync
}

// poke wakes the dispatcher.
func (e *Engine) poke() {
	select {
	case e.wake <- struct{}{}:
	default:
	}
}

func (e *Engine) timerLoop(ctx context.Context) {
	t := time.NewTicker(e.cfg.Tick)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			if err := e.Tick(ctx, e.cfg.Now()); err != nil && ctx.Err() == nil {
				e.cfg.Logger.Error("journey timers failed", "err", err)
			}
		}
	}
}

// Tick moves on the runs whose waits are over at now.
func (e *Engine) Tick(ctx context.Context, now time.Time) error {
	e.mu.Lock()
	defer e.mu.Unlock()
	b := e.db.NewIndexedBatch()
	defer b.Close()
	hi := nanosKey(prefTimer, now.Add(time.Nanosecond), "")
	it, err := b.NewIter(&pebble.IterOptions{LowerBound: prefTimer, UpperBound: hi})
	if err != nil {
		return err
	}
	type due struct {
		at             time.Time
		jid, pid, kind string
		key            []byte
	}
	var dues []due
	for ok := it.First(); ok && len(dues) < 5000; ok = it.Next() {
		k := it.Key()
		at := time.Unix(0, int64(binary.BigEndian.Uint64(k[len(prefTimer):len(prefTimer)+8])))
		rest := string(k[len(prefTimer)+8:])
		jid, pid, kind := splitTimer(rest)
		dues = append(dues, due{at, jid, pid, kind, append([]byte{}, k...)})
	}
	it.Close()
	if len(dues) == 0 {
		return nil
	}
	tx := &txn{e: e, b: b, c: newCounters(b), now: now, people: map[string]*Person{}}
	for _, d := range dues {
		if err := b.Delete(d.key, nil); err != nil {
			return err
		}
		j := e.journeys[d.jid]
		if j == nil || j.Status == StatusStopped {
			continue
		}
		if j.Status != StatusActive {
			// Paused: the person waits where they are; look again later.
			if err := b.Set(timerKey(now.Add(time.Minute), d.jid, d.pid+timerSuffix(d.kind)), nil, nil); err != nil {
				return err
			}
			continue
		}
		if err := tx.wakeUp(ctx, j, d.pid, d.kind, d.at); err != nil {
			return fmt.Errorf("journey %s: %w", d.jid, err)
		}
	}
	if err := tx.c.flush(); err != nil {
		return err
	}
	if err := b.Commit(e.syncOpt()); err != nil {
		return err
	}
	if tx.enqueued {
		e.poke()
	}
	return nil
}

// Timer kinds: a run's wait, or an inactivity deadline.
const (
	timerRun  = ""
	timerIdle = "idle"
	timerNext = "next"
)

// PlanNextOrders sets, for every running before_next_order journey, the
// moment each person enters it: Days before their expected next order
// (from the latest predictions). Dates in the past are skipped.
func (e *Engine) PlanNextOrders(ctx context.Context, next map[string]time.Time) error {
	e.mu.Lock()
	defer e.mu.Unlock()
	now := e.cfg.Now()
	for _, j := range e.active() {
		if j.Trigger.Type != TriggerBeforeNextOrder {
			continue
		}
		b := e.db.NewIndexedBatch()
		days := time.Duration(j.Trigger.Days * float64(24*time.Hour))
		n := 0
		for pid, at := range next {
			when := at.Add(-days)
			if !when.After(now) {
				continue
			}
			if err := setDeadline(b, timerNext, j.ID, pid, when); err != nil {
				b.Close()
				return err
			}
			n++
		}
		err := b.Commit(e.syncOpt())
		b.Close()
		if err != nil {
			return err
		}
		e.cfg.Logger.Info("journey next-order dates planned", "journey", j.ID, "people", n)
	}
	return nil
}

func timerSuffix(kind string) string {
	if kind == "" {
		return ""
	}
	return "\x00" + kind
}

func splitTimer(rest string) (jid, pid, kind string) {
	parts := strings.SplitN(rest, "\x00", 3)
	jid = parts[0]
	if len(parts) > 1 {
		pid = parts[1]
	}
	if len(parts) > 2 {
		kind = parts[2]
	}
	return
}

// actionID is an action's idempotency key: the same journey, person, entry
// and step always give the same id, so a repeat after a crash is
// recognisable by the receiver.
func actionID(jid, pid string, entry int, step string) string {
	sum := sha256.Sum256(fmt.Appendf(nil, "%s\x00%s\x00%d\x00%s", jid, pid, entry, step))
	return "act_" + hex.EncodeToString(sum[:12])
}

// inControl draws a person into a journey's control group: stable for the
// journey, person and entry, so a replay draws the same.
func inControl(jid, pid string, entry int, percent float64) bool {
	if percent <= 0 {
		return false
	}
	sum := sha256.Sum256(fmt.Appendf(nil, "control\x00%s\x00%s\x00%d", jid, pid, entry))
	u := float64(binary.BigEndian.Uint64(sum[:8])>>11) / float64(1<<53)
	return u*100 < percent
}

// quietLogger keeps Pebble's informational lines out of the log.
type quietLogger struct{}

func (quietLogger) Infof(string, ...any)  {}
func (quietLogger) Errorf(string, ...any) {}
func (quietLogger) Fatalf(format string, args ...any) {
	panic(fmt.Sprintf(format, args...))
}

// rawJSON marshals v, for trigger records.
func rawJSON(v any) json.RawMessage {
	b, _ := json.Marshal(v)
	return b
}
