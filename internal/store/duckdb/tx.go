package duckdb

import (
	"context"
	"database/sql"
	"fmt"
	"strings"
)

// writeTx runs fn in one transaction on the writer's connection, under the
// writer's lock (so nothing the store writer does lands in between), and
// commits; any error rolls the whole of it back. what names the work in
// the commit error.
func (s *DB) writeTx(ctx context.Context, what string, fn func(c *sql.Conn) error) (err error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	c := s.wconn
	if _, err := c.ExecContext(ctx, "BEGIN TRANSACTION"); err != nil {
		return fmt.Errorf("store: begin: %w", err)
	}
	defer func() {
		if err != nil {
			_, _ = c.ExecContext(context.Background(), "ROLLBACK")
		}
	}()
	if err := fn(c); err != nil {
		return err
	}
	if err := dropTemporary(ctx, c); err != nil {
		return err
	}
	if _, err := c.ExecContext(ctx, "COMMIT"); err != nil {
		return fmt.Errorf("store: commit %s: %w", what, err)
	}
	return nil
}

// dropTemporary drops every temporary table of c. The writer's connection
// stages rows in temporary tables (stage, the person's identities, the
// order days' and touch points' work tables), each made anew by the
// operation that reads it; left behind, they would keep a batch's fields,
// personal ones included, until the next operation replaced them — out of
// an erasure's reach. So every write transaction on it, and a person's
// read, ends by dropping them, whichever they were.
func dropTemporary(ctx context.Context, c *sql.Conn) error {
	var names []string
	rows, err := c.QueryContext(ctx, "SELECT table_name FROM duckdb_tables() WHERE temporary")
	if err != nil {
		return fmt.Errorf("store: list temporary tables: %w", err)
	}
	if err := EachRow(rows, func(r []any) error { names = append(names, r[0].(string)); return nil }); err != nil {
		return fmt.Errorf("store: list temporary tables: %w", err)
	}
	for _, n := range names {
		if _, err := c.ExecContext(ctx, `DROP TABLE IF EXISTS temp.main."`+strings.ReplaceAll(n, `"`, `""`)+`"`); err != nil {
			return fmt.Errorf("store: drop %s: %w", n, err)
		}
	}
	return nil
}

// EachRow calls fn with the values of each of rows in turn (the slice is
// reused between rows) and closes rows: the one row loop of the store's
// Scan and of the offline commands' in-memory databases.
func EachRow(rows *sql.Rows, fn func(row []any) error) error {
	defer rows.Close()
	cols, err := rows.Columns()
	if err != nil {
		return err
	}
	vals := make([]any, len(cols))
	ptrs := make([]any, len(cols))
	for i := range vals {
		ptrs[i] = &vals[i]
	}
	for rows.Next() {
		if err := rows.Scan(ptrs...); err != nil {
			return err
		}
		if err := fn(vals); err != nil {
			return err
		}
	}
	return rows.Err()
}
