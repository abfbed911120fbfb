package store

import (
	"context"
	"time"
)

// PredictionRow is one profile's predictions from one run; NaN is NULL.
type PredictionRow struct {
	ProfileID                 string
	Frequency, Recency, T     float64
	PAlive, ExpectedPurchases float64
	ExpectedSpend, CLV        float64
	ChurnRisk                 float64
	ChurnTier                 string
	Reasons                   []string
}

// PredictionRun is what a prediction run writes at once: its report, and
// (when it scored) every profile's predictions, replacing the last run's.
type PredictionRun struct {
	RunID, ModelVersion string
	CreatedAt           time.Time
	Status              string
	Report              []byte // JSON
	Rows                []PredictionRow
}

// OrderDaysRefresh says what a refresh of the order days did.
type OrderDaysRefresh struct {
	// Days is how many UTC days were aggregated again (every day with an
	// order on the first refresh).
	Days int
	// Deletions is true when order rows had gone (erasure, retention) and
	// the days that lost them were found by their counts.
	Deletions bool
	Elapsed   time.Duration
	// Steps is the time each step took, summed over batches: what a slow
	// refresh spent its time on.
	Steps map[string]time.Duration
}

// OrderDaysKeeper is a store that keeps its orders pre-aggregated per
// sender identity and UTC day (the DuckDB store), for the analytics that
// read every order of every profile: predictions and RFM.
// RefreshOrderDays brings the aggregates up to date with the orders; a
// reader calls it just before it reads them.
type OrderDaysKeeper interface {
	RefreshOrderDays(ctx context.Context) (OrderDaysRefresh, error)
}
