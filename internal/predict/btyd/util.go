package btyd

import (
	"fmt"
	"math"
)

func lgamma(x float64) float64 {
	v, _ := math.Lgamma(x)
	return v
}

// checkData rejects histories that no model can use, naming the first.
func checkData(cs []Customer) error {
	if len(cs) == 0 {
		return fmt.Errorf("%w: no customers", ErrNotIdentified)
	}
	for i, c := range cs {
		switch {
		case !(c.X >= 0) || c.X != math.Trunc(c.X):
			return fmt.Errorf("customer %d: frequency %v is not a whole number ≥ 0", i, c.X)
		case !(c.T >= 0) || math.IsInf(c.T, 0):
			return fmt.Errorf("customer %d: T %v is not a finite number ≥ 0", i, c.T)
		case !(c.Tx >= 0) || c.Tx > c.T:
			return fmt.Errorf("customer %d: recency %v is not between 0 and T = %v", i, c.Tx, c.T)
		case c.X == 0 && c.Tx != 0:
			return fmt.Errorf("customer %d: recency %v with no repeat purchase (must be 0)", i, c.Tx)
		}
	}
	return nil
}

func meanT(cs []Customer) float64 {
	var s float64
	for _, c := range cs {
		s += c.T
	}
	m := s / float64(len(cs))
	if m <= 0 {
		return 1
	}
	return m
}
