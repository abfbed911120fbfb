package learn

import (
	"bytes"
	"encoding/json"
	"errors"
	"math"
	"strings"
	"testing"
)

// trainers runs each check on both learners.
var trainers = []struct {
	name  string
	train func(Dataset) (Model, error)
}{
	{"logistic", func(d Dataset) (Model, error) { return TrainLogistic(d, DefaultLogisticOptions()) }},
	{"gbt", func(d Dataset) (Model, error) { return TrainGBT(d, DefaultGBTOptions()) }},
}

func TestInvalidTrainingData(t *testing.T) {
	good := func() Dataset {
		d := Dataset{Names: []string{"a", "b"}}
		for i := 0; i < 100; i++ {
			d.X = append(d.X, []float64{float64(i), float64(i % 3)})
			d.Y = append(d.Y, float64(i%2))
		}
		return d
	}
	cases := []struct {
		name   string
		mutate func(*Dataset)
		want   string // substring of the error
	}{
		{"NaN label", func(d *Dataset) { d.Y[7] = math.NaN() }, "row 7: label NaN"},
		{"Inf label", func(d *Dataset) { d.Y[12] = math.Inf(1) }, "row 12: label +Inf"},
		{"label 2", func(d *Dataset) { d.Y[3] = 2 }, "row 3: label 2 is not 0 or 1"},
		{"Inf feature", func(d *Dataset) { d.X[5][1] = math.Inf(-1) }, "row 5, feature 1 (b)"},
		{"ragged row", func(d *Dataset) { d.X[9] = []float64{1} }, "row 9 has 1 features, want 2"},
		{"label count", func(d *Dataset) { d.Y = d.Y[:50] }, "100 feature rows but 50 labels"},
		{"names", func(d *Dataset) { d.Names = []string{"a"} }, "1 feature names"},
		{"empty", func(d *Dataset) { d.X, d.Y = nil, nil }, "empty dataset"},
		{"all zero", func(d *Dataset) {
			for i := range d.Y {
				d.Y[i] = 0
			}
		}, "single class"},
		{"all one", func(d *Dataset) {
			for i := range d.Y {
				d.Y[i] = 1
			}
		}, "single class"},
	}
	for _, tr := range trainers {
		for _, c := range cases {
			d := good()
			c.mutate(&d)
			m, err := tr.train(d)
			if err == nil || !strings.Contains(err.Error(), c.want) {
				t.Errorf("%s, %s: got model %v, error %v; want error containing %q", tr.name, c.name, m != nil, err, c.want)
			}
			if strings.Contains(c.name, "all") && !errors.Is(err, ErrSingleClass) {
				t.Errorf("%s, %s: error %v is not ErrSingleClass", tr.name, c.name, err)
			}
		}
		if _, err := tr.train(good()); err != nil {
			t.Errorf("%s: valid data rejected: %v", tr.name, err)
		}
	}
}

func TestInvalidOptions(t *testing.T) {
	d, _ := simulate(200, 2, 1, linearLogit(0, 1, 1))
	for _, o := range []GBTOptions{
		{LearningRate: 2}, {MaxDepth: 40}, {MaxBins: 300}, {Subsample: 1.5},
		{ValidationFraction: 1}, {L2: -1}, {NumTrees: -1},
	} {
		if _, err := TrainGBT(d, o); err == nil {
			t.Errorf("options %+v accepted", o)
		}
	}
	if _, err := TrainLogistic(d, LogisticOptions{L2: -1}); err == nil {
		t.Error("negative L2 accepted")
	}
}

// TestDeterministic: a fixed seed gives a byte-identical model whatever the
// number of goroutines, and another seed a different one (so the seed is
// really used).
func TestDeterministic(t *testing.T) {
	d, _ := simulate(20_000, 6, 121, interactionLogit)
	d.X[3][2] = math.NaN()
	enc := func(m any) string {
		b, err := json.Marshal(m)
		if err != nil {
			t.Fatal(err)
		}
		return string(b)
	}
	gbt := func(seed uint64, workers int) string {
		o := DefaultGBTOptions()
		o.Seed, o.Workers, o.NumTrees = seed, workers, 60
		m, err := TrainGBT(d, o)
		if err != nil {
			t.Fatal(err)
		}
		return enc(m)
	}
	a, b, c := gbt(7, 1), gbt(7, 3), gbt(8, 2)
	if a != b {
		t.Error("gbt: same seed, different worker counts, different models")
	}
	if a == c {
		t.Error("gbt: different seeds gave identical models")
	}
	lr := func(workers int) string {
		o := DefaultLogisticOptions()
		o.Workers = workers
		m, err := TrainLogistic(d, o)
		if err != nil {
			t.Fatal(err)
		}
		return enc(m)
	}
	if lr(1) != lr(3) {
		t.Error("logistic: different worker counts, different models")
	}
}

func TestJSONRoundTrip(t *testing.T) {
	d, _ := simulate(10_000, 4, 131, interactionLogit)
	d.X[0][1] = math.NaN()
	lr, err := TrainLogistic(d, DefaultLogisticOptions())
	if err != nil {
		t.Fatal(err)
	}
	gbt, err := TrainGBT(d, DefaultGBTOptions())
	if err != nil {
		t.Fatal(err)
	}
	probe := append(d.X[:200:200], []float64{math.NaN(), math.NaN(), math.NaN(), math.NaN()})
	for _, c := range []struct {
		m    Model
		back Model
	}{{lr, new(Logistic)}, {gbt, new(GBT)}} {
		b, err := json.Marshal(c.m)
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Contains(b, []byte(`"version":1`)) {
			t.Errorf("%s: no version in %.80s", c.m.Name(), b)
		}
		if err := json.Unmarshal(b, c.back); err != nil {
			t.Fatalf("%s: %v", c.m.Name(), err)
		}
		for _, x := range probe {
			if c.m.Predict(x) != c.back.Predict(x) {
				t.Fatalf("%s: prediction changed after round trip", c.m.Name())
			}
			if !slicesEqual(c.m.Contributions(x), c.back.Contributions(x)) || c.m.Baseline() != c.back.Baseline() {
				t.Fatalf("%s: contributions changed after round trip", c.m.Name())
			}
		}
		f1, _ := Fingerprint(c.m)
		f2, _ := Fingerprint(c.back)
		if f1 != f2 || !strings.HasPrefix(f1, c.m.Name()+"-") {
			t.Errorf("%s: fingerprints %q and %q", c.m.Name(), f1, f2)
		}
		// A model from another format version is refused.
		bad := bytes.Replace(b, []byte(`"version":1`), []byte(`"version":2`), 1)
		if err := json.Unmarshal(bad, c.back); err == nil || !strings.Contains(err.Error(), "version 2") {
			t.Errorf("%s: version 2 accepted (err %v)", c.m.Name(), err)
		}
	}
	// A tree whose child points backwards would loop forever: refused.
	var m GBT
	bad := `{"version":1,"names":["a"],"importance":[0],"trees":[{"nodes":[{"f":0,"l":0,"r":1,"v":0,"c":1},{"f":-1,"v":0,"c":1}]}]}`
	if err := json.Unmarshal([]byte(bad), &m); err == nil {
		t.Error("cyclic tree accepted")
	}
}

func slicesEqual(a, b []float64) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

func TestTopReasons(t *testing.T) {
	m := &Logistic{
		Version: FormatVersion, Names: []string{"recency", "frequency", "refunds"},
		Coef: []float64{0.05, -0.5, 0.8}, Mean: []float64{30, 4, 0.2}, Scale: []float64{20, 3, 0.5},
	}
	// recency 90: +3.0; frequency 1: +1.5; refunds 0: −0.16.
	got := TopReasons(m, m.Names, []float64{90, 1, 0}, 5)
	if len(got) != 2 || got[0].Feature != "recency" || got[1].Feature != "frequency" ||
		!near(got[0].Contribution, 3, 1e-12) || !near(got[1].Contribution, 1.5, 1e-12) || got[0].Value != 90 {
		t.Errorf("reasons %+v", got)
	}
	if got := TopReasons(m, m.Names, []float64{90, 1, 0}, 1); len(got) != 1 || got[0].Feature != "recency" {
		t.Errorf("k=1: %+v", got)
	}
}

func TestEvaluate(t *testing.T) {
	d, _ := simulate(5000, 3, 141, linearLogit(0, 1, 1, 1))
	m, err := TrainLogistic(d, DefaultLogisticOptions())
	if err != nil {
		t.Fatal(err)
	}
	r := Evaluate(m, d)
	p := PredictAll(m, d.X)
	if r.AUC != AUC(d.Y, p) || r.LogLoss != LogLoss(d.Y, p) || r.Rows != 5000 || len(r.Calibration) != 10 {
		t.Errorf("report %+v", r)
	}
	if _, err := json.Marshal(r); err != nil {
		t.Error(err)
	}
}
