package btyd

import (
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"strings"

	"gonum.org/v1/gonum/diff/fd"
	"gonum.org/v1/gonum/floats"
	"gonum.org/v1/gonum/mat"
	"gonum.org/v1/gonum/optimize"
)

// Fit describes how a maximum-likelihood fit went; every model's result
// carries one so that a report can show it and a caller can refuse to use a
// fit that did not converge.
type Fit struct {
	// LogLikelihood is the total log-likelihood at the estimate.
	LogLikelihood float64 `json:"log_likelihood"`
	// StdErrors are the parameters' standard errors from the inverse of the
	// observed information (the Hessian of the negative log-likelihood),
	// in the order of the model's parameters; nil when the Hessian was not
	// positive definite (itself a sign of a weakly identified model).
	StdErrors []float64 `json:"std_errors,omitempty"`
	// Iterations and Evaluations of the optimiser over all customers (a
	// search from a sample's fit does not count the sample's), and its
	// Method: "L-BFGS", or "L-BFGS from a sample's fit" (minimizeLarge).
	Iterations  int    `json:"iterations"`
	Evaluations int    `json:"evaluations"`
	Method      string `json:"method"`
	// Customers is how many customers the fit used.
	Customers int `json:"customers"`
}

// ErrNotIdentified is wrapped by every refusal to fit: too little data, no
// convergence, or a parameter running off to a bound.
var ErrNotIdentified = errors.New("model cannot be fitted to this data")

// Parameter bounds (in the model's time unit): beyond them a fit has run
// off towards a limit the model cannot represent, and is refused.
const (
	paramMin = 1e-6
	paramMax = 1e5
)

// objective is a mean negative log-likelihood over log-parameters; it fills
// grad when grad is non-nil.
type objective func(theta, grad []float64) float64

// Convergence: the optimiser stops when the gradient of the mean negative
// log-likelihood (in log-parameters) is below gradTol; a fit is refused
// when it ends above gradAccept.
const (
	gradTol    = 1e-10
	gradAccept = 1e-4
	// gradFlat and flatEvals: with a gradient below gradFlat, flatEvals
	// evaluations in a row that do not lower the objective by more than
	// its rounding noise (flatNoise, relative) mean the optimum is flat to
	// machine precision: the line search would only halve its step until
	// the point stops moving (dozens of evaluations on a large data set,
	// whose sums of a million terms are noisy in the twelfth digit), so
	// the fit stops there. The parameters are then within gradFlat/λ of
	// the optimum (λ the Hessian's smallest eigenvalue): far inside their
	// standard errors.
	gradFlat  = 1e-8
	flatEvals = 5
	flatNoise = 1e-12
	// gradFlatLarge is gradFlat for minimizeLarge's searches. A million
	// terms' sums are noisy enough that the gradient of a well-determined
	// parameter cannot get below ~1e-7 (its curvature times the smallest
	// step whose gain rises above the noise): a BG/NBD fit on the bench's
	// store spent 50 of its 79 evaluations at one point with a gradient of
	// 4.6e-7 before a limit stopped it there. In the whitened coordinates
	// of a search from a sample's fit, the gradient is the distance to the
	// optimum in units of √n standard errors: 1e-6 is within 1e-3 of a
	// standard error at a million customers.
	gradFlatLarge = 1e-6
	// maxEvals caps a search: converged fits take under 60; more is a fit
	// wandering off.
	maxEvals = 300
	// whitePatience is the patience of a search from a sample's fit (4–8
	// evaluations when it converges): where a ridge makes the sample's
	// curvature a poor guide, the whitened gradient's noise floor can stay
	// above gradFlatLarge and the search would wander at the optimum (86
	// evaluations in one case on the bench's store, at parameters already
	// within 1e-6 of the plain fit's).
	whitePatience = 15
	// newtonAccept bounds a search from a sample's fit where it stops: the
	// Newton step left (by the sample's curvature) must be below it in
	// every log-parameter, i.e. every parameter within 1e-5 of the
	// optimum, relative. The gradient test (gradAccept) alone is not that
	// bound: along a weakly determined ridge a gradient of 1e-4 can leave
	// a parameter several percent off, and whitePatience stops the search
	// at a flat stretch whatever the gradient.
	newtonAccept = 1e-5
)

// errFlat stops the optimiser (through its Recorder) at a flat optimum.
var errFlat = errors.New("flat optimum")

// flatStop is the Recorder that stops the optimiser when eval says so.
type flatStop struct{ stop *bool }

func (flatStop) Init() error { return nil }
func (r flatStop) Record(*optimize.Location, optimize.Operation, *optimize.Stats) error {
	if *r.stop {
		return errFlat
	}
	return nil
}

// minimize fits the log-parameters theta from start with L-BFGS (a few
// dozen evaluations with an analytic gradient).
func minimize(f objective, start []float64) (theta []float64, iters, evals int, method string, err error) {
	return lbfgs(walled(f), start, gradFlat, maxEvals)
}

// walled is f behind a wall ten times beyond the bounds: past it the
// likelihoods lose their precision (log-gamma of 1e24) and could look
// better than the optimum; the optimiser stops at the wall and checkBounds
// refuses.
func walled(f objective) objective {
	hi, lo := math.Log(paramMax*10), math.Log(paramMin/10)
	return func(theta, grad []float64) float64 {
		for _, t := range theta {
			if t > hi || t < lo {
				for i := range grad {
					grad[i] = 0
				}
				return math.Inf(1)
			}
		}
		return f(theta, grad)
	}
}

// lbfgs is minimize's search, on f as given, stopping at a flat optimum
// when the gradient is below flatGrad or, after patience evaluations,
// whatever the gradient.
func lbfgs(f objective, start []float64, flatGrad float64, patience int) (theta []float64, iters, evals int, method string, err error) {
	var cache struct {
		x, g []float64
		v    float64
	}
	// Every evaluation is watched: the best objective so far, and among the
	// points within rounding noise of it the one with the smallest
	// gradient (the best estimate of the optimum when f is flat).
	bestF, candG, flat, stop := math.Inf(1), math.Inf(1), 0, false
	var cand []float64
	noise := func(v float64) float64 { return flatNoise * math.Max(1, math.Abs(v)) }
	eval := func(x []float64) {
		if cache.x != nil && slices.Equal(cache.x, x) {
			return
		}
		if cache.g == nil {
			cache.g = make([]float64, len(x))
		}
		cache.v = f(x, cache.g)
		cache.x = append(cache.x[:0], x...)
		evals++
		v, gn := cache.v, 0.0
		for _, gi := range cache.g {
			gn = math.Max(gn, math.Abs(gi))
		}
		if math.IsNaN(v) || math.IsNaN(gn) {
			return
		}
		switch {
		case v < bestF-noise(bestF):
			bestF, flat = v, 0
			cand, candG = append(cand[:0], x...), gn
		default:
			bestF = math.Min(bestF, v)
			flat++
			if v <= bestF+noise(bestF) && gn < candG {
				cand, candG = append(cand[:0], x...), gn
			}
		}
		if candG <= gradTol || ((candG <= flatGrad || evals >= patience) && flat >= flatEvals) {
			stop = true
		}
	}
	p := optimize.Problem{
		Func: func(x []float64) float64 { eval(x); return cache.v },
		Grad: func(g, x []float64) { eval(x); copy(g, cache.g) },
	}
	st := &optimize.Settings{
		GradientThreshold: gradTol,
		FuncEvaluations:   maxEvals,
		Converger:         &optimize.FunctionConverge{Absolute: 1e-13, Relative: 1e-13, Iterations: 20},
		Recorder:          flatStop{&stop},
	}
	res, e := optimize.Minimize(p, start, st, &optimize.LBFGS{})
	if e != nil && res == nil {
		return nil, 0, evals, "L-BFGS", fmt.Errorf("%w: optimiser failed: %v", ErrNotIdentified, e)
	}
	x := res.X
	if stop {
		x, e = cand, nil
	}
	if math.IsNaN(res.F) || math.IsInf(res.F, 0) {
		return nil, res.Stats.MajorIterations, evals, "L-BFGS", fmt.Errorf("%w: the likelihood is not finite at the optimum", ErrNotIdentified)
	}
	// Whatever stopped the optimiser (a line search can fail at an optimum
	// flat to machine precision, or a limit be reached), the gradient says
	// whether it converged.
	g := make([]float64, len(start))
	f(x, g)
	for _, gi := range g {
		if !(math.Abs(gi) <= gradAccept) {
			why := res.Status.String()
			if e != nil {
				why = e.Error()
			}
			return nil, res.Stats.MajorIterations, evals, "L-BFGS", fmt.Errorf("%w: did not converge after %d evaluations (%s)", ErrNotIdentified, evals, why)
		}
	}
	return x, res.Stats.MajorIterations, evals, "L-BFGS", nil
}

// checkBounds refuses parameters that ran off to a bound, naming them.
func checkBounds(names []string, params []float64) error {
	var bad []string
	for i, p := range params {
		switch {
		case math.IsNaN(p) || math.IsInf(p, 0):
			bad = append(bad, fmt.Sprintf("%s is not finite", names[i]))
		case p > paramMax:
			bad = append(bad, fmt.Sprintf("%s = %.3g ran off towards infinity", names[i], p))
		case p < paramMin:
			bad = append(bad, fmt.Sprintf("%s = %.3g ran off towards zero", names[i], p))
		}
	}
	if bad != nil {
		return fmt.Errorf("%w: %s", ErrNotIdentified, strings.Join(bad, "; "))
	}
	return nil
}

// stdErrors inverts the Hessian of the total negative log-likelihood, taken
// in log-parameters (where one finite-difference step suits every
// parameter's scale) and carried to the natural ones by the delta method
// (exact at the optimum, where the gradient vanishes); nil when the Hessian
// is not positive definite.
func stdErrors(totalNegLL func(theta []float64) float64, theta []float64) []float64 {
	n := len(theta)
	h := mat.NewSymDense(n, nil)
	fd.Hessian(h, totalNegLL, theta, &fd.Settings{Formula: fd.Central, Step: 1e-4})
	return invertHessian(h, theta)
}

// stdErrorsGrad is stdErrors for an objective with an analytic gradient
// (the mean over n customers), given its gradient g at theta: the Hessian
// by forward differences of the gradient, k evaluations for k parameters
// instead of the 2k² second differences of the function take (on a
// million customers each evaluation costs tens of milliseconds; central
// differences, twice the evaluations, changed the errors in their fourth
// digit).
func stdErrorsGrad(f objective, n float64, theta, g []float64) []float64 {
	h := hessianGrad(f, theta, g)
	h.ScaleSym(n, h)
	return invertHessian(h, theta)
}

// hessianGrad is f's Hessian at theta by differences of its gradient:
// forward from g, the gradient at theta, or central when g is nil.
func hessianGrad(f objective, theta, g []float64) *mat.SymDense {
	k := len(theta)
	cols := make([][]float64, k)
	x := slices.Clone(theta)
	gm := make([]float64, k)
	const step = 1e-4
	for j := range k {
		cols[j] = make([]float64, k)
		x[j] = theta[j] + step
		f(x, cols[j])
		lo, width := g, step
		if g == nil {
			x[j] = theta[j] - step
			f(x, gm)
			lo, width = gm, 2*step
		}
		x[j] = theta[j]
		for i := range k {
			cols[j][i] = (cols[j][i] - lo[i]) / width
		}
	}
	h := mat.NewSymDense(k, nil)
	for i := range k {
		for j := i; j < k; j++ {
			h.SetSym(i, j, (cols[j][i]+cols[i][j])/2)
		}
	}
	return h
}

// Large data sets are fitted from a sample's fit (minimizeLarge): from
// largeFit items (customers, or repeat buyers for Gamma-Gamma) on, a
// random sample of about sampleFit.
const (
	largeFit  = 200_000
	sampleFit = 25_000
)

// sampleOf is a random (seeded: a fit is repeatable) choice of about
// sampleFit of n items, ascending; nil when n is below largeFit.
func sampleOf(n int) []int {
	if n < largeFit {
		return nil
	}
	rng := rand.New(rand.NewPCG(uint64(n), 20261122))
	idx := make([]int, 0, sampleFit+sampleFit/8)
	for i := range n {
		if rng.IntN(n) < sampleFit {
			idx = append(idx, i)
		}
	}
	return idx
}

// minimizeLarge is minimize for a large data set, given sample, the same
// objective over a random part of it (nil: plain minimize). On a million
// customers each evaluation of f costs tens of milliseconds, and L-BFGS
// from the default start takes 30–40 of them: most of them spent learning
// the curvature of a likelihood whose parameters are far from equally
// well determined (BG/NBD's a and b move together over decades). The
// sample's fit costs a few full evaluations and gives both a start close
// to the optimum and the curvature there (its Hessian H = UᵀU): the search
// on all data then runs in coordinates u with θ = θs + U⁻¹u, where the
// likelihood is nearly a unit quadratic bowl and L-BFGS needs a handful of
// evaluations. The optimum is f's own (the same gradient test accepts it);
// only the way there changes. When the sample cannot be fitted or its
// Hessian is not positive definite, the plain search runs (with the flat
// stop of large data sets, gradFlatLarge).
func minimizeLarge(f, sample objective, start []float64) (theta []float64, iters, evals int, method string, err error) {
	if sample == nil {
		return minimize(f, start)
	}
	theta, iters, evals, ok := fromSample(f, sample, start)
	if ok {
		return theta, iters, evals, "L-BFGS from a sample's fit", nil
	}
	theta, iters, ev, method, err := lbfgs(walled(f), start, gradFlatLarge, maxEvals)
	return theta, iters, evals + ev, method, err
}

// fromSample is minimizeLarge's search from the sample's fit; ok is false
// when it could not run or did not converge.
func fromSample(f, sample objective, start []float64) (theta []float64, iters, evals int, ok bool) {
	ts, _, _, _, err := minimize(sample, start)
	if err != nil || checkBounds(make([]string, len(ts)), expAll(ts)) != nil {
		// The sample's fit ran off along a ridge the whole data set
		// pins down (BG/NBD's a and b growing together when few drop
		// out): its curvature says nothing about the optimum's.
		return nil, 0, 0, false
	}
	var ch mat.Cholesky
	var u, m mat.TriDense
	if !ch.Factorize(hessianGrad(sample, ts, nil)) {
		return nil, 0, 0, false
	}
	ch.UTo(&u)
	if m.InverseTri(&u) != nil {
		return nil, 0, 0, false
	}
	k := len(start)
	wf := walled(f)
	// θ(v) = θs + U⁻¹·(scale·v), scale making L-BFGS's first step (of
	// unit length) the Newton step: the gradient's length at θs.
	scale := 1.0
	at := func(v, th []float64) {
		for i := range k {
			th[i] = ts[i]
			for j := i; j < k; j++ {
				th[i] += m.At(i, j) * scale * v[j]
			}
		}
	}
	th, gth := make([]float64, k), make([]float64, k)
	origin, g0, gth0 := make([]float64, k), make([]float64, k), make([]float64, k)
	f0 := math.NaN()
	fv := func(v, gv []float64) float64 {
		if gv != nil && !math.IsNaN(f0) && !slices.ContainsFunc(v, func(x float64) bool { return x != 0 }) {
			// The search starts where the scale was measured; th and gth
			// follow, since the tests below read them as the last point's.
			floats.ScaleTo(gv, scale, g0)
			copy(th, ts)
			copy(gth, gth0)
			return f0
		}
		at(v, th)
		if gv == nil {
			return wf(th, nil)
		}
		val := wf(th, gth)
		for j := range k {
			var s float64
			for i := 0; i <= j; i++ {
				s += m.At(i, j) * gth[i]
			}
			gv[j] = scale * s
		}
		return val
	}
	val := fv(origin, g0)
	copy(gth0, gth)
	evals = 1
	if n := floats.Norm(g0, 2); n > 0 && !math.IsInf(n, 0) && !math.IsNaN(n) {
		scale, f0, evals = n, val, 0 // the search's first evaluation is this one
	}
	x, iters, ev, _, err := lbfgs(fv, origin, scale*gradFlatLarge, whitePatience)
	evals += ev
	// The gradient test in θ (gth is the gradient at x, lbfgs's last
	// evaluation): v's gradient is scaled. Then the Newton step that is
	// left, δ = H⁻¹g = U⁻¹U⁻ᵀg with the sample's H = UᵀU, bounds how far
	// the stop is from the optimum.
	if err != nil || slices.ContainsFunc(gth, func(g float64) bool { return !(math.Abs(g) <= gradAccept) }) {
		return nil, iters, evals, false
	}
	if d := newtonStep(&m, gth); slices.ContainsFunc(d, func(x float64) bool { return !(math.Abs(x) <= newtonAccept) }) {
		return nil, iters, evals, false
	}
	theta = make([]float64, k)
	at(x, theta)
	return theta, iters, evals, true
}

// newtonStep is H⁻¹g for H = UᵀU, given m = U⁻¹ (upper triangular):
// m·(mᵀ·g).
func newtonStep(m *mat.TriDense, g []float64) []float64 {
	k := len(g)
	w := make([]float64, k)
	for j := range k {
		for i := 0; i <= j; i++ {
			w[j] += m.At(i, j) * g[i]
		}
	}
	d := make([]float64, k)
	for i := range k {
		for j := i; j < k; j++ {
			d[i] += m.At(i, j) * w[j]
		}
	}
	return d
}

func invertHessian(h *mat.SymDense, theta []float64) []float64 {
	n := len(theta)
	var ch mat.Cholesky
	if !ch.Factorize(h) {
		return nil
	}
	var inv mat.SymDense
	if err := ch.InverseTo(&inv); err != nil {
		return nil
	}
	se := make([]float64, n)
	for i := range se {
		v := inv.At(i, i)
		if !(v > 0) {
			return nil
		}
		se[i] = math.Exp(theta[i]) * math.Sqrt(v)
	}
	return se
}

func expAll(theta []float64) []float64 {
	out := make([]float64, len(theta))
	for i, t := range theta {
		out[i] = math.Exp(t)
	}
	return out
}

func logAll(params []float64) []float64 {
	out := make([]float64, len(params))
	for i, p := range params {
		out[i] = math.Log(p)
	}
	return out
}

// logSumExp is log(exp(a) + exp(b)) without overflow.
func logSumExp(a, b float64) float64 {
	if math.IsInf(a, -1) {
		return b
	}
	if math.IsInf(b, -1) {
		return a
	}
	if a > b {
		return a + math.Log1p(math.Exp(b-a))
	}
	return b + math.Log1p(math.Exp(a-b))
}
