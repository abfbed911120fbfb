package attribution

import (
	"errors"
	"fmt"

	"gonum.org/v1/gonum/mat"
)

// MaxMarkovOrder is the highest Markov order: a state packs its last k
// channels into 64 bits, 16 bits each.
const MaxMarkovOrder = 4

// MaxMarkovStates bounds the transient states of the chain. Each channel's
// removal effect is one dense LU solve, O(states³); 3,000 states take a few
// seconds per channel, beyond which a higher order has outgrown its data
// anyway.
const MaxMarkovStates = 3000

// MarkovChain credits channels by their removal effects in a Markov chain
// of order k (1 when k is 0) learnt from the journeys, solved exactly on the
// absorbing chain rather than by simulating paths.
//
// The chain has a start state, one transient state per sequence of the last
// k channels, and two absorbing states, conversion and null. Every journey
// contributes its conversions plus nulls as the weight of each of its
// transitions: start → first touch → … → last touch, and last touch →
// conversion (weight: its conversions) and → null (its nulls).
// Non-converting journeys are therefore used: they are what makes a
// channel's exits to null, and without them every path converts. Repeated
// touches are used except when consecutive: "a > a > b" is read "a > b"
// (ChannelAttribution does the same), which for order 1 changes nothing —
// a self-loop does not move absorption probabilities — and for higher
// orders keeps a state from being filled with one channel; non-consecutive
// repeats (a > b > a) stay as loops of the chain.
//
// With x the absorption probabilities into conversion, (I − Q)x = r where
// Q holds the transient transition probabilities and r the one-step
// probabilities of converting; P(conversion) is x at the start state.
// Removing channel c sends every transition into a state that contains c
// to null, i.e. drops those states from the system; the removal effect is
// RE(c) = 1 − P(conversion without c) / P(conversion), and c receives
// total conversions × RE(c) / Σ RE.
//
// Value gets its own removal effects: each state's one-step reward is the
// value its paths converted with when ending there, divided by its
// outgoing weight (the probability of converting from it times the mean
// value of those conversions), so the solution is the expected conversion
// value from each state; removing c, and crediting, follow as for
// conversions. This is the exact counterpart of ChannelAttribution's
// simulation, which draws a conversion's value from those observed after
// the last channel.
func MarkovChain(j *Journeys, order int) (*Result, error) {
	if order == 0 {
		order = 1
	}
	if order < 1 || order > MaxMarkovOrder {
		return nil, fmt.Errorf("markov order %d: want 1 to %d", order, MaxMarkovOrder)
	}
	ch := buildChain(j, order)
	s := len(ch.keys)
	if s > MaxMarkovStates {
		return nil, fmt.Errorf("a markov chain of order %d over these journeys has %d states; the exact solve is limited to %d (use a lower order or group channels)", order, s, MaxMarkovStates)
	}
	k := len(j.channels)
	res := &Result{Model: Markov, RemovalEffects: make(map[string]float64, k), ValueRemovalEffects: make(map[string]float64, k),
		Method: fmt.Sprintf("exact absorbing-chain solve, order %d", order)}
	conv, value := make([]float64, k), make([]float64, k)
	totalConv, totalValue, _ := j.Totals()
	if ch.out[0] == 0 {
		// No journey with any weight: nothing to credit.
		for _, name := range j.channels {
			res.RemovalEffects[name], res.ValueRemovalEffects[name] = 0, 0
		}
		res.Credits = newResult(j, Markov, conv, value).Credits
		return res, nil
	}
	// a = I − Q and b = [r, r_value] over all transient states.
	a := mat.NewDense(s, s, nil)
	b := mat.NewDense(s, 2, nil)
	for i := range s {
		a.Set(i, i, 1)
		b.Set(i, 0, ch.toConv[i]/ch.out[i])
		b.Set(i, 1, ch.valueAt[i]/ch.out[i])
	}
	for ft, w := range ch.trans {
		from, to := int(ft>>32), int(uint32(ft))
		a.Set(from, to, a.At(from, to)-w/ch.out[from])
	}
	base, err := solveStart(a, b, nil)
	if err != nil {
		return nil, err
	}
	keep := make([]int, 0, s)
	re, rev := make([]float64, k), make([]float64, k)
	var sumRE, sumREV float64
	for c := range k {
		keep = keep[:0]
		removed := false
		for st, key := range ch.keys {
			if containsChannel(key, uint16(c)) {
				removed = true
			} else {
				keep = append(keep, st)
			}
		}
		if removed {
			x, err := solveStart(a, b, keep)
			if err != nil {
				return nil, err
			}
			if base[0] > 0 {
				re[c] = clamp01(1 - x[0]/base[0])
			}
			if base[1] > 0 {
				rev[c] = clamp01(1 - x[1]/base[1])
			}
		}
		sumRE += re[c]
		sumREV += rev[c]
		res.RemovalEffects[j.channels[c]] = re[c]
		res.ValueRemovalEffects[j.channels[c]] = rev[c]
	}
	for c := range k {
		if sumRE > 0 {
			conv[c] = totalConv * re[c] / sumRE
		}
		if sumREV > 0 {
			value[c] = totalValue * rev[c] / sumREV
		}
	}
	res.Credits = newResult(j, Markov, conv, value).Credits
	return res, nil
}

// clamp01 removes the rounding noise of the solve (a removal effect of
// −1e−17 is 0).
func clamp01(x float64) float64 { return min(max(x, 0), 1) }

// containsChannel reports whether a state key holds channel c.
func containsChannel(key uint64, c uint16) bool {
	for ; key != 0; key >>= 16 {
		if uint16(key) == c+1 {
			return true
		}
	}
	return false
}

// solveStart solves the system restricted to the states in keep (all when
// nil; the start state, 0, must come first) and returns the solution at the
// start state: the probability of conversion and the expected value.
func solveStart(a, b *mat.Dense, keep []int) ([2]float64, error) {
	if keep != nil {
		n := len(keep)
		sa, sb := mat.NewDense(n, n, nil), mat.NewDense(n, 2, nil)
		for i, si := range keep {
			for jj, sj := range keep {
				sa.Set(i, jj, a.At(si, sj))
			}
			sb.Set(i, 0, b.At(si, 0))
			sb.Set(i, 1, b.At(si, 1))
		}
		a, b = sa, sb
	}
	var x mat.Dense
	if err := x.Solve(a, b); err != nil {
		// An ill-conditioned but solved system still answers; only a
		// singular one (a state with no way out, which journeys cannot
		// produce) is an error.
		var c mat.Condition
		if !errors.As(err, &c) {
			return [2]float64{}, fmt.Errorf("markov chain solve: %w", err)
		}
	}
	return [2]float64{x.At(0, 0), x.At(0, 1)}, nil
}

// chain is the Markov chain counted from journeys: transition weights
// between transient states (state 0 is the start) and into the absorbing
// conversion and null states.
type chain struct {
	keys    []uint64           // state → its last channels, 16 bits each (id+1), 0 for start
	trans   map[uint64]float64 // from<<32 | to → weight
	toConv  []float64          // state → weight of conversions ending there
	valueAt []float64          // state → conversion value of paths ending there
	out     []float64          // state → total outgoing weight
}

// denseOrder1Max is the most channels for which the order-1 chain is
// counted in a dense channels² matrix; beyond it (where the states would
// exceed MaxMarkovStates unless most channels are unvisited) the map-based
// counting of higher orders is used, which costs memory per visited state
// only. A variable so tests can compare the two.
var denseOrder1Max = MaxMarkovStates

func buildChain(j *Journeys, order int) *chain {
	if order == 1 && len(j.channels) <= denseOrder1Max {
		return buildChain1(j)
	}
	ch := &chain{trans: map[uint64]float64{}}
	ids := map[uint64]int{}
	state := func(key uint64) int {
		if id, ok := ids[key]; ok {
			return id
		}
		id := len(ch.keys)
		ids[key] = id
		ch.keys = append(ch.keys, key)
		ch.toConv = append(ch.toConv, 0)
		ch.valueAt = append(ch.valueAt, 0)
		ch.out = append(ch.out, 0)
		return id
	}
	state(0)
	mask := ^uint64(0)
	if order < 4 {
		mask = 1<<(16*order) - 1
	}
	for i := range j.ends {
		w := j.conv[i] + j.nulls[i]
		if w == 0 {
			continue
		}
		prev, key, last := 0, uint64(0), -1
		for _, c := range j.path(i) {
			if int(c) == last {
				continue
			}
			last = int(c)
			key = (key<<16 | uint64(c) + 1) & mask
			s := state(key)
			ch.trans[uint64(prev)<<32|uint64(s)] += w
			ch.out[prev] += w
			prev = s
		}
		ch.toConv[prev] += j.conv[i]
		ch.valueAt[prev] += j.value[i]
		ch.out[prev] += w
	}
	return ch
}

// buildChain1 counts an order-1 chain, where a state is a channel: the
// transitions go into a dense matrix indexed by channel id + 1 (0 is the
// start), with no map look-up per touch, and only visited states are kept
// so that a channel seen on no weighted journey leaves the system regular.
func buildChain1(j *Journeys) *chain {
	k1 := len(j.channels) + 1
	dense := make([]float64, k1*k1)
	toConv, valueAt, out := make([]float64, k1), make([]float64, k1), make([]float64, k1)
	for i := range j.ends {
		w := j.conv[i] + j.nulls[i]
		if w == 0 {
			continue
		}
		prev := 0
		for _, c := range j.path(i) {
			s := int(c) + 1
			if s == prev {
				continue
			}
			dense[prev*k1+s] += w
			out[prev] += w
			prev = s
		}
		toConv[prev] += j.conv[i]
		valueAt[prev] += j.value[i]
		out[prev] += w
	}
	ch := &chain{trans: map[uint64]float64{}}
	id := make([]int, k1)
	for s := range k1 {
		if s > 0 && out[s] == 0 {
			id[s] = -1
			continue
		}
		id[s] = len(ch.keys)
		ch.keys = append(ch.keys, uint64(s)) // the start's key is 0, a channel's its id + 1
		ch.toConv = append(ch.toConv, toConv[s])
		ch.valueAt = append(ch.valueAt, valueAt[s])
		ch.out = append(ch.out, out[s])
	}
	for s := range k1 {
		for t := range k1 {
			if w := dense[s*k1+t]; w != 0 {
				ch.trans[uint64(id[s])<<32|uint64(id[t])] = w
			}
		}
	}
	return ch
}
