package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/url"
	"os"
	"strings"
	"time"

	"github.com/peterbourgon/ff/v3/ffcli"
	"github.com/schollz/progressbar/v3"
	"golang.org/x/term"

	"github.com/tradewind/tradewind/internal/api"
	"github.com/tradewind/tradewind/internal/app"
	"github.com/tradewind/tradewind/internal/eventlog"
	"github.com/tradewind/tradewind/internal/importer"
	"github.com/tradewind/tradewind/internal/source"
	"github.com/tradewind/tradewind/internal/store"
)

func importCommand() *ffcli.Command {
	fs := flag.NewFlagSet("import", flag.ContinueOnError)
	var t target
	t.register(fs)
	kind := fs.String("kind", "", "what the file holds: events, orders, customers, reviews, ad_spend, or fx_rates")
	file := fs.String("file", "", "the file (NDJSON, CSV/TSV with a header; fx_rates: the ECB zip or CSV)")
	src := fs.String("source", "", "id of the source the data belongs to (see tradewind sources list)")
	format := fs.String("format", "auto", "auto, ndjson, csv or tsv")
	mapping := fs.String("mapping", "", `column mapping: "shopify", "amazon", "col=field,…" or a JSON mapping file`)
	asJSON := fs.Bool("json", false, "print the report as JSON")
	waitProfiles := fs.Bool("wait-profiles", false, "without a server: also wait until the profile engine has applied the import (report: profiles_seconds)")
	return &ffcli.Command{
		Name: "import", ShortUsage: "tradewind import --kind KIND --file FILE --source ID [flags]",
		ShortHelp: "import a file through validation and the event log; bad rows go to quarantine",
		LongHelp: `Import a file through validation and the event log; bad rows go to quarantine.

The import is done, and its report final, when the store has applied its
last message: its rows are then in the tables that SQL, the dashboard and
exports read. The profile engine (identities, profiles, segments) applies
the same messages beside the store and may still be behind: through a
server it goes on there (its metric tradewind_profiles_applied_sequence);
without one it stops when this command exits and goes on when the data
directory next opens, unless --wait-profiles keeps the command until it has
caught up and written its profiles to the store.

Without a server this command opens the data directory itself as a bulk
load: larger store and engine batches, and a Go memory limit of 2.5 GiB
instead of the server's 448 MiB (far fewer collections). GOMEMLIMIT in the
environment replaces that limit, e.g. GOMEMLIMIT=1GiB on a small machine.
Through a server the server's own settings apply.`,
		FlagSet: fs, Options: parseOpts,
		Exec: func(ctx context.Context, _ []string) error {
			if *file == "" || *kind == "" {
				return errors.New("--kind and --file are required")
			}
			f, err := os.Open(*file)
			if err != nil {
				return &exitError{code: 1, err: err}
			}
			defer f.Close()
			var body io.Reader = f
			var bar *progressbar.ProgressBar
			if st, err := f.Stat(); err == nil && term.IsTerminal(int(os.Stderr.Fd())) {
				bar = progressbar.DefaultBytes(st.Size(), "importing "+*file)
				body = io.TeeReader(f, bar)
			}
			if *kind == "fx_rates" {
				rep, err := importFX(ctx, &t, body)
				if bar != nil {
					_ = bar.Finish()
				}
				if err != nil {
					return err
				}
				return printReport(rep, *asJSON, func() {
					fmt.Printf("exchange rates: %d rates from %s to %s; %d amounts re-converted\n", rep.Rates, rep.First, rep.Last, rep.Reconverted)
				})
			}
			if *src == "" {
				return errors.New("--source is required (create one with: tradewind sources create --name …)")
			}
			req := api.ImportRequest{SourceID: *src, Kind: *kind, Format: *format, Mapping: *mapping, Body: body, KeepRaw: true}
			rep, err := importFile(ctx, &t, req, *waitProfiles)
			if bar != nil {
				_ = bar.Finish()
			}
			if err != nil {
				return err
			}
			qfile := ""
			if len(rep.Rejects) > 0 {
				qfile = *file + ".quarantine.csv"
				if err := writeQuarantine(qfile, rep.Rejects); err != nil {
					return err
				}
			}
			rep.Rejects = nil
			if err := printReport(rep, *asJSON, func() {
				fmt.Printf("%s: %d records: %d accepted, %d duplicate, %d quarantined (%.1fs)\n",
					*file, rep.Records, rep.Accepted, rep.Duplicates, rep.Quarantined, rep.Seconds)
				if rep.ProfilesSeconds > 0 {
					fmt.Printf("profiles: the profile engine had applied the import after %.1fs\n", rep.ProfilesSeconds)
				}
				if qfile != "" {
					fmt.Printf("bad rows with their line numbers and reasons: %s\n", qfile)
				}
			}); err != nil {
				return err
			}
			if rep.Records > 0 && rep.Accepted == 0 && rep.Duplicates == 0 {
				return &exitError{code: 1, err: errors.New("nothing could be imported")}
			}
			return nil
		},
	}
}

func printReport(v any, asJSON bool, human func()) error {
	if asJSON {
		enc := json.NewEncoder(os.Stdout)
		enc.SetIndent("", "  ")
		return enc.Encode(v)
	}
	human()
	return nil
}

// fileReport is the import's report as the command prints it.
type fileReport struct {
	*api.ImportReport
	// ProfilesSeconds is when the profile engine had applied the import
	// and written its profiles, from the import's start (--wait-profiles,
	// without a server).
	ProfilesSeconds float64 `json:"profiles_seconds,omitempty"`
}

// importFile runs the import through the server holding the data directory,
// or, without one, in this process as a bulk load (loadMemoryLimit and
// app.Config.BulkBatches: a serving node keeps its own limit and batches).
// waitProfiles then also waits for the profile engine.
func importFile(ctx context.Context, t *target, req api.ImportRequest, waitProfiles bool) (*fileReport, error) {
	r, err := t.resolve()
	if err != nil {
		return nil, err
	}
	if r != nil {
		q := url.Values{"source": {req.SourceID}, "kind": {req.Kind}, "format": {req.Format}, "mapping": {req.Mapping}, "keep_raw": {"true"}}
		var rep api.ImportReport
		if waitProfiles {
			fmt.Fprintln(os.Stderr, "--wait-profiles: through a server, the profile engine goes on there (tradewind_profiles_applied_sequence in /metrics)")
		}
		err := r.do(ctx, "POST", "/v1/imports?"+q.Encode(), req.Body, "application/octet-stream", &rep)
		return &fileReport{ImportReport: &rep}, err
	}
	cfg, err := t.config()
	if err != nil {
		return nil, err
	}
	cfg.BulkBatches = true
	restore := loadMemoryLimit()
	defer restore()
	a, err := app.Open(ctx, cfg)
	if err != nil {
		return nil, err
	}
	defer a.Close()
	start := time.Now() // as the importer's own clock (the report's seconds)
	rep, err := a.Import(ctx, req)
	if err != nil {
		return nil, err
	}
	out := &fileReport{ImportReport: rep}
	if a.Profiles == nil {
		return out, nil
	}
	last, err := a.Log.LastSeq(ctx)
	if !waitProfiles {
		// A note only: the import itself is done.
		if applied := a.Profiles.Applied(); err == nil && applied < last {
			// Positions are not counts (eventlog/position.go); the share of
			// the log's stored messages (bundles) is close enough for a note.
			done := 100 * float64(eventlog.StreamSeq(applied)) / float64(max(eventlog.StreamSeq(last), 1))
			fmt.Fprintf(os.Stderr, "profiles: the profile engine has applied about %.0f%% of the log; it goes on when the data directory next opens (or use --wait-profiles)\n", done)
		}
		return out, nil
	}
	if err != nil {
		return nil, fmt.Errorf("waiting for the profile engine: %w", err)
	}
	// The engine publishes segment memberships as it goes, which the store
	// and the engine itself then apply: caught up is when a round adds
	// nothing to the log.
	for {
		if err := a.Profiles.WaitApplied(ctx, last); err != nil {
			return nil, fmt.Errorf("waiting for the profile engine: %w", err)
		}
		if err := store.WaitApplied(ctx, a.Store, last); err != nil {
			return nil, fmt.Errorf("waiting for the store: %w", err)
		}
		now, err := a.Log.LastSeq(ctx)
		if err != nil {
			return nil, err
		}
		if now == last {
			break
		}
		last = now
	}
	if err := a.Profiles.Flush(ctx); err != nil {
		return nil, fmt.Errorf("writing the profiles: %w", err)
	}
	out.ProfilesSeconds = time.Since(start).Seconds()
	return out, nil
}

func importFX(ctx context.Context, t *target, body io.Reader) (*api.FXReport, error) {
	r, err := t.resolve()
	if err != nil {
		return nil, err
	}
	if r != nil {
		var rep api.FXReport
		err := r.do(ctx, "POST", "/v1/fx_rates", body, "application/octet-stream", &rep)
		return &rep, err
	}
	a, err := t.local(ctx)
	if err != nil {
		return nil, err
	}
	defer a.Close()
	return a.ImportFX(ctx, api.ImportFXRequest{Body: body})
}

// writeQuarantine writes the bad rows beside the input: line, field, reason
// and the row as it was, so it can be fixed and imported again.
func writeQuarantine(path string, rejects []importer.Reject) error {
	f, err := os.OpenFile(path, os.O_CREATE|os.O_TRUNC|os.O_WRONLY, 0o600)
	if err != nil {
		return err
	}
	defer f.Close()
	fmt.Fprintln(f, "line,field,reason,row")
	for _, r := range rejects {
		fmt.Fprintf(f, "%d,%s,%s,%s\n", r.Line, csvField(r.Field), csvField(r.Reason), csvField(strings.TrimRight(r.Raw, "\r\n")))
	}
	return f.Close()
}

func csvField(s string) string {
	if strings.ContainsAny(s, ",\"\n\r") {
		return `"` + strings.ReplaceAll(s, `"`, `""`) + `"`
	}
	return s
}

func sourcesCommand() *ffcli.Command {
	cfs := flag.NewFlagSet("sources create", flag.ContinueOnError)
	var ct target
	ct.register(cfs)
	var s source.Source
	cfs.StringVar(&s.Name, "name", "", "name of the source (required)")
	cfs.StringVar(&s.ID, "id", "", "id (default: made from the name)")
	cfs.StringVar(&s.Kind, "kind", "", "sdk, shopify, amazon, tiktok_shop, import, …")
	cfs.StringVar(&s.Store, "store", "", "marketplace account shared by sources of one shop (default: the id)")
	cfs.StringVar(&s.Currency, "currency", "", "default currency of its amounts")
	cfs.StringVar(&s.Marketplace, "marketplace", "", "marketplace, e.g. amazon_de")
	cfs.StringVar(&s.Country, "country", "", "two-letter country code")
	lfs := flag.NewFlagSet("sources list", flag.ContinueOnError)
	var lt target
	lt.register(lfs)
	create := &ffcli.Command{
		Name: "create", ShortUsage: "tradewind sources create --name NAME [flags]", FlagSet: cfs, Options: parseOpts,
		Exec: func(ctx context.Context, _ []string) error {
			var out source.Source
			req := map[string]string{"id": s.ID, "name": s.Name, "kind": s.Kind, "store": s.Store,
				"currency": s.Currency, "marketplace": s.Marketplace, "country": s.Country}
			if err := ct.withAPI(ctx, func(r *remote) error { return r.postJSON(ctx, "/v1/sources", req, &out) }); err != nil {
				return err
			}
			return printJSON(out)
		},
	}
	list := &ffcli.Command{
		Name: "list", ShortUsage: "tradewind sources list", FlagSet: lfs, Options: parseOpts,
		Exec: func(ctx context.Context, _ []string) error {
			var out struct {
				Sources []source.Source `json:"sources"`
			}
			if err := lt.withAPI(ctx, func(r *remote) error { return r.get(ctx, "/v1/sources", &out) }); err != nil {
				return err
			}
			enc := json.NewEncoder(os.Stdout)
			enc.SetIndent("", "  ")
			return enc.Encode(out)
		},
	}
	return &ffcli.Command{Name: "sources", ShortUsage: "tradewind sources create|list", ShortHelp: "create and list sources and their write keys",
		Subcommands: []*ffcli.Command{create, list}, Exec: func(context.Context, []string) error { return flag.ErrHelp }}
}
