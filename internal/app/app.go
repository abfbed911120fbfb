// Package app assembles a tradewind node from its parts — event log, source
// registry, store, store writer, ingest, API — for `tradewind serve`, the
// demo, and the commands that open a data directory themselves.
package app

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"github.com/govalues/decimal"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"
	xrate "golang.org/x/time/rate"

	"github.com/tradewind/tradewind/internal/api"
	"github.com/tradewind/tradewind/internal/audiencesync"
	"github.com/tradewind/tradewind/internal/audit"
	"github.com/tradewind/tradewind/internal/auth"
	"github.com/tradewind/tradewind/internal/eventlog"
	"github.com/tradewind/tradewind/internal/fx"
	"github.com/tradewind/tradewind/internal/importer"
	"github.com/tradewind/tradewind/internal/ingest"
	"github.com/tradewind/tradewind/internal/ingest/records"
	"github.com/tradewind/tradewind/internal/journey"
	"github.com/tradewind/tradewind/internal/marketing"
	"github.com/tradewind/tradewind/internal/predict"
	"github.com/tradewind/tradewind/internal/privacy"
	"github.com/tradewind/tradewind/internal/privacy/keystore"
	"github.com/tradewind/tradewind/internal/privacy/suppress"
	"github.com/tradewind/tradewind/internal/realtime"
	"github.com/tradewind/tradewind/internal/retention"
	"github.com/tradewind/tradewind/internal/source"
	"github.com/tradewind/tradewind/internal/store"
	"github.com/tradewind/tradewind/internal/store/duckdb"
	"github.com/tradewind/tradewind/internal/voc"
	"github.com/tradewind/tradewind/internal/web"
)

// Config is a node's configuration.
type Config struct {
	DataDir       string
	Listen        string
	NATSURL       string // external JetStream; empty embeds one
	NATSListen    string // open a port on the embedded server
	Fsync         bool   // fsync every message (survives power loss)
	BaseCurrency  string
	DuckDBMemory  string
	DuckDBThreads int
	CORSOrigins   []string
	AdminToken    string // empty: read or generate DataDir/admin.token
	MaxRows       int
	Logger        *slog.Logger
	// BulkBatches gives the store writer and the profile engine the larger
	// batches of a bulk load (store.BulkMaxBatch, realtime.BulkMaxDelivery) for a
	// process that raised its Go memory limit to load (tradewind demo):
	// the default batches are sized for a 448 MiB limit, where the
	// messages held ready are the collector's work; with room to spare
	// they only cost commits — the demo took 4 min 39 s with them against
	// 4 min 8 s (464 vs 411 CPU-s, bench/README.md).
	BulkBatches bool
	// LogDuplicateWindow is JetStream's own deduplication window (default
	// eventlog.DefaultDuplicateWindow); the store and the profile engine
	// cover the rest of the 24 hours.
	LogDuplicateWindow time.Duration
	// LogMaxAge and LogMaxBytes bound the event log; zero keeps everything.
	LogMaxAge   time.Duration
	LogMaxBytes int64
	// MasterKeyFile holds the master keys that wrap the personal-data keys;
	// MasterKey holds them directly (an environment variable's value). With
	// neither, DataDir/keys/master.key is generated: convenient on a laptop,
	// but a production node keeps its master key off the data disk.
	MasterKeyFile, MasterKey string
	// PIIOverridesFile lists tier overrides for the PII classifier.
	PIIOverridesFile string
	// TLSCert and TLSKey serve HTTPS.
	TLSCert, TLSKey string
	// Stream and bucket names; tests sharing an external NATS set their own.
	Stream, SubjectPrefix, SourcesBucket string
	// BucketPrefix prefixes the other key-value buckets' names.
	BucketPrefix string
	// Argon2 sets the password hashing cost; zero is the production
	// default (tests lower it).
	Argon2 auth.Argon2Params
	// RetentionEvery is how often the retention job runs (default 6h).
	RetentionEvery time.Duration
	// Predict configures customer predictions and their schedule
	// (Predict.Every: default 24h, negative schedules none).
	Predict predict.Config
	// VoCEvery is how often brand health is checked (0: hourly; negative:
	// only on demand).
	VoCEvery time.Duration
	// Actions configures journeys: SMTP, public URL, send-time rules.
	Actions ActionsConfig
	// AudienceRoot is where audience sync files may be written (default
	// DataDir/exports).
	AudienceRoot string
	// SourcePrecedence lists source ids or kinds whose traits win over
	// others' in a profile, strongest first; SharedUserSpaces maps sources
	// that share one user-id space (a site and its app) to its name.
	SourcePrecedence []string
	SharedUserSpaces map[string]string
	// Now is the clock of segment time windows; nil is time.Now.
	Now func() time.Time
	// IngestRatePerIP and IngestRatePerSource bound tracking requests per
	// second from one client address and to one source (bursts of twice as
	// many); zero takes the defaults, negative disables the limit.
	IngestRatePerIP, IngestRatePerSource float64
}

// App is an open node.
type App struct {
	Cfg       Config
	Log       *eventlog.Log
	Sources   *source.Registry
	Store     *duckdb.DB
	Ingest    *ingest.Service
	Importer  *importer.Importer
	FX        *fx.Live
	Registry  *prometheus.Registry
	Logger    *slog.Logger
	TokenPath string
	// Privacy: keys, suppression list, data-subject requests and consent.
	Keys     *keystore.Store
	Suppress *suppress.List
	Privacy  *privacy.Service
	// Auth holds accounts, sessions and API tokens.
	Auth *auth.Service
	// Audit is the tamper-evident audit log, its head kept outside it.
	Audit           *audit.Log
	AuditPath       string
	AuditCheckpoint audit.Checkpointer
	Access          *audit.AccessMonitor
	Retention       *retention.Service
	// Profiles is the real-time profile engine: identity, traits,
	// segments.
	Profiles *realtime.Engine
	// Web is the dashboard.
	Web *web.UI
	// Predict keeps customer lifetime value and churn risk fresh.
	Predict *predict.Service
	// VoC watches brand health and raises alerts.
	VoC *voc.Monitor
	// Journeys runs journeys and delivers their actions.
	Journeys *journey.Engine
	// AudienceSync keeps segments' ad-platform customer lists current.
	AudienceSync *audiencesync.Service
	audMu        sync.Mutex
	mkt          *marketing.Service
	mktStamp     string
	mktMu        sync.Mutex
	// The log's size in bytes at the prediction schedule's previous look
	// (settled).
	growthMu    sync.Mutex
	growthBytes uint64
	growthAt    time.Time

	lock      *os.File
	unsubKey  []byte
	closeOnce sync.Once
	closeErr  error
	// workers is the context of the node's background work, which Close
	// cancels (cancel) before it waits for it (wg).
	workers  context.Context
	cancel   context.CancelFunc
	wg       sync.WaitGroup
	projMu   sync.Mutex
	writer   *store.Writer
	ingestMx *ingest.Metrics
}

// Open opens the data directory (taking its lock), the event log, the
// registry and the store, and starts the store writer and the node's
// scheduled work (retention, predictions, brand health, journeys,
// audience syncs); StartServing starts what only a serving node needs.
func Open(ctx context.Context, cfg Config) (*App, error) {
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	if cfg.BaseCurrency == "" {
		cfg.BaseCurrency = "USD"
	}
	if cfg.MaxRows == 0 {
		cfg.MaxRows = 10000
	}
	if cfg.SourcesBucket == "" {
		cfg.SourcesBucket = "tradewind_sources"
	}
	if err := os.MkdirAll(cfg.DataDir, 0o700); err != nil {
		return nil, fmt.Errorf("data directory %s: %w", cfg.DataDir, err)
	}
	a := &App{Cfg: cfg, Logger: cfg.Logger, Registry: prometheus.NewRegistry(), FX: &fx.Live{}}
	var err error
	if a.lock, err = LockDataDir(cfg.DataDir); err != nil {
		return nil, err
	}
	ok := false
	defer func() {
		if !ok {
			a.Close()
		}
	}()
	if err := a.loadToken(); err != nil {
		return nil, err
	}
	a.Log, err = eventlog.Open(ctx, eventlog.Config{
		Dir: filepath.Join(cfg.DataDir, "log"), URL: cfg.NATSURL, Listen: cfg.NATSListen, SyncAlways: cfg.Fsync,
		Stream: cfg.Stream, SubjectPrefix: cfg.SubjectPrefix, Logger: cfg.Logger, DuplicateWindow: cfg.LogDuplicateWindow,
		MaxAge: cfg.LogMaxAge, MaxBytes: cfg.LogMaxBytes,
	})
	if err != nil {
		return nil, err
	}
	if a.Sources, err = source.Open(ctx, a.Log.JetStream(), cfg.SourcesBucket); err != nil {
		return nil, err
	}
	a.Store, err = duckdb.Open(ctx, duckdb.Config{Dir: filepath.Join(cfg.DataDir, "store"), MemoryLimit: cfg.DuckDBMemory,
		Threads: cfg.DuckDBThreads, BaseCurrency: cfg.BaseCurrency, SyncIndex: cfg.Fsync, Logger: cfg.Logger})
	if err != nil {
		return nil, err
	}
	if err := a.loadFX(ctx); err != nil {
		return nil, err
	}
	a.Registry.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	a.ingestMx = ingest.NewMetrics(a.Registry)
	a.Registry.MustRegister(prometheus.NewGaugeFunc(prometheus.GaugeOpts{
		Name: "tradewind_log_lag_messages",
		Help: "JetStream messages of the event log (a request's bundle counts once) that the store has not applied yet.",
	}, a.logLag))
	a.Registry.MustRegister(prometheus.NewGaugeFunc(prometheus.GaugeOpts{
		Name: "tradewind_store_applied_messages",
		Help: "Messages of the event log the store has applied (its position, tradewind_store_applied_sequence, is not a count).",
	}, func() float64 { return float64(a.Store.AppliedMessages()) }))
	a.Ingest = &ingest.Service{Log: a.Log, Metrics: a.ingestMx}
	if err := a.openPrivacy(ctx); err != nil {
		return nil, err
	}
	a.Importer = &importer.Importer{Ingest: a.Ingest, Store: a.Store, Redact: a.Privacy.RedactRow}
	a.writer = &store.Writer{Log: a.Log, Store: a.Store, Logger: cfg.Logger, Metrics: store.NewWriterMetrics(a.Registry), MaxBatch: a.writerBatch(),
		Projector: &store.Projector{Source: a.sourceInfo, ToBase: a.toBase, TokenOf: privacy.TokenOf,
			Suppressed: a.Privacy.StoreSuppressed, Expired: a.Retention.Expired, ScoreText: voc.ScoreText}}
	if err := a.openProfiles(ctx); err != nil {
		return nil, err
	}
	a.openPredictions()
	a.openVoC()
	if err := a.openActions(ctx); err != nil {
		return nil, err
	}
	if a.Web, err = web.New(web.Options{Logger: cfg.Logger, SecureCookies: cfg.TLSCert != "",
		BaseCurrency: cfg.BaseCurrency, HasOwner: a.Auth.HasOwner}); err != nil {
		return nil, err
	}
	wctx, cancel := context.WithCancel(context.WithoutCancel(ctx))
	a.workers, a.cancel = wctx, cancel
	a.wg.Add(1)
	go func() {
		defer a.wg.Done()
		_ = a.writer.Run(wctx)
	}()
	every := cfg.RetentionEvery
	if every == 0 {
		every = 6 * time.Hour
	}
	a.wg.Add(1)
	go func() {
		defer a.wg.Done()
		a.Retention.Loop(wctx, every)
	}()
	a.Predict.Start(wctx)
	a.VoC.Start(wctx)
	a.startActions(wctx)
	a.startAudiences(wctx)
	a.wg.Add(1)
	go func() {
		defer a.wg.Done()
		if err := a.restorePredictions(wctx); err != nil && wctx.Err() == nil {
			a.Logger.Error("predictions to segments", "err", err)
		}
	}()
	ok = true
	return a, nil
}

// StartServing starts the background work of a node that serves the
// dashboard (`tradewind serve`, the demo), once, before it serves: the
// dashboard's first answers, computed ahead of its first visitor, and the
// marketing page's data, read once the node has started and again before
// it goes stale while the page is in use. On a large store they cost
// seconds to minutes of CPU (bench/dashboard, bench/marketing), which the
// one-shot commands that open a data directory (sql, import, predict …)
// and the tests would pay for answers nobody reads; Open does not start
// them.
func (a *App) StartServing() {
	a.wg.Add(2)
	go func() {
		defer a.wg.Done()
		a.API().Warm(a.workers)
	}()
	go func() {
		defer a.wg.Done()
		a.keepMarketingWarm(a.workers)
	}()
}

// logLag is how many JetStream messages of the event log (a bundle counts
// once) the store has not applied yet (-1 when the log cannot say).
func (a *App) logLag() float64 {
	lag, _, err := a.logState()
	if err != nil {
		return -1
	}
	return float64(lag)
}

// logState reads how many JetStream messages of the event log (a bundle
// counts once) the store has not applied yet — positions are not counts
// (eventlog/position.go) — and the bytes the log holds.
func (a *App) logState() (lag, bytes uint64, err error) {
	ctx, cancel := context.WithTimeout(context.Background(), time.Second)
	defer cancel()
	last, bytes, err := a.Log.Stats(ctx)
	if err != nil {
		return 0, 0, err
	}
	applied, _ := a.Store.AppliedSeq(ctx)
	return eventlog.StreamSeq(last) - eventlog.StreamSeq(min(applied, last)), bytes, nil
}

func (a *App) loadToken() error {
	a.TokenPath = filepath.Join(a.Cfg.DataDir, "admin.token")
	if a.Cfg.AdminToken != "" {
		return nil
	}
	b, err := os.ReadFile(a.TokenPath)
	if err == nil {
		a.Cfg.AdminToken = strings.TrimSpace(string(b))
		return nil
	}
	if !errors.Is(err, os.ErrNotExist) {
		return fmt.Errorf("admin token %s: %w", a.TokenPath, err)
	}
	var raw [24]byte
	_, _ = rand.Read(raw[:])
	a.Cfg.AdminToken = "twa_" + hex.EncodeToString(raw[:])
	if err := os.WriteFile(a.TokenPath, []byte(a.Cfg.AdminToken+"\n"), 0o600); err != nil {
		return fmt.Errorf("write admin token %s: %w", a.TokenPath, err)
	}
	a.Logger.Info("generated an admin token", "path", a.TokenPath)
	return nil
}

func (a *App) loadFX(ctx context.Context) error {
	rates, err := a.Store.FXRates(ctx)
	if err != nil {
		return err
	}
	if len(rates) == 0 {
		return nil
	}
	t, err := fx.NewTable(func(yield func(fx.Rate) bool) {
		for _, r := range rates {
			if !yield(fx.Rate{Day: r.Date, Currency: fx.Currency(r.Currency), Value: r.Rate}) {
				return
			}
		}
	})
	if err != nil {
		return fmt.Errorf("stored exchange rates: %w", err)
	}
	a.FX.Store(t)
	return nil
}

func (a *App) sourceInfo(id string) (store.SourceInfo, bool) {
	s, ok := a.Sources.ByID(id)
	if !ok {
		return store.SourceInfo{}, false
	}
	return store.SourceInfo{Store: s.Store, Currency: s.Currency, Marketplace: s.Marketplace}, true
}

func (a *App) toBase(amount decimal.Decimal, currency string, day time.Time) (decimal.Decimal, time.Time, bool) {
	if currency == a.Cfg.BaseCurrency {
		// No conversion, and no rate needed: the amount is its own base.
		return amount, day.UTC().Truncate(24 * time.Hour), true
	}
	t := a.FX.Load()
	if t == nil {
		return decimal.Decimal{}, time.Time{}, false
	}
	c, err := t.Convert(amount, fx.Currency(currency), fx.Currency(a.Cfg.BaseCurrency), day)
	if err != nil {
		return decimal.Decimal{}, time.Time{}, false
	}
	return c.Amount, c.RateDate, true
}

// Handler is the node's HTTP API: tracking, webhooks, admin API.
func (a *App) Handler() http.Handler {
	mux := http.NewServeMux()
	h := ingest.NewHTTP(a.Ingest, a.Sources, a.Store, a.Logger, 0)
	h.CORSOrigins = a.Cfg.CORSOrigins
	h.Limit = a.ingestLimit()
	h.Register(mux)
	h.RegisterWebhooks(mux)
	a.API().Register(mux)
	return securityHeaders(mux, a.Cfg.TLSCert != "")
}

// ingestLimit makes the tracking API's rate limits: generous defaults
// (2,000 requests/s per client address, 5,000 per source — with batches of
// 100 events, far above what one machine ingests) that only stop a runaway
// or hostile client from starving the others.
func (a *App) ingestLimit() func(kind, key string) (bool, time.Duration) {
	mk := func(rate, def float64) *auth.Limiter {
		if rate == 0 {
			rate = def
		}
		if rate < 0 {
			return nil
		}
		return auth.NewLimiter(xrate.Limit(rate), int(2*rate), auth.LimiterOptions{})
	}
	byIP := mk(a.Cfg.IngestRatePerIP, 2000)
	bySource := mk(a.Cfg.IngestRatePerSource, 5000)
	return func(kind, key string) (bool, time.Duration) {
		l := byIP
		if kind == "source" {
			l = bySource
		}
		if l == nil {
			return true, 0
		}
		return l.Allow(key)
	}
}

// API is the node's REST API server.
func (a *App) API() *api.Server {
	return &api.Server{Backend: a, Auth: a.Auth, Audit: a.Audit, Access: a.Access, Privacy: a.Privacy,
		Retention: a.Retention, Profiles: a.Profiles, Predict: a.Predict, OrderDays: a.Store.RefreshOrderDays, OwnMessages: a.Store.RefreshOwnMessages, EventDays: a.Store.RefreshEventDays, VoC: a.VoC, Marketing: a.marketing(), Journeys: a.Journeys, Unsubscribe: a.unsubscribeFunc(), Audiences: a.audiences(), Now: a.Cfg.Now, Web: a.Web, Logger: a.Logger, MaxRows: a.Cfg.MaxRows, SecureCookies: a.Cfg.TLSCert != "",
		Metrics:      promhttp.HandlerFor(a.Registry, promhttp.HandlerOpts{}),
		Limiter:      auth.NewLimiter(50, 200, auth.LimiterOptions{}),
		LoginLimiter: auth.NewLimiter(1, 10, auth.LimiterOptions{})}
}

// securityHeaders sets the headers every answer carries: no sniffing, no
// referrer, no framing, a strict content policy for the pages (scripts and
// styles from tradewind itself only) and, over TLS, HSTS.
func securityHeaders(next http.Handler, tls bool) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h := w.Header()
		h.Set("X-Content-Type-Options", "nosniff")
		h.Set("Referrer-Policy", "no-referrer")
		h.Set("X-Frame-Options", "DENY")
		h.Set("Content-Security-Policy", "default-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; frame-ancestors 'none'; form-action 'self'; base-uri 'none'")
		h.Set("Cross-Origin-Opener-Policy", "same-origin")
		if tls {
			h.Set("Strict-Transport-Security", "max-age=31536000; includeSubDomains")
		}
		next.ServeHTTP(w, r)
	})
}

// Close stops the writer and closes everything in reverse order. Calls
// after the first do nothing.
func (a *App) Close() error {
	a.closeOnce.Do(func() { a.closeErr = a.close() })
	return a.closeErr
}

func (a *App) close() error {
	if a.cancel != nil {
		a.cancel()
		a.wg.Wait()
	}
	var errs []error
	errs = append(errs, a.closeActions())
	if a.Profiles != nil {
		errs = append(errs, a.Profiles.Close())
	}
	if a.Privacy != nil {
		a.Privacy.Close()
	}
	if a.Audit != nil {
		errs = append(errs, a.Audit.Close())
	}
	if a.Auth != nil {
		errs = append(errs, a.Auth.Close())
	}
	if a.Store != nil {
		errs = append(errs, a.Store.Close())
	}
	if a.Log != nil {
		errs = append(errs, a.Log.Close())
	}
	if a.Suppress != nil {
		errs = append(errs, a.Suppress.Close())
	}
	if a.Keys != nil {
		errs = append(errs, a.Keys.Close())
	}
	if a.lock != nil {
		errs = append(errs, UnlockDataDir(a.lock))
	}
	return errors.Join(errs...)
}

// CreateSource implements api.Backend.
func (a *App) CreateSource(ctx context.Context, s source.Source) (source.Source, error) {
	src, err := a.Sources.Create(ctx, s)
	if err != nil {
		return src, err
	}
	err = a.Store.SaveSource(ctx, store.SourceRow{ID: src.ID, Name: src.Name, Kind: src.Kind, Store: src.Store,
		Currency: src.Currency, Marketplace: src.Marketplace, Country: src.Country, CreatedAt: src.CreatedAt})
	return src, err
}

// SourceList implements api.Backend.
func (a *App) SourceList() []source.Source { return a.Sources.List() }

// Query implements api.Backend.
func (a *App) Query(ctx context.Context, sql string, maxRows int) (*store.Result, error) {
	return a.Store.Query(ctx, sql, maxRows)
}

// Ready implements api.Backend: the log and the store both answer.
func (a *App) Ready(ctx context.Context) error {
	if err := a.Log.Ready(ctx); err != nil {
		return err
	}
	if err := a.Store.SQL().PingContext(ctx); err != nil {
		return fmt.Errorf("store: %w", err)
	}
	return nil
}

// Import implements api.Backend.
func (a *App) Import(ctx context.Context, req api.ImportRequest) (*api.ImportReport, error) {
	src, ok := a.Sources.ByID(req.SourceID)
	if !ok {
		return nil, &api.BadRequestError{Field: "source", Err: fmt.Errorf("unknown source %q", req.SourceID)}
	}
	var m *records.Mapping
	if req.Mapping != "" {
		var err error
		if m, err = records.ReadyMapping(req.Mapping); err != nil {
			if m, err = records.ParseMapping(req.Mapping); err != nil {
				return nil, &api.BadRequestError{Field: "mapping", Err: err}
			}
		}
	}
	format := records.Format(req.Format)
	if format == "" {
		format = records.FormatAuto
	}
	rep, err := a.Importer.Run(ctx, importer.Request{Source: src, Kind: records.Kind(req.Kind), Format: format,
		Mapping: m, Input: req.Body, KeepRaw: req.KeepRaw})
	if err != nil {
		var re *records.RowError
		if errors.As(err, &re) || strings.Contains(err.Error(), "column") || strings.Contains(err.Error(), "kind") {
			return nil, &api.BadRequestError{Field: "file", Err: err}
		}
		return nil, err
	}
	return rep, nil
}

// ImportFX implements api.Backend.
func (a *App) ImportFX(ctx context.Context, req api.ImportFXRequest) (*api.FXReport, error) {
	body, err := io.ReadAll(req.Body)
	if err != nil {
		return nil, err
	}
	t, err := fx.Parse(bytes.NewReader(body))
	if err != nil {
		return nil, &api.BadRequestError{Field: "file", Err: err}
	}
	var rates []store.FXRate
	for r := range t.Rates() {
		rates = append(rates, store.FXRate{Date: r.Day, Currency: string(r.Currency), Rate: r.Value})
	}
	a.FX.Merge(t)
	n, err := a.Store.SaveFXRates(ctx, rates, a.toBase)
	if err != nil {
		return nil, err
	}
	first, last := t.Span()
	return &api.FXReport{Rates: len(rates), First: first.Format(time.DateOnly), Last: last.Format(time.DateOnly), Reconverted: n}, nil
}

// writerBatch is the store writer's batch limit (0: its default).
func (a *App) writerBatch() int {
	if a.Cfg.BulkBatches {
		return store.BulkMaxBatch
	}
	return 0
}

// engineDelivery is the profile engine's delivery limit (0: its default).
func (a *App) engineDelivery() int {
	if a.Cfg.BulkBatches {
		return realtime.BulkMaxDelivery
	}
	return 0
}
