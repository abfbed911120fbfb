package btyd

import (
	"fmt"
	"math"
	"testing"
)

func TestTraceTmp(t *testing.T) {
	_, sum := millionData(t)
	var xs, zs []float64
	for _, c := range sum.Customers {
		if c.X >= 1 && c.Monetary > 0 {
			xs = append(xs, c.X)
			zs = append(zs, c.Monetary)
		}
	}
	f := ggObjective(xs, zs)
	k := 0
	tr := func(th, g []float64) float64 {
		v := f(th, g)
		k++
		if g != nil {
			fmt.Printf("%d f=%.17g |g|=%.3g th=%v\n", k, v, math.Max(math.Abs(g[0]), math.Max(math.Abs(g[1]), math.Abs(g[2]))), th)
		}
		return v
	}
	th, it, ev, _, err := minimize(tr, []float64{0, 0, 3})
	fmt.Println(th, it, ev, err)
}
