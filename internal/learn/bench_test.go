package learn

import (
	"sync"
	"syscall"
	"testing"
	"time"
)

// cpuTime returns the process's user+system CPU time. The benchmarks report
// it per op next to wall time because the benchmark machine is shared: wall
// time inflates with other tenants' load, CPU time much less.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// loopCPU runs b.Loop and reports CPU seconds per op.
func loopCPU(b *testing.B, body func()) {
	start := cpuTime()
	n := 0
	for b.Loop() {
		body()
		n++
	}
	b.ReportMetric((cpuTime()-start).Seconds()/float64(n), "cpu-s/op")
}

// benchData is 1M rows × 12 features with interactions, the size of the
// largest seller the churn model must handle. It is built once.
var benchData = sync.OnceValue(func() Dataset {
	d, _ := simulate(1_000_000, 12, 99, func(x []float64) float64 {
		return interactionLogit(x) + 0.5*x[3] - 0.4*x[4] + 0.3*x[5]*x[6]
	})
	return d
})

// BenchmarkTrainGBT: exactly 100 trees of depth 5 on 1M × 12 with 80% row
// subsampling and no validation split, so the work per run is fixed.
func BenchmarkTrainGBT(b *testing.B) {
	d := benchData()
	o := DefaultGBTOptions()
	o.NumTrees = 100
	o.ValidationFraction = 0
	loopCPU(b, func() {
		if _, err := TrainGBT(d, o); err != nil {
			b.Fatal(err)
		}
	})
}

// BenchmarkTrainGBTDefault: DefaultGBTOptions with early stopping on 1M ×
// 12, what a churn refresh runs; reports the number of trees kept.
func BenchmarkTrainGBTDefault(b *testing.B) {
	d := benchData()
	var trees int
	loopCPU(b, func() {
		m, err := TrainGBT(d, DefaultGBTOptions())
		if err != nil {
			b.Fatal(err)
		}
		trees = len(m.Trees)
	})
	b.ReportMetric(float64(trees), "trees")
}

func BenchmarkTrainLogistic(b *testing.B) {
	d := benchData()
	loopCPU(b, func() {
		if _, err := TrainLogistic(d, DefaultLogisticOptions()); err != nil {
			b.Fatal(err)
		}
	})
}

var benchModels = sync.OnceValues(func() (*GBT, *Logistic) {
	d := benchData()
	sub := Dataset{X: d.X[:200_000], Y: d.Y[:200_000], Names: d.Names}
	o := DefaultGBTOptions()
	o.NumTrees, o.ValidationFraction = 300, 0 // a large model: 300 trees of depth 5
	g, err := TrainGBT(sub, o)
	if err != nil {
		panic(err)
	}
	l, err := TrainLogistic(sub, DefaultLogisticOptions())
	if err != nil {
		panic(err)
	}
	return g, l
})

// BenchmarkPredict scores one row with a 300-tree GBT.
func BenchmarkPredict(b *testing.B) {
	g, _ := benchModels()
	X := benchData().X
	i := 0
	for b.Loop() {
		g.Predict(X[i%len(X)])
		i++
	}
}

func BenchmarkPredictLogistic(b *testing.B) {
	_, l := benchModels()
	X := benchData().X
	i := 0
	for b.Loop() {
		l.Predict(X[i%len(X)])
		i++
	}
}

// BenchmarkContributions: Saabas reasons for one row, 300 trees.
func BenchmarkContributions(b *testing.B) {
	g, _ := benchModels()
	X := benchData().X
	i := 0
	for b.Loop() {
		g.Contributions(X[i%len(X)])
		i++
	}
}

// BenchmarkSHAP: TreeSHAP for one row, 300 trees.
func BenchmarkSHAP(b *testing.B) {
	g, _ := benchModels()
	X := benchData().X
	i := 0
	for b.Loop() {
		g.SHAP(X[i%len(X)])
		i++
	}
}

// BenchmarkPredictAll scores 1M rows with a 300-tree GBT on all cores.
func BenchmarkPredictAll(b *testing.B) {
	g, _ := benchModels()
	X := benchData().X
	loopCPU(b, func() { PredictAll(g, X) })
}
