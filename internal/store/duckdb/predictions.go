package duckdb

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"fmt"
	"math"

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
			rows := make([][]driver.Value, len(run.Rows))
			for i, p := range run.Rows {
				rows[i] = []driver.Value{p.ProfileID, run.CreatedAt, run.ModelVersion, nullFloat(p.Frequency),
					nullFloat(p.Recency), nullFloat(p.T), nullFloat(p.PAlive), nullFloat(p.ExpectedPurchases),
					nullFloat(p.ExpectedSpend), nullFloat(p.CLV), nullFloat(p.ChurnRisk), null(p.ChurnTier), stringList(p.Reasons)}
			}
			if err := s.appendRows(c, "", "customer_predictions", rows); err != nil {
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
