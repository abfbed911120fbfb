package btyd

import (
	"math"
	"testing"
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
