package learn

import (
	"math"
	"math/rand/v2"
	"testing"
)

func near(a, b, tol float64) bool { return math.Abs(a-b) <= tol }

func TestAUCHandComputed(t *testing.T) {
	cases := []struct {
		name string
		y, p []float64
		want float64
	}{
		{"perfect", []float64{0, 0, 1, 1}, []float64{0.1, 0.2, 0.8, 0.9}, 1},
		{"reversed", []float64{1, 1, 0, 0}, []float64{0.1, 0.2, 0.8, 0.9}, 0},
		// Pairs (pos, neg): (.35,.1) win, (.35,.4) loss, (.8,.1) win,
		// (.8,.4) win → 3/4.
		{"one inversion", []float64{0, 0, 1, 1}, []float64{0.1, 0.4, 0.35, 0.8}, 0.75},
		{"all tied", []float64{0, 1, 0, 1}, []float64{0.5, 0.5, 0.5, 0.5}, 0.5},
		// Positives .2,.6,.9; negatives .2,.6. Pairs: (.2,.2) ½,
		// (.2,.6) 0, (.6,.2) 1, (.6,.6) ½, (.9,.2) 1, (.9,.6) 1 → 4/6.
		{"ties across classes", []float64{0, 1, 0, 1, 1}, []float64{0.2, 0.2, 0.6, 0.6, 0.9}, 4.0 / 6},
		// Positive .5 ties both negatives (½ + ½), positive .7 beats both:
		// 3/4.
		{"tie with two negatives", []float64{0, 1, 0, 1}, []float64{0.5, 0.5, 0.5, 0.7}, 0.75},
	}
	for _, c := range cases {
		if got := AUC(c.y, c.p); !near(got, c.want, 1e-12) {
			t.Errorf("%s: AUC = %v, want %v", c.name, got, c.want)
		}
	}
}

// TestAUCMatchesPairCounting checks the rank formula against the
// definition (count ordered pairs, ties ½) on data with many ties.
func TestAUCMatchesPairCounting(t *testing.T) {
	r := rand.New(rand.NewPCG(3, 4))
	for trial := 0; trial < 20; trial++ {
		n := 50 + r.IntN(200)
		y := make([]float64, n)
		p := make([]float64, n)
		for i := range y {
			p[i] = math.Round(r.Float64()*10) / 10 // 11 distinct values: many ties
			if r.Float64() < 0.3+0.4*p[i] {
				y[i] = 1
			}
		}
		var num, pairs float64
		for i := range y {
			for j := range y {
				if y[i] == 1 && y[j] == 0 {
					pairs++
					switch {
					case p[i] > p[j]:
						num++
					case p[i] == p[j]:
						num += 0.5
					}
				}
			}
		}
		if got, want := AUC(y, p), num/pairs; !near(got, want, 1e-12) {
			t.Fatalf("trial %d: AUC = %v, pair count gives %v", trial, got, want)
		}
	}
}

func TestAUCUndefined(t *testing.T) {
	if v := AUC([]float64{1, 1}, []float64{0.2, 0.3}); !math.IsNaN(v) {
		t.Errorf("single-class AUC = %v, want NaN", v)
	}
	if v := AUC([]float64{0, 1}, []float64{math.NaN(), 0.3}); !math.IsNaN(v) {
		t.Errorf("AUC with NaN score = %v, want NaN", v)
	}
}

func TestLogLossAndBrier(t *testing.T) {
	y := []float64{1, 0, 1}
	p := []float64{0.8, 0.3, 0.5}
	wantLL := -(math.Log(0.8) + math.Log(0.7) + math.Log(0.5)) / 3
	if got := LogLoss(y, p); !near(got, wantLL, 1e-15) {
		t.Errorf("LogLoss = %v, want %v", got, wantLL)
	}
	if got, want := Brier(y, p), (0.04+0.09+0.25)/3; !near(got, want, 1e-15) {
		t.Errorf("Brier = %v, want %v", got, want)
	}
	// A confident mistake is clipped to a finite −log(1e-15).
	if got := LogLoss([]float64{1}, []float64{0}); !near(got, -math.Log(1e-15), 1e-9) {
		t.Errorf("LogLoss of p=0 for y=1 = %v, want %v", got, -math.Log(1e-15))
	}
}

func TestCalibrationEqualCountBins(t *testing.T) {
	y := []float64{0, 0, 1, 0, 1, 1}
	p := []float64{0.6, 0.1, 0.3, 0.2, 0.5, 0.4} // unsorted on purpose
	got := Calibration(y, p, 3)
	want := []CalibrationBin{
		{Lower: 0.1, Upper: 0.2, MeanPredicted: 0.15, ObservedRate: 0, Count: 2},
		{Lower: 0.3, Upper: 0.4, MeanPredicted: 0.35, ObservedRate: 1, Count: 2},
		{Lower: 0.5, Upper: 0.6, MeanPredicted: 0.55, ObservedRate: 0.5, Count: 2},
	}
	// p=.3 → y=1, p=.4 → y=1; p=.5 → y=1, p=.6 → y=0.
	if len(got) != len(want) {
		t.Fatalf("got %d bins, want %d: %+v", len(got), len(want), got)
	}
	for i := range want {
		g, w := got[i], want[i]
		if g.Count != w.Count || !near(g.Lower, w.Lower, 1e-15) || !near(g.Upper, w.Upper, 1e-15) ||
			!near(g.MeanPredicted, w.MeanPredicted, 1e-15) || !near(g.ObservedRate, w.ObservedRate, 1e-15) {
			t.Errorf("bin %d = %+v, want %+v", i, g, w)
		}
	}
	if e := CalibrationError(got); !near(e, (2*0.15+2*0.65+2*0.05)/6, 1e-15) {
		t.Errorf("CalibrationError = %v", e)
	}
}

func TestCalibrationKeepsTiesTogether(t *testing.T) {
	y := []float64{0, 1, 0, 1, 0, 1}
	p := []float64{0.1, 0.1, 0.1, 0.2, 0.3, 0.4}
	got := Calibration(y, p, 3)
	counts := []int{}
	for _, b := range got {
		counts = append(counts, b.Count)
	}
	// The first cut (after 2 rows) falls inside the run of 0.1s and moves
	// past it.
	if len(got) != 3 || got[0].Count != 3 || got[1].Count != 1 || got[2].Count != 2 {
		t.Fatalf("counts %v, want [3 1 2]", counts)
	}
	for i := 1; i < len(got); i++ {
		if got[i].Lower <= got[i-1].Upper {
			t.Errorf("bins %d and %d overlap: %+v", i-1, i, got)
		}
	}
	if !near(got[0].ObservedRate, 1.0/3, 1e-15) {
		t.Errorf("tied bin observed rate %v, want 1/3", got[0].ObservedRate)
	}
}
