package predict

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"math"
	"sync"
	"time"

	"github.com/tradewind/tradewind/internal/predict/btyd"
	"github.com/tradewind/tradewind/internal/store"
)

// Config is how predictions are made and how often.
type Config struct {
	// Period is the lifetime models' time unit (week by default).
	Period btyd.Period
	// ChurnHorizonDays is N in "no order in the next N days" and also the
	// holdout on which the lifetime models are compared (90).
	ChurnHorizonDays int
	// HorizonDays is the span of expected_purchases (365).
	HorizonDays int
	// CLVMonths and Margin define clv (0 takes 12 and 1.0); AnnualDiscount
	// discounts it (0 is no discount: the command line passes its default,
	// 0.10, explicitly).
	CLVMonths              int
	Margin, AnnualDiscount float64
	// MarginByCategory overrides Margin for products of these categories:
	// a customer's margin share is their revenue's, weighted by category.
	MarginByCategory map[string]float64
	// Every is the scheduled refresh interval: 0 is 24h, negative
	// schedules none.
	Every time.Duration
}

func (c Config) withDefaults() Config {
	if c.Period == "" {
		c.Period = btyd.Week
	}
	if c.ChurnHorizonDays <= 0 {
		c.ChurnHorizonDays = 90
	}
	if c.HorizonDays <= 0 {
		c.HorizonDays = 365
	}
	if c.CLVMonths <= 0 {
		c.CLVMonths = 12
	}
	if c.Margin <= 0 {
		c.Margin = 1
	}
	if c.AnnualDiscount < 0 {
		c.AnnualDiscount = 0.10
	}
	if c.Every == 0 {
		c.Every = 24 * time.Hour
	}
	return c
}

// Run is one prediction run's report: the model report endpoint's JSON.
type Run struct {
	RunID        string    `json:"run_id"`
	CreatedAt    time.Time `json:"created_at"`
	AsOf         string    `json:"as_of"`
	Status       string    `json:"status"` // scored, refused
	Error        string    `json:"error,omitempty"`
	ModelVersion string    `json:"model_version,omitempty"`
	Customers    int       `json:"customers"`
	Config       struct {
		Period           string             `json:"period"`
		ChurnHorizonDays int                `json:"churn_horizon_days"`
		HorizonDays      int                `json:"horizon_days"`
		CLVMonths        int                `json:"clv_months"`
		Margin           float64            `json:"margin"`
		MarginByCategory map[string]float64 `json:"margin_by_category,omitempty"`
		AnnualDiscount   float64            `json:"annual_discount_rate"`
	} `json:"config"`
	// Evaluation is the lifetime models fitted ChurnHorizonDays ago and
	// compared with what happened since (the calibration report).
	Evaluation *LifetimeReport `json:"evaluation,omitempty"`
	// Lifetime is the chosen model refitted on all history, which scored.
	Lifetime *LifetimeReport `json:"lifetime,omitempty"`
	Churn    *ChurnReport    `json:"churn,omitempty"`
	// TimingsMS are wall-clock milliseconds per step.
	TimingsMS map[string]float64 `json:"timings_ms"`
}

// Service keeps the customer_predictions table fresh: on a schedule and on
// demand, one run at a time.
type Service struct {
	// Scan reads the store; Save writes a run.
	Scan ScanFunc
	Save func(ctx context.Context, run *store.PredictionRun) error
	// OnScored, when set, is given every run's predictions after they are
	// saved (the profile engine makes them segment attributes).
	OnScored func(ctx context.Context, rows []store.PredictionRow) error
	Now      func() time.Time
	Logger   *slog.Logger
	Config   Config
	// Settled, when set, tells the schedule whether the store has caught
	// up with the log; a scheduled run waits while it has not.
	Settled func() bool
	// OrderDays, when set, brings the store's order days up to date (a
	// store.OrderDaysKeeper's RefreshOrderDays); each run calls it first and
	// then reads its snapshots from them (FromOrderDays) instead of every
	// order row through the orders view.
	OrderDays func(ctx context.Context) (store.OrderDaysRefresh, error)

	mu     sync.Mutex // one run at a time
	last   *Run
	lastMu sync.Mutex
}

// ErrBusy is returned when a run is already going.
var ErrBusy = errors.New("a prediction run is already going")

// Refresh runs the models now and saves the result, returning the run's
// report (also when the data could not support a model: the report says
// why, and the previous predictions stay).
func (s *Service) Refresh(ctx context.Context) (*Run, error) {
	if !s.mu.TryLock() {
		return nil, ErrBusy
	}
	defer s.mu.Unlock()
	return s.refresh(ctx)
}

// RefreshAfter waits for a run that is going to end, then runs (a caller
// that has just changed the data wants a run that sees it).
func (s *Service) RefreshAfter(ctx context.Context) (*Run, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.refresh(ctx)
}

func (s *Service) refresh(ctx context.Context) (*Run, error) {
	cfg := s.Config.withDefaults()
	now := time.Now()
	if s.Now != nil {
		now = s.Now()
	}
	asOf := dayStart(now)
	run := &Run{CreatedAt: now.UTC(), AsOf: asOf.Format(time.DateOnly), RunID: now.UTC().Format("20060102T150405Z"), TimingsMS: map[string]float64{}}
	run.Config.Period, run.Config.ChurnHorizonDays, run.Config.HorizonDays = string(cfg.Period), cfg.ChurnHorizonDays, cfg.HorizonDays
	run.Config.CLVMonths, run.Config.Margin, run.Config.AnnualDiscount = cfg.CLVMonths, cfg.Margin, cfg.AnnualDiscount
	run.Config.MarginByCategory = cfg.MarginByCategory
	rows, err := s.run(ctx, run, cfg, asOf)
	if err != nil {
		if ctx.Err() != nil {
			return nil, ctx.Err()
		}
		run.Status, run.Error = "refused", err.Error()
	} else {
		run.Status = "scored"
	}
	report, _ := json.Marshal(run)
	saveStart := time.Now()
	if err := s.Save(ctx, &store.PredictionRun{RunID: run.RunID, ModelVersion: run.ModelVersion, CreatedAt: run.CreatedAt,
		Status: run.Status, Report: report, Rows: rows}); err != nil {
		return nil, err
	}
	run.TimingsMS["save"] = ms(time.Since(saveStart))
	if s.OnScored != nil && run.Status == "scored" {
		start := time.Now()
		if err := s.OnScored(ctx, rows); err != nil && s.Logger != nil {
			s.Logger.Error("predictions to segments", "err", err)
		}
		run.TimingsMS["segments"] = ms(time.Since(start))
	}
	s.lastMu.Lock()
	s.last = run
	s.lastMu.Unlock()
	if s.Logger != nil {
		s.Logger.Info("predictions refreshed", "run", run.RunID, "status", run.Status, "customers", run.Customers,
			"model", run.ModelVersion, "ms", run.TimingsMS)
	}
	return run, nil
}

func ms(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }

func (s *Service) run(ctx context.Context, run *Run, cfg Config, asOf time.Time) ([]store.PredictionRow, error) {
	n := cfg.ChurnHorizonDays
	step := func(name string, f func() error) error {
		start := time.Now()
		err := f()
		run.TimingsMS[name] = ms(time.Since(start))
		return err
	}
	src := FromOrders
	if s.OrderDays != nil {
		if err := step("order_days", func() error {
			_, err := s.OrderDays(ctx)
			return err
		}); err != nil {
			return nil, err
		}
		src = FromOrderDays
	}
	var train, test, score *Snapshot
	if err := step("read", func() (err error) {
		if train, err = ReadSnapshotFrom(ctx, s.Scan, src, asOf.AddDate(0, 0, -2*n), n); err != nil {
			return err
		}
		if test, err = ReadSnapshotFrom(ctx, s.Scan, src, asOf.AddDate(0, 0, -n), n); err != nil {
			return err
		}
		score, err = ReadSnapshotFrom(ctx, s.Scan, src, asOf, 0)
		return err
	}); err != nil {
		return nil, err
	}
	run.Customers = len(score.Rows)
	if len(score.Rows) == 0 {
		return nil, fmt.Errorf("%w: no customer with an order yet", ErrIneligible)
	}
	lo := LifetimeOptions{Horizon: float64(cfg.HorizonDays) / cfg.Period.Days(), CLVMonths: cfg.CLVMonths, Margin: cfg.Margin, AnnualDiscount: cfg.AnnualDiscount}
	// Compare the lifetime models on the last N days, then refit the
	// better one on everything.
	var chosen string
	testSum := test.Summary(cfg.Period)
	_ = step("lifetime_evaluation", func() error {
		rep, _, err := FitLifetime(testSum, lo)
		run.Evaluation = rep
		if err == nil {
			chosen = rep.Chosen
		}
		return nil // an evaluation that cannot run leaves the choice to log-likelihood
	})
	var scores []btyd.Score
	sum := score.Summary(cfg.Period)
	lo.Only = chosen
	if len(cfg.MarginByCategory) > 0 {
		if err := step("margins", func() error {
			m, err := ReadMargins(ctx, s.Scan, asOf, cfg.MarginByCategory, cfg.Margin)
			if err != nil {
				return err
			}
			lo.Margins = make([]float64, len(score.IDs))
			for i, id := range score.IDs {
				if v, ok := m[id]; ok {
					lo.Margins[i] = v
				} else {
					lo.Margins[i] = cfg.Margin
				}
			}
			return nil
		}); err != nil {
			return nil, err
		}
	}
	if err := step("lifetime", func() (err error) {
		run.Lifetime, scores, err = FitLifetime(sum, lo)
		return err
	}); err != nil {
		return nil, err
	}
	var churn []ChurnScore
	if err := step("churn", func() (err error) {
		co := ChurnOptions{HorizonDays: n, Period: cfg.Period, Alive: map[*Snapshot][]float64{}}
		// The evaluation fitted Pareto/NBD to the test snapshot already;
		// and the scoring fit may be Pareto/NBD too.
		if ev := run.Evaluation; ev != nil && ev.ParetoNBD != nil {
			co.Alive[test] = allPAlive(ev.ParetoNBD, testSum)
		}
		if l := run.Lifetime; l != nil && l.ParetoNBD != nil {
			co.Alive[score] = allPAlive(l.ParetoNBD, sum)
		}
		run.Churn, churn, err = TrainChurn(train, test, score, co)
		return err
	}); err != nil {
		return nil, err
	}
	run.ModelVersion = run.RunID + "/" + run.Lifetime.Chosen + "/" + run.Churn.Chosen
	if run.Churn.Fingerprint != "" {
		run.ModelVersion += ":" + run.Churn.Fingerprint
	}
	rows := make([]store.PredictionRow, len(score.Rows))
	for i, c := range sum.Customers {
		sc := scores[i]
		rows[i] = store.PredictionRow{
			ProfileID: score.IDs[i], Frequency: c.X, Recency: c.Tx, T: c.T,
			PAlive: sc.PAlive, ExpectedPurchases: sc.Expected, ExpectedSpend: sc.Spend, CLV: sc.CLV,
			ChurnRisk: churn[i].Probability, ChurnTier: Tier(churn[i].Probability), Reasons: churn[i].Reasons,
		}
		if math.IsNaN(rows[i].ChurnRisk) {
			rows[i].ChurnTier = ""
		}
	}
	return rows, nil
}

func allPAlive(m btyd.TransactionModel, s *btyd.Summary) []float64 {
	out := make([]float64, len(s.Customers))
	for i, c := range s.Customers {
		out[i] = m.PAlive(c)
	}
	return out
}

// Stored reads the predictions of the newest run that scored back from the
// store (the segment attributes of the profile engine, on a rebuild).
func (s *Service) Stored(ctx context.Context) ([]store.PredictionRow, error) {
	var rows []store.PredictionRow
	err := s.Scan(ctx, `SELECT profile_id, clv, p_alive, expected_purchases, churn_risk, coalesce(churn_tier, '')
		FROM customer_predictions`, nil, func(r []any) error {
		p := store.PredictionRow{ProfileID: r[0].(string), CLV: asFloat(r[1]), PAlive: asFloat(r[2]),
			ExpectedPurchases: asFloat(r[3]), ChurnRisk: asFloat(r[4])}
		p.ChurnTier, _ = r[5].(string)
		rows = append(rows, p)
		return nil
	})
	return rows, err
}

// Latest is the newest run's report, from memory or the store; nil when
// there has been none.
func (s *Service) Latest(ctx context.Context) (*Run, error) {
	s.lastMu.Lock()
	last := s.last
	s.lastMu.Unlock()
	if last != nil {
		return last, nil
	}
	var b []byte
	err := s.Scan(ctx, "SELECT CAST(report AS VARCHAR) FROM prediction_runs ORDER BY created_at DESC LIMIT 1", nil, func(r []any) error {
		if v, ok := r[0].(string); ok {
			b = []byte(v)
		}
		return nil
	})
	if err != nil || b == nil {
		return nil, err
	}
	var r Run
	if err := json.Unmarshal(b, &r); err != nil {
		return nil, fmt.Errorf("predict: stored report: %w", err)
	}
	s.lastMu.Lock()
	s.last = &r
	s.lastMu.Unlock()
	return &r, nil
}

// Start refreshes on the schedule until ctx ends: at once when the newest
// run is older than the interval (or there is none), then every interval.
func (s *Service) Start(ctx context.Context) {
	cfg := s.Config.withDefaults()
	if cfg.Every <= 0 {
		return
	}
	go func() {
		// A node that never ran (or ran long ago) runs a minute after it
		// starts, out of the way of its start-up; a run refused for want
		// of data is retried hourly, so a new shop gets predictions soon
		// after its history allows.
		wait := time.Minute
		if last, err := s.Latest(ctx); err == nil && last != nil {
			every := cfg.Every
			if last.Status != "scored" {
				every = min(every, time.Hour)
			}
			if age := time.Since(last.CreatedAt); age < every {
				wait = max(wait, every-age)
			}
		}
		for {
			t := time.NewTimer(wait)
			select {
			case <-ctx.Done():
				t.Stop()
				return
			case <-t.C:
			}
			if s.Settled != nil && !s.Settled() {
				// A bulk load is under way (a demo, an import): a run now
				// would fit half the history and slow the load.
				wait = time.Minute
				continue
			}
			run, err := s.Refresh(ctx)
			if err != nil && !errors.Is(err, ErrBusy) && ctx.Err() == nil && s.Logger != nil {
				s.Logger.Error("prediction run failed", "err", err)
			}
			wait = cfg.Every
			if run == nil || run.Status != "scored" {
				wait = min(wait, time.Hour)
			}
		}
	}()
}
