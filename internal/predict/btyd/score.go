package btyd

import (
	"math"
	"runtime"
	"sync"
)

// TransactionModel is a fitted model of purchase counts: BG/NBD or
// Pareto/NBD.
type TransactionModel interface {
	// PAlive is the probability the customer is still alive at T.
	PAlive(c Customer) float64
	// ConditionalExpected is the expected number of purchases in the t
	// periods after T.
	ConditionalExpected(c Customer, t float64) float64
	// ExpectedPurchases is E[X(t)] of a customer just acquired.
	ExpectedPurchases(t float64) float64
	// conditionalNumerator is ConditionalExpected / PAlive: it depends on
	// x and T only, so scoring computes it once per distinct (x, T).
	conditionalNumerator(x, T, t float64) float64
}

// ScoreOptions say what to compute for each customer.
type ScoreOptions struct {
	// Horizon is the number of periods over which to count expected
	// purchases.
	Horizon float64
	// PeriodDays is the length of a period in days (1 or 7): CLV counts in
	// months.
	PeriodDays float64
	// CLVMonths is the lifetime-value horizon; 0 computes no CLV.
	CLVMonths int
	// AnnualDiscount is the annual discount rate of future margin (0.10 is
	// 10%); Margin the share of revenue that is margin (1 counts revenue).
	AnnualDiscount, Margin float64
	// Margins, when set, is each customer's own margin share (from the
	// categories they buy), in place of Margin.
	Margins []float64
}

// Score is one customer's prediction.
type Score struct {
	PAlive float64
	// Expected is the expected number of purchases over the horizon.
	Expected float64
	// Spend is the expected mean transaction value (NaN without a spend
	// model); CLV the discounted expected margin over CLVMonths (NaN
	// without a spend model).
	Spend, CLV float64
}

// DaysPerMonth is an average calendar month: CLV's monthly steps.
const DaysPerMonth = 365.25 / 12

// ScoreAll scores every customer; spend may be nil (no amounts): Spend and
// CLV are then NaN. It runs on all cores, computing each distinct (x, T)'s
// expensive hypergeometric terms once.
func ScoreAll(m TransactionModel, spend *GammaGamma, cs []Customer, o ScoreOptions) []Score {
	out := make([]Score, len(cs))
	months := 0
	if spend != nil {
		months = o.CLVMonths
	}
	if o.PeriodDays <= 0 {
		o.PeriodDays = 1
	}
	// Horizons: the purchase horizon, then the end of each CLV month.
	ts := make([]float64, 1+months)
	ts[0] = o.Horizon
	for i := 1; i <= months; i++ {
		ts[i] = float64(i) * DaysPerMonth / o.PeriodDays
	}
	monthly := math.Pow(1+o.AnnualDiscount, 1.0/12)
	workers := runtime.GOMAXPROCS(0)
	if len(cs) < 10000 {
		workers = 1
	}
	per := (len(cs) + workers - 1) / workers
	var wg sync.WaitGroup
	for w := range workers {
		lo, hi := w*per, min((w+1)*per, len(cs))
		if lo >= hi {
			continue
		}
		wg.Add(1)
		go func(lo, hi int) {
			defer wg.Done()
			// Keyed by the values' bits: hashed as bytes, faster than as
			// floats.
			type key [2]uint64
			cache := map[key][]float64{}
			var last key
			var nums []float64
			for i := lo; i < hi; i++ {
				c := cs[i]
				k := key{math.Float64bits(c.X), math.Float64bits(c.T)}
				if nums == nil || k != last {
					var ok bool
					nums, ok = cache[k]
					if !ok {
						nums = make([]float64, len(ts))
						for j, t := range ts {
							nums[j] = m.conditionalNumerator(c.X, c.T, t)
						}
						cache[k] = nums
					}
					last = k
				}
				pa := m.PAlive(c)
				s := Score{PAlive: pa, Expected: nums[0] * pa, Spend: math.NaN(), CLV: math.NaN()}
				if spend != nil {
					s.Spend = spend.ExpectedSpend(c)
					var clv, prev float64
					disc := 1.0
					for k := 1; k <= months; k++ {
						cur := nums[k] * pa
						disc /= monthly
						clv += (cur - prev) * disc
						prev = cur
					}
					margin := o.Margin
					if o.Margins != nil {
						margin = o.Margins[i]
					}
					s.CLV = clv * s.Spend * margin
				}
				out[i] = s
			}
		}(lo, hi)
	}
	wg.Wait()
	return out
}
