// Command tradewind is the growth-data platform for cross-border sellers in
// one binary: `tradewind serve` runs a node, `tradewind demo` a realistic
// synthetic seller, and the other commands operate on a node — through its
// API while a server holds the data directory, on the directory itself
// otherwise. This package only parses flags and wires; the work is in
// internal/.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"log/slog"
	"os"
	"os/signal"
	"runtime/debug"
	"runtime/pprof"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/peterbourgon/ff/v3"
	"github.com/peterbourgon/ff/v3/ffcli"

	"github.com/tradewind/tradewind/internal/app"
	"github.com/tradewind/tradewind/internal/predict"
	"github.com/tradewind/tradewind/internal/predict/btyd"
)

// version is set at build time with -ldflags "-X main.version=…".
var version = "dev"

func main() {
	tuneGC()
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	// TRADEWIND_CPU_PROFILE=FILE profiles a whole command (a demo, an
	// import) for whoever investigates its speed.
	if path := os.Getenv("TRADEWIND_CPU_PROFILE"); path != "" {
		if f, err := os.Create(path); err == nil {
			if pprof.StartCPUProfile(f) == nil {
				defer pprof.StopCPUProfile()
			}
		}
	}
	err := run(ctx, os.Args[1:])
	if path := os.Getenv("TRADEWIND_CPU_PROFILE"); path != "" {
		pprof.StopCPUProfile()
	}
	if err != nil {
		if !errors.Is(err, flag.ErrHelp) {
			fmt.Fprintln(os.Stderr, "tradewind:", err)
		}
		os.Exit(exitCode(err))
	}
}

// tuneGC trades heap for CPU: the ingest path allocates per message, and
// with Go's default GOGC=100 the collector took a tenth of the CPU under
// load. A soft memory limit keeps the heap bounded all the same. GOGC and
// GOMEMLIMIT in the environment override both.
//
// The limit is what the process's resident memory is made of beside C
// memory: under load the heap grows to it (GOGC=400 puts the goal far
// above the live heap), and DuckDB (its memory_limit), Pebble's caches
// and memtables, and the binary's own pages take another 470–535 MiB at
// 20,000 events/s (bench/ingest/README.md). 448 MiB keeps the whole
// process under 1 GiB; but the live heap under that load is ~300–400 MB,
// so the collector runs far more often than at 1 GiB: at saturation the
// server spent 27–43% more CPU per event and took a third fewer events/s.
// That trade is this constant's (640 MiB: RSS ~1.15 GiB at ~+3%).
func tuneGC() {
	if os.Getenv("GOGC") == "" {
		debug.SetGCPercent(400)
	}
	if os.Getenv("GOMEMLIMIT") == "" {
		debug.SetMemoryLimit(defaultMemoryLimit)
	}
}

// defaultMemoryLimit is the Go memory limit without GOMEMLIMIT.
const defaultMemoryLimit = 448 << 20

// loadMemoryLimit raises the Go memory limit to bulkLoadMemoryLimit for a
// bulk load in this process — the demo's, an import into a data directory
// no server holds — and returns what restores it. GOMEMLIMIT in the
// environment wins: with it set, nothing changes (that is how a user with
// less memory to spare lowers it).
//
// At the serving limit (defaultMemoryLimit) the live heap of a load is
// about the limit itself: during a 50,000-people demo load it reaches
// ~0.45 GB (gctrace), and a 1,000,000-row import keeps ~360 MB live, so the
// collector ran every ~35 MB allocated — 12–18% of the demo's CPU even
// under an earlier 1 GiB limit, and 20 CPU-s of the import's ~156 against
// 3.7 at 2 GiB (bench/ingest/README.md). A higher limit for the load alone
// lets GOGC=400 space the collections out; a node that goes on to serve
// (the demo) serves with the usual limit afterwards.
func loadMemoryLimit() (restore func()) {
	if os.Getenv("GOMEMLIMIT") != "" {
		return func() {}
	}
	old := debug.SetMemoryLimit(-1)
	if old >= bulkLoadMemoryLimit {
		return func() {}
	}
	debug.SetMemoryLimit(bulkLoadMemoryLimit)
	return func() { debug.SetMemoryLimit(old) }
}

// bulkLoadMemoryLimit is the Go memory limit while a load runs
// (loadMemoryLimit): 2.5 GiB, which with DuckDB's and Pebble's own memory
// put a 1,000,000-row import at 2.9–3.0 GiB resident (1.1–1.2 GiB at the
// serving limit; bench/orders-csv/README.md) — comfortable on the 24 GiB
// machine the figures come from, not on a 4 GiB one, where GOMEMLIMIT=1GiB
// (say) keeps it lower at the cost of collections.
const bulkLoadMemoryLimit = 2560 << 20

// exitError carries a specific exit code.
type exitError struct {
	code int
	err  error
}

func (e *exitError) Error() string { return e.err.Error() }
func (e *exitError) Unwrap() error { return e.err }

func exitCode(err error) int {
	var ee *exitError
	if errors.As(err, &ee) {
		return ee.code
	}
	if errors.Is(err, flag.ErrHelp) {
		return 2
	}
	return 1
}

func run(ctx context.Context, args []string) error {
	root := &ffcli.Command{
		Name:       "tradewind",
		ShortUsage: "tradewind <command> [flags]",
		ShortHelp:  "self-hosted growth data for cross-border e-commerce sellers",
		Subcommands: []*ffcli.Command{
			serveCommand(), demoCommand(), importCommand(), sqlCommand(), sourcesCommand(),
			backupCommand(), restoreCommand(), privacyCommand(), consentCommand(), auditCommand(),
			usersCommand(), retentionCommand(), keysCommand(), profilesCommand(), segmentsCommand(),
			identityCommand(), rfmCommand(), clustersCommand(), predictCommand(), vocCommand(), versionCommand(),
			attributionCommand(), experimentCommand(),
			roiCommand(), influencersCommand(), complianceCommand(), journeysCommand(), audiencesCommand(),
		},
		Exec: func(context.Context, []string) error { return flag.ErrHelp },
	}
	if err := root.Parse(args); err != nil {
		return err
	}
	return root.Run(ctx)
}

// nodeFlags are the flags of every command that opens a node.
type nodeFlags struct {
	data, listen, natsURL, natsListen, fsync, base, duckMem, cors, logLevel string
	duckThreads                                                             int
	logMaxAge                                                               time.Duration
	logMaxBytes                                                             int64
	masterKeyFile, tlsCert, tlsKey, piiOverrides                            string
	ingestRateIP, ingestRateSource                                          float64
	predictEvery                                                            time.Duration
	predictPeriod, marginByCategory                                         string
	churnHorizon, clvMonths                                                 int
	margin, discountRate                                                    float64
	smtpURL, mailFrom, publicURL, postalAddress, holidaysDir, quietHours    string
	complianceRules, audienceRoot, emailCaps                                string
	avoidHolidays, webhookAllowPrivate                                      bool
}

func (n *nodeFlags) register(fs *flag.FlagSet) {
	fs.StringVar(&n.data, "data", "tradewind-data", "data directory (TRADEWIND_DATA)")
	fs.StringVar(&n.listen, "listen", "127.0.0.1:8080", "HTTP listen address (TRADEWIND_LISTEN)")
	fs.StringVar(&n.natsURL, "nats-url", "", "external NATS JetStream URL; empty embeds one in the process")
	fs.StringVar(&n.natsListen, "nats-listen", "", "open a client port on the embedded NATS, e.g. 127.0.0.1:4250 (none by default)")
	fs.StringVar(&n.fsync, "fsync", "never", "fsync the event log per message: never (survives a process crash) or always (also power loss)")
	fs.StringVar(&n.base, "base-currency", "USD", "currency every amount is converted into")
	fs.StringVar(&n.duckMem, "duckdb-memory", "256MB", "DuckDB memory_limit")
	fs.IntVar(&n.duckThreads, "duckdb-threads", 2, "DuckDB threads")
	fs.StringVar(&n.cors, "cors-origins", "", "comma-separated browser origins allowed to send events (analytics.js), or *")
	fs.StringVar(&n.logLevel, "log-level", "info", "debug, info, warn or error")
	fs.DurationVar(&n.logMaxAge, "log-max-age", 0, "drop event-log messages older than this (e.g. 8760h); 0 keeps the log, the source of truth, forever")
	fs.Int64Var(&n.logMaxBytes, "log-max-bytes", 0, "bound the event log's size in bytes, dropping the oldest messages; 0 is unbounded")
	fs.StringVar(&n.masterKeyFile, "master-key-file", "", "file of master keys that wrap the personal-data keys (TRADEWIND_MASTER_KEY_FILE; or the keys themselves in TRADEWIND_MASTER_KEY); default DATA/keys/master.key, generated")
	fs.StringVar(&n.tlsCert, "tls-cert", "", "TLS certificate file (PEM); with --tls-key, serve HTTPS")
	fs.StringVar(&n.tlsKey, "tls-key", "", "TLS private key file (PEM)")
	fs.Float64Var(&n.ingestRateIP, "ingest-rate-ip", 2000, "tracking requests per second allowed from one client address (bursts of twice as many); -1 disables")
	fs.Float64Var(&n.ingestRateSource, "ingest-rate-source", 5000, "tracking requests per second allowed to one source; -1 disables")
	fs.DurationVar(&n.predictEvery, "predict-every", 24*time.Hour, "how often customer predictions (lifetime value, churn risk) are refreshed; negative: only on demand")
	fs.StringVar(&n.predictPeriod, "predict-period", "week", "time unit of the lifetime models: week or day")
	fs.IntVar(&n.churnHorizon, "churn-horizon-days", 90, "churn means no order in this many days (also the holdout the lifetime models are compared on)")
	fs.IntVar(&n.clvMonths, "clv-months", 12, "lifetime-value horizon in months")
	fs.Float64Var(&n.margin, "margin", 1.0, "share of revenue that is margin, for lifetime value (1 counts revenue)")
	fs.StringVar(&n.marginByCategory, "margin-by-category", "", "margin per product category, e.g. 'shoes=0.35,bags=0.5' (others take --margin)")
	fs.Float64Var(&n.discountRate, "discount-rate", 0.10, "annual discount rate of future margin")
	fs.StringVar(&n.piiOverrides, "pii-overrides", "", "file of PII tier overrides, one 'path = high|medium|low' per line (path segments may be *)")
	fs.StringVar(&n.smtpURL, "smtp-url", "", "SMTP server for journey e-mail: smtp://user:password@host:587 (STARTTLS), smtps://…:465 or smtp+plain://localhost:25 (TRADEWIND_SMTP_URL keeps the password out of the process list)")
	fs.StringVar(&n.mailFrom, "mail-from", "", "sender of journey e-mail, e.g. 'Shop <news@shop.example>'")
	fs.StringVar(&n.publicURL, "public-url", "", "URL people reach this node at, for unsubscribe links (default http://LISTEN)")
	fs.StringVar(&n.postalAddress, "postal-address", "", "sender's postal address for e-mail footers (US commercial e-mail must carry one)")
	fs.StringVar(&n.holidaysDir, "holidays-dir", "", "directory of public holidays per country (XX_*.json, {\"YYYY-MM-DD\": \"name\"}) for send-time rules")
	fs.StringVar(&n.quietHours, "quiet-hours", "21:00-09:00", "no person-facing message in these hours of the person's own time zone; empty for none")
	fs.BoolVar(&n.avoidHolidays, "avoid-holidays", true, "hold person-facing messages on public holidays of the person's country (needs --holidays-dir)")
	fs.StringVar(&n.complianceRules, "compliance-rules", "", "directory of extra content compliance rules (see docs/compliance.md)")
	fs.StringVar(&n.emailCaps, "email-caps", "1/24h,3/7d", "frequency caps on journey e-mail per person, across journeys: N/WINDOW,…")
	fs.BoolVar(&n.webhookAllowPrivate, "webhook-allow-private", false, "let webhook destinations be loopback, private-network or link-local addresses (off: refused, and checked again at every connection)")
	fs.StringVar(&n.audienceRoot, "audience-root", "", "directory audience sync files may be written under (default DATA/exports)")
}

func (n *nodeFlags) config() (app.Config, error) {
	cfg := app.Config{DataDir: n.data, Listen: n.listen, NATSURL: n.natsURL, NATSListen: n.natsListen,
		BaseCurrency: strings.ToUpper(n.base), DuckDBMemory: n.duckMem, DuckDBThreads: n.duckThreads,
		AdminToken: os.Getenv("TRADEWIND_ADMIN_TOKEN"), Logger: newLogger(n.logLevel),
		LogMaxAge: n.logMaxAge, LogMaxBytes: n.logMaxBytes,
		MasterKeyFile: n.masterKeyFile, MasterKey: os.Getenv("TRADEWIND_MASTER_KEY"),
		TLSCert: n.tlsCert, TLSKey: n.tlsKey, PIIOverridesFile: n.piiOverrides,
		IngestRatePerIP: n.ingestRateIP, IngestRatePerSource: n.ingestRateSource,
		Actions: app.ActionsConfig{SMTPURL: n.smtpURL, MailFrom: n.mailFrom, PublicURL: n.publicURL,
			PostalAddress: n.postalAddress, HolidaysDir: n.holidaysDir, QuietHours: n.quietHours,
			AvoidHolidays: n.avoidHolidays, ComplianceRules: n.complianceRules, EmailCaps: n.emailCaps,
			AllowPrivateWebhooks: n.webhookAllowPrivate},
		AudienceRoot: n.audienceRoot}
	if cfg.Actions.PublicURL == "" {
		scheme := "http://"
		if n.tlsCert != "" {
			scheme = "https://"
		}
		cfg.Actions.PublicURL = scheme + n.listen
	}
	period, err := btyd.ParsePeriod(n.predictPeriod)
	if err != nil {
		return cfg, fmt.Errorf("--predict-period: %w", err)
	}
	if n.churnHorizon < 1 || n.clvMonths < 1 || n.margin <= 0 || n.margin > 1 || n.discountRate < 0 {
		return cfg, errors.New("--churn-horizon-days and --clv-months must be at least 1, --margin in (0, 1], --discount-rate ≥ 0")
	}
	byCat, err := parseMargins(n.marginByCategory)
	if err != nil {
		return cfg, err
	}
	every := n.predictEvery
	if every == 0 {
		every = -1 // 0 in the config means the default; on the command line, never
	}
	cfg.Predict = predict.Config{Period: period, ChurnHorizonDays: n.churnHorizon, CLVMonths: n.clvMonths,
		Margin: n.margin, MarginByCategory: byCat, AnnualDiscount: n.discountRate, Every: every}
	if (n.tlsCert == "") != (n.tlsKey == "") {
		return cfg, errors.New("--tls-cert and --tls-key go together")
	}
	switch n.fsync {
	case "never":
	case "always":
		cfg.Fsync = true
	default:
		return cfg, fmt.Errorf("--fsync must be never or always, not %q", n.fsync)
	}
	for _, o := range strings.Split(n.cors, ",") {
		if o = strings.TrimSpace(o); o != "" {
			cfg.CORSOrigins = append(cfg.CORSOrigins, o)
		}
	}
	return cfg, nil
}

// parseMargins reads --margin-by-category: category=share pairs.
func parseMargins(s string) (map[string]float64, error) {
	if strings.TrimSpace(s) == "" {
		return nil, nil
	}
	out := map[string]float64{}
	for _, kv := range strings.Split(s, ",") {
		k, v, ok := strings.Cut(kv, "=")
		k = strings.TrimSpace(k)
		f, err := strconv.ParseFloat(strings.TrimSpace(v), 64)
		if !ok || k == "" || err != nil || f < 0 || f > 1 {
			return nil, fmt.Errorf("--margin-by-category: %q is not category=share with a share from 0 to 1", strings.TrimSpace(kv))
		}
		out[k] = f
	}
	return out, nil
}

func newLogger(level string) *slog.Logger {
	var l slog.Level
	if err := l.UnmarshalText([]byte(level)); err != nil {
		l = slog.LevelInfo
	}
	return slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: l}))
}

// parseOpts reads flags from TRADEWIND_* environment variables too.
var parseOpts = []ff.Option{ff.WithEnvVarPrefix("TRADEWIND")}

func versionCommand() *ffcli.Command {
	return &ffcli.Command{
		Name: "version", ShortUsage: "tradewind version", ShortHelp: "print the version",
		Exec: func(context.Context, []string) error {
			fmt.Println("tradewind", buildVersion())
			return nil
		},
	}
}

// buildVersion is the version set at link time, else the commit the binary
// was built from, as the Go toolchain records it.
func buildVersion() string {
	if version != "dev" {
		return version
	}
	info, ok := debug.ReadBuildInfo()
	if !ok {
		return version
	}
	rev, dirty := "", false
	for _, s := range info.Settings {
		switch s.Key {
		case "vcs.revision":
			rev = s.Value
		case "vcs.modified":
			dirty = s.Value == "true"
		}
	}
	if rev == "" {
		return version
	}
	if len(rev) > 12 {
		rev = rev[:12]
	}
	if dirty {
		rev += "-dirty"
	}
	return "dev-" + rev + " (" + info.GoVersion + ")"
}
