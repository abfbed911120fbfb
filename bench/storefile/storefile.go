// Package storefile opens a closed node's DuckDB file directly, outside the
// store package (no migrations, no locked configuration), for the
// benchmarks that build large stores by copying rows inside the file and
// inspect them with plain SQL.
package storefile

import (
	"context"
	"database/sql"
	"net/url"

	duckdb "github.com/duckdb/duckdb-go/v2"
)

// Conn is one connection to a DuckDB file opened by Open; Close closes the
// file too.
type Conn struct {
	*sql.Conn
	db *sql.DB
}

// Open opens the DuckDB file at path with DuckDB settings (memory_limit,
// threads, access_mode, …) and one connection to it.
func Open(ctx context.Context, path string, settings url.Values) (*Conn, error) {
	connector, err := duckdb.NewConnector(path+"?"+settings.Encode(), nil)
	if err != nil {
		return nil, err
	}
	db := sql.OpenDB(connector)
	c, err := db.Conn(ctx)
	if err != nil {
		db.Close()
		return nil, err
	}
	return &Conn{c, db}, nil
}

// Close closes the connection and the file.
func (c *Conn) Close() error {
	err := c.Conn.Close()
	if cerr := c.db.Close(); err == nil {
		err = cerr
	}
	return err
}

// Columns lists a table's columns of the file's own database, in order.
func (c *Conn) Columns(ctx context.Context, table string) ([]string, error) {
	rows, err := c.QueryContext(ctx, `SELECT column_name FROM duckdb_columns()
		WHERE table_name = ? AND database_name = current_database() ORDER BY column_index`, table)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var s string
		if err := rows.Scan(&s); err != nil {
			return nil, err
		}
		out = append(out, s)
	}
	return out, rows.Err()
}
