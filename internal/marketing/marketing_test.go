package marketing

import (
	"math"
	"testing"
	"time"

	"github.com/tradewind/tradewind/internal/attribution"
	"github.com/tradewind/tradewind/internal/touch"
)

// TestShrinkage: 2 conversions of 3 people must not outrank 200 of 1,000
// once the rates are shrunk toward what influencers typically convert.
func TestShrinkage(t *testing.T) {
	x := []float64{2, 200, 12, 30, 9, 45, 1, 0}
	n := []float64{3, 1000, 150, 400, 100, 500, 20, 15}
	p := FitPrior(x, n)
	if p.Alpha <= 0 || p.Beta <= 0 || math.Abs(p.Mean-sum(x)/sum(n)) > 1e-12 {
		t.Fatalf("prior %+v", p)
	}
	small, big := p.Shrink(2, 3), p.Shrink(200, 1000)
	smallLow, bigLow := p.Low(2, 3), p.Low(200, 1000)
	t.Logf("prior α=%.3f β=%.3f mean %.4f; 2/3 → %.4f (low %.4f), 200/1000 → %.4f (low %.4f)", p.Alpha, p.Beta, p.Mean, small, smallLow, big, bigLow)
	if small > 0.3 {
		t.Errorf("2 of 3 barely shrunk: %.4f", small)
	}
	if !(smallLow < bigLow) {
		t.Errorf("2 of 3 (low %.4f) outranks 200 of 1000 (low %.4f)", smallLow, bigLow)
	}
	if math.Abs(big-0.2) > 0.01 {
		t.Errorf("a large sample moved too far: %.4f", big)
	}
	in := []Influencer{{Campaign: "tiny", ShrunkRate: small, ShrunkRateLow: smallLow, ConversionRate: 2.0 / 3},
		{Campaign: "big", ShrunkRate: big, ShrunkRateLow: bigLow, ConversionRate: 0.2}}
	Rank(in)
	if in[0].Campaign != "big" || in[0].Rank != 1 || in[1].Rank != 2 {
		t.Errorf("ranking %+v", in)
	}
	// No spread beyond binomial noise: everyone shrinks to the mean.
	q := FitPrior([]float64{10, 20, 30}, []float64{100, 200, 300})
	if s := q.Shrink(10, 100); math.Abs(s-0.1) > 1e-3 {
		t.Errorf("homogeneous rates: %v", s)
	}
	// Nobody converted: a weak prior, no NaN.
	if z := FitPrior([]float64{0, 0}, []float64{10, 5}); math.IsNaN(z.Shrink(0, 10)) {
		t.Error("NaN")
	}
}

func sum(xs []float64) (s float64) {
	for _, x := range xs {
		s += x
	}
	return
}

func at(d int, h int) time.Time { return time.Date(2026, 6, d, h, 0, 0, 0, time.UTC) }

// TestJourneys: a touch belongs to the first order after it within the
// window; an order without touches is direct; touches after the last order
// form a non-converting journey; a campaign's code adds its touch.
func TestJourneys(t *testing.T) {
	d := &Data{From: at(1, 0), To: at(30, 0), Lookback: 7 * 24 * time.Hour,
		Coupons: map[string]CouponLink{"MAYA15": {Channel: touch.Influencer, Campaign: "maya"}}}
	d.Profiles = []Profile{
		{ID: "a", Touches: []Touchpoint{
			{At: at(2, 10), Channel: "paid_search", Campaign: "brand"},
			{At: at(3, 10), Channel: "email"},
			{At: at(20, 10), Channel: "paid_social"}, // more than 7 days before the order of the 28th
			{At: at(28, 9), Channel: "direct"},
			{At: at(29, 9), Channel: "affiliate"},
		}, Orders: []Order{{At: at(3, 11), Value: 50, Rank: 1}, {At: at(10, 0), Value: 20, Rank: 2, Coupon: "MAYA15"}, {At: at(28, 10), Value: 30, Rank: 3}}},
		{ID: "b", Touches: []Touchpoint{{At: at(5, 1), Channel: "social"}}},
	}
	js := d.Journeys()
	var paths []string
	for _, j := range js {
		s := ""
		for _, tp := range j.Path {
			s += Label(tp, ByCampaign) + ">"
		}
		if j.Converted {
			s += "conv"
		} else {
			s += "null"
		}
		paths = append(paths, d.Profiles[j.Profile].ID+":"+s)
	}
	want := []string{"a:paid_search/brand>email>conv", "a:influencer/maya>conv", "a:direct>conv", "a:affiliate>null", "b:social>null"}
	if len(paths) != len(want) {
		t.Fatalf("journeys %q, want %q", paths, want)
	}
	for i := range want {
		if paths[i] != want[i] {
			t.Errorf("journey %d: %q, want %q", i, paths[i], want[i])
		}
	}
	// The paths of the profile's own touches are parts of its Touches,
	// not copies (at 1,000,000 customers the copies were 250 MB of a
	// heap under a 448 MiB limit), capped so that an append copies.
	for _, j := range js {
		if j.Path[0].Coupon {
			continue
		}
		tt := d.Profiles[j.Profile].Touches
		shared := false
		for k := range tt {
			shared = shared || &j.Path[0] == &tt[k]
		}
		if !shared {
			t.Errorf("journey of %s at %v: its path is a copy of the profile's touches", d.Profiles[j.Profile].ID, j.At)
		}
		if cap(j.Path) != len(j.Path) {
			t.Errorf("journey of %s at %v: path of %d touches with room for %d: an append would write into the profile's touches",
				d.Profiles[j.Profile].ID, j.At, len(j.Path), cap(j.Path))
		}
	}
	// Every model's per-journey credits add up to its global credit and
	// to the conversions.
	for _, m := range attribution.Models {
		rep, res, err := d.Attribute(js, ByChannel, m, Options{})
		if err != nil {
			t.Fatal(m, err)
		}
		if math.Abs(rep.TotalConversions-3) > 1e-9 || math.Abs(rep.TotalValue-100) > 1e-9 {
			t.Errorf("%s totals %v %v", m, rep.TotalConversions, rep.TotalValue)
		}
		per := map[string]float64{}
		for _, sh := range d.JourneyCredits(js, ByChannel, res, Options{}) {
			for _, s := range sh {
				per[s.Label] += s.Conversions
			}
		}
		total := 0.0
		for _, c := range rep.Channels {
			total += c.Conversions
			if math.Abs(per[c.Channel]-c.Conversions) > 1e-9 {
				t.Errorf("%s: %s per-journey %v, global %v", m, c.Channel, per[c.Channel], c.Conversions)
			}
		}
		if math.Abs(total-3) > 1e-9 {
			t.Errorf("%s credits sum to %v", m, total)
		}
	}
}

func TestExperimentNormalize(t *testing.T) {
	e := Experiment{Name: "New Checkout!", Variants: []Variant{{ID: "0"}, {ID: "1", Name: "treatment"}}}
	if err := e.Normalize(); err != nil {
		t.Fatal(err)
	}
	if e.ID != "new_checkout" || e.Key != "new_checkout" || e.AssignmentEvent != "Experiment Viewed" || len(e.Metrics) != 2 || e.Variants[0].Name != "0" {
		t.Errorf("defaults: %+v", e)
	}
	for _, bad := range []Experiment{
		{ID: "x", Variants: []Variant{{ID: "a"}}},
		{ID: "x", Variants: []Variant{{ID: "a"}, {ID: "a"}}},
		{ID: "X Y", Variants: []Variant{{ID: "a"}, {ID: "b"}}},
		{ID: "x", Variants: []Variant{{ID: "a"}, {ID: "b"}}, Weights: []float64{1}},
		{ID: "x", Variants: []Variant{{ID: "a"}, {ID: "b"}}, Metrics: []Metric{{Kind: "count"}}},
		{ID: "x", Variants: []Variant{{ID: "a"}, {ID: "b"}}, Metrics: []Metric{{Kind: "ctr"}}},
		{ID: "x", Variants: []Variant{{ID: "a"}, {ID: "b"}}, VariantProperty: "a.b"},
	} {
		if err := bad.Normalize(); err == nil {
			t.Errorf("accepted %+v", bad)
		}
	}
}
