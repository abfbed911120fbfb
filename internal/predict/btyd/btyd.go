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
	"math"
	"math/bits"
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
	if c, ok := compressByKeys(cs); ok {
		return c
	}
	return compressSorted(cs)
}

// compressSorted is compress for any data.
func compressSorted(cs []Customer) compressed {
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
	return compressed{groups: gs, runs: xRuns(gs), n: float64(len(cs)), vals: vals}
}

// xRuns are the runs of groups (sorted by x) with the same x.
func xRuns(gs []group) []xRun {
	var runs []xRun
	for i := 0; i < len(gs); {
		j := i
		for j < len(gs) && gs[j].x == gs[i].x {
			j++
		}
		runs = append(runs, xRun{x: gs[i].x, start: i, end: j})
		i = j
	}
	return runs
}

// Key layout of compressByKeys: x in the top bits, then the ranks of T and
// t_x among the distinct values, 21 bits each.
const (
	rankBits = 21
	maxRank  = 1<<rankBits - 1
	maxKeyX  = 1<<(64-2*rankBits) - 1
)

// compressByKeys is compress for the usual data: whole x below 2^22 and at
// most 2^21 distinct values of T and t_x (ages in whole days or weeks take
// a few hundred). Each customer becomes one integer (x, rank of T, rank of
// t_x), and sorting a million integers takes a fraction of sorting the
// histories by three floats (0.5 s of a million-customer fit). ok is false
// when the data does not fit the keys.
func compressByKeys(cs []Customer) (c compressed, ok bool) {
	// The distinct values, numbered as they come, then ranked.
	ids := map[float64]int32{}
	var vals []float64
	id := func(v float64) int32 {
		if i, ok := ids[v]; ok {
			return i
		}
		i := int32(len(vals))
		ids[v] = i
		vals = append(vals, v)
		return i
	}
	type pair struct{ t, tx int32 }
	pairs := make([]pair, len(cs))
	var lastT float64
	var lastID int32 = -1
	for i, cu := range cs {
		if !(cu.X >= 0 && cu.X <= maxKeyX && cu.X == math.Trunc(cu.X)) || math.IsNaN(cu.T) || math.IsNaN(cu.Tx) {
			return c, false
		}
		// Neighbours often share T (a day's new customers).
		if lastID < 0 || cu.T != lastT {
			lastT, lastID = cu.T, id(cu.T)
		}
		pairs[i] = pair{lastID, id(cu.Tx)}
		if len(vals) > maxRank {
			return c, false
		}
	}
	order := make([]int32, len(vals))
	for i := range order {
		order[i] = int32(i)
	}
	slices.SortFunc(order, func(a, b int32) int { return cmp.Compare(vals[a], vals[b]) })
	rank := make([]uint64, len(vals))
	sorted := make([]float64, len(vals))
	for r, i := range order {
		rank[i], sorted[r] = uint64(r), vals[i]
	}
	keys := make([]uint64, len(cs))
	var top uint64
	for i, cu := range cs {
		keys[i] = uint64(cu.X)<<(2*rankBits) | rank[pairs[i].t]<<rankBits | rank[pairs[i].tx]
		top |= keys[i]
	}
	radixSort(keys, bits.Len64(top))
	distinct := 0
	for i, k := range keys {
		if i == 0 || keys[i-1] != k {
			distinct++
		}
	}
	gs := make([]group, 0, distinct)
	for i, k := range keys {
		if i > 0 && keys[i-1] == k {
			gs[len(gs)-1].w++
			continue
		}
		it, itx := int32(k>>rankBits&maxRank), int32(k&maxRank)
		gs = append(gs, group{x: float64(k >> (2 * rankBits)), t: sorted[it], tx: sorted[itx], w: 1, it: it, itx: itx})
	}
	return compressed{groups: gs, runs: xRuns(gs), n: float64(len(cs)), vals: sorted}, true
}

// radixSort sorts keys whose set bits are all below bit width, by their
// digits of radixBits from the lowest (each pass a stable counting sort):
// a million keys of 50 bits in five linear passes, a fraction of a
// comparison sort's time.
func radixSort(keys []uint64, width int) {
	const radixBits = 11
	if len(keys) < 1<<radixBits {
		slices.Sort(keys)
		return
	}
	buf := make([]uint64, len(keys))
	src, dst := keys, buf
	var count [1 << radixBits]int
	for shift := 0; shift < width; shift += radixBits {
		clear(count[:])
		for _, k := range src {
			count[k>>shift&(1<<radixBits-1)]++
		}
		pos := 0
		for d, c := range count {
			count[d] = pos
			pos += c
		}
		for _, k := range src {
			d := k >> shift & (1<<radixBits - 1)
			dst[count[d]] = k
			count[d]++
		}
		src, dst = dst, src
	}
	if &src[0] != &keys[0] {
		copy(keys, src)
	}
}
