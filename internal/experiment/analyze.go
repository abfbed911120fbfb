package experiment

import (
	"errors"
	"fmt"
	"math"
)

// Report is the verdict on one metric of an experiment. Its JSON form is the
// contract of `tradewind experiment analyze --json`.
type Report struct {
	// MetricType is the metric's type.
	MetricType MetricType `json:"metric_type"`
	// Alpha is the significance level of the intervals.
	Alpha float64 `json:"alpha"`
	// SRMPValue is the sample-ratio-mismatch p-value of the users per
	// variant against the intended weights.
	SRMPValue float64 `json:"srm_p_value"`
	// SRMWarning is set when SRMPValue is under the threshold: the split
	// is broken, and no verdict below should be trusted until it is
	// explained.
	SRMWarning bool `json:"srm_warning"`
	// Variants lists the control first, then every variant with its
	// comparison against the control.
	Variants []VariantResult `json:"variants"`
}

// VariantResult is one variant's line of a Report.
type VariantResult struct {
	// Name is the variant's name.
	Name string `json:"name"`
	// Control marks the control, which has no comparison.
	Control bool `json:"control,omitempty"`
	// N is the number of users.
	N int64 `json:"n"`
	// Mean is the per-user mean (the conversion rate of a proportion).
	Mean float64 `json:"mean"`
	// Comparison against the control; nil for the control and when Error
	// says why it could not be made.
	*Comparison
	// Error explains a missing comparison.
	Error string `json:"error,omitempty"`
}

// Analyze validates the variants (the first is the control) and compares
// each with the control; weights are the intended traffic split (nil:
// equal). Invalid input is an error naming the variant and the field; a
// comparison that cannot be made (no variance, a zero baseline) is reported
// on its variant instead, so the other variants still get their verdicts.
func Analyze(variants []Variant, weights []float64, opt Options) (*Report, error) {
	if err := Validate(variants, weights); err != nil {
		return nil, err
	}
	if weights == nil {
		weights = make([]float64, len(variants))
		for i := range weights {
			weights[i] = 1
		}
	}
	users := make([]int64, len(variants))
	for i, v := range variants {
		users[i] = v.N
	}
	p, err := SRM(users, weights)
	if err != nil {
		return nil, err
	}
	rep := &Report{MetricType: variants[0].Type, Alpha: opt.alpha(), SRMPValue: p, SRMWarning: p < opt.srmThreshold()}
	for i, v := range variants {
		r := VariantResult{Name: v.Name, Control: i == 0, N: v.N, Mean: v.Mean()}
		if i > 0 {
			c, err := Compare(variants[0], v, opt)
			if err != nil {
				r.Error = err.Error()
			} else {
				r.Comparison = c
			}
		}
		rep.Variants = append(rep.Variants, r)
	}
	return rep, nil
}

// Validate checks what Analyze needs: at least two variants with distinct
// non-empty names, the same metric type, n ≥ 2, finite sums consistent
// with n (a proportion's conversions within 0…n, a mean's sum of squares
// at least sum²/n), CUPED statistics on all variants or none, and one
// positive weight per variant when weights are given.
func Validate(variants []Variant, weights []float64) error {
	if len(variants) < 2 {
		return fmt.Errorf("%d variant(s): an experiment needs a control and at least one variant", len(variants))
	}
	if weights != nil && len(weights) != len(variants) {
		return fmt.Errorf("%d weights for %d variants", len(weights), len(variants))
	}
	names := map[string]bool{}
	for i, v := range variants {
		where := fmt.Sprintf("variants[%d] (%q)", i, v.Name)
		if v.Name == "" {
			return fmt.Errorf("variants[%d]: name is empty", i)
		}
		if names[v.Name] {
			return fmt.Errorf("%s: name appears twice", where)
		}
		names[v.Name] = true
		if v.Type != Mean && v.Type != Proportion {
			return fmt.Errorf("%s: metric type %q: want %q or %q", where, v.Type, Mean, Proportion)
		}
		if v.Type != variants[0].Type {
			return fmt.Errorf("%s: metric type %s differs from the control's %s", where, v.Type, variants[0].Type)
		}
		if v.N < 2 {
			return fmt.Errorf("%s: n = %d: want at least 2 users", where, v.N)
		}
		if err := checkSums(v.Stat, v.Sum, v.SumSquares); err != nil {
			return fmt.Errorf("%s: %w", where, err)
		}
		if (v.Pre == nil) != (variants[0].Pre == nil) {
			return fmt.Errorf("%s: CUPED needs pre-period statistics on every variant or on none", where)
		}
		if v.Pre != nil {
			if err := checkSums(v.Stat, v.Pre.Sum, v.Pre.SumSquares); err != nil {
				return fmt.Errorf("%s: pre-period: %w", where, err)
			}
			if err := checkProducts(v); err != nil {
				return fmt.Errorf("%s: %w", where, err)
			}
		}
		if weights != nil {
			if w := weights[i]; !(w > 0) || math.IsInf(w, 0) {
				return fmt.Errorf("weights[%d] = %v: want a finite weight > 0", i, w)
			}
		}
	}
	return nil
}

// tolerance absorbs the rounding of sums computed in floating point (or
// exported with few decimals) in the consistency checks.
const tolerance = 1e-9

func finite(xs ...float64) bool {
	for _, x := range xs {
		if math.IsNaN(x) || math.IsInf(x, 0) {
			return false
		}
	}
	return true
}

// checkSums checks a sum and sum of squares over s.N users.
func checkSums(s Stat, sum, sumSquares float64) error {
	if !finite(sum, sumSquares) {
		return errors.New("sums must be finite numbers")
	}
	n := float64(s.N)
	if s.Type == Proportion {
		if sum < 0 || sum > n {
			return fmt.Errorf("sum = %v conversions for n = %d: want 0 ≤ sum ≤ n", sum, s.N)
		}
		return nil
	}
	if sumSquares < 0 || sumSquares < sum*sum/n*(1-tolerance)-tolerance {
		return fmt.Errorf("sum_squares = %v is below sum²/n = %v: the sums cannot come from the same %d users", sumSquares, sum*sum/n, s.N)
	}
	return nil
}

// checkProducts checks that the cross-products fit the two variances
// (Cauchy–Schwarz), which catches swapped or mis-aggregated columns.
func checkProducts(v Variant) error {
	if !finite(v.Pre.SumProducts) {
		return errors.New("sum_products must be a finite number")
	}
	if v.Type == Proportion {
		if v.Pre.SumProducts < 0 || v.Pre.SumProducts > min(v.Sum, v.Pre.Sum) {
			return fmt.Errorf("sum_products = %v: want between 0 and min(sum, pre_sum) for a proportion", v.Pre.SumProducts)
		}
		return nil
	}
	c := covariance(v.Stat, *v.Pre)
	bound := math.Sqrt(v.Variance() * preStat(v.Stat, *v.Pre).Variance())
	if math.Abs(c) > bound*(1+1e-6)+tolerance {
		return fmt.Errorf("sum_products = %v gives a covariance %v larger than the variances allow (%v)", v.Pre.SumProducts, c, bound)
	}
	return nil
}
