package learn

import (
	"fmt"
	"math"
	"sort"
)

// checkPairs panics on mismatched lengths: metrics take parallel slices, and a
// length mismatch is a programming error that must not produce a number.
func checkPairs(fn string, y, p []float64) {
	if len(y) != len(p) {
		panic(fmt.Sprintf("learn.%s: %d labels but %d predictions", fn, len(y), len(p)))
	}
}

// AUC returns the area under the ROC curve of scores p for labels y (1 =
// positive; any other value counts as negative). It is the Mann-Whitney
// statistic: the probability that a random positive scores above a random
// negative, with ties counted as one half (midranks). It returns NaN when y
// has only one class, where AUC is undefined, or when p contains NaN.
func AUC(y, p []float64) float64 {
	checkPairs("AUC", y, p)
	n := len(p)
	idx := make([]int, n)
	for i := range idx {
		idx[i] = i
		if math.IsNaN(p[i]) {
			return math.NaN()
		}
	}
	sort.Slice(idx, func(a, b int) bool { return p[idx[a]] < p[idx[b]] })
	var rankSumPos float64
	var nPos, nNeg float64
	for i := 0; i < n; {
		j := i
		for j < n && p[idx[j]] == p[idx[i]] {
			j++
		}
		// Ranks i+1..j share the midrank (i+1+j)/2.
		mid := float64(i+1+j) / 2
		for k := i; k < j; k++ {
			if y[idx[k]] == 1 {
				rankSumPos += mid
				nPos++
			} else {
				nNeg++
			}
		}
		i = j
	}
	if nPos == 0 || nNeg == 0 {
		return math.NaN()
	}
	return (rankSumPos - nPos*(nPos+1)/2) / (nPos * nNeg)
}

// probClip bounds probabilities away from 0 and 1 in LogLoss so that one
// confident mistake costs a large but finite penalty (−log 1e-15 ≈ 34.5).
const probClip = 1e-15

// LogLoss returns the mean negative log-likelihood (natural log) of labels y
// under probabilities p, with p clipped to [1e-15, 1−1e-15].
func LogLoss(y, p []float64) float64 {
	checkPairs("LogLoss", y, p)
	var s float64
	for i, pi := range p {
		pi = math.Min(math.Max(pi, probClip), 1-probClip)
		if y[i] == 1 {
			s -= math.Log(pi)
		} else {
			s -= math.Log1p(-pi)
		}
	}
	return s / float64(len(p))
}

// Brier returns the mean squared difference between p and y.
func Brier(y, p []float64) float64 {
	checkPairs("Brier", y, p)
	var s float64
	for i := range p {
		d := p[i] - y[i]
		s += d * d
	}
	return s / float64(len(p))
}

// CalibrationBin summarises one bin of a reliability diagram: predictions in
// [Lower, Upper], their mean, and the observed rate of label 1 among them.
type CalibrationBin struct {
	Lower         float64 `json:"lower"`          // smallest prediction in the bin
	Upper         float64 `json:"upper"`          // largest prediction in the bin
	MeanPredicted float64 `json:"mean_predicted"` // mean prediction in the bin
	ObservedRate  float64 `json:"observed_rate"`  // fraction of rows with label 1
	Count         int     `json:"count"`          // rows in the bin
}

// Calibration sorts predictions and cuts them into up to bins equal-count
// (quantile) bins. Equal-count bins keep every bin's observed rate equally
// precise, unlike fixed-width bins that are empty or tiny at the extremes.
// Rows with equal predictions are never split across bins (a bin boundary
// moves forward past a run of ties), so bins do not overlap; hence a bin may
// hold more rows than n/bins and fewer bins than asked may be returned.
// NaN predictions are ignored.
func Calibration(y, p []float64, bins int) []CalibrationBin {
	checkPairs("Calibration", y, p)
	idx := make([]int, 0, len(p))
	for i, v := range p {
		if !math.IsNaN(v) {
			idx = append(idx, i)
		}
	}
	n := len(idx)
	if n == 0 || bins < 1 {
		return nil
	}
	sort.SliceStable(idx, func(a, b int) bool { return p[idx[a]] < p[idx[b]] })
	var out []CalibrationBin
	start := 0
	for b := 1; b <= bins && start < n; b++ {
		end := int(math.Round(float64(b) * float64(n) / float64(bins)))
		if end <= start {
			continue
		}
		for end < n && p[idx[end]] == p[idx[end-1]] {
			end++
		}
		var sp, sy float64
		for _, i := range idx[start:end] {
			sp += p[i]
			if y[i] == 1 {
				sy++
			}
		}
		c := end - start
		out = append(out, CalibrationBin{
			Lower:         p[idx[start]],
			Upper:         p[idx[end-1]],
			MeanPredicted: sp / float64(c),
			ObservedRate:  sy / float64(c),
			Count:         c,
		})
		start = end
	}
	return out
}

// CalibrationError returns the count-weighted mean of |MeanPredicted −
// ObservedRate| over the bins (the expected calibration error, ECE), a
// one-number summary for a model report.
func CalibrationError(bins []CalibrationBin) float64 {
	var s float64
	var n int
	for _, b := range bins {
		s += float64(b.Count) * math.Abs(b.MeanPredicted-b.ObservedRate)
		n += b.Count
	}
	if n == 0 {
		return math.NaN()
	}
	return s / float64(n)
}

// Report is a holdout evaluation of one model.
type Report struct {
	Model       string           `json:"model"`
	Rows        int              `json:"rows"`
	Positives   int              `json:"positives"`
	AUC         float64          `json:"auc"`
	LogLoss     float64          `json:"log_loss"`
	Brier       float64          `json:"brier"`
	ECE         float64          `json:"ece"`
	Calibration []CalibrationBin `json:"calibration"`
}

// Evaluate scores d with m and reports AUC, log-loss, Brier score and a
// 10-bin calibration table, the numbers a model comparison needs. If d holds
// a single class, AUC is NaN and the Report cannot be JSON-encoded: check
// Positives first.
func Evaluate(m Model, d Dataset) Report {
	p := PredictAll(m, d.X)
	pos := 0
	for _, y := range d.Y {
		if y == 1 {
			pos++
		}
	}
	cal := Calibration(d.Y, p, 10)
	return Report{
		Model: m.Name(), Rows: len(p), Positives: pos,
		AUC: AUC(d.Y, p), LogLoss: LogLoss(d.Y, p), Brier: Brier(d.Y, p),
		ECE: CalibrationError(cal), Calibration: cal,
	}
}
