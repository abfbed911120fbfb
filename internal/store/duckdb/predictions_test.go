package duckdb

import (
	"context"
	"fmt"
	"math"
	"slices"
	"testing"
	"time"

	"github.com/tradewind/tradewind/bench/machine"
	"github.com/tradewind/tradewind/internal/store"
)

// predictionRows is n predictions as a lifetime-only run makes them (no
// churn model: churn risk NaN, no tier, no reasons) when churn is false,
// and with churn risks, tiers and reasons when it is true.
func predictionRows(n int, churn bool) []store.PredictionRow {
	rows := make([]store.PredictionRow, n)
	for i := range rows {
		rows[i] = store.PredictionRow{ProfileID: fmt.Sprintf("p%d", i), Frequency: float64(i % 17), Recency: float64(i%13) / 7, T: float64(i%101) / 7,
			PAlive: 0.5, ExpectedPurchases: float64(i%7) / 3, ExpectedSpend: 40 + float64(i%50), CLV: float64(i % 400), ChurnRisk: math.NaN()}
		if churn {
			rows[i].ChurnRisk = float64(i%100) / 100
			rows[i].ChurnTier = []string{"low", "medium", "high"}[i%3]
			if i%2 == 0 {
				rows[i].Reasons = []string{"no order in 40 days", "spend falling"}
			}
		}
		if i%97 == 0 {
			rows[i].ExpectedSpend, rows[i].CLV = math.NaN(), math.Inf(1)
		}
	}
	return rows
}

// TestSavePredictionsRoundTrip checks every column of a saved run, NaN and
// infinite values stored as NULL, and that a second scored run replaces
// the first while a refused one keeps it.
func TestSavePredictionsRoundTrip(t *testing.T) {
	ctx := context.Background()
	s := openStore(t, t.TempDir())
	defer s.Close()
	at := time.Date(2026, 11, 1, 12, 0, 0, 0, time.UTC)
	for _, churn := range []bool{false, true} {
		rows := predictionRows(5000, churn)
		run := &store.PredictionRun{RunID: fmt.Sprint("r", churn), ModelVersion: fmt.Sprint("v", churn), CreatedAt: at, Status: "scored", Report: []byte(`{}`), Rows: rows}
		if err := s.SavePredictions(ctx, run); err != nil {
			t.Fatal(err)
		}
		if err := s.SavePredictions(ctx, &store.PredictionRun{RunID: "refused", CreatedAt: at, Status: "refused", Report: []byte(`{}`)}); err != nil {
			t.Fatal(err)
		}
		n := 0
		err := s.Scan(ctx, `SELECT profile_id, scored_at, model_version, frequency, recency, "T", p_alive, expected_purchases,
			expected_spend, clv, churn_risk, churn_tier, reasons FROM customer_predictions ORDER BY CAST(substr(profile_id, 2) AS INTEGER)`, nil, func(r []any) error {
			want := rows[n]
			n++
			if r[0] != want.ProfileID || !r[1].(time.Time).Equal(at) || r[2] != run.ModelVersion {
				return fmt.Errorf("row %d: %v %v %v", n, r[0], r[1], r[2])
			}
			for j, w := range []float64{want.Frequency, want.Recency, want.T, want.PAlive, want.ExpectedPurchases, want.ExpectedSpend, want.CLV, want.ChurnRisk} {
				got, ok := r[3+j].(float64)
				if math.IsNaN(w) || math.IsInf(w, 0) {
					if r[3+j] != nil {
						return fmt.Errorf("%s column %d: %v for %v, want NULL", want.ProfileID, 3+j, r[3+j], w)
					}
				} else if !ok || got != w {
					return fmt.Errorf("%s column %d: %v, want %v", want.ProfileID, 3+j, r[3+j], w)
				}
			}
			tier, _ := r[11].(string)
			if tier != want.ChurnTier || (want.ChurnTier == "" && r[11] != nil) {
				return fmt.Errorf("%s tier %v, want %q", want.ProfileID, r[11], want.ChurnTier)
			}
			var reasons []string
			for _, x := range r[12].([]any) {
				reasons = append(reasons, x.(string))
			}
			if !slices.Equal(reasons, want.Reasons) {
				return fmt.Errorf("%s reasons %v, want %v", want.ProfileID, reasons, want.Reasons)
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
		if n != len(rows) {
			t.Fatalf("%d rows, want %d", n, len(rows))
		}
	}
}

// BenchmarkSavePredictions1M writes a million predictions (issue 6's end
// to end line writes them back): go test ./internal/store/duckdb -run '^$'
// -bench SavePredictions -benchtime 3x.
func BenchmarkSavePredictions1M(b *testing.B) {
	for _, churn := range []bool{false, true} {
		b.Run(fmt.Sprint("churn=", churn), func(b *testing.B) {
			ctx := context.Background()
			s, err := Open(ctx, Config{Dir: b.TempDir(), BaseCurrency: "EUR", MemoryLimit: "256MB", Threads: 2})
			if err != nil {
				b.Fatal(err)
			}
			defer s.Close()
			rows := predictionRows(1_000_000, churn)
			cpu := machine.SelfCPU()
			b.ResetTimer()
			for i := range b.N {
				run := &store.PredictionRun{RunID: fmt.Sprint(i), ModelVersion: "bench", CreatedAt: time.Now().UTC(), Status: "scored", Report: []byte(`{}`), Rows: rows}
				if err := s.SavePredictions(ctx, run); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric((machine.SelfCPU()-cpu)*1000/float64(b.N), "cpu-ms/op")
		})
	}
}
