package txlog

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"fmt"
	"math"
	"time"

	"github.com/duckdb/duckdb-go/v2"

	"github.com/tradewind/tradewind/internal/predict/btyd"
	storedb "github.com/tradewind/tradewind/internal/store/duckdb"
)

// Memory is a transaction log loaded into an in-memory DuckDB, shaped like
// the store's orders and events views, so the offline commands compute
// behavioural features with the very SQL the server runs.
type Memory struct {
	db *sql.DB
}

// Load copies the transactions into a new in-memory database: one
// completed order per transaction; events stay empty (a CSV of
// transactions has no visits).
func Load(ctx context.Context, txs []btyd.Transaction) (*Memory, error) {
	db, err := sql.Open("duckdb", "")
	if err != nil {
		return nil, err
	}
	db.SetMaxOpenConns(1) // one in-memory database per connection
	if _, err := db.ExecContext(ctx, "SET TimeZone='UTC'"); err != nil {
		db.Close()
		return nil, fmt.Errorf("offline database: %w", err)
	}
	for _, q := range []string{
		`CREATE TABLE orders (profile_id VARCHAR, "timestamp" TIMESTAMPTZ, total_base DOUBLE, status VARCHAR, marketplace VARCHAR)`,
		`CREATE TABLE events (profile_id VARCHAR, "timestamp" TIMESTAMPTZ, type VARCHAR, event VARCHAR, properties JSON, context JSON)`,
	} {
		if _, err := db.ExecContext(ctx, q); err != nil {
			db.Close()
			return nil, fmt.Errorf("offline database: %w", err)
		}
	}
	c, err := db.Conn(ctx)
	if err != nil {
		db.Close()
		return nil, err
	}
	defer c.Close()
	err = c.Raw(func(dc any) error {
		a, err := duckdb.NewAppender(dc.(driver.Conn), "", "main", "orders")
		if err != nil {
			return err
		}
		for _, t := range txs {
			var amount driver.Value
			if !math.IsNaN(t.Amount) {
				amount = t.Amount
			}
			// The day is what counts: keep the calendar date the shop
			// recorded, whatever its zone.
			y, m, d := t.Time.Date()
			if err := a.AppendRow(t.Customer, time.Date(y, m, d, 0, 0, 0, 0, time.UTC), amount, "completed", nil); err != nil {
				a.Close()
				return err
			}
		}
		return a.Close()
	})
	if err != nil {
		db.Close()
		return nil, fmt.Errorf("offline database: %w", err)
	}
	return &Memory{db: db}, nil
}

// Scan runs a read and calls fn per row (predict.ScanFunc).
func (m *Memory) Scan(ctx context.Context, q string, args []any, fn func(row []any) error) error {
	rows, err := m.db.QueryContext(ctx, q, args...)
	if err != nil {
		return err
	}
	return storedb.EachRow(rows, fn)
}

// Close releases the database.
func (m *Memory) Close() error { return m.db.Close() }
