package duckdb

import (
	"context"
	"database/sql"
	"fmt"
)

// touchChunk is how many log positions one refresh transaction reads. The
// refresh holds the writer's lock (an erasure must not run between its
// read of event_rows and its insert, or it would put back the erased
// person's rows), so a first refresh over a large store goes in short
// steps: an erasure or the store writer waits for one step, not for the
// whole. On the demo store a step takes ~0.36 s and the whole first
// refresh of 2.1 M messages 15 s (6 s in 250,000-position steps, but an
// erasure then took 1.5 s instead of 0.3 behind one in bench/erasure).
const touchChunk = 50_000

// refreshTouchesSQL copies the touch fields of the event rows in a range of
// sequences into touch_rows (one parse of the context per event, ever).
const refreshTouchesSQL = `
INSERT INTO touch_rows
SELECT seq, source_id, user_id, anonymous_id, "timestamp", event,
  c[1], c[2], c[3], c[4], c[5], c[6], c[7],
  CASE WHEN type = 'track' THEN json_extract_string(properties, '$.campaign_name') END
FROM (
  SELECT *, json_extract_string(context, ['$.campaign.source', '$.campaign.medium', '$.campaign.name',
    '$.campaign.content', '$.page.url', '$.page.referrer', '$.app.name']) AS c
  FROM event_rows
  WHERE seq > ? AND seq <= ? AND type IN ('page', 'screen', 'track') AND source_id <> '_tradewind'
)`

// RefreshTouches brings touch_rows up to the store's applied position and
// returns how many rows it added. Event rows are never updated and arrive
// in sequence order, so each is read once; the refreshed position is kept
// in touch_state.
func (s *DB) RefreshTouches(ctx context.Context) (int64, error) {
	var added int64
	for {
		done := false
		err := s.writeTx(ctx, "touches", func(c *sql.Conn) error {
			var from uint64
			if err := c.QueryRowContext(ctx, "SELECT refreshed_seq FROM touch_state").Scan(&from); err != nil {
				return fmt.Errorf("store: touch state: %w", err)
			}
			to := min(from+touchChunk, s.applied)
			if to <= from {
				done = true
				return nil
			}
			res, err := c.ExecContext(ctx, refreshTouchesSQL, from, to)
			if err != nil {
				return fmt.Errorf("store: refresh touches: %w", err)
			}
			n, _ := res.RowsAffected()
			added += n
			if _, err := c.ExecContext(ctx, "UPDATE touch_state SET refreshed_seq = ?", to); err != nil {
				return fmt.Errorf("store: touch state: %w", err)
			}
			done = to == s.applied
			return nil
		})
		if err != nil || done {
			return added, err
		}
	}
}
