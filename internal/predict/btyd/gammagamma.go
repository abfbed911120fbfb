package btyd

import (
	"fmt"
	"math"

	"gonum.org/v1/gonum/mathext"
	"gonum.org/v1/gonum/stat"
)

// GammaGamma is a fitted Gamma-Gamma spend model (Fader & Hardie 2013): a
// customer's transaction values are Gamma(p, ν) around their own mean, and
// ν varies across customers as Gamma(q, γ). It assumes spend is
// independent of purchase frequency; FreqMonetaryCorr reports the data's
// correlation so a reader can judge.
type GammaGamma struct {
	P     float64 `json:"p"`
	Q     float64 `json:"q"`
	Gamma float64 `json:"gamma"`
	// FreqMonetaryCorr is the Pearson correlation of frequency and mean
	// repeat spend among the repeat buyers the model was fitted to: near 0
	// supports the independence assumption.
	FreqMonetaryCorr float64 `json:"frequency_monetary_correlation"`
	// Excluded counts repeat buyers left out for a mean repeat spend ≤ 0.
	Excluded int `json:"excluded_nonpositive_spend"`
	Fit
}

var ggNames = []string{"p", "q", "gamma"}

// GammaGammaLogLikelihood is one repeat buyer's log-likelihood of mean
// spend c.Monetary over c.X transactions.
func GammaGammaLogLikelihood(p, q, gamma float64, c Customer) float64 {
	x, z := c.X, c.Monetary
	return lgamma(p*x+q) - lgamma(p*x) - lgamma(q) + q*math.Log(gamma) +
		(p*x-1)*math.Log(z) + p*x*math.Log(x) - (p*x+q)*math.Log(gamma+x*z)
}

// FitGammaGamma fits the spend model to the repeat buyers among cs (X ≥ 1
// and Monetary > 0); the others carry no information about spend
// variation.
func FitGammaGamma(cs []Customer) (*GammaGamma, error) {
	var xs, zs []float64
	excluded := 0
	for i, c := range cs {
		if c.X < 1 {
			continue
		}
		if math.IsNaN(c.Monetary) || math.IsInf(c.Monetary, 0) {
			return nil, fmt.Errorf("customer %d: mean spend %v is not a number", i, c.Monetary)
		}
		if c.Monetary <= 0 {
			// Free or refunded-away repeat orders: a Gamma has no mass
			// there. Counted, so a report can say how many.
			excluded++
			continue
		}
		xs = append(xs, c.X)
		zs = append(zs, c.Monetary)
	}
	if len(xs) < 10 {
		return nil, fmt.Errorf("Gamma-Gamma: %w: %d repeat buyers with spend (at least 10 needed)", ErrNotIdentified, len(xs))
	}
	n := float64(len(xs))
	lx := make([]float64, len(xs))
	lz := make([]float64, len(xs))
	for i := range xs {
		lx[i], lz[i] = math.Log(xs[i]), math.Log(zs[i])
	}
	f := func(theta, grad []float64) float64 {
		p, q, g := math.Exp(theta[0]), math.Exp(theta[1]), math.Exp(theta[2])
		lgq, lg := lgamma(q), math.Log(g)
		var psq float64
		if grad != nil {
			psq = mathext.Digamma(q)
		}
		var ll, dp, dq, dg float64
		for i, x := range xs {
			z := zs[i]
			px := p * x
			lgz := math.Log(g + x*z)
			ll += lgamma(px+q) - lgamma(px) - lgq + q*lg + (px-1)*lz[i] + px*lx[i] - (px+q)*lgz
			if grad != nil {
				pspq := mathext.Digamma(px + q)
				dp += x * (pspq - mathext.Digamma(px) + lz[i] + lx[i] - lgz)
				dq += pspq - psq + lg - lgz
				dg += q/g - (px+q)/(g+x*z)
			}
		}
		if grad != nil {
			grad[0] = -dp * p / n
			grad[1] = -dq * q / n
			grad[2] = -dg * g / n
		}
		return -ll / n
	}
	start := []float64{0, 0, math.Log(stat.Mean(zs, nil))}
	theta, iters, evals, method, err := minimize(f, start)
	if err != nil {
		return nil, fmt.Errorf("Gamma-Gamma: %w", err)
	}
	p := expAll(theta)
	if err := checkBounds(ggNames, p); err != nil {
		return nil, fmt.Errorf("Gamma-Gamma: %w", err)
	}
	m := &GammaGamma{P: p[0], Q: p[1], Gamma: p[2], FreqMonetaryCorr: stat.Correlation(xs, zs, nil), Excluded: excluded}
	m.LogLikelihood = -f(theta, nil) * n
	m.Iterations, m.Evaluations, m.Method, m.Customers = iters, evals, method, len(xs)
	m.StdErrors = stdErrors(func(t []float64) float64 { return f(t, nil) * n }, theta)
	if m.Q <= 1 {
		return m, fmt.Errorf("Gamma-Gamma: %w: q = %.3g ≤ 1, so expected spend is infinite (spend is too heavy-tailed for the model)", ErrNotIdentified, m.Q)
	}
	return m, nil
}

// Params are the model's parameters in the order p, q, γ.
func (m *GammaGamma) Params() []float64 { return []float64{m.P, m.Q, m.Gamma} }

// ExpectedSpend is a customer's expected mean transaction value given their
// history: a weighted mean of the population's and their own; the
// population mean p·γ/(q−1) for customers without repeat purchases.
func (m *GammaGamma) ExpectedSpend(c Customer) float64 {
	if c.X < 1 || !(c.Monetary > 0) {
		return m.P * m.Gamma / (m.Q - 1)
	}
	return m.P * (m.Gamma + c.X*c.Monetary) / (m.P*c.X + m.Q - 1)
}
