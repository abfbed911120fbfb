package demo

import (
	"math"
	"math/rand/v2"
)

// newRand returns a PCG generator for one independent stream of the run.
// Every person, and every ad-spend day, draws from its own stream, so what
// one person does never depends on how the merge interleaves the others:
// that is what makes the output deterministic.
func newRand(seed, stream uint64) *rand.Rand {
	return rand.New(rand.NewPCG(seed, mix64(stream^0x2545f4914f6cdd1d)))
}

// gammaRand draws from Gamma(shape, 1) by Marsaglia and Tsang's method,
// with the usual U^(1/shape) boost for shape < 1.
func gammaRand(r *rand.Rand, shape float64) float64 {
	if shape < 1 {
		u := r.Float64()
		for u == 0 {
			u = r.Float64()
		}
		return gammaRand(r, shape+1) * math.Pow(u, 1/shape)
	}
	d := shape - 1.0/3
	c := 1 / math.Sqrt(9*d)
	for {
		x := r.NormFloat64()
		v := 1 + c*x
		if v <= 0 {
			continue
		}
		v = v * v * v
		u := r.Float64()
		if u < 1-0.0331*x*x*x*x {
			return d * v
		}
		if u > 0 && math.Log(u) < 0.5*x*x+d*(1-v+math.Log(v)) {
			return d * v
		}
	}
}

// betaRand draws from Beta(a, b) as a ratio of gammas.
func betaRand(r *rand.Rand, a, b float64) float64 {
	x := gammaRand(r, a)
	y := gammaRand(r, b)
	if x+y == 0 {
		return 0.5
	}
	return x / (x + y)
}

// uniform returns a float in [lo, hi).
func uniform(r *rand.Rand, lo, hi float64) float64 {
	return lo + (hi-lo)*r.Float64()
}

// chance reports true with probability p.
func chance(r *rand.Rand, p float64) bool {
	return r.Float64() < p
}

// pick returns a uniformly chosen element.
func pick[T any](r *rand.Rand, xs []T) T {
	return xs[r.IntN(len(xs))]
}

// weights is a cumulative weight table for weighted choice.
type weights []float64

func cumulative(ws ...float64) weights {
	out := make(weights, len(ws))
	s := 0.0
	for i, w := range ws {
		s += w
		out[i] = s
	}
	return out
}

// draw returns an index with probability proportional to its weight.
func (w weights) draw(r *rand.Rand) int {
	x := r.Float64() * w[len(w)-1]
	lo, hi := 0, len(w)-1
	for lo < hi {
		m := (lo + hi) / 2
		if w[m] > x {
			hi = m
		} else {
			lo = m + 1
		}
	}
	return lo
}

// poisson draws a small Poisson count by multiplication of uniforms (the
// means used here are below 5).
func poisson(r *rand.Rand, mean float64) int {
	l := math.Exp(-mean)
	k := 0
	p := r.Float64()
	for p > l {
		k++
		p *= r.Float64()
	}
	return k
}
