package duckdb

import (
	"context"
	"database/sql"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/tradewind/tradewind/internal/store"
)

// orderDaysBatch bounds the days aggregated by one statement, so that the
// first refresh of a large store stays within DuckDB's memory limit.
const orderDaysBatch = 45

// RefreshOrderDays implements store.OrderDaysKeeper. It brings the order days (migration 008: order_idents,
// order_days, order_market_days, order_refund_days) up to date with
// order_rows, cancellations and refunds, in one transaction under the
// writer's lock. A day is aggregated again when it has an order row newer
// than the last refresh (a new order, or a new version of one — which may
// have moved it to another identity), an order with a newer cancellation
// or refund, or fewer order rows than were counted (rows deleted by an
// erasure or by retention). The first refresh aggregates every day.
//
// Readers join order_idents to the identity mapping as it stands, so
// merges and unmerges need no refresh.
func (s *DB) RefreshOrderDays(ctx context.Context) (store.OrderDaysRefresh, error) {
	start := time.Now()
	r := store.OrderDaysRefresh{Steps: map[string]time.Duration{}}
	err := s.writeTx(ctx, "order days", func(c *sql.Conn) error {
		state := map[string]uint64{}
		rows, err := c.QueryContext(ctx, "SELECT key, value FROM order_days_state")
		if err != nil {
			return fmt.Errorf("store: order days state: %w", err)
		}
		err = EachRow(rows, func(row []any) error {
			state[row[0].(string)] = toUint(row[1])
			return nil
		})
		if err != nil {
			return fmt.Errorf("store: order days state: %w", err)
		}
		_, fresh := state["orders_seq"]
		t0 := time.Now()
		var now struct{ ordersSeq, cancelsSeq, refundsSeq, rows, newRows uint64 }
		if err := c.QueryRowContext(ctx, `SELECT
			(SELECT coalesce(max(seq), 0) FROM order_rows),
			(SELECT coalesce(max(seq), 0) FROM cancellations),
			(SELECT coalesce(max(seq), 0) FROM refunds),
			(SELECT count(*) FROM order_rows),
			(SELECT count(*) FROM order_rows WHERE first_seq > ?)`, state["orders_seq"]).Scan(
			&now.ordersSeq, &now.cancelsSeq, &now.refundsSeq, &now.rows, &now.newRows); err != nil {
			return fmt.Errorf("store: order days: sequences: %w", err)
		}
		r.Steps["sequences"] = time.Since(t0)
		if _, err := c.ExecContext(ctx, "CREATE OR REPLACE TEMP TABLE od_days (day DATE)"); err != nil {
			return fmt.Errorf("store: order days: %w", err)
		}
		touched := []struct {
			cond string
			q    string
			args []any
		}{
			// Every day, the first time.
			{"all", `INSERT INTO od_days SELECT DISTINCT CAST("timestamp" AS DATE) FROM order_rows`, nil},
			// New orders, and new versions of orders (seq is the version's).
			{"orders", `INSERT INTO od_days SELECT DISTINCT CAST("timestamp" AS DATE) FROM order_rows WHERE seq > ?`, []any{state["orders_seq"]}},
			// A cancellation does not change the order row's seq.
			{"cancels", `INSERT INTO od_days SELECT DISTINCT CAST(o."timestamp" AS DATE)
				FROM (SELECT DISTINCT store, order_id FROM cancellations WHERE seq > ?) c JOIN order_rows o USING (store, order_id)`, []any{state["cancels_seq"]}},
			{"refunds", `INSERT INTO od_days SELECT DISTINCT CAST(o."timestamp" AS DATE)
				FROM (SELECT DISTINCT store, order_id FROM refunds WHERE seq > ?) r JOIN order_rows o USING (store, order_id)`, []any{state["refunds_seq"]}},
			// Rows deleted since: the days whose rows no longer add up to
			// what was counted (rows newer than the last refresh are
			// aggregated anyway).
			{"deleted", `INSERT INTO od_days
				SELECT day FROM (SELECT CAST("timestamp" AS DATE) AS day, count(*) AS n FROM order_rows WHERE first_seq <= ? GROUP BY 1) a
				FULL JOIN (SELECT day, sum(n_rows) AS n FROM order_days GROUP BY 1) b USING (day)
				WHERE a.n IS DISTINCT FROM b.n`, []any{state["orders_seq"]}},
		}
		for _, t := range touched {
			switch t.cond {
			case "all":
				if fresh {
					continue
				}
			case "orders":
				if !fresh || now.ordersSeq <= state["orders_seq"] {
					continue
				}
			case "cancels":
				if !fresh || now.cancelsSeq <= state["cancels_seq"] {
					continue
				}
			case "refunds":
				if !fresh || now.refundsSeq <= state["refunds_seq"] {
					continue
				}
			case "deleted":
				if !fresh || now.rows == state["rows"]+now.newRows {
					continue
				}
				r.Deletions = true
			}
			t0 := time.Now()
			if _, err := c.ExecContext(ctx, t.q, t.args...); err != nil {
				return fmt.Errorf("store: order days (%s): %w", t.cond, err)
			}
			r.Steps["touched_"+t.cond] += time.Since(t0)
		}
		var days []time.Time
		dr, err := c.QueryContext(ctx, "SELECT DISTINCT day FROM od_days WHERE day IS NOT NULL ORDER BY day")
		if err != nil {
			return fmt.Errorf("store: order days: %w", err)
		}
		if err := EachRow(dr, func(row []any) error {
			days = append(days, row[0].(time.Time))
			return nil
		}); err != nil {
			return fmt.Errorf("store: order days: %w", err)
		}
		r.Days = len(days)
		if _, err := c.ExecContext(ctx, "CREATE OR REPLACE TEMP TABLE od_before (ident_id INTEGER); CREATE OR REPLACE TEMP TABLE od_after (ident_id INTEGER)"); err != nil {
			return fmt.Errorf("store: order days: %w", err)
		}
		for lo := 0; lo < len(days); lo += orderDaysBatch {
			if err := s.aggregateOrderDays(ctx, c, days[lo:min(lo+orderDaysBatch, len(days))], &r); err != nil {
				return err
			}
		}
		if len(days) > 0 {
			if err := sumOrderIdents(ctx, c, !fresh, &r); err != nil {
				return err
			}
		}
		for k, v := range map[string]uint64{"orders_seq": now.ordersSeq, "cancels_seq": now.cancelsSeq, "refunds_seq": now.refundsSeq, "rows": now.rows} {
			if _, err := c.ExecContext(ctx, `INSERT INTO order_days_state VALUES (?, ?)
				ON CONFLICT (key) DO UPDATE SET value = excluded.value`, k, v); err != nil {
				return fmt.Errorf("store: order days state: %w", err)
			}
		}
		_, err = c.ExecContext(ctx, "DROP TABLE od_days; DROP TABLE od_before; DROP TABLE od_after")
		return err
	})
	if err == nil && r.Days > orderDaysBatch {
		// Most of the tables were rewritten (the first refresh, a bulk
		// load): until a checkpoint DuckDB keeps the old rows and the
		// updated values beside the tables, and every later scan pays
		// for merging them.
		t0 := time.Now()
		s.mu.Lock()
		_, err = s.wconn.ExecContext(ctx, "CHECKPOINT")
		s.mu.Unlock()
		r.Steps["checkpoint"] = time.Since(t0)
		if err != nil {
			err = fmt.Errorf("store: checkpoint after order days: %w", err)
		}
	}
	r.Elapsed = time.Since(start)
	return r, err
}

// aggregateOrderDays replaces the order days of the given days (sorted)
// with a new aggregate of their order rows.
func (s *DB) aggregateOrderDays(ctx context.Context, c *sql.Conn, days []time.Time, r *store.OrderDaysRefresh) error {
	lits := make([]string, len(days))
	for i, d := range days {
		lits[i] = "DATE '" + d.UTC().Format(time.DateOnly) + "'"
	}
	in := "(" + strings.Join(lits, ", ") + ")"
	// The timestamp range lets DuckDB skip row groups by their min/max
	// before it casts a single timestamp.
	lo := days[0].UTC().Format(time.DateOnly)
	hi := days[len(days)-1].UTC().AddDate(0, 0, 1).Format(time.DateOnly)
	steps := []string{
		// The identities whose days change: those that had orders on
		// these days, and (below) those that have them now.
		"INSERT INTO od_before SELECT ident_id FROM order_days WHERE day IN " + in,
		"DELETE FROM order_days WHERE day IN " + in,
		"DELETE FROM order_market_days WHERE day IN " + in,
		"DELETE FROM order_refund_days WHERE day IN " + in,
		// The days' order rows, read once.
		`CREATE OR REPLACE TEMP TABLE od_rows AS
		SELECT store, order_id, source_id, user_id, CASE WHEN user_id IS NULL THEN anonymous_id END AS anonymous_id,
		       CAST("timestamp" AS DATE) AS day, status, total_base, marketplace
		FROM order_rows
		WHERE "timestamp" >= TIMESTAMPTZ '` + lo + ` 00:00:00+00' AND "timestamp" < TIMESTAMPTZ '` + hi + ` 00:00:00+00'
		  AND CAST("timestamp" AS DATE) IN ` + in,
		// Identities not seen before get the next numbers.
		`INSERT INTO order_idents (ident_id, source_id, user_id, anonymous_id)
		SELECT (SELECT coalesce(max(ident_id), 0) FROM order_idents) + row_number() OVER (ORDER BY source_id, user_id, anonymous_id),
		       source_id, user_id, anonymous_id
		FROM (SELECT DISTINCT source_id, user_id, anonymous_id FROM od_rows o
		      WHERE NOT EXISTS (SELECT 1 FROM order_idents i WHERE i.source_id = o.source_id
		            AND i.user_id IS NOT DISTINCT FROM o.user_id AND i.anonymous_id IS NOT DISTINCT FROM o.anonymous_id))`,
		`CREATE OR REPLACE TEMP TABLE od_rows AS
		SELECT i.ident_id, o.store, o.order_id, o.day, o.status, o.total_base, o.marketplace, x.cancel_day
		FROM od_rows o
		JOIN order_idents i ON i.source_id = o.source_id AND i.user_id IS NOT DISTINCT FROM o.user_id
		     AND i.anonymous_id IS NOT DISTINCT FROM o.anonymous_id
		LEFT JOIN (SELECT store, order_id, min(CAST("timestamp" AS DATE)) AS cancel_day FROM cancellations GROUP BY 1, 2) x
		     ON x.store = o.store AND x.order_id = o.order_id`,
		`INSERT INTO order_days
		SELECT ident_id, day, count(*),
		       count(*) FILTER (WHERE status <> 'cancelled'),
		       count(total_base) FILTER (WHERE status <> 'cancelled') = count(*) FILTER (WHERE status <> 'cancelled'),
		       sum(total_base) FILTER (WHERE status <> 'cancelled'),
		       min(marketplace) FILTER (WHERE status <> 'cancelled')
		FROM od_rows GROUP BY 1, 2`,
		`INSERT INTO order_market_days
		SELECT ident_id, day, coalesce(marketplace, ''), cancel_day, count(*), sum(total_base)
		FROM od_rows WHERE status NOT IN ('cancelled', 'canceled')
		GROUP BY 1, 2, 3, 4`,
		`INSERT INTO order_refund_days
		SELECT o.ident_id, o.day, coalesce(o.marketplace, ''), o.cancel_day, CAST(r."timestamp" AS DATE), sum(r.amount_base)
		FROM od_rows o JOIN refunds r ON r.store = o.store AND r.order_id = o.order_id
		WHERE o.status NOT IN ('cancelled', 'canceled') AND o.total_base IS NOT NULL AND r.amount_base IS NOT NULL
		GROUP BY 1, 2, 3, 4, 5`,
		"INSERT INTO od_after SELECT DISTINCT ident_id FROM od_rows",
		"DROP TABLE od_rows",
	}
	// Step names for OrderDaysRefresh.Steps, in the order of steps.
	names := []string{"idents_before", "delete_days", "delete_market_days", "delete_refund_days", "rows", "new_idents",
		"rows_idents", "insert_days", "insert_market_days", "insert_refund_days", "idents_after", "drop_rows"}
	for i, q := range steps {
		t0 := time.Now()
		_, err := c.ExecContext(ctx, q)
		r.Steps[names[i]] += time.Since(t0)
		if err != nil {
			return fmt.Errorf("store: order days %s–%s: %w", lo, hi, err)
		}
	}
	return nil
}

// sumOrderIdentsChunk bounds the identities summed by one statement, so
// that summing all of them stays within DuckDB's memory limit.
const sumOrderIdentsChunk = 150_000

// sumOrderIdents brings the sums of order_idents up to date after the
// days in od_days were aggregated again: od_before holds the identities
// that had rows on those days, od_after those that have them now (every
// identity when all is set).
//
// An identity that had no row on those days and whose new days all come
// after its last one — the common case: new orders of a new day — gets
// its new days added to its sums. Every other one is summed again from all
// its order days, in chunks of identity numbers when there are many.
func sumOrderIdents(ctx context.Context, c *sql.Conn, all bool, r *store.OrderDaysRefresh) error {
	exec := func(name, q string) error {
		t0 := time.Now()
		_, err := c.ExecContext(ctx, q)
		r.Steps[name] += time.Since(t0)
		if err != nil {
			return fmt.Errorf("store: order days per identity (%s): %w", name, err)
		}
		return nil
	}
	// The sums of a set of identities' order days (orders > 0) where w.
	sums := func(w string) string {
		return `SELECT ident_id, count(*) AS n_days, min(day) AS first_day, max(day) AS last_day, sum(amount) AS spend,
			       arg_min(amount, day) AS first_amt, bool_and(priced) AS priced,
			       arg_max(market, day) FILTER (WHERE market IS NOT NULL) AS market,
			       list(day) AS days
			FROM order_days WHERE orders > 0 AND ` + w + ` GROUP BY 1`
	}
	which := "true"
	if !all {
		steps := []struct{ name, q string }{
			// The new days' sums of identities with nothing before on them.
			{"sums_new", `CREATE OR REPLACE TEMP TABLE od_new AS ` + sums(`day IN (SELECT day FROM od_days)
				AND ident_id IN (SELECT ident_id FROM od_after) AND ident_id NOT IN (SELECT ident_id FROM od_before)`)},
			// Of them, those whose new days all come after their last.
			{"sums_added", `DELETE FROM od_new WHERE ident_id IN (SELECT n.ident_id FROM od_new n JOIN order_idents i USING (ident_id)
				WHERE i.n_days > 0 AND n.first_day <= i.last_day)`},
			{"sums_add", `UPDATE order_idents AS i SET n_days = i.n_days + n.n_days, first_day = coalesce(i.first_day, n.first_day),
				last_day = n.last_day,
				spend = CASE WHEN i.spend IS NULL THEN n.spend WHEN n.spend IS NULL THEN i.spend ELSE i.spend + n.spend END,
				first_amt = CASE WHEN i.n_days = 0 THEN n.first_amt ELSE i.first_amt END,
				priced = CASE WHEN i.n_days = 0 THEN n.priced ELSE i.priced AND n.priced END,
				market = coalesce(n.market, i.market),
				recent = list_filter(list_concat(coalesce(i.recent, []), n.days), d -> d > n.last_day - 180)
				FROM od_new n WHERE i.ident_id = n.ident_id`},
			// The others are summed again.
			{"sums_redo", `CREATE OR REPLACE TEMP TABLE od_redo AS
				SELECT ident_id FROM od_before UNION SELECT ident_id FROM od_after EXCEPT SELECT ident_id FROM od_new`},
			{"sums_new_drop", "DROP TABLE od_new"},
		}
		for _, s := range steps {
			if err := exec(s.name, s.q); err != nil {
				return err
			}
		}
		which = "ident_id IN (SELECT ident_id FROM od_redo)"
	}
	var n, top int64
	if err := c.QueryRowContext(ctx, "SELECT (SELECT count(*) FROM order_idents WHERE "+which+"), (SELECT coalesce(max(ident_id), 0) FROM order_idents)").Scan(&n, &top); err != nil {
		return fmt.Errorf("store: order days per identity: %w", err)
	}
	step := top + 1
	if n > sumOrderIdentsChunk {
		step = sumOrderIdentsChunk
	}
	for lo := int64(0); n > 0 && lo <= top; lo += step {
		w := fmt.Sprintf("%s AND ident_id >= %d AND ident_id < %d", which, lo, lo+step)
		steps := []struct{ name, q string }{
			{"sums", `CREATE OR REPLACE TEMP TABLE od_sums AS ` + sums(w)},
			// Identities left without an order day.
			{"sums_emptied", `UPDATE order_idents SET n_days = 0, first_day = NULL, last_day = NULL, spend = NULL, first_amt = NULL, priced = NULL,
				market = NULL, recent = NULL
			WHERE n_days > 0 AND ` + w + ` AND ident_id NOT IN (SELECT ident_id FROM od_sums)`},
			{"sums_update", `UPDATE order_idents AS i SET n_days = s.n_days, first_day = s.first_day, last_day = s.last_day,
				spend = s.spend, first_amt = s.first_amt, priced = s.priced, market = s.market,
				recent = list_filter(s.days, d -> d > s.last_day - 180)
			FROM od_sums s WHERE i.ident_id = s.ident_id`},
			{"sums_drop", "DROP TABLE od_sums"},
		}
		for _, s := range steps {
			if err := exec(s.name, s.q); err != nil {
				return err
			}
		}
	}
	if !all {
		return exec("sums_redo_drop", "DROP TABLE od_redo")
	}
	return nil
}

func toUint(v any) uint64 {
	switch x := v.(type) {
	case uint64:
		return x
	case int64:
		return uint64(x)
	case string:
		n, _ := strconv.ParseUint(x, 10, 64)
		return n
	}
	return 0
}

var _ store.OrderDaysKeeper = (*DB)(nil)
