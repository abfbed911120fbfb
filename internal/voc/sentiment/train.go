package sentiment

import (
	"math"
	"math/rand/v2"
)

// TrainExample is one labelled text for Train. Class indexes Classes.
// Binary examples (data sets with only positive and negative labels) are
// fitted with a two-class loss that leaves the neutral output alone.
type TrainExample struct {
	Text   string
	Lang   string
	Class  int
	Binary bool
	Weight float64
}

// TrainConfig sets the model's shape and the optimiser.
type TrainConfig struct {
	// Bits is log2 of the number of hash buckets.
	Bits uint
	// Subwords adds character 4-grams inside words.
	Subwords bool
	// LangBias adds a bias feature per language.
	LangBias bool
	// Epochs over the data, LR AdaGrad's learning rate, L2 the
	// regularisation per update.
	Epochs int
	LR     float64
	L2     float64
	// Seed makes the shuffling deterministic.
	Seed uint64
	// Average returns the mean of the weights over all updates (averaged
	// SGD) instead of the last ones.
	Average bool
	// Runs, when above 1, trains that many times with seeds Seed,
	// Seed+1, … and averages the weights, which evens out the luck of
	// the shuffling order.
	Runs int
	// Init, when set, is the model training starts from (its weights,
	// de-quantised): fine-tuning, e.g. the built-in model on a seller's
	// reviews. Its hash bits and feature flags replace Bits, Subwords and
	// LangBias, as the weights only mean something with its features.
	Init *Model
}

// DefaultTrainConfig is the configuration the built-in model was trained
// with (chosen on held-out data, see MODEL_CARD.md).
var DefaultTrainConfig = TrainConfig{Bits: 20, Subwords: true, LangBias: true, Epochs: 12, LR: 0.1, L2: 1e-6, Seed: 1, Runs: 4}

// Train fits a model to the examples with AdaGrad on the cross-entropy.
func Train(examples []TrainExample, cfg TrainConfig) *Model {
	if cfg.Init != nil {
		cfg.Bits, cfg.Subwords, cfg.LangBias = cfg.Init.bits, cfg.Init.subs, cfg.Init.langBias
	}
	m := &Model{bits: cfg.Bits, subs: cfg.Subwords, langBias: cfg.LangBias}
	f := &featurizer{bits: cfg.Bits, subs: cfg.Subwords, langBias: cfg.LangBias}
	feats := make([][]Feature, len(examples))
	for i, e := range examples {
		feats[i] = append([]Feature(nil), f.features(e.Text, e.Lang)...)
	}
	runs := max(cfg.Runs, 1)
	var sum []float32
	for r := 0; r < runs; r++ {
		c := cfg
		c.Seed += uint64(r)
		w := train1(examples, feats, c)
		if sum == nil {
			sum = w
			continue
		}
		for i, v := range w {
			sum[i] += v
		}
	}
	for i := range sum {
		sum[i] /= float32(runs)
	}
	m.quantize(sum)
	return m
}

// train1 is one training run; it returns the float weights.
func train1(examples []TrainExample, feats [][]Feature, cfg TrainConfig) []float32 {
	w := make([]float32, 3<<cfg.Bits)
	if cfg.Init != nil {
		for i, q := range cfg.Init.q {
			w[i] = float32(float64(q) * cfg.Init.scale)
		}
	}
	g2 := make([]float32, len(w))
	var u []float32 // Σ t·Δw, for the averaged weights w − u/t
	if cfg.Average {
		u = make([]float32, len(w))
	}
	t := float32(1)
	order := make([]int, len(examples))
	for i := range order {
		order[i] = i
	}
	rng := rand.New(rand.NewPCG(cfg.Seed, 0x7f4a7c15))
	for epoch := 0; epoch < cfg.Epochs; epoch++ {
		rng.Shuffle(len(order), func(i, j int) { order[i], order[j] = order[j], order[i] })
		for _, idx := range order {
			e := examples[idx]
			fs := feats[idx]
			ew := e.Weight
			if ew == 0 {
				ew = 1
			}
			var z [3]float64
			for _, ft := range fs {
				i := int(ft.Bucket) * 3
				for k := 0; k < 3; k++ {
					z[k] += float64(w[i+k]) * float64(ft.Value)
				}
			}
			var grad [3]float64
			if e.Binary {
				// Softmax over negative and positive only.
				p := 1 / (1 + math.Exp(z[0]-z[2]))
				y := 0.0
				if e.Class == 2 {
					y = 1
				}
				grad[2] = (p - y) * ew
				grad[0] = -(p - y) * ew
			} else {
				p := softmax(z)
				for k := 0; k < 3; k++ {
					y := 0.0
					if k == e.Class {
						y = 1
					}
					grad[k] = (p[k] - y) * ew
				}
			}
			for _, ft := range fs {
				i := int(ft.Bucket) * 3
				for k := 0; k < 3; k++ {
					if grad[k] == 0 {
						continue
					}
					g := grad[k]*float64(ft.Value) + cfg.L2*float64(w[i+k])
					g2[i+k] += float32(g * g)
					d := float32(cfg.LR * g / (math.Sqrt(float64(g2[i+k])) + 1e-8))
					w[i+k] -= d
					if u != nil {
						u[i+k] -= t * d
					}
				}
			}
			t++
		}
	}
	if u != nil {
		for i := range w {
			w[i] -= u[i] / t
		}
	}
	return w
}

// Calibrate fits, for each language in tweets, offsets to the class scores
// that maximise the macro-F1 of out-of-fold predictions: the examples are
// split into folds (tweets[lang] lists the indexes of that language's
// 3-class examples, which are dealt round-robin into folds), a model with
// one run is trained without each fold and predicts it, and a grid of
// negative and neutral offsets (−1..1 by 0.1, positive fixed at 0) is
// searched; ties go to the smallest offsets. It returns the offsets and,
// per language, the out-of-fold macro-F1 without and with them.
func Calibrate(examples []TrainExample, tweets map[string][]int, cfg TrainConfig, folds int) (map[string][3]float64, map[string][2]float64) {
	cfg.Runs = 1
	fold := map[int]int{}
	for _, idx := range tweets {
		for j, i := range idx {
			fold[i] = j % folds
		}
	}
	probs := map[int][3]float64{}
	for k := 0; k < folds; k++ {
		var train []TrainExample
		var held []int
		for i, e := range examples {
			if f, ok := fold[i]; ok && f == k {
				held = append(held, i)
				continue
			}
			train = append(train, e)
		}
		m := Train(train, cfg)
		for _, i := range held {
			r := m.ScoreLang(examples[i].Text, examples[i].Lang)
			probs[i] = r.Probs
		}
	}
	off := map[string][3]float64{}
	report := map[string][2]float64{}
	for lang, idx := range tweets {
		gold := make([]int, len(idx))
		logp := make([][3]float64, len(idx))
		for j, i := range idx {
			gold[j] = examples[i].Class
			for c := 0; c < 3; c++ {
				logp[j][c] = math.Log(math.Max(probs[i][c], 1e-12))
			}
		}
		pred := make([]int, len(idx))
		f1 := func(o [3]float64) float64 {
			for j := range logp {
				best := 0
				for c := 1; c < 3; c++ {
					if logp[j][c]+o[c] > logp[j][best]+o[best] {
						best = c
					}
				}
				pred[j] = best
			}
			return MacroF1(pred, gold)
		}
		base := f1([3]float64{})
		best, bestO := base, [3]float64{}
		for a := -10; a <= 10; a++ {
			for b := -10; b <= 10; b++ {
				o := [3]float64{float64(a) / 10, float64(b) / 10, 0}
				v := f1(o)
				size := math.Abs(o[0]) + math.Abs(o[1])
				if v > best+1e-9 || (math.Abs(v-best) <= 1e-9 && size < math.Abs(bestO[0])+math.Abs(bestO[1])) {
					best, bestO = v, o
				}
			}
		}
		off[lang] = bestO
		report[lang] = [2]float64{base, best}
	}
	return off, report
}
