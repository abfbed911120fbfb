package btyd

import (
	"math"
	"slices"
)

// Holdout compares a model fitted on the calibration period with what the
// same customers did in the holdout after it.
type Holdout struct {
	Model string `json:"model"`
	// Periods is the holdout's length.
	Periods float64 `json:"periods"`
	// Actual and Predicted are total purchase days in the holdout.
	Actual    float64 `json:"actual"`
	Predicted float64 `json:"predicted"`
	// MAE and RMSE are per customer.
	MAE  float64 `json:"mae"`
	RMSE float64 `json:"rmse"`
	// ByFrequency groups customers by calibration repeat purchases (the
	// last bucket holds MaxBucket and more): mean actual and predicted
	// holdout purchases per customer — the literature's conditional
	// expectation check.
	ByFrequency []FrequencyBucket `json:"by_frequency"`
	// Cumulative is total purchases in the holdout up to each period.
	Cumulative []CumulativePoint `json:"cumulative"`
}

// FrequencyBucket is one calibration frequency's holdout comparison.
type FrequencyBucket struct {
	Frequency int     `json:"frequency"`
	OrMore    bool    `json:"or_more,omitempty"`
	Customers int     `json:"customers"`
	Actual    float64 `json:"actual"`
	Predicted float64 `json:"predicted"`
}

// CumulativePoint is the holdout's cumulative purchases at a time.
type CumulativePoint struct {
	Period    float64 `json:"period"`
	Actual    float64 `json:"actual"`
	Predicted float64 `json:"predicted"`
}

// MaxBucket is the last frequency bucket of a holdout report (BTYD's
// default censoring at 7).
const MaxBucket = 7

// Compare scores the model against the summary's holdout. The cumulative
// curve has one point per period (per week for daily data longer than 120
// days, so a chart stays readable).
func Compare(name string, m TransactionModel, s *Summary) *Holdout {
	h := &Holdout{Model: name, Periods: s.Holdout}
	if s.Holdout <= 0 {
		return h
	}
	step := 1.0
	if s.Period == Day && s.Holdout > 120 {
		step = 7
	}
	var steps []float64
	for t := step; t < s.Holdout+1e-9; t += step {
		steps = append(steps, t)
	}
	if len(steps) == 0 || steps[len(steps)-1] < s.Holdout-1e-9 {
		steps = append(steps, s.Holdout)
	}
	h.Cumulative = make([]CumulativePoint, len(steps))
	for i, t := range steps {
		h.Cumulative[i].Period = t
	}
	buckets := make([]FrequencyBucket, MaxBucket+1)
	for i := range buckets {
		buckets[i].Frequency = i
	}
	buckets[MaxBucket].OrMore = true
	type key struct{ x, t float64 }
	cache := map[key][]float64{}
	var se, ae float64
	for i, c := range s.Customers {
		nums, ok := cache[key{c.X, c.T}]
		if !ok {
			nums = make([]float64, len(steps))
			for j, t := range steps {
				nums[j] = m.conditionalNumerator(c.X, c.T, t)
			}
			cache[key{c.X, c.T}] = nums
		}
		pa := m.PAlive(c)
		pred := nums[len(nums)-1] * pa
		act := s.holdoutCount(i)
		h.Actual += act
		h.Predicted += pred
		d := pred - act
		se += d * d
		ae += math.Abs(d)
		b := &buckets[min(int(c.X), MaxBucket)]
		b.Customers++
		b.Actual += act
		b.Predicted += pred
		for j, t := range steps {
			h.Cumulative[j].Predicted += nums[j] * pa
			if s.HoldoutTimes != nil {
				// HoldoutTimes are sorted: count those ≤ t.
				n, _ := slices.BinarySearch(s.HoldoutTimes[i], t+1e-9)
				h.Cumulative[j].Actual += float64(n)
			}
		}
	}
	if s.HoldoutTimes == nil {
		k, acc := 0, 0.0
		for j, t := range steps {
			for k < len(s.HoldoutDaily) && s.HoldoutDaily[k].Offset <= t+1e-9 {
				acc += s.HoldoutDaily[k].Count
				k++
			}
			h.Cumulative[j].Actual = acc
		}
	}
	n := float64(len(s.Customers))
	h.MAE, h.RMSE = ae/n, math.Sqrt(se/n)
	for _, b := range buckets {
		if b.Customers > 0 {
			b.Actual /= float64(b.Customers)
			b.Predicted /= float64(b.Customers)
			h.ByFrequency = append(h.ByFrequency, b)
		}
	}
	return h
}
