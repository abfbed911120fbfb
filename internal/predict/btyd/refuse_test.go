package btyd

import (
	"errors"
	"math/rand/v2"
	"strings"
	"testing"
)

// Customers who never drop out (wholesale buyers ordering every few weeks)
// drive BG/NBD's drop-out probability to zero: the fit must refuse and say
// so, not print parameters from the edge of the space.
func TestBGNBDRefusesWhenNobodyDropsOut(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	var cs []Customer
	for range 3000 {
		rate := 0.5 + rng.Float64() // purchases per week, forever
		T := 20 + rng.Float64()*32
		var c Customer
		c.T = T
		for at := rng.ExpFloat64() / rate; at < T; at += rng.ExpFloat64() / rate {
			c.X++
			c.Tx = at
		}
		cs = append(cs, c)
	}
	m, err := FitBGNBD(cs)
	if err == nil {
		t.Fatalf("fitted %+v to data with no drop-out", m)
	}
	if !errors.Is(err, ErrNotIdentified) || !strings.Contains(err.Error(), "drop-out") {
		t.Fatalf("error %q does not say why", err)
	}
	t.Log(err)
}

func TestFitRejectsBadInput(t *testing.T) {
	for _, tc := range []struct {
		c    Customer
		want string
	}{
		{Customer{X: 1.5, Tx: 1, T: 2}, "whole number"},
		{Customer{X: 1, Tx: 3, T: 2}, "recency"},
		{Customer{X: 0, Tx: 1, T: 2}, "no repeat"},
		{Customer{X: -1, T: 2}, "whole number"},
	} {
		_, err := FitBGNBD([]Customer{{X: 1, Tx: 1, T: 2}, tc.c})
		if err == nil || !strings.Contains(err.Error(), tc.want) || !strings.Contains(err.Error(), "customer 1") {
			t.Errorf("%+v: error %v, want one naming customer 1 and %q", tc.c, err, tc.want)
		}
	}
	if _, err := FitBGNBD(nil); !errors.Is(err, ErrNotIdentified) {
		t.Errorf("no customers: %v", err)
	}
}
