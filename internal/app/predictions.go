package app

import (
	"context"

	"github.com/tradewind/tradewind/internal/predict"
	"github.com/tradewind/tradewind/internal/realtime"
	"github.com/tradewind/tradewind/internal/store"
)

// openPredictions sets up the prediction service over the store; its
// schedule starts with the node's workers.
func (a *App) openPredictions() {
	a.Predict = &predict.Service{
		Scan: a.Store.Scan, Save: a.Store.SavePredictions,
		Now: a.Cfg.Now, Logger: a.Logger, Config: a.Cfg.Predict, OnScored: a.predictionsToProfiles,
		Settled: func() bool { return a.logLag() < 10000 },
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
	if err := a.Profiles.SetPredictions(ctx, m); err != nil {
		return err
	}
	if a.Journeys == nil {
		return nil
	}
	next, err := a.nextOrders(ctx)
	if err != nil {
		return err
	}
	return a.Journeys.PlanNextOrders(ctx, next)
}

// restorePredictions gives a profile engine without predictions (new, or
// rebuilt from the log) the store's latest.
func (a *App) restorePredictions(ctx context.Context) error {
	if a.Profiles.HasPredictions() {
		return nil
	}
	rows, err := a.Predict.Stored(ctx)
	if err != nil || len(rows) == 0 {
		return err
	}
	return a.predictionsToProfiles(ctx, rows)
}
