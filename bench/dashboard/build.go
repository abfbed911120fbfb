package main

// The 1,000,000-customer store: a default `tradewind demo` (50,000 people,
// made by the real pipeline: ingest, store writer, profile engine,
// predictions) copied --copies times over inside its DuckDB file. Loading a
// million people through ingest and the profile engine takes hours on this
// machine; copying the demo's rows takes minutes and keeps every shape the
// pipeline gave them (orders per buyer, marketplaces, currencies, refunds,
// reviews, profiles, segment memberships, predictions), at the cost of
// exact repetition: copy k of a person has the same events, orders and
// timestamps as the original, under its own identifiers.
//
// What is copied and how:
//
//   - Every per-person table (event_rows, order_rows, order_items, refunds,
//     cancellations, customers, reviews, identifier_tokens, consent,
//     touch_rows, profiles, profile_users, profile_anons,
//     profile_identities, segment_members, customer_predictions) gets
//     copies 1…K-1 of every row, identifiers suffixed with "~k" (user,
//     anonymous, customer, order, message, review and profile ids, blind-index
//     tokens) and log sequences shifted by k × (the highest sequence + 1),
//     so no two rows share a sequence.
//   - event_rows and touch_rows copies are only of the last --event-days
//     days (default 90): the demo's 2.1 M messages ×20 would be 42 M event
//     rows, more than this machine writes in the time allowed; the original
//     50,000 people keep their whole year.
//   - ad_spend is not copied (one row per day, channel and campaign) but
//     scaled ×K (spend, impressions, clicks) so return on ad spend stays the
//     demo's.
//   - The order-day aggregates (order_idents, order_days, …) are emptied
//     and rebuilt by the store's own RefreshOrderDays, as the node would;
//     the event-day counts (event_days) are brought up to date by its
//     RefreshEventDays.
//   - Tables of the node itself (sources, fx_rates, alerts, prediction_runs,
//     audit, identity merges and conflicts, quarantine) stay as they are.
//
// The node's own state outside the store (the profile engine's Pebble, the
// event log, the key index) knows only the original 50,000 people: the
// copies are read-only data for the dashboard's reads, which is what this
// benchmark measures.

import (
	"context"
	"fmt"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/tradewind/tradewind/bench/machine"
	"github.com/tradewind/tradewind/bench/storefile"
	twduck "github.com/tradewind/tradewind/internal/store/duckdb"
)

// idColumns are suffixed with "~k" in copy k (when not NULL).
var idColumns = map[string]bool{
	"message_id": true, "user_id": true, "anonymous_id": true, "previous_id": true,
	"customer_id": true, "order_id": true, "review_id": true, "profile_id": true,
	"token": true,
}

// personTables are copied; the value is the copy's filter (empty: all rows).
var personTables = []struct{ name, recent string }{
	{"event_rows", `"timestamp"`},
	{"touch_rows", `"timestamp"`},
	{"order_rows", ""},
	{"order_items", ""},
	{"refunds", ""},
	{"cancellations", ""},
	{"customers", ""},
	{"reviews", ""},
	{"identifier_tokens", ""},
	{"consent", ""},
	{"profiles", ""},
	{"profile_users", ""},
	{"profile_anons", ""},
	{"profile_identities", ""},
	{"segment_members", ""},
	{"customer_predictions", ""},
}

// orderDayTables are the store's order-day aggregates, rebuilt after the copy.
var orderDayTables = []string{"order_idents", "order_days", "order_market_days", "order_refund_days", "order_days_state"}

func build(ctx context.Context, template, dir string, copies, eventDays int) error {
	if copies < 1 {
		return fmt.Errorf("--copies must be at least 1")
	}
	start := time.Now()
	busy0 := machine.Busy()
	if _, err := os.Stat(filepath.Join(template, "store", twduck.FileName)); err != nil {
		return fmt.Errorf("template %s is not a tradewind data directory: %w", template, err)
	}
	if err := os.RemoveAll(dir); err != nil {
		return err
	}
	if out, err := exec.CommandContext(ctx, "cp", "-a", template, dir).CombinedOutput(); err != nil {
		return fmt.Errorf("copy the template: %v: %s", err, out)
	}
	fmt.Printf("build: template copied in %.1fs\n", time.Since(start).Seconds())
	storeDir := filepath.Join(dir, "store")
	// The product's own migrations first, so the schema is exactly the node's.
	st, err := twduck.Open(ctx, twduck.Config{Dir: storeDir})
	if err != nil {
		return fmt.Errorf("open the store: %w", err)
	}
	if err := st.Close(); err != nil {
		return err
	}
	if err := copyRows(ctx, filepath.Join(storeDir, twduck.FileName), copies, eventDays); err != nil {
		return err
	}
	// The order-day aggregates and the event-day counts, by the store's own
	// code, as the node keeps them: the first order-day refresh aggregates
	// every day; the copies' event rows lie above the template's event-day
	// refresh, so their days are aggregated again.
	t := time.Now()
	err = refreshed(ctx, storeDir, func(st *twduck.DB) error {
		r, err := st.RefreshOrderDays(ctx)
		if err != nil {
			return fmt.Errorf("order days: %w", err)
		}
		fmt.Printf("build: order days rebuilt by RefreshOrderDays (%d days) in %.1fs\n", r.Days, time.Since(t).Seconds())
		t = time.Now()
		seq, err := st.RefreshEventDays(ctx)
		if err != nil {
			return fmt.Errorf("event days: %w", err)
		}
		fmt.Printf("build: event days refreshed by RefreshEventDays (up to sequence %d) in %.1fs\n", seq, time.Since(t).Seconds())
		return nil
	})
	if err != nil {
		return err
	}
	el := time.Since(start).Seconds()
	fmt.Printf("build: done in %.0fs, machine CPU %.0fs (all processes), load %s, store %d MB\n",
		el, machine.Busy()-busy0, machine.LoadAvg(), fileMB(filepath.Join(storeDir, twduck.FileName)))
	return nil
}

// refreshed opens the store in storeDir with room for a large refresh, runs
// fn on it and closes it.
func refreshed(ctx context.Context, storeDir string, fn func(st *twduck.DB) error) error {
	st, err := twduck.Open(ctx, twduck.Config{Dir: storeDir, MemoryLimit: "2GB"})
	if err != nil {
		return fmt.Errorf("open the store: %w", err)
	}
	err = fn(st)
	if cerr := st.Close(); err == nil {
		err = cerr
	}
	return err
}

// copyRows writes copies 1…copies-1 of every person table.
func copyRows(ctx context.Context, path string, copies, eventDays int) error {
	params := url.Values{}
	params.Set("memory_limit", "6GB")
	params.Set("threads", "2")
	params.Set("preserve_insertion_order", "false")
	c, err := storefile.Open(ctx, path, params)
	if err != nil {
		return err
	}
	defer c.Close()
	exec := func(q string, args ...any) (int64, error) {
		res, err := c.ExecContext(ctx, q, args...)
		if err != nil {
			return 0, fmt.Errorf("%.100s…: %w", strings.Join(strings.Fields(q), " "), err)
		}
		n, _ := res.RowsAffected()
		return n, nil
	}
	if _, err := exec("SET TimeZone='UTC'"); err != nil {
		return err
	}
	// The sequence span: every copy's sequences lie above all the
	// template's.
	var span uint64
	var parts []string
	for _, t := range []string{"event_rows", "order_rows", "order_items", "refunds", "cancellations", "customers", "reviews", "identifier_tokens", "consent", "touch_rows"} {
		parts = append(parts, "(SELECT coalesce(max(seq), 0) FROM "+t+")")
	}
	if err := c.QueryRowContext(ctx, "SELECT greatest("+strings.Join(parts, ", ")+") + 1").Scan(&span); err != nil {
		return err
	}
	var newest time.Time
	if err := c.QueryRowContext(ctx, `SELECT max("timestamp") FROM event_rows`).Scan(&newest); err != nil {
		return err
	}
	since := newest.AddDate(0, 0, -eventDays)
	fmt.Printf("build: sequence span %d, event copies since %s\n", span, since.Format(time.DateOnly))
	for _, tb := range personTables {
		cols, err := c.Columns(ctx, tb.name)
		if err != nil {
			return err
		}
		if len(cols) == 0 {
			return fmt.Errorf("table %s not found", tb.name)
		}
		var sel []string
		for _, col := range cols {
			q := `x."` + col + `"`
			switch {
			case idColumns[col]:
				sel = append(sel, q+` || '~' || r.k`)
			case col == "value" && tb.name == "profile_identities":
				sel = append(sel, q+` || '~' || r.k`)
			case col == "seq" || col == "first_seq":
				sel = append(sel, q+` + r.k * `+strconv.FormatUint(span, 10))
			case col == "properties" && tb.name == "event_rows":
				// The engine's own messages name their profile in
				// properties.profile_id (the events view reads it).
				sel = append(sel, `CASE WHEN x.source_id = '_tradewind' AND json_extract_string(x.properties, '$.profile_id') IS NOT NULL
					THEN json_merge_patch(x.properties, json_object('profile_id', json_extract_string(x.properties, '$.profile_id') || '~' || r.k))
					ELSE x.properties END`)
			default:
				sel = append(sel, q)
			}
		}
		where := ""
		var args []any
		if tb.recent != "" {
			where = " WHERE x." + tb.recent + " >= ?"
			args = append(args, since)
		}
		t := time.Now()
		// Copies in copy order, each in the template's row order: a copy
		// is appended as a later load would append it.
		n, err := exec(`INSERT INTO `+tb.name+` SELECT `+strings.Join(sel, ", ")+
			` FROM range(1, `+strconv.Itoa(copies)+`) r(k), `+tb.name+` x`+where, args...)
		if err != nil {
			return fmt.Errorf("copy %s: %w", tb.name, err)
		}
		fmt.Printf("build: %-22s %10d rows copied in %5.1fs\n", tb.name, n, time.Since(t).Seconds())
	}
	// The profiles the copies' own messages name (migration 010): the
	// store keeps that table from event rows up to its applied log
	// position, and the copies lie above it, where no refresh reads.
	t := time.Now()
	n, err := exec(`INSERT INTO own_message_profiles
		SELECT seq, pid FROM (SELECT seq, json_extract_string(properties, '$.profile_id') AS pid FROM event_rows
			WHERE seq > (SELECT CAST(value AS UBIGINT) FROM tw_state WHERE key = 'applied_seq') AND source_id = '_tradewind')
		WHERE pid IS NOT NULL`)
	if err != nil {
		return err
	}
	fmt.Printf("build: own_message_profiles of the copies: %d rows in %.1fs\n", n, time.Since(t).Seconds())
	if _, err := exec(`UPDATE ad_spend SET spend = spend * ?, spend_base = spend_base * ?, impressions = impressions * ?, clicks = clicks * ?`,
		copies, copies, copies, copies); err != nil {
		return err
	}
	for _, t := range orderDayTables {
		if _, err := exec("DELETE FROM " + t); err != nil {
			return err
		}
	}
	t = time.Now()
	if _, err := exec("CHECKPOINT"); err != nil {
		return err
	}
	fmt.Printf("build: checkpoint in %.1fs\n", time.Since(t).Seconds())
	return nil
}

func fileMB(path string) int64 {
	fi, err := os.Stat(path)
	if err != nil {
		return 0
	}
	return fi.Size() >> 20
}

// runSQL runs each statement on the store of dir (read-only) and prints
// the rows, tab-separated.
func runSQL(ctx context.Context, dir string, stmts []string) error {
	params := url.Values{}
	params.Set("access_mode", "read_only")
	params.Set("threads", "2")
	params.Set("memory_limit", "1GB")
	c, err := storefile.Open(ctx, filepath.Join(dir, "store", twduck.FileName), params)
	if err != nil {
		return err
	}
	defer c.Close()
	if _, err := c.ExecContext(ctx, "SET TimeZone='UTC'"); err != nil {
		return err
	}
	for _, q := range stmts {
		t := time.Now()
		rows, err := c.QueryContext(ctx, q)
		if err != nil {
			return err
		}
		if err := twduck.EachRow(rows, func(vals []any) error {
			parts := make([]string, len(vals))
			for i, v := range vals {
				parts[i] = fmt.Sprint(v)
			}
			fmt.Println(strings.Join(parts, "\t"))
			return nil
		}); err != nil {
			return err
		}
		fmt.Printf("-- %.0f ms\n", float64(time.Since(t).Microseconds())/1000)
	}
	return nil
}
