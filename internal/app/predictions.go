package app

import (
	"context"

	"github.com/tradewind/tradewind/internal/predict"
)

// openPredictions sets up the prediction service over the store; its
// schedule starts with the node's workers.
func (a *App) openPredictions() {
	a.Predict = &predict.Service{
		Scan: a.Store.Scan, Save: a.Store.SavePredictions, Load: a.latestPredictionReport,
		Now: a.Cfg.Now, Logger: a.Logger, Config: a.Cfg.Predict,
	}
}

// latestPredictionReport reads the newest run's report from the store.
func (a *App) latestPredictionReport(ctx context.Context) ([]byte, error) {
	var out []byte
	err := a.Store.Scan(ctx, "SELECT CAST(report AS VARCHAR) FROM prediction_runs ORDER BY created_at DESC LIMIT 1", nil, func(r []any) error {
		if s, ok := r[0].(string); ok {
			out = []byte(s)
		}
		return nil
	})
	return out, err
}
