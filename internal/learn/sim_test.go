package learn

import (
	"math"
	"math/rand/v2"
)

// simulate draws n rows of p standard-normal features and labels from
// P(y=1|x) = sigmoid(logit(x)); it returns the data and the true
// probabilities, so tests can compare models with the truth.
func simulate(n, p int, seed uint64, logit func(x []float64) float64) (Dataset, []float64) {
	r := rand.New(rand.NewPCG(seed, 7))
	d := Dataset{X: make([][]float64, n), Y: make([]float64, n)}
	truth := make([]float64, n)
	for i := range d.X {
		x := make([]float64, p)
		for j := range x {
			x[j] = r.NormFloat64()
		}
		d.X[i] = x
		truth[i] = 1 / (1 + math.Exp(-logit(x)))
		if r.Float64() < truth[i] {
			d.Y[i] = 1
		}
	}
	for j := 0; j < p; j++ {
		d.Names = append(d.Names, string(rune('a'+j)))
	}
	return d, truth
}

func linearLogit(b0 float64, b ...float64) func(x []float64) float64 {
	return func(x []float64) float64 {
		s := b0
		for j, c := range b {
			s += c * x[j]
		}
		return s
	}
}

// interactionLogit is invisible to a linear model: an XOR of signs plus a
// symmetric bump, both with zero linear correlation with the label.
func interactionLogit(x []float64) float64 {
	s := -0.3
	if (x[0] > 0) == (x[1] > 0) {
		s += 1.5
	} else {
		s -= 1.5
	}
	s += 1.2 * (x[2]*x[2] - 1)
	return s
}
