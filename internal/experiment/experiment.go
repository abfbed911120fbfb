// Package experiment computes A/B test verdicts from per-variant sufficient
// statistics (counts, sums, sums of squares, and for CUPED the pre-period
// sums and cross-products), so that the store only has to aggregate.
//
// The statistics follow GrowthBook's gbstats (packages/stats, MIT), so that
// a seller who compares our numbers with GrowthBook's gets the same ones:
//
//   - Frequentist: Welch's unequal-variance t-test with the
//     Welch–Satterthwaite degrees of freedom, two-sided; the relative lift
//     (mean_b − mean_a)/|mean_a| gets its standard error by the delta
//     method, and its interval is lift ± t(1−α/2, df)·se with the same df.
//   - Bayesian: GrowthBook's default effect model, a flat (improper) prior
//     on the relative lift, whose posterior is then normal with the delta
//     method's mean and standard error; chance to win is P(lift > 0) and
//     the expected losses are the normal partial expectations.
//   - Proportions use the variance p(1−p), means the sample variance with
//     n − 1, as gbstats does.
//   - The sample-ratio-mismatch check is Pearson's chi-square of the users
//     per variant against the intended weights, df = variants − 1.
//   - CUPED adjusts each mean by θ·(pre-period mean), with θ estimated on
//     the pooled control and variant (covariance / pre-period variance),
//     the relative lift divided by the unadjusted control mean.
//
// Every variant is compared with the control, the first variant.
package experiment

import (
	"errors"
	"fmt"
	"math"

	"gonum.org/v1/gonum/stat/distuv"
)

// MetricType says how a metric's per-user values are distributed.
type MetricType string

// The metric types.
const (
	// Mean is a metric with any per-user value (revenue per user, events
	// per user); variants give sums and sums of squares.
	Mean MetricType = "mean"
	// Proportion is a 0/1 metric (converted or not); a variant's Sum is its
	// number of conversions.
	Proportion MetricType = "proportion"
)

// Stat is a variant's sufficient statistics for one metric.
type Stat struct {
	// Type is the metric's type.
	Type MetricType
	// N is the number of users.
	N int64
	// Sum is the sum of the per-user values (conversions for a proportion).
	Sum float64
	// SumSquares is the sum of the squared per-user values; for a
	// proportion it equals Sum and is ignored.
	SumSquares float64
}

// Mean is the per-user mean.
func (s Stat) Mean() float64 {
	if s.N == 0 {
		return 0
	}
	return s.Sum / float64(s.N)
}

// Variance is the per-user variance: p(1−p) for a proportion (as gbstats
// has it), the sample variance with n − 1 for a mean.
func (s Stat) Variance() float64 {
	n := float64(s.N)
	if s.Type == Proportion {
		p := s.Mean()
		return p * (1 - p)
	}
	if s.N <= 1 {
		return 0
	}
	return (s.SumSquares - s.Sum*s.Sum/n) / (n - 1)
}

// Covariate is a variant's pre-period statistics for CUPED: the same metric
// (or any covariate) measured on the same users before the experiment.
type Covariate struct {
	// Sum is the sum of the users' pre-period values.
	Sum float64
	// SumSquares is the sum of their squares (ignored for a proportion).
	SumSquares float64
	// SumProducts is the sum over users of pre-period value × experiment
	// value.
	SumProducts float64
}

// Variant is one arm of the experiment.
type Variant struct {
	// Name identifies the variant.
	Name string
	// Stat holds the metric's statistics over the variant's users.
	Stat
	// Pre, when set (for all variants or none), turns on CUPED.
	Pre *Covariate
}

// Options tunes the analysis; the zero value gives GrowthBook's defaults.
type Options struct {
	// Alpha is the two-sided significance level: intervals are 1 − Alpha
	// (default 0.05, 95% intervals).
	Alpha float64
	// SRMThreshold is the p-value under which the traffic split is flagged
	// as a sample ratio mismatch (default 0.001, GrowthBook's).
	SRMThreshold float64
	// Inverse says that lower is better (e.g. refunds): chance to win is
	// then P(lift < 0) and the expected losses swap.
	Inverse bool
}

func (o Options) alpha() float64 {
	if o.Alpha > 0 && o.Alpha < 1 {
		return o.Alpha
	}
	return 0.05
}

func (o Options) srmThreshold() float64 {
	if o.SRMThreshold > 0 {
		return o.SRMThreshold
	}
	return 0.001
}

// Effect is a lift with its frequentist inference.
type Effect struct {
	// Lift is the point estimate: mean_b − mean_a (absolute) or that over
	// |mean_a| (relative).
	Lift float64 `json:"lift"`
	// CILow and CIHigh bound the 1 − α confidence interval.
	CILow float64 `json:"ci_low"`
	// CIHigh is the interval's upper bound.
	CIHigh float64 `json:"ci_high"`
	// PValue is the two-sided p-value of "no difference".
	PValue float64 `json:"p_value"`
	// StdErr is the standard error of Lift.
	StdErr float64 `json:"std_err"`
	// DF is the Welch–Satterthwaite degrees of freedom.
	DF float64 `json:"df"`
}

// CUPEDResult describes the variance reduction applied to a comparison.
type CUPEDResult struct {
	// Theta is the regression coefficient of the experiment metric on the
	// pre-period covariate, pooled over control and variant; 0 means no
	// adjustment was possible (no variance in one period).
	Theta float64 `json:"theta"`
	// VarianceReduction is 1 − adjusted/unadjusted variance of the
	// absolute lift: the share of noise CUPED removed.
	VarianceReduction float64 `json:"variance_reduction"`
	// AdjustedMeanControl and AdjustedMean are mean − θ·pre-period mean.
	AdjustedMeanControl float64 `json:"adjusted_mean_control"`
	// AdjustedMean is the variant's adjusted mean.
	AdjustedMean float64 `json:"adjusted_mean"`
}

// Comparison is a variant against the control.
type Comparison struct {
	// Relative is the relative lift (0.1 is +10%).
	Relative Effect `json:"relative"`
	// Absolute is the difference of means.
	Absolute Effect `json:"absolute"`
	// ChanceToWin is the posterior probability that the variant beats the
	// control (is higher, or lower for an inverse metric).
	ChanceToWin float64 `json:"chance_to_win"`
	// ExpectedLoss is the expected relative lift given up by shipping the
	// variant if it is in fact worse: E[max(−lift, 0)] (for an inverse
	// metric, E[max(lift, 0)]). GrowthBook's "risk" of the variant.
	ExpectedLoss float64 `json:"expected_loss"`
	// ExpectedLossControl is the same for keeping the control.
	ExpectedLossControl float64 `json:"expected_loss_control"`
	// CredibleLow and CredibleHigh bound the 1 − α posterior interval of
	// the relative lift.
	CredibleLow float64 `json:"credible_low"`
	// CredibleHigh is the credible interval's upper bound.
	CredibleHigh float64 `json:"credible_high"`
	// CUPED is set when the comparison used a pre-period covariate.
	CUPED *CUPEDResult `json:"cuped,omitempty"`
}

// Errors of comparisons that cannot be made; GrowthBook reports the same
// two cases instead of a verdict.
var (
	// ErrZeroVariance: a variant's metric does not vary, so there is no
	// sampling error to measure against.
	ErrZeroVariance = errors.New("zero variance in a variant: the comparison cannot be measured")
	// ErrZeroBaseline: the control's mean is 0, so a relative lift is
	// undefined.
	ErrZeroBaseline = errors.New("the control's mean is 0: relative lift is undefined")
)

// moments are the point estimate and standard error of a lift, and the
// per-variant variances and sizes its degrees of freedom come from.
type moments struct {
	est, se, varA, varB float64
	nA, nB              float64
}

// Compare tests variant b against control a. Both must carry a covariate
// (CUPED) or neither.
func Compare(a, b Variant, opt Options) (*Comparison, error) {
	if (a.Pre == nil) != (b.Pre == nil) {
		return nil, errors.New("CUPED needs pre-period statistics for both variants")
	}
	if a.Type != b.Type {
		return nil, fmt.Errorf("metric types differ: %s and %s", a.Type, b.Type)
	}
	alpha := opt.alpha()
	var abs, rel moments
	var cuped *CUPEDResult
	if a.Pre != nil {
		var ok bool
		abs, rel, cuped, ok = cupedMoments(a, b)
		if !ok {
			// No variance in a period: gbstats falls back to the plain
			// test, as do we.
			a.Pre, b.Pre = nil, nil
		}
	}
	if a.Pre == nil {
		abs, rel = plainMoments(a.Stat, b.Stat)
	}
	if abs.varA <= 0 || abs.varB <= 0 || rel.se <= 0 || math.IsNaN(rel.se) {
		return nil, ErrZeroVariance
	}
	if a.Mean() == 0 {
		return nil, ErrZeroBaseline
	}
	c := &Comparison{Relative: welch(rel, alpha), Absolute: welch(abs, alpha), CUPED: cuped}
	c.ChanceToWin, c.ExpectedLoss, c.ExpectedLossControl, c.CredibleLow, c.CredibleHigh = bayes(rel.est, rel.se, alpha, opt.Inverse)
	return c, nil
}

// plainMoments are the lifts without covariate. The relative lift's
// variance is the delta method's for a ratio of independent means:
// Var(b̄/ā) ≈ Var(b̄)/ā² + b̄²·Var(ā)/ā⁴.
func plainMoments(a, b Stat) (abs, rel moments) {
	na, nb := float64(a.N), float64(b.N)
	ma, mb := a.Mean(), b.Mean()
	va, vb := a.Variance(), b.Variance()
	abs = moments{est: mb - ma, se: math.Sqrt(vb/nb + va/na), varA: va, varB: vb, nA: na, nB: nb}
	rel = abs
	if ma != 0 {
		rel.est = (mb - ma) / math.Abs(ma)
		rel.se = math.Sqrt(vb/nb/(ma*ma) + va/na*mb*mb/(ma*ma*ma*ma))
	}
	return abs, rel
}

// covariance of a variant's experiment values and covariate, with gbstats'
// conventions: for two proportions the population form, otherwise n − 1.
func covariance(s Stat, pre Covariate) float64 {
	n := float64(s.N)
	if s.N <= 1 {
		return 0
	}
	if s.Type == Proportion {
		return pre.SumProducts/n - s.Sum*pre.Sum/(n*n)
	}
	return (pre.SumProducts - s.Sum*pre.Sum/n) / (n - 1)
}

// preStat is the covariate as a Stat of the metric's type.
func preStat(s Stat, pre Covariate) Stat {
	return Stat{Type: s.Type, N: s.N, Sum: pre.Sum, SumSquares: pre.SumSquares}
}

// cupedMoments are the CUPED-adjusted lifts; ok is false when θ is 0
// because a period has no variance.
//
// θ = Cov(y, x)/Var(x) on the pooled control and variant. Each adjusted
// mean is ȳ − θx̄ with per-user variance Var(y) + θ²Var(x) − 2θCov(y, x).
// The relative lift is (adjusted difference)/|ȳ_a|; its variance by the
// delta method, taking x̄_a ≈ x̄_b as randomisation makes them, has the
// variant's part Var_adj(b)/(n_b ȳ_a²) and the control's part
// (ȳ_b²/ȳ_a²·Var(y_a) − 2θ(ȳ_b/ȳ_a)Cov_a + θ²Var(x_a))/(n_a ȳ_a²): the same
// approximation gbstats makes.
func cupedMoments(a, b Variant) (abs, rel moments, info *CUPEDResult, ok bool) {
	pooledPost := Stat{Type: a.Type, N: a.N + b.N, Sum: a.Sum + b.Sum, SumSquares: a.SumSquares + b.SumSquares}
	pooledPre := Stat{Type: a.Type, N: a.N + b.N, Sum: a.Pre.Sum + b.Pre.Sum, SumSquares: a.Pre.SumSquares + b.Pre.SumSquares}
	if pooledPre.Variance() == 0 || pooledPost.Variance() == 0 {
		return abs, rel, nil, false
	}
	pooledCov := covariance(pooledPost, Covariate{Sum: pooledPre.Sum, SumProducts: a.Pre.SumProducts + b.Pre.SumProducts})
	theta := pooledCov / pooledPre.Variance()
	if theta == 0 {
		return abs, rel, nil, false
	}
	adj := func(v Variant) (mean, variance, cov float64) {
		pre := preStat(v.Stat, *v.Pre)
		cov = covariance(v.Stat, *v.Pre)
		return v.Mean() - theta*pre.Mean(), v.Variance() + theta*theta*pre.Variance() - 2*theta*cov, cov
	}
	ma, va, covA := adj(a)
	mb, vb, _ := adj(b)
	na, nb := float64(a.N), float64(b.N)
	abs = moments{est: mb - ma, se: math.Sqrt(vb/nb + va/na), varA: va, varB: vb, nA: na, nB: nb}
	rel = abs
	ya, yb := a.Mean(), b.Mean()
	if ya != 0 {
		rel.est = (mb - ma) / math.Abs(ya)
		vPreA := preStat(a.Stat, *a.Pre).Variance()
		varB := vb / (nb * ya * ya)
		varA := (yb*yb/(ya*ya)*a.Variance() - 2*theta*yb/ya*covA + theta*theta*vPreA) / (na * ya * ya)
		rel.se = math.Sqrt(varB + varA)
	}
	unadj := b.Variance()/nb + a.Variance()/na
	info = &CUPEDResult{Theta: theta, VarianceReduction: 1 - (vb/nb+va/na)/unadj, AdjustedMeanControl: ma, AdjustedMean: mb}
	return abs, rel, info, true
}

// welchDF is the Welch–Satterthwaite degrees of freedom.
func welchDF(m moments) float64 {
	qa, qb := m.varA/m.nA, m.varB/m.nB
	return (qa + qb) * (qa + qb) / (qb*qb/(m.nB-1) + qa*qa/(m.nA-1))
}

// welch is the two-sided t-test and interval for one lift.
func welch(m moments, alpha float64) Effect {
	df := welchDF(m)
	t := distuv.StudentsT{Mu: 0, Sigma: 1, Nu: df}
	half := t.Quantile(1-alpha/2) * m.se
	// 2·P(T > |t|) rather than 2·(1 − CDF): the same number, without the
	// cancellation that flattens tiny p-values to 0.
	p := 2 * t.Survival(math.Abs(m.est/m.se))
	return Effect{Lift: m.est, CILow: m.est - half, CIHigh: m.est + half, PValue: min(p, 1), StdErr: m.se, DF: df}
}

// bayes is the flat-prior normal posterior of the relative lift: chance to
// win, the expected losses of shipping the variant and of keeping the
// control, and the credible interval. With L ~ N(μ, σ²) and z = μ/σ,
// E[max(L, 0)] = μΦ(z) + σφ(z) and E[max(−L, 0)] = −μΦ(−z) + σφ(z).
func bayes(mu, sigma, alpha float64, inverse bool) (win, loss, lossControl, lo, hi float64) {
	std := distuv.UnitNormal
	z := mu / sigma
	gain := mu*std.CDF(z) + sigma*std.Prob(z)
	drop := -mu*std.CDF(-z) + sigma*std.Prob(z)
	win, loss, lossControl = std.CDF(z), drop, gain
	if inverse {
		win, loss, lossControl = std.CDF(-z), gain, drop
	}
	q := std.Quantile(1 - alpha/2)
	return win, max(loss, 0), max(lossControl, 0), mu - q*sigma, mu + q*sigma
}

// SRM is the p-value of Pearson's chi-square test that the users split as
// the weights intend (weights need not sum to 1). A variant with weight 0
// is left out of the statistic, as in gbstats; no users gives 1.
func SRM(users []int64, weights []float64) (float64, error) {
	if len(users) != len(weights) {
		return 0, fmt.Errorf("%d variants but %d weights", len(users), len(weights))
	}
	if len(users) < 2 {
		return 0, errors.New("a split needs at least 2 variants")
	}
	var total, wsum float64
	for i, u := range users {
		if u < 0 || weights[i] < 0 || math.IsNaN(weights[i]) || math.IsInf(weights[i], 0) {
			return 0, fmt.Errorf("variant %d: users %d, weight %v: want users ≥ 0 and a finite weight ≥ 0", i, u, weights[i])
		}
		total += float64(u)
		wsum += weights[i]
	}
	if wsum == 0 {
		return 0, errors.New("weights sum to 0")
	}
	if total == 0 {
		return 1, nil
	}
	x := 0.0
	for i, u := range users {
		if weights[i] <= 0 {
			continue
		}
		e := weights[i] / wsum * total
		x += (float64(u) - e) * (float64(u) - e) / e
	}
	return distuv.ChiSquared{K: float64(len(users) - 1)}.Survival(x), nil
}
