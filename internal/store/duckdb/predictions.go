package duckdb

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"fmt"
	"math"

	"github.com/duckdb/duckdb-go/v2"

	"github.com/tradewind/tradewind/internal/store"
)

// SavePredictions records a prediction run; a run that scored replaces
// every row of customer_predictions in the same transaction, so readers
// see the old run or the new one, never a mix.
func (s *DB) SavePredictions(ctx context.Context, run *store.PredictionRun) error {
	return s.writeTx(ctx, "predictions", func(c *sql.Conn) error {
		if run.Status == "scored" {
			if _, err := c.ExecContext(ctx, "DELETE FROM customer_predictions"); err != nil {
				return fmt.Errorf("store: replace predictions: %w", err)
			}
			// One row buffer for all: a million rows of thirteen values
			// built up front cost more than appending them.
			err := c.Raw(func(dc any) error {
				a, err := duckdb.NewAppender(dc.(driver.Conn), "", "main", "customer_predictions")
				if err != nil {
					return fmt.Errorf("store: appender customer_predictions: %w", err)
				}
				row := make([]driver.Value, 13)
				for i, p := range run.Rows {
					row[0], row[1], row[2], row[3] = p.ProfileID, run.CreatedAt, run.ModelVersion, nullFloat(p.Frequency)
					row[4], row[5], row[6], row[7] = nullFloat(p.Recency), nullFloat(p.T), nullFloat(p.PAlive), nullFloat(p.ExpectedPurchases)
					row[8], row[9], row[10], row[11], row[12] = nullFloat(p.ExpectedSpend), nullFloat(p.CLV), nullFloat(p.ChurnRisk), null(p.ChurnTier), stringList(p.Reasons)
					if err := a.AppendRow(row...); err != nil {
						a.Close()
						return fmt.Errorf("store: append prediction %d: %w", i, err)
					}
				}
				if err := a.Close(); err != nil {
					return fmt.Errorf("store: flush customer_predictions: %w", err)
				}
				return nil
			})
			if err != nil {
				return err
			}
		}
		if _, err := c.ExecContext(ctx, "INSERT INTO prediction_runs VALUES (?, ?, ?, ?)", run.RunID, run.CreatedAt, run.Status, string(run.Report)); err != nil {
			return fmt.Errorf("store: record prediction run: %w", err)
		}
		return nil
	})
}

func nullFloat(v float64) driver.Value {
	if math.IsNaN(v) || math.IsInf(v, 0) {
		return nil
	}
	return v
}
