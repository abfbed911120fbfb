package app

import (
	"context"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/tradewind/tradewind/internal/demo"
	"github.com/tradewind/tradewind/internal/predict"
	"github.com/tradewind/tradewind/internal/voc"
)

// TestVoCOnDemoData: the demo's reviews (seven languages) are scored as
// they are stored — language, sentiment, topics — and the voice-of-the-
// customer endpoints summarise them; the brand-health check runs through
// the API and the alerts inbox answers.
func TestVoCOnDemoData(t *testing.T) {
	if testing.Short() {
		t.Skip("loads a demo seller")
	}
	fxFile := filepath.Join("..", "..", "..", "shared", "data", "fx", "eurofxref-hist.zip")
	if _, err := os.Stat(fxFile); err != nil {
		t.Fatalf("the ECB rates beside the repository are missing: %v", err)
	}
	day := time.Date(2026, 6, 30, 0, 0, 0, 0, time.UTC)
	clock := &fakeClock{t: day.Add(12 * time.Hour)}
	n := openNode(t, Config{DataDir: t.TempDir(), Now: clock.Now, Predict: predict.Config{Every: -1}, VoCEvery: -1})
	ctx := context.Background()
	rep, err := n.a.LoadDemo(ctx, demo.Config{Seed: 5, People: 1500, Months: 6, Now: day}, fxFile, nil)
	if err != nil {
		t.Fatal(err)
	}
	if rep.Stats.Reviews < 50 {
		t.Fatalf("only %d reviews in the demo", rep.Stats.Reviews)
	}
	var scored, langs, withTopics int64
	deadline := time.Now().Add(time.Minute)
	for time.Now().Before(deadline) {
		_ = n.a.Store.Scan(ctx, `SELECT count(*) FILTER (WHERE sentiment IS NOT NULL), count(DISTINCT detected_language),
			count(*) FILTER (WHERE len(topics) > 0) FROM reviews`, nil, func(r []any) error {
			scored, langs, withTopics = r[0].(int64), r[1].(int64), r[2].(int64)
			return nil
		})
		if scored >= int64(rep.Stats.Reviews) {
			break
		}
		time.Sleep(100 * time.Millisecond)
	}
	if scored < int64(rep.Stats.Reviews) || langs < 5 || withTopics < scored/3 {
		t.Fatalf("%d of %d reviews scored, %d languages, %d with topics", scored, rep.Stats.Reviews, langs, withTopics)
	}
	// Ratings and sentiment agree on the whole: 1–2 stars mostly negative,
	// 4–5 mostly positive.
	var lowNeg, low, highPos, high int64
	_ = n.a.Store.Scan(ctx, `SELECT count(*) FILTER (WHERE rating <= 2 AND sentiment = 'negative'), count(*) FILTER (WHERE rating <= 2),
		count(*) FILTER (WHERE rating >= 4 AND sentiment = 'positive'), count(*) FILTER (WHERE rating >= 4) FROM reviews`, nil,
		func(r []any) error {
			lowNeg, low, highPos, high = r[0].(int64), r[1].(int64), r[2].(int64), r[3].(int64)
			return nil
		})
	if low == 0 || high == 0 || float64(lowNeg)/float64(low) < 0.6 || float64(highPos)/float64(high) < 0.6 {
		t.Errorf("sentiment against ratings: %d of %d low-rated negative, %d of %d high-rated positive", lowNeg, low, highPos, high)
	}
	t.Logf("%d reviews: %d languages; low-rated negative %d/%d, high-rated positive %d/%d", scored, langs, lowNeg, low, highPos, high)

	code, sum := n.admin("GET", "/v1/voc/summary?by=language&days=365", nil)
	if code != 200 || len(sum["groups"].([]any)) < 5 {
		t.Fatalf("summary: %d %v", code, sum)
	}
	code, tp := n.admin("GET", "/v1/voc/topics?days=365", nil)
	if code != 200 || len(tp["topics"].([]any)) < 3 {
		t.Fatalf("topics: %d %v", code, tp)
	}
	first := tp["topics"].([]any)[0].(map[string]any)
	if first["mentions"].(float64) <= 0 || first["rating_impact"] == nil {
		t.Errorf("topic %v", first)
	}
	code, rv := n.admin("GET", "/v1/voc/reviews?sentiment=negative&limit=5", nil)
	if code != 200 || len(rv["reviews"].([]any)) == 0 {
		t.Errorf("negative reviews: %d %v", code, rv)
	}
	if code, m := n.admin("GET", "/v1/voc/reviews?sentiment=angry", nil); code != 400 {
		t.Errorf("bad sentiment: %d %v", code, m)
	}
	code, sus := n.admin("GET", "/v1/voc/suspicious?days=365", nil)
	if code != 200 || sus["reviews"].(float64) < 50 || sus["flags"] == nil {
		t.Errorf("suspicious: %d %v", code, sus)
	}
	code, chk := n.admin("POST", "/v1/voc/check", nil)
	if code != 200 || chk["texts"].(float64) < 50 {
		t.Fatalf("check: %d %v", code, chk)
	}
	if code, al := n.admin("GET", "/v1/alerts?status=all", nil); code != 200 || al["alerts"] == nil {
		t.Errorf("alerts: %d %v", code, al)
	}
	if code, m := n.admin("GET", "/v1/alerts?grade=bad", nil); code != 400 {
		t.Errorf("bad grade: %d %v", code, m)
	}
}

// TestVoCSellerModel: `voc train` on the demo seller's rated reviews —
// the held-out evaluation per language, a dry run that serves nothing, a
// run that serves the accepted languages (stored in DATA/models), new
// reviews scored with it in those languages only, the rescore of stored
// reviews, and the revert to the built-in model.
func TestVoCSellerModel(t *testing.T) {
	if testing.Short() {
		t.Skip("loads a demo seller")
	}
	day := time.Date(2026, 6, 30, 0, 0, 0, 0, time.UTC)
	clock := &fakeClock{t: day.Add(12 * time.Hour)}
	dataDir := t.TempDir()
	n := openNode(t, Config{DataDir: dataDir, Now: clock.Now, Predict: predict.Config{Every: -1}, VoCEvery: -1})
	ctx := context.Background()
	stats, err := n.a.LoadDemoReviews(ctx, demo.Config{Seed: 11, People: 25000, Months: 12, Now: day})
	if err != nil {
		t.Fatal(err)
	}
	n.waitScored(int64(stats.Reviews))
	t.Logf("demo: %d reviews %v", stats.Reviews, stats.ReviewsByLanguage)

	// Bad options are refused before any work.
	if code, m := n.admin("POST", "/v1/voc/train", map[string]any{"holdout": 0.9}); code != 400 {
		t.Errorf("holdout 0.9: %d %v", code, m)
	}
	// A dry run reports and serves nothing.
	code, m := n.admin("POST", "/v1/voc/train", map[string]any{"min_per_class": 40, "dry_run": true})
	if code != 200 {
		t.Fatalf("dry run: %d %v", code, m)
	}
	if r := m["report"].(map[string]any); r["activated"] != false {
		t.Errorf("dry run activated: %v", r)
	}
	if _, err := os.Stat(filepath.Join(dataDir, "models", "voc-sentiment-active")); !os.IsNotExist(err) {
		t.Errorf("a dry run stored a model: %v", err)
	}

	code, m = n.admin("POST", "/v1/voc/train", map[string]any{"min_per_class": 40})
	if code != 200 {
		t.Fatalf("train: %d %v", code, m)
	}
	r := m["report"].(map[string]any)
	if r["left_out_3_star"].(float64) == 0 || r["negative"].(float64) == 0 {
		t.Errorf("report counts: %v", r)
	}
	accepted := map[string]bool{}
	var kept string // a language the built-in model still serves
	for _, x := range r["languages"].([]any) {
		l := x.(map[string]any)
		lang := l["lang"].(string)
		if l["decision"] == "skipped" {
			t.Logf("%s: %v negative, %v positive — skipped", lang, l["negative"], l["positive"])
			if kept == "" && lang != "und" {
				kept = lang
			}
			continue
		}
		b, tr := l["builtin"].(map[string]any), l["trained"].(map[string]any)
		t.Logf("%s: %v+%v reviews, %v trained, %v held out (%v duplicates dropped); built-in acc %.3f F1 %.3f, trained acc %.3f F1 %.3f; McNemar %v/%v p=%.2g; %s: %s",
			lang, l["negative"], l["positive"], l["train"], l["heldout"], l["dropped_duplicates"], b["accuracy"], b["macro_f1"], tr["accuracy"], tr["macro_f1"],
			l["only_builtin_right"], l["only_trained_right"], l["p_value"], l["decision"], l["reason"])
		// Every example is either trained on, held out, or dropped because
		// its text is held out: the evaluation is on unseen reviews.
		total := l["negative"].(float64) + l["positive"].(float64)
		dropped, _ := l["dropped_duplicates"].(float64)
		if l["train"].(float64)+l["heldout"].(float64)+dropped != total {
			t.Errorf("%s: train + held out + dropped ≠ %v", lang, total)
		}
		switch l["decision"] {
		case "accepted":
			accepted[lang] = true
			if l["only_trained_right"].(float64) <= l["only_builtin_right"].(float64) || l["p_value"].(float64) >= 0.05 {
				t.Errorf("%s accepted without a significant gain: %v", lang, l)
			}
		case "refused":
			if kept == "" {
				kept = lang
			}
		}
	}
	if len(accepted) == 0 || r["activated"] != true {
		t.Fatalf("no language accepted on the demo seller: %v", r)
	}
	if kept == "" {
		kept = "ko" // no demo reviews: the built-in model serves it
	}
	version := r["version"].(string)
	for _, f := range []string{version + ".bin", version + ".json", "voc-sentiment-active"} {
		if _, err := os.Stat(filepath.Join(dataDir, "models", f)); err != nil {
			t.Error(err)
		}
	}
	code, st := n.admin("GET", "/v1/voc/model", nil)
	if code != 200 || st["seller"] != version {
		t.Fatalf("model: %d %v", code, st)
	}
	for _, x := range st["languages"].([]any) {
		l := x.(map[string]any)
		if want := map[bool]string{true: version, false: "builtin"}[accepted[l["lang"].(string)]]; l["model"] != want {
			t.Errorf("%s served by %v, want %s", l["lang"], l["model"], want)
		}
	}

	// New reviews: scored by the seller model in its language, by the
	// built-in one in another.
	var lang string
	for l := range accepted {
		if lang == "" || l < lang {
			lang = l
		}
	}
	sample := map[string]string{"en": "The zip broke after a week and delivery took almost three weeks.",
		"de": "Der Reißverschluss ist nach einer Woche kaputt gegangen.", "es": "La cremallera se rompió después de una semana.",
		"fr": "La fermeture éclair a cassé au bout d'une semaine.", "it": "La cerniera si è rotta dopo una settimana.",
		"ja": "一週間でファスナーが壊れました。", "zh": "拉链一周后就坏了。", "ko": "지퍼가 일주일 만에 고장났어요."}
	_, key := n.createSource("Reviews", "EUR")
	send := func(id, l string) {
		body := fmt.Sprintf(`{"userId":"u-%s","event":"Product Reviewed","messageId":"m-%s","properties":{"review_id":%q,"product_id":"p1","rating":1,"review_body":%q,"language":%q}}`,
			id, id, id, sample[l], l)
		if code, m := n.do("POST", "/v1/track", basic(key), []byte(body), nil); code != 200 {
			t.Fatalf("track %s: %d %v", id, code, m)
		}
	}
	send("new-seller", lang)
	send("new-builtin", kept)
	n.waitCount(`SELECT count(*) FROM reviews WHERE review_id IN ('new-seller', 'new-builtin') AND sentiment IS NOT NULL`, 2)
	stored := func(id string) float64 {
		res := n.query(fmt.Sprintf(`SELECT sentiment_score FROM reviews WHERE review_id = '%s'`, id))
		return res.Rows[0][0].(float64)
	}
	sm := n.a.VoC.Sellers.Current()
	if got, want := stored("new-seller"), sm.Models[lang].ScoreLang(sample[lang], lang).Score; math.Abs(got-want) > 1e-9 {
		t.Errorf("new %s review scored %v, want the seller model's %v", lang, got, want)
	}
	if got, builtin := stored("new-seller"), voc.ScoreText(sample[lang], lang).Score; got == builtin {
		t.Errorf("new %s review scored like the built-in model (%v)", lang, got)
	}
	if got, want := stored("new-builtin"), voc.ScoreText(sample[kept], kept).Score; math.Abs(got-want) > 1e-9 {
		t.Errorf("new %s review scored %v, want the built-in model's %v", kept, got, want)
	}

	// Rescore: the stored reviews of the accepted languages take the
	// seller model's scores; the others do not move.
	before := n.query(`SELECT count(*) FROM reviews WHERE sentiment IS NOT NULL`).Rows[0][0]
	code, rs := n.admin("POST", "/v1/voc/rescore", nil)
	if code != 200 || rs["changed"].(float64) == 0 {
		t.Fatalf("rescore: %d %v", code, rs)
	}
	t.Logf("rescore: %v of %v reviews changed", rs["changed"], rs["reviews"])
	res := n.query(`SELECT detected_language, coalesce(title, '') || chr(10) || coalesce(body, ''), sentiment_score FROM reviews WHERE sentiment IS NOT NULL`)
	if fmt.Sprint(len(res.Rows)) != fmt.Sprint(before) {
		t.Errorf("%d scored reviews after the rescore, %v before", len(res.Rows), before)
	}
	for _, row := range res.Rows {
		l, text, got := row[0].(string), strings.TrimSpace(row[1].(string)), row[2].(float64)
		want := voc.ScoreText(text, l).Score
		if accepted[l] {
			want = sm.Models[l].ScoreLang(text, l).Score
		}
		if math.Abs(got-want) > 1e-9 {
			t.Fatalf("a %s review scored %v after the rescore, want %v", l, got, want)
		}
	}

	// Revert: the built-in model serves every language again.
	code, rv := n.admin("DELETE", "/v1/voc/model", nil)
	if code != 200 || rv["reverted"] != version {
		t.Fatalf("revert: %d %v", code, rv)
	}
	send("after-revert", lang)
	n.waitCount(`SELECT count(*) FROM reviews WHERE review_id = 'after-revert' AND sentiment IS NOT NULL`, 1)
	if got, want := stored("after-revert"), voc.ScoreText(sample[lang], lang).Score; math.Abs(got-want) > 1e-9 {
		t.Errorf("after the revert a %s review scored %v, want the built-in %v", lang, got, want)
	}
	if _, err := os.Stat(filepath.Join(dataDir, "models", "voc-sentiment-active")); !os.IsNotExist(err) {
		t.Errorf("the active pointer survived the revert: %v", err)
	}
	// The audit log has the training and the revert.
	_, au := n.admin("GET", "/v1/audit?action=voc.", nil)
	entries, _ := au["entries"].([]any)
	actions := map[string]int{}
	for _, e := range entries {
		actions[e.(map[string]any)["action"].(string)]++
	}
	if actions["voc.train"] < 3 || actions["voc.rescore"] != 1 || actions["voc.model.revert"] != 1 {
		t.Errorf("audit entries: %v", actions)
	}
}

// waitScored waits until want reviews carry a sentiment.
func (n *node) waitScored(want int64) {
	n.t.Helper()
	var scored int64
	deadline := time.Now().Add(2 * time.Minute)
	for time.Now().Before(deadline) {
		_ = n.a.Store.Scan(context.Background(), `SELECT count(*) FROM reviews WHERE sentiment IS NOT NULL`, nil, func(r []any) error {
			scored = r[0].(int64)
			return nil
		})
		if scored >= want {
			return
		}
		time.Sleep(100 * time.Millisecond)
	}
	n.t.Fatalf("%d of %d reviews scored", scored, want)
}
