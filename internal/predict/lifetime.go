// Package predict turns a seller's order history into predictions per
// customer — probability of being alive, expected purchases, lifetime value
// (buy-till-you-die models, package btyd) and churn risk with its reasons
// (a supervised model, package learn) — with the reports that say how far
// to trust them, and keeps them fresh in the store.
package predict

import (
	"fmt"
	"math"
	"math/rand/v2"
	"time"

	"github.com/tradewind/tradewind/internal/predict/btyd"
)

// LifetimeOptions configure a lifetime-value fit.
type LifetimeOptions struct {
	// Horizon is the number of periods over which expected purchases are
	// counted; 0 is a year.
	Horizon float64
	// CLVMonths, Margin and AnnualDiscount define lifetime value: the
	// discounted expected margin over CLVMonths months.
	CLVMonths              int
	Margin, AnnualDiscount float64
	// Margins, when set, is each customer's own margin share, in the
	// summary's order, in place of Margin.
	Margins []float64
	// ParetoSample caps the customers Pareto/NBD is fitted on (a random
	// sample, seeded): its likelihood costs some hundred times BG/NBD's.
	// 0 is DefaultParetoSample; -1 skips Pareto/NBD.
	ParetoSample int
	// Only fits and scores with just this transaction model ("bgnbd" or
	// "pareto_nbd"): the one an earlier holdout comparison chose.
	Only string
}

// DefaultParetoSample is enough customers to pin down four parameters to a
// few per cent (CDNOW's 2,357 give standard errors of 9% on r) while
// keeping a fit to seconds: each evaluation integrates per distinct
// history, and a fit drifting to its wall takes a few hundred.
const DefaultParetoSample = 3000

// Eligibility minimums: below them the models' parameters are noise and
// scoring is refused with the reason.
const (
	MinCustomers       = 100
	MinRepeatCustomers = 30
	MinHistoryDays     = 60
)

// LifetimeReport is the model report of a fit; its JSON is the `predict fit
// --json` contract and the model report endpoint's.
type LifetimeReport struct {
	Customers       int     `json:"customers"`
	RepeatCustomers int     `json:"repeat_customers"`
	Transactions    int     `json:"transactions"`
	PurchaseDays    int     `json:"purchase_days"`
	Period          string  `json:"period"`
	CalibrationEnd  string  `json:"calibration_end"`
	HoldoutPeriods  float64 `json:"holdout_periods"`
	Horizon         float64 `json:"horizon"`

	BGNBD      *btyd.BGNBD      `json:"bgnbd,omitempty"`
	ParetoNBD  *btyd.ParetoNBD  `json:"pareto_nbd,omitempty"`
	GammaGamma *btyd.GammaGamma `json:"gamma_gamma,omitempty"`
	// ParetoSample is how many customers Pareto/NBD was fitted on when
	// fewer than all; its log_likelihood is then evaluated on all of them,
	// so that it compares with BG/NBD's.
	ParetoSample int `json:"pareto_nbd_sample,omitempty"`
	// Refused says, per model, why it could not be fitted.
	Refused map[string]string `json:"refused,omitempty"`
	// Chosen is the model the scores come from, and ChosenBy why.
	Chosen   string          `json:"chosen_model,omitempty"`
	ChosenBy string          `json:"chosen_by,omitempty"`
	Holdout  []*btyd.Holdout `json:"holdout,omitempty"`
	Warnings []string        `json:"warnings,omitempty"`
	// TimingsMS are wall-clock milliseconds per step.
	TimingsMS map[string]float64 `json:"timings_ms"`
}

// ErrIneligible is wrapped when the data cannot support any model.
var ErrIneligible = btyd.ErrNotIdentified

// FitLifetime fits BG/NBD, Pareto/NBD and (with amounts) Gamma-Gamma to
// the summary's calibration period, compares them on the holdout when
// there is one (else by log-likelihood: both have four parameters), and
// scores every customer with the better one. The report is returned even
// when scoring is refused, saying why.
func FitLifetime(s *btyd.Summary, o LifetimeOptions) (*LifetimeReport, []btyd.Score, error) {
	unit := s.Period.Days()
	if o.Horizon <= 0 {
		o.Horizon = 365 / unit
	}
	r := &LifetimeReport{
		Customers: len(s.Customers), RepeatCustomers: s.RepeatCustomers(),
		Transactions: s.Transactions, PurchaseDays: s.PurchaseDays,
		Period: string(s.Period), CalibrationEnd: s.CalibrationEnd.Format(time.DateOnly),
		HoldoutPeriods: s.Holdout, Horizon: o.Horizon,
		Refused: map[string]string{}, TimingsMS: map[string]float64{},
	}
	var maxT float64
	for _, c := range s.Customers {
		maxT = math.Max(maxT, c.T)
	}
	switch {
	case r.Customers < MinCustomers:
		return r, nil, fmt.Errorf("%w: %d customers before the calibration end; at least %d are needed", ErrIneligible, r.Customers, MinCustomers)
	case r.RepeatCustomers < MinRepeatCustomers:
		return r, nil, fmt.Errorf("%w: %d customers bought more than once before the calibration end; at least %d are needed to tell how often people come back", ErrIneligible, r.RepeatCustomers, MinRepeatCustomers)
	case maxT*unit < MinHistoryDays:
		return r, nil, fmt.Errorf("%w: %.0f days of history before the calibration end; at least %d are needed", ErrIneligible, maxT*unit, MinHistoryDays)
	}
	timed := func(name string, f func()) {
		start := time.Now()
		f()
		r.TimingsMS[name] = float64(time.Since(start).Microseconds()) / 1000
	}
	var err error
	if o.Only != "pareto_nbd" {
		timed("bgnbd", func() { r.BGNBD, err = btyd.FitBGNBD(s.Customers) })
		if err != nil {
			r.Refused["bgnbd"] = err.Error()
		}
	}
	if o.ParetoSample >= 0 && o.Only != "bgnbd" {
		sample := s.Customers
		n := o.ParetoSample
		if n == 0 {
			n = DefaultParetoSample
		}
		if len(sample) > n {
			rng := rand.New(rand.NewPCG(uint64(len(sample)), 20251122))
			idx := rng.Perm(len(sample))[:n]
			sample = make([]btyd.Customer, n)
			for i, j := range idx {
				sample[i] = s.Customers[j]
			}
			r.ParetoSample = n
		}
		timed("pareto_nbd", func() { r.ParetoNBD, err = btyd.FitParetoNBD(sample) })
		if err != nil {
			r.Refused["pareto_nbd"] = err.Error()
		} else if r.ParetoSample > 0 {
			var ll float64
			for _, c := range s.Customers {
				ll += btyd.ParetoNBDLogLikelihood(r.ParetoNBD.R, r.ParetoNBD.Alpha, r.ParetoNBD.S, r.ParetoNBD.Beta, c)
			}
			r.ParetoNBD.LogLikelihood = ll
		}
	}
	if s.HasAmounts {
		timed("gamma_gamma", func() { r.GammaGamma, err = btyd.FitGammaGamma(s.Customers) })
		if err != nil {
			r.Refused["gamma_gamma"] = err.Error()
			r.GammaGamma = nil
		} else if math.Abs(r.GammaGamma.FreqMonetaryCorr) > 0.3 {
			r.Warnings = append(r.Warnings, fmt.Sprintf("frequency and mean spend correlate (%.2f): Gamma-Gamma assumes they do not, so its spend estimates lean towards the population mean more than they should", r.GammaGamma.FreqMonetaryCorr))
		}
	}
	models := map[string]btyd.TransactionModel{}
	if r.BGNBD != nil {
		models["bgnbd"] = r.BGNBD
	}
	if r.ParetoNBD != nil {
		models["pareto_nbd"] = r.ParetoNBD
	}
	if len(models) == 0 {
		return r, nil, fmt.Errorf("%w: no transaction model fits (BG/NBD: %s)", ErrIneligible, r.Refused["bgnbd"])
	}
	switch {
	case o.Only != "":
		r.Chosen, r.ChosenBy = o.Only, "chosen before"
		if models[o.Only] == nil {
			return r, nil, fmt.Errorf("%w: %s does not fit: %s", ErrIneligible, o.Only, r.Refused[o.Only])
		}
	case s.Holdout > 0:
		r.ChosenBy = "holdout RMSE per customer"
		best := math.Inf(1)
		timed("holdout", func() {
			for _, name := range []string{"bgnbd", "pareto_nbd"} {
				if m := models[name]; m != nil {
					h := btyd.Compare(name, m, s)
					r.Holdout = append(r.Holdout, h)
					if h.RMSE < best {
						best, r.Chosen = h.RMSE, name
					}
				}
			}
		})
	default:
		r.ChosenBy = "log-likelihood (no holdout after the calibration end)"
		if r.BGNBD != nil {
			r.Chosen = "bgnbd"
		}
		if r.ParetoNBD != nil && (r.BGNBD == nil || r.ParetoNBD.LogLikelihood > r.BGNBD.LogLikelihood) {
			r.Chosen = "pareto_nbd"
		}
	}
	var scores []btyd.Score
	timed("score", func() {
		scores = btyd.ScoreAll(models[r.Chosen], r.GammaGamma, s.Customers, btyd.ScoreOptions{
			Horizon: o.Horizon, PeriodDays: unit, CLVMonths: o.CLVMonths,
			AnnualDiscount: o.AnnualDiscount, Margin: o.Margin, Margins: o.Margins,
		})
	})
	return r, scores, nil
}
