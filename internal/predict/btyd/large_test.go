package btyd

import (
	"math"
	"testing"

	"gonum.org/v1/gonum/mat"
)

// A data set of largeFit customers or more is fitted from a sample's fit
// (minimizeLarge). CDNOW's customers repeated k times have CDNOW's maximum
// likelihood estimate exactly (the log-likelihood is k times CDNOW's), so
// the large fit must land on the small one's parameters, with k times its
// log-likelihood and standard errors smaller by √k, whatever path it took.
func TestLargeFitsFromASampleFindTheSameOptimum(t *testing.T) {
	cs, _, _ := cbs(t)
	const k = 212 // 946 repeat buyers × 212 > largeFit, for Gamma-Gamma too
	big := make([]Customer, 0, k*len(cs))
	for range k {
		big = append(big, cs...)
	}
	same := func(name string, got, want, tol float64) {
		t.Helper()
		if !(math.Abs(got-want) <= tol*math.Abs(want)) {
			t.Errorf("%s = %.10g, want %.10g (relative tolerance %g)", name, got, want, tol)
		}
	}
	check := func(model string, small, large Fit, ps, pl []float64, names []string) {
		t.Helper()
		if small.Method != "L-BFGS" || large.Method != "L-BFGS from a sample's fit" {
			t.Errorf("%s: methods %q and %q", model, small.Method, large.Method)
		}
		for i := range ps {
			same(model+" "+names[i], pl[i], ps[i], 1e-6)
			if small.StdErrors != nil && large.StdErrors != nil {
				same(model+" standard error of "+names[i], large.StdErrors[i]*math.Sqrt(k), small.StdErrors[i], 1e-3)
			} else {
				t.Errorf("%s: standard errors %v and %v", model, small.StdErrors, large.StdErrors)
			}
		}
		same(model+" log-likelihood", large.LogLikelihood, k*small.LogLikelihood, 1e-9)
		t.Logf("%s: %d evaluations on all customers from the sample's fit, %d from the default start on CDNOW", model, large.Evaluations, small.Evaluations)
	}
	ms, gs := fitBoth(t, cs)
	ml, gl := fitBoth(t, big)
	check("BG/NBD", ms.Fit, ml.Fit, ms.Params(), ml.Params(), bgnbdNames)
	check("Gamma-Gamma", gs.Fit, gl.Fit, gs.Params(), gl.Params(), ggNames)
}

// fromSample stops at a flat stretch after whitePatience evaluations
// whatever the gradient; it must then refuse a point whose gradient passes
// gradAccept but whose Newton step says it is still far from the optimum.
// Here the full objective is flat (every value the same) with a gradient
// of 5e-5 everywhere; the sample's is a bowl of curvature c. With c = 1
// the Newton step is 5e-5 in every log-parameter, five times
// newtonAccept: refused. With c = 10 it is 5e-6: accepted — the same
// search, so the first refusal is the step's.
func TestFromSampleRefusesAFlatStopFarFromTheOptimum(t *testing.T) {
	bowl := func(c float64) objective {
		return func(theta, grad []float64) float64 {
			var v float64
			for i, x := range theta {
				v += c * (x - 1) * (x - 1) / 2
				if grad != nil {
					grad[i] = c * (x - 1)
				}
			}
			return v
		}
	}
	flat := func(theta, grad []float64) float64 {
		for i := range grad {
			grad[i] = 5e-5
		}
		return 1
	}
	if _, _, _, ok := fromSample(flat, bowl(1), []float64{0, 0}); ok {
		t.Error("a stop with a Newton step of 5e-5 was accepted")
	}
	if _, _, _, ok := fromSample(flat, bowl(10), []float64{0, 0}); !ok {
		t.Error("a stop with a Newton step of 5e-6 was refused")
	}
}

// newtonStep solves H·δ = g for H = UᵀU given U⁻¹.
func TestNewtonStepSolvesTheHessian(t *testing.T) {
	h := mat.NewSymDense(3, []float64{4, 1, 0.5, 1, 3, 0.2, 0.5, 0.2, 2})
	var ch mat.Cholesky
	if !ch.Factorize(h) {
		t.Fatal("not positive definite")
	}
	var u, m mat.TriDense
	ch.UTo(&u)
	if err := m.InverseTri(&u); err != nil {
		t.Fatal(err)
	}
	g := []float64{1, -2, 0.5}
	d := newtonStep(&m, g)
	var hd mat.VecDense
	hd.MulVec(h, mat.NewVecDense(3, d))
	for i := range g {
		if math.Abs(hd.AtVec(i)-g[i]) > 1e-12 {
			t.Fatalf("H·δ = %v, want %v", mat.Formatted(&hd), g)
		}
	}
}
