package suspect

import (
	"fmt"
	"strings"
	"testing"
	"time"
)

var t0 = time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC)

func flagsByID(flags []Flag) map[string][]Flag {
	m := map[string][]Flag{}
	for _, f := range flags {
		m[f.ReviewID] = append(m[f.ReviewID], f)
	}
	return m
}

func has(m map[string][]Flag, id string, r Reason) *Flag {
	for i := range m[id] {
		if m[id][i].Reason == r {
			return &m[id][i]
		}
	}
	return nil
}

// filler is a set of legitimately different reviews, one per product and
// day, so that there is a baseline and non-duplicates to not flag.
var filler = []string{
	"The strap broke after two weeks of light use, disappointed with the quality.",
	"Arrived a day early, the colour is exactly as in the photos and it fits well.",
	"Battery lasts about three days with heavy use, charging is quick enough.",
	"Smaller than I expected, my son still likes it but check the measurements.",
	"Customer service replaced the faulty unit without any questions, thank you.",
	"Instructions only in German, took me an hour to figure out the settings.",
	"Solid build, heavier than the old model, the hinge feels very sturdy.",
}

func TestNearDuplicates(t *testing.T) {
	template := "Absolutely amazing product!!! Best purchase of the year, five stars, highly recommend to everyone."
	rs := []Review{
		// A copy-paste farm: same text with small edits on three products
		// by three accounts.
		{ID: "r1", Product: "P1", Account: "a1", Text: template},
		{ID: "r2", Product: "P2", Account: "a2", Text: strings.ToUpper(template)},                                                                        // identical after normalisation
		{ID: "r3", Product: "P3", Account: "a3", Text: "Absolutely amazing product! Best purchase of the year, 5 stars, highly recommend to everybody."}, // edited
		// The same account posting the same long text twice on one product:
		// a double post, not flagged.
		{ID: "r4", Product: "P4", Account: "a4", Text: "I ordered the blue one and received a green one, the seller apologised and sent the right colour."},
		{ID: "r5", Product: "P4", Account: "a4", Text: "I ordered the blue one and received a green one, the seller apologised and sent the right colour."},
		// Chinese template across accounts (character shingles, full-width
		// punctuation ignored), and a Chinese review that shares words but
		// says something else.
		{ID: "z1", Product: "P5", Account: "c1", Text: "质量非常好，做工精细，物流也很快，包装很严实，非常满意的一次购物，推荐购买！"},
		{ID: "z2", Product: "P6", Account: "c2", Text: "质量非常好，做工精细，物流也很快，包装很严实，非常满意的一次购物，强烈推荐！"},
		{ID: "z3", Product: "P6", Account: "c3", Text: "物流很慢，等了两个星期才到，包装也破了，质量一般，客服态度还可以，不推荐。"},
		// Japanese near-duplicate pair.
		{ID: "j1", Product: "P7", Account: "k1", Text: "とても使いやすくて、デザインも可愛いです。家族みんなで使っています。また買いたいと思います。"},
		{ID: "j2", Product: "P8", Account: "k2", Text: "とても使いやすくて、デザインも可愛いです。家族みんなで使っています。また購入したいです。"},
		// Short legitimate reviews repeated by many accounts: not flagged.
		{ID: "s1", Product: "P1", Account: "b1", Text: "Great!"},
		{ID: "s2", Product: "P2", Account: "b2", Text: "Great!"},
		{ID: "s3", Product: "P3", Account: "b3", Text: "great"},
		{ID: "s4", Product: "P1", Account: "b4", Text: "Works as described."},
		{ID: "s5", Product: "P2", Account: "b5", Text: "Works as described!"},
		{ID: "s6", Product: "P3", Account: "b6", Text: "很好"},
		{ID: "s7", Product: "P4", Account: "b7", Text: "很好"},
		{ID: "s8", Product: "P5", Account: "b8", Text: "质量很好，物流很快"},
		{ID: "s9", Product: "P6", Account: "b9", Text: "质量很好，物流很快"},
	}
	for i, f := range filler {
		rs = append(rs, Review{ID: fmt.Sprintf("f%d", i), Product: fmt.Sprintf("Q%d", i), Account: fmt.Sprintf("u%d", i), Text: f})
	}
	for i := range rs {
		rs[i].Time = t0.Add(time.Duration(i) * time.Hour)
	}
	m := flagsByID(Detect(rs, Options{}))
	for _, id := range []string{"r1", "r2", "r3", "z1", "z2", "j1", "j2"} {
		f := has(m, id, NearDuplicate)
		if f == nil {
			t.Errorf("%s not flagged as near-duplicate", id)
			continue
		}
		t.Logf("%s: %s %v", id, f.Detail, f.Related)
		if len(f.Related) == 0 || !strings.Contains(f.Detail, "by another account") {
			t.Errorf("%s: detail %q related %v", id, f.Detail, f.Related)
		}
	}
	if f := has(m, "r2", NearDuplicate); f != nil && !strings.HasPrefix(f.Detail, "identical") {
		t.Errorf("r2 detail %q, want identical", f.Detail)
	}
	if f := has(m, "r3", NearDuplicate); f != nil && !strings.Contains(f.Detail, "% similar to review r1 on product P1") {
		t.Errorf("r3 detail %q", f.Detail)
	}
	for _, id := range []string{"r4", "r5", "z3", "s1", "s2", "s3", "s4", "s5", "s6", "s7", "s8", "s9", "f0", "f1", "f2", "f3", "f4", "f5", "f6"} {
		if f := has(m, id, NearDuplicate); f != nil {
			t.Errorf("%s wrongly flagged: %s", id, f.Detail)
		}
	}
}

// TestSameAccountOtherProduct: one account pasting one text on two
// products is flagged, and the detail says it was the same account.
func TestSameAccountOtherProduct(t *testing.T) {
	txt := "This charger stopped working after three days and the seller never answered my messages."
	rs := []Review{
		{ID: "a", Product: "P1", Account: "x", Text: txt, Time: t0},
		{ID: "b", Product: "P2", Account: "x", Text: txt, Time: t0},
	}
	m := flagsByID(Detect(rs, Options{}))
	f := has(m, "a", NearDuplicate)
	if f == nil || !strings.Contains(f.Detail, "by the same account") || f.Related[0] != "b" {
		t.Fatalf("got %+v", m)
	}
}

func TestBurst(t *testing.T) {
	var rs []Review
	// Product B: about 2 reviews a day for 40 days, then 25 in 6 hours.
	for d := 0; d < 40; d++ {
		for j := 0; j < 2; j++ {
			rs = append(rs, Review{ID: fmt.Sprintf("b%d-%d", d, j), Product: "B", Account: fmt.Sprintf("u%d-%d", d, j),
				Time: t0.Add(time.Duration(d)*24*time.Hour + time.Duration(3+8*j)*time.Hour)})
		}
	}
	for j := 0; j < 25; j++ {
		rs = append(rs, Review{ID: fmt.Sprintf("burst%d", j), Product: "B", Account: fmt.Sprintf("v%d", j),
			Time: t0.Add(40*24*time.Hour + time.Duration(j)*15*time.Minute)})
	}
	// Product C: a steady 12 reviews a day — many, but its normal rate.
	for d := 0; d < 41; d++ {
		for j := 0; j < 12; j++ {
			rs = append(rs, Review{ID: fmt.Sprintf("c%d-%d", d, j), Product: "C", Account: "w",
				Time: t0.Add(time.Duration(d)*24*time.Hour + time.Duration(j)*2*time.Hour)})
		}
	}
	// Product N: new, 30 reviews on its first day — no baseline, not judged.
	for j := 0; j < 30; j++ {
		rs = append(rs, Review{ID: fmt.Sprintf("n%d", j), Product: "N", Time: t0.Add(time.Duration(j) * time.Hour)})
	}
	m := flagsByID(Detect(rs, Options{}))
	nb := 0
	for id, fs := range m {
		for _, f := range fs {
			if f.Reason != Burst {
				continue
			}
			// Normal reviews inside the burst window are flagged with it.
			if !strings.HasPrefix(id, "burst") && !strings.HasPrefix(id, "b39-") && !strings.HasPrefix(id, "b40-") {
				t.Errorf("%s wrongly in a burst: %s", id, f.Detail)
			}
			nb++
		}
	}
	if nb < 25 {
		t.Errorf("%d burst reviews flagged, want at least the 25", nb)
	}
	if f := has(m, "burst24", Burst); f == nil || !strings.Contains(f.Detail, "product B") || len(f.Related) != 10 {
		t.Errorf("burst24: %+v", f)
	} else {
		t.Log(f.Detail)
	}
}

func TestContradiction(t *testing.T) {
	rs := []Review{
		{ID: "c1", Rating: 5, Score: -0.8, Text: "Terrible, broke on day one."},
		{ID: "c2", Rating: 1, Score: 0.9, Text: "Love it, perfect!"},
		{ID: "ok1", Rating: 5, Score: -0.2, Text: "Not bad at all"}, // mildly negative wording
		{ID: "ok2", Rating: 1, Score: 0.3},
		{ID: "ok3", Rating: 0, Score: -0.9},
		{ID: "ok4", Rating: 4, Score: -0.9},
	}
	m := flagsByID(Detect(rs, Options{}))
	if has(m, "c1", Contradiction) == nil || has(m, "c2", Contradiction) == nil {
		t.Errorf("contradictions missed: %+v", m)
	}
	for _, id := range []string{"ok1", "ok2", "ok3", "ok4"} {
		if len(m[id]) > 0 {
			t.Errorf("%s flagged: %+v", id, m[id])
		}
	}
	if d := has(m, "c1", Contradiction).Detail; d != "5-star rating but clearly negative text (sentiment -0.80)" {
		t.Errorf("detail %q", d)
	}
}

// TestOrderAndDeterminism: flags come in input order, then reason order,
// and the same input gives the same output.
func TestOrderAndDeterminism(t *testing.T) {
	txt := "Fantastic quality, arrived quickly, my whole family loves it, will buy again for sure."
	var rs []Review
	for j := 0; j < 12; j++ {
		rs = append(rs, Review{ID: fmt.Sprintf("r%02d", j), Product: "P", Account: fmt.Sprintf("a%d", j),
			Time: t0.Add(time.Duration(j) * time.Minute), Text: txt, Rating: 5, Score: -0.7})
	}
	// A quiet history for P: one review every other day for 20 days.
	for d := 0; d < 10; d++ {
		rs = append(rs, Review{ID: fmt.Sprintf("h%d", d), Product: "P", Time: t0.Add(-time.Duration(20-2*d) * 24 * time.Hour)})
	}
	a, b := Detect(rs, Options{}), Detect(rs, Options{})
	if fmt.Sprint(a) != fmt.Sprint(b) {
		t.Fatal("not deterministic")
	}
	if len(a) != 36 {
		t.Fatalf("%d flags, want 36 (3 reasons × 12)", len(a))
	}
	for i, f := range a {
		want := []Reason{Burst, NearDuplicate, Contradiction}[i%3]
		if f.ReviewID != fmt.Sprintf("r%02d", i/3) || f.Reason != want {
			t.Fatalf("flag %d: %s %s", i, f.ReviewID, f.Reason)
		}
	}
}

func TestJaccardAndNormalise(t *testing.T) {
	var sb setBuilder
	a := sb.set("Ｈｅｌｌｏ　Ｗｏｒｌｄ!!", nil)
	b := sb.set("hello world", nil)
	if jaccard(a, b) != 1 {
		t.Errorf("full-width not folded: %v", jaccard(a, b))
	}
	_, w, cjk := normalise(nil, "质量很好，物流很快")
	if w != 16 || !cjk {
		t.Errorf("weighted length %d cjk %v", w, cjk)
	}
}
