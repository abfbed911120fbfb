// Package btyd fits the "buy till you die" models of customer-base analysis
// — BG/NBD (Fader, Hardie & Lee 2005), Pareto/NBD (Schmittlein, Morrison &
// Colombo 1987) and the Gamma-Gamma spend model (Fader & Hardie 2013) — by
// maximum likelihood, and scores customers with them: probability of being
// alive, expected purchases over a horizon, expected spend and discounted
// lifetime value.
//
// Every likelihood is computed in log space with log-sum-exp, so customers
// with hundreds of purchases neither overflow nor lose precision, and the
// fits refuse (with a reason) instead of returning parameters that ran off
// to a bound: wholesale-like data where nobody ever drops out drives BG/NBD's
// b to infinity, and a number printed from such a fit would be garbage.
package btyd

import (
	"cmp"
	"slices"
)

// Customer is one customer's history in the models' terms, in periods (days
// or weeks) since their first purchase: X repeat purchases (purchase days
// after the first), the last at Tx, observed until T. Monetary is the mean
// value of the repeat purchases (0 without any).
type Customer struct {
	X, Tx, T float64
	Monetary float64
}

// group is a set of customers with the same (x, t_x, T): the likelihoods
// depend on nothing else, so a data set of a million customers, most of
// them one-time buyers sharing a handful of T values, is evaluated once per
// distinct history, weighted by how many share it.
type group struct {
	x, tx, t float64
	w        float64
	// itx and it index tx and t in compressed.vals.
	itx, it int32
}

// xRun is a run of groups with the same x: terms that depend only on x and
// the parameters (log-gamma, digamma) are computed once per run.
type xRun struct {
	x          float64
	start, end int
}

// compressed is a data set grouped for fast likelihood evaluation.
type compressed struct {
	groups []group
	runs   []xRun
	n      float64
	// vals are the distinct values of t_x and T, ascending: a likelihood
	// takes log(α + v) once per value (ages and recencies in whole days
	// take a few hundred values among a million customers).
	vals []float64
}

func compress(cs []Customer) compressed {
	// Sorting the customers by (x, T, t_x) and merging equal neighbours
	// groups them in the order the likelihood wants; a map of a million
	// distinct histories cost more than the sort it saved.
	gs := make([]group, len(cs))
	for i, c := range cs {
		gs[i] = group{x: c.X, tx: c.Tx, t: c.T, w: 1}
	}
	slices.SortFunc(gs, func(a, b group) int {
		if c := cmp.Compare(a.x, b.x); c != 0 {
			return c
		}
		if c := cmp.Compare(a.t, b.t); c != 0 {
			return c
		}
		return cmp.Compare(a.tx, b.tx)
	})
	n := 0
	for _, g := range gs {
		if n > 0 && gs[n-1].x == g.x && gs[n-1].t == g.t && gs[n-1].tx == g.tx {
			gs[n-1].w++
			continue
		}
		gs[n] = g
		n++
	}
	gs = slices.Clip(gs[:n])
	vals := make([]float64, 0, 2*len(gs))
	for _, g := range gs {
		vals = append(vals, g.tx, g.t)
	}
	slices.Sort(vals)
	vals = slices.Compact(vals)
	for i := range gs {
		tx, _ := slices.BinarySearch(vals, gs[i].tx)
		t, _ := slices.BinarySearch(vals, gs[i].t)
		gs[i].itx, gs[i].it = int32(tx), int32(t)
	}
	var runs []xRun
	for i := 0; i < len(gs); {
		j := i
		for j < len(gs) && gs[j].x == gs[i].x {
			j++
		}
		runs = append(runs, xRun{x: gs[i].x, start: i, end: j})
		i = j
	}
	return compressed{groups: gs, runs: runs, n: float64(len(cs)), vals: vals}
}
