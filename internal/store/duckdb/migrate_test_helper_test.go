package duckdb

import (
	"context"
	"database/sql"
	"path/filepath"

	_ "github.com/duckdb/duckdb-go/v2"
)

// createWithMigrations makes a database as an older release left it: only
// the given migrations, and one order.
func createWithMigrations(dir string, ms []Migration) error {
	db, err := sql.Open("duckdb", filepath.Join(dir, FileName))
	if err != nil {
		return err
	}
	defer db.Close()
	ctx := context.Background()
	if _, err := db.ExecContext(ctx, `CREATE TABLE schema_migrations (version INTEGER PRIMARY KEY, name VARCHAR NOT NULL, applied_at TIMESTAMPTZ NOT NULL DEFAULT now())`); err != nil {
		return err
	}
	for _, m := range ms {
		if _, err := db.ExecContext(ctx, m.SQL); err != nil {
			return err
		}
		if _, err := db.ExecContext(ctx, "INSERT INTO schema_migrations (version, name) VALUES (?, ?)", m.Version, m.Name); err != nil {
			return err
		}
	}
	// Since migration 004 the table is order_rows (orders is a view).
	table := "orders"
	var n int
	if err := db.QueryRowContext(ctx, "SELECT count(*) FROM information_schema.tables WHERE table_name = 'order_rows'").Scan(&n); err == nil && n > 0 {
		table = "order_rows"
	}
	_, err = db.ExecContext(ctx, `INSERT INTO `+table+` (store, order_id, source_id, "timestamp", currency, total, status, base_currency, updated_at, message_id, seq, first_seq)
		VALUES ('s', 'o1', 'src', now(), 'EUR', 10, 'completed', 'USD', now(), 'm', 1, 1)`)
	return err
}
