package main

import (
	"context"
	"crypto/rand"
	"flag"
	"fmt"
	"os"
	"strings"
	"time"

	"github.com/peterbourgon/ff/v3/ffcli"

	"github.com/tradewind/tradewind/internal/app"
	"github.com/tradewind/tradewind/internal/audience"
	"github.com/tradewind/tradewind/internal/demo"
	"github.com/tradewind/tradewind/internal/predict"
	"github.com/tradewind/tradewind/internal/realtime"
)

func demoCommand() *ffcli.Command {
	fs := flag.NewFlagSet("demo", flag.ContinueOnError)
	var n nodeFlags
	n.register(fs)
	seed := fs.Uint64("seed", 1, "random seed: the same seed and --now give the same data")
	people := fs.Int("people", 50000, "number of people")
	months := fs.Int("months", 12, "months of history")
	now := fs.String("now", "", "the demo's today, YYYY-MM-DD (default: today)")
	fxFile := fs.String("fx-rates", "../shared/data/fx/eurofxref-hist.zip", "ECB reference rates to convert amounts (a zip or CSV); skipped if absent")
	noServe := fs.Bool("no-serve", false, "ingest and exit instead of serving")
	ownerEmail := fs.String("owner-email", "owner@demo.tradewind.test", "e-mail of the owner account the demo creates (TRADEWIND_OWNER_EMAIL)")
	ownerPassword := fs.String("owner-password", "", "its password (TRADEWIND_OWNER_PASSWORD); default: generated and printed")
	return &ffcli.Command{
		Name: "demo", ShortUsage: "tradewind demo [--seed N] [--people N] [--months N] [--now YYYY-MM-DD] [serve flags]",
		ShortHelp: "generate a realistic cross-border seller, ingest it through the pipeline, and serve it",
		FlagSet:   fs, Options: parseOpts,
		Exec: func(ctx context.Context, _ []string) error {
			cfg, err := n.config()
			if err != nil {
				return err
			}
			// The demo loads at a raised Go memory limit (loadMemoryLimit),
			// where the larger batches of a bulk load cost no collections.
			cfg.BulkBatches = true
			if cfg.Actions.PostalAddress == "" {
				// The demo shop's, so its journeys pass the content check
				// (US commercial e-mail must carry an address).
				cfg.Actions.PostalAddress = app.DemoPostalAddress
			}
			day := time.Now().UTC().Truncate(24 * time.Hour)
			if *now != "" {
				if day, err = time.Parse(time.DateOnly, *now); err != nil {
					return fmt.Errorf("--now must be YYYY-MM-DD: %w", err)
				}
			}
			a, err := app.Open(ctx, cfg)
			if err != nil {
				return err
			}
			defer a.Close()
			restore := loadMemoryLimit()
			err = runDemo(ctx, a, demo.Config{Seed: *seed, People: *people, Months: *months, Now: day}, *fxFile, !*noServe)
			restore()
			if err != nil {
				return err
			}
			if !a.Auth.HasOwner() {
				pw := *ownerPassword
				if pw == "" {
					pw = generatedPassword()
				}
				if _, err := a.Auth.CreateOwner(ctx, *ownerEmail, "Demo owner", pw); err != nil {
					return fmt.Errorf("create the demo owner: %w", err)
				}
				fmt.Printf("owner account: %s  password: %s\n", *ownerEmail, pw)
			} else {
				fmt.Println("owner account: exists already (sign in with its password)")
			}
			if *noServe {
				return nil
			}
			fmt.Printf("\nServing the demo at http://%s  (sign in at /login; admin token for scripts in %s; Ctrl-C stops)\n", a.Cfg.Listen, a.TokenPath)
			fmt.Printf("Try: %s sql --data %s \"SELECT marketplace, count(*) orders, sum(total_base) revenue_%s FROM orders GROUP BY 1 ORDER BY 3 DESC\"\n",
				selfName(), a.Cfg.DataDir, strings.ToLower(a.Cfg.BaseCurrency))
			return serve(ctx, a)
		},
	}
}

// runDemo creates the demo's sources, loads exchange rates, and ingests the
// generated messages through ingest.Service — the same validation and event
// log as the HTTP API — then waits for the store writer. A demo that will
// serve (serving) reads the marketing page's data meanwhile.
func runDemo(ctx context.Context, a *app.App, cfg demo.Config, fxFile string, serving bool) error {
	start := time.Now()
	rep, err := a.LoadDemo(ctx, cfg, fxFile, func(sent uint64) {
		fmt.Fprintf(os.Stderr, "\r  ingested %d messages…", sent)
	})
	if err != nil {
		return err
	}
	fmt.Fprintln(os.Stderr)
	if rep.FX != nil {
		fmt.Printf("exchange rates: %d ECB rates %s..%s\n", rep.FX.Rates, rep.FX.First, rep.FX.Last)
	} else {
		fmt.Printf("exchange rates: %s not found; base-currency amounts stay empty until `tradewind import --kind fx_rates`\n", fxFile)
	}
	st := rep.Stats
	fmt.Printf("demo seller: %d people, %d messages, %d orders, %d refunds, %d reviews, %d ad-spend rows in %s\n",
		st.People, st.Messages, st.Orders, st.Refunds, st.Reviews, st.AdSpendRows, time.Since(start).Round(time.Second))
	if err := a.Profiles.WaitApplied(ctx, rep.LastSeq); err != nil {
		return err
	}
	// Predictions need the profile mapping in the store (orders by
	// profile): flush the engine, then run the models once — the schedule
	// takes over from here — while the demo's segments are saved and
	// evaluated, which is the engine's work, not the store's.
	if err := a.Profiles.Flush(ctx); err != nil {
		return err
	}
	type predicted struct {
		run *predict.Run
		err error
	}
	predictions := make(chan predicted, 1)
	go func() {
		run, err := a.Predict.RefreshAfter(ctx) // a scheduled run may have started during the load
		predictions <- predicted{run, err}
	}()
	if len(a.Profiles.Segments()) == 0 {
		for _, s := range demoSegments {
			r, err := realtime.ParseRule(s.rule)
			if err != nil {
				<-predictions
				return fmt.Errorf("demo segment %s: %w", s.name, err)
			}
			if _, err := a.Profiles.SaveSegment(ctx, realtime.SegmentDef{Name: s.name, Description: s.description,
				Rule: audience.FormatJSON(r)}, true, "demo"); err != nil {
				<-predictions
				return fmt.Errorf("demo segment %s: %w", s.name, err)
			}
		}
	}
	var profiles int64
	_ = a.Store.Scan(ctx, "SELECT count(*) FROM profiles", nil, func(row []any) error {
		profiles, _ = row[0].(int64)
		return nil
	})
	fmt.Printf("profiles: %d unified profiles, %d segments, in %s\n", profiles, len(a.Profiles.Segments()),
		time.Since(start).Round(time.Second))
	p := <-predictions
	if p.err != nil {
		return fmt.Errorf("demo predictions: %w", p.err)
	}
	if run := p.run; run.Status == "scored" {
		fmt.Printf("predictions: %d customers scored (lifetime %s, churn %s), in %s\n", run.Customers,
			run.Lifetime.Chosen, run.Churn.Chosen, time.Since(start).Round(time.Second))
	} else {
		fmt.Printf("predictions: not yet (%s)\n", run.Error)
	}
	vr, err := a.VoC.RunDays(ctx, 366) // the whole history: its incidents fill the alerts inbox
	if err != nil {
		return fmt.Errorf("demo brand-health check: %w", err)
	}
	fmt.Printf("voice of the customer: %d reviews scored, %d alerts\n", vr.Texts, len(vr.Alerts))
	if serving {
		a.WarmMarketing(ctx) // the marketing page's data, read while the rest finishes
	}
	if err := a.SeedDemoExperiment(ctx); err != nil {
		return fmt.Errorf("demo experiment: %w", err)
	}
	fmt.Printf("experiment: %q on the brand's site, its verdict on the marketing page (tradewind experiment results %s)\n",
		demo.ExperimentName, demo.ExperimentID)
	if n, err := a.SeedDemoJourneys(ctx); err != nil {
		return err
	} else if n > 0 {
		fmt.Printf("journeys: %d defined (abandoned checkout and win-back as drafts to dry-run and start, brand-health alerts to the team running)\n", n)
	}
	return nil
}

// demoSegments are the segments a new demo starts with, to show the kinds
// of rule there are.
var demoSegments = []struct{ name, description, rule string }{
	{"Repeat buyers", "ordered at least twice in the last 90 days", `event "Order Completed" count >= 2 within 90d`},
	{"At risk", "bought twice or more, nothing for 60 days", `orders >= 2 and days_since_last_order > 60`},
	{"Amazon DE high value", "over 200 net on Amazon DE", `marketplaces contains "amazon_de" and net_revenue_base > 200`},
}

// selfName is how the user ran this program, for commands printed to copy:
// "go run ./cmd/tradewind" runs a binary from Go's build cache.
func selfName() string {
	if strings.Contains(os.Args[0], "go-build") {
		return "go run ./cmd/tradewind"
	}
	return "tradewind"
}

// generatedPassword makes a demo owner's password: 20 random base32
// characters (100 bits), in groups of five for reading off a terminal.
func generatedPassword() string {
	t := rand.Text()
	return t[0:5] + "-" + t[5:10] + "-" + t[10:15] + "-" + t[15:20]
}
