package store

import "time"

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
