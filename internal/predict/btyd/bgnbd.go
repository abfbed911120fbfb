package btyd

import (
	"fmt"
	"math"

	"gonum.org/v1/gonum/mathext"
)

// BGNBD is a fitted beta-geometric/NBD model (Fader, Hardie & Lee 2005):
// while alive a customer buys at a Poisson rate drawn from Gamma(r, α) and
// after each purchase drops out with a probability drawn from Beta(a, b).
type BGNBD struct {
	R     float64 `json:"r"`
	Alpha float64 `json:"alpha"`
	A     float64 `json:"a"`
	B     float64 `json:"b"`
	Fit
}

var bgnbdNames = []string{"r", "alpha", "a", "b"}

// BGNBDLogLikelihood is one customer's log-likelihood under the parameters.
func BGNBDLogLikelihood(r, alpha, a, b float64, c Customer) float64 {
	x := c.X
	a1 := lgamma(r+x) - lgamma(r) + r*math.Log(alpha)
	a2 := lgamma(a+b) + lgamma(b+x) - lgamma(b) - lgamma(a+b+x)
	a3 := -(r + x) * math.Log(alpha+c.T)
	a4 := math.Inf(-1)
	if x > 0 {
		a4 = math.Log(a) - math.Log(b+x-1) - (r+x)*math.Log(alpha+c.Tx)
	}
	return a1 + a2 + logSumExp(a3, a4)
}

// bgnbdObjective is the mean negative log-likelihood over log-parameters
// with its analytic gradient.
func bgnbdObjective(c *compressed) objective {
	return func(theta, grad []float64) float64 {
		r, alpha, a, b := math.Exp(theta[0]), math.Exp(theta[1]), math.Exp(theta[2]), math.Exp(theta[3])
		lalpha := math.Log(alpha)
		lgr, lgb, lgab := lgamma(r), lgamma(b), lgamma(a+b)
		var psr, psb, psab float64
		if grad != nil {
			psr, psb, psab = mathext.Digamma(r), mathext.Digamma(b), mathext.Digamma(a+b)
		}
		la := math.Log(a)
		// log(α + v) and 1/(α + v) for every distinct t_x and T.
		lv := make([]float64, len(c.vals))
		var iv []float64
		if grad != nil {
			iv = make([]float64, len(c.vals))
		}
		sumChunks(len(c.vals), 0, func(lo, hi int, _ []float64) {
			for k, v := range c.vals[lo:hi] {
				lv[lo+k] = math.Log(alpha + v)
				if iv != nil {
					iv[lo+k] = 1 / (alpha + v)
				}
			}
		})
		// out: ll, d/dr, d/dα, d/da, d/db
		out := sumRuns(c, 5, func(run xRun, out []float64) {
			x := run.x
			base := lgamma(r+x) - lgr + r*lalpha + lgab + lgamma(b+x) - lgb - lgamma(a+b+x)
			rx := r + x
			var dr0, da0, db0, la4, ibx float64
			if grad != nil {
				psabx := mathext.Digamma(a + b + x)
				dr0 = mathext.Digamma(r+x) - psr + lalpha
				da0 = psab - psabx
				db0 = psab + mathext.Digamma(b+x) - psb - psabx
			}
			if x > 0 {
				la4 = la - math.Log(b+x-1)
				ibx = 1 / (b + x - 1)
			}
			var ll, gr, gal, ga, gb float64
			for _, g := range c.groups[run.start:run.end] {
				lT := lv[g.it]
				a3 := -rx * lT
				if x == 0 {
					ll += g.w * (base + a3)
					if grad != nil {
						gr += g.w * (dr0 - lT)
						gal += g.w * (r/alpha - rx*iv[g.it])
						ga += g.w * da0
						gb += g.w * db0
					}
					continue
				}
				ltx := lv[g.itx]
				a4 := la4 - rx*ltx
				var l, w3 float64
				if a3 > a4 {
					e := math.Exp(a4 - a3)
					l = a3 + math.Log1p(e)
					w3 = 1 / (1 + e)
				} else {
					e := math.Exp(a3 - a4)
					l = a4 + math.Log1p(e)
					w3 = e / (1 + e)
				}
				w4 := 1 - w3
				ll += g.w * (base + l)
				if grad != nil {
					gr += g.w * (dr0 - w3*lT - w4*ltx)
					gal += g.w * (r/alpha - rx*(w3*iv[g.it]+w4*iv[g.itx]))
					ga += g.w * (da0 + w4/a)
					gb += g.w * (db0 - w4*ibx)
				}
			}
			out[0] += ll
			out[1] += gr
			out[2] += gal
			out[3] += ga
			out[4] += gb
		})
		if grad != nil {
			// Chain rule to log-parameters, sign for minimising, mean.
			grad[0] = -out[1] * r / c.n
			grad[1] = -out[2] * alpha / c.n
			grad[2] = -out[3] * a / c.n
			grad[3] = -out[4] * b / c.n
		}
		return -out[0] / c.n
	}
}

// FitBGNBD fits BG/NBD to customers by maximum likelihood.
func FitBGNBD(cs []Customer) (*BGNBD, error) {
	if err := checkData(cs); err != nil {
		return nil, err
	}
	c := compress(cs)
	f := bgnbdObjective(&c)
	var sample objective
	if idx := sampleOf(len(cs)); idx != nil {
		sc := make([]Customer, len(idx))
		for i, j := range idx {
			sc[i] = cs[j]
		}
		s := compress(sc)
		sample = bgnbdObjective(&s)
	}
	start := []float64{0, math.Log(meanT(cs)), 0, 0}
	theta, iters, evals, method, err := minimizeLarge(f, sample, start)
	if err != nil {
		return nil, fmt.Errorf("BG/NBD: %w", err)
	}
	p := expAll(theta)
	if err := checkBounds(bgnbdNames, p); err != nil {
		return nil, fmt.Errorf("BG/NBD: %w%s", err, bgnbdHint(p))
	}
	m := &BGNBD{R: p[0], Alpha: p[1], A: p[2], B: p[3]}
	g := make([]float64, len(theta))
	m.LogLikelihood = -f(theta, g) * c.n
	m.Iterations, m.Evaluations, m.Method, m.Customers = iters, evals, method, len(cs)
	m.StdErrors = stdErrorsGrad(f, c.n, theta, g)
	return m, nil
}

// bgnbdHint explains the one failure seen in practice.
func bgnbdHint(p []float64) string {
	// The drop-out probability after a purchase is Beta(a, b): a → 0 or
	// b → ∞ both mean nobody drops out.
	if p[3] > paramMax || p[2] < paramMin {
		return " — the data shows almost no drop-out after purchases (typical of wholesale or subscription buyers who keep ordering), which BG/NBD cannot represent; Pareto/NBD or a longer history may fit"
	}
	return ""
}

// Params are the model's parameters in the order r, α, a, b.
func (m *BGNBD) Params() []float64 { return []float64{m.R, m.Alpha, m.A, m.B} }

// PAlive is the probability that a customer with this history is still
// alive at T.
func (m *BGNBD) PAlive(c Customer) float64 {
	if c.X == 0 {
		return 1
	}
	lr := math.Log(m.A) - math.Log(m.B+c.X-1) + (m.R+c.X)*(math.Log(m.Alpha+c.T)-math.Log(m.Alpha+c.Tx))
	return 1 / (1 + math.Exp(lr))
}

// ExpectedPurchases is E[X(t)], the expected number of purchases in (0, t]
// of a customer just acquired.
func (m *BGNBD) ExpectedPurchases(t float64) float64 {
	r, alpha, a, b := m.R, m.Alpha, m.A, m.B
	h := mathext.Hypergeo(r, b, a+b-1, t/(alpha+t))
	return (a + b - 1) / (a - 1) * (1 - math.Pow(alpha/(alpha+t), r)*h)
}

// ConditionalExpected is E[Y(t) | x, t_x, T], the expected number of
// purchases in the t periods after T of a customer with this history.
func (m *BGNBD) ConditionalExpected(c Customer, t float64) float64 {
	return m.conditionalNumerator(c.X, c.T, t) * m.PAlive(c)
}

// conditionalNumerator is the part of the conditional expectation that
// depends on x and T only (P(alive) carries t_x): scoring computes it once
// per distinct (x, T).
func (m *BGNBD) conditionalNumerator(x, T, t float64) float64 {
	if t <= 0 {
		return 0
	}
	r, alpha, a, b := m.R, m.Alpha, m.A, m.B
	z := t / (alpha + T + t)
	h := mathext.Hypergeo(r+x, b+x, a+b+x-1, z)
	lratio := (r + x) * math.Log((alpha+T)/(alpha+T+t))
	return (a + b + x - 1) / (a - 1) * (1 - math.Exp(lratio)*h)
}
