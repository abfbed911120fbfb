package app

import (
	"context"
	"math"

	"github.com/tradewind/tradewind/internal/realtime"
	"github.com/tradewind/tradewind/internal/store"

	"github.com/tradewind/tradewind/internal/predict"
)

// openPredictions sets up the prediction service over the store; its
// schedule starts with the node's workers.
func (a *App) openPredictions() {
	a.Predict = &predict.Service{
		Scan: a.Store.Scan, Save: a.Store.SavePredictions, Load: a.latestPredictionReport,
		Now: a.Cfg.Now, Logger: a.Logger, Config: a.Cfg.Predict, OnScored: a.predictionsToProfiles,
	}
}

// predictionsToProfiles hands a run's predictions to the profile engine,
// where segment rules can use them (churn_tier = "high" and clv > 200).
func (a *App) predictionsToProfiles(ctx context.Context, rows []store.PredictionRow) error {
	m := make(map[string]realtime.Prediction, len(rows))
	for _, r := range rows {
		m[r.ProfileID] = realtime.Prediction{CLV: r.CLV, PAlive: r.PAlive, ExpectedPurchases: r.ExpectedPurchases,
			ChurnRisk: r.ChurnRisk, ChurnTier: r.ChurnTier}
	}
	return a.Profiles.SetPredictions(ctx, m)
}

// restorePredictions gives a profile engine without predictions (new, or
// rebuilt from the log) the store's latest.
func (a *App) restorePredictions(ctx context.Context) error {
	if a.Profiles.HasPredictions() {
		return nil
	}
	var rows []store.PredictionRow
	err := a.Store.Scan(ctx, `SELECT profile_id, clv, p_alive, expected_purchases, churn_risk, coalesce(churn_tier, '')
		FROM customer_predictions`, nil, func(r []any) error {
		p := store.PredictionRow{ProfileID: r[0].(string), CLV: nan(r[1]), PAlive: nan(r[2]),
			ExpectedPurchases: nan(r[3]), ChurnRisk: nan(r[4])}
		p.ChurnTier, _ = r[5].(string)
		rows = append(rows, p)
		return nil
	})
	if err != nil || len(rows) == 0 {
		return err
	}
	return a.predictionsToProfiles(ctx, rows)
}

func nan(v any) float64 {
	if f, ok := v.(float64); ok {
		return f
	}
	return math.NaN()
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
