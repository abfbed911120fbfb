package duckdb

import (
	"context"
	"database/sql"
	"fmt"
	"time"
)

// retentionColumn is the column each table is aged by.
var retentionColumn = map[string]string{
	"events": `"timestamp"`, "orders": `"timestamp"`, "customers": "updated_at", "reviews": `"timestamp"`,
	"consent": `"timestamp"`, "quarantine": "quarantined_at", "ad_spend": "date",
}

// DeleteBefore deletes the rows of table older than cutoff — for events,
// only those of message type typ and track event name event when given;
// for orders, with their items, refunds and cancellations — and returns the
// count. For events it also returns the lowest log sequence of a kept row of
// that type (past the applied sequence when none is kept), below which the log may be purged.
func (s *DB) DeleteBefore(ctx context.Context, table, typ, event string, cutoff time.Time) (int64, uint64, error) {
	col, ok := retentionColumn[table]
	if !ok {
		return 0, 0, fmt.Errorf("store: retention of unknown table %q", table)
	}
	// events and orders are views over the tables that hold the rows.
	rows := map[string]string{"events": "event_rows", "orders": "order_rows"}[table]
	if rows == "" {
		rows = table
	}
	where := col + " < ?"
	args := []any{cutoff}
	if table == "ad_spend" {
		args = []any{cutoff.Format(time.DateOnly)}
	}
	if typ != "" {
		where += " AND type = ?"
		args = append(args, typ)
	}
	if event != "" {
		where += " AND event = ?"
		args = append(args, event)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	c := s.wconn
	if _, err := c.ExecContext(ctx, "BEGIN TRANSACTION"); err != nil {
		return 0, 0, err
	}
	ok = false
	defer func() {
		if !ok {
			_, _ = c.ExecContext(context.Background(), "ROLLBACK")
		}
	}()
	if table == "orders" {
		if _, err := c.ExecContext(ctx, "CREATE OR REPLACE TEMP TABLE tmp_orders AS SELECT store, order_id FROM order_rows WHERE "+where, args...); err != nil {
			return 0, 0, fmt.Errorf("store: retention of orders: %w", err)
		}
		for _, t := range []string{"order_items", "refunds", "cancellations"} {
			if _, err := c.ExecContext(ctx, "DELETE FROM "+t+" WHERE (store, order_id) IN (SELECT store, order_id FROM tmp_orders)"); err != nil {
				return 0, 0, fmt.Errorf("store: retention of %s: %w", t, err)
			}
		}
	}
	if table == "events" {
		// Rows derived from the events go with them.
		for _, t := range []string{"identifier_tokens", "touch_rows", "touch_points"} {
			if _, err := c.ExecContext(ctx, "DELETE FROM "+t+" WHERE seq IN (SELECT seq FROM event_rows WHERE "+where+")", args...); err != nil {
				return 0, 0, fmt.Errorf("store: retention of %s: %w", t, err)
			}
		}
	}
	if table == "events" {
		// The events counted per identity and day (migration 013) are
		// checked day by day at the next refresh.
		if _, err := c.ExecContext(ctx, "UPDATE event_days_state SET full_check = true"); err != nil {
			return 0, 0, fmt.Errorf("store: retention of event days: %w", err)
		}
	}
	res, err := c.ExecContext(ctx, "DELETE FROM "+rows+" WHERE "+where, args...)
	if err != nil {
		return 0, 0, fmt.Errorf("store: retention of %s: %w", table, err)
	}
	n, _ := res.RowsAffected()
	var keepFrom uint64
	if table == "events" && typ != "" {
		var v sql.NullInt64
		if err := c.QueryRowContext(ctx, "SELECT min(seq) FROM event_rows WHERE type = ?", typ).Scan(&v); err != nil {
			return 0, 0, fmt.Errorf("store: retention: %w", err)
		}
		keepFrom = uint64(v.Int64)
		if !v.Valid {
			keepFrom = s.applied + 1 // none kept: every applied message of the type may go
		}
	}
	if err := dropTemporary(ctx, c); err != nil {
		return 0, 0, err
	}
	if _, err := c.ExecContext(ctx, "COMMIT"); err != nil {
		return 0, 0, err
	}
	ok = true
	return n, keepFrom, nil
}
