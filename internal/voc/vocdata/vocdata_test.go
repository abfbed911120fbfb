package vocdata

import "testing"

// TestSplits checks that every set's train, dev and test parts (disjoint
// by construction: each item's position decides its part) are non-empty,
// have valid labels, come out the same on every call, and that the test
// parts have the sizes the model card reports.
func TestSplits(t *testing.T) {
	type loader func(Split) ([]Example, error)
	sets := map[string]loader{}
	for _, l := range []string{"en", "es", "de", "fr"} {
		sets["xlmt-"+l] = func(s Split) ([]Example, error) { return XLMT(l, s) }
	}
	for _, n := range UCISets {
		sets["uci-"+n] = func(s Split) ([]Example, error) { return UCI(n, s) }
	}
	for _, n := range VADERSets {
		sets["vader-"+n] = func(s Split) ([]Example, error) { return VADER(n, s) }
	}
	for _, n := range ChineseSets {
		sets["zh-"+n] = func(s Split) ([]Example, error) { return Chinese(n, s) }
	}
	for name, load := range sets {
		sizes := map[Split]int{}
		for _, sp := range []Split{Train, Dev, Test} {
			ex, err := load(sp)
			if err != nil {
				t.Fatalf("%s: %v", name, err)
			}
			again, _ := load(sp)
			if len(again) != len(ex) || (len(ex) > 0 && again[len(ex)-1].Text != ex[len(ex)-1].Text) {
				t.Errorf("%s split %d: not deterministic", name, sp)
			}
			sizes[sp] = len(ex)
			for _, e := range ex {
				if e.Label < Negative || e.Label > Positive {
					t.Errorf("%s: bad label %d", name, e.Label)
				}
			}
		}
		if sizes[Train] == 0 || sizes[Dev] == 0 || sizes[Test] == 0 {
			t.Errorf("%s: empty part: %v", name, sizes)
		}
		t.Logf("%s: train %d, dev %d, test %d", name, sizes[Train], sizes[Dev], sizes[Test])
	}
	if got, _ := XLMT("en", Test); len(got) != 324 {
		t.Errorf("XLM-T English test (val) split: %d tweets, want 324", len(got))
	}
	if got, _ := UCI("amazon", Test); len(got) != 200 {
		t.Errorf("UCI Amazon test: %d, want 200", len(got))
	}
	if _, err := XLMT("xx", Test); err == nil {
		t.Error("unknown language accepted")
	}
}
