// Package learn provides small supervised learners for binary outcomes, built
// for churn risk ("no order in the next N days") but not specific to it.
//
// Two models are offered so that a caller can choose between them by a
// measured comparison on a holdout rather than by taste:
//
//   - Logistic: L2-regularised logistic regression fitted by L-BFGS
//     (gonum/optimize) on internally standardised features. It is the
//     baseline that is hard to beat on linear signal and easy to explain.
//   - GBT: gradient-boosted decision trees for log-loss on histogram-binned
//     features, for interactions and non-linear effects (e.g. "recency matters
//     only for frequent buyers") that a linear model cannot express.
//
// Both implement Model: Predict gives P(label = 1), and Contributions splits
// the log-odds of one prediction into a per-feature part plus Baseline(), so
// each prediction can carry its top reasons (see TopReasons). Contributions
// always sum exactly (up to float rounding) to LogOdds(x) − Baseline().
//
// Missing values are NaN. Training rejects ±Inf features and any label that
// is not exactly 0 or 1, with an error naming the row, because such values are
// almost always a bug in feature extraction (a ratio with a zero denominator)
// that a model would otherwise learn silently. At prediction time any
// non-finite feature (NaN or ±Inf) is treated as missing, so a scoring run
// never fails or returns NaN because of one bad row.
//
// The metrics AUC, LogLoss, Brier and Calibration evaluate a model on a
// holdout; Evaluate computes them all. Training is deterministic: the same
// data, options and seed give a bit-identical model whatever GOMAXPROCS is,
// and models round-trip through encoding/json with a format Version so
// stored predictions can name the model that made them (see Fingerprint).
//
// Intended use for churn: build features as of a cutoff date and labels from
// the N days after it; fit both learners on an earlier cutoff and compare
// them with Evaluate on a later one (a time split, not a random one, since
// the model will score the future); keep the better by AUC, checking
// log-loss and the calibration table; refit it on the latest labelled cutoff
// and score everyone with Predict and TopReasons.
package learn

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"runtime"
	"sort"
	"sync"
	"sync/atomic"
)

// FormatVersion is the serialisation format version written into the Version
// field of every model. Unmarshalling a model with another version fails
// rather than silently mis-scoring with a model whose fields meant something
// else.
const FormatVersion = 1

// Dataset is a training or evaluation set: X is row-major (X[i] is the feature
// vector of row i), Y holds the binary labels 0 or 1, and Names names the
// columns of X. NaN in X marks a missing value.
type Dataset struct {
	X     [][]float64
	Y     []float64
	Names []string
}

// Rows returns the number of rows.
func (d Dataset) Rows() int { return len(d.X) }

// Subset returns the rows of d at the given indices, sharing the row slices
// (no copy of the feature values). It is meant for train/holdout splits.
func (d Dataset) Subset(idx []int) Dataset {
	s := Dataset{X: make([][]float64, len(idx)), Y: make([]float64, len(idx)), Names: d.Names}
	for k, i := range idx {
		s.X[k] = d.X[i]
		s.Y[k] = d.Y[i]
	}
	return s
}

// ErrSingleClass is returned (wrapped) when the training labels are all 0 or
// all 1: no classifier can be fitted and a constant would be a silent lie.
var ErrSingleClass = errors.New("learn: training labels contain a single class")

// validate checks the shape and values of a training set and returns the
// number of features. It is strict because training on corrupt rows yields a
// model that looks fine and is wrong.
func (d Dataset) validate() (int, error) {
	n := len(d.X)
	if n == 0 {
		return 0, errors.New("learn: empty dataset")
	}
	if len(d.Y) != n {
		return 0, fmt.Errorf("learn: %d feature rows but %d labels", n, len(d.Y))
	}
	p := len(d.X[0])
	if len(d.Names) != 0 && len(d.Names) != p {
		return 0, fmt.Errorf("learn: %d feature names but row 0 has %d features", len(d.Names), p)
	}
	pos := 0
	for i, row := range d.X {
		if len(row) != p {
			return 0, fmt.Errorf("learn: row %d has %d features, want %d", i, len(row), p)
		}
		y := d.Y[i]
		if y != 0 && y != 1 {
			return 0, fmt.Errorf("learn: row %d: label %v is not 0 or 1", i, y)
		}
		if y == 1 {
			pos++
		}
		for j, v := range row {
			if math.IsInf(v, 0) {
				return 0, fmt.Errorf("learn: row %d, feature %d (%s): value %v; use NaN for missing", i, j, d.name(j), v)
			}
		}
	}
	if pos == 0 || pos == n {
		return 0, fmt.Errorf("%w (%d rows, all labelled %v)", ErrSingleClass, n, d.Y[0])
	}
	return p, nil
}

func (d Dataset) name(j int) string {
	if j < len(d.Names) {
		return d.Names[j]
	}
	return fmt.Sprintf("x%d", j)
}

// names returns the feature names, generating x0, x1, ... when none were given
// so that models always carry names for their reasons.
func (d Dataset) names(p int) []string {
	out := make([]string, p)
	for j := range out {
		out[j] = d.name(j)
	}
	return out
}

// Model is a fitted binary classifier. Every method taking x expects one
// value per training feature, in training order (a shorter x panics); NaN or
// ±Inf means missing.
type Model interface {
	// Predict returns the probability that the label is 1.
	Predict(x []float64) float64
	// Contributions returns one value per feature: that feature's
	// contribution to the log-odds of x relative to Baseline(), so that
	// sum(Contributions(x)) + Baseline() equals the log-odds of Predict(x).
	Contributions(x []float64) []float64
	// Baseline is the log-odds the contributions are measured from.
	Baseline() float64
	// Name identifies the model family ("logistic", "gbt").
	Name() string
}

// Reason is one feature's contribution to a prediction, for explaining it.
type Reason struct {
	Feature      string  // feature name
	Index        int     // feature column
	Value        float64 // the feature value of the row (NaN if missing)
	Contribution float64 // contribution to the log-odds; > 0 pushes towards label 1
}

// TopReasons returns up to k features with the largest positive contributions
// to the log-odds of label 1 for x, largest first; features that pull the
// other way are left out, because "why is this customer at risk" is answered
// by what raises the risk. Ties are broken by feature index for stable output.
func TopReasons(m Model, names []string, x []float64, k int) []Reason {
	c := m.Contributions(x)
	idx := make([]int, 0, len(c))
	for j, v := range c {
		if v > 0 {
			idx = append(idx, j)
		}
	}
	sort.SliceStable(idx, func(a, b int) bool { return c[idx[a]] > c[idx[b]] })
	if len(idx) > k {
		idx = idx[:k]
	}
	out := make([]Reason, len(idx))
	for r, j := range idx {
		name := fmt.Sprintf("x%d", j)
		if j < len(names) {
			name = names[j]
		}
		out[r] = Reason{Feature: name, Index: j, Value: x[j], Contribution: c[j]}
	}
	return out
}

// PredictAll scores every row of X, in parallel across GOMAXPROCS goroutines;
// the result does not depend on the number of goroutines.
func PredictAll(m Model, X [][]float64) []float64 {
	p := make([]float64, len(X))
	parallelChunks(0, len(X), 4096, func(_, lo, hi int) {
		for i := lo; i < hi; i++ {
			p[i] = m.Predict(X[i])
		}
	})
	return p
}

// Fingerprint returns a content-derived model version to store next to
// predictions, such as "gbt-1f0c6a9e3b2d4c51": the model name and the first
// 64 bits of the SHA-256 of its JSON encoding. Retraining on the same data
// with the same options and seed gives the same fingerprint; any change to
// the model gives another.
func Fingerprint(m Model) (string, error) {
	b, err := json.Marshal(m)
	if err != nil {
		return "", err
	}
	h := sha256.Sum256(b)
	return m.Name() + "-" + hex.EncodeToString(h[:8]), nil
}

// sigmoid is 1/(1+e^−z). For z → −∞, e^−z overflows to +Inf and the
// result is correctly 0, so no branch is needed.
func sigmoid(z float64) float64 { return 1 / (1 + math.Exp(-z)) }

// finite reports whether v is usable as a feature value at prediction time.
func finite(v float64) bool { return !math.IsNaN(v) && !math.IsInf(v, 0) }

// workers returns the number of goroutines to use: w if positive, else
// GOMAXPROCS.
func workers(w int) int {
	if w > 0 {
		return w
	}
	return runtime.GOMAXPROCS(0)
}

// parallelFor runs fn(i) for i in [0, n) on up to w goroutines, handing out
// indices dynamically so uneven tasks balance. Results are deterministic as
// long as fn(i) writes only to state owned by i.
func parallelFor(w, n int, fn func(i int)) {
	w = workers(w)
	if w > n {
		w = n
	}
	if w <= 1 {
		for i := 0; i < n; i++ {
			fn(i)
		}
		return
	}
	var next atomic.Int64
	var wg sync.WaitGroup
	wg.Add(w)
	for g := 0; g < w; g++ {
		go func() {
			defer wg.Done()
			for {
				i := int(next.Add(1) - 1)
				if i >= n {
					return
				}
				fn(i)
			}
		}()
	}
	wg.Wait()
}

// parallelChunks splits [0, n) into consecutive chunks of size items (the
// last may be shorter) and runs fn(c, lo, hi) for chunk c on up to w
// goroutines. Chunk boundaries depend only on n and size, never on the worker
// count, so a caller that reduces per-chunk results in chunk order gets
// bit-identical sums whatever GOMAXPROCS is.
func parallelChunks(w, n, size int, fn func(c, lo, hi int)) {
	chunks := numChunks(n, size)
	parallelFor(w, chunks, func(c int) {
		lo := c * size
		fn(c, lo, min(lo+size, n))
	})
}

func numChunks(n, size int) int { return (n + size - 1) / size }
