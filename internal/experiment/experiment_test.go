package experiment

import (
	"errors"
	"math"
	"strings"
	"testing"
)

// round5 rounds as gbstats' tests do (numpy.round to 5 decimals), so the
// fixtures below are compared exactly as GrowthBook compares them.
func round5(x float64) float64 { return math.RoundToEven(x*1e5) / 1e5 }

func checkEffect(t *testing.T, name string, got Effect, lift, lo, hi, se, p float64) {
	t.Helper()
	for _, c := range []struct {
		what      string
		got, want float64
	}{{"lift", got.Lift, lift}, {"ci_low", got.CILow, lo}, {"ci_high", got.CIHigh, hi}, {"std_err", got.StdErr, se}, {"p_value", got.PValue, p}} {
		if round5(c.got) != c.want {
			t.Errorf("%s %s = %.7f, want %.5f", name, c.what, c.got, c.want)
		}
	}
}

func mean(name string, n int64, sum, ss float64) Variant {
	return Variant{Name: name, Stat: Stat{Type: Mean, N: n, Sum: sum, SumSquares: ss}}
}

func prop(name string, n int64, conv float64) Variant {
	return Variant{Name: name, Stat: Stat{Type: Proportion, N: n, Sum: conv}}
}

func compare(t *testing.T, a, b Variant) *Comparison {
	t.Helper()
	c, err := Compare(a, b, Options{})
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// gbstats tests/frequentist/test_tests.py, TestTwoSidedTTest.
func TestGrowthBookTwoSidedTTest(t *testing.T) {
	c := compare(t, mean("A", 3407, 1396.87, 52377.9767), mean("B", 3461, 2422.7, 134698.29))
	checkEffect(t, "relative", c.Relative, 0.70732, -0.03526, 1.44989, 0.37879, 0.06191)
	checkEffect(t, "absolute", c.Absolute, 0.29, 0.04538, 0.53462, 0.12478, 0.02016)

	c = compare(t, prop("A", 28, 14), prop("B", 30, 16))
	checkEffect(t, "proportion relative", c.Relative, 0.06667, -0.47767, 0.61101, 0.2717, 0.80707)

	// test_two_sided_ttest_missing_variance: n = 2 with those sums has a
	// negative variance, and gbstats returns no verdict.
	if _, err := Compare(mean("A", 2, 1396.87, 52377.9767), mean("B", 3461, 2422.7, 134698.29), Options{}); !errors.Is(err, ErrZeroVariance) {
		t.Errorf("missing variance: %v", err)
	}
}

// gbstats tests/bayesian/test_tests.py, TestNorm and TestBinom: chance to
// win, the posterior mean, standard deviation and interval, and the risks
// (risk[0] is keeping the control, risk[1] shipping the variant).
func TestGrowthBookBayesian(t *testing.T) {
	for _, c := range []struct {
		name                   string
		a, b                   Variant
		mean, sd, lo, hi, ctw  float64
		riskControl, riskTreat float64
	}{
		{"norm", mean("A", 10, 100, 1002.25), mean("B", 10, 105, 1111.5), 0.05, 0.03572, -0.02, 0.12, 0.91923, 0.05131, 0.00131},
		{"binom", prop("A", 100, 49), prop("B", 100, 51), 0.04082, 0.14725, -0.24779, 0.32943, 0.60918, 0.0814, 0.04058},
	} {
		r := compare(t, c.a, c.b)
		for _, f := range []struct {
			what      string
			got, want float64
		}{
			{"mean", r.Relative.Lift, c.mean}, {"sd", r.Relative.StdErr, c.sd}, {"credible_low", r.CredibleLow, c.lo},
			{"credible_high", r.CredibleHigh, c.hi}, {"chance_to_win", r.ChanceToWin, c.ctw},
			{"expected_loss_control", r.ExpectedLossControl, c.riskControl}, {"expected_loss", r.ExpectedLoss, c.riskTreat},
		} {
			if round5(f.got) != f.want {
				t.Errorf("%s %s = %.7f, want %.5f", c.name, f.what, f.got, f.want)
			}
		}
		// Lower is better: the chance and the losses mirror.
		inv, err := Compare(c.a, c.b, Options{Inverse: true})
		if err != nil || round5(inv.ChanceToWin) != round5(1-c.ctw) || round5(inv.ExpectedLoss) != c.riskControl {
			t.Errorf("%s inverse: %+v %v", c.name, inv, err)
		}
	}
}

// The SRM case: 1000 vs 1200 users at an even split, chi-square
// 200²/1100·… = 18.18 on 1 df.
func TestSRM(t *testing.T) {
	p, err := SRM([]int64{1000, 1200}, []float64{0.5, 0.5})
	if err != nil || math.Abs(p-2.0079e-5) > 5e-10 {
		t.Errorf("SRM p = %.6g (%v), want 2.0079e-5", p, err)
	}
	// Weights need not be normalised; an intended 1:2 split that happened
	// is no mismatch.
	if p, _ := SRM([]int64{1000, 2000}, []float64{1, 2}); p != 1 {
		t.Errorf("exact split p = %v", p)
	}
	if p, _ := SRM([]int64{0, 0}, []float64{1, 1}); p != 1 {
		t.Errorf("no users p = %v", p)
	}
	if _, err := SRM([]int64{1, 2}, []float64{1}); err == nil {
		t.Error("weights of the wrong length accepted")
	}
}

// gbstats tests/frequentist/test_tests.py, test_sequential_test_runs_ra:
// its CUPED point estimate and standard error (the sequential interval
// aside) are the moments every CUPED test starts from.
func TestGrowthBookCUPED(t *testing.T) {
	a := mean("A", 3000, 1396.87, 52377.9767)
	a.Pre = &Covariate{Sum: 16.87, SumSquares: 527.9767, SumProducts: 1}
	b := mean("B", 3461, 2422.7, 134698.29)
	b.Pre = &Covariate{Sum: 22.7, SumSquares: 1348.29, SumProducts: 1}
	c := compare(t, a, b)
	if round5(c.Relative.Lift) != 0.50338 || round5(c.Relative.StdErr) != 0.33341 || c.CUPED == nil {
		t.Errorf("CUPED relative %+v (want 0.50338, se 0.33341), cuped %+v", c.Relative, c.CUPED)
	}
	// The same without the covariate: gbstats' non-CUPED sequential
	// fixture has 0.50336 with the same standard error.
	a.Pre, b.Pre = nil, nil
	if c := compare(t, a, b); round5(c.Relative.Lift) != 0.50336 || round5(c.Relative.StdErr) != 0.33341 || c.CUPED != nil {
		t.Errorf("plain relative %+v", c.Relative)
	}

	// tests/test_shared_models.py, TestComputeTheta: θ pooled over two
	// identical arms of pre [0.3 0.5 0.9 22], post [2 1 5 3].
	pre, post := []float64{0.3, 0.5, 0.9, 22}, []float64{2, 1, 5, 3}
	var v Variant
	v.Name, v.Type, v.N, v.Pre = "x", Mean, 4, &Covariate{}
	for i := range pre {
		v.Sum += post[i]
		v.SumSquares += post[i] * post[i]
		v.Pre.Sum += pre[i]
		v.Pre.SumSquares += pre[i] * pre[i]
		v.Pre.SumProducts += pre[i] * post[i]
	}
	w := v
	c = compare(t, v, w)
	if c.CUPED == nil || round5(c.CUPED.Theta) != 0.01864 {
		t.Errorf("theta %+v, want 0.01864", c.CUPED)
	}
	// A pre-period without variance: θ = 0 and the plain test, as gbstats.
	v.Pre, w.Pre = &Covariate{}, &Covariate{}
	if c = compare(t, v, w); c.CUPED != nil {
		t.Errorf("θ with a constant covariate: %+v", c.CUPED)
	}
}

// CUPED on a covariate that explains most of the metric must shrink the
// interval by about 1 − ρ², and keep the lift unbiased.
func TestCUPEDReducesVariance(t *testing.T) {
	// Per user y = x + e with x ∈ {0, 10}, e ∈ {−1, 1}: ρ² ≈ 25/26.
	mk := func(name string, n int64, shift float64) Variant {
		var v Variant
		v.Name, v.Type, v.N, v.Pre = name, Mean, n, &Covariate{}
		for i := range n {
			x := float64(10 * (i % 2))
			y := x + float64(2*((i/2)%2)-1) + shift
			v.Sum += y
			v.SumSquares += y * y
			v.Pre.Sum += x
			v.Pre.SumSquares += x * x
			v.Pre.SumProducts += x * y
		}
		return v
	}
	c := compare(t, mk("A", 1000, 0), mk("B", 1000, 0.5))
	if c.CUPED == nil || math.Abs(c.CUPED.Theta-1) > 1e-9 || c.CUPED.VarianceReduction < 0.95 || math.Abs(c.Absolute.Lift-0.5) > 1e-9 {
		t.Errorf("cuped %+v absolute %+v", c.CUPED, c.Absolute)
	}
	if c.Absolute.PValue > 1e-10 {
		t.Errorf("with the noise removed the lift is certain: p %v", c.Absolute.PValue)
	}
}

func TestAnalyze(t *testing.T) {
	rep, err := Analyze([]Variant{prop("control", 1000, 100), prop("b", 1200, 130), prop("c", 1100, 0)}, nil, Options{})
	if err != nil {
		t.Fatal(err)
	}
	if len(rep.Variants) != 3 || !rep.Variants[0].Control || rep.Variants[0].Comparison != nil || rep.Variants[1].Comparison == nil {
		t.Fatalf("report %+v", rep)
	}
	if rep.Variants[2].Error == "" || !strings.Contains(rep.Variants[2].Error, "variance") {
		t.Errorf("variant without conversions: %+v", rep.Variants[2])
	}
	// 1000/1200/1100 at an even split: chi-square 200/11 on 2 df, whose
	// survival function is exp(−x/2).
	if math.Abs(rep.SRMPValue-math.Exp(-100.0/11)) > 1e-12 || !rep.SRMWarning {
		t.Errorf("SRM p %v warning %v", rep.SRMPValue, rep.SRMWarning)
	}
	// Against a zero baseline there is no relative lift.
	if rep, _ = Analyze([]Variant{prop("a", 100, 0), prop("b", 100, 5)}, nil, Options{}); rep.Variants[1].Error == "" {
		t.Errorf("zero baseline: %+v", rep.Variants[1])
	}
}

func TestValidate(t *testing.T) {
	withPre := mean("b", 10, 5, 10)
	withPre.Pre = &Covariate{Sum: 5, SumSquares: 10, SumProducts: 5}
	badProducts := mean("b", 10, 5, 10)
	badProducts.Pre = &Covariate{Sum: 5, SumSquares: 10, SumProducts: 100}
	for _, c := range []struct {
		vs      []Variant
		weights []float64
		want    string
	}{
		{[]Variant{mean("a", 10, 5, 10)}, nil, "at least one variant"},
		{[]Variant{mean("a", 10, 5, 10), mean("a", 10, 5, 10)}, nil, "twice"},
		{[]Variant{mean("", 10, 5, 10), mean("b", 10, 5, 10)}, nil, "name is empty"},
		{[]Variant{mean("a", 1, 5, 25), mean("b", 10, 5, 10)}, nil, "n = 1"},
		{[]Variant{mean("a", -3, 5, 10), mean("b", 10, 5, 10)}, nil, "n = -3"},
		{[]Variant{mean("a", 10, 5, 1), mean("b", 10, 5, 10)}, nil, "below sum²/n"},
		{[]Variant{prop("a", 10, 11), prop("b", 10, 5)}, nil, "0 ≤ sum ≤ n"},
		{[]Variant{prop("a", 10, 5), mean("b", 10, 5, 10)}, nil, "differs"},
		{[]Variant{mean("a", 10, 5, 10), withPre}, nil, "every variant or on none"},
		{[]Variant{{Name: "a", Stat: Stat{Type: Mean, N: 10, Sum: 5, SumSquares: 10}, Pre: &Covariate{Sum: 5, SumSquares: 10}}, badProducts}, nil, "covariance"},
		{[]Variant{mean("a", 10, 5, 10), mean("b", 10, 5, 10)}, []float64{1}, "1 weights for 2"},
		{[]Variant{mean("a", 10, 5, 10), mean("b", 10, 5, 10)}, []float64{1, 0}, "weights[1] = 0"},
		{[]Variant{mean("a", 10, math.NaN(), 10), mean("b", 10, 5, 10)}, nil, "finite"},
	} {
		err := Validate(c.vs, c.weights)
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%+v: error %v, want one containing %q", c.vs, err, c.want)
		}
	}
}
