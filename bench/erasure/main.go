// Command erasure measures the privacy goal "erasure of one person completes
// in < 1 s with 1,000,000 profiles in the store".
//
// It opens a node (internal/app, embedded JetStream and DuckDB, the same
// wiring as `tradewind serve`) on a fresh data directory, creates a source
// and builds --people distinct people. Each person is:
//
//   - a page view before signing up (anonymousId only),
//   - an identify with userId, anonymousId and the traits email, phone,
//     firstName, lastName and name,
//   - a page view after it (userId and anonymousId),
//   - for half of them a track "Order Completed" with order_id, total,
//     currency and two products (two order_items rows),
//
// that is 3.5 messages per person, sent in four waves (everyone's first
// message, then everyone's second, …) so that a person's messages lie far
// apart in the log and the tables. With --load ingest every person goes
// through ingest.Service.Accept (their high-tier fields encrypted under a
// new key per identity, exactly as over HTTP) and the node's store writer
// and profile engine; with --load bulk (the default) only --ingest-people
// do, and the others are copies of them written to the log and the store
// directly (bulk.go says how, and what the copies lack). The load is kept in
// the data directory (--keep, --data) for later runs.
//
// It then erases --erase random people of the ingested ones and
// --erase-bulk of the copies, one at a time, by email, through the privacy
// service (privacy.Service.Submit and Wait: the code path of
// POST /v1/privacy/erasure), and reports the distribution of the request's
// own result seconds and of the wall time from submit to completed, with
// what each erasure deleted. It then checks that the erased emails no
// longer resolve (a second erasure of each finds 0 identities), that the
// store holds none of their rows, and that a new message of an erased person
// is suppressed at ingest. --live N keeps sending new people's messages
// through ingest meanwhile.
//
// --breakdown N erases N more people step by step, calling the same
// exported steps as privacy.Service.Erase in the same order, each timed:
// the suppression list, the store's catch-up with the log, FindPerson, key
// destruction, the profile engine's and journeys' Forget (OnErase), the
// store's delete and the log's secure delete. Before the delete it times,
// on the query connection, the queries FindPerson and ErasePerson run (as
// counts, values inlined) and the former two-column identity scan, to show
// where the time goes. --sql-replay replays the statements of the former
// FindPerson and ErasePerson (commit 121092a) on the closed store.
//
// --cpuprofile FILE writes a CPU profile of the erasure phase.
// --keep keeps the data directory; --data DIR with an already loaded
// directory (of this program, same --people and --seed) skips the load.
package main

import (
	"context"
	"database/sql"
	"encoding/json"
	"flag"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"os"
	"path/filepath"
	"runtime"
	"runtime/pprof"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/tradewind/tradewind/bench/machine"
	"github.com/tradewind/tradewind/internal/app"
	"github.com/tradewind/tradewind/internal/ingest"
	"github.com/tradewind/tradewind/internal/privacy"
	"github.com/tradewind/tradewind/internal/privacy/pii"
	"github.com/tradewind/tradewind/internal/source"
	"github.com/tradewind/tradewind/internal/store"
)

var (
	dataDir     = flag.String("data", "", "data directory (default: a new temporary one, removed at the end unless --keep)")
	keep        = flag.Bool("keep", false, "keep the data directory")
	people      = flag.Int("people", 1_000_000, "distinct people to ingest")
	batch       = flag.Int("batch", 2000, "messages per Accept call")
	workers     = flag.Int("workers", 4, "goroutines calling Accept")
	erase       = flag.Int("erase", 20, "people to erase through the privacy service, one at a time")
	breakdown   = flag.Int("breakdown", 0, "people to erase step by step afterwards, with each step timed")
	seed        = flag.Uint64("seed", 1, "seed of the generated people")
	pickSeed    = flag.Uint64("pick-seed", 0, "seed of the choice of people to erase (0: from the clock)")
	memory      = flag.String("duckdb-memory", "1GB", "DuckDB memory_limit")
	threads     = flag.Int("duckdb-threads", 2, "DuckDB threads")
	cpuprofile  = flag.String("cpuprofile", "", "write a CPU profile of the erasure phase to this file")
	logLevel    = flag.String("log-level", "warn", "log level of the node")
	quietWait   = flag.Duration("quiet-wait", 10*time.Minute, "before erasing, wait up to this long until other processes use fewer than --quiet-cores cores (other sessions share the machine)")
	quietCores  = flag.Float64("quiet-cores", 0.3, "see --quiet-wait")
	quietEach   = flag.Duration("quiet-each", time.Minute, "before each erasure, wait up to this long until other processes use fewer than --quiet-cores cores over 1 s (0: do not wait)")
	loadMode    = flag.String("load", "bulk", "how to build the data: bulk (--ingest-people through ingest, the rest copied from them into the log and the store directly; see bulk.go) or ingest (everyone through ingest)")
	ingestN     = flag.Int("ingest-people", 20_000, "with --load bulk, people sent through ingest (the others are copies of them)")
	eraseBg     = flag.Int("erase-bulk", 20, "with --load bulk, people of the bulk part to erase as well (their rows lie all over the tables and the log)")
	live        = flag.Int("live", 0, "while erasing, send this many messages a second of new people through ingest (a shop that keeps selling: the store writer and the profile engine stay busy)")
	predictions = flag.Bool("predictions", false, "let the node schedule its daily prediction run")
	sqlReplay   = flag.Int("sql-replay", 0, "at the end, close the node, open its DuckDB file directly and time each SQL statement FindPerson and ErasePerson run for this many more people (in a transaction that is rolled back)")
)

// marker records a finished load in the data directory.
type marker struct {
	People   int    `json:"people"`
	Seed     uint64 `json:"seed"`
	Source   string `json:"source"`
	Messages uint64 `json:"messages"`
	// Ingested is how many people (0…Ingested-1) went through ingest in a
	// bulk load (0: all of them); LastSeq is the log's last sequence then.
	Ingested int    `json:"ingested,omitempty"`
	LastSeq  uint64 `json:"last_seq,omitempty"`
}

// ingested is how many people went through ingest.
func (m marker) ingested() int {
	if m.Ingested == 0 {
		return m.People
	}
	return m.Ingested
}

// nodeConfig is the node's configuration: `tradewind serve`'s defaults
// with the benchmark's DuckDB limits; the daily prediction run is off
// unless --predictions (it would fit 1,000,000 customers during the
// erasures).
func nodeConfig(dir string, logger *slog.Logger) app.Config {
	cfg := app.Config{DataDir: dir, DuckDBMemory: *memory, DuckDBThreads: *threads, Logger: logger}
	if !*predictions {
		cfg.Predict.Every = -1
	}
	return cfg
}

const markerFile = "bench-erasure.json"

func main() {
	flag.Parse()
	if err := run(); err != nil {
		fmt.Fprintln(os.Stderr, "erasure:", err)
		os.Exit(1)
	}
}

func run() error {
	ctx := context.Background()
	dir := *dataDir
	if dir == "" {
		d, err := os.MkdirTemp("", "twbench-erasure.")
		if err != nil {
			return err
		}
		dir = d
	}
	if !*keep && *dataDir == "" {
		defer os.RemoveAll(dir)
	}
	var lvl slog.Level
	_ = lvl.UnmarshalText([]byte(*logLevel))
	logger := slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: lvl}))
	fmt.Printf("# %s | %d cores, GOMAXPROCS %d | load %s | data %s | people %d, seed %d, batch %d, workers %d, duckdb %s/%d threads\n",
		time.Now().UTC().Format(time.RFC3339), runtime.NumCPU(), runtime.GOMAXPROCS(0), machine.LoadAvg(), dir, *people, *seed, *batch, *workers, *memory, *threads)

	var m marker
	if b, err := os.ReadFile(filepath.Join(dir, markerFile)); err == nil {
		if err := json.Unmarshal(b, &m); err != nil {
			return err
		}
		if m.People != *people || m.Seed != *seed {
			return fmt.Errorf("%s holds %d people of seed %d, not %d of seed %d", dir, m.People, m.Seed, *people, *seed)
		}
		fmt.Printf("reusing the load in %s: %d people (%d of them through ingest), %d messages\n", dir, m.People, m.ingested(), m.Messages)
	} else if *loadMode == "bulk" {
		if m, err = bulkLoad(ctx, dir, logger); err != nil {
			return err
		}
		b, _ := json.Marshal(m)
		if err := os.WriteFile(filepath.Join(dir, markerFile), b, 0o600); err != nil {
			return err
		}
	}

	t0 := time.Now()
	a, err := app.Open(ctx, nodeConfig(dir, logger))
	if err != nil {
		return err
	}
	defer a.Close()
	// As `tradewind serve` does once it listens: the erasures then run
	// beside the pages' and marketing's warm-up, as on a real node.
	a.StartServing()
	fmt.Printf("node open in %.1fs\n", time.Since(t0).Seconds())
	if m.People == 0 {
		if m, err = load(ctx, a, *people, nil); err != nil {
			return err
		}
		b, _ := json.Marshal(m)
		if err := os.WriteFile(filepath.Join(dir, markerFile), b, 0o600); err != nil {
			return err
		}
	}
	if m.LastSeq > 0 {
		// The profile engine must start after the bulk part, as it would
		// after having processed it.
		if got := a.Profiles.Applied(); got < m.LastSeq {
			return fmt.Errorf("the profile engine is at sequence %d, not %d: its state format changed (bench/erasure/bulk.go sets it)", got, m.LastSeq)
		}
	}
	src, ok := a.Sources.ByID(m.Source)
	if !ok {
		return fmt.Errorf("source %s not found", m.Source)
	}
	if err := counts(ctx, a, dir); err != nil {
		return err
	}

	ps := *pickSeed
	if ps == 0 {
		ps = uint64(time.Now().UnixNano())
	}
	rng := rand.New(rand.NewPCG(ps, 7))
	picked := map[int]bool{}
	// pickIn picks a person of lo…hi-1 not picked before.
	pickIn := func(lo, hi int) int {
		for {
			p := lo + rng.IntN(hi-lo)
			if !picked[p] {
				picked[p] = true
				return p
			}
		}
	}
	// People who went through ingest have everything a real person has
	// (keys, profile engine state); the bulk part's are spread over the
	// whole log and tables.
	nIngested := m.ingested()
	pick := func() int { return pickIn(0, nIngested) }
	waitQuiet(5*time.Second, *quietWait, true)
	busy0, self0, phase0 := machine.Busy(), machine.SelfCPU(), time.Now()
	if *cpuprofile != "" {
		f, err := os.Create(*cpuprofile)
		if err != nil {
			return err
		}
		if err := pprof.StartCPUProfile(f); err != nil {
			return err
		}
		defer func() {
			pprof.StopCPUProfile()
			f.Close()
			fmt.Printf("CPU profile of the erasure phase: %s\n", *cpuprofile)
		}()
	}
	stopLive := startLive(ctx, a, src, *live)
	var erased []int
	eraseSet := func(title string, n int, pick func() int) error {
		fmt.Printf("\n## erasure of %d %s, one at a time, by email (pick seed %d); machine load %s\n", n, title, ps, machine.LoadAvg())
		var resSecs, wallSecs, quietRes []float64
		for i := 0; i < n; i++ {
			p := pick()
			pe := person(*seed, p)
			if *quietEach > 0 {
				waitQuiet(time.Second, *quietEach, false)
			}
			var r *privacy.Request
			var wall float64
			var err error
			others := otherCores(func() {
				start := time.Now()
				var req *privacy.Request
				req, err = a.Privacy.Submit(ctx, privacy.KindErasure, privacy.Identifier{Email: pe.email}, "gdpr", "bench", false)
				if err != nil {
					return
				}
				r, err = a.Privacy.Wait(ctx, req.ID)
				wall = time.Since(start).Seconds()
			})
			if err != nil {
				return fmt.Errorf("erasure of person %d: %w", p, err)
			}
			if r.Status != privacy.StatusCompleted || r.Result == nil {
				return fmt.Errorf("erasure of person %d: status %s: %s", p, r.Status, r.Error)
			}
			res := r.Result
			if res.Identities == 0 {
				fmt.Printf("person %7d: already erased by an earlier run; not counted\n", p)
				continue
			}
			note := ""
			if res.MessagesDeleted < pe.messages {
				note = fmt.Sprintf("  <-- FEWER MESSAGES THAN SENT (%d)", pe.messages)
			}
			fmt.Printf("person %7d: %.3fs (request's own result), %.3fs submit→completed, other processes %.2f cores meanwhile; %d identities, %d keys, %d messages deleted (%d sent), rows %s%s\n",
				p, res.Seconds, wall, others, res.Identities, res.KeysDestroyed, res.MessagesDeleted, pe.messages, rowsString(res.RowsDeleted), note)
			if others < *quietCores {
				quietRes = append(quietRes, res.Seconds)
			}
			resSecs = append(resSecs, res.Seconds)
			wallSecs = append(wallSecs, wall)
			erased = append(erased, p)
		}
		fmt.Printf("result seconds:          %s\n", dist(resSecs))
		fmt.Printf("submit→completed wall:   %s\n", dist(wallSecs))
		fmt.Printf("result seconds of the erasures during which other processes used < %.2f cores: %s\n", *quietCores, dist(quietRes))
		if len(wallSecs) > 0 {
			met := "MET"
			if slices.Max(wallSecs) >= 1 {
				met = "NOT MET (some erasure took ≥ 1 s)"
			}
			fmt.Printf("goal < 1 s per erasure: %s\n", met)
		}
		return nil
	}
	if err := eraseSet("people sent through ingest", *erase, pick); err != nil {
		return err
	}
	if nIngested < m.People && *eraseBg > 0 {
		if err := eraseSet("people of the bulk part", *eraseBg, func() int { return pickIn(nIngested, m.People) }); err != nil {
			return err
		}
	}
	el := time.Since(phase0).Seconds()
	fmt.Printf("erasure phase (%.0fs, with the waits for a quiet machine): this process used %.2f cores (%.1f CPU-s), other processes %.2f; load %s\n",
		el, (machine.SelfCPU()-self0)/el, machine.SelfCPU()-self0, max(0, (machine.Busy()-busy0)-(machine.SelfCPU()-self0))/el, machine.LoadAvg())

	fmt.Printf("\n## checks\n")
	bad := 0
	for _, p := range erased {
		pe := person(*seed, p)
		req, err := a.Privacy.Submit(ctx, privacy.KindErasure, privacy.Identifier{Email: pe.email}, "gdpr", "bench", false)
		if err != nil {
			return err
		}
		r, err := a.Privacy.Wait(ctx, req.ID)
		if err != nil {
			return err
		}
		if r.Result == nil || r.Result.Identities != 0 {
			fmt.Printf("person %d: a second erasure found %v identities\n", p, r.Result)
			bad++
		}
		res, err := a.Store.Query(ctx, fmt.Sprintf("SELECT (SELECT count(*) FROM events WHERE user_id = %s OR anonymous_id = %s) + (SELECT count(*) FROM orders WHERE user_id = %s) + (SELECT count(*) FROM customers WHERE user_id = %s) + (SELECT count(*) FROM identifier_tokens WHERE user_id = %s)",
			lit(pe.userID), lit(pe.anonID), lit(pe.userID), lit(pe.userID), lit(pe.userID)), 1)
		if err != nil {
			return err
		}
		if n := fmt.Sprint(res.Rows[0][0]); n != "0" {
			fmt.Printf("person %d: %s rows left in the store\n", p, n)
			bad++
		}
		if _, ok := a.Keys.Lookup(pii.Subject(src.ID, pe.userID, "")); ok {
			fmt.Printf("person %d: key still live\n", p)
			bad++
		}
	}
	fmt.Printf("second erasure of each of the %d erased emails: %d found identities or rows or a live key\n", len(erased), bad)
	if len(erased) > 0 {
		pe := person(*seed, erased[0])
		out, err := a.Ingest.Accept(ctx, src, []ingest.Item{{Raw: pe.identify("again", time.Now())}}, ingest.Options{})
		if err != nil {
			return err
		}
		fmt.Printf("a new identify of an erased person: suppressed=%v\n", out[0].Suppressed)
		if !out[0].Suppressed {
			bad++
		}
	}

	if *breakdown > 0 {
		// Every other person of the bulk part, if any: their rows and
		// messages lie all over the tables and the log.
		bpick, i := pick, 0
		if nIngested < m.People {
			bpick = func() int {
				if i++; i%2 == 0 {
					return pickIn(nIngested, m.People)
				}
				return pick()
			}
		}
		if err := stepByStep(ctx, a, src, *breakdown, bpick); err != nil {
			return err
		}
	}
	stopLive()
	if *sqlReplay > 0 {
		var ps []personT
		for range *sqlReplay {
			ps = append(ps, person(*seed, pick()))
		}
		idx := slices.Clone(a.Keys.IndexKey())
		if err := a.Close(); err != nil {
			return err
		}
		if err := replaySQL(ctx, filepath.Join(dir, "store", "tradewind.duckdb"), idx, ps); err != nil {
			return err
		}
	}
	if bad > 0 {
		return fmt.Errorf("%d checks failed", bad)
	}
	return nil
}

// startLive sends rate messages a second of new people (their four
// messages in turn, as load does) through ingest until the returned
// function is called, which prints what was sent.
func startLive(ctx context.Context, a *app.App, src source.Source, rate int) func() {
	if rate <= 0 {
		return func() {}
	}
	stop := make(chan struct{})
	done := make(chan struct{})
	var sent, refused int
	start := time.Now()
	go func() {
		defer close(done)
		// New people above the loaded ones, apart from earlier runs'.
		next := 2**people + int(time.Now().Unix()%100_000)*10_000
		base := time.Now().Add(-time.Hour)
		tick := time.NewTicker(50 * time.Millisecond)
		defer tick.Stop()
		per := max(1, rate/20)
		var wave int
		var items []ingest.Item
		for {
			select {
			case <-stop:
				return
			case <-tick.C:
			}
			items = items[:0]
			for len(items) < per {
				if m := person(*seed, next).message(wave, base); m != nil {
					items = append(items, ingest.Item{Raw: m})
				}
				if wave++; wave == 4 {
					wave, next = 0, next+1
				}
			}
			out, err := a.Ingest.Accept(ctx, src, items, ingest.Options{})
			if err != nil {
				refused += len(items)
				continue
			}
			for _, o := range out {
				if o.Err != nil {
					refused++
				} else {
					sent++
				}
			}
		}
	}()
	return func() {
		close(stop)
		<-done
		el := time.Since(start).Seconds()
		fmt.Printf("live traffic meanwhile: %d messages accepted (%.0f/s), %d refused\n", sent, float64(sent)/el, refused)
	}
}

// load ingests people 0…n-1 and waits until the store applied them; seqs,
// if not nil, receives each person's log sequence per message (0: none).
func load(ctx context.Context, a *app.App, n int, seqs [][4]uint64) (marker, error) {
	src, err := a.CreateSource(ctx, source.Source{Name: "bench-erasure", Currency: "EUR", Country: "DE"})
	if err != nil {
		return marker{}, err
	}
	fmt.Printf("\n## load through ingest: %d people, source %s; machine load %s\n", n, src.ID, machine.LoadAvg())
	var next, done, msgs, retries atomic.Int64
	var lastSeq atomic.Uint64
	// Four waves over all people: first everyone's page view before signing
	// up, then the identifies, the page views after, the orders. A person's
	// messages thus lie far apart in the log, as they do when they come
	// weeks apart (each secure delete then rewrites a different block of
	// the log). Workers take chunks of --batch people of a wave.
	perChunk := *batch
	chunks := (n + perChunk - 1) / perChunk
	start := time.Now()
	stopProgress := make(chan struct{})
	var pwg sync.WaitGroup
	pwg.Add(1)
	go func() {
		defer pwg.Done()
		t := time.NewTicker(10 * time.Second)
		defer t.Stop()
		prev, prevT := int64(0), start
		for {
			select {
			case <-stopProgress:
				return
			case now := <-t.C:
				n := msgs.Load()
				applied, _ := a.Store.AppliedSeq(ctx)
				fmt.Printf("  %5.0fs: wave %d/4, %8d people complete, %9d messages accepted (%6.0f/s now), store applied %9d, RSS %.0f MiB, load %s\n",
					now.Sub(start).Seconds(), min(4, 1+int(next.Load())/chunks), done.Load(), n, float64(n-prev)/now.Sub(prevT).Seconds(), applied, machine.Mem(0, machine.RSS), machine.LoadAvg())
				prev, prevT = n, now
			}
		}
	}()
	errc := make(chan error, *workers)
	var wg sync.WaitGroup
	base := time.Now().Add(-300 * 24 * time.Hour)
	for w := 0; w < *workers; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			items := make([]ingest.Item, 0, *batch+8)
			ps := make([]int, 0, *batch+8)
			for {
				u := int(next.Add(1)) - 1
				if u >= 4*chunks {
					return
				}
				wave, first := u/chunks, (u%chunks)*perChunk
				last := min(first+perChunk, n)
				items, ps = items[:0], ps[:0]
				for p := first; p < last; p++ {
					if m := person(*seed, p).message(wave, base); m != nil {
						items = append(items, ingest.Item{Raw: m})
						ps = append(ps, p)
					}
				}
				// The log may fail to acknowledge in time on a starved
				// machine (ingest then answers 503 and SDKs retry); the
				// message ids are deterministic, so sending again is safe:
				// the log and the store drop the duplicates.
				var out []ingest.Outcome
				var err error
				for try := 0; ; try++ {
					if out, err = a.Ingest.Accept(ctx, src, items, ingest.Options{}); err == nil {
						break
					}
					if try == 5 {
						errc <- fmt.Errorf("accept people %d-%d: %w", first, last-1, err)
						return
					}
					retries.Add(1)
					fmt.Printf("  people %d-%d: %v; sending again\n", first, last-1, err)
					time.Sleep(time.Duration(1+try) * time.Second)
				}
				for i, o := range out {
					if o.Err != nil || o.Suppressed {
						errc <- fmt.Errorf("accept people %d-%d: message %d refused: %v (suppressed %v)", first, last-1, i, o.Err, o.Suppressed)
						return
					}
					if seqs != nil {
						seqs[ps[i]][wave] = o.Seq
					}
					for {
						cur := lastSeq.Load()
						if o.Seq <= cur || lastSeq.CompareAndSwap(cur, o.Seq) {
							break
						}
					}
				}
				msgs.Add(int64(len(items)))
				if wave == 3 {
					done.Add(int64(last - first))
				}
			}
		}()
	}
	wg.Wait()
	close(errc)
	if err := <-errc; err != nil {
		close(stopProgress)
		return marker{}, err
	}
	accepted := time.Since(start)
	last, err := a.Log.LastSeq(ctx)
	if err != nil {
		return marker{}, err
	}
	fmt.Printf("accepted %d messages of %d people in %.1fs (%.0f messages/s, %.0f people/s; %d batches sent again); log last sequence %d; store applied %d\n",
		msgs.Load(), n, accepted.Seconds(), float64(msgs.Load())/accepted.Seconds(), float64(n)/accepted.Seconds(), retries.Load(), last, mustApplied(ctx, a))
	wctx, cancel := context.WithTimeout(ctx, time.Hour)
	defer cancel()
	if err := store.WaitApplied(wctx, a.Store, last); err != nil {
		close(stopProgress)
		return marker{}, err
	}
	close(stopProgress)
	pwg.Wait()
	took := time.Since(start)
	fmt.Printf("store applied everything %.1fs after the start (%.1fs after the last acknowledgement): load took %.1fs = %.0f messages/s end to end; peak RSS %.0f MiB\n",
		took.Seconds(), (took - accepted).Seconds(), took.Seconds(), float64(msgs.Load())/took.Seconds(), machine.Mem(0, machine.Peak))
	return marker{People: n, Seed: *seed, Source: src.ID, Messages: uint64(msgs.Load())}, nil
}

func mustApplied(ctx context.Context, a *app.App) uint64 {
	n, _ := a.Store.AppliedSeq(ctx)
	return n
}

// counts prints the rows of the person tables and the data directory's size.
func counts(ctx context.Context, a *app.App, dir string) error {
	var parts []string
	for _, t := range []string{"events", "orders", "customers", "identifier_tokens"} {
		parts = append(parts, fmt.Sprintf("(SELECT count(*) FROM %s) AS %s", t, t))
	}
	res, err := a.Store.Query(ctx, "SELECT "+strings.Join(parts, ", "), 1)
	if err != nil {
		return err
	}
	var s []string
	for i, c := range res.Columns {
		s = append(s, fmt.Sprintf("%s %v", c, res.Rows[0][i]))
	}
	res, err = a.Store.Query(ctx, "SELECT count(DISTINCT user_id) FROM events", 1)
	if err != nil {
		return err
	}
	st := a.Keys.Stats()
	fmt.Printf("store rows: %s; distinct userIds (profiles) %v; key store %+v\n", strings.Join(s, ", "), res.Rows[0][0], st)
	var sizes []string
	for _, sub := range []string{"log", "store", "keys"} {
		sizes = append(sizes, fmt.Sprintf("%s %.0f MiB", sub, machine.DirMiB(filepath.Join(dir, sub))))
	}
	fmt.Printf("data directory: %s\n", strings.Join(sizes, ", "))
	return nil
}

// stepByStep erases n more people calling the steps of privacy.Service.Erase
// one by one, each timed, and times the scans behind FindPerson and
// ErasePerson on the query connection.
func stepByStep(ctx context.Context, a *app.App, src source.Source, n int, pick func() int) error {
	fmt.Printf("\n## step by step: %d more erasures, the steps of privacy.Service.Erase timed one by one (ms)\n", n)
	idx := a.Keys.IndexKey()
	type row struct {
		name string
		ms   []float64
	}
	var order []string
	rows := map[string]*row{}
	add := func(name string, d time.Duration) {
		r, ok := rows[name]
		if !ok {
			r = &row{name: name}
			rows[name] = r
			order = append(order, name)
		}
		r.ms = append(r.ms, float64(d)/float64(time.Millisecond))
	}
	// Newer stores keep events and orders in event_rows and order_rows
	// (events and orders are views over them, with profiles): probe the
	// tables the DELETEs touch.
	evT, ordT := "events", "orders"
	if tableExists(ctx, a, "event_rows") {
		evT, ordT = "event_rows", "order_rows"
	}
	profiles := tableExists(ctx, a, "profile_users") && tableExists(ctx, a, "profile_anons")
	var steps time.Duration // this iteration's steps 1–7, without the probes
	var msgs []float64
	timed := func(name string, f func() error) error {
		t := time.Now()
		err := f()
		d := time.Since(t)
		add(name, d)
		if !strings.HasPrefix(name, " ") {
			steps += d
		}
		return err
	}
	query := func(name, q string) error {
		return timed(name, func() error { _, err := a.Store.Query(ctx, q, 1); return err })
	}
	var others []float64
	for i := 0; i < n; i++ {
		pe := person(*seed, pick())
		if *quietEach > 0 {
			waitQuiet(time.Second, *quietEach, false)
		}
		b0, s0, t0 := machine.Busy(), machine.SelfCPU(), time.Now()
		norm, _ := pii.NormalizeEmail(pe.email)
		tok := string(pii.BlindIndex(idx, "email", norm))
		q := store.PersonQuery{Tokens: []store.KindToken{{Kind: "email", Token: tok}}}
		steps = 0
		if err := timed("1 suppression list: add the query's hash (fsync)", func() error {
			return a.Suppress.Add(pii.SuppressionHash(idx, "token:email", tok))
		}); err != nil {
			return err
		}
		if err := timed("2 catch-up: log last sequence vs store applied", func() error {
			last, err := a.Log.LastSeq(ctx)
			if err != nil {
				return err
			}
			return store.WaitApplied(ctx, a.Store, last)
		}); err != nil {
			return err
		}
		var p *store.Person
		if err := timed("3 FindPerson (all rounds)", func() (err error) {
			p, err = a.Store.FindPerson(ctx, q, 1000)
			return err
		}); err != nil {
			return err
		}
		// The queries behind FindPerson and ErasePerson
		// (internal/store/duckdb/person.go), as read-only queries with the
		// values inlined, and the former identity scan for comparison.
		var uids, anons, ids, toks []string
		for _, id := range p.Identities {
			if id.UserID != "" {
				uids = append(uids, lit(id.UserID))
			}
			if id.AnonymousID != "" {
				anons = append(anons, lit(id.AnonymousID))
			}
		}
		ids = append(slices.Clone(uids), anons...)
		for _, t := range p.Tokens {
			toks = append(toks, lit(t.Token))
		}
		var seqs []string
		if p.Found != nil {
			for _, q := range p.Found.Seqs {
				seqs = append(seqs, strconv.FormatUint(q, 10))
			}
		}
		in := func(v []string) string {
			if len(v) == 0 {
				return "(NULL)"
			}
			return "(" + strings.Join(v, ",") + ")"
		}
		var pids []string
		for _, pr := range []struct{ name, q string }{
			{"   identifier_tokens WHERE token IN (the person's tokens)", "SELECT count(*) FROM identifier_tokens WHERE token IN " + in(toks)},
			{"   " + evT + " WHERE user_id IN (…)", "SELECT count(*) FROM " + evT + " WHERE user_id IN " + in(uids)},
			{"   " + evT + " WHERE anonymous_id IN (…)", "SELECT count(*) FROM " + evT + " WHERE anonymous_id IN " + in(anons)},
			{"   former: " + evT + " WHERE user_id = … OR anonymous_id = …", "SELECT count(*) FROM " + evT + " WHERE user_id IN " + in(uids) + " OR anonymous_id IN " + in(anons)},
			{"   identifier_tokens WHERE seq IN (the person's messages)", "SELECT count(*) FROM identifier_tokens WHERE seq IN " + in(seqs)},
			{"   " + evT + " WHERE seq IN (the person's messages)", "SELECT count(*) FROM " + evT + " WHERE seq IN " + in(seqs)},
			{"   " + ordT + " WHERE customer_id IN (…)", "SELECT count(*) FROM " + ordT + " WHERE customer_id IN " + in(ids)},
			{"   customers WHERE customer_id IN (…)", "SELECT count(*) FROM customers WHERE customer_id IN " + in(ids)},
			{"   order_items WHERE order_id IN (…)", "SELECT count(*) FROM order_items WHERE order_id IN (SELECT order_id FROM " + ordT + " WHERE customer_id IN " + in(ids) + ")"},
		} {
			if err := query(pr.name, pr.q); err != nil {
				return err
			}
		}
		if profiles {
			if err := timed("   profile_users / profile_anons WHERE user_id / anonymous_id IN (…)", func() error {
				res, err := a.Store.Query(ctx, "SELECT profile_id FROM profile_users WHERE user_id IN "+in(uids)+" UNION SELECT profile_id FROM profile_anons WHERE anonymous_id IN "+in(anons), 100)
				if err == nil {
					for _, r := range res.Rows {
						pids = append(pids, lit(fmt.Sprint(r[0])))
					}
				}
				return err
			}); err != nil {
				return err
			}
			for _, t := range []string{"profiles", "profile_identities"} {
				if err := query("   "+t+" WHERE profile_id IN (…)", "SELECT count(*) FROM "+t+" WHERE profile_id IN "+in(pids)); err != nil {
					return err
				}
			}
		}
		if err := timed("4 suppression list: add the person's hashes (fsync)", func() error {
			var hs [][32]byte
			for _, id := range p.Identities {
				if id.UserID != "" {
					hs = append(hs, pii.SuppressionHash(idx, "user", id.SourceID+"\x00"+id.UserID))
				}
				if id.AnonymousID != "" {
					hs = append(hs, pii.SuppressionHash(idx, "anonymous", id.AnonymousID))
				}
			}
			for _, t := range p.Tokens {
				hs = append(hs, pii.SuppressionHash(idx, "token:"+t.Kind, t.Token))
			}
			return a.Suppress.Add(hs...)
		}); err != nil {
			return err
		}
		if err := timed("5 keys: lookup and destroy (fsync)", func() error {
			var ids []uint64
			for _, id := range p.Identities {
				if kid, ok := a.Keys.Lookup(pii.Subject(id.SourceID, id.UserID, id.AnonymousID)); ok {
					ids = append(ids, kid)
				}
			}
			return a.Keys.Destroy(ids...)
		}); err != nil {
			return err
		}
		if a.Privacy.OnErase != nil {
			if err := timed("5b OnErase: the profile engine and journeys forget the person", func() error {
				return a.Privacy.OnErase(ctx, p.Identities)
			}); err != nil {
				return err
			}
		}
		var er *store.Erased
		if err := timed("6 ErasePerson (deletes by sequence, customer, order and profile id; commit)", func() (err error) {
			er, err = a.Store.ErasePerson(ctx, p)
			return err
		}); err != nil {
			return err
		}
		var deleted int
		if err := timed("7 SecureDelete of the person's messages", func() (err error) {
			deleted, err = a.Log.SecureDelete(ctx, er.Seqs)
			return err
		}); err != nil {
			return err
		}
		if deleted != len(er.Seqs) {
			return fmt.Errorf("secure delete: %d of %d", deleted, len(er.Seqs))
		}
		msgs = append(msgs, float64(deleted))
		add("= steps 1–7", steps)
		last := func(name string) float64 { r := rows[name].ms; return r[len(r)-1] }
		fmt.Printf("person %7d: steps %.0f ms (FindPerson %.0f, ErasePerson %.0f, SecureDelete %.0f)\n", pe.p, float64(steps)/float64(time.Millisecond),
			last("3 FindPerson (all rounds)"), last("6 ErasePerson (deletes by sequence, customer, order and profile id; commit)"), last("7 SecureDelete of the person's messages"))
		others = append(others, max(0, (machine.Busy()-b0)-(machine.SelfCPU()-s0))/time.Since(t0).Seconds())
	}
	for _, name := range order {
		r := rows[name]
		fmt.Printf("%-58s %s\n", r.name, distMS(r.ms))
	}
	fmt.Printf("(messages per person securely deleted in step 7: %s; other processes' cores during each person's steps: %s)\n",
		strings.Join(strings.Fields(distMS(msgs)), " "), strings.Join(strings.Fields(distMS(others)), " "))
	return nil
}

func tableExists(ctx context.Context, a *app.App, name string) bool {
	res, err := a.Store.Query(ctx, "SELECT count(*) FROM duckdb_tables() WHERE table_name = "+lit(name), 1)
	return err == nil && fmt.Sprint(res.Rows[0][0]) == "1"
}

// A person of the generated population; everything derives from (seed, p),
// so the erasure phase can name people of a load done by an earlier run.
type personT struct {
	p               int
	userID, anonID  string
	email, phone    string
	first, last     string
	order           bool
	messages        int
	firstSeen, gaps time.Duration
}

var (
	firstNames = [...]string{"Emma", "Liam", "Sofia", "Lukas", "Chloé", "Mateo", "Hanna", "Noah", "Giulia", "Yuki", "Amara", "Oliver", "Zoé", "Jan", "Aisha", "Mei", "Lars", "Inès", "Tomasz", "Freya"}
	lastNames  = [...]string{"Müller", "Smith", "García", "Rossi", "Dubois", "Kowalski", "Jansen", "Tanaka", "Silva", "O'Brien", "Nielsen", "Schmidt", "Novak", "Chen", "Moreau", "Bianchi", "Larsen", "Fischer", "Ivanova", "Costa"}
	domains    = [...]string{"gmail.com", "outlook.com", "web.de", "yahoo.fr", "icloud.com", "gmx.net", "hotmail.co.uk", "libero.it"}
	// Mobile prefixes that take 8 more digits: p's own digits, so every
	// person has a different number.
	phonePrefixes = [...]string{"+49 151 ", "+33 6 ", "+31 6 "}
)

func person(seed uint64, p int) personT {
	h := mix(seed*0x9e3779b97f4a7c15 ^ uint64(p))
	fn, ln := firstNames[h%20], lastNames[(h>>8)%20]
	pe := personT{p: p, first: fn, last: ln}
	pe.userID = "cus_" + strconv.FormatUint(h, 36)
	pe.anonID = uuid(mix(h))
	local := strings.ToLower(fn + "." + strings.ReplaceAll(ln, "'", ""))
	pe.email = local + "." + strconv.FormatInt(int64(p), 36) + "@" + domains[(h>>16)%8]
	pe.phone = phonePrefixes[(h>>20)%3] + fmt.Sprintf("%08d", p)
	pe.order = (h>>24)%2 == 0
	pe.messages = 3
	if pe.order {
		pe.messages = 4
	}
	pe.firstSeen = time.Duration((h>>28)%(280*24*3600)) * time.Second
	pe.gaps = time.Duration(30+(h>>48)%600) * time.Second
	return pe
}

// message returns the person's k-th message (0–3), or nil: the page view
// before signing up, the identify, a page view after it and, for half of
// the people, an order.
func (pe personT) message(k int, base time.Time) []byte {
	t := base.Add(pe.firstSeen + time.Duration(k)*pe.gaps)
	mid := "bench-" + strconv.Itoa(pe.p) + "-" + strconv.Itoa(k+1)
	switch k {
	case 0:
		return fmt.Appendf(nil,
			`{"type":"page","anonymousId":%q,"messageId":%q,"timestamp":%q,"name":"Home","properties":{"path":"/","url":"https://shop.example/","referrer":"https://www.google.com/","title":"Merino & more"},"context":{"library":{"name":"analytics.js","version":"5.2.0"},"locale":"de-DE","page":{"path":"/"}}}`,
			pe.anonID, mid, t.Format(time.RFC3339Nano))
	case 1:
		return pe.identify(mid, t)
	case 2:
		return fmt.Appendf(nil,
			`{"type":"page","userId":%q,"anonymousId":%q,"messageId":%q,"timestamp":%q,"name":"Product","properties":{"path":"/p/merino-crew","url":"https://shop.example/p/merino-crew","title":"Merino crew sweater"},"context":{"library":{"name":"analytics.js","version":"5.2.0"},"locale":"de-DE"}}`,
			pe.userID, pe.anonID, mid, t.Format(time.RFC3339Nano))
	case 3:
		if !pe.order {
			return nil
		}
		cents := 1990 + int(mix(uint64(pe.p))%30000)
		return fmt.Appendf(nil,
			`{"type":"track","event":"Order Completed","userId":%q,"anonymousId":%q,"messageId":%q,"timestamp":%q,"properties":{"order_id":"o-%d","total":%d.%02d,"currency":"EUR","products":[{"product_id":"merino-crew","sku":"MC-%d","name":"Merino crew sweater","price":89.00,"quantity":1},{"product_id":"wool-socks","sku":"WS-%d","name":"Wool socks","price":14.50,"quantity":2}]},"context":{"library":{"name":"analytics.js","version":"5.2.0"}}}`,
			pe.userID, pe.anonID, mid, t.Format(time.RFC3339Nano), pe.p, cents/100, cents%100, pe.p%7, pe.p%5)
	}
	return nil
}

func (pe personT) identify(messageID string, t time.Time) []byte {
	return fmt.Appendf(nil,
		`{"type":"identify","userId":%q,"anonymousId":%q,"messageId":%q,"timestamp":%q,"traits":{"email":%q,"phone":%q,"firstName":%q,"lastName":%q,"name":%q,"plan":"member"},"context":{"library":{"name":"analytics.js","version":"5.2.0"},"locale":"de-DE"}}`,
		pe.userID, pe.anonID, messageID, t.Format(time.RFC3339Nano), pe.email, pe.phone, pe.first, pe.last, pe.first+" "+pe.last)
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

func lit(s string) string { return "'" + strings.ReplaceAll(s, "'", "''") + "'" }

func rowsString(m map[string]int64) string {
	var ks []string
	for k, v := range m {
		if v > 0 {
			ks = append(ks, fmt.Sprintf("%s %d", k, v))
		}
	}
	slices.Sort(ks)
	return strings.Join(ks, ", ")
}

func dist(s []float64) string {
	if len(s) == 0 {
		return "no samples"
	}
	s = slices.Clone(s)
	slices.Sort(s)
	return fmt.Sprintf("min %.3fs  median %.3fs  p90 %.3fs  max %.3fs  (n %d)", s[0], quantile(s, 0.5), quantile(s, 0.9), s[len(s)-1], len(s))
}

func distMS(s []float64) string {
	s = slices.Clone(s)
	slices.Sort(s)
	return fmt.Sprintf("min %7.1f  median %7.1f  max %7.1f", s[0], quantile(s, 0.5), s[len(s)-1])
}

// quantile of sorted s, nearest rank.
func quantile(s []float64, q float64) float64 {
	i := int(q*float64(len(s))+0.999999) - 1
	return s[max(0, min(len(s)-1, i))]
}

// waitQuiet waits until other processes use fewer than --quiet-cores cores
// over a window (at most limit), and says what it found when verbose.
func waitQuiet(window, limit time.Duration, verbose bool) {
	start := time.Now()
	for {
		b0, s0 := machine.Busy(), machine.SelfCPU()
		time.Sleep(window)
		other := max(0, (machine.Busy()-b0)-(machine.SelfCPU()-s0)) / window.Seconds()
		if other < *quietCores {
			if verbose {
				fmt.Printf("# machine quiet: other processes %.2f cores busy (waited %.0fs)\n", other, time.Since(start).Seconds())
			}
			return
		}
		if time.Since(start) >= limit {
			if verbose {
				fmt.Printf("# WARNING: other processes still use %.2f cores after %.0fs; measuring anyway\n", other, time.Since(start).Seconds())
			}
			return
		}
	}
}

// otherCores measures what other processes used while f ran.
func otherCores(f func()) float64 {
	b0, s0, t0 := machine.Busy(), machine.SelfCPU(), time.Now()
	f()
	el := time.Since(t0).Seconds()
	return max(0, (machine.Busy()-b0)-(machine.SelfCPU()-s0)) / el
}

// personTables is the list of internal/store/duckdb/person.go (commit
// 121092a): the tables ErasePerson deletes from, in its order, with their
// conditions on the staged temporary tables.
var personTables = []struct{ table, where string }{
	{"event_rows", "(source_id, user_id) IN (SELECT source_id, user_id FROM tmp_users) OR anonymous_id IN (SELECT anonymous_id FROM tmp_anons)"},
	{"order_rows", "(source_id, user_id) IN (SELECT source_id, user_id FROM tmp_users) OR anonymous_id IN (SELECT anonymous_id FROM tmp_anons)"},
	{"order_items", "(store, order_id) IN (SELECT store, order_id FROM tmp_orders)"},
	{"refunds", "(store, order_id) IN (SELECT store, order_id FROM tmp_orders)"},
	{"cancellations", "(store, order_id) IN (SELECT store, order_id FROM tmp_orders)"},
	{"customers", "(source_id, user_id) IN (SELECT source_id, user_id FROM tmp_users) OR anonymous_id IN (SELECT anonymous_id FROM tmp_anons)"},
	{"reviews", "seq IN (SELECT seq FROM tmp_seqs)"},
	{"identifier_tokens", "(source_id, user_id) IN (SELECT source_id, user_id FROM tmp_users) OR anonymous_id IN (SELECT anonymous_id FROM tmp_anons)"},
	{"consent", "(source_id, user_id) IN (SELECT source_id, user_id FROM tmp_users) OR anonymous_id IN (SELECT anonymous_id FROM tmp_anons)"},
	{"profiles", "profile_id IN (SELECT profile_id FROM tmp_profiles)"},
	{"profile_identities", "profile_id IN (SELECT profile_id FROM tmp_profiles)"},
	{"segment_members", "profile_id IN (SELECT profile_id FROM tmp_profiles)"},
	{"identity_merges", "into_profile IN (SELECT profile_id FROM tmp_profiles) OR from_profile IN (SELECT profile_id FROM tmp_profiles)"},
	{"identity_conflicts", "profile_a IN (SELECT profile_id FROM tmp_profiles) OR profile_b IN (SELECT profile_id FROM tmp_profiles)"},
	{"profile_users", "profile_id IN (SELECT profile_id FROM tmp_profiles)"},
	{"profile_anons", "profile_id IN (SELECT profile_id FROM tmp_profiles)"},
}

// replaySQL opens the store's DuckDB file alone (the node is closed), with
// the node's memory limit and threads, and runs for each person the SQL that
// FindPerson (its rounds) and ErasePerson (staging, one DELETE per table,
// COMMIT) run, timing every statement. The deletes are committed: these
// people are gone from the store (not from the log or the key store; the
// data directory is a benchmark's).
func replaySQL(ctx context.Context, path string, indexKey []byte, ps []personT) error {
	fmt.Printf("\n## SQL replay: the statements of FindPerson and ErasePerson for %d more people, each timed (ms), DuckDB alone (%s, %d threads)\n", len(ps), *memory, *threads)
	c, err := openDuckDB(ctx, path, *memory, *threads)
	if err != nil {
		return err
	}
	defer c.Close()
	exists := map[string]bool{}
	rows, err := c.QueryContext(ctx, "SELECT table_name FROM duckdb_tables()")
	if err != nil {
		return err
	}
	for rows.Next() {
		var t string
		if err := rows.Scan(&t); err != nil {
			return err
		}
		exists[t] = true
	}
	rows.Close()
	evT, ordT := "event_rows", "order_rows"
	if !exists[evT] {
		evT, ordT = "events", "orders"
	}
	rename := func(q string) string {
		return strings.NewReplacer("event_rows", evT, "order_rows", ordT).Replace(q)
	}
	var order []string
	times := map[string][]float64{}
	timed := func(name, q string, args ...any) (*sql.Rows, error) {
		t := time.Now()
		var r *sql.Rows
		var err error
		if strings.HasPrefix(q, "SELECT") {
			r, err = c.QueryContext(ctx, q, args...)
		} else {
			_, err = c.ExecContext(ctx, q, args...)
		}
		if _, ok := times[name]; !ok {
			order = append(order, name)
		}
		times[name] = append(times[name], float64(time.Since(t))/float64(time.Millisecond))
		return r, err
	}
	drain := func(r *sql.Rows, f func(vals []sql.NullString)) error {
		defer r.Close()
		cols, _ := r.Columns()
		for r.Next() {
			vals := make([]sql.NullString, len(cols))
			ptrs := make([]any, len(cols))
			for i := range vals {
				ptrs[i] = &vals[i]
			}
			if err := r.Scan(ptrs...); err != nil {
				return err
			}
			f(vals)
		}
		return r.Err()
	}
	var totals []float64
	for _, pe := range ps {
		if *quietEach > 0 {
			waitQuiet(time.Second, *quietEach, false)
		}
		t0 := time.Now()
		norm, _ := pii.NormalizeEmail(pe.email)
		users := map[[2]string]bool{}
		anons := map[string]bool{}
		tokens := map[[2]string]bool{{"email", string(pii.BlindIndex(indexKey, "email", norm))}: true}
		// FindPerson's rounds, as it runs them (the round time includes
		// reading the rows; the first query of a round is the slowest to
		// start as nothing is cached).
		for round := 0; round < 20; round++ {
			before := len(users) + len(anons) + len(tokens)
			var cond []string
			var args []any
			for t := range tokens {
				cond = append(cond, "(kind = ? AND token = ?)")
				args = append(args, t[0], t[1])
			}
			r, err := timed(fmt.Sprintf("FindPerson round %d: identifier_tokens by token", round+1),
				"SELECT source_id, user_id, anonymous_id FROM identifier_tokens WHERE "+strings.Join(cond, " OR "), args...)
			if err != nil {
				return err
			}
			if err := drain(r, func(v []sql.NullString) {
				if v[1].String != "" {
					users[[2]string{v[0].String, v[1].String}] = true
				}
				if v[2].String != "" {
					anons[v[2].String] = true
				}
			}); err != nil {
				return err
			}
			cond, args = cond[:0], args[:0]
			for u := range users {
				cond = append(cond, "(source_id = ? AND user_id = ?)")
				args = append(args, u[0], u[1])
			}
			if len(anons) > 0 {
				var ph []string
				for a := range anons {
					ph = append(ph, "?")
					args = append(args, a)
				}
				cond = append(cond, "anonymous_id IN ("+strings.Join(ph, ",")+")")
			}
			if len(cond) > 0 {
				w := strings.Join(cond, " OR ")
				r, err := timed(fmt.Sprintf("FindPerson round %d: %s by identity", round+1, evT),
					"SELECT DISTINCT source_id, user_id, anonymous_id, previous_id FROM "+evT+" WHERE "+w, args...)
				if err != nil {
					return err
				}
				if err := drain(r, func(v []sql.NullString) {
					if v[1].String != "" {
						users[[2]string{v[0].String, v[1].String}] = true
					}
					if v[2].String != "" {
						anons[v[2].String] = true
					}
				}); err != nil {
					return err
				}
				r, err = timed(fmt.Sprintf("FindPerson round %d: identifier_tokens by identity", round+1),
					"SELECT DISTINCT kind, token FROM identifier_tokens WHERE "+w, args...)
				if err != nil {
					return err
				}
				if err := drain(r, func(v []sql.NullString) { tokens[[2]string{v[0].String, v[1].String}] = true }); err != nil {
					return err
				}
			}
			if len(users)+len(anons)+len(tokens) == before && round > 0 {
				break
			}
		}
		// ErasePerson.
		stmts := []struct{ name, q string }{
			{"ErasePerson: BEGIN", "BEGIN TRANSACTION"},
			{"ErasePerson: stage tmp_users", "CREATE OR REPLACE TEMP TABLE tmp_users AS SELECT source_id, user_id FROM " + evT + " LIMIT 0"},
			{"ErasePerson: stage tmp_anons", "CREATE OR REPLACE TEMP TABLE tmp_anons AS SELECT anonymous_id FROM " + evT + " LIMIT 0"},
		}
		for u := range users {
			stmts = append(stmts, struct{ name, q string }{"ErasePerson: stage tmp_users", "INSERT INTO tmp_users VALUES (" + lit(u[0]) + ", " + lit(u[1]) + ")"})
		}
		for a := range anons {
			stmts = append(stmts, struct{ name, q string }{"ErasePerson: stage tmp_anons", "INSERT INTO tmp_anons VALUES (" + lit(a) + ")"})
		}
		stmts = append(stmts,
			struct{ name, q string }{"ErasePerson: stage tmp_seqs (scan " + evT + ")", "CREATE OR REPLACE TEMP TABLE tmp_seqs AS SELECT seq FROM " + evT + " WHERE " + personTables[0].where},
			struct{ name, q string }{"ErasePerson: stage tmp_orders (scan " + ordT + ")", "CREATE OR REPLACE TEMP TABLE tmp_orders AS SELECT store, order_id FROM " + ordT + " WHERE " + personTables[1].where})
		if exists["profile_users"] {
			stmts = append(stmts, struct{ name, q string }{"ErasePerson: stage tmp_profiles", `CREATE OR REPLACE TEMP TABLE tmp_profiles AS
				SELECT profile_id FROM profile_users WHERE (source_id, user_id) IN (SELECT source_id, user_id FROM tmp_users)
				UNION SELECT profile_id FROM profile_anons WHERE anonymous_id IN (SELECT anonymous_id FROM tmp_anons)`})
		}
		stmts = append(stmts, struct{ name, q string }{"ErasePerson: SELECT seq FROM tmp_seqs", "SELECT seq FROM tmp_seqs ORDER BY seq"})
		for _, t := range personTables {
			name := rename(t.table)
			if !exists[name] {
				continue
			}
			stmts = append(stmts, struct{ name, q string }{"ErasePerson: DELETE FROM " + name, "DELETE FROM " + name + " WHERE " + rename(t.where)})
		}
		stmts = append(stmts, struct{ name, q string }{"ErasePerson: COMMIT", "COMMIT"})
		for _, st := range stmts {
			r, err := timed(st.name, st.q)
			if err != nil {
				_, _ = c.ExecContext(ctx, "ROLLBACK")
				return fmt.Errorf("%s: %w", st.name, err)
			}
			if r != nil {
				if err := drain(r, func([]sql.NullString) {}); err != nil {
					return err
				}
			}
		}
		totals = append(totals, float64(time.Since(t0))/float64(time.Millisecond))
	}
	// Statements run more than once per person (staging inserts) are summed
	// per person.
	for _, name := range order {
		v := times[name]
		if len(v) > len(ps) && len(v)%len(ps) == 0 {
			k := len(v) / len(ps)
			var sums []float64
			for i := 0; i < len(v); i += k {
				var s float64
				for _, x := range v[i : i+k] {
					s += x
				}
				sums = append(sums, s)
			}
			v = sums
		}
		fmt.Printf("%-62s %s\n", name, distMS(v))
	}
	fmt.Printf("%-62s %s\n", "= all of the above, per person", distMS(totals))
	return nil
}
