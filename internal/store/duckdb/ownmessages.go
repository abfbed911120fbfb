package duckdb

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
)

// ownMessageChunk is how many event rows one refresh transaction of
// own_message_profiles reads. Like RefreshTouches, the refresh holds the
// writer's lock for each step, so a first refresh over a large store
// (42,000,000 positions at 1,000,000 customers) lets an erasure or the
// store writer in between steps. Own messages are a small part of the
// log and only their JSON is parsed, so a step can span more positions
// than a touch step.
const ownMessageChunk = 2_000_000

// refreshOwnMessagesSQL records the profile each of the node's own
// messages in a range of log positions names (migration 010).
const refreshOwnMessagesSQL = `
INSERT INTO own_message_profiles
SELECT seq, pid FROM (
  SELECT seq, json_extract_string(properties, '$.profile_id') AS pid
  FROM event_rows
  WHERE seq > ? AND seq <= ? AND source_id = '_tradewind'
) WHERE pid IS NOT NULL`

// RefreshOwnMessages brings own_message_profiles up to the store's
// applied position and returns how many messages it added. Event rows are
// never updated and arrive in log order, so each is read once; the
// position read is kept in own_message_state. Readers call it before
// looking a profile's own messages up, so the table never lags the events
// they could otherwise see.
//
// When the table is current it answers without the writer's lock, which a
// long write (a bulk load, a first refresh of another derived table) may
// hold for seconds: a customer page then does not wait for it.
func (s *DB) RefreshOwnMessages(ctx context.Context) (int64, error) {
	var current bool
	err := s.db.QueryRowContext(ctx, `SELECT refreshed_seq >= coalesce((SELECT CAST(value AS UBIGINT) FROM tw_state WHERE key = 'applied_seq'), 0)
		FROM own_message_state`).Scan(&current)
	if err != nil {
		return 0, fmt.Errorf("store: own message state: %w", err)
	}
	if current {
		return 0, nil
	}
	return s.refreshFromPosition(ctx, "own messages", "own_message_state", ownMessageChunk, refreshOwnMessagesSQL)
}

// refreshFromPosition runs insert (an INSERT … SELECT from event_rows whose
// two placeholders are a range of log positions, first exclusive) for the
// positions after the one kept in state (a one-row table with the column
// refreshed_seq) up to the applied one, chunk positions per transaction
// under the writer's lock: an erasure must not run between the read of
// event_rows and the insert, or it would put back the erased rows; one
// step at a time, it waits for a step, not for the whole. It returns the
// rows inserted.
func (s *DB) refreshFromPosition(ctx context.Context, what, state string, chunk uint64, insert string) (int64, error) {
	var added int64
	for {
		done := false
		err := s.writeTx(ctx, what, func(c *sql.Conn) error {
			var from uint64
			if err := c.QueryRowContext(ctx, "SELECT refreshed_seq FROM "+state).Scan(&from); err != nil {
				return fmt.Errorf("store: %s state: %w", what, err)
			}
			if from >= s.applied {
				done = true
				return nil
			}
			// A step ends at its chunk-th event row: positions are not
			// dense (a bundle's messages are 4,096 positions apart at
			// most, eventlog/position.go), so a range of positions says
			// nothing about how many rows it holds. Literals, not
			// parameters: DuckDB prunes the scan by them.
			to := s.applied
			err := c.QueryRowContext(ctx, fmt.Sprintf(`SELECT seq FROM event_rows WHERE seq > %d AND seq <= %d
				ORDER BY seq LIMIT 1 OFFSET %d`, from, s.applied, chunk-1)).Scan(&to)
			if err != nil && !errors.Is(err, sql.ErrNoRows) {
				return fmt.Errorf("store: %s: end of the step: %w", what, err)
			}
			res, err := c.ExecContext(ctx, insert, from, to)
			if err != nil {
				return fmt.Errorf("store: refresh %s: %w", what, err)
			}
			n, _ := res.RowsAffected()
			added += n
			if _, err := c.ExecContext(ctx, "UPDATE "+state+" SET refreshed_seq = ?", to); err != nil {
				return fmt.Errorf("store: %s state: %w", what, err)
			}
			done = to == s.applied
			return nil
		})
		if err != nil || done {
			return added, err
		}
	}
}
