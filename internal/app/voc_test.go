package app

import (
	"context"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/tradewind/tradewind/internal/demo"
	"github.com/tradewind/tradewind/internal/predict"
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
