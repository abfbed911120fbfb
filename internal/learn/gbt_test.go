package learn

import (
	"math"
	"math/rand/v2"
	"slices"
	"testing"
)

// holdout cuts d into its first ntrain rows and the rest: simulated rows are
// exchangeable, so this is an honest holdout.
func holdout(d Dataset, ntrain int) (Dataset, Dataset) {
	return Dataset{X: d.X[:ntrain], Y: d.Y[:ntrain], Names: d.Names},
		Dataset{X: d.X[ntrain:], Y: d.Y[ntrain:], Names: d.Names}
}

func fitBoth(t *testing.T, train Dataset) (*Logistic, *GBT) {
	t.Helper()
	lr, err := TrainLogistic(train, DefaultLogisticOptions())
	if err != nil {
		t.Fatal(err)
	}
	gbt, err := TrainGBT(train, DefaultGBTOptions())
	if err != nil {
		t.Fatal(err)
	}
	return lr, gbt
}

// TestGBTBeatsLogisticOnInteraction: the label depends on an XOR of two
// signs and on x2², which have no linear correlation with it, so logistic
// regression is near chance while trees should approach the oracle AUC (the
// AUC of the true probabilities).
func TestGBTBeatsLogisticOnInteraction(t *testing.T) {
	d, truth := simulate(90_000, 5, 51, interactionLogit)
	train, test := holdout(d, 60_000)
	lr, gbt := fitBoth(t, train)
	aucLR := AUC(test.Y, PredictAll(lr, test.X))
	aucGBT := AUC(test.Y, PredictAll(gbt, test.X))
	oracle := AUC(test.Y, truth[60_000:])
	t.Logf("holdout AUC: logistic %.4f, gbt %.4f (%d trees), oracle %.4f", aucLR, aucGBT, len(gbt.Trees), oracle)
	if aucGBT < aucLR+0.15 {
		t.Errorf("gbt AUC %.4f does not beat logistic %.4f by 0.15", aucGBT, aucLR)
	}
	if aucGBT < oracle-0.01 {
		t.Errorf("gbt AUC %.4f more than 0.01 below the oracle %.4f", aucGBT, oracle)
	}
}

// TestGBTOnLinearData: when the truth is linear, logistic regression is the
// right model and trees must not be far behind.
func TestGBTOnLinearData(t *testing.T) {
	d, truth := simulate(60_000, 6, 52, linearLogit(-0.5, 0.8, -0.6, 0.4, 0.3, 0, 0))
	train, test := holdout(d, 40_000)
	lr, gbt := fitBoth(t, train)
	aucLR := AUC(test.Y, PredictAll(lr, test.X))
	aucGBT := AUC(test.Y, PredictAll(gbt, test.X))
	oracle := AUC(test.Y, truth[40_000:])
	t.Logf("holdout AUC: logistic %.4f, gbt %.4f (%d trees), oracle %.4f", aucLR, aucGBT, len(gbt.Trees), oracle)
	if aucGBT < aucLR-0.01 {
		t.Errorf("gbt AUC %.4f more than 0.01 below logistic %.4f on linear data", aucGBT, aucLR)
	}
	if aucLR < oracle-0.005 {
		t.Errorf("logistic AUC %.4f below the oracle %.4f on its own model", aucLR, oracle)
	}
}

// TestGBTCalibratedOnHoldout: on held-out rows, in each of 10 equal-count
// bins the mean prediction matches the observed rate within sampling error,
// and predictions are close to the true probabilities.
func TestGBTCalibratedOnHoldout(t *testing.T) {
	d, truth := simulate(100_000, 5, 53, func(x []float64) float64 {
		return interactionLogit(x) + 0.7*x[3]
	})
	train, test := holdout(d, 50_000)
	gbt, err := TrainGBT(train, DefaultGBTOptions())
	if err != nil {
		t.Fatal(err)
	}
	p := PredictAll(gbt, test.X)
	for _, b := range Calibration(test.Y, p, 10) {
		se := math.Sqrt(b.MeanPredicted * (1 - b.MeanPredicted) / float64(b.Count))
		t.Logf("bin [%.3f, %.3f] n=%d predicted %.4f observed %.4f", b.Lower, b.Upper, b.Count, b.MeanPredicted, b.ObservedRate)
		// 4 sampling SEs plus 0.01 for the model's own error.
		if math.Abs(b.MeanPredicted-b.ObservedRate) > 4*se+0.01 {
			t.Errorf("bin [%.3f, %.3f]: predicted %.4f, observed %.4f", b.Lower, b.Upper, b.MeanPredicted, b.ObservedRate)
		}
	}
	var mae float64
	for i, q := range p {
		mae += math.Abs(q-truth[50_000+i]) / float64(len(p))
	}
	t.Logf("mean |p − truth| = %.4f", mae)
	if mae > 0.04 {
		t.Errorf("mean absolute error against the true probabilities %.4f > 0.04", mae)
	}
}

// TestGBTSaturatedRates: with one binary feature and no penalty, boosting
// converges to the maximum-likelihood fit, the empirical rate of each group.
func TestGBTSaturatedRates(t *testing.T) {
	var d Dataset
	for i := 0; i < 1000; i++ {
		x := float64(i % 2)
		y := boolf((x == 0 && i%10 < 2) || (x == 1 && i%10 < 7))
		d.X = append(d.X, []float64{x})
		d.Y = append(d.Y, y)
	}
	// i%2==0 and i%10<2 → i%10 == 0: 100 of 500 → 0.2.
	// i%2==1 and i%10<7 → i%10 in {1,3,5}: 300 of 500 → 0.6.
	// One Newton step from the base rate 0.4 with λ = 2: in group x=0,
	// G = Σ(0.4 − y) = 200 − 100 and H = Σ 0.4·0.6 = 120, so the leaf is
	// −100/122; in group x=1, G = 200 − 300 and the leaf is +100/122.
	one, err := TrainGBT(d, GBTOptions{NumTrees: 1, LearningRate: 1, MaxDepth: 1, MinSamplesLeaf: 1, L2: 2})
	if err != nil {
		t.Fatal(err)
	}
	n := one.Trees[0].Nodes
	if len(n) != 3 || !near(n[n[0].Left].Value, -100.0/122, 1e-12) || !near(n[n[0].Right].Value, 100.0/122, 1e-12) {
		t.Errorf("one-step tree %+v, want leaves %v and %v", n, -100.0/122, 100.0/122)
	}
	o := GBTOptions{NumTrees: 200, LearningRate: 0.5, MaxDepth: 1, MinSamplesLeaf: 1, L2: 0, ValidationFraction: 0}
	m, err := TrainGBT(d, o)
	if err != nil {
		t.Fatal(err)
	}
	if p := m.Predict([]float64{0}); !near(p, 0.2, 1e-9) {
		t.Errorf("P(y|x=0) = %v, want 0.2", p)
	}
	if p := m.Predict([]float64{1}); !near(p, 0.6, 1e-9) {
		t.Errorf("P(y|x=1) = %v, want 0.6", p)
	}
	if !near(m.Init, math.Log(0.4/0.6), 1e-12) {
		t.Errorf("Init %v, want the base-rate log-odds %v", m.Init, math.Log(0.4/0.6))
	}
}

// TestGBTMissingGoesToBetterSide: rows with x0 missing behave like rows
// with large x0, and rows with x1 missing like rows with small x1, so NaN
// must be sent right on x0 and left on x1, and a NaN row must score like the
// side it resembles, not like the average.
func TestGBTMissingGoesToBetterSide(t *testing.T) {
	r := rand.New(rand.NewPCG(61, 62))
	var d Dataset
	for i := 0; i < 40_000; i++ {
		x := []float64{r.NormFloat64(), r.NormFloat64()}
		high0, high1 := x[0] > 0, x[1] > 0
		if r.Float64() < 0.25 {
			x[0], high0 = math.NaN(), true
		}
		if r.Float64() < 0.25 {
			x[1], high1 = math.NaN(), false
		}
		logit := -0.5
		if high0 {
			logit += 1
		}
		if high1 {
			logit += 2 // the stronger effect: the first split is on x1
		}
		d.X = append(d.X, x)
		d.Y = append(d.Y, boolf(r.Float64() < sigmoid(logit)))
	}
	m, err := TrainGBT(d, DefaultGBTOptions())
	if err != nil {
		t.Fatal(err)
	}
	root := m.Trees[0].Nodes[0]
	if root.Feature != 1 || !root.MissingLeft || math.Abs(root.Threshold) > 0.1 {
		t.Errorf("first split %+v: want x1 <= 0 with missing values sent left", root)
	}
	// Averaged over many rows (single points carry the trees' variance):
	// setting a feature to NaN must score like its look-alike side.
	mean := func(j int, v func(x float64) float64) float64 {
		var s float64
		for _, x := range d.X[:4000] {
			z := []float64{math.Abs(x[0]), math.Abs(x[1])} // NaN-free copy
			z[j] = v(math.Abs(r.NormFloat64()))
			s += m.Predict(z) / 4000
		}
		return s
	}
	nan := func(float64) float64 { return math.NaN() }
	pos := func(v float64) float64 { return v }
	neg := func(v float64) float64 { return -v }
	for _, c := range []struct {
		j         int
		like, not func(float64) float64
	}{{0, pos, neg}, {1, neg, pos}} {
		pNaN, pLike, pNot := mean(c.j, nan), mean(c.j, c.like), mean(c.j, c.not)
		t.Logf("x%d: mean P with NaN %.3f, look-alike side %.3f, other side %.3f", c.j, pNaN, pLike, pNot)
		if math.Abs(pNaN-pLike) > 0.02 || math.Abs(pNaN-pNot) < 0.1 {
			t.Errorf("x%d: NaN scores %.3f, its look-alike side %.3f, the other side %.3f", c.j, pNaN, pLike, pNot)
		}
	}
	// A value missing only at prediction time (no NaN of x0 reached this
	// node in training) is still scored, and ±Inf is treated as missing.
	clean := Dataset{Names: d.Names, Y: d.Y}
	for _, x := range d.X {
		clean.X = append(clean.X, []float64{math.Abs(x[0]), 0})
	}
	m2, err := TrainGBT(clean, DefaultGBTOptions())
	if err != nil {
		t.Fatal(err)
	}
	p := m2.Predict([]float64{math.NaN(), 0})
	if !(p > 0 && p < 1) || p != m2.Predict([]float64{math.Inf(-1), 0}) {
		t.Errorf("unseen missing value scored %v", p)
	}
}

// TestGBTConstantAndEmptyColumns: columns that never vary (or are never
// present) can never be split on, so they get no importance and no credit.
func TestGBTConstantAndEmptyColumns(t *testing.T) {
	d, _ := simulate(20_000, 2, 71, linearLogit(0, 1, -1))
	wide := Dataset{Y: d.Y, Names: []string{"a", "const", "b", "missing"}}
	for _, x := range d.X {
		wide.X = append(wide.X, []float64{x[0], 3, x[1], math.NaN()})
	}
	m, err := TrainGBT(wide, DefaultGBTOptions())
	if err != nil {
		t.Fatal(err)
	}
	if m.Importance[1] != 0 || m.Importance[3] != 0 || m.Importance[0] == 0 || m.Importance[2] == 0 {
		t.Errorf("importance %v: want 0 exactly for const and missing, > 0 otherwise", m.Importance)
	}
	for _, x := range wide.X[:100] {
		c := m.Contributions(x)
		s := m.SHAP(x)
		if c[1] != 0 || c[3] != 0 || s[1] != 0 || s[3] != 0 {
			t.Fatalf("constant columns credited: saabas %v shap %v", c, s)
		}
	}
}

// TestContributionsSumToLogOdds checks the identity the reasons rely on,
// for both models and both GBT attributions, on rows with missing values.
func TestContributionsSumToLogOdds(t *testing.T) {
	d, _ := simulate(20_000, 5, 81, interactionLogit)
	r := rand.New(rand.NewPCG(1, 1))
	for _, x := range d.X {
		if r.Float64() < 0.1 {
			x[r.IntN(5)] = math.NaN()
		}
	}
	lr, err := TrainLogistic(d, DefaultLogisticOptions())
	if err != nil {
		t.Fatal(err)
	}
	gbt, err := TrainGBT(d, DefaultGBTOptions())
	if err != nil {
		t.Fatal(err)
	}
	sum := func(v []float64) float64 {
		var s float64
		for _, x := range v {
			s += x
		}
		return s
	}
	for i, x := range d.X[:500] {
		for _, c := range []struct {
			name    string
			contrib []float64
			base    float64
			logOdds float64
			pred    float64
		}{
			{"logistic", lr.Contributions(x), lr.Baseline(), lr.LogOdds(x), lr.Predict(x)},
			{"gbt saabas", gbt.Contributions(x), gbt.Baseline(), gbt.LogOdds(x), gbt.Predict(x)},
			{"gbt shap", gbt.SHAP(x), gbt.Baseline(), gbt.LogOdds(x), gbt.Predict(x)},
		} {
			if got := sum(c.contrib) + c.base; math.Abs(got-c.logOdds) > 1e-9 {
				t.Fatalf("%s row %d: contributions + baseline = %v, log-odds %v", c.name, i, got, c.logOdds)
			}
			if math.Abs(sigmoid(c.logOdds)-c.pred) > 1e-15 {
				t.Fatalf("%s row %d: Predict %v is not sigmoid(LogOdds) %v", c.name, i, c.pred, sigmoid(c.logOdds))
			}
		}
	}
}

// TestSHAPMatchesBruteForce compares TreeSHAP with Shapley values computed
// from their definition: v(S) is the tree's expected output when features in
// S are fixed to x and the others are integrated out by node covers (the
// path-dependent conditional expectation TreeSHAP is defined on), and φ_i
// averages v(S ∪ {i}) − v(S) over all subsets with Shapley weights.
func TestSHAPMatchesBruteForce(t *testing.T) {
	d, _ := simulate(5000, 4, 91, func(x []float64) float64 {
		return interactionLogit(x) + x[3]
	})
	o := DefaultGBTOptions()
	o.NumTrees, o.MaxDepth, o.ValidationFraction = 8, 4, 0
	m, err := TrainGBT(d, o)
	if err != nil {
		t.Fatal(err)
	}
	const p = 4
	var expect func(nodes []Node, k int, x []float64, set uint) float64
	expect = func(nodes []Node, k int, x []float64, set uint) float64 {
		n := nodes[k]
		if n.Feature < 0 {
			return n.Value
		}
		if set&(1<<n.Feature) != 0 {
			if x[n.Feature] <= n.Threshold {
				return expect(nodes, int(n.Left), x, set)
			}
			return expect(nodes, int(n.Right), x, set)
		}
		l, r := nodes[n.Left], nodes[n.Right]
		return (l.Cover*expect(nodes, int(n.Left), x, set) + r.Cover*expect(nodes, int(n.Right), x, set)) / n.Cover
	}
	fact := func(k int) float64 { return math.Gamma(float64(k) + 1) }
	for _, x := range d.X[:20] {
		want := make([]float64, p)
		for _, tr := range m.Trees {
			for i := 0; i < p; i++ {
				for set := uint(0); set < 1<<p; set++ {
					if set&(1<<i) != 0 {
						continue
					}
					size := 0
					for j := 0; j < p; j++ {
						if set&(1<<j) != 0 {
							size++
						}
					}
					w := fact(size) * fact(p-size-1) / fact(p)
					want[i] += w * (expect(tr.Nodes, 0, x, set|1<<i) - expect(tr.Nodes, 0, x, set))
				}
			}
		}
		got := m.SHAP(x)
		for i := range want {
			if math.Abs(got[i]-want[i]) > 1e-9 {
				t.Fatalf("x=%v: SHAP %v, brute force %v", x, got, want)
			}
		}
	}
}

// TestTrainingScoresMatchPredict: the scores boosting tracked for every row
// (routed by bins, or by the partition for sampled rows) equal the float
// routing of Predict, so what early stopping measured is what callers get.
func TestTrainingScoresMatchPredict(t *testing.T) {
	d, _ := simulate(30_000, 6, 101, interactionLogit)
	r := rand.New(rand.NewPCG(2, 2))
	for _, x := range d.X {
		x[5] = math.Round(x[5] * 3) // few distinct values
		if r.Float64() < 0.15 {
			x[r.IntN(6)] = math.NaN()
		}
	}
	o := DefaultGBTOptions()
	o.NumTrees, o.ValidationFraction, o.MaxBins = 50, 0, 32 // coarse bins: thresholds matter
	m, score, err := trainGBT(d, o)
	if err != nil {
		t.Fatal(err)
	}
	for i, x := range d.X {
		if lo := m.LogOdds(x); math.Abs(lo-score[i]) > 1e-9 {
			t.Fatalf("row %d: training score %v, LogOdds %v", i, score[i], lo)
		}
	}
}

// TestEarlyStopping: on pure noise the validation loss stops improving at
// once, so few trees are kept, and the kept count is the best round.
func TestEarlyStopping(t *testing.T) {
	d, _ := simulate(20_000, 5, 111, func([]float64) float64 { return 0 })
	m, err := TrainGBT(d, DefaultGBTOptions())
	if err != nil {
		t.Fatal(err)
	}
	best := 0
	for i, l := range m.ValidLoss {
		if l < m.ValidLoss[best] {
			best = i
		}
	}
	if len(m.Trees) != best+1 || m.BestRound != best {
		t.Errorf("kept %d trees (BestRound %d), best validation round %d", len(m.Trees), m.BestRound, best)
	}
	if len(m.Trees) > 30 {
		t.Errorf("kept %d trees on pure noise", len(m.Trees))
	}
	if len(m.ValidLoss) > len(m.Trees)+DefaultGBTOptions().EarlyStoppingRounds {
		t.Errorf("ran %d rounds after the best %d", len(m.ValidLoss), best)
	}
}

func TestFeatureCuts(t *testing.T) {
	// Few distinct values: one bin each, cut at midpoints.
	X := [][]float64{{1}, {1}, {2}, {4}, {math.NaN()}, {4}}
	cuts := featureCuts(X, 0, []int{0, 1, 2, 3, 4, 5}, 255)
	if !slices.Equal(cuts, []float64{1.5, 3}) {
		t.Errorf("cuts %v, want [1.5 3]", cuts)
	}
	for v, want := range map[float64]uint8{1: 0, 1.5: 0, 2: 1, 3: 1, 3.5: 2, 100: 2, -5: 0} {
		if got := binValue(cuts, v); got != want {
			t.Errorf("bin(%v) = %d, want %d", v, got, want)
		}
	}
	if binValue(cuts, math.NaN()) != missingBin {
		t.Error("NaN not in the missing bin")
	}
	// Many distinct values with a heavy mass at 0: 0 gets a bin of its own,
	// the rest share the other bins about equally.
	var rows []int
	X = X[:0]
	for i := 0; i < 10_000; i++ {
		v := 0.0
		if i >= 6000 {
			v = float64(i)
		}
		X = append(X, []float64{v})
		rows = append(rows, i)
	}
	cuts = featureCuts(X, 0, rows, 16)
	if len(cuts) != 15 || cuts[0] >= 6000 || cuts[0] <= 0 {
		t.Fatalf("cuts %v: want 15 cuts, the first between 0 and 6000", cuts)
	}
	counts := make([]int, 16)
	for _, x := range X {
		counts[binValue(cuts, x[0])]++
	}
	for b := 1; b < 16; b++ {
		if counts[b] < 4000/15-30 || counts[b] > 4000/15+30 {
			t.Errorf("bin %d holds %d rows, want about %d: %v", b, counts[b], 4000/15, counts)
		}
	}
}

// TestBestSplitMissingSide checks the split search on hand-made histograms:
// the missing bin must join the side it resembles, with the gain
// G_L²/(H_L+λ) + G_R²/(H_R+λ) − G²/(H+λ).
func TestBestSplitMissingSide(t *testing.T) {
	b := &builder{o: GBTOptions{MinSamplesLeaf: 1, MinHessianLeaf: 1e-3}, p: 1, nb: []int{3}}
	nd := func(bins [3][2]float64, miss [2]float64) *bnode {
		n := &bnode{hist: make([]histBin, histStride)}
		for k, v := range bins {
			n.hist[k] = histBin{g: v[0], h: v[1], n: 10}
			n.g += v[0]
			n.h += v[1]
		}
		n.hist[missingBin] = histBin{g: miss[0], h: miss[1], n: 10}
		n.g += miss[0]
		n.h += miss[1]
		n.hi = 40
		return n
	}
	// Bins 0,1 have positive gradients (predicted too high), bin 2 and the
	// missing rows negative: best is {0,1} | {2, missing}, gain 80.
	s := b.bestSplit(nd([3][2]float64{{10, 5}, {10, 5}, {-10, 5}}, [2]float64{-10, 5}), 0)
	if s.bin != 1 || s.missingLeft || !near(s.gain, 80, 1e-12) || s.nl != 20 {
		t.Errorf("got %+v, want bin 1, missing right, gain 80, 20 rows left", s)
	}
	// Mirror image: missing resembles bin 0: {0, missing} | {1,2}.
	s = b.bestSplit(nd([3][2]float64{{10, 5}, {-10, 5}, {-10, 5}}, [2]float64{10, 5}), 0)
	if s.bin != 0 || !s.missingLeft || !near(s.gain, 80, 1e-12) || s.nl != 20 {
		t.Errorf("got %+v, want bin 0, missing left, gain 80, 20 rows left", s)
	}
	// Only missingness carries signal: all values left, missing right.
	s = b.bestSplit(nd([3][2]float64{{1, 5}, {1, 5}, {1, 5}}, [2]float64{-3, 5}), 0)
	if s.bin != 2 || s.missingLeft || s.nl != 30 {
		t.Errorf("got %+v, want bin 2 (all values) left, missing right", s)
	}
	// λ enters every term: with λ = 10 the first case's gain is 400/20·2.
	b.o.L2 = 10
	s = b.bestSplit(nd([3][2]float64{{10, 5}, {10, 5}, {-10, 5}}, [2]float64{-10, 5}), 0)
	if !near(s.gain, 40, 1e-12) {
		t.Errorf("gain with λ=10: %v, want 40", s.gain)
	}
	// MinSamplesLeaf 25: no split of 40 rows leaves 25 on both sides.
	b.o.MinSamplesLeaf = 25
	if s = b.bestSplit(nd([3][2]float64{{10, 5}, {10, 5}, {-10, 5}}, [2]float64{-10, 5}), 0); s.feature != -1 {
		t.Errorf("split %+v despite MinSamplesLeaf 25", s)
	}
}

// TestTreeLimits: every tree respects MaxDepth and every leaf holds at
// least MinSamplesLeaf of the rows that grew it.
func TestTreeLimits(t *testing.T) {
	d, _ := simulate(20_000, 5, 151, interactionLogit)
	o := DefaultGBTOptions()
	o.MaxDepth, o.MinSamplesLeaf = 3, 200
	m, err := TrainGBT(d, o)
	if err != nil {
		t.Fatal(err)
	}
	for i, tr := range m.Trees {
		if depth := treeDepth(tr.Nodes, 0); depth > 3 {
			t.Fatalf("tree %d has depth %d", i, depth)
		}
		for _, n := range tr.Nodes {
			if n.Feature < 0 && n.Cover < 200 {
				t.Fatalf("tree %d has a leaf of %v rows", i, n.Cover)
			}
		}
	}
}
