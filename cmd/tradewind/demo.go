package main

import (
	"context"
	"crypto/rand"
	"errors"
	"flag"
	"fmt"
	"os"
	"strings"
	"time"

	"github.com/peterbourgon/ff/v3/ffcli"

	"github.com/tradewind/tradewind/internal/api"
	"github.com/tradewind/tradewind/internal/app"
	"github.com/tradewind/tradewind/internal/demo"
	"github.com/tradewind/tradewind/internal/ingest"
	"github.com/tradewind/tradewind/internal/source"
	"github.com/tradewind/tradewind/internal/store"
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
			if err := runDemo(ctx, a, demo.Config{Seed: *seed, People: *people, Months: *months, Now: day}, *fxFile); err != nil {
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
// log as the HTTP API — then waits for the store writer.
func runDemo(ctx context.Context, a *app.App, cfg demo.Config, fxFile string) error {
	start := time.Now()
	if f, err := os.Open(fxFile); err == nil {
		rep, err := a.ImportFX(ctx, api.ImportFXRequest{Body: f})
		f.Close()
		if err != nil {
			return fmt.Errorf("exchange rates %s: %w", fxFile, err)
		}
		fmt.Printf("exchange rates: %d ECB rates %s..%s\n", rep.Rates, rep.First, rep.Last)
	} else {
		fmt.Printf("exchange rates: %s not found; base-currency amounts stay empty until `tradewind import --kind fx_rates`\n", fxFile)
	}
	sources := map[string]source.Source{}
	for _, ds := range demo.Sources() {
		src, ok := a.Sources.ByID(ds.Key)
		if !ok {
			var err error
			src, err = a.CreateSource(ctx, source.Source{ID: ds.Key, Name: ds.Name, Kind: ds.Kind, Store: ds.Store,
				Currency: ds.Currency, Marketplace: ds.Marketplace, Country: ds.Country})
			if err != nil && !errors.Is(err, source.ErrExists) {
				return fmt.Errorf("demo source %s: %w", ds.Key, err)
			}
		}
		sources[ds.Key] = src
	}
	pending := map[string][]ingest.Item{}
	var total, maxSeq uint64
	flush := func(key string) error {
		items := pending[key]
		if len(items) == 0 {
			return nil
		}
		out, err := a.Ingest.Accept(ctx, sources[key], items, ingest.Options{Internal: true})
		if err != nil {
			return err
		}
		for i, o := range out {
			if o.Err != nil {
				f, r := ingest.FieldErr(o.Err)
				return fmt.Errorf("demo message %d of %s refused: %s %s", i, key, f, r)
			}
			maxSeq = max(maxSeq, o.Seq)
		}
		total += uint64(len(items))
		pending[key] = items[:0]
		return nil
	}
	tick := time.Now()
	stats, err := demo.Generate(ctx, cfg, func(key string, msg []byte) error {
		if _, ok := sources[key]; !ok {
			return fmt.Errorf("demo message for unknown source %q", key)
		}
		pending[key] = append(pending[key], ingest.Item{Raw: msg})
		if len(pending[key]) >= 500 {
			if err := flush(key); err != nil {
				return err
			}
		}
		if time.Since(tick) > 2*time.Second {
			tick = time.Now()
			fmt.Fprintf(os.Stderr, "\r  ingested %d messages…", total)
		}
		return nil
	})
	if err != nil {
		return err
	}
	for key := range pending {
		if err := flush(key); err != nil {
			return err
		}
	}
	fmt.Fprintf(os.Stderr, "\r  ingested %d messages; waiting for the store…\n", total)
	if err := store.WaitApplied(ctx, a.Store, maxSeq); err != nil {
		return err
	}
	fmt.Printf("demo seller: %d people, %d messages, %d orders, %d refunds, %d reviews, %d ad-spend rows in %s\n",
		stats.People, stats.Messages, stats.Orders, stats.Refunds, stats.Reviews, stats.AdSpendRows, time.Since(start).Round(time.Second))
	return nil
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
