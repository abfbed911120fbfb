package cluster

import (
	"errors"
	"math"
	"math/rand/v2"
	"reflect"
	"strings"
	"testing"
)

var features = []Feature{
	{Name: "orders", High: "buy often", Low: "buy rarely", Log: true},
	{Name: "aov_base", High: "large baskets", Low: "small baskets", Log: true},
	{Name: "share_tiktok_shop_uk", High: "mostly TikTok Shop UK", Low: "seldom on TikTok Shop UK"},
	{Name: "refund_rate", High: "return a lot", Low: "rarely return"},
}

// planted returns rows from three well separated groups (200, 150, 100
// rows, in that order, shuffled with their labels).
func planted(seed uint64) (X [][]float64, label []int) {
	r := rand.New(rand.NewPCG(seed, 1))
	groups := []struct {
		n                       int
		orders, aov, tiktok, rr float64
	}{
		{200, 12, 15, 0.9, 0.05}, // frequent, small, TikTok
		{150, 2, 120, 0.05, 0.1}, // rare, large, elsewhere
		{100, 5, 45, 0.4, 0.6},   // returners
	}
	for g, gr := range groups {
		for range gr.n {
			X = append(X, []float64{
				math.Max(1, gr.orders*(1+0.1*r.NormFloat64())),
				gr.aov * (1 + 0.1*r.NormFloat64()),
				math.Min(1, math.Max(0, gr.tiktok+0.04*r.NormFloat64())),
				math.Min(1, math.Max(0, gr.rr+0.04*r.NormFloat64())),
			})
			label = append(label, g)
		}
	}
	r.Shuffle(len(X), func(i, j int) { X[i], X[j] = X[j], X[i]; label[i], label[j] = label[j], label[i] })
	return X, label
}

func TestRecoversPlantedClusters(t *testing.T) {
	X, label := planted(42)
	m, err := Fit(X, features, Options{Seed: 7})
	if err != nil {
		t.Fatal(err)
	}
	if m.K != 3 {
		t.Fatalf("k = %d (scores %v), want 3", m.K, m.Scores)
	}
	// Every planted group maps onto exactly one cluster and back.
	toCluster := map[int]int{}
	for i, l := range label {
		c, ok := toCluster[l]
		if !ok {
			toCluster[l] = m.Assign[i]
			continue
		}
		if c != m.Assign[i] {
			t.Fatalf("group %d split between clusters %d and %d", l, c, m.Assign[i])
		}
	}
	if len(toCluster) != 3 || toCluster[0] == toCluster[1] || toCluster[1] == toCluster[2] || toCluster[0] == toCluster[2] {
		t.Fatalf("groups to clusters %v", toCluster)
	}
	if m.Sizes[toCluster[0]] != 200 || m.Sizes[toCluster[1]] != 150 || m.Sizes[toCluster[2]] != 100 {
		t.Errorf("sizes %v", m.Sizes)
	}
	if best := m.Scores[3]; best < 0.6 || m.Silhouette != best {
		t.Errorf("silhouette %v scores %v", m.Silhouette, m.Scores)
	}
	for k := 2; k <= 8; k++ {
		if k != 3 && m.Scores[k] >= m.Scores[3] {
			t.Errorf("k=%d scores %v ≥ k=3's %v", k, m.Scores[k], m.Scores[3])
		}
	}

	ds := m.Describe(X, DescribeOptions{})
	for _, d := range ds {
		t.Logf("cluster %d: %d (%.0f%%): %s", d.Cluster, d.Size, 100*d.Share, d.Text)
	}
	tiktok := ds[toCluster[0]]
	if tiktok.Size != 200 || math.Abs(tiktok.Share-200.0/450) > 1e-12 {
		t.Errorf("size %d share %v", tiktok.Size, tiktok.Share)
	}
	for _, w := range []string{"buy often", "small baskets", "mostly TikTok Shop UK"} {
		if !strings.Contains(tiktok.Text, w) {
			t.Errorf("TikTok group described as %q, missing %q", tiktok.Text, w)
		}
	}
	if n := strings.Count(tiktok.Text, ", ") + 1; n != 3 {
		t.Errorf("%d traits named, want 3: %q", n, tiktok.Text)
	}
	if !strings.Contains(ds[toCluster[2]].Text, "return a lot") {
		t.Errorf("returners described as %q", ds[toCluster[2]].Text)
	}
	if !strings.Contains(ds[toCluster[1]].Text, "large baskets") || !strings.Contains(ds[toCluster[1]].Text, "buy rarely") {
		t.Errorf("rare big spenders described as %q", ds[toCluster[1]].Text)
	}
	// Means are in raw units: the TikTok group's mean AOV is about 15.
	if a := tiktok.Means[1]; a < 13 || a > 17 {
		t.Errorf("TikTok group mean AOV %v", a)
	}
	// Traits are sorted by |Z|.
	for i := 1; i < len(tiktok.Traits); i++ {
		if math.Abs(tiktok.Traits[i].Z) > math.Abs(tiktok.Traits[i-1].Z) {
			t.Errorf("traits not sorted: %+v", tiktok.Traits)
		}
	}
	// Predict agrees with the assignment.
	for i := range 20 {
		if got := m.Predict(X[i]); got != m.Assign[i] {
			t.Errorf("Predict(row %d) = %d, assigned %d", i, got, m.Assign[i])
		}
	}
}

func TestDeterministic(t *testing.T) {
	X, _ := planted(3)
	a, err := Fit(X, features, Options{Seed: 11, SampleSize: 200})
	if err != nil {
		t.Fatal(err)
	}
	b, _ := Fit(X, features, Options{Seed: 11, SampleSize: 200})
	if !reflect.DeepEqual(a, b) {
		t.Error("two fits with one seed differ")
	}
}

// Sampling: k chosen on a sample, centroids fitted on another, all points
// assigned.
func TestSampled(t *testing.T) {
	X, label := planted(5)
	m, err := Fit(X, features, Options{Seed: 1, SampleSize: 120, FitSize: 200})
	if err != nil {
		t.Fatal(err)
	}
	if m.K != 3 || len(m.Assign) != len(X) {
		t.Fatalf("k %d, %d assignments", m.K, len(m.Assign))
	}
	// Purity: each group's most common cluster.
	pair := map[[2]int]int{}
	for i, l := range label {
		pair[[2]int{l, m.Assign[i]}]++
	}
	agree := 0
	for l := range 3 {
		best := 0
		for c := range 3 {
			best = max(best, pair[[2]int{l, c}])
		}
		agree += best
	}
	if agree < len(X)*99/100 {
		t.Errorf("purity %d/%d", agree, len(X))
	}
}

func TestDegenerate(t *testing.T) {
	if _, err := Fit(nil, features, Options{}); !errors.Is(err, ErrNoData) {
		t.Errorf("no rows: %v", err)
	}
	if _, err := Fit([][]float64{{1}}, features, Options{}); err == nil {
		t.Error("short row accepted")
	}
	// All rows equal: one cluster, described as average.
	same := make([][]float64, 50)
	for i := range same {
		same[i] = []float64{3, 20, 0.5, 0}
	}
	m, err := Fit(same, features, Options{})
	if err != nil {
		t.Fatal(err)
	}
	if m.K != 1 || m.Sizes[0] != 50 || m.Silhouette != 0 || len(m.Scores) != 0 {
		t.Fatalf("all equal: k %d sizes %v silhouette %v", m.K, m.Sizes, m.Silhouette)
	}
	if ds := m.Describe(same, DescribeOptions{}); len(ds) != 1 || ds[0].Text != AverageText || ds[0].Share != 1 {
		t.Errorf("all equal described %+v", ds)
	}
	// One row.
	m, err = Fit(same[:1], features, Options{})
	if err != nil || m.K != 1 || m.Assign[0] != 0 {
		t.Fatalf("one row: %+v %v", m, err)
	}
	// Fewer points than k: three distinct points (one duplicated) can make
	// at most three clusters; the best split keeps duplicates together.
	few := [][]float64{{1, 10, 0, 0}, {1, 10, 0, 0}, {50, 200, 1, 0}, {50, 200, 1, 1}}
	m, err = Fit(few, features, Options{KMin: 2, KMax: 8})
	if err != nil {
		t.Fatal(err)
	}
	if m.K < 2 || m.K > 3 {
		t.Fatalf("few points: k = %d", m.K)
	}
	if m.Assign[0] != m.Assign[1] || m.Assign[0] == m.Assign[2] {
		t.Errorf("few points assigned %v", m.Assign)
	}
	if _, ok := m.Scores[4]; ok {
		t.Errorf("k = 4 tried with 3 distinct points: %v", m.Scores)
	}
	// Two distinct points: two clusters of identical points, silhouette 1.
	two := [][]float64{{1, 1, 0, 0}, {1, 1, 0, 0}, {9, 9, 1, 1}, {9, 9, 1, 1}}
	m, _ = Fit(two, features, Options{})
	if m.K != 2 || m.Silhouette != 1 || m.Assign[0] != m.Assign[1] || m.Assign[2] != m.Assign[3] || m.Assign[0] == m.Assign[2] {
		t.Errorf("two points: k %d silhouette %v assign %v", m.K, m.Silhouette, m.Assign)
	}
	// A constant column plays no part; a missing value is imputed.
	mixed := [][]float64{{1, 10, 0.5, math.NaN()}, {1, 12, 0.5, 0}, {40, 300, 0.5, 0.5}, {42, 310, 0.5, 0.4}}
	m, err = Fit(mixed, features, Options{})
	if err != nil {
		t.Fatal(err)
	}
	if m.SD[2] != 0 || m.K != 2 || m.Assign[0] != m.Assign[1] || m.Assign[2] != m.Assign[3] {
		t.Errorf("mixed: sd %v k %d assign %v", m.SD, m.K, m.Assign)
	}
}

// Silhouette against a hand computation: points 0, 1 (cluster 0) and 4
// (cluster 1) on a line. s(0) = 1 − 1/4, s(1) = 1 − 1/3, s(4) = 0 (alone).
func TestSilhouette(t *testing.T) {
	Z := [][]float64{{0}, {1}, {4}}
	got := silhouette(Z, []int{0, 0, 1}, 2)
	want := (0.75 + 2.0/3 + 0) / 3
	if math.Abs(got-want) > 1e-12 {
		t.Errorf("silhouette %v, want %v", got, want)
	}
}
