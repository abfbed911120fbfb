package sentiment

import "math"

// MacroF1 returns the mean over the three classes of the F1 score of
// predicted against gold classes (indexes into Classes).
func MacroF1(pred, gold []int) float64 {
	return macroF1(pred, gold, []int{0, 1, 2})
}

// BinaryMacroF1 returns the mean of the F1 scores of the negative and the
// positive class (indexes into Classes; a neutral prediction counts as a
// miss), the measure for data labelled positive or negative only.
func BinaryMacroF1(pred, gold []int) float64 {
	return macroF1(pred, gold, []int{0, 2})
}

// macroF1 is the mean F1 over the classes ks; a class that is neither
// predicted nor present counts 0, as in MacroF1.
func macroF1(pred, gold []int, ks []int) float64 {
	var tp, fp, fn [3]float64
	for i := range pred {
		if pred[i] == gold[i] {
			tp[gold[i]]++
		} else {
			fp[pred[i]]++
			fn[gold[i]]++
		}
	}
	var sum float64
	for _, k := range ks {
		if tp[k]+fp[k]+fn[k] == 0 {
			continue
		}
		sum += 2 * tp[k] / (2*tp[k] + fp[k] + fn[k])
	}
	return sum / float64(len(ks))
}

// Pearson returns the correlation coefficient of x and y.
func Pearson(x, y []float64) float64 {
	n := float64(len(x))
	var sx, sy float64
	for i := range x {
		sx += x[i]
		sy += y[i]
	}
	mx, my := sx/n, sy/n
	var cov, vx, vy float64
	for i := range x {
		cov += (x[i] - mx) * (y[i] - my)
		vx += (x[i] - mx) * (x[i] - mx)
		vy += (y[i] - my) * (y[i] - my)
	}
	return cov / math.Sqrt(vx*vy)
}

// ClassIndex returns the index in Classes of a label, or −1.
func ClassIndex(l Label) int {
	for i, c := range Classes {
		if c == l {
			return i
		}
	}
	return -1
}
