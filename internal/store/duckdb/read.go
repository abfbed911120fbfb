package duckdb

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"errors"
	"fmt"
	"io"
	"math/big"
	"strings"
	"time"

	duckdb "github.com/duckdb/duckdb-go/v2"
	"github.com/govalues/decimal"

	"github.com/tradewind/tradewind/internal/store"
)

// Query implements store.Store: one statement, which must be a read
// (checked on DuckDB's own parse of it, not by looking at the text), run on a
// connection of a database whose external access is disabled and whose
// configuration is locked. At most maxRows rows are returned.
func (s *DB) Query(ctx context.Context, q string, maxRows int) (*store.Result, error) {
	conn, err := s.db.Conn(ctx)
	if err != nil {
		return nil, fmt.Errorf("store: query connection: %w", err)
	}
	defer conn.Close()
	var res *store.Result
	err = conn.Raw(func(dc any) error {
		c := dc.(*duckdb.Conn)
		st, err := c.PrepareContext(ctx, q)
		if err != nil {
			return &QueryError{Err: err}
		}
		defer st.Close()
		stmt := st.(*duckdb.Stmt)
		typ, err := stmt.StatementType()
		if err != nil {
			return &QueryError{Err: err}
		}
		if typ != duckdb.STATEMENT_TYPE_SELECT && typ != duckdb.STATEMENT_TYPE_EXPLAIN {
			return store.ErrReadOnly
		}
		rows, err := stmt.QueryContext(ctx, nil)
		if err != nil {
			return &QueryError{Err: err}
		}
		defer rows.Close()
		res = &store.Result{Columns: rows.Columns(), Rows: [][]any{}}
		if tn, ok := rows.(driver.RowsColumnTypeDatabaseTypeName); ok {
			for i := range res.Columns {
				res.Types = append(res.Types, tn.ColumnTypeDatabaseTypeName(i))
			}
		}
		for {
			vals := make([]driver.Value, len(res.Columns))
			if err := rows.Next(vals); err != nil {
				if errors.Is(err, io.EOF) {
					return nil
				}
				return &QueryError{Err: err}
			}
			if len(res.Rows) == maxRows {
				res.Truncated = true
				return nil
			}
			row := make([]any, len(vals))
			for i, v := range vals {
				row[i] = v
			}
			res.Rows = append(res.Rows, row)
		}
	})
	if err != nil {
		return nil, err
	}
	return res, nil
}

// QueryError is an error in a user's SQL (syntax, unknown table, a refused
// file access …), as opposed to a failure of the store.
type QueryError struct{ Err error }

func (e *QueryError) Error() string { return e.Err.Error() }
func (e *QueryError) Unwrap() error { return e.Err }

// FXRates implements store.Store.
func (s *DB) FXRates(ctx context.Context) ([]store.FXRate, error) {
	rows, err := s.db.QueryContext(ctx, "SELECT date, currency, CAST(rate AS VARCHAR) FROM fx_rates ORDER BY date, currency")
	if err != nil {
		return nil, fmt.Errorf("store: read fx rates: %w", err)
	}
	defer rows.Close()
	var out []store.FXRate
	for rows.Next() {
		var r store.FXRate
		var rate string
		if err := rows.Scan(&r.Date, &r.Currency, &rate); err != nil {
			return nil, fmt.Errorf("store: read fx rates: %w", err)
		}
		if r.Rate, err = decimal.Parse(rate); err != nil {
			return nil, fmt.Errorf("store: fx rate %s %s: %w", r.Currency, r.Date.Format(time.DateOnly), err)
		}
		out = append(out, r)
	}
	return out, rows.Err()
}

// SaveFXRates implements store.Store.
func (s *DB) SaveFXRates(ctx context.Context, rates []store.FXRate, toBase store.ToBaseFunc) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	c := s.wconn
	if _, err := c.ExecContext(ctx, "BEGIN TRANSACTION"); err != nil {
		return 0, err
	}
	rollback := func(err error) (int, error) {
		_, _ = c.ExecContext(context.Background(), "ROLLBACK")
		return 0, err
	}
	rows := make([][]driver.Value, len(rates))
	for i, r := range rates {
		whole, frac, ok := r.Rate.Round(6).Int64(6)
		if !ok {
			return rollback(fmt.Errorf("store: fx rate %s %s out of range", r.Currency, r.Date.Format(time.DateOnly)))
		}
		rows[i] = []driver.Value{r.Date, r.Currency, whole*1_000_000 + frac}
	}
	if err := s.stage(ctx, c, "stg_fx", "SELECT * FROM fx_rates", rows); err != nil {
		return rollback(err)
	}
	if _, err := c.ExecContext(ctx, `INSERT OR REPLACE INTO fx_rates SELECT DISTINCT ON (date, currency) * FROM stg_fx`); err != nil {
		return rollback(fmt.Errorf("store: save fx rates: %w", err))
	}
	n, err := s.reconvert(ctx, c, toBase)
	if err != nil {
		return rollback(err)
	}
	if err := dropTemporary(ctx, c); err != nil {
		return rollback(err)
	}
	if _, err := c.ExecContext(ctx, "COMMIT"); err != nil {
		return rollback(fmt.Errorf("store: commit fx rates: %w", err))
	}
	return n, nil
}

// reconvert recomputes base amounts that used no rate or an older rate than
// the one now known for their date. Only those rows can change, and they are
// few: the days after the previous newest rate.
func (s *DB) reconvert(ctx context.Context, c *sql.Conn, toBase store.ToBaseFunc) (int, error) {
	if toBase == nil {
		return 0, nil
	}
	targets := []struct {
		table, amount, base, day, key string
	}{
		{"order_rows", "total", "total_base", `CAST("timestamp" AS DATE)`, "store, order_id"},
		{"refunds", "amount", "amount_base", `CAST("timestamp" AS DATE)`, "message_id"},
		{"ad_spend", "spend", "spend_base", "date", "source_id, date, channel, campaign"},
	}
	total := 0
	for _, t := range targets {
		q := fmt.Sprintf(`SELECT %s, CAST(%s AS VARCHAR), currency, %s FROM %s
			WHERE %s IS NOT NULL AND (fx_rate_date IS NULL OR fx_rate_date < %s)`,
			t.key, t.amount, t.day, t.table, t.amount, t.day)
		rows, err := c.QueryContext(ctx, q)
		if err != nil {
			return 0, fmt.Errorf("store: reconvert %s: %w", t.table, err)
		}
		cols, _ := rows.Columns()
		nkey := len(cols) - 3
		var updates [][]driver.Value
		for rows.Next() {
			vals := make([]any, len(cols))
			ptrs := make([]any, len(cols))
			for i := range vals {
				ptrs[i] = &vals[i]
			}
			if err := rows.Scan(ptrs...); err != nil {
				rows.Close()
				return 0, err
			}
			amt, err := decimal.Parse(vals[nkey].(string))
			if err != nil {
				continue
			}
			day := vals[nkey+2].(time.Time)
			b, rd, ok := toBase(amt, vals[nkey+1].(string), day)
			if !ok {
				continue
			}
			row := make([]driver.Value, 0, nkey+2)
			for _, k := range vals[:nkey] {
				row = append(row, k)
			}
			row = append(row, dec4(store.NullDecimal{D: b, Valid: true}), rd)
			updates = append(updates, row)
		}
		if err := rows.Close(); err != nil {
			return 0, err
		}
		if len(updates) == 0 {
			continue
		}
		shape := fmt.Sprintf("SELECT %s, %s AS base, fx_rate_date FROM %s", t.key, t.base, t.table)
		if err := s.stage(ctx, c, "stg_reconvert", shape, updates); err != nil {
			return 0, err
		}
		match := ""
		for i, k := range strings.Split(t.key, ", ") {
			if i > 0 {
				match += " AND "
			}
			match += fmt.Sprintf("t.%s = s.%s", k, k)
		}
		if _, err := c.ExecContext(ctx, fmt.Sprintf(`UPDATE %s AS t SET %s = s.base, fx_rate_date = s.fx_rate_date
			FROM stg_reconvert s WHERE %s`, t.table, t.base, match)); err != nil {
			return 0, fmt.Errorf("store: reconvert %s: %w", t.table, err)
		}
		total += len(updates)
	}
	return total, nil
}

// SaveSource implements store.Store.
func (s *DB) SaveSource(ctx context.Context, src store.SourceRow) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	_, err := s.wconn.ExecContext(ctx, `INSERT OR REPLACE INTO sources VALUES (?, ?, ?, ?, ?, ?, ?, ?)`,
		src.ID, src.Name, src.Kind, src.Store, src.Currency, src.Marketplace, src.Country, src.CreatedAt)
	if err != nil {
		return fmt.Errorf("store: save source %s: %w", src.ID, err)
	}
	return nil
}

// Quarantine implements store.Store.
func (s *DB) Quarantine(ctx context.Context, entries []store.QuarantineEntry) error {
	if len(entries) == 0 {
		return nil
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.appendRows(s.wconn, "", "quarantine", quarantineRows(entries))
}

// ImportTally implements store.Store.
func (s *DB) ImportTally(ctx context.Context, importID string) (store.Tally, error) {
	var t store.Tally
	err := s.db.QueryRowContext(ctx, "SELECT stored, duplicates, rejected FROM import_tallies WHERE import_id = ?", importID).
		Scan(&t.Stored, &t.Duplicates, &t.Rejected)
	if errors.Is(err, sql.ErrNoRows) {
		return t, nil
	}
	if err != nil {
		return t, fmt.Errorf("store: import tally: %w", err)
	}
	return t, nil
}

// DecimalString formats a DuckDB decimal exactly.
func DecimalString(d duckdb.Decimal) string {
	if d.Value == nil {
		return ""
	}
	r := new(big.Rat).SetFrac(d.Value, new(big.Int).Exp(big.NewInt(10), big.NewInt(int64(d.Scale)), nil))
	return r.FloatString(int(d.Scale))
}

// Scan runs one of tradewind's own read queries (not a user's: it is not
// sandboxed as Query is) and calls fn with each row's values.
func (s *DB) Scan(ctx context.Context, q string, args []any, fn func(row []any) error) error {
	rows, err := s.db.QueryContext(ctx, q, args...)
	if err != nil {
		return fmt.Errorf("store: %w", err)
	}
	return EachRow(rows, fn)
}

// QueryArgs runs one of tradewind's own parameterised reads and returns all
// its rows (callers bound them with LIMIT).
func (s *DB) QueryArgs(ctx context.Context, q string, args []any) (*store.Result, error) {
	c, err := s.db.Conn(ctx)
	if err != nil {
		return nil, err
	}
	defer c.Close()
	return collect(ctx, c, q, 0, args...)
}
