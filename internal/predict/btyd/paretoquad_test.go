package btyd

import (
	"math"
	"testing"

	"gonum.org/v1/gonum/integrate/quad"
)

// The death term by the change of variable and 24 nodes against a brute
// 4,000-node Gauss–Legendre rule on the plain integrand (scaled to stay
// finite), over ordinary and extreme parameters: heavy buyers, long
// histories, β far above α and the reverse, s and β running off together.
func TestDeathIntegralAgainstBruteForce(t *testing.T) {
	cases := []struct{ a, b, alpha, beta, p, q float64 }{
		{0, 38.9, 10.6, 11.7, 0.55, 1.6},
		{30.4, 38.9, 10.6, 11.7, 2.55, 1.6},
		{38, 40, 4, 4.5, 200.25, 1.6},
		{1, 100, 1, 1000, 50, 2},
		{0, 52, 21, 12000, 0.7, 165},
		{0, 52, 21, 1e5, 0.7, 1300},
		{5, 60, 500, 2, 3, 1.1},
		{0, 0.5, 0.01, 0.02, 0.1, 1.01},
	}
	for _, c := range cases {
		// Brute force, scaled by the integrand at a.
		ref := -c.p*math.Log(c.alpha+c.a) - c.q*math.Log(c.beta+c.a)
		f := func(tau float64) float64 {
			return math.Exp(-c.p*math.Log(c.alpha+tau) - c.q*math.Log(c.beta+tau) - ref)
		}
		want := math.Log(quad.Fixed(f, c.a, c.b, 4000, quad.Legendre{}, 0)) + ref
		got := logDeathIntegral(c.a, c.b, c.alpha, c.beta, c.p, c.q)
		if math.Abs(got-want) > 1e-6*math.Max(1, math.Abs(want)) {
			t.Errorf("%+v: %.12g, brute force %.12g", c, got, want)
		}
	}
	if v := logDeathIntegral(5, 5, 1, 1, 1, 2); !math.IsInf(v, -1) {
		t.Errorf("empty interval: %v", v)
	}
}
