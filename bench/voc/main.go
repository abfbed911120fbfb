// Command voc measures the voice of the customer's seller model on the
// demo seller: `voc train` on the reviews of the default demo (50,000
// people, 12 months — loaded alone, without the orders and sessions), the
// per-language evaluation against the built-in model, and the time
// scoring takes and adds before a review is queryable. Run it from the
// repository root through bench/voc/run.sh; it prints what it measured.
package main

import (
	"context"
	"flag"
	"fmt"
	"log"
	"log/slog"
	"os"
	"slices"
	"time"

	"github.com/tradewind/tradewind/internal/app"
	"github.com/tradewind/tradewind/internal/demo"
	"github.com/tradewind/tradewind/internal/ingest"
	"github.com/tradewind/tradewind/internal/predict"
	"github.com/tradewind/tradewind/internal/source"
	"github.com/tradewind/tradewind/internal/voc"
)

func main() {
	people := flag.Int("people", demo.DefaultPeople, "demo people")
	months := flag.Int("months", demo.DefaultMonths, "demo months")
	seed := flag.Uint64("seed", 1, "demo seed")
	minPer := flag.Int("min-per-class", 200, "voc train --min-per-class")
	samples := flag.Int("samples", 600, "single messages sent one at a time for the latency figures (a third each: reviews with a text, reviews with a rating only, page views)")
	dir := flag.String("data", "", "data directory (empty: a temporary one, removed at the end)")
	flag.Parse()
	ctx := context.Background()
	if *dir == "" {
		d, err := os.MkdirTemp("", "twbench-voc.")
		if err != nil {
			log.Fatal(err)
		}
		defer os.RemoveAll(d)
		*dir = d
	}
	logger := slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))
	a, err := app.Open(ctx, app.Config{DataDir: *dir, Logger: logger, Predict: predict.Config{Every: -1}, VoCEvery: -1})
	if err != nil {
		log.Fatal(err)
	}
	defer a.Close()

	start := time.Now()
	stats, err := a.LoadDemoReviews(ctx, demo.Config{Seed: *seed, People: *people, Months: *months,
		Now: time.Date(2026, 6, 30, 0, 0, 0, 0, time.UTC)})
	if err != nil {
		log.Fatal(err)
	}
	fmt.Printf("demo seller (seed %d, %d people, %d months): %d reviews %v, loaded and scored in %s\n",
		*seed, *people, *months, stats.Reviews, stats.ReviewsByLanguage, time.Since(start).Round(time.Millisecond))

	// The texts as the enricher scores them, for the scoring cost.
	var texts, langs []string
	err = a.Store.Scan(ctx, `SELECT trim(coalesce(title, '') || chr(10) || coalesce(body, '')), detected_language FROM reviews`, nil,
		func(r []any) error {
			t, _ := r[0].(string)
			l, _ := r[1].(string)
			texts, langs = append(texts, t), append(langs, l)
			return nil
		})
	if err != nil {
		log.Fatal(err)
	}

	start = time.Now()
	rep, err := a.VoC.Sellers.Train(ctx, voc.TrainOptions{MinPerClass: *minPer}, false)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Printf("\nvoc train --min-per-class %d (start %s, took %s): %d rated reviews with text, %d negative, %d positive, %d with 3 stars left out\n",
		*minPer, rep.Start, time.Since(start).Round(time.Millisecond), rep.Reviews, rep.Negative, rep.Positive, rep.Neutral3Star)
	fmt.Println("| lang | 1–2★ | 4–5★ | trained on | held out | built-in acc / F1 | trained acc / F1 | only built-in right / only trained right | McNemar p | accuracy gain (95% CI) | decision |")
	fmt.Println("| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |")
	for _, l := range rep.Languages {
		if l.Builtin == nil {
			fmt.Printf("| %s | %d | %d | – | – | – | – | – | – | – | %s: %s |\n", l.Lang, l.Negative, l.Positive, l.Decision, l.Reason)
			continue
		}
		fmt.Printf("| %s | %d | %d | %d | %d | %.3f / %.3f | %.3f / %.3f | %d / %d | %.2g | %+.3f (%+.3f, %+.3f) | %s |\n", l.Lang, l.Negative, l.Positive,
			l.Train, l.Heldout, l.Builtin.Accuracy, l.Builtin.MacroF1, l.Trained.Accuracy, l.Trained.MacroF1,
			l.OnlyBuiltinRight, l.OnlyTrainedRight, l.PValue, l.AccuracyGain, l.AccuracyGainCI[0], l.AccuracyGainCI[1], l.Decision)
	}
	fmt.Printf("served: %v\n", rep.Accepted)

	// Scoring cost per review, with the built-in model and with the
	// seller model serving its languages (language, sentiment, topics:
	// all the enricher does).
	for _, c := range []struct {
		name  string
		score func(text, lang string) int
	}{
		{"built-in", func(t, l string) int { return len(voc.ScoreText(t, l).Topics) }},
		{"seller", func(t, l string) int { return len(a.VoC.Sellers.ScoreText(t, l).Topics) }},
	} {
		d := make([]time.Duration, len(texts))
		var total time.Duration
		for i := range texts {
			t0 := time.Now()
			c.score(texts[i], langs[i])
			d[i] = time.Since(t0)
			total += d[i]
		}
		slices.Sort(d)
		fmt.Printf("\nscoring one review (%s models), %d demo reviews: p50 %s, p99 %s, max %s; %.0f reviews/s on one goroutine\n",
			c.name, len(d), d[len(d)/2], d[len(d)*99/100], d[len(d)-1], float64(len(d))/total.Seconds())
	}

	// Time from the acknowledgement to queryable, one message in flight:
	// a review with a text (scored on the way into the store), a review
	// with a rating only (a reviews row, not scored: the enricher skips an
	// empty text) and a page view, in turn. The first two differ by the
	// scoring alone.
	src, err := a.CreateSource(ctx, source.Source{ID: "bench-voc", Name: "bench voc", Currency: "EUR"})
	if err != nil {
		log.Fatal(err)
	}
	lat := make([][]time.Duration, 3)
	for i := range *samples {
		var msg string
		switch i % 3 {
		case 0:
			msg = fmt.Sprintf(`{"type":"track","userId":"bench-%d","event":"Product Reviewed","messageId":"bench-%d","properties":{"review_id":"bench-%d","product_id":"p1","rating":2,"review_body":%q,"language":%q}}`,
				i, i, i, texts[i%len(texts)], langs[i%len(langs)])
		case 1:
			msg = fmt.Sprintf(`{"type":"track","userId":"bench-%d","event":"Product Reviewed","messageId":"bench-%d","properties":{"review_id":"bench-%d","product_id":"p1","rating":4}}`, i, i, i)
		default:
			msg = fmt.Sprintf(`{"type":"track","userId":"bench-%d","event":"Product Viewed","messageId":"bench-%d","properties":{"product_id":"p1"}}`, i, i)
		}
		out, err := a.Ingest.Accept(ctx, src, []ingest.Item{{Raw: []byte(msg)}}, ingest.Options{})
		if err != nil || out[0].Err != nil {
			log.Fatalf("message %d: %v %v", i, err, out)
		}
		t0 := time.Now()
		for {
			s, err := a.Store.AppliedSeq(ctx)
			if err != nil {
				log.Fatal(err)
			}
			if s >= out[0].Seq {
				break
			}
			time.Sleep(100 * time.Microsecond)
		}
		lat[i%3] = append(lat[i%3], time.Since(t0))
	}
	for _, x := range []struct {
		name string
		d    []time.Duration
	}{{"review with text (scored)", lat[0]}, {"review, rating only", lat[1]}, {"page view", lat[2]}} {
		slices.Sort(x.d)
		fmt.Printf("acknowledged → queryable, %-26s n=%d: p50 %s, p90 %s, p99 %s, max %s\n", x.name, len(x.d),
			x.d[len(x.d)/2].Round(time.Microsecond), x.d[len(x.d)*9/10].Round(time.Microsecond),
			x.d[len(x.d)*99/100].Round(time.Microsecond), x.d[len(x.d)-1].Round(time.Microsecond))
	}
}
