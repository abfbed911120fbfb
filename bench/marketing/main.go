// Command marketing times the marketing read on a closed node's data
// directory, step by step: the touch tables' refresh (or a rebuild of
// touch_points), the candidate touches read alone (in DuckDB, and through
// database/sql into Go), the whole Load, the journeys and each
// attribution model — with the process's CPU-seconds and the load
// average beside each figure. The node's own settings (DuckDB memory
// 256 MB, 2 threads) are the default.
//
//	marketing --data DIR [--rebuild] [--memory 256MB] [--threads 2] [--days 90] [--lookback-days 30]
package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"runtime/pprof"
	"time"

	"github.com/tradewind/tradewind/bench/machine"
	"github.com/tradewind/tradewind/internal/attribution"
	"github.com/tradewind/tradewind/internal/marketing"
	"github.com/tradewind/tradewind/internal/store/duckdb"
	"github.com/tradewind/tradewind/internal/touch"
)

func main() {
	data := flag.String("data", "", "a node's data directory (the node must not be running)")
	rebuild := flag.Bool("rebuild", false, "rebuild touch_points from every touch row first")
	memory := flag.String("memory", "256MB", "DuckDB memory limit")
	threads := flag.Int("threads", 2, "DuckDB threads")
	days := flag.Int("days", 90, "the period: this many days to tomorrow (UTC)")
	lookback := flag.Int("lookback-days", 30, "look-back window")
	flag.BoolVar(&explain, "explain", false, "print EXPLAIN ANALYZE of the candidates' query")
	cpuprofile := flag.String("cpuprofile", "", "write a CPU profile of Load to this file")
	flag.Parse()
	profile = *cpuprofile
	if *data == "" {
		fmt.Fprintln(os.Stderr, "marketing: --data is required")
		os.Exit(2)
	}
	if err := run(context.Background(), *data, *rebuild, *memory, *threads, *days, *lookback); err != nil {
		fmt.Fprintln(os.Stderr, "marketing:", err)
		os.Exit(1)
	}
}

var (
	explain bool
	profile string
)

// step prints how long fn took, the CPU it used and the load.
func step(name string, fn func() (string, error)) error {
	t, c := time.Now(), machine.SelfCPU()
	note, err := fn()
	if err != nil {
		return fmt.Errorf("%s: %w", name, err)
	}
	fmt.Printf("%-24s %8.3f s  CPU %7.2f s  load %s  %s\n", name, time.Since(t).Seconds(), machine.SelfCPU()-c, machine.LoadAvg(), note)
	return nil
}

func run(ctx context.Context, dir string, rebuild bool, memory string, threads, days, lookbackDays int) error {
	var s *duckdb.DB
	err := step("open", func() (string, error) {
		var err error
		s, err = duckdb.Open(ctx, duckdb.Config{Dir: filepath.Join(dir, "store"), MemoryLimit: memory, Threads: threads})
		return "", err
	})
	if err != nil {
		return err
	}
	defer s.Close()
	tax := touch.Default()
	keySQL, keyArgs := marketing.KeySQL(tax)
	if rebuild {
		if _, err := s.SQL().ExecContext(ctx, "UPDATE touch_points_state SET key = ''"); err != nil {
			return err
		}
	}
	err = step("refresh touch points", func() (string, error) {
		r, err := s.RefreshTouchPoints(ctx, duckdb.TouchKey{SQL: keySQL, Args: keyArgs})
		return fmt.Sprintf("%+v", r), err
	})
	if err != nil {
		return err
	}
	n := time.Now().UTC()
	to := time.Date(n.Year(), n.Month(), n.Day()+1, 0, 0, 0, 0, time.UTC)
	from := to.AddDate(0, 0, -days)
	lb := time.Duration(lookbackDays) * 24 * time.Hour
	qs, err := marketing.TouchQueries(ctx, s.Scan, tax, from.Add(-lb), to)
	if err != nil {
		return err
	}
	if explain {
		if err := s.Scan(ctx, "EXPLAIN ANALYZE "+qs[0].SQL, qs[0].Args, func(r []any) error { fmt.Println(r[1]); return nil }); err != nil {
			return err
		}
	}
	err = step("candidates in DuckDB", func() (string, error) {
		var rows int64
		for _, q := range qs {
			err := s.Scan(ctx, "SELECT count(*) FROM ("+q.SQL+")", q.Args, func(r []any) error { rows += r[0].(int64); return nil })
			if err != nil {
				return "", err
			}
		}
		return fmt.Sprintf("%d rows in %d parts", rows, len(qs)), nil
	})
	if err != nil {
		return err
	}
	err = step("candidates into Go", func() (string, error) {
		rows := 0
		for _, q := range qs {
			if err := s.Scan(ctx, q.SQL, q.Args, func([]any) error { rows++; return nil }); err != nil {
				return "", err
			}
		}
		return fmt.Sprintf("%d rows", rows), nil
	})
	if err != nil {
		return err
	}
	var d *marketing.Data
	before := liveHeap()
	err = step("Load", func() (string, error) {
		if profile != "" {
			f, err := os.Create(profile)
			if err != nil {
				return "", err
			}
			defer f.Close()
			if err := pprof.StartCPUProfile(f); err != nil {
				return "", err
			}
			defer pprof.StopCPUProfile()
		}
		var err error
		d, err = marketing.Load(ctx, s.Scan, tax, from, to, lb)
		if err != nil {
			return "", err
		}
		touches, orders := 0, 0
		for _, p := range d.Profiles {
			touches += len(p.Touches)
			orders += len(p.Orders)
		}
		return fmt.Sprintf("%d profiles, %d touches, %d orders", len(d.Profiles), touches, orders), nil
	})
	if err != nil {
		return err
	}
	// What the node keeps while it answers from the data: it must fit
	// the Go memory limit (cmd/tradewind's tuneGC) beside everything else.
	fmt.Printf("%-24s %8.1f MB\n", "data's live heap", float64(liveHeap()-before)/1e6)
	var js []marketing.Journey
	_ = step("journeys", func() (string, error) {
		js = d.Journeys()
		return fmt.Sprintf("%d journeys", len(js)), nil
	})
	fmt.Printf("%-24s %8.1f MB\n", "with the journeys", float64(liveHeap()-before)/1e6)
	for _, m := range attribution.Models {
		err := step("model "+string(m), func() (string, error) {
			_, _, err := d.Attribute(js, marketing.ByChannel, m, marketing.Options{})
			return "", err
		})
		if err != nil {
			return err
		}
	}
	runtime.KeepAlive(js)
	runtime.KeepAlive(d)
	return nil
}

// liveHeap is the heap in use after a collection.
func liveHeap() uint64 {
	runtime.GC()
	var m runtime.MemStats
	runtime.ReadMemStats(&m)
	return m.HeapAlloc
}
