// Command dashboard times the dashboard's pages on 1,000,000 customers
// (issue 5: server time per page < 1 s there). `dashboard build` makes the
// store from a demo data directory (see build.go for how and what differs
// from real ingest); `dashboard measure` starts a real `tradewind serve` on
// it and times every call each page's script makes, as the admin.
//
//	dashboard build --template DEMO_DIR --data DIR [--copies 20] [--event-days 90]
//	dashboard measure --bin TRADEWIND --data DIR [--calls 10] [--page NAME] [--skip NAME] [--quiet 60s] [--settle 10m]
//	dashboard sql --data DIR "EXPLAIN ANALYZE SELECT …" …
//
// bench/run-dashboard.sh runs both under the shared benchmark lock.
package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"time"
)

func main() {
	if len(os.Args) < 2 {
		fmt.Fprintln(os.Stderr, "usage: dashboard build|measure [flags]")
		os.Exit(2)
	}
	ctx := context.Background()
	fs := flag.NewFlagSet(os.Args[1], flag.ExitOnError)
	data := fs.String("data", "/tmp/twbench-dashboard", "data directory to build or serve")
	var err error
	switch os.Args[1] {
	case "build":
		template := fs.String("template", "", "a `tradewind demo` data directory (default 50,000 people); it is copied, not changed")
		copies := fs.Int("copies", 20, "the store holds this many copies of the demo's people")
		eventDays := fs.Int("event-days", 90, "copies carry the events of this many last days")
		_ = fs.Parse(os.Args[2:])
		err = build(ctx, *template, *data, *copies, *eventDays)
	case "measure":
		bin := fs.String("bin", "tradewind", "the tradewind binary")
		calls := fs.Int("calls", 10, "timed calls of each request (after one first call)")
		only := fs.String("page", "", "only the pages whose name contains this")
		skip := fs.String("skip", "", "not the pages whose name contains this")
		quiet := fs.Duration("quiet", time.Minute, "the server's start-up work is done when it has been idle this long")
		settle := fs.Duration("settle", 10*time.Minute, "wait at most this long for the server's start-up work to end before timing")
		_ = fs.Parse(os.Args[2:])
		err = measure(ctx, *bin, *data, *calls, *only, *skip, *quiet, *settle)
	case "sql":
		// EXPLAIN ANALYZE and one-off reads on the built store (the node
		// must be stopped: DuckDB opens a file in one process).
		_ = fs.Parse(os.Args[2:])
		err = runSQL(ctx, *data, fs.Args())
	default:
		err = fmt.Errorf("unknown command %q", os.Args[1])
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "dashboard:", err)
		os.Exit(1)
	}
}
