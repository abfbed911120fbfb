package duckdb

import (
	"context"
	"database/sql"
	"fmt"
	"strconv"
	"strings"
	"time"
)

// eventDaysBatch bounds the days aggregated by one transaction, so that
// the first refresh of a large store stays within DuckDB's memory limit
// and lets the store writer and erasures in between steps.
const eventDaysBatch = 7

// eventDayTypes are the message types a segment's event condition counts
// (audience: track, page and screen), the only ones event_days holds.
const eventDayTypes = "('track', 'page', 'screen')"

// RefreshEventDays brings event_days (migration 013) up to date with
// event_rows and returns the sequence up to which every event row is
// counted there. The days of the rows added since the last refresh are
// aggregated again, whole; after a retention run or an erasure
// (full_check) so is every day whose sum no longer matches its rows.
// Readers count the rows above event_days_state.refreshed_seq from
// event_rows, reading the state themselves before their query and again
// after it (realtime.Preview): a refresh or an erasure may commit between
// this call and their query.
//
// Many days (a first refresh, a bulk load) are aggregated a batch per
// transaction, so that the store writer and erasures get in between; until
// the last one the state says busy, and readers count from event_rows.
//
// When nothing was added it answers without the writer's lock, which a
// long write may hold for seconds: a segment preview then does not wait.
func (s *DB) RefreshEventDays(ctx context.Context) (uint64, error) {
	var seq uint64
	var stale bool
	err := s.db.QueryRowContext(ctx, `SELECT refreshed_seq, full_check OR busy FROM event_days_state`).Scan(&seq, &stale)
	if err != nil {
		return 0, fmt.Errorf("store: event days state: %w", err)
	}
	// The position as a literal: DuckDB skips the row groups below it by
	// their zone maps. (Compared with the state's column in one query,
	// NOT EXISTS became an anti-join that hashed every row's sequence: out
	// of memory at 1,000,000 customers.)
	var newer bool
	err = s.db.QueryRowContext(ctx, "SELECT EXISTS (SELECT 1 FROM event_rows WHERE seq > "+strconv.FormatUint(seq, 10)+")").Scan(&newer)
	if err != nil {
		return 0, fmt.Errorf("store: event days: %w", err)
	}
	if !newer && !stale {
		return seq, nil
	}
	var (
		days  []time.Time // to aggregate again, in order
		top   uint64      // the highest sequence counted after this refresh
		first = true
	)
	for {
		done := false
		err := s.writeTx(ctx, "event days", func(c *sql.Conn) error {
			if first {
				first = false
				var err error
				if days, top, err = eventDaysToRefresh(ctx, c); err != nil {
					return err
				}
			}
			n := min(len(days), eventDaysBatch)
			if err := aggregateEventDays(ctx, c, days[:n], top); err != nil {
				return err
			}
			days = days[n:]
			if len(days) > 0 {
				// Committed days now count rows above refreshed_seq.
				if _, err := c.ExecContext(ctx, "UPDATE event_days_state SET busy = true"); err != nil {
					return fmt.Errorf("store: event days state: %w", err)
				}
				return nil
			}
			done = true
			if _, err := c.ExecContext(ctx, "UPDATE event_days_state SET refreshed_seq = ?, full_check = false, busy = false", top); err != nil {
				return fmt.Errorf("store: event days state: %w", err)
			}
			return nil
		})
		if err != nil {
			return 0, err
		}
		if done {
			return top, nil
		}
	}
}

// eventDaysToRefresh lists the days to aggregate again and the sequence
// the refresh counts up to.
func eventDaysToRefresh(ctx context.Context, c *sql.Conn) ([]time.Time, uint64, error) {
	var from uint64
	var full bool
	if err := c.QueryRowContext(ctx, "SELECT refreshed_seq, full_check FROM event_days_state").Scan(&from, &full); err != nil {
		return nil, 0, fmt.Errorf("store: event days state: %w", err)
	}
	var top sql.NullInt64
	// Positions as literals throughout: DuckDB skips the row groups outside
	// them by their zone maps, where it compares a parameter row by row.
	if err := c.QueryRowContext(ctx, "SELECT max(seq) FROM event_rows WHERE seq > "+strconv.FormatUint(from, 10)).Scan(&top); err != nil {
		return nil, 0, fmt.Errorf("store: event days: %w", err)
	}
	to := from
	if top.Valid {
		to = uint64(top.Int64)
	}
	// The days of the rows added since; after deletions, the days whose
	// rows no longer add up to what was counted.
	fromLit, toLit := strconv.FormatUint(from, 10), strconv.FormatUint(to, 10)
	q := `SELECT DISTINCT CAST(timezone('UTC', "timestamp") AS DATE) FROM event_rows
		WHERE seq > ` + fromLit + ` AND seq <= ` + toLit + ` AND type IN ` + eventDayTypes
	if full {
		q += `
		UNION
		SELECT day FROM (SELECT CAST(timezone('UTC', "timestamp") AS DATE) AS day, count(*) AS n FROM event_rows
			WHERE seq <= ` + fromLit + ` AND type IN ` + eventDayTypes + ` GROUP BY 1) a
		FULL JOIN (SELECT day, sum(n) AS n FROM event_days GROUP BY 1) b USING (day)
		WHERE a.n IS DISTINCT FROM b.n`
	}
	var days []time.Time
	rows, err := c.QueryContext(ctx, "SELECT * FROM ("+q+") ORDER BY 1")
	if err != nil {
		return nil, 0, fmt.Errorf("store: event days to refresh: %w", err)
	}
	err = EachRow(rows, func(row []any) error {
		d, ok := row[0].(time.Time)
		if !ok {
			return fmt.Errorf("store: event days: a day of type %T", row[0])
		}
		days = append(days, d)
		return nil
	})
	if err != nil {
		return nil, 0, fmt.Errorf("store: event days to refresh: %w", err)
	}
	return days, to, nil
}

// aggregateEventDays replaces the rows of days in event_days with the
// counts of their event rows up to sequence top, written in the order of
// type, name and day, so that a rule's read skips the row groups of other
// events by their zone maps.
func aggregateEventDays(ctx context.Context, c *sql.Conn, days []time.Time, top uint64) error {
	if len(days) == 0 {
		return nil
	}
	list := make([]string, len(days))
	for i, d := range days {
		list[i] = "DATE '" + d.UTC().Format(time.DateOnly) + "'"
	}
	in := strings.Join(list, ", ")
	if _, err := c.ExecContext(ctx, "DELETE FROM event_days WHERE day IN ("+in+")"); err != nil {
		return fmt.Errorf("store: event days: %w", err)
	}
	// The days' time range as literals, which DuckDB checks against the
	// zone maps of event_rows, then the exact days.
	lo := days[0].UTC().Format(time.DateOnly)
	hi := days[len(days)-1].UTC().AddDate(0, 0, 1).Format(time.DateOnly)
	_, err := c.ExecContext(ctx, `INSERT INTO event_days
		SELECT source_id, user_id, CASE WHEN user_id IS NULL THEN anonymous_id END, type,
			CASE WHEN type = 'track' THEN event ELSE name END, CAST(timezone('UTC', "timestamp") AS DATE) AS day, count(*)
		FROM event_rows
		WHERE type IN `+eventDayTypes+` AND seq <= `+strconv.FormatUint(top, 10)+`
			AND "timestamp" >= TIMESTAMPTZ '`+lo+` 00:00:00+00' AND "timestamp" < TIMESTAMPTZ '`+hi+` 00:00:00+00'
			AND CAST(timezone('UTC', "timestamp") AS DATE) IN (`+in+`)
		GROUP BY ALL
		ORDER BY type, 5, day`)
	if err != nil {
		return fmt.Errorf("store: event days: %w", err)
	}
	return nil
}
