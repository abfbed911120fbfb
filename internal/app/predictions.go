package app

import (
	"context"
	"time"

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
		Settled: a.settled,
		// Runs read the orders pre-aggregated per identity and day,
		// refreshed first, instead of every order row through the
		// identity join (bench/predict/FIGURES.md).
		OrderDays: a.Store.RefreshOrderDays,
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

// settled says whether no bulk load is under way, for the prediction
// schedule and the marketing warm-up at start: the store is within 100
// JetStream messages of the log (a request's or an import chunk's bundle
// counts once), and the log grew by less than 5% (at least 4 MB, some
// 10,000 events) since the previous look, a minute or more ago. The lag
// alone missed the demo's load, which the store follows closely: a
// scheduled run fitted a sliver of the history mid-load and took a core
// for ten seconds. The first look only takes the sample. Growth is
// counted in bytes because a message count means little once requests
// are bundled.
func (a *App) settled() bool {
	lag, bytes, err := a.logState()
	if err != nil || lag >= 100 {
		return false
	}
	a.growthMu.Lock()
	defer a.growthMu.Unlock()
	now := time.Now()
	prev, at := a.growthBytes, a.growthAt
	if at.IsZero() || now.Sub(at) >= time.Minute {
		a.growthBytes, a.growthAt = bytes, now
	}
	return !at.IsZero() && !bulkGrowth(prev, bytes)
}

// bulkGrowth says whether a log that went from prev to last bytes in about
// a minute is taking a bulk load: by 5% of its size, and at least 4 MB (a
// small shop's live traffic is not a load).
func bulkGrowth(prev, last uint64) bool {
	return last > prev && last-prev >= max(4_000_000, prev/20)
}
