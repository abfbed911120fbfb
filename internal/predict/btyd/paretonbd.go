package btyd

import (
	"fmt"
	"math"

	"gonum.org/v1/gonum/diff/fd"
)

// ParetoNBD is a fitted Pareto/NBD model (Schmittlein, Morrison & Colombo
// 1987): while alive a customer buys at a Poisson rate drawn from
// Gamma(r, α) and has an exponential lifetime with a rate drawn from
// Gamma(s, β).
type ParetoNBD struct {
	R     float64 `json:"r"`
	Alpha float64 `json:"alpha"`
	S     float64 `json:"s"`
	Beta  float64 `json:"beta"`
	Fit
}

var paretoNames = []string{"r", "alpha", "s", "beta"}

// ParetoNBDLogLikelihood is one customer's log-likelihood.
func ParetoNBDLogLikelihood(r, alpha, s, beta float64, c Customer) float64 {
	x := c.X
	part1 := r*math.Log(alpha) + s*math.Log(beta) - lgamma(r) + lgamma(r+x)
	part2 := -(r+x)*math.Log(alpha+c.T) - s*math.Log(beta+c.T)
	part3 := math.Log(s) + logDeathIntegral(c.Tx, c.T, alpha, beta, r+x, s+1)
	return part1 + logSumExp(part2, part3)
}

// paretoObjective is the mean negative log-likelihood; its gradient, when
// asked for, by central differences (eight more evaluations: still far
// fewer in all than the thousand-odd Nelder-Mead needs).
func paretoObjective(c *compressed) objective {
	var f objective
	f = func(theta, grad []float64) float64 {
		if grad != nil {
			fd.Gradient(grad, func(t []float64) float64 { return f(t, nil) }, theta, &fd.Settings{Formula: fd.Central, Step: 1e-6})
		}
		p := expAll(theta)
		r, alpha, s, beta := p[0], p[1], p[2], p[3]
		out := sumRuns(c, 1, func(run xRun, out []float64) {
			for _, g := range c.groups[run.start:run.end] {
				out[0] += g.w * ParetoNBDLogLikelihood(r, alpha, s, beta, Customer{X: g.x, Tx: g.tx, T: g.t})
			}
		})
		v := -out[0] / c.n
		if math.IsNaN(v) {
			return math.Inf(1)
		}
		return v
	}
	return f
}

// FitParetoNBD fits Pareto/NBD to customers by maximum likelihood (L-BFGS
// on a finite-difference gradient: the hypergeometric terms have no
// closed-form derivative worth its cost). β is often weakly identified; its
// standard error says so. Each evaluation costs two hypergeometric series
// per distinct history, so it is some hundred times slower than BG/NBD.
func FitParetoNBD(cs []Customer) (*ParetoNBD, error) {
	if err := checkData(cs); err != nil {
		return nil, err
	}
	c := compress(cs)
	f := paretoObjective(&c)
	mt := meanT(cs)
	start := []float64{0, math.Log(mt), 0, math.Log(mt)}
	theta, iters, evals, method, err := minimize(f, start)
	if err != nil {
		return nil, fmt.Errorf("Pareto/NBD: %w", err)
	}
	p := expAll(theta)
	if err := checkBounds(paretoNames, p); err != nil {
		hint := ""
		if p[3] > paramMax {
			hint = fmt.Sprintf(" — s and β grow together (s/β = %.3g per period): drop-out rates show no heterogeneity across customers, the limit in which Pareto/NBD has a single drop-out rate; BG/NBD is used", p[2]/p[3])
		}
		return nil, fmt.Errorf("Pareto/NBD: %w%s", err, hint)
	}
	m := &ParetoNBD{R: p[0], Alpha: p[1], S: p[2], Beta: p[3]}
	m.LogLikelihood = -f(theta, nil) * c.n
	m.Iterations, m.Evaluations, m.Method, m.Customers = iters, evals, method, len(cs)
	m.StdErrors = stdErrors(func(t []float64) float64 { return f(t, nil) * c.n }, theta)
	return m, nil
}

// Params are the model's parameters in the order r, α, s, β.
func (m *ParetoNBD) Params() []float64 { return []float64{m.R, m.Alpha, m.S, m.Beta} }

// PAlive is the probability that a customer with this history is alive at T.
func (m *ParetoNBD) PAlive(c Customer) float64 {
	r, alpha, s, beta := m.R, m.Alpha, m.S, m.Beta
	li := logDeathIntegral(c.Tx, c.T, alpha, beta, r+c.X, s+1)
	if math.IsInf(li, -1) {
		return 1
	}
	// P(alive) = survival term / (survival term + death term).
	l := math.Log(s) + li + (r+c.X)*math.Log(alpha+c.T) + s*math.Log(beta+c.T)
	return 1 / (1 + math.Exp(l))
}

// ExpectedPurchases is E[X(t)] for a customer just acquired.
func (m *ParetoNBD) ExpectedPurchases(t float64) float64 {
	r, alpha, s, beta := m.R, m.Alpha, m.S, m.Beta
	if math.Abs(s-1) < 1e-9 {
		return r * beta / alpha * math.Log((beta+t)/beta)
	}
	return r * beta / (alpha * (s - 1)) * (1 - math.Pow(beta/(beta+t), s-1))
}

// ConditionalExpected is E[Y(t) | x, t_x, T].
func (m *ParetoNBD) ConditionalExpected(c Customer, t float64) float64 {
	return m.conditionalNumerator(c.X, c.T, t) * m.PAlive(c)
}

func (m *ParetoNBD) conditionalNumerator(x, T, t float64) float64 {
	if t <= 0 {
		return 0
	}
	r, alpha, s, beta := m.R, m.Alpha, m.S, m.Beta
	k := (r + x) * (beta + T) / (alpha + T)
	if math.Abs(s-1) < 1e-9 {
		return k * math.Log((beta+T+t)/(beta+T))
	}
	return k / (s - 1) * (1 - math.Pow((beta+T)/(beta+T+t), s-1))
}
