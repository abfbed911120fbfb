package learn

import (
	"math"
	"math/rand/v2"
	"testing"

	"gonum.org/v1/gonum/mat"
)

// tinyL2 makes the penalised fit numerically the maximum-likelihood fit.
func tinyL2() LogisticOptions {
	o := DefaultLogisticOptions()
	o.L2 = 1e-10
	o.GradTol = 1e-10
	return o
}

// TestLogisticRecoversCoefficients simulates 200,000 rows from a known
// logistic model, with features on different scales and offsets so the
// internal standardisation and back-transformation are exercised, and checks
// every coefficient lies within 4 standard errors of the truth. The standard
// errors come from the Fisher information at the true coefficients,
// computed here independently of the package.
func TestLogisticRecoversCoefficients(t *testing.T) {
	const n = 200_000
	scale := []float64{1, 3, 50, 0.2}
	shift := []float64{0, 10, 500, -1}
	// Effects per standard deviation; coefficients in original units
	// follow, with the intercept set for a base rate near 40%.
	effect := []float64{0.8, -0.5, 0.3, 0.6}
	beta := []float64{-0.4}
	for j, e := range effect {
		beta = append(beta, e/scale[j])
		beta[0] -= e / scale[j] * shift[j]
	}
	r := rand.New(rand.NewPCG(11, 12))
	d := Dataset{X: make([][]float64, n), Y: make([]float64, n), Names: []string{"a", "b", "c", "d"}}
	info := mat.NewSymDense(5, nil)
	for i := range d.X {
		x := make([]float64, 4)
		z := []float64{1, 0, 0, 0, 0}
		eta := beta[0]
		u := []float64{r.NormFloat64(), r.NormFloat64(), r.NormFloat64(), r.NormFloat64()}
		// The last feature is correlated with the first (ρ = 0.6), as
		// churn features such as frequency and spend are.
		u[3] = 0.6*u[0] + 0.8*u[3]
		for j := range x {
			x[j] = shift[j] + scale[j]*u[j]
			z[j+1] = x[j]
			eta += beta[j+1] * x[j]
		}
		d.X[i] = x
		q := 1 / (1 + math.Exp(-eta))
		if r.Float64() < q {
			d.Y[i] = 1
		}
		w := q * (1 - q)
		for a := 0; a < 5; a++ {
			for b := a; b < 5; b++ {
				info.SetSym(a, b, info.At(a, b)+w*z[a]*z[b])
			}
		}
	}
	var cov mat.Dense
	if err := cov.Inverse(info); err != nil {
		t.Fatal(err)
	}
	m, err := TrainLogistic(d, tinyL2())
	if err != nil {
		t.Fatal(err)
	}
	if !m.Converged {
		t.Fatalf("did not converge in %d iterations", m.Iterations)
	}
	got := append([]float64{m.Intercept}, m.Coef...)
	for a := range beta {
		se := math.Sqrt(cov.At(a, a))
		t.Logf("coef %d: got %.5f want %.5f (se %.5f, z %.2f)", a, got[a], beta[a], se, (got[a]-beta[a])/se)
		if math.Abs(got[a]-beta[a]) > 4*se {
			t.Errorf("coef %d = %v, want %v ± 4×%v", a, got[a], beta[a], se)
		}
		// The check is only meaningful if the band is narrow against the
		// effects: 4 SE per standard deviation of the feature under 0.05.
		if a > 0 && 4*se*scale[a-1] > 0.05 {
			t.Errorf("coef %d: standard error %v too large for a meaningful check", a, se)
		}
	}
}

// TestLogisticExactBinaryFeature: with one binary feature the maximum
// likelihood fit is saturated and has a closed form: the intercept is the
// log-odds of the x=0 group and the coefficient the log odds ratio.
func TestLogisticExactBinaryFeature(t *testing.T) {
	var d Dataset
	add := func(x float64, n, pos int) {
		for i := 0; i < n; i++ {
			y := 0.0
			if i < pos {
				y = 1
			}
			d.X = append(d.X, []float64{x})
			d.Y = append(d.Y, y)
		}
	}
	add(0, 100, 30) // rate 0.3
	add(1, 50, 40)  // rate 0.8
	m, err := TrainLogistic(d, tinyL2())
	if err != nil {
		t.Fatal(err)
	}
	logit := func(p float64) float64 { return math.Log(p / (1 - p)) }
	if !near(m.Intercept, logit(0.3), 1e-6) || !near(m.Coef[0], logit(0.8)-logit(0.3), 1e-6) {
		t.Errorf("got intercept %v coef %v, want %v and %v", m.Intercept, m.Coef[0], logit(0.3), logit(0.8)-logit(0.3))
	}
	if !near(m.Predict([]float64{1}), 0.8, 1e-7) || !near(m.Predict([]float64{0}), 0.3, 1e-7) {
		t.Errorf("predictions %v, %v; want 0.8, 0.3", m.Predict([]float64{1}), m.Predict([]float64{0}))
	}
}

// TestLogisticL2Stationarity checks that a strongly penalised fit solves the
// objective documented on LogisticOptions.L2: its gradient, computed here
// from the definition, vanishes at the returned coefficients.
func TestLogisticL2Stationarity(t *testing.T) {
	d, _ := simulate(5000, 3, 21, linearLogit(0.2, 1, -1, 0.5))
	for i := range d.X {
		d.X[i][1] *= 10 // unequal scales: the penalty must use the SD
	}
	o := DefaultLogisticOptions()
	o.L2 = 0.05
	o.GradTol = 1e-11
	m, err := TrainLogistic(d, o)
	if err != nil {
		t.Fatal(err)
	}
	n := float64(len(d.X))
	p := len(d.X[0])
	mean := make([]float64, p)
	sd := make([]float64, p)
	for _, x := range d.X {
		for j := range x {
			mean[j] += x[j] / n
		}
	}
	for _, x := range d.X {
		for j := range x {
			sd[j] += (x[j] - mean[j]) * (x[j] - mean[j]) / n
		}
	}
	grad := make([]float64, p+1)
	for i, x := range d.X {
		eta := m.Intercept
		for j := range x {
			eta += m.Coef[j] * x[j]
		}
		res := 1/(1+math.Exp(-eta)) - d.Y[i]
		grad[0] += res / n
		for j := range x {
			grad[j+1] += res * x[j] / n
		}
	}
	for j := 0; j < p; j++ {
		// d/dβ_j of (L2/2)(β_j s_j)² = L2 s_j² β_j.
		grad[j+1] += o.L2 * sd[j] * m.Coef[j]
	}
	for j, g := range grad {
		// Scale by the SD: the optimiser works on standardised columns.
		sj := 1.0
		if j > 0 {
			sj = math.Sqrt(sd[j-1])
		}
		if math.Abs(g/sj) > 1e-8 {
			t.Errorf("gradient component %d = %v at the fit, want 0", j, g/sj)
		}
	}
	// And the penalty does shrink: the unpenalised fit is larger.
	free, err := TrainLogistic(d, tinyL2())
	if err != nil {
		t.Fatal(err)
	}
	for j := range m.Coef {
		if math.Abs(m.Coef[j]) >= math.Abs(free.Coef[j]) {
			t.Errorf("coef %d not shrunk: %v with L2, %v without", j, m.Coef[j], free.Coef[j])
		}
	}
}

// TestLogisticMissingImputesMean: a fit with NaNs must equal a fit where
// the NaNs were replaced by the column's non-missing mean, as documented.
func TestLogisticMissingImputesMean(t *testing.T) {
	d, _ := simulate(20000, 3, 31, linearLogit(-0.3, 0.9, 0.6, -0.4))
	r := rand.New(rand.NewPCG(5, 6))
	withNaN := Dataset{Names: d.Names, Y: d.Y}
	var sum, cnt float64
	for _, x := range d.X {
		row := append([]float64(nil), x...)
		if r.Float64() < 0.3 {
			row[1] = math.NaN()
		} else {
			sum += row[1]
			cnt++
		}
		withNaN.X = append(withNaN.X, row)
	}
	mean := sum / cnt
	imputed := Dataset{Names: d.Names, Y: d.Y}
	for _, x := range withNaN.X {
		row := append([]float64(nil), x...)
		if math.IsNaN(row[1]) {
			row[1] = mean
		}
		imputed.X = append(imputed.X, row)
	}
	a, err := TrainLogistic(withNaN, tinyL2())
	if err != nil {
		t.Fatal(err)
	}
	b, err := TrainLogistic(imputed, tinyL2())
	if err != nil {
		t.Fatal(err)
	}
	if !near(a.Intercept, b.Intercept, 1e-6) {
		t.Errorf("intercept %v with NaN, %v imputed", a.Intercept, b.Intercept)
	}
	for j := range a.Coef {
		if !near(a.Coef[j], b.Coef[j], 1e-6) {
			t.Errorf("coef %d: %v with NaN, %v imputed", j, a.Coef[j], b.Coef[j])
		}
	}
	if !near(a.Mean[1], mean, 1e-12) {
		t.Errorf("stored mean %v, want %v", a.Mean[1], mean)
	}
	x := []float64{0.5, math.NaN(), -1}
	if got, want := a.Predict(x), a.Predict([]float64{0.5, mean, -1}); got != want {
		t.Errorf("Predict with NaN %v, with mean %v", got, want)
	}
	if c := a.Contributions(x); c[1] != 0 {
		t.Errorf("missing feature contributes %v, want 0", c[1])
	}
	// Non-finite values at prediction time are treated as missing too.
	if got, want := a.Predict([]float64{0.5, math.Inf(1), -1}), a.Predict(x); got != want {
		t.Errorf("Predict with +Inf %v, with NaN %v", got, want)
	}
}

// TestLogisticConstantColumns: a constant and an all-missing column get
// coefficient 0 and leave the other coefficients as without them.
func TestLogisticConstantColumns(t *testing.T) {
	d, _ := simulate(10000, 2, 41, linearLogit(0.1, 1, -0.5))
	wide := Dataset{Y: d.Y, Names: []string{"a", "const", "b", "missing"}}
	for _, x := range d.X {
		wide.X = append(wide.X, []float64{x[0], 5, x[1], math.NaN()})
	}
	m, err := TrainLogistic(wide, tinyL2())
	if err != nil {
		t.Fatal(err)
	}
	ref, err := TrainLogistic(d, tinyL2())
	if err != nil {
		t.Fatal(err)
	}
	if m.Coef[1] != 0 || m.Coef[3] != 0 {
		t.Errorf("constant/missing coefficients %v, %v; want 0", m.Coef[1], m.Coef[3])
	}
	if !near(m.Coef[0], ref.Coef[0], 1e-6) || !near(m.Coef[2], ref.Coef[1], 1e-6) || !near(m.Intercept, ref.Intercept, 1e-6) {
		t.Errorf("coefficients %v %v, want as without the columns: %v", m.Intercept, m.Coef, ref)
	}
	if p := m.Predict([]float64{1, 7, 1, 3}); !finite(p) {
		t.Errorf("prediction %v", p)
	}
}

// TestLogisticInterceptOnly: with only a constant feature the fit is the
// base-rate log-odds, exactly.
func TestLogisticInterceptOnly(t *testing.T) {
	d := Dataset{}
	for i := 0; i < 1000; i++ {
		d.X = append(d.X, []float64{2})
		d.Y = append(d.Y, boolf(i%4 == 0))
	}
	m, err := TrainLogistic(d, tinyL2())
	if err != nil {
		t.Fatal(err)
	}
	if !near(m.Intercept, math.Log(0.25/0.75), 1e-9) || m.Coef[0] != 0 {
		t.Errorf("intercept %v coef %v, want %v and 0", m.Intercept, m.Coef[0], math.Log(0.25/0.75))
	}
}

func boolf(b bool) float64 {
	if b {
		return 1
	}
	return 0
}
