package attribution

import (
	"math"
	"math/rand/v2"
	"strings"
	"testing"
)

func read(t *testing.T, file string) *Journeys {
	t.Helper()
	j, err := ReadPaths(strings.NewReader(file))
	if err != nil {
		t.Fatal(err)
	}
	return j
}

func near(a, b float64) bool { return math.Abs(a-b) <= 1e-9*math.Max(1, math.Abs(b)) }

// credits maps channel → [conversions, value].
func credits(r *Result) map[string][2]float64 {
	m := map[string][2]float64{}
	for _, c := range r.Credits {
		m[c.Channel] = [2]float64{c.Conversions, c.Value}
	}
	return m
}

func checkConv(t *testing.T, r *Result, want map[string]float64) {
	t.Helper()
	got := credits(r)
	for ch, w := range want {
		if !near(got[ch][0], w) {
			t.Errorf("%s: %s got %.12g conversions, want %.12g", r.Model, ch, got[ch][0], w)
		}
	}
	if len(got) != len(want) {
		t.Errorf("%s: channels %v, want those of %v", r.Model, got, want)
	}
}

// The first acceptance case of issue 8: the removal effects and credits
// follow by hand from P(conversion) = 2/3·1/2·1/2 + 1/3·1/2 = 1/3.
const issueCase1 = `path;total_conversions;total_conversion_value;total_null
C1 > C2 > C3;1;10;0
C1;0;0;1
C2 > C3;0;0;1
`

func TestMarkovIssueCase1(t *testing.T) {
	for _, order := range []int{1, 2} {
		r, err := MarkovChain(read(t, issueCase1), order)
		if err != nil {
			t.Fatal(err)
		}
		for ch, want := range map[string]float64{"C1": 0.5, "C2": 1, "C3": 1} {
			if !near(r.RemovalEffects[ch], want) {
				t.Errorf("order %d: removal effect %s = %.12g, want %g", order, ch, r.RemovalEffects[ch], want)
			}
		}
		checkConv(t, r, map[string]float64{"C1": 0.2, "C2": 0.4, "C3": 0.4})
		// One converting path: value removal effects equal the conversion
		// ones, so value splits 2/4/4.
		if v := credits(r); !near(v["C1"][1], 2) || !near(v["C2"][1], 4) || !near(v["C3"][1], 4) {
			t.Errorf("order %d: value credits %v", order, v)
		}
	}
	// A consecutive repeat is read as one touch: same chain, same answer.
	r, err := MarkovChain(read(t, strings.Replace(issueCase1, "C1 > C2 > C3", "C1 > C1 > C2 > C3 > C3", 1)), 1)
	if err != nil {
		t.Fatal(err)
	}
	checkConv(t, r, map[string]float64{"C1": 0.2, "C2": 0.4, "C3": 0.4})
}

// The second acceptance case, with values added: P(conversion) = 4/5·3/4 +
// 1/5 = 0.8; without google 0.2 (RE 0.75), without mailing 0.4 (RE 0.5).
// Expected value: rewards google 20/4, mailing 40/2; E = 4/5·(5 + 1/4·20) +
// 1/5·20 = 12; without google 4, without mailing 4: both value removal
// effects 2/3, so the 60 of value splits 30/30.
const issueCase2 = `path;total_conversions;total_conversion_value;total_null
google;2;20;1
mailing;1;30;0
google > mailing;1;10;0
`

func TestMarkovIssueCase2(t *testing.T) {
	r, err := MarkovChain(read(t, issueCase2), 0)
	if err != nil {
		t.Fatal(err)
	}
	if !near(r.RemovalEffects["google"], 0.75) || !near(r.RemovalEffects["mailing"], 0.5) {
		t.Errorf("removal effects %v, want google 0.75 mailing 0.5", r.RemovalEffects)
	}
	checkConv(t, r, map[string]float64{"google": 2.4, "mailing": 1.6})
	if !near(r.ValueRemovalEffects["google"], 2.0/3) || !near(r.ValueRemovalEffects["mailing"], 2.0/3) {
		t.Errorf("value removal effects %v, want 2/3 each", r.ValueRemovalEffects)
	}
	if v := credits(r); !near(v["google"][1], 30) || !near(v["mailing"][1], 30) {
		t.Errorf("value credits %v, want 30 and 30", v)
	}
}

func TestMarkovErrorsAndEdges(t *testing.T) {
	j := read(t, issueCase1)
	if _, err := MarkovChain(j, MaxMarkovOrder+1); err == nil {
		t.Error("order 5 accepted")
	}
	// Only nulls: nothing to credit, no error.
	r, err := MarkovChain(read(t, "path;total_conversions;total_null\na > b;0;3\n"), 1)
	if err != nil {
		t.Fatal(err)
	}
	checkConv(t, r, map[string]float64{"a": 0, "b": 0})
	// Without nulls every path converts: removing the only channel of a
	// one-channel path loses that path's share.
	r, err = MarkovChain(read(t, "path;total_conversions\na;1\nb;3\n"), 1)
	if err != nil {
		t.Fatal(err)
	}
	if !near(r.RemovalEffects["a"], 0.25) || !near(r.RemovalEffects["b"], 0.75) {
		t.Errorf("removal effects %v", r.RemovalEffects)
	}
	checkConv(t, r, map[string]float64{"a": 1, "b": 3})
}

// heuristicPaths exercises repeats, a direct last touch and a null path,
// which the heuristics ignore.
const heuristicPaths = `path;total_conversions;total_conversion_value;total_null
a > b > c;2;20;0
b > a;1;5;2
c;1;10;0
a > a > b > direct;1;4;0
b > c;0;0;3
`

func TestHeuristicsByHand(t *testing.T) {
	j := read(t, heuristicPaths)
	run := func(m Model, opt Options) *Result {
		r, err := Attribute(j, m, opt)
		if err != nil {
			t.Fatal(err)
		}
		return r
	}
	checkConv(t, run(FirstTouch, Options{}), map[string]float64{"a": 3, "b": 1, "c": 1, "direct": 0})
	checkConv(t, run(LastTouch, Options{}), map[string]float64{"a": 1, "b": 0, "c": 3, "direct": 1})
	checkConv(t, run(LastNonDirect, Options{}), map[string]float64{"a": 1, "b": 1, "c": 3, "direct": 0})
	// Linear: a>b>c gives 2/3 each; b>a 1/2 each; a>a>b>direct: a 2/4.
	checkConv(t, run(Linear, Options{}), map[string]float64{"a": 2.0/3 + 0.5 + 0.5, "b": 2.0/3 + 0.5 + 0.25, "c": 2.0/3 + 1, "direct": 0.25})
	// Position: 40/20/40; two touches 50/50; one touch all.
	checkConv(t, run(Position, Options{}), map[string]float64{"a": 0.8 + 0.5 + 0.4 + 0.1, "b": 0.4 + 0.5 + 0.1, "c": 0.8 + 1, "direct": 0.4})
	// Time decay, half-life 1 step: weights 1, 1/2, 1/4, 1/8 back from the
	// last touch.
	checkConv(t, run(TimeDecay, Options{HalfLife: 1}), map[string]float64{
		"a":      2*(0.25/1.75) + 1/1.5 + (0.25+0.125)/1.875,
		"b":      2*(0.5/1.75) + 0.5/1.5 + 0.5/1.875,
		"c":      2*(1/1.75) + 1,
		"direct": 1 / 1.875,
	})
	// Default half-life 7: a touch one step back weighs 2^(−1/7).
	q := math.Exp2(-1.0 / 7)
	r := run(TimeDecay, Options{})
	if got := credits(r)["c"][0]; !near(got, 2/(1+q+q*q)+1) {
		t.Errorf("time decay default half-life: c %g", got)
	}
	// Value follows each journey's conversions: linear value of a is
	// 20/3 + 5/2 + 4/2.
	if got := credits(run(Linear, Options{}))["a"][1]; !near(got, 20.0/3+2.5+2) {
		t.Errorf("linear value of a %g", got)
	}
	// A custom notion of direct.
	r = run(LastNonDirect, Options{Direct: func(ch string) bool { return ch == "direct" || ch == "c" }})
	checkConv(t, r, map[string]float64{"a": 1, "b": 3, "c": 1, "direct": 0})
	for _, m := range Models {
		checkTotals(t, j, run(m, Options{}))
	}
}

// checkTotals: every model distributes exactly the totals.
func checkTotals(t *testing.T, j *Journeys, r *Result) {
	t.Helper()
	conv, value, _ := j.Totals()
	var sc, sv float64
	for _, c := range r.Credits {
		sc += c.Conversions
		sv += c.Value
	}
	if math.Abs(sc-conv) > 1e-9*conv || math.Abs(sv-value) > 1e-9*value {
		t.Errorf("%s: credits sum to %g conversions and %g value, want %g and %g", r.Model, sc, sv, conv, value)
	}
}

func TestShapleyByHandAndSymmetry(t *testing.T) {
	// {a}: 2, {a,b}: 4 → v({a}) = 2, v({b}) = 0, v({a,b}) = 6:
	// φ_a = ½(2−0) + ½(6−0) = 4, φ_b = ½(0) + ½(6−2) = 2.
	r := ShapleyValue(read(t, "path;total_conversions;total_conversion_value\na;2;2\na > b > a;4;8\n"))
	checkConv(t, r, map[string]float64{"a": 4, "b": 2})
	if v := credits(r); !near(v["a"][1], 6) || !near(v["b"][1], 4) {
		t.Errorf("value credits %v, want a 6 b 4", v)
	}
	// a and b are symmetric (swapping them leaves v unchanged), so equal;
	// c only on a null path is a null player.
	j := read(t, `path;total_conversions;total_conversion_value;total_null
a > b;3;30;0
b > a;1;10;0
a;2;5;0
b;2;5;0
c > a > b;3;9;0
d;0;0;4
`)
	r = ShapleyValue(j)
	got := credits(r)
	if !near(got["a"][0], got["b"][0]) || !near(got["a"][1], got["b"][1]) {
		t.Errorf("symmetric channels a and b credited %v and %v", got["a"], got["b"])
	}
	if got["d"] != [2]float64{} || !near(got["c"][0], 1) {
		t.Errorf("c %v (want 1 = 3/3), d %v (want 0)", got["c"], got["d"])
	}
	checkTotals(t, j, r)
	if r.Method != "subsets" {
		t.Errorf("method %q", r.Method)
	}
}

// TestShapleySubsetsEqualDividends checks the closed form used beyond 15
// channels against the definition over all coalitions, on random journeys.
func TestShapleySubsetsEqualDividends(t *testing.T) {
	for _, k := range []int{3, 9, 15} {
		j := synthetic(2000, k, uint64(k))
		a := ShapleyValue(j)
		b := shapleyDividends(j)
		if a.Method != "subsets" {
			t.Fatalf("%d channels: method %q", k, a.Method)
		}
		for i := range a.Credits {
			x, y := a.Credits[i], b.Credits[i]
			if math.Abs(x.Conversions-y.Conversions) > 1e-7 || math.Abs(x.Value-y.Value) > 1e-6 {
				t.Errorf("%d channels: %s subsets %+v, dividends %+v", k, x.Channel, x, y)
			}
		}
		checkTotals(t, j, a)
	}
	j := synthetic(2000, 20, 20)
	r := ShapleyValue(j)
	if r.Method != "dividends" {
		t.Errorf("20 channels: method %q", r.Method)
	}
	checkTotals(t, j, r)
}

func TestReadPathsErrors(t *testing.T) {
	for _, c := range []struct{ file, want string }{
		{"", "empty file"},
		{"channels,conversions\na,1\n", "lacks"},
		{"path;total_conversions\na > b;1\nb;x\n", `line 3, column 2 (total_conversions): "x"`},
		{"path;total_conversions;total_conversion_value;total_null\na;1;2;-1\n", "line 2, column 4 (total_null)"},
		{"path;total_conversions\na > > b;1\n", "line 2, column 1 (path)"},
		{"path;total_conversions\n;1\n", "line 2, column 1 (path)"},
		{"path;total_conversions;total_conversion_value\na;0;5\n", "line 2, column 3 (total_conversion_value): value 5 without conversions"},
		{"path;total_conversions\na;1;2\n", "line 2"},
		{"path;total_conversions\n\"a;1\n", "line 2"},
		{"path;path;total_conversions\na;b;1\n", "twice"},
	} {
		_, err := ReadPaths(strings.NewReader(c.file))
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%q: error %v, want one containing %q", c.file, err, c.want)
		}
	}
	// A byte-order mark, spaces and CRLF are fine; missing optional columns
	// count 0.
	j := read(t, "\ufeffpath ; total_conversions\r\n  a>b  ; 2 \r\n")
	if j.Len() != 1 || strings.Join(j.Journey(0).Path, "|") != "a|b" || j.Journey(0).Conversions != 2 {
		t.Errorf("journey %+v", j.Journey(0))
	}
}

func TestParseModel(t *testing.T) {
	if m, err := ParseModel("Time-Decay"); err != nil || m != TimeDecay {
		t.Errorf("%v %v", m, err)
	}
	if _, err := ParseModel("u_shaped"); err == nil || !strings.Contains(err.Error(), "last_non_direct") {
		t.Errorf("error %v", err)
	}
	if _, err := Attribute(NewJourneys(), Model("nope"), Options{}); err == nil {
		t.Error("unknown model accepted")
	}
}

// synthetic makes n deterministic journeys over k channels: lengths 1–8
// (mean about 3), channel popularity skewed, about one journey in five
// converting, with values.
func synthetic(n, k int, seed uint64) *Journeys {
	rng := rand.New(rand.NewPCG(seed, 42))
	names := make([]string, k)
	for i := range names {
		names[i] = "ch" + string(rune('A'+i%26)) + string(rune('a'+i/26))
	}
	j := NewJourneys()
	path := make([]string, 0, 8)
	for range n {
		path = path[:0]
		l := 1 + min(rng.IntN(4)+rng.IntN(4), 7)
		for range l {
			// Squaring a uniform skews towards the first channels.
			u := rng.Float64()
			path = append(path, names[int(u*u*float64(k))])
		}
		conv, value, nulls := 0.0, 0.0, 0.0
		if rng.IntN(5) == 0 {
			conv = float64(1 + rng.IntN(3))
			value = conv * (10 + 90*rng.Float64())
		} else {
			nulls = float64(1 + rng.IntN(10))
		}
		if err := j.Add(path, conv, value, nulls); err != nil {
			panic(err)
		}
	}
	return j
}

// TestMarkovMatchesIteration checks the exact solve on chains with loops
// (synthetic journeys revisit channels) against an independent
// implementation: the chain rebuilt from the journeys with string states,
// and absorption probabilities by fixed-point iteration x ← Qx + r, with
// the removed states pinned at 0.
func TestMarkovMatchesIteration(t *testing.T) {
	j := synthetic(1000, 6, 7)
	for _, order := range []int{1, 2} {
		r, err := MarkovChain(j, order)
		if err != nil {
			t.Fatal(err)
		}
		type edge struct{ from, to string }
		w := map[edge]float64{}
		out := map[string]float64{}
		for i := range j.Len() {
			jj := j.Journey(i)
			n := jj.Conversions + jj.Nulls
			var seq []string
			for _, c := range jj.Path {
				if len(seq) == 0 || seq[len(seq)-1] != c {
					seq = append(seq, c)
				}
			}
			prev := "(start)"
			for k := range seq {
				st := strings.Join(seq[max(0, k+1-order):k+1], ">")
				w[edge{prev, st}] += n
				out[prev] += n
				prev = st
			}
			w[edge{prev, "(conversion)"}] += jj.Conversions
			out[prev] += n
		}
		solve := func(removed string) float64 {
			x := map[string]float64{}
			for change := 1.0; change > 1e-14; {
				next := map[string]float64{}
				for e, v := range w {
					if removed != "" && strings.Contains(">"+e.from+">", ">"+removed+">") {
						continue
					}
					if e.to == "(conversion)" {
						next[e.from] += v / out[e.from]
					} else {
						next[e.from] += v / out[e.from] * x[e.to]
					}
				}
				change = 0
				for k, v := range next {
					change = max(change, math.Abs(v-x[k]))
				}
				x = next
			}
			return x["(start)"]
		}
		base := solve("")
		for _, ch := range j.Channels() {
			want := 1 - solve(ch)/base
			if math.Abs(r.RemovalEffects[ch]-want) > 1e-9 {
				t.Errorf("order %d: removal effect of %s %.12f, iteration gives %.12f", order, ch, r.RemovalEffects[ch], want)
			}
		}
		checkTotals(t, j, r)
	}
}

// TestMarkovDenseEqualsMap: the dense order-1 counting and the map-based
// one used for many channels build the same chain.
func TestMarkovDenseEqualsMap(t *testing.T) {
	j := synthetic(5000, 12, 3)
	dense, err := MarkovChain(j, 1)
	if err != nil {
		t.Fatal(err)
	}
	defer func(v int) { denseOrder1Max = v }(denseOrder1Max)
	denseOrder1Max = 0
	sparse, err := MarkovChain(j, 1)
	if err != nil {
		t.Fatal(err)
	}
	for ch, re := range dense.RemovalEffects {
		if math.Abs(re-sparse.RemovalEffects[ch]) > 1e-12 || math.Abs(dense.ValueRemovalEffects[ch]-sparse.ValueRemovalEffects[ch]) > 1e-12 {
			t.Errorf("%s: dense %g/%g, map %g/%g", ch, re, dense.ValueRemovalEffects[ch], sparse.RemovalEffects[ch], sparse.ValueRemovalEffects[ch])
		}
	}
}
