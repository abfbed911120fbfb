package learn

import (
	"os"
	"testing"
	"time"
)

func TestZZExperiment(t *testing.T) {
	if os.Getenv("LEARN_EXP") == "" {
		t.Skip()
	}
	full, truth := simulate(1_200_000, 12, 99, func(x []float64) float64 {
		return interactionLogit(x) + 0.5*x[3] - 0.4*x[4] + 0.3*x[5]*x[6]
	})
	train, test := holdout(full, 1_000_000)
	t.Logf("oracle AUC %.4f", AUC(test.Y, truth[1_000_000:]))
	run := func(name string, d Dataset, o GBTOptions) {
		c0, w0 := cpuTime(), time.Now()
		m, err := TrainGBT(d, o)
		if err != nil {
			t.Fatal(err)
		}
		t.Logf("%-28s rows %7d trees %3d wall %6.1fs cpu %6.1fs AUC %.4f logloss %.4f", name, len(d.X), len(m.Trees), time.Since(w0).Seconds(), (cpuTime() - c0).Seconds(), AUC(test.Y, PredictAll(m, test.X)), LogLoss(test.Y, PredictAll(m, test.X)))
	}
	o := DefaultGBTOptions()
	fast := o
	fast.LearningRate, fast.Subsample, fast.NumTrees = 0.3, 0.5, 200
	run("lr0.3 sub0.5", train, fast)
	sub := Dataset{X: train.X[:250_000], Y: train.Y[:250_000], Names: train.Names}
	run("default on 250k", sub, o)
	mid := o
	mid.LearningRate, mid.Subsample = 0.2, 0.5
	run("lr0.2 sub0.5", train, mid)
	c0, w0 := cpuTime(), time.Now()
	l, _ := TrainLogistic(train, DefaultLogisticOptions())
	t.Logf("logistic wall %.1fs cpu %.1fs AUC %.4f", time.Since(w0).Seconds(), (cpuTime() - c0).Seconds(), AUC(test.Y, PredictAll(l, test.X)))
}
