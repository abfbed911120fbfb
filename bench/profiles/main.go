// Command profiles measures the benchmark line of the unified-profiles
// issue on one node (internal/app: embedded JetStream, DuckDB and the
// real-time profile engine, wired as `tradewind serve` wires them):
//
//  1. real-time update latency: with --people profiles loaded and --segments
//     live segments saved, events to existing profiles at --rate for
//     --duration, and per event the time from the log's acknowledgement
//     (ingest.Service.Accept returning) until the engine has applied it with
//     the memberships evaluated (realtime.Engine.Applied() ≥ its sequence).
//     Goal: p99 < 250 ms.
//  2. resident memory of the whole process (VmRSS sampled every second,
//     VmHWM per phase) during the load and the live phase. Goal: < 3 GiB.
//  3. RFM through the API's code path: rfm.Summary (the SQL GET /v1/rfm runs)
//     through App.Store.QueryArgs on the node's own orders view, first over
//     the orders the load made, then after topping order_rows up to
//     --rfm-orders synthetic orders of the loaded people (and 5% refunds).
//     Goal: < 10 s for 1,000,000 profiles and 20,000,000 orders. (The pure
//     SQL figure is internal/profile/rfm's BenchmarkRFM1M; run-profiles.sh
//     runs both.)
//
// # Data
//
// One source (EUR, base currency EUR, so every order has its base amount).
// Person p (everything derives from --seed and p) has a userId, an
// anonymousId, an e-mail (encrypted at ingest, matched by its blind index),
// a country and locale, 1–4 "Product Viewed" and 0–5 "Order Completed"
// (mean 1.67; marketplace amazon_de, amazon_uk, shopify_eu or
// tiktok_shop_uk in the properties) spread over up to a year ending 0–120
// days ago: a page view before signing up (anonymousId only), an identify
// with traits, then the activities; about 6.2 messages per person. The load
// sends round by round (everyone's first message, then everyone's second,
// …), so one person's messages lie far apart in the log, as they would when
// weeks apart, and --workers goroutines call Accept with --batch messages.
//
// The segments are saved through Engine.SaveSegment before the load (so
// the load itself keeps them current; saving them after it would make
// each save re-evaluate every profile — --late-segment times one such save
// after the live phase). They are a mix of computed-trait conditions,
// marketplace lists, event counts in windows with property conditions,
// relative times, traits, NOT, and segments of segments (see segmentRules).
//
// # Live phase
//
// A scheduler releases one batch of --live-batch events every
// live-batch/rate seconds to --live-workers goroutines that call Accept
// (open loop: a late batch is counted, never skipped). Events go to
// uniformly random existing people: 60% "Product Viewed", 15% page views,
// 15% "Product Added", 10% "Order Completed", each with userId and
// anonymousId, timestamped now. A tracker keeps every acknowledged
// (sequence, ack time) in a heap and a poller reads Engine.Applied() every
// millisecond: the latency of an event is the poll time at which Applied()
// reached its sequence minus its ack time (0 when the engine applied it
// before Accept returned). The engine's own histogram
// tradewind_profiles_update_seconds (receipt → applied, bucketed) is read
// before and after the phase as a cross-check.
//
// --cpuprofile writes a CPU profile of the live phase, --heapprofile a
// heap profile at its end. --keep keeps the data directory; --data DIR of a
// finished load (same --people, --seed, --segments) skips the load.
package main

import (
	"container/heap"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"log/slog"
	"math"
	"math/rand/v2"
	"net/http"
	_ "net/http/pprof"
	"os"
	"path/filepath"
	"runtime"
	"runtime/metrics"
	"runtime/pprof"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/tradewind/tradewind/bench/machine"
	"github.com/tradewind/tradewind/internal/app"
	"github.com/tradewind/tradewind/internal/audience"
	"github.com/tradewind/tradewind/internal/eventlog"
	"github.com/tradewind/tradewind/internal/ingest"
	"github.com/tradewind/tradewind/internal/profile/rfm"
	"github.com/tradewind/tradewind/internal/realtime"
	"github.com/tradewind/tradewind/internal/source"
	"github.com/tradewind/tradewind/internal/store"
)

var (
	dataDir     = flag.String("data", "", "data directory (default: a new one under /tmp, removed at the end unless --keep)")
	keep        = flag.Bool("keep", false, "keep the data directory")
	people      = flag.Int("people", 1_000_000, "people (profiles) to load")
	segments    = flag.Int("segments", 50, "live segments to save before the load")
	rate        = flag.Float64("rate", 20000, "events per second in the live phase")
	duration    = flag.Duration("duration", 60*time.Second, "length of the live phase")
	liveBatch   = flag.Int("live-batch", 100, "events per Accept call in the live phase (the Segment SDKs' batch)")
	liveWorkers = flag.Int("live-workers", 64, "goroutines calling Accept in the live phase")
	batch       = flag.Int("batch", 2000, "messages per Accept call in the load")
	workers     = flag.Int("workers", 4, "goroutines calling Accept in the load")
	seed        = flag.Uint64("seed", 1, "seed of the generated people")
	memory      = flag.String("duckdb-memory", "256MB", "DuckDB memory_limit (tradewind serve's default)")
	threads     = flag.Int("duckdb-threads", 2, "DuckDB threads (tradewind serve's default)")
	rfmOrders   = flag.Int("rfm-orders", 20_000_000, "top order_rows up to this many orders for the RFM API-path figure (0: skip)")
	rfmRuns     = flag.Int("rfm-runs", 3, "runs of each RFM query")
	rfmExplain  = flag.Bool("rfm-explain", false, "print EXPLAIN ANALYZE of each RFM query after its runs")
	rfmWhatIf   = flag.Bool("rfm-whatif", false, "also time RFM on a view with an equi-join on profile_anons even when the orders view already plans only hash joins")
	rfmTimeout  = flag.Duration("rfm-timeout", 5*time.Minute, "give up an RFM query after this long")
	lateTimeout = flag.Duration("late-timeout", 20*time.Minute, "give up the --late-segment save after this long")
	extraRates  = flag.String("extra-rates", "", "comma-separated rates of further live phases after the main one (each --extra-duration long), e.g. 1000,2000,5000: the rate the engine sustains")
	extraDur    = flag.Duration("extra-duration", 30*time.Second, "length of each --extra-rates phase")
	drainLimit  = flag.Duration("drain-limit", time.Hour, "how long to wait for the engine to apply the last event of a live phase")
	lateSeg     = flag.Bool("late-segment", true, "after the live phase, time saving one more segment (re-evaluates every profile)")
	cpuprofile  = flag.String("cpuprofile", "", "write a CPU profile of the live phase to this file")
	heapprofile = flag.String("heapprofile", "", "write a heap profile at the end of the live phase to this file")
	loadprofile = flag.String("load-cpuprofile", "", "write a CPU profile of the load (until the engine caught up) to this file")
	pprofAddr   = flag.String("pprof", "", "serve net/http/pprof on this loopback address (e.g. 127.0.0.1:6061) for ad-hoc profiles")
	logLevel    = flag.String("log-level", "warn", "log level of the node")
	quietWait   = flag.Duration("quiet-wait", 10*time.Minute, "before the live phase and the RFM runs, wait up to this long for other processes to use fewer than --quiet-cores cores")
	quietCores  = flag.Float64("quiet-cores", 0.3, "see --quiet-wait")
)

const markerFile = "bench-profiles.json"

// marker records a finished load in the data directory.
type marker struct {
	People   int    `json:"people"`
	Seed     uint64 `json:"seed"`
	Segments int    `json:"segments"`
	Source   string `json:"source"`
	Messages uint64 `json:"messages"`
	LastSeq  uint64 `json:"last_seq"`
	// Base is the load's clock: the people's activity ends before it.
	Base time.Time `json:"base"`
}

func main() {
	flag.Parse()
	if err := run(); err != nil {
		fmt.Fprintln(os.Stderr, "profiles:", err)
		os.Exit(1)
	}
}

func run() error {
	ctx := context.Background()
	dir := *dataDir
	if dir == "" {
		d, err := os.MkdirTemp("/tmp", "twbench-profiles.")
		if err != nil {
			return err
		}
		dir = d
	}
	if !*keep {
		defer func() {
			if err := os.RemoveAll(dir); err == nil {
				fmt.Printf("removed the data directory %s\n", dir)
			}
		}()
	}
	var lvl slog.Level
	_ = lvl.UnmarshalText([]byte(*logLevel))
	logger := slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: lvl}))
	fmt.Printf("# %s | %d cores, GOMAXPROCS %d | load %s | data %s | people %d, seed %d, segments %d | load batch %d × %d workers | live %.0f/s for %s, batch %d, %d workers | duckdb %s/%d threads\n",
		time.Now().UTC().Format(time.RFC3339), runtime.NumCPU(), runtime.GOMAXPROCS(0), machine.LoadAvg(), dir, *people, *seed, *segments,
		*batch, *workers, *rate, *duration, *liveBatch, *liveWorkers, *memory, *threads)

	if *pprofAddr != "" {
		runtime.SetBlockProfileRate(int(time.Millisecond))
		runtime.SetMutexProfileFraction(100)
		go func() { _ = http.ListenAndServe(*pprofAddr, nil) }()
	}
	mem := newMemSampler()
	defer mem.stop()

	t0 := time.Now()
	a, err := app.Open(ctx, app.Config{DataDir: dir, DuckDBMemory: *memory, DuckDBThreads: *threads, BaseCurrency: "EUR", Logger: logger})
	if err != nil {
		return err
	}
	defer func() {
		t := time.Now()
		if err := a.Close(); err != nil {
			fmt.Printf("close: %v\n", err)
		}
		fmt.Printf("node closed in %.1fs\n", time.Since(t).Seconds())
	}()
	fmt.Printf("node open in %.1fs; RSS %d MiB\n", time.Since(t0).Seconds(), int64(machine.Mem(0, machine.RSS)))

	var m marker
	if b, err := os.ReadFile(filepath.Join(dir, markerFile)); err == nil {
		if err := json.Unmarshal(b, &m); err != nil {
			return err
		}
		if m.People != *people || m.Seed != *seed || m.Segments != *segments {
			return fmt.Errorf("%s holds %d people of seed %d with %d segments, not %d/%d/%d", dir, m.People, m.Seed, m.Segments, *people, *seed, *segments)
		}
		fmt.Printf("reusing the load in %s: %d people, %d messages\n", dir, m.People, m.Messages)
		if err := waitCaughtUp(ctx, a, m.LastSeq, 30*time.Minute); err != nil {
			return err
		}
	} else {
		if err := saveSegments(ctx, a, *segments); err != nil {
			return err
		}
		mem.phase("load")
		stopProf, err := startCPUProfile(*loadprofile)
		if err != nil {
			return err
		}
		m, err = load(ctx, a)
		stopProf()
		if err != nil {
			return err
		}
		b, _ := json.Marshal(m)
		if err := os.WriteFile(filepath.Join(dir, markerFile), b, 0o600); err != nil {
			return err
		}
		mem.report("load (ingest until the engine, the store and the profile flush caught up)")
	}
	src, ok := a.Sources.ByID(m.Source)
	if !ok {
		return fmt.Errorf("source %s not found", m.Source)
	}
	if err := describeState(ctx, a, dir); err != nil {
		return err
	}

	if *duration > 0 {
		waitQuiet()
		mem.phase("live")
		if err := live(ctx, a, src, m, *rate, *duration, *cpuprofile, *heapprofile); err != nil {
			return err
		}
		mem.report("live phase")
		if err := memBreakdown(ctx, a); err != nil {
			fmt.Printf("memory breakdown: %v\n", err)
		}
	}
	for _, f := range strings.Split(*extraRates, ",") {
		if f = strings.TrimSpace(f); f == "" {
			continue
		}
		r, err := strconv.ParseFloat(f, 64)
		if err != nil {
			return fmt.Errorf("--extra-rates: %w", err)
		}
		if err := settle(ctx, a); err != nil {
			return err
		}
		waitQuiet()
		mem.phase(fmt.Sprintf("live %.0f/s", r))
		if err := live(ctx, a, src, m, r, *extraDur, "", ""); err != nil {
			return err
		}
		mem.report(fmt.Sprintf("live phase at %.0f/s", r))
	}

	if *lateSeg {
		if err := lateSegment(ctx, a); err != nil {
			return err
		}
	}
	if *rfmOrders > 0 {
		mem.phase("rfm")
		if err := rfmAPI(ctx, a, m); err != nil {
			return err
		}
		mem.report("RFM")
	}
	fmt.Printf("\nwhole run: peak VmRSS sampled %d MiB; load %s\n", mem.maxAll.Load()>>20, machine.LoadAvg())
	return nil
}

// ---------------------------------------------------------------- segments

// segmentRules are the live segments, in the text form (the CLI's): the
// first ones stand alone, the rest combine earlier ones with NOT, AND, OR.
func segmentRules() []string {
	markets := []string{"amazon_de", "amazon_uk", "shopify_eu", "tiktok_shop_uk"}
	r := []string{
		`orders >= 3`,
		`orders >= 5`,
		`orders = 0`,
		`net_revenue_base > 200`,
		`net_revenue_base > 1000`,
		`aov_base between 50 and 150`,
	}
	for _, mk := range markets {
		r = append(r,
			fmt.Sprintf(`marketplaces contains %q`, mk),
			fmt.Sprintf(`event "Order Completed" where marketplace = %q count >= 2 within 90d`, mk))
	}
	r = append(r,
		`country = "DE"`,
		`country in ["FR", "IT", "ES"]`,
		`country = "GB" and orders >= 2`,
		`country = "US" and net_revenue_base > 300`,
		`event "Product Viewed" count >= 3 within 7d`,
		`event "Product Viewed" where category = "Apparel" count >= 2 within 30d`,
		`event "Product Added" within 7d and not event "Order Completed" within 7d`,
		`page "Product" count >= 5 within 30d`,
		`event "Order Completed" count >= 3 within 365d`,
		`event "Order Completed" where total >= 100 within 180d`,
		`last_order_at < -180d and orders >= 1`,
		`last_seen > -30d`,
		`first_seen > -30d`,
		`language = "de" and orders >= 1`,
		`"traits.plan" = "member"`,
		`marketplaces contains "amazon_de" and marketplaces contains "shopify_eu"`,
		`event "Order Completed" count = 0 within 90d and orders >= 2`,
		`aov_base > 120 and orders >= 2`,
		`event "Order Completed" where marketplace = "tiktok_shop_uk" within 30d`,
		`event "Product Viewed" count >= 10`,
		`event "Product Viewed" within 1d`,
		`not (country = "DE" or country = "GB")`,
	)
	base := len(r)
	for i := base; len(r) < 200; i++ {
		a, b := (i*7)%base, (i*13+3)%base
		switch i % 3 {
		case 0:
			r = append(r, fmt.Sprintf(`in segment %q and not in segment %q`, segID(a), segID(b)))
		case 1:
			r = append(r, fmt.Sprintf(`(in segment %q or in segment %q) and country = "DE"`, segID(a), segID(b)))
		default:
			r = append(r, fmt.Sprintf(`not in segment %q and orders >= 1`, segID(a)))
		}
	}
	return r
}

func segID(i int) string { return fmt.Sprintf("bench_s%02d", i) }

func saveSegments(ctx context.Context, a *app.App, n int) error {
	rules := segmentRules()
	if n > len(rules) {
		return fmt.Errorf("at most %d segments", len(rules))
	}
	t := time.Now()
	for i := range n {
		r, err := realtime.ParseRule(rules[i])
		if err != nil {
			return fmt.Errorf("segment %d %q: %w", i, rules[i], err)
		}
		if _, err := a.Profiles.SaveSegment(ctx, realtime.SegmentDef{ID: segID(i), Name: fmt.Sprintf("bench %02d", i),
			Rule: audience.FormatJSON(r)}, true, "bench"); err != nil {
			return fmt.Errorf("save segment %d %q: %w", i, rules[i], err)
		}
	}
	fmt.Printf("saved %d segments in %.1fs (before the load)\n", n, time.Since(t).Seconds())
	return nil
}

// lateSegment times saving one more segment with every profile loaded: the
// save backfills the history of its event conditions and re-evaluates every
// profile.
func lateSegment(ctx context.Context, a *app.App) error {
	src := `event "Product Added" count >= 2 within 30d and orders >= 1`
	r, err := realtime.ParseRule(src)
	if err != nil {
		return err
	}
	id := fmt.Sprintf("bench_late_%d", time.Now().Unix())
	fmt.Printf("\n## saving one more segment with every profile loaded: %s; load %s\n", src, machine.LoadAvg())
	// While the save backfills, the engine holds its lock: live events
	// wait. A probe event every second shows how long.
	probe := probeEngine(ctx, a)
	t := time.Now()
	sctx, cancel := context.WithTimeout(ctx, *lateTimeout)
	defer cancel()
	_, err = a.Profiles.SaveSegment(sctx, realtime.SegmentDef{ID: id, Name: id, Rule: audience.FormatJSON(r)}, true, "bench")
	worst := probe()
	if err != nil {
		fmt.Printf("RESULT SaveSegment with every profile loaded: gave up after %.1fs: %v; longest wait of a probe event for the engine meanwhile %.1fs; load %s\n",
			time.Since(t).Seconds(), err, worst.Seconds(), machine.LoadAvg())
		return nil
	}
	fmt.Printf("RESULT SaveSegment with every profile loaded: returned after %.1fs (backfill of its events + evaluation of every profile); longest wait of a probe event for the engine meanwhile %.1fs; load %s\n",
		time.Since(t).Seconds(), worst.Seconds(), machine.LoadAvg())
	return nil
}

// probeEngine sends one event a second (a page view of person 0) and
// notes how long the engine takes to apply each; the returned stop gives
// the longest wait.
func probeEngine(ctx context.Context, a *app.App) (stop func() time.Duration) {
	var m marker
	b, _ := os.ReadFile(filepath.Join(a.Cfg.DataDir, markerFile))
	_ = json.Unmarshal(b, &m)
	src, ok := a.Sources.ByID(m.Source)
	done := make(chan struct{})
	var worst atomic.Int64
	var wg sync.WaitGroup
	if ok {
		wg.Add(1)
		go func() {
			defer wg.Done()
			pe := person(*seed, 0, m.Base)
			for i := 0; ; i++ {
				select {
				case <-done:
					return
				case <-time.After(time.Second):
				}
				raw := fmt.Appendf(nil, `{"type":"page","name":"Probe","userId":%q,"anonymousId":%q,"messageId":"probe-%d-%d","timestamp":%q}`,
					pe.userID, pe.anonID, time.Now().UnixNano(), i, time.Now().UTC().Format(time.RFC3339Nano))
				out, err := a.Ingest.Accept(ctx, src, []ingest.Item{{Raw: raw}}, ingest.Options{})
				if err != nil || len(out) == 0 {
					continue
				}
				t := time.Now()
				for a.Profiles.Applied() < out[0].Seq {
					select {
					case <-done:
						if d := int64(time.Since(t)); d > worst.Load() {
							worst.Store(d)
						}
						return
					case <-time.After(5 * time.Millisecond):
					}
				}
				if d := int64(time.Since(t)); d > worst.Load() {
					worst.Store(d)
				}
			}
		}()
	}
	return func() time.Duration {
		close(done)
		wg.Wait()
		return time.Duration(worst.Load())
	}
}

// ---------------------------------------------------------------- people

var (
	firstNames = [...]string{"Emma", "Liam", "Sofia", "Lukas", "Chloé", "Mateo", "Hanna", "Noah", "Giulia", "Yuki", "Amara", "Oliver", "Zoé", "Jan", "Aisha", "Mei", "Lars", "Inès", "Tomasz", "Freya"}
	lastNames  = [...]string{"Müller", "Smith", "García", "Rossi", "Dubois", "Kowalski", "Jansen", "Tanaka", "Silva", "OBrien", "Nielsen", "Schmidt", "Novak", "Chen", "Moreau", "Bianchi", "Larsen", "Fischer", "Ivanova", "Costa"}
	domains    = [...]string{"gmail.com", "outlook.com", "web.de", "yahoo.fr", "icloud.com", "gmx.net", "hotmail.co.uk", "libero.it"}
	// countries weighted: DE 30%, GB 20%, FR 12%, IT 8%, ES 8%, NL 7%, US 10%, PL 5%.
	countries = [...]struct {
		code, locale string
		pct          int
	}{{"DE", "de-DE", 30}, {"GB", "en-GB", 20}, {"FR", "fr-FR", 12}, {"IT", "it-IT", 8}, {"ES", "es-ES", 8}, {"NL", "nl-NL", 7}, {"US", "en-US", 10}, {"PL", "pl-PL", 5}}
	markets    = [...]string{"amazon_de", "amazon_uk", "shopify_eu", "tiktok_shop_uk"}
	categories = [...]string{"Apparel", "Bags", "Camp & Home", "Drinkware", "Travel"}
	// orderCounts: 30% none, 25% one, 17% two, 12% three, 8% four, 8% five.
	orderCounts = [...]struct{ below, n int }{{30, 0}, {55, 1}, {72, 2}, {84, 3}, {92, 4}, {100, 5}}
)

type activity struct {
	order bool
	at    time.Time
	k     int // index among the person's views or orders
}

type personT struct {
	p              int
	h              uint64
	userID, anonID string
	email          string
	first, last    string
	country, loc   string
	signup         time.Time
	acts           []activity
}

func person(seed uint64, p int, base time.Time) personT {
	h := mix(seed*0x9e3779b97f4a7c15 ^ uint64(p))
	pe := personT{p: p, h: h, first: firstNames[h%20], last: lastNames[(h>>8)%20]}
	pe.userID = "u_" + strconv.FormatUint(h, 36)
	pe.anonID = uuid(mix(h))
	pe.email = strings.ToLower(pe.first+"."+pe.last) + "." + strconv.FormatInt(int64(p), 36) + "@" + domains[(h>>16)%8]
	c := int((h >> 20) % 100)
	for _, x := range countries {
		if c < x.pct {
			pe.country, pe.loc = x.code, x.locale
			break
		}
		c -= x.pct
	}
	views := 1 + int((h>>28)%4)
	oc := int((h >> 32) % 100)
	orders := 0
	for _, x := range orderCounts {
		if oc < x.below {
			orders = x.n
			break
		}
	}
	// Active from signup until end: end is 0–120 days before base, the
	// span up to a year.
	end := base.Add(-time.Duration((h>>40)%(120*24)) * time.Hour)
	span := time.Duration(1+(h>>52)%365) * 24 * time.Hour
	pe.signup = end.Add(-span)
	n := views + orders
	kinds := make([]bool, n)
	for i := range orders {
		kinds[i] = true
	}
	rng := rand.New(rand.NewPCG(h, uint64(p)))
	rng.Shuffle(n, func(i, j int) { kinds[i], kinds[j] = kinds[j], kinds[i] })
	vi, oi := 0, 0
	for j, o := range kinds {
		at := pe.signup.Add(span * time.Duration(j+1) / time.Duration(n+1))
		if o {
			pe.acts = append(pe.acts, activity{order: true, at: at, k: oi})
			oi++
		} else {
			pe.acts = append(pe.acts, activity{at: at, k: vi})
			vi++
		}
	}
	return pe
}

// maxRounds is the most messages a person has: page, identify, 4 views,
// 5 orders.
const maxRounds = 11

// message is the person's k-th message, nil if the person has fewer.
func (pe personT) message(k int) []byte {
	mid := "bp-" + strconv.Itoa(pe.p) + "-" + strconv.Itoa(k)
	switch {
	case k == 0:
		return fmt.Appendf(nil,
			`{"type":"page","anonymousId":%q,"messageId":%q,"timestamp":%q,"name":"Home","properties":{"path":"/","url":"https://shop.example/","referrer":"https://www.google.com/"},"context":{"library":{"name":"analytics.js","version":"5.2.0"},"locale":%q}}`,
			pe.anonID, mid, pe.signup.Add(-time.Hour).Format(time.RFC3339Nano), pe.loc)
	case k == 1:
		return fmt.Appendf(nil,
			`{"type":"identify","userId":%q,"anonymousId":%q,"messageId":%q,"timestamp":%q,"traits":{"email":%q,"firstName":%q,"lastName":%q,"country":%q,"plan":%q},"context":{"library":{"name":"analytics.js","version":"5.2.0"},"locale":%q}}`,
			pe.userID, pe.anonID, mid, pe.signup.Format(time.RFC3339Nano), pe.email, pe.first, pe.last, pe.country,
			[]string{"member", "guest", "vip"}[pe.h%3], pe.loc)
	case k-2 < len(pe.acts):
		a := pe.acts[k-2]
		if a.order {
			return orderMessage(pe, mid, pe.p, a.k, markets[mix(pe.h+uint64(a.k))%4], a.at)
		}
		return viewMessage(pe, mid, mix(pe.h^uint64(a.k)), a.at)
	}
	return nil
}

func viewMessage(pe personT, mid string, r uint64, at time.Time) []byte {
	return fmt.Appendf(nil,
		`{"type":"track","event":"Product Viewed","userId":%q,"anonymousId":%q,"messageId":%q,"timestamp":%q,"properties":{"product_id":"kl_%d","category":%q,"price":%d.90,"currency":"EUR","marketplace":%q},"context":{"library":{"name":"analytics.js","version":"5.2.0"},"locale":%q}}`,
		pe.userID, pe.anonID, mid, at.Format(time.RFC3339Nano), 1000+r%400, categories[(r>>9)%5], 10+(r>>12)%190, markets[(r>>20)%4], pe.loc)
}

func orderMessage(pe personT, mid string, p, k int, market string, at time.Time) []byte {
	cents := 1990 + int(mix(uint64(p)*31+uint64(k))%30000)
	return fmt.Appendf(nil,
		`{"type":"track","event":"Order Completed","userId":%q,"anonymousId":%q,"messageId":%q,"timestamp":%q,"properties":{"order_id":"o-%d-%d","total":%d.%02d,"currency":"EUR","marketplace":%q,"products":[{"product_id":"kl_%d","price":%d.%02d,"quantity":1}]},"context":{"library":{"name":"analytics.js","version":"5.2.0"},"locale":%q}}`,
		pe.userID, pe.anonID, mid, at.Format(time.RFC3339Nano), p, k, cents/100, cents%100, market, 1000+cents%400, cents/100, cents%100, pe.loc)
}

// liveMessage is the n-th event of the live phase, for a random person.
func liveMessage(pe personT, mid string, r uint64, n int, now time.Time) []byte {
	switch x := r % 100; {
	case x < 60:
		return viewMessage(pe, mid, r>>7, now)
	case x < 75:
		return fmt.Appendf(nil,
			`{"type":"page","name":"Product","userId":%q,"anonymousId":%q,"messageId":%q,"timestamp":%q,"properties":{"path":"/p/kl-%d","url":"https://shop.example/p/kl-%d"},"context":{"library":{"name":"analytics.js","version":"5.2.0"},"locale":%q}}`,
			pe.userID, pe.anonID, mid, now.Format(time.RFC3339Nano), r%400, r%400, pe.loc)
	case x < 90:
		return fmt.Appendf(nil,
			`{"type":"track","event":"Product Added","userId":%q,"anonymousId":%q,"messageId":%q,"timestamp":%q,"properties":{"product_id":"kl_%d","category":%q,"price":%d.90,"quantity":1,"currency":"EUR"},"context":{"library":{"name":"analytics.js","version":"5.2.0"},"locale":%q}}`,
			pe.userID, pe.anonID, mid, now.Format(time.RFC3339Nano), 1000+r%400, categories[(r>>9)%5], 10+(r>>12)%190, pe.loc)
	default:
		return orderMessage(pe, mid, pe.p, 100+n, markets[(r>>3)%4], now)
	}
}

func uuid(v uint64) string {
	w := mix(v + 1)
	s := fmt.Sprintf("%016x%016x", v, w)
	return s[:8] + "-" + s[8:12] + "-4" + s[13:16] + "-a" + s[17:20] + "-" + s[20:]
}

func mix(x uint64) uint64 {
	x += 0x9e3779b97f4a7c15
	x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9
	x = (x ^ (x >> 27)) * 0x94d049bb133111eb
	return x ^ (x >> 31)
}

// ---------------------------------------------------------------- load

func load(ctx context.Context, a *app.App) (marker, error) {
	src, err := a.CreateSource(ctx, source.Source{Name: "bench-profiles", Currency: "EUR", Country: "DE"})
	if err != nil {
		return marker{}, err
	}
	base := time.Now().UTC().Truncate(time.Second)
	fmt.Printf("\n## load: %d people in %d rounds, source %s; load %s\n", *people, maxRounds, src.ID, machine.LoadAvg())
	var next, msgs, retries atomic.Int64
	var lastSeq atomic.Uint64
	chunks := (*people + *batch - 1) / *batch
	start := time.Now()
	busy0, self0 := machine.Busy(), machine.SelfCPU()
	stop := make(chan struct{})
	var pwg sync.WaitGroup
	pwg.Add(1)
	go func() {
		defer pwg.Done()
		t := time.NewTicker(30 * time.Second)
		defer t.Stop()
		prev, prevT := int64(0), start
		for {
			select {
			case <-stop:
				return
			case now := <-t.C:
				n := msgs.Load()
				applied, _ := a.Store.AppliedSeq(ctx)
				fmt.Printf("  %5.0fs: round %2d/%d, %9d accepted (%6.0f/s), log %9d, engine applied %9d, store applied %9d, RSS %5d MiB, load %s\n",
					now.Sub(start).Seconds(), min(maxRounds, 1+int(next.Load())/chunks), maxRounds, n, float64(n-prev)/now.Sub(prevT).Seconds(),
					lastSeq.Load(), a.Profiles.Applied(), applied, int64(machine.Mem(0, machine.RSS)), machine.LoadAvg())
				prev, prevT = n, now
			}
		}
	}()
	errc := make(chan error, *workers)
	var wg sync.WaitGroup
	for range *workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			items := make([]ingest.Item, 0, *batch)
			for {
				u := int(next.Add(1)) - 1
				if u >= maxRounds*chunks {
					return
				}
				round, first := u/chunks, (u%chunks)**batch
				last := min(first+*batch, *people)
				items = items[:0]
				for p := first; p < last; p++ {
					if m := person(*seed, p, base).message(round); m != nil {
						items = append(items, ingest.Item{Raw: m})
					}
				}
				if len(items) == 0 {
					continue
				}
				var out []ingest.Outcome
				var err error
				for try := 0; ; try++ {
					if out, err = a.Ingest.Accept(ctx, src, items, ingest.Options{}); err == nil {
						break
					}
					if try == 5 {
						errc <- fmt.Errorf("accept round %d people %d-%d: %w", round, first, last-1, err)
						return
					}
					retries.Add(1)
					time.Sleep(time.Duration(1+try) * time.Second)
				}
				for i, o := range out {
					if o.Err != nil || o.Suppressed {
						errc <- fmt.Errorf("round %d people %d-%d: message %d refused: %v (suppressed %v)", round, first, last-1, i, o.Err, o.Suppressed)
						return
					}
					for {
						cur := lastSeq.Load()
						if o.Seq <= cur || lastSeq.CompareAndSwap(cur, o.Seq) {
							break
						}
					}
				}
				msgs.Add(int64(len(items)))
			}
		}()
	}
	wg.Wait()
	close(errc)
	if err := <-errc; err != nil {
		close(stop)
		return marker{}, err
	}
	accepted := time.Since(start)
	last, err := a.Log.LastSeq(ctx)
	if err != nil {
		return marker{}, err
	}
	fmt.Printf("accepted %d messages of %d people in %.1fs (%.0f/s; %d batches sent again); log last sequence %d; load %s\n",
		msgs.Load(), *people, accepted.Seconds(), float64(msgs.Load())/accepted.Seconds(), retries.Load(), last, machine.LoadAvg())
	err = waitCaughtUp(ctx, a, last, 2*time.Hour)
	close(stop)
	pwg.Wait()
	if err != nil {
		return marker{}, err
	}
	el := time.Since(start).Seconds()
	fmt.Printf("during the load: this process used %.2f cores, other processes %.2f\n",
		(machine.SelfCPU()-self0)/el, max(0, (machine.Busy()-busy0)-(machine.SelfCPU()-self0))/el)
	return marker{People: *people, Seed: *seed, Segments: *segments, Source: src.ID, Messages: uint64(msgs.Load()), LastSeq: last, Base: base}, nil
}

// waitCaughtUp waits until the engine and the store applied the log up to
// last and the engine's copy of the profiles in the store holds every
// person, printing when each happened.
func waitCaughtUp(ctx context.Context, a *app.App, last uint64, limit time.Duration) error {
	start := time.Now()
	wctx, cancel := context.WithTimeout(ctx, limit)
	defer cancel()
	var eng, st time.Duration
	var wg sync.WaitGroup
	var errE, errS error
	wg.Add(2)
	go func() { defer wg.Done(); errE = a.Profiles.WaitApplied(wctx, last); eng = time.Since(start) }()
	go func() { defer wg.Done(); errS = store.WaitApplied(wctx, a.Store, last); st = time.Since(start) }()
	wg.Wait()
	if err := errors.Join(errE, errS); err != nil {
		return err
	}
	fmt.Printf("engine applied the log up to %d %.1fs after the wait began, the store %.1fs after; RSS %d MiB; load %s\n",
		last, eng.Seconds(), st.Seconds(), int64(machine.Mem(0, machine.RSS)), machine.LoadAvg())
	if err := settle(ctx, a); err != nil {
		return err
	}
	// The engine copies changed profiles into the store's profiles tables
	// every second, 5,000 per flush.
	t := time.Now()
	prev := int64(-1)
	for {
		n, err := count(ctx, a, "SELECT count(*) FROM profiles")
		if err != nil {
			return err
		}
		if n >= int64(*people) {
			if err := a.Profiles.Flush(wctx); err != nil { // what remains (if any)
				return err
			}
			fmt.Printf("the store's profiles table holds %d profiles %.1fs later (the engine's flusher caught up); load %s\n", n, time.Since(t).Seconds(), machine.LoadAvg())
			return nil
		}
		if n != prev && time.Since(t) > 0 {
			fmt.Printf("  flusher: %d profiles in the store after %.0fs\n", n, time.Since(t).Seconds())
		}
		prev = n
		select {
		case <-wctx.Done():
			return fmt.Errorf("profiles flush: %d of %d after %s: %w", n, *people, time.Since(t), wctx.Err())
		case <-time.After(10 * time.Second):
		}
	}
}

// settle waits until the engine and the store have applied everything in
// the log, the engine's own messages (segment_entered/exited) included:
// those arrive after the messages that caused them.
func settle(ctx context.Context, a *app.App) error {
	t := time.Now()
	wctx, cancel := context.WithTimeout(ctx, *drainLimit)
	defer cancel()
	for {
		last, err := a.Log.LastSeq(wctx)
		if err != nil {
			return err
		}
		if err := a.Profiles.WaitApplied(wctx, last); err != nil {
			return fmt.Errorf("settle: engine: %w", err)
		}
		if err := store.WaitApplied(wctx, a.Store, last); err != nil {
			return fmt.Errorf("settle: store: %w", err)
		}
		again, err := a.Log.LastSeq(wctx)
		if err != nil {
			return err
		}
		if again == last {
			if d := time.Since(t); d > time.Second {
				fmt.Printf("settled: engine and store applied the log up to %d (%.1fs); load %s\n", last, d.Seconds(), machine.LoadAvg())
			}
			return nil
		}
	}
}

func count(ctx context.Context, a *app.App, q string) (int64, error) {
	res, err := a.Store.QueryArgs(ctx, q, nil)
	if err != nil {
		return 0, err
	}
	return toInt(res.Rows[0][0]), nil
}

func toInt(v any) int64 {
	switch x := v.(type) {
	case int64:
		return x
	case int32:
		return int64(x)
	case uint64:
		return int64(x)
	case int:
		return int64(x)
	case float64:
		return int64(x)
	}
	n, _ := strconv.ParseInt(fmt.Sprint(v), 10, 64)
	return n
}

func describeState(ctx context.Context, a *app.App, dir string) error {
	var parts []string
	for _, t := range []string{"event_rows", "order_rows", "profiles", "profile_identities", "segment_members", "identity_merges"} {
		n, err := count(ctx, a, "SELECT count(*) FROM "+t)
		if err != nil {
			return err
		}
		parts = append(parts, fmt.Sprintf("%s %d", t, n))
	}
	fmt.Printf("store rows: %s\n", strings.Join(parts, ", "))
	res, err := a.Store.QueryArgs(ctx, "SELECT segment_id, count(*) FROM segment_members GROUP BY 1 ORDER BY 1", nil)
	if err != nil {
		return err
	}
	var ms []string
	for _, r := range res.Rows {
		ms = append(ms, fmt.Sprintf("%s:%v", strings.TrimPrefix(fmt.Sprint(r[0]), "bench_"), r[1]))
	}
	fmt.Printf("members per segment (store copy): %s\n", strings.Join(ms, " "))
	var sizes []string
	for _, sub := range []string{"log", "store", "profiles", "keys"} {
		sizes = append(sizes, fmt.Sprintf("%s %d MB", sub, int64(machine.DirMiB(filepath.Join(dir, sub)))))
	}
	fmt.Printf("data directory: %s\n", strings.Join(sizes, ", "))
	return nil
}

// ---------------------------------------------------------------- live

// pending is an acknowledged event waiting for the engine.
type pending struct {
	seq uint64
	ack int64 // unix nanos
}

type pendingHeap []pending

func (h pendingHeap) Len() int           { return len(h) }
func (h pendingHeap) Less(i, j int) bool { return h[i].seq < h[j].seq }
func (h pendingHeap) Swap(i, j int)      { h[i], h[j] = h[j], h[i] }
func (h *pendingHeap) Push(x any)        { *h = append(*h, x.(pending)) }
func (h *pendingHeap) Pop() any {
	old := *h
	x := old[len(old)-1]
	*h = old[:len(old)-1]
	return x
}

// tracker turns acknowledgements and the engine's position into latencies.
type tracker struct {
	mu      sync.Mutex
	h       pendingHeap
	lat     []float64 // seconds, ack → applied
	window  []float64 // the current report window's latencies
	before  int       // applied before Accept returned
	applied func() uint64
}

func (t *tracker) add(seqs []uint64, ack time.Time) {
	cur := t.applied()
	t.mu.Lock()
	defer t.mu.Unlock()
	for _, s := range seqs {
		if s <= cur {
			t.lat = append(t.lat, 0)
			t.window = append(t.window, 0)
			t.before++
			continue
		}
		heap.Push(&t.h, pending{s, ack.UnixNano()})
	}
}

// poll records every pending event the engine has applied.
func (t *tracker) poll() {
	cur := t.applied()
	now := time.Now().UnixNano()
	t.mu.Lock()
	defer t.mu.Unlock()
	for len(t.h) > 0 && t.h[0].seq <= cur {
		p := heap.Pop(&t.h).(pending)
		d := float64(now-p.ack) / 1e9
		t.lat = append(t.lat, d)
		t.window = append(t.window, d)
	}
}

func live(ctx context.Context, a *app.App, src source.Source, m marker, rate float64, duration time.Duration, cpuprof, heapprof string) error {
	if err := settle(ctx, a); err != nil {
		return err
	}
	fmt.Printf("\n## live: %.0f events/s for %s to existing profiles (%d segments live), batches of %d, %d workers; load %s\n",
		rate, duration, *segments, *liveBatch, *liveWorkers, machine.LoadAvg())
	seq0, err := a.Log.LastSeq(ctx)
	if err != nil {
		return err
	}
	hist0 := histogram(a, "tradewind_profiles_update_seconds")
	msgs0 := counter(a, "tradewind_profiles_messages_total")
	tr := &tracker{applied: a.Profiles.Applied}
	stopPoll := make(chan struct{})
	var pollWG sync.WaitGroup
	pollWG.Add(1)
	go func() {
		defer pollWG.Done()
		for {
			select {
			case <-stopPoll:
				tr.poll()
				return
			default:
			}
			tr.poll()
			time.Sleep(time.Millisecond)
		}
	}()

	stopProf, err := startCPUProfile(cpuprof)
	if err != nil {
		return err
	}
	defer stopProf()
	runID := strconv.FormatInt(time.Now().UnixNano(), 36)
	type job struct {
		n   int       // first event number
		due time.Time // when the scheduler released it
	}
	jobs := make(chan job, 4096)
	var sent, late, accErr atomic.Int64
	var ackMu sync.Mutex
	var acks []float64 // submit → ack seconds, per batch
	var wg sync.WaitGroup
	for w := range *liveWorkers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			rng := rand.New(rand.NewPCG(*seed^0xabcdef, uint64(w)))
			items := make([]ingest.Item, 0, *liveBatch)
			seqs := make([]uint64, 0, *liveBatch)
			for j := range jobs {
				now := time.Now().UTC()
				items = items[:0]
				for i := range *liveBatch {
					n := j.n + i
					pe := person(*seed, rng.IntN(*people), m.Base)
					items = append(items, ingest.Item{Raw: liveMessage(pe, "live-"+runID+"-"+strconv.Itoa(n), rng.Uint64(), n, now)})
				}
				t0 := time.Now()
				out, err := a.Ingest.Accept(ctx, src, items, ingest.Options{})
				ack := time.Now()
				if err != nil {
					accErr.Add(1)
					continue
				}
				seqs = seqs[:0]
				for _, o := range out {
					if o.Err == nil && !o.Suppressed && !o.Duplicate {
						seqs = append(seqs, o.Seq)
					}
				}
				tr.add(seqs, ack)
				sent.Add(int64(len(seqs)))
				ackMu.Lock()
				acks = append(acks, ack.Sub(t0).Seconds())
				ackMu.Unlock()
			}
		}()
	}
	// Progress every 5 s: rate achieved, latency of the window, engine lag.
	stopProg := make(chan struct{})
	var progWG sync.WaitGroup
	progWG.Add(1)
	start := time.Now()
	busy0, self0 := machine.Busy(), machine.SelfCPU()
	go func() {
		defer progWG.Done()
		t := time.NewTicker(5 * time.Second)
		defer t.Stop()
		prev, prevT := int64(0), start
		for {
			select {
			case <-stopProg:
				return
			case now := <-t.C:
				n := sent.Load()
				tr.mu.Lock()
				w := tr.window
				tr.window = nil
				backlog := len(tr.h)
				tr.mu.Unlock()
				slices.Sort(w)
				last, _ := a.Log.LastSeq(ctx)
				fmt.Printf("  %4.0fs: %6.0f events/s acked, window p50 %6.1f ms p99 %7.1f ms max %7.1f ms (n %6d), waiting %6d, log − engine %6d stored messages, RSS %5d MiB, load %s\n",
					now.Sub(start).Seconds(), float64(n-prev)/now.Sub(prevT).Seconds(), 1000*quantile(w, .5), 1000*quantile(w, .99),
					1000*quantile(w, 1), len(w), backlog, int64(eventlog.StreamSeq(last))-int64(eventlog.StreamSeq(a.Profiles.Applied())), int64(machine.Mem(0, machine.RSS)), machine.LoadAvg())
				prev, prevT = n, now
			}
		}
	}()
	interval := time.Duration(float64(time.Second) * float64(*liveBatch) / rate)
	total := int(duration.Seconds() * rate / float64(*liveBatch))
	for i := range total {
		due := start.Add(time.Duration(i) * interval)
		if d := time.Until(due); d > 0 {
			time.Sleep(d)
		} else if -d > 100*time.Millisecond {
			late.Add(1)
		}
		jobs <- job{n: i * *liveBatch, due: due}
	}
	close(jobs)
	wg.Wait()
	sendEl := time.Since(start)
	el := sendEl.Seconds()
	selfCores, otherCores := (machine.SelfCPU()-self0)/el, max(0, (machine.Busy()-busy0)-(machine.SelfCPU()-self0))/el
	lastLive, _ := a.Log.LastSeq(ctx)
	// Wait for the engine to apply the last acknowledged event.
	wctx, cancel := context.WithTimeout(ctx, *drainLimit)
	err = a.Profiles.WaitApplied(wctx, lastLive)
	cancel()
	drain := time.Since(start) - sendEl
	close(stopPoll)
	pollWG.Wait()
	close(stopProg)
	progWG.Wait()
	if err != nil {
		return fmt.Errorf("engine did not catch up: %w", err)
	}
	if heapprof != "" {
		f, err := os.Create(heapprof)
		if err == nil {
			runtime.GC()
			_ = pprof.WriteHeapProfile(f)
			f.Close()
		}
	}
	hist1 := histogram(a, "tradewind_profiles_update_seconds")
	msgs1 := counter(a, "tradewind_profiles_messages_total")
	seq1, _ := a.Log.LastSeq(ctx)

	lat := tr.lat
	slices.Sort(lat)
	slices.Sort(acks)
	n := sent.Load()
	fmt.Printf("sent %d events in %.1fs = %.0f/s (target %.0f/s; %d batches released > 100 ms late, %d Accept errors); the engine applied the last one %.2fs after sending ended\n",
		n, el, float64(n)/el, rate, late.Load(), accErr.Load(), drain.Seconds())
	fmt.Printf("during sending: this process used %.2f cores, other processes %.2f; load %s\n", selfCores, otherCores, machine.LoadAvg())
	fmt.Printf("Accept (submit → log ack) per %d-event batch: p50 %.1f ms, p99 %.1f ms, max %.1f ms\n",
		*liveBatch, 1000*quantile(acks, .5), 1000*quantile(acks, .99), 1000*quantile(acks, 1))
	fmt.Printf("engine messages besides the events (segment_entered/exited, deviations): %d; engine processed %.0f messages\n",
		int64(seq1-seq0)-n, msgs1-msgs0)
	fmt.Printf("RESULT update latency at %.0f/s (ack → profile and memberships applied), %d events: p50 %.1f ms  p95 %.1f ms  p99 %.1f ms  p99.9 %.1f ms  max %.1f ms  (%d applied before the ack returned)\n",
		rate, len(lat), 1000*quantile(lat, .5), 1000*quantile(lat, .95), 1000*quantile(lat, .99), 1000*quantile(lat, .999), 1000*quantile(lat, 1), tr.before)
	goal := "MET"
	if quantile(lat, .99) >= 0.25 {
		goal = "NOT MET"
	}
	fmt.Printf("goal p99 < 250 ms: %s\n", goal)
	if hist0 != nil && hist1 != nil {
		d := hist1.diff(hist0)
		fmt.Printf("engine histogram tradewind_profiles_update_seconds (receipt → applied, includes the ack time and the engine's own messages), %d observations: p50 ≤ %s  p95 ≤ %s  p99 ≤ %s (bucket upper bounds)\n",
			d.count, d.q(.5), d.q(.95), d.q(.99))
	}
	return nil
}

// hist is a cumulative histogram read from the registry.
type hist struct {
	bounds []float64
	cum    []uint64
	count  uint64
}

func histogram(a *app.App, name string) *hist {
	mfs, err := a.Registry.Gather()
	if err != nil {
		return nil
	}
	for _, mf := range mfs {
		if mf.GetName() != name || len(mf.Metric) == 0 || mf.Metric[0].Histogram == nil {
			continue
		}
		h := mf.Metric[0].Histogram
		out := &hist{count: h.GetSampleCount()}
		for _, b := range h.Bucket {
			out.bounds = append(out.bounds, b.GetUpperBound())
			out.cum = append(out.cum, b.GetCumulativeCount())
		}
		return out
	}
	return nil
}

func (h *hist) diff(o *hist) *hist {
	out := &hist{bounds: h.bounds, count: h.count - o.count}
	for i := range h.cum {
		out.cum = append(out.cum, h.cum[i]-o.cum[i])
	}
	return out
}

func (h *hist) q(q float64) string {
	want := uint64(math.Ceil(q * float64(h.count)))
	for i, c := range h.cum {
		if c >= want {
			return fmt.Sprintf("%.0f ms", 1000*h.bounds[i])
		}
	}
	return fmt.Sprintf("> %.0f ms", 1000*h.bounds[len(h.bounds)-1])
}

func counter(a *app.App, name string) float64 {
	mfs, err := a.Registry.Gather()
	if err != nil {
		return 0
	}
	for _, mf := range mfs {
		if mf.GetName() == name && len(mf.Metric) > 0 && mf.Metric[0].Counter != nil {
			return mf.Metric[0].Counter.GetValue()
		}
	}
	return 0
}

// ---------------------------------------------------------------- RFM

// rfmAPI times rfm.Summary, the SQL GET /v1/rfm runs, through
// Store.QueryArgs: on the node's own orders, then with order_rows topped
// up to --rfm-orders synthetic orders of the loaded people.
func rfmAPI(ctx context.Context, a *app.App, m marker) error {
	asOf := m.Base
	runAll := func(label, orders string) error {
		np, _ := count(ctx, a, "SELECT count(DISTINCT profile_id) FROM "+orders)
		no, _ := count(ctx, a, "SELECT count(*) FROM order_rows")
		nr, _ := count(ctx, a, "SELECT count(*) FROM refunds")
		waitQuiet()
		fmt.Printf("\n## RFM through the API path (rfm.Summary via Store.QueryArgs, as GET /v1/rfm), %s: %d orders, %d refunds, %d profiles with orders; duckdb %s/%d threads; load %s\n",
			label, no, nr, np, *memory, *threads, machine.LoadAvg())
		gaveUp := false
		for _, c := range []struct {
			name string
			o    rfm.Options
		}{
			{"overall-365d", rfm.Options{AsOf: asOf, PeriodDays: 365, Cancellations: "cancellations", Orders: orders}},
			{"overall-all", rfm.Options{AsOf: asOf, Cancellations: "cancellations", Orders: orders}},
			{"by-marketplace-365d", rfm.Options{AsOf: asOf, PeriodDays: 365, Cancellations: "cancellations", ByMarketplace: true, Orders: orders}},
		} {
			if gaveUp {
				fmt.Printf("RESULT RFM API %s %s: skipped (an earlier query on %s did not finish)\n", label, c.name, orders)
				continue
			}
			q, err := rfm.Summary(c.o)
			if err != nil {
				return err
			}
			var secs []float64
			var rows int
			for range *rfmRuns {
				busy0, self0 := machine.Busy(), machine.SelfCPU()
				t := time.Now()
				qctx, cancel := context.WithTimeout(ctx, *rfmTimeout)
				res, err := a.Store.QueryArgs(qctx, q, nil)
				cancel()
				if err != nil && time.Since(t) >= *rfmTimeout {
					fmt.Printf("RESULT RFM API %s %s: did not finish in %s (gave up; this process %.2f cores meanwhile); load %s\n", label, c.name, *rfmTimeout,
						(machine.SelfCPU()-self0)/time.Since(t).Seconds(), machine.LoadAvg())
					secs, gaveUp = nil, true
					break
				}
				if err != nil {
					return fmt.Errorf("rfm %s: %w", c.name, err)
				}
				el := time.Since(t).Seconds()
				secs = append(secs, el)
				rows = len(res.Rows)
				fmt.Printf("  %s: %.2fs (%d summary rows; this process %.2f cores, others %.2f; RSS %d MiB; load %s)\n", c.name, el, rows,
					(machine.SelfCPU()-self0)/el, max(0, (machine.Busy()-busy0)-(machine.SelfCPU()-self0))/el, int64(machine.Mem(0, machine.RSS)), machine.LoadAvg())
			}
			if len(secs) == 0 {
				continue
			}
			if *rfmExplain {
				res, err := a.Store.QueryArgs(ctx, "EXPLAIN ANALYZE "+q, nil)
				if err != nil {
					return fmt.Errorf("explain: %w", err)
				}
				for _, r := range res.Rows {
					fmt.Println(r[len(r)-1])
				}
			}
			slices.Sort(secs)
			fmt.Printf("RESULT RFM API %s %s: min %.2fs median %.2fs max %.2fs\n", label, c.name, secs[0], quantile(secs, .5), secs[len(secs)-1])
		}
		return nil
	}
	// What GET /v1/rfm would cost if the orders view joined profile_anons
	// on an equality only (the view's "o.user_id IS NULL AND
	// a.anonymous_id = o.anonymous_id" makes DuckDB plan a nested-loop
	// join of every order with every anonymous id): the same rows.
	if _, err := a.Store.SQL().ExecContext(ctx, `CREATE OR REPLACE VIEW bench_orders_hashjoin AS
SELECT o.*, coalesce(u.profile_id, a.profile_id) AS profile_id
FROM order_rows o
LEFT JOIN profile_users u ON u.source_id = o.source_id AND u.user_id = o.user_id
LEFT JOIN profile_anons a ON a.anonymous_id = CASE WHEN o.user_id IS NULL THEN o.anonymous_id END`); err != nil {
		return err
	}
	// The what-if runs only while the product's orders view still plans
	// a nested-loop join (or with --rfm-whatif): with the equi-join in the
	// view (migration 004 since the profiles work) both are the same query.
	nl, err := explainJoin(ctx, a)
	if err != nil {
		return err
	}
	whatIf := nl || *rfmWhatIf
	if !whatIf {
		fmt.Printf("the orders view already joins profile_anons on an equality: what-if runs skipped (--rfm-whatif runs them anyway)\n")
	}
	if err := runAll("node's own orders", "orders"); err != nil {
		return err
	}
	if whatIf {
		if err := runAll("node's own orders, what-if: orders view with an equi-join on profile_anons", "bench_orders_hashjoin"); err != nil {
			return err
		}
	}
	have, err := count(ctx, a, "SELECT count(*) FROM order_rows")
	if err != nil {
		return err
	}
	add := int64(*rfmOrders) - have
	if add <= 0 {
		return nil
	}
	// Synthetic orders of the loaded people, written straight into
	// order_rows (and refunds for 5%) in chunks: a user of profile_users is
	// picked by hash, so every profile gets about the same number of orders.
	fmt.Printf("\nadding %d synthetic orders of the loaded people to order_rows (and refunds for 5%%); load %s\n", add, machine.LoadAvg())
	t := time.Now()
	db := a.Store.SQL()
	if _, err := db.ExecContext(ctx, `CREATE OR REPLACE TABLE bench_users AS
		SELECT source_id, user_id, CAST(row_number() OVER (ORDER BY user_id) - 1 AS BIGINT) AS k FROM profile_users`); err != nil {
		return err
	}
	nu, err := count(ctx, a, "SELECT count(*) FROM bench_users")
	if err != nil || nu == 0 {
		return fmt.Errorf("no users to give orders to (%d): %v", nu, err)
	}
	asOfLit := asOf.UTC().Format("2006-01-02 15:04:05")
	const chunk = 2_000_000
	for off := int64(0); off < add; off += chunk {
		n := min(chunk, add-off)
		q := fmt.Sprintf(`INSERT INTO order_rows BY NAME
SELECT 'bench-store' AS store, 'syn-' || CAST(i AS VARCHAR) AS order_id, u.source_id, u.user_id AS customer_id, u.user_id,
       TIMESTAMPTZ '%[4]s+00' - to_seconds(CAST(hash(i * 2 + 1) %% (730 * 86400) AS BIGINT)) AS "timestamp",
       'EUR' AS currency, CAST(CAST(hash(i * 3 + 1) %% 30000 AS BIGINT) / 100.0 + 19.90 AS DECIMAL(18,4)) AS total,
       CASE WHEN hash(i * 5 + 1) %% 50 = 0 THEN 'cancelled' ELSE 'completed' END AS status,
       ['amazon_de', 'amazon_uk', 'shopify_eu', 'tiktok_shop_uk'][1 + CAST(hash(i * 7 + 1) %% 4 AS BIGINT)] AS marketplace,
       'EUR' AS base_currency, CAST(CAST(hash(i * 3 + 1) %% 30000 AS BIGINT) / 100.0 + 19.90 AS DECIMAL(18,4)) AS total_base,
       TIMESTAMPTZ '%[4]s+00' AS updated_at, 'syn-' || CAST(i AS VARCHAR) AS message_id, CAST(0 AS UBIGINT) AS seq, CAST(0 AS UBIGINT) AS first_seq
FROM range(%[1]d, %[2]d) t(i) JOIN bench_users u ON u.k = CAST(hash(i) %% %[3]d AS BIGINT)`, off, off+n, nu, asOfLit)
		if _, err := db.ExecContext(ctx, q); err != nil {
			return fmt.Errorf("add orders: %w", err)
		}
		fmt.Printf("  %d / %d added (%.0fs); RSS %d MiB\n", off+n, add, time.Since(t).Seconds(), int64(machine.Mem(0, machine.RSS)))
	}
	if _, err := db.ExecContext(ctx, `INSERT INTO refunds BY NAME
SELECT store, order_id, source_id, 'ref-' || order_id AS message_id, "timestamp" + INTERVAL 7 DAY AS "timestamp", 'EUR' AS currency,
       CAST(total_base * 0.5 AS DECIMAL(18,4)) AS amount, 'EUR' AS base_currency, CAST(total_base * 0.5 AS DECIMAL(18,4)) AS amount_base,
       CAST(0 AS UBIGINT) AS seq
FROM order_rows WHERE store = 'bench-store' AND hash(order_id) % 20 = 0`); err != nil {
		return fmt.Errorf("add refunds: %w", err)
	}
	if _, err := db.ExecContext(ctx, "DROP TABLE bench_users"); err != nil {
		return err
	}
	if _, err := db.ExecContext(ctx, "CHECKPOINT"); err != nil {
		fmt.Printf("checkpoint: %v\n", err)
	}
	fmt.Printf("added in %.0fs; RSS %d MiB; load %s\n", time.Since(t).Seconds(), int64(machine.Mem(0, machine.RSS)), machine.LoadAvg())
	if err := runAll(fmt.Sprintf("topped up to %d orders", *rfmOrders), "orders"); err != nil {
		return err
	}
	if !whatIf {
		return nil
	}
	return runAll(fmt.Sprintf("topped up to %d orders, what-if: orders view with an equi-join on profile_anons", *rfmOrders), "bench_orders_hashjoin")
}

// explainJoin prints the join operators DuckDB plans for the orders view
// and for the what-if view, and reports whether the orders view's plan has
// a join other than a hash join (a nested loop, say).
func explainJoin(ctx context.Context, a *app.App) (ordersNonHash bool, err error) {
	for _, v := range []string{"orders", "bench_orders_hashjoin"} {
		res, err := a.Store.QueryArgs(ctx, "EXPLAIN SELECT count(profile_id) FROM "+v, nil)
		if err != nil {
			return false, err
		}
		var ops []string
		for _, r := range res.Rows {
			for _, line := range strings.Split(fmt.Sprint(r[len(r)-1]), "\n") {
				for _, op := range []string{"NESTED_LOOP_JOIN", "BLOCKWISE_NL_JOIN", "HASH_JOIN", "PIECEWISE_MERGE_JOIN", "CROSS_PRODUCT"} {
					if strings.Contains(line, op) {
						ops = append(ops, op)
					}
				}
			}
		}
		fmt.Printf("joins DuckDB plans for SELECT count(profile_id) FROM %s: %s\n", v, strings.Join(ops, ", "))
		if v == "orders" {
			for _, op := range ops {
				if op != "HASH_JOIN" {
					ordersNonHash = true
				}
			}
		}
	}
	return ordersNonHash, nil
}

// ---------------------------------------------------------------- memory

// memSampler samples VmRSS every second; a phase resets the kernel's peak
// (VmHWM) where it may.
type memSampler struct {
	maxPhase, maxAll atomic.Int64
	name             string
	start            time.Time
	done             chan struct{}
}

func newMemSampler() *memSampler {
	s := &memSampler{done: make(chan struct{})}
	go func() {
		t := time.NewTicker(time.Second)
		defer t.Stop()
		for {
			select {
			case <-s.done:
				return
			case <-t.C:
				v := int64(machine.Mem(0, machine.RSS)) << 20
				for _, m := range []*atomic.Int64{&s.maxPhase, &s.maxAll} {
					for {
						cur := m.Load()
						if v <= cur || m.CompareAndSwap(cur, v) {
							break
						}
					}
				}
			}
		}
	}()
	return s
}

func (s *memSampler) stop() { close(s.done) }

func (s *memSampler) phase(name string) {
	s.name, s.start = name, time.Now()
	s.maxPhase.Store(int64(machine.Mem(0, machine.RSS)) << 20)
	machine.ResetPeak(0)
}

func (s *memSampler) report(what string) {
	hwm := int64(machine.Mem(0, machine.Peak))
	goal := "MET"
	if max(hwm, s.maxPhase.Load()>>20) >= 3*1024 {
		goal = "NOT MET"
	}
	fmt.Printf("RESULT memory, %s (%.0fs): VmRSS now %d MiB, peak sampled %d MiB, VmHWM %d MiB — goal < 3 GiB: %s\n",
		what, time.Since(s.start).Seconds(), int64(machine.Mem(0, machine.RSS)), s.maxPhase.Load()>>20, hwm, goal)
}

// memBreakdown splits the resident memory: Go's own (runtime/metrics),
// DuckDB's buffer manager, and the rest (cgo allocations: Pebble's block
// cache and memtables are allocated outside the Go heap, DuckDB's
// allocations outside its buffer manager, thread stacks, the binary).
func memBreakdown(ctx context.Context, a *app.App) error {
	samples := []metrics.Sample{{Name: "/memory/classes/total:bytes"}, {Name: "/memory/classes/heap/objects:bytes"},
		{Name: "/memory/classes/heap/released:bytes"}, {Name: "/gc/heap/goal:bytes"}}
	metrics.Read(samples)
	goTotal := samples[0].Value.Uint64() - samples[2].Value.Uint64()
	var duck int64
	res, err := a.Store.QueryArgs(ctx, "SELECT sum(memory_usage_bytes) FROM duckdb_memory()", nil)
	if err == nil && len(res.Rows) > 0 {
		duck = toInt(res.Rows[0][0])
	}
	rss := int64(machine.Mem(0, machine.RSS)) << 20
	fmt.Printf("memory now: VmRSS %d MiB = Go runtime %d MiB (heap objects %d MiB, GC goal %d MiB) + outside Go %d MiB (DuckDB buffer manager %d MiB; Pebble block cache ≤ 128 MiB and memtables; cgo allocations)\n",
		rss>>20, goTotal>>20, samples[1].Value.Uint64()>>20, samples[3].Value.Uint64()>>20, (rss-int64(goTotal))>>20, duck>>20)
	return err
}

// ---------------------------------------------------------------- helpers

// startCPUProfile starts a CPU profile into path ("": none) and returns
// its stop.
func startCPUProfile(path string) (func(), error) {
	if path == "" {
		return func() {}, nil
	}
	f, err := os.Create(path)
	if err != nil {
		return nil, err
	}
	if err := pprof.StartCPUProfile(f); err != nil {
		f.Close()
		return nil, err
	}
	return func() {
		pprof.StopCPUProfile()
		f.Close()
		fmt.Printf("CPU profile: %s\n", path)
	}, nil
}

// quantile of sorted s, nearest rank.
func quantile(s []float64, q float64) float64 {
	if len(s) == 0 {
		return math.NaN()
	}
	i := int(math.Ceil(q*float64(len(s)))) - 1
	return s[max(0, min(len(s)-1, i))]
}

// waitQuiet waits until other processes use fewer than --quiet-cores cores
// over 5 s (at most --quiet-wait), and says what it found.
func waitQuiet() {
	start := time.Now()
	for {
		b0, s0 := machine.Busy(), machine.SelfCPU()
		time.Sleep(5 * time.Second)
		other := max(0, (machine.Busy()-b0)-(machine.SelfCPU()-s0)) / 5
		if other < *quietCores {
			fmt.Printf("# machine quiet: other processes %.2f cores busy (waited %.0fs); load %s\n", other, time.Since(start).Seconds(), machine.LoadAvg())
			return
		}
		if time.Since(start) >= *quietWait {
			fmt.Printf("# WARNING: other processes still use %.2f cores after %.0fs; measuring anyway; load %s\n", other, time.Since(start).Seconds(), machine.LoadAvg())
			return
		}
	}
}
