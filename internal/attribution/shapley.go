package attribution

import "math/bits"

// ShapleySubsetMax is the number of converting channels up to which
// ShapleyValue evaluates the Shapley formula over every coalition (2^15
// masks); beyond it the equivalent closed form is used.
const ShapleySubsetMax = 15

// ShapleyValue credits channels by the Shapley value of the cooperative
// game whose worth v(S) is the conversions (for value credit: the
// conversion value) of the journeys whose set of channels lies within S —
// the "simplified Shapley value" of Zhao et al. (2018), "Shapley Value
// Methods for Attribution Modeling in Online Advertising". Only converting
// journeys count (v counts conversions), and only the set of channels on a
// path matters: order and repeated touches do not. Credits sum to the
// totals, and symmetric channels get equal credit, by the Shapley axioms.
//
// Up to ShapleySubsetMax channels on converting journeys the value is
// computed from its definition over coalitions: the conversions per exact
// channel set are summed into v(S) for all 2^n coalitions by a subset-sum
// (zeta) transform, O(n·2^n), and φ_i = Σ_{S∌i} |S|!(n−|S|−1)!/n! ·
// (v(S∪{i}) − v(S)). Beyond that no sampling is needed: this v is a sum of
// unanimity games (the conversions of each exact channel set T are
// T's Harsanyi dividend), so φ_i = Σ_{T∋i} v_T/|T| exactly — each
// converting journey splits its conversions equally over its distinct
// channels — in time linear in the touches. Both give the same numbers
// (tests check it); the subset route is kept because it is the definition,
// and Result.Method says which ran.
func ShapleyValue(j *Journeys) *Result {
	k := len(j.channels)
	// Channels on converting journeys are the players; the others are null
	// players with credit 0.
	bit := make([]int, k)
	for i := range bit {
		bit[i] = -1
	}
	var players []int
	for i := range j.ends {
		if j.conv[i] == 0 && j.value[i] == 0 {
			continue
		}
		for _, c := range j.path(i) {
			if bit[c] < 0 {
				bit[c] = len(players)
				players = append(players, int(c))
			}
		}
	}
	if len(players) <= ShapleySubsetMax {
		return shapleySubsets(j, bit, players)
	}
	return shapleyDividends(j)
}

// shapleySubsets evaluates the Shapley formula over every coalition of the
// players (bit[c] is channel c's bit, players[b] the channel of bit b).
func shapleySubsets(j *Journeys, bit []int, players []int) *Result {
	n := len(players)
	size := 1 << n
	vc, vv := make([]float64, size), make([]float64, size)
	for i := range j.ends {
		if j.conv[i] == 0 && j.value[i] == 0 {
			continue
		}
		m := 0
		for _, c := range j.path(i) {
			m |= 1 << bit[c]
		}
		vc[m] += j.conv[i]
		vv[m] += j.value[i]
	}
	// Zeta transform: v(S) = Σ_{T⊆S} w(T).
	for b := range n {
		for m := range size {
			if m&(1<<b) != 0 {
				vc[m] += vc[m^1<<b]
				vv[m] += vv[m^1<<b]
			}
		}
	}
	// coef[s] = s!(n−s−1)!/n! = 1/(n·C(n−1, s)).
	coef := make([]float64, n)
	binom := 1.0
	for s := range n {
		coef[s] = 1 / (float64(n) * binom)
		binom = binom * float64(n-1-s) / float64(s+1)
	}
	k := len(j.channels)
	conv, value := make([]float64, k), make([]float64, k)
	for b, c := range players {
		var pc, pv float64
		for m := range size {
			if m&(1<<b) != 0 {
				continue
			}
			w := coef[bits.OnesCount(uint(m))]
			pc += w * (vc[m|1<<b] - vc[m])
			pv += w * (vv[m|1<<b] - vv[m])
		}
		conv[c], value[c] = pc, pv
	}
	r := newResult(j, Shapley, conv, value)
	r.Method = "subsets"
	return r
}

// shapleyDividends is the closed form: each converting journey's
// conversions and value split equally over its distinct channels.
func shapleyDividends(j *Journeys) *Result {
	k := len(j.channels)
	conv, value := make([]float64, k), make([]float64, k)
	seen := make([]int, k) // journey index + 1 that last counted the channel
	distinct := make([]uint16, 0, 16)
	for i := range j.ends {
		if j.conv[i] == 0 && j.value[i] == 0 {
			continue
		}
		distinct = distinct[:0]
		for _, c := range j.path(i) {
			if seen[c] != i+1 {
				seen[c] = i + 1
				distinct = append(distinct, c)
			}
		}
		sc, sv := j.conv[i]/float64(len(distinct)), j.value[i]/float64(len(distinct))
		for _, c := range distinct {
			conv[c] += sc
			value[c] += sv
		}
	}
	r := newResult(j, Shapley, conv, value)
	r.Method = "dividends"
	return r
}
