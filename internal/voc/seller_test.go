package voc

import (
	"fmt"
	"math"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/tradewind/tradewind/internal/voc/sentiment"
	"github.com/tradewind/tradewind/internal/voc/vocdata"
)

func TestMcNemarExact(t *testing.T) {
	for _, c := range []struct {
		b, c int
		want float64
	}{
		{0, 0, 1},
		{5, 5, 1},
		{0, 10, 2.0 / 1024},
		{10, 0, 2.0 / 1024},
		{2, 8, 2 * (1 + 10 + 45) / 1024.0},
	} {
		if got := McNemarExact(c.b, c.c); math.Abs(got-c.want) > 1e-12 {
			t.Errorf("McNemarExact(%d, %d) = %g, want %g", c.b, c.c, got, c.want)
		}
	}
	// Large counts stay finite and small.
	if p := McNemarExact(400, 600); !(p > 0 && p < 1e-8) {
		t.Errorf("McNemarExact(400, 600) = %g", p)
	}
}

// TestSplit: the held-out part is stratified by label, deterministic by
// seed whatever the input order, disjoint from the training part by
// review and by text.
func TestSplit(t *testing.T) {
	var rs []RatedReview
	var classes []int
	for i := range 500 {
		c := 0
		if i%3 != 0 {
			c = 2
		}
		text := fmt.Sprintf("review number %d", i)
		if i%10 == 0 {
			text = "Love it!" // repeated texts must stay on one side
		}
		rs = append(rs, RatedReview{ID: fmt.Sprint(i), Text: text})
		classes = append(classes, c)
	}
	train, held, dropped := split(rs, classes, 0.2, 7)
	neg, pos := 0, 0
	for _, i := range held {
		if classes[i] == 0 {
			neg++
		} else {
			pos++
		}
	}
	if neg != 33 || pos != 67 { // round(0.2·167), round(0.2·333)
		t.Errorf("held out %d negative, %d positive; want 33 and 67", neg, pos)
	}
	heldText := map[string]bool{}
	heldID := map[string]bool{}
	for _, i := range held {
		heldText[normText(rs[i].Text)], heldID[rs[i].ID] = true, true
	}
	for _, i := range train {
		if heldID[rs[i].ID] || heldText[normText(rs[i].Text)] {
			t.Fatalf("review %s (%q) is both trained on and held out", rs[i].ID, rs[i].Text)
		}
	}
	if len(train)+len(held)+dropped != len(rs) {
		t.Errorf("%d + %d + %d dropped ≠ %d", len(train), len(held), dropped, len(rs))
	}
	// The same split from the reviews in reverse order; another seed
	// gives another split.
	rev := make([]RatedReview, len(rs))
	revC := make([]int, len(rs))
	for i := range rs {
		rev[len(rs)-1-i], revC[len(rs)-1-i] = rs[i], classes[i]
	}
	_, held2, _ := split(rev, revC, 0.2, 7)
	same := map[string]bool{}
	for _, i := range held2 {
		same[rev[i].ID] = true
	}
	for id := range heldID {
		if !same[id] {
			t.Fatalf("split depends on the input order: %s", id)
		}
	}
	_, held3, _ := split(rs, classes, 0.2, 8)
	diff := 0
	for _, i := range held3 {
		if !heldID[rs[i].ID] {
			diff++
		}
	}
	if diff == 0 {
		t.Error("seed 8 held out the same reviews as seed 7")
	}
}

// uciReviews turns the UCI sentences of the test split — which the
// built-in model never trained on — into 5-star and 1-star reviews.
func uciReviews(t *testing.T) []RatedReview {
	t.Helper()
	if _, err := vocdata.Dir(); err != nil {
		t.Skipf("sentiment data: %v", err)
	}
	var out []RatedReview
	for _, set := range vocdata.UCISets {
		ex, err := vocdata.UCI(set, vocdata.Test)
		if err != nil {
			t.Fatal(err)
		}
		for i, e := range ex {
			r := 5.0
			if e.Label == vocdata.Negative {
				r = 1
			}
			out = append(out, RatedReview{ID: fmt.Sprintf("%s-%d", set, i), Text: e.Text, Lang: "en", Rating: r,
				Time: time.Date(2026, 1, 1+i%28, 0, 0, 0, 0, time.UTC)})
		}
	}
	return out
}

// TestTrainSellerRefusesWeakerModel: 600 short English sentences from
// three domains are too few to beat the built-in model, which the
// evaluation on held-out sentences shows; the model is refused, trained
// from scratch or fine-tuned.
func TestTrainSellerRefusesWeakerModel(t *testing.T) {
	rs := uciReviews(t)
	// A 3-star review and one without text are counted, not trained on.
	rs = append(rs, RatedReview{ID: "mid", Text: "It is fine.", Lang: "en", Rating: 3}, RatedReview{ID: "empty", Text: " ", Rating: 5})
	// From scratch the model is clearly worse; fine-tuned from the
	// built-in one, not better.
	_, rep := TrainSeller(rs, TrainOptions{MinPerClass: 100, Holdout: 0.3, Scratch: true}, time.Now())
	if l := rep.Languages[0]; l.Decision != "refused" || rep.Start != "scratch" {
		t.Errorf("from scratch: %+v", l)
	} else {
		t.Logf("en from scratch: %d held out; built-in %.3f / %.3f, trained %.3f / %.3f, p = %.3g: %s", l.Heldout,
			l.Builtin.Accuracy, l.Builtin.MacroF1, l.Trained.Accuracy, l.Trained.MacroF1, l.PValue, l.Reason)
	}
	sm, rep := TrainSeller(rs, TrainOptions{MinPerClass: 100, Holdout: 0.3}, time.Date(2026, 11, 22, 12, 0, 0, 0, time.UTC))
	if rep.Reviews != len(rs)-1 || rep.Neutral3Star != 1 || rep.Negative+rep.Positive != len(rs)-2 {
		t.Errorf("counts: %+v", rep)
	}
	if len(rep.Languages) != 1 || rep.Languages[0].Lang != "en" {
		t.Fatalf("languages: %+v", rep.Languages)
	}
	en := rep.Languages[0]
	t.Logf("en fine-tuned: %d held out; built-in %.3f / %.3f, trained %.3f / %.3f, p = %.3g: %s — %s", en.Heldout,
		en.Builtin.Accuracy, en.Builtin.MacroF1, en.Trained.Accuracy, en.Trained.MacroF1, en.PValue, en.Decision, en.Reason)
	if en.Decision != "refused" || len(rep.Accepted) != 0 || len(sm.Models) != 0 {
		t.Errorf("a model that does not beat the built-in one was accepted: %+v", en)
	}
	if en.Heldout < 170 || en.Builtin.Accuracy < 0.8 {
		t.Errorf("held out %d, built-in accuracy %.3f", en.Heldout, en.Builtin.Accuracy)
	}
	if rep.Version != "voc-sentiment-20261122T120000Z" || rep.From.IsZero() || rep.Builtin == "" {
		t.Errorf("version %q, from %v, builtin %q", rep.Version, rep.From, rep.Builtin)
	}
	// Too few examples per class: skipped, nothing trained.
	_, rep = TrainSeller(rs, TrainOptions{MinPerClass: 10000}, time.Now())
	if rep.Languages[0].Decision != "skipped" || rep.Languages[0].Trained != nil {
		t.Errorf("not skipped: %+v", rep.Languages[0])
	}
}

// TestTrainSellerAcceptsAndStores: a seller whose reviews use words the
// built-in model reads the other way (here: product slang where
// "brick" means it died and "fire" means great) gets a model that wins on
// held-out reviews, is stored, loaded back and scores only its language.
func TestTrainSellerAcceptsAndStores(t *testing.T) {
	var rs []RatedReview
	items := []string{"charger", "cable", "case", "lamp", "speaker", "mouse", "stand", "hub", "fan", "clock"}
	neg := []string{"total brick after %d days", "became a brick on day %d", "bricked within %d hours, great job", "is a brick, perfect paperweight after %d uses"}
	pos := []string{"this %s is fire, %d out of 10", "pure fire, used it %d times", "absolute fire even after %d weeks", "fire product, %d stars if I could"}
	for i := range 600 {
		it := items[i%len(items)]
		var text string
		rating := 5.0
		if i%2 == 0 {
			text = fmt.Sprintf("The %s "+neg[i/2%len(neg)], it, i%30+1)
			rating = 1
		} else {
			text = fmt.Sprintf(pos[i/2%len(pos)], it, i%30+1)
			if i/2%len(pos) != 0 {
				text = "The " + it + " is " + text
			}
		}
		rs = append(rs, RatedReview{ID: fmt.Sprint(i), Text: text, Lang: "en", Rating: rating})
		// German reviews too few for a model of their own.
		if i < 40 {
			rs = append(rs, RatedReview{ID: fmt.Sprint("de", i), Text: "Sehr gut, danke " + fmt.Sprint(i), Lang: "de", Rating: 5})
		}
	}
	sm, rep := TrainSeller(rs, TrainOptions{MinPerClass: 100}, time.Date(2026, 11, 22, 12, 0, 0, 0, time.UTC))
	var en, de *LanguageReport
	for i := range rep.Languages {
		switch rep.Languages[i].Lang {
		case "en":
			en = &rep.Languages[i]
		case "de":
			de = &rep.Languages[i]
		}
	}
	if en == nil || de == nil {
		t.Fatalf("languages: %+v", rep.Languages)
	}
	t.Logf("en: built-in %.3f, trained %.3f, p = %.3g: %s", en.Builtin.Accuracy, en.Trained.Accuracy, en.PValue, en.Reason)
	if en.Decision != "accepted" || !sm.Serves("en") || sm.Serves("de") || de.Decision != "skipped" {
		t.Fatalf("en %s (%s), de %s", en.Decision, en.Reason, de.Decision)
	}
	if en.OnlyTrainedRight <= en.OnlyBuiltinRight || en.PValue >= 0.05 || en.AccuracyGainCI[0] <= 0 {
		t.Errorf("accepted without a significant gain: %+v", en)
	}

	// Stored, loaded back (as a node does at start), scoring only en.
	dir := t.TempDir()
	s := &SellerModels{Dir: dir}
	if err := s.save(sm); err != nil {
		t.Fatal(err)
	}
	s2 := &SellerModels{Dir: dir}
	if err := s2.Load(); err != nil {
		t.Fatal(err)
	}
	cur := s2.Current()
	if cur == nil || cur.Report.Version != rep.Version || !cur.Serves("en") || len(cur.Models) != 1 {
		t.Fatalf("loaded %+v", cur)
	}
	text := "My new charger turned into a brick after 3 days"
	if got, want := s2.ScoreText(text, "en"), sm.Models["en"].ScoreLang(text, "en"); got.Score != want.Score || got.Sentiment != "negative" {
		t.Errorf("seller model score %v, want %v negative", got, want)
	}
	if b := ScoreText(text, "en"); b.Score == s2.ScoreText(text, "en").Score {
		t.Error("the seller model scores like the built-in one")
	}
	de1 := "Die Lieferung kam zu spät."
	if got, want := s2.ScoreText(de1, "de"), sentiment.ScoreLang(de1, "de"); got.Score != want.Score {
		t.Errorf("German scored %v by the seller model, want the built-in %v", got.Score, want.Score)
	}
	st := s2.Status()
	for _, l := range st.Languages {
		if (l.Lang == "en") != (l.Model == rep.Version) {
			t.Errorf("status: %s served by %s", l.Lang, l.Model)
		}
	}
	if _, err := os.Stat(filepath.Join(dir, rep.Version+".json")); err != nil {
		t.Error(err)
	}
	if v, err := s2.Revert(); err != nil || v != rep.Version || s2.Current() != nil {
		t.Errorf("revert: %q %v", v, err)
	}
	s3 := &SellerModels{Dir: dir}
	if err := s3.Load(); err != nil || s3.Current() != nil {
		t.Errorf("after revert a restart loads %v (%v)", s3.Current(), err)
	}
}
