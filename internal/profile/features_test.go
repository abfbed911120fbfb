package profile

import (
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"

	"github.com/tradewind/tradewind/internal/profile/cluster"
	"github.com/tradewind/tradewind/internal/segment"
)

func TestBehaviourRow(t *testing.T) {
	k, kv := New(Config{}), newMemKV()
	p := apply(t, k, kv, "p", corpus()...).Profile
	markets := []string{"shopify_eu", "tiktok_shop_uk", "amazon_de"}
	row, ok := BehaviourRow(p, day(60), markets)
	if !ok {
		t.Fatal("profile with orders left out")
	}
	// 4 orders, AOV 31.1875, 20 days since day 40, interval 18.5, 2 of 4
	// refunded, 3 reviews / 4 orders, shares 3/4, 1/4, 0.
	want := []float64{4, 31.1875, 20, 18.5, 0.5, 0.75, 0.75, 0.25, 0}
	if !slices.Equal(row, want) {
		t.Errorf("row %v, want %v", row, want)
	}
	fs := BehaviourFeatures(markets, map[string]string{"tiktok_shop_uk": "TikTok Shop UK"})
	if len(fs) != len(row) || fs[7].High != "mostly TikTok Shop UK" || fs[8].High != "mostly amazon_de" || fs[8].Low != "" {
		t.Errorf("features %+v", fs)
	}
	if _, ok := BehaviourRow(&Profile{}, day(0), markets); ok {
		t.Error("profile without orders included")
	}
	one := apply(t, k, newMemKV(), "q", (&msg{}).completed("o", day(0), "5")).Profile
	if r, _ := BehaviourRow(one, day(1), nil); !math.IsNaN(r[3]) {
		t.Errorf("one-order interval %v, want NaN", r[3])
	}
}

// Profiles built from messages with planted behaviour: the clustering finds
// the groups and says what sets them apart.
func TestClusterProfiles(t *testing.T) {
	k, kv, m := New(Config{}), newMemKV(), &msg{}
	r := rand.New(rand.NewPCG(1, 2))
	type group struct {
		n, orders, gap int
		basket         float64
		market         string
	}
	groups := []group{
		{80, 12, 5, 12, "tiktok_shop_uk"}, // often, small, TikTok
		{60, 2, 120, 150, "amazon_de"},    // rarely, large, Amazon
	}
	var ids []string
	var truth []int
	for g, gr := range groups {
		for i := range gr.n {
			id := fmt.Sprintf("g%d-%d", g, i)
			ids, truth = append(ids, id), append(truth, g)
			at := day(-gr.orders*gr.gap - r.IntN(10))
			for o := range gr.orders {
				total := fmt.Sprintf("%.2f", gr.basket*(0.8+0.4*r.Float64()))
				apply(t, k, kv, id, m.order(segment.OrderCompleted, fmt.Sprintf("%s-%d", id, o), at, total, gr.market))
				at = at.AddDate(0, 0, gr.gap+r.IntN(3))
			}
		}
	}
	markets := []string{"amazon_de", "tiktok_shop_uk"}
	var X [][]float64
	for _, id := range ids {
		p, _, err := k.Load(kv, id)
		if err != nil {
			t.Fatal(err)
		}
		row, _ := BehaviourRow(p, day(0), markets)
		X = append(X, row)
	}
	model, err := cluster.Fit(X, BehaviourFeatures(markets, map[string]string{"tiktok_shop_uk": "TikTok Shop UK", "amazon_de": "Amazon DE"}), cluster.Options{Seed: 3})
	if err != nil {
		t.Fatal(err)
	}
	if model.K != 2 {
		t.Fatalf("k = %d, scores %v", model.K, model.Scores)
	}
	for i, g := range truth {
		if (model.Assign[i] == model.Assign[0]) != (g == truth[0]) {
			t.Fatalf("profile %s misassigned", ids[i])
		}
	}
	ds := model.Describe(X, cluster.DescribeOptions{})
	tiktok := ds[model.Assign[0]]
	t.Logf("TikTok group: %s; other: %s", tiktok.Text, ds[1-model.Assign[0]].Text)
	if tiktok.Size != 80 {
		t.Errorf("size %d", tiktok.Size)
	}
	for _, w := range []string{"buy often", "mostly TikTok Shop UK"} {
		if !strings.Contains(tiktok.Text, w) {
			t.Errorf("TikTok group described as %q, missing %q", tiktok.Text, w)
		}
	}
	if !strings.Contains(tiktok.Text, "small baskets") && !strings.Contains(tiktok.Text, "reorder quickly") {
		t.Errorf("TikTok group described as %q, missing its baskets or rhythm", tiktok.Text)
	}
}
