package experiment

import "testing"

// BenchmarkAnalyze times a three-arm CUPED analysis: the statistics are
// closed-form, so this is the cost of an API call, not of the data.
func BenchmarkAnalyze(b *testing.B) {
	v := func(name string, n int64, sum float64) Variant {
		return Variant{Name: name, Stat: Stat{Type: Mean, N: n, Sum: sum, SumSquares: sum * 40},
			Pre: &Covariate{Sum: sum / 2, SumSquares: sum * 12, SumProducts: sum * 15}}
	}
	vs := []Variant{v("control", 3407, 1396.87), v("b", 3461, 2422.7), v("c", 3390, 1500)}
	for b.Loop() {
		if _, err := Analyze(vs, nil, Options{}); err != nil {
			b.Fatal(err)
		}
	}
}
