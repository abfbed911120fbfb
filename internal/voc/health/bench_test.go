package health

import (
	"fmt"
	"math/rand/v2"
	"syscall"
	"testing"
	"time"
)

// benchTexts makes nSeries products over nDays days, perDay texts per
// product per weekday on average (3× at weekends).
func benchTexts(nSeries, nDays int, perDay float64) []Text {
	r := rand.New(rand.NewPCG(1, 2))
	var out []Text
	for d := 0; d < nDays; d++ {
		t := day(d)
		lam := perDay
		if wd := t.Weekday(); wd == time.Saturday || wd == time.Sunday {
			lam *= 3
		}
		for s := 0; s < nSeries; s++ {
			n := poisson(r, lam)
			for j := 0; j < n; j++ {
				tx := Text{ID: fmt.Sprint(len(out)), Time: t, Product: fmt.Sprintf("P%04d", s), Marketplace: "amazon.de", Label: Positive, Score: 0.5, Rating: 5}
				if r.Float64() < 0.15 {
					tx.Label, tx.Score, tx.Rating = Negative, -r.Float64(), 1
				}
				out = append(out, tx)
			}
		}
	}
	return out
}

// BenchmarkRun1000x365 indexes and alerts 1,000 product series over 365
// days (about 3.5 texts per series-day on average, 1.3M texts).
func BenchmarkRun1000x365(b *testing.B) {
	texts := benchTexts(1000, 365, 2)
	opts := Options{Series: [][]Dimension{{Product}}}
	b.ReportAllocs()
	b.ResetTimer()
	cpu0 := cpuTime()
	for b.Loop() {
		res := Run(texts, day(0), day(364), opts)
		if len(res.Index) < 1000*360 {
			b.Fatalf("%d rows", len(res.Index))
		}
	}
	b.ReportMetric((cpuTime()-cpu0).Seconds()/float64(b.N), "cpu-s/op")
	b.ReportMetric(float64(len(texts)), "texts")
	b.ReportMetric(float64(b.Elapsed().Seconds())/float64(b.N)/365000*1e6, "µs/series-day")
}

// cpuTime is the process's user+system CPU time: on a shared machine it
// shows the work done, where wall time also shows the wait for a core.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
