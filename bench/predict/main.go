// Command predict measures the end-to-end line of issue 6's benchmarks:
// 20,000,000 transactions of 1,000,000 customers in the store aggregated,
// fitted, scored and written back (goal: < 5 s on 2 cores).
//
// It creates a store with internal/store/duckdb (the product's settings:
// --memory and --threads are DuckDB's memory_limit and threads, 256MB and 2
// as `tradewind serve` has them by default), loads it straight through SQL
// (see load), and then times, --repeat times each:
//
//  1. the lifetime-only path, which is what the 5-s goal names: with
//     --source days (the default) the store's order days brought up to date
//     (DB.RefreshOrderDays, after --new-orders orders were added on a new
//     day, which becomes the run's as-of day: a day of the store writer's
//     work between two daily runs), then one read of the customers'
//     histories in the models' terms (predict.ReadLifetimeFrom, weeks: the
//     lifetime columns only; --read-full reads the full snapshot with
//     ReadSnapshotFrom and turns it into the summary, as before 2026-11-22
//     19:00; --source view reads every order row through the orders view
//     instead, as the code did before the order days),
//     predict.FitLifetime with the model chosen before (Only: "bgnbd", as
//     Service.Refresh's final step runs it: BG/NBD + Gamma-Gamma fitted,
//     every customer scored with P(alive), expected purchases over a year
//     and 12-month CLV), the rows built and written back with the store's
//     SavePredictions (the same transaction Refresh uses);
//  2. the same with FitLifetime's defaults (Pareto/NBD too, on a sample,
//     with its log-likelihood on all customers), once per repeat;
//  3. predict.Service.Refresh as the node runs it (three snapshots, the
//     lifetime evaluation on the last 90 days, the lifetime fit, the churn
//     model trained and compared, the write), with its timings_ms per step;
//  4. (--paths rfm) RFM as GET /v1/rfm computes it (issue 4: overall over
//     365 days and over all days, and per marketplace), into a table, with
//     one order in 20 refunded.
//
// Each run reports its wall time per step and the process's CPU time
// (total_cpu: user + system, DuckDB's threads included). The first refresh
// of the order days (every day aggregated: what a store pays once when the
// migration arrives) is timed apart; --reset-order-days drops them to time
// it again. --explain prints DuckDB's profile of the snapshot read.
//
// Figures are medians over the repeats; the machine's load average is
// printed with each. --cpuprofile profiles the timed phase.
//
// # Data
//
// Customer k (k < --customers) is user "u<k>" of source "bench-src" in
// profile_users (profile "p<k>"), so the orders view gives each order its
// profile_id. Everything derives from hash() of k (and the order's number):
// first order 0–699 days before --as-of (uniform), active for an
// exponential span (mean 250 days, cut at the as-of day), a share of the
// orders proportional to an exponential draw times a uniform one (so
// order counts vary from 1 to a few hundred, --orders in all, at least one
// each), each order on a uniform day of the active span (the first on the
// first day) at a uniform time of day, amounts around a per-customer mean
// (20–220 EUR, ±50%), 2% cancelled, four marketplaces. A buy-till-you-die
// process, so BG/NBD fits it.
package main

import (
	"context"
	"database/sql"
	"encoding/json"
	"flag"
	"fmt"
	"log/slog"
	"math"
	"os"
	"path/filepath"
	"runtime"
	"runtime/pprof"
	"slices"
	"strings"
	"time"

	"github.com/tradewind/tradewind/bench/machine"
	"github.com/tradewind/tradewind/internal/predict"
	"github.com/tradewind/tradewind/internal/predict/btyd"
	"github.com/tradewind/tradewind/internal/profile/rfm"
	"github.com/tradewind/tradewind/internal/store"
	"github.com/tradewind/tradewind/internal/store/duckdb"
)

var (
	customers  = flag.Int("customers", 1_000_000, "customers (profiles)")
	orders     = flag.Int("orders", 20_000_000, "orders in all")
	dir        = flag.String("data", "", "store directory: a finished load is reused; empty: a new temporary one, removed at the end")
	keep       = flag.Bool("keep", false, "keep the temporary store")
	memory     = flag.String("memory", "256MB", "DuckDB memory_limit while timing (tradewind serve's default)")
	loadMemory = flag.String("load-memory", "2GB", "DuckDB memory_limit while loading")
	threads    = flag.Int("threads", 2, "DuckDB threads")
	repeat     = flag.Int("repeat", 3, "timed repeats of each path")
	refreshes  = flag.Int("refresh-repeat", 2, "timed repeats of Service.Refresh (0: skip)")
	asOfFlag   = flag.String("as-of", "2026-11-01", "the day the runs score as of (data lies in the 700 days before)")
	paths      = flag.String("paths", "bgnbd,defaults,refresh", "what to time: bgnbd (lifetime-only path, BG/NBD chosen before), defaults (lifetime-only path with FitLifetime's defaults), refresh (Service.Refresh), snapshots (Service.Refresh's three snapshot reads alone), rfm (RFM as GET /v1/rfm computes it, issue 4)")
	source     = flag.String("source", "days", "where snapshots read orders: days (the store's order days, refreshed at the start of each run), view (every row through the orders view)")
	newOrders  = flag.Int("new-orders", 27_400, "with --source days: orders appended before each timed run (a day's worth at 20M over two years), so each run's refresh has new orders to aggregate")
	cpuprofile = flag.String("cpuprofile", "", "write a CPU profile of the timed phase")
	jsonOut    = flag.String("json", "", "write the figures as JSON")
	explain    = flag.Bool("explain", false, "print DuckDB's EXPLAIN ANALYZE (JSON) of the snapshot read (after the order days' refresh) and stop")
	dropNew    = flag.Bool("drop-new-orders", false, "delete the orders earlier runs added (--new-orders) before timing; the first refresh then finds the days that lost rows")
	resetDays  = flag.Bool("reset-order-days", false, "drop the order days (migration 008) before opening, so that the first refresh is timed again")
	readFull   = flag.Bool("read-full", false, "lifetime paths: read the full snapshot (ReadSnapshotFrom, the churn model's columns too, as before 2026-11-22 19:00) instead of the lifetime columns (ReadLifetimeFrom)")
	explainSQL = flag.String("explain-sql", "", "with --explain: a file of SQL to explain in place of the snapshot read ($1 and $2 are the as-of day)")
)

func main() {
	flag.Parse()
	if err := run(); err != nil {
		fmt.Fprintln(os.Stderr, "predict bench:", err)
		os.Exit(1)
	}
}

func ms(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }

func median(v []float64) float64 {
	if len(v) == 0 {
		return math.NaN()
	}
	s := slices.Clone(v)
	slices.Sort(s)
	if len(s)%2 == 1 {
		return s[len(s)/2]
	}
	return (s[len(s)/2-1] + s[len(s)/2]) / 2
}

// medians is the median of each timing over the runs.
func medians(all map[string][]float64) map[string]float64 {
	med := make(map[string]float64, len(all))
	for k, x := range all {
		med[k] = median(x)
	}
	return med
}

func run() error {
	ctx := context.Background()
	asOf, err := time.Parse(time.DateOnly, *asOfFlag)
	if err != nil {
		return err
	}
	d := *dir
	if d == "" {
		if d, err = os.MkdirTemp("", "twbench-predict."); err != nil {
			return err
		}
		if !*keep {
			defer os.RemoveAll(d)
		} else {
			fmt.Println("store kept in", d)
		}
	}
	fmt.Printf("# %s bench/predict | %d cores, GOMAXPROCS %d | load %s\n", time.Now().UTC().Format(time.RFC3339), runtime.NumCPU(), runtime.GOMAXPROCS(0), machine.LoadAvg())
	if err := load(ctx, d, asOf); err != nil {
		return err
	}
	if *resetDays {
		if err := dropOrderDays(ctx, d); err != nil {
			return err
		}
	}
	db, err := duckdb.Open(ctx, duckdb.Config{Dir: d, MemoryLimit: *memory, Threads: *threads, BaseCurrency: "EUR"})
	if err != nil {
		return err
	}
	defer db.Close()
	var nOrders, nCust int64
	if err := db.Scan(ctx, "SELECT (SELECT count(*) FROM order_rows), (SELECT count(*) FROM profile_users)", nil, func(r []any) error {
		nOrders, nCust = r[0].(int64), r[1].(int64)
		return nil
	}); err != nil {
		return err
	}
	fmt.Printf("store %s: %d orders of %d customers; DuckDB memory_limit %s, %d threads\n", d, nOrders, nCust, *memory, *threads)
	figures := map[string]any{"orders": nOrders, "customers": nCust, "memory_limit": *memory, "threads": *threads}
	if *dropNew {
		res, err := db.SQL().ExecContext(ctx, "DELETE FROM order_rows WHERE order_id LIKE 'new%'")
		if err != nil {
			return err
		}
		n, _ := res.RowsAffected()
		fmt.Printf("deleted %d orders added by earlier runs\n", n)
	}
	src := predict.FromOrders
	if *source == "days" {
		src = predict.FromOrderDays
		// The first refresh aggregates every day: the store's one-off
		// cost when the migration arrives, not part of a run.
		cpu := machine.SelfCPU()
		if strings.Contains(*paths, "rfm") {
			if err := addRefunds(ctx, db); err != nil {
				return err
			}
		}
		r, err := db.RefreshOrderDays(ctx)
		if err != nil {
			return err
		}
		fmt.Printf("order days: %d days aggregated in %.1f s (%.1f CPU-s; nothing if the store had them); load %s\n",
			r.Days, r.Elapsed.Seconds(), machine.SelfCPU()-cpu, machine.LoadAvg())
		figures["order_days_first_refresh_ms"] = ms(r.Elapsed)
	} else if *source != "view" {
		return fmt.Errorf("--source %q: days or view", *source)
	}
	figures["source"] = *source
	run := 0
	// addOrders appends --new-orders orders of existing customers, placed
	// on the day after the store's last order day, with log sequences
	// above every row's — what the store writer adds in a day between two
	// daily prediction runs — and returns that day: the run's as-of day.
	// Without order days (or with --new-orders 0) it adds nothing and
	// returns --as-of.
	addOrders := func() (time.Time, error) {
		if src != predict.FromOrderDays || *newOrders <= 0 {
			return asOf, nil
		}
		run++
		var last time.Time
		if err := db.Scan(ctx, `SELECT CAST(max("timestamp") AS DATE) FROM order_rows`, nil, func(r []any) error {
			last, _ = r[0].(time.Time)
			return nil
		}); err != nil {
			return asOf, err
		}
		day := last.AddDate(0, 0, 1)
		// Customers who ordered in the 60 days before: a day's buyers are
		// mostly recent ones, and orders from customers long gone would
		// make the data look as if nobody ever left (BG/NBD's b runs off
		// to infinity after a few such days).
		_, err := db.SQL().ExecContext(ctx, fmt.Sprintf(`INSERT INTO order_rows BY NAME
SELECT 'bench-store' AS store, 'new%[1]s-' || j AS order_id, 'bench-src' AS source_id, user_id AS customer_id, user_id,
       TIMESTAMPTZ '%[1]s 00:00:00+00' + to_seconds(CAST(hash(j * 11 + %[2]d) %% 86400 AS BIGINT)) AS "timestamp",
       'EUR' AS currency, CAST(20 + hash(j * 13 + %[2]d) %% 20000 / 100.0 AS DECIMAL(18,4)) AS total, 'completed' AS status,
       'amazon_de' AS marketplace, 'EUR' AS base_currency, CAST(20 + hash(j * 13 + %[2]d) %% 20000 / 100.0 AS DECIMAL(18,4)) AS total_base,
       TIMESTAMPTZ '%[1]s 00:00:00+00' AS updated_at, 'new%[1]s-' || j AS message_id, s + 1 + j AS seq, s + 1 + j AS first_seq
FROM (SELECT user_id, row_number() OVER (ORDER BY hash(user_id || '%[1]s')) AS j
      FROM (SELECT DISTINCT user_id FROM order_rows WHERE "timestamp" >= TIMESTAMPTZ '%[1]s 00:00:00+00' - INTERVAL 60 DAY)
      ORDER BY hash(user_id || '%[1]s') LIMIT %[3]d),
     (SELECT coalesce(max(seq), 0) AS s FROM order_rows)`,
			day.Format(time.DateOnly), run, *newOrders))
		return day, err
	}
	if *cpuprofile != "" {
		f, err := os.Create(*cpuprofile)
		if err != nil {
			return err
		}
		defer f.Close()
		if err := pprof.StartCPUProfile(f); err != nil {
			return err
		}
		defer pprof.StopCPUProfile()
	}
	// 1 and 2: the lifetime-only path.
	lifetime := func(only string) (map[string]float64, *predict.LifetimeReport, error) {
		t := map[string]float64{}
		cut, err := addOrders()
		if err != nil {
			return nil, nil, err
		}
		cpu := machine.SelfCPU()
		start := time.Now()
		if src == predict.FromOrderDays {
			r, err := db.RefreshOrderDays(ctx)
			if err != nil {
				return nil, nil, err
			}
			t["order_days"] = ms(time.Since(start))
			t["order_days/days"] = float64(r.Days)
			for k, v := range r.Steps {
				t["order_days/"+k] = ms(v)
			}
		}
		s := time.Now()
		var sum *btyd.Summary
		if *readFull {
			snap, err := predict.ReadSnapshotFrom(ctx, db.Scan, src, cut, 0)
			if err != nil {
				return nil, nil, err
			}
			t["read"] = ms(time.Since(s))
			s = time.Now()
			sum = snap.Summary(btyd.Week)
			t["summary"] = ms(time.Since(s))
		} else {
			if sum, err = predict.ReadLifetimeFrom(ctx, db.Scan, src, cut, btyd.Week); err != nil {
				return nil, nil, err
			}
			t["read"] = ms(time.Since(s))
		}
		s = time.Now()
		rep, scores, err := predict.FitLifetime(sum, predict.LifetimeOptions{Horizon: 365.0 / 7, CLVMonths: 12, Margin: 1, AnnualDiscount: 0.10, Only: only})
		if err != nil {
			return nil, rep, err
		}
		t["fit+score"] = ms(time.Since(s))
		for k, v := range rep.TimingsMS {
			t["fit+score/"+k] = v
		}
		s = time.Now()
		rows := make([]store.PredictionRow, len(sum.Customers))
		for i, c := range sum.Customers {
			sc := scores[i]
			rows[i] = store.PredictionRow{ProfileID: sum.IDs[i], Frequency: c.X, Recency: c.Tx, T: c.T,
				PAlive: sc.PAlive, ExpectedPurchases: sc.Expected, ExpectedSpend: sc.Spend, CLV: sc.CLV,
				ChurnRisk: math.NaN(), Reasons: nil}
		}
		report, _ := json.Marshal(rep)
		now := time.Now().UTC()
		if err := db.SavePredictions(ctx, &store.PredictionRun{RunID: now.Format("20060102T150405.000Z"), ModelVersion: "bench/" + rep.Chosen,
			CreatedAt: now, Status: "scored", Report: report, Rows: rows}); err != nil {
			return nil, rep, err
		}
		t["write"] = ms(time.Since(s))
		t["total"] = ms(time.Since(start))
		t["total_cpu"] = (machine.SelfCPU() - cpu) * 1000
		return t, rep, nil
	}
	if *explain {
		q, _ := src.SQL()
		if *explainSQL != "" {
			b, err := os.ReadFile(*explainSQL)
			if err != nil {
				return err
			}
			q = string(b)
		}
		for _, x := range []string{"EXPLAIN (ANALYZE, FORMAT json) " + q} {
			err := db.Scan(ctx, x, []any{asOf.Format(time.DateOnly), asOf.Format(time.DateOnly)}, func(r []any) error {
				fmt.Println(r[len(r)-1])
				return nil
			})
			if err != nil {
				return err
			}
		}
		return nil
	}
	want := map[string]bool{}
	for _, p := range strings.Split(*paths, ",") {
		want[strings.TrimSpace(p)] = true
	}
	for _, v := range []struct {
		name, only, path string
		n                int
	}{{"lifetime (BG/NBD chosen before)", "bgnbd", "bgnbd", *repeat}, {"lifetime (FitLifetime defaults: Pareto/NBD too)", "", "defaults", *repeat}} {
		if !want[v.path] {
			continue
		}
		all := map[string][]float64{}
		var rep *predict.LifetimeReport
		for i := range v.n {
			fmt.Printf("\n%s, run %d/%d; load %s\n", v.name, i+1, v.n, machine.LoadAvg())
			t, r, err := lifetime(v.only)
			if err != nil {
				return fmt.Errorf("%s: %w", v.name, err)
			}
			rep = r
			printTimings(t)
			for k, x := range t {
				all[k] = append(all[k], x)
			}
		}
		med := medians(all)
		fmt.Printf("%s — medians of %d (ms):\n", v.name, v.n)
		printTimings(med)
		fmt.Printf("  %d customers, %d repeat; BG/NBD r=%.4g α=%.4g a=%.4g b=%.4g (%d evaluations)", rep.Customers, rep.RepeatCustomers,
			rep.BGNBD.R, rep.BGNBD.Alpha, rep.BGNBD.A, rep.BGNBD.B, rep.BGNBD.Evaluations)
		if rep.GammaGamma != nil {
			fmt.Printf("; Gamma-Gamma p=%.4g q=%.4g γ=%.4g", rep.GammaGamma.P, rep.GammaGamma.Q, rep.GammaGamma.Gamma)
		}
		if rep.ParetoNBD != nil {
			fmt.Printf("; Pareto/NBD r=%.4g α=%.4g s=%.4g β=%.4g", rep.ParetoNBD.R, rep.ParetoNBD.Alpha, rep.ParetoNBD.S, rep.ParetoNBD.Beta)
		}
		fmt.Printf("; chosen %s\n", rep.Chosen)
		figures[v.name] = map[string]any{"median_ms": med, "runs_ms": all}
	}

	// 3: the node's refresh.
	if *refreshes > 0 && want["refresh"] {
		svc := &predict.Service{Scan: db.Scan, Save: db.SavePredictions, Now: func() time.Time { return asOf.Add(12 * time.Hour) },
			Logger: slog.New(slog.DiscardHandler), Config: predict.Config{Every: -1}}
		if src == predict.FromOrderDays {
			svc.OrderDays = db.RefreshOrderDays
		}
		all := map[string][]float64{}
		for i := range *refreshes {
			fmt.Printf("\nService.Refresh, run %d/%d; load %s\n", i+1, *refreshes, machine.LoadAvg())
			cut, err := addOrders()
			if err != nil {
				return err
			}
			svc.Now = func() time.Time { return cut.Add(12 * time.Hour) }
			cpu := machine.SelfCPU()
			start := time.Now()
			r, err := svc.Refresh(ctx)
			if err != nil {
				return err
			}
			t := map[string]float64{"total": ms(time.Since(start)), "total_cpu": (machine.SelfCPU() - cpu) * 1000}
			for k, v := range r.TimingsMS {
				t[k] = v
			}
			if r.Status != "scored" {
				return fmt.Errorf("refresh %s: %s", r.Status, r.Error)
			}
			printTimings(t)
			fmt.Printf("  model %s; churn chosen %s\n", r.ModelVersion, r.Churn.Chosen)
			for k, x := range t {
				all[k] = append(all[k], x)
			}
		}
		med := medians(all)
		fmt.Printf("Service.Refresh — medians of %d (ms):\n", *refreshes)
		printTimings(med)
		figures["refresh"] = map[string]any{"median_ms": med, "runs_ms": all}
	}
	// Service.Refresh's three snapshot reads alone (train and test with
	// their 90-day label windows, and today), after the refresh.
	if want["snapshots"] {
		all := map[string][]float64{}
		for i := range *repeat {
			fmt.Printf("\nthree snapshots (%s), run %d/%d; load %s\n", *source, i+1, *repeat, machine.LoadAvg())
			cut, err := addOrders()
			if err != nil {
				return err
			}
			t := map[string]float64{}
			cpu := machine.SelfCPU()
			start := time.Now()
			if src == predict.FromOrderDays {
				if _, err := db.RefreshOrderDays(ctx); err != nil {
					return err
				}
				t["order_days"] = ms(time.Since(start))
			}
			for _, c := range []struct {
				name         string
				back, window int
			}{{"train", 180, 90}, {"test", 90, 90}, {"score", 0, 0}} {
				s := time.Now()
				snap, err := predict.ReadSnapshotFrom(ctx, db.Scan, src, cut.AddDate(0, 0, -c.back), c.window)
				if err != nil {
					return err
				}
				t["read/"+c.name] = ms(time.Since(s))
				t["customers/"+c.name] = float64(len(snap.Rows))
			}
			t["total"] = ms(time.Since(start))
			t["total_cpu"] = (machine.SelfCPU() - cpu) * 1000
			printTimings(t)
			for k, x := range t {
				all[k] = append(all[k], x)
			}
		}
		med := medians(all)
		fmt.Printf("three snapshots — medians of %d (ms):\n", *repeat)
		printTimings(med)
		figures["snapshots"] = map[string]any{"median_ms": med, "runs_ms": all}
	}

	// 4: RFM (issue 4) on the same orders, as GET /v1/rfm computes it (the
	// scores into a table, as BenchmarkRFM1M does).
	if want["rfm"] {
		if err := addRefunds(ctx, db); err != nil {
			return err
		}
		for _, v := range []struct {
			name string
			o    rfm.Options
		}{
			{"overall-365d", rfm.Options{AsOf: asOf, PeriodDays: 365, Cancellations: "cancellations"}},
			{"overall-all", rfm.Options{AsOf: asOf, Cancellations: "cancellations"}},
			{"by-marketplace-365d", rfm.Options{AsOf: asOf, PeriodDays: 365, Cancellations: "cancellations", ByMarketplace: true}},
		} {
			v.o.OrderDays = src == predict.FromOrderDays
			all := map[string][]float64{}
			for i := range *repeat {
				fmt.Printf("\nRFM %s (%s), run %d/%d; load %s\n", v.name, *source, i+1, *repeat, machine.LoadAvg())
				cut, err := addOrders()
				if err != nil {
					return err
				}
				o := v.o
				o.AsOf = cut
				q, err := rfm.Query(o)
				if err != nil {
					return err
				}
				t := map[string]float64{}
				cpu := machine.SelfCPU()
				start := time.Now()
				if v.o.OrderDays {
					if _, err := db.RefreshOrderDays(ctx); err != nil {
						return err
					}
					t["order_days"] = ms(time.Since(start))
				}
				s := time.Now()
				if _, err := db.SQL().ExecContext(ctx, "CREATE OR REPLACE TABLE bench_rfm AS "+q); err != nil {
					return fmt.Errorf("rfm %s: %w", v.name, err)
				}
				t["rfm"] = ms(time.Since(s))
				t["total"] = ms(time.Since(start))
				t["total_cpu"] = (machine.SelfCPU() - cpu) * 1000
				printTimings(t)
				for k, x := range t {
					all[k] = append(all[k], x)
				}
			}
			var rows, profiles int64
			if err := db.Scan(ctx, "SELECT count(*), count(DISTINCT profile_id) FROM bench_rfm", nil, func(r []any) error {
				rows, profiles = r[0].(int64), r[1].(int64)
				return nil
			}); err != nil {
				return err
			}
			med := medians(all)
			fmt.Printf("RFM %s — medians of %d (ms), %d rows of %d profiles:\n", v.name, *repeat, rows, profiles)
			printTimings(med)
			figures["rfm "+v.name] = map[string]any{"median_ms": med, "runs_ms": all, "rows": rows}
		}
		if _, err := db.SQL().ExecContext(ctx, "DROP TABLE IF EXISTS bench_rfm"); err != nil {
			return err
		}
	}
	figures["load_after"] = machine.LoadAvg()
	if *jsonOut != "" {
		b, _ := json.MarshalIndent(figures, "", " ")
		return os.WriteFile(*jsonOut, b, 0o644)
	}
	return nil
}

func printTimings(t map[string]float64) {
	keys := make([]string, 0, len(t))
	for k := range t {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	var b strings.Builder
	for _, k := range keys {
		fmt.Fprintf(&b, " %s=%.0f", k, t[k])
	}
	fmt.Println(" ", b.String())
}

// dropOrderDays removes migration 008's tables and its record, so that the
// next open creates them again and the first refresh aggregates every day.
func dropOrderDays(ctx context.Context, d string) error {
	db, err := sql.Open("duckdb", filepath.Join(d, duckdb.FileName))
	if err != nil {
		return err
	}
	defer db.Close()
	for _, q := range []string{"DROP TABLE IF EXISTS order_idents", "DROP TABLE IF EXISTS order_days", "DROP TABLE IF EXISTS order_market_days",
		"DROP TABLE IF EXISTS order_refund_days", "DROP TABLE IF EXISTS order_days_state", "DELETE FROM schema_migrations WHERE version = 8", "CHECKPOINT"} {
		if _, err := db.ExecContext(ctx, q); err != nil {
			return fmt.Errorf("reset order days: %s: %w", q, err)
		}
	}
	return nil
}

// addRefunds gives one order in 20 a refund of half its amount a week
// later (as BenchmarkRFM1M has them), unless the store has refunds.
func addRefunds(ctx context.Context, db *duckdb.DB) error {
	var n int64
	if err := db.Scan(ctx, "SELECT count(*) FROM refunds", nil, func(r []any) error { n = r[0].(int64); return nil }); err != nil || n > 0 {
		return err
	}
	start := time.Now()
	_, err := db.SQL().ExecContext(ctx, `INSERT INTO refunds BY NAME
SELECT store, order_id, source_id, 'refund-' || order_id AS message_id, "timestamp" + INTERVAL 7 DAY AS "timestamp", currency,
       CAST(total * 0.5 AS DECIMAL(18,4)) AS amount, base_currency, CAST(total_base * 0.5 AS DECIMAL(18,4)) AS amount_base,
       (SELECT max(seq) FROM order_rows) + 1 AS seq
FROM order_rows WHERE hash(order_id) % 20 = 0`)
	if err == nil {
		err = db.Scan(ctx, "SELECT count(*) FROM refunds", nil, func(r []any) error { n = r[0].(int64); return nil })
	}
	if err != nil {
		return err
	}
	// The refunds touch most days: aggregate them now, outside the timed
	// runs, and checkpoint as the first refresh does.
	r, err := db.RefreshOrderDays(ctx)
	fmt.Printf("added %d refunds in %.0f s (order days: %d days again)\n", n, time.Since(start).Seconds(), r.Days)
	return err
}

// load fills the store unless it already holds this many orders.
func load(ctx context.Context, d string, asOf time.Time) error {
	if _, err := os.Stat(filepath.Join(d, duckdb.FileName)); err == nil {
		db, err := duckdb.Open(ctx, duckdb.Config{Dir: d, MemoryLimit: *loadMemory, Threads: *threads, BaseCurrency: "EUR"})
		if err != nil {
			return err
		}
		var n int64
		err = db.Scan(ctx, "SELECT count(*) FROM order_rows", nil, func(r []any) error { n = r[0].(int64); return nil })
		db.Close()
		if err != nil {
			return err
		}
		fmt.Printf("reusing the store in %s (%d orders; --customers and --orders are ignored)\n", d, n)
		return nil
	}
	db, err := duckdb.Open(ctx, duckdb.Config{Dir: d, MemoryLimit: *loadMemory, Threads: *threads, BaseCurrency: "EUR"})
	if err != nil {
		return err
	}
	defer db.Close()
	sqlDB := db.SQL()
	start := time.Now()
	asOfLit := asOf.Format(time.DateOnly)
	// u(n) is a uniform (0, 1) draw from hash n.
	const u = `((hash(%s) %% 16777216 + 0.5) / 16777216.0)`
	uf := func(expr string) string { return fmt.Sprintf(u, expr) }
	steps := []string{
		fmt.Sprintf(`INSERT INTO profile_users SELECT 'bench-src', 'u' || k, 'p' || k FROM range(%d) t(k)`, *customers),
		fmt.Sprintf(`CREATE TABLE bench_cust AS
WITH c AS (
  SELECT k, CAST(floor(%[1]s * 700) AS INTEGER) AS first_ago,
         -ln(%[2]s) * 250 AS span,
         -ln(%[3]s) * (0.2 + 1.6 * %[4]s) AS w,
         20 + 200 * %[5]s AS mean_amt
  FROM range(%[6]d) t(k)
), s AS (
  SELECT *, sum(w) OVER (ORDER BY k ROWS UNBOUNDED PRECEDING) AS cw, sum(w) OVER () AS tw FROM c
)
SELECT k, first_ago, CAST(least(first_ago, floor(span)) AS INTEGER) AS life, mean_amt,
       CAST(1 + floor(cw * %[7]d / tw) - floor((cw - w) * %[7]d / tw) AS INTEGER) AS n
FROM s`, uf("k * 8 + 1"), uf("k * 8 + 2"), uf("k * 8 + 3"), uf("k * 8 + 4"), uf("k * 8 + 5"), *customers, *orders-*customers),
	}
	for _, q := range steps {
		if _, err := sqlDB.ExecContext(ctx, q); err != nil {
			return fmt.Errorf("load: %w", err)
		}
	}
	// Orders in chunks of customers.
	const chunk = 200_000
	for lo := 0; lo < *customers; lo += chunk {
		hi := min(lo+chunk, *customers)
		id := `k * 65536 + j`
		q := fmt.Sprintf(`INSERT INTO order_rows BY NAME
SELECT 'bench-store' AS store, 'o' || k || '-' || j AS order_id, 'bench-src' AS source_id, 'u' || k AS customer_id, 'u' || k AS user_id,
       TIMESTAMPTZ '%[1]s 00:00:00+00' - to_days(first_ago)
         + to_days(CASE WHEN j = 0 THEN 0 ELSE CAST(floor(%[2]s * (life + 1)) AS INTEGER) END)
         + to_seconds(CAST(hash(%[3]s * 3 + 1) %% 86400 AS BIGINT)) AS "timestamp",
       'EUR' AS currency,
       CAST(round(mean_amt * (0.5 + %[4]s), 2) AS DECIMAL(18,4)) AS total,
       CASE WHEN hash(%[3]s * 5 + 2) %% 50 = 0 THEN 'cancelled' ELSE 'completed' END AS status,
       ['amazon_de', 'amazon_uk', 'shopify_eu', 'tiktok_shop_uk'][1 + CAST(hash(k * 7 + 3) %% 4 AS BIGINT)] AS marketplace,
       'EUR' AS base_currency,
       CAST(round(mean_amt * (0.5 + %[4]s), 2) AS DECIMAL(18,4)) AS total_base,
       TIMESTAMPTZ '%[1]s 00:00:00+00' AS updated_at, 'o' || k || '-' || j AS message_id,
       CAST(0 AS UBIGINT) AS seq, CAST(0 AS UBIGINT) AS first_seq
FROM (SELECT k, first_ago, life, mean_amt, unnest(range(n)) AS j FROM bench_cust WHERE k >= %[5]d AND k < %[6]d)`,
			asOfLit, uf(id+" * 3 + 2"), id, uf(id+" * 3 + 3"), lo, hi)
		if _, err := sqlDB.ExecContext(ctx, q); err != nil {
			return fmt.Errorf("load orders: %w", err)
		}
		fmt.Printf("  loaded customers %d–%d (%.0f s)\n", lo, hi, time.Since(start).Seconds())
	}
	if _, err := sqlDB.ExecContext(ctx, "DROP TABLE bench_cust"); err != nil {
		return err
	}
	if _, err := sqlDB.ExecContext(ctx, "CHECKPOINT"); err != nil {
		return err
	}
	var n int64
	if err := db.Scan(ctx, "SELECT count(*) FROM order_rows", nil, func(r []any) error { n = r[0].(int64); return nil }); err != nil {
		return err
	}
	fmt.Printf("loaded %d orders of %d customers in %.0f s; load %s\n", n, *customers, time.Since(start).Seconds(), machine.LoadAvg())
	return nil
}
