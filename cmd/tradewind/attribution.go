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
	"strconv"
	"strings"
	"text/tabwriter"

	"github.com/peterbourgon/ff/v3/ffcli"

	"github.com/tradewind/tradewind/internal/app"
	"github.com/tradewind/tradewind/internal/attribution"
	"github.com/tradewind/tradewind/internal/marketing"
)

// attributionOutput is the contract of `tradewind attribution --json`: the
// same report the API and the store path give.
type attributionOutput = marketing.AttributionReport

func attributionCommand() *ffcli.Command {
	fs := flag.NewFlagSet("attribution", flag.ContinueOnError)
	paths := fs.String("paths", "", "journeys in ChannelAttribution's path format: ';'-separated CSV with header path;total_conversions;total_conversion_value;total_null and paths like 'a > b > c' (- reads standard input); without it, journeys come from the node's store")
	model := fs.String("model", "", "first, last, last_non_direct, linear, time_decay, position, markov or shapley (on the store also all; default markov there)")
	halfLife := fs.Float64("half-life", attribution.DefaultHalfLife, "time_decay: half-life in steps (a path file has no timestamps; one step is one unit of time; on the store one step is one touch)")
	order := fs.Int("order", 1, fmt.Sprintf("markov: order of the chain, 1 to %d", attribution.MaxMarkovOrder))
	direct := fs.String("direct", "direct,(direct)", "last_non_direct on a path file: comma-separated channels that are direct visits (case-insensitive)")
	asJSON := fs.Bool("json", false, "print JSON: {model, channels: [{channel, conversions, value}], removal_effects (markov)}")
	// On the store.
	var t target
	t.register(fs)
	lookback := fs.Int("lookback-days", 30, "store: look-back window of a journey before its order, in days")
	from := fs.String("from", "", "store: first day of the orders credited, YYYY-MM-DD (default 90 days before --to)")
	to := fs.String("to", "", "store: last day of the orders credited, YYYY-MM-DD (default today)")
	by := fs.String("by", "channel", "store: credit channels or campaigns (channel/campaign)")
	return &ffcli.Command{
		Name:       "attribution",
		ShortUsage: "tradewind attribution --paths FILE --model MODEL [--json] | tradewind attribution [--model MODEL|all] [--lookback-days 30] [--from D --to D] [--by channel|campaign] [--json]",
		ShortHelp:  "split conversions and value over marketing channels, from a path file or the store",
		LongHelp: "Credits every channel of the journeys with conversions and conversion value by one model.\n" +
			"first, last and linear count every touch as written, repeats included; position is 40/20/40\n" +
			"(one touch: all; two: 50/50); markov is the first-order removal effect solved exactly, using\n" +
			"non-converting journeys; shapley is the simplified Shapley value (v(S) = conversions of the\n" +
			"journeys whose channels lie within S).\n\n" +
			"Without --paths the journeys come from the node's events and orders (GET /v1/attribution):\n" +
			"through the server holding --data (or --server), or the data directory opened here.",
		FlagSet: fs,
		Options: parseOpts,
		Exec: func(ctx context.Context, args []string) error {
			if len(args) > 0 {
				return usageErr(fmt.Errorf("unexpected arguments %q", args))
			}
			if *paths == "" {
				return attributionOnStore(ctx, &t, *model, *from, *to, *by, *lookback, *halfLife, *order, *asJSON)
			}
			if *model == "" {
				return usageErr(errors.New("--paths and --model are required"))
			}
			m, err := attribution.ParseModel(*model)
			if err != nil {
				return usageErr(err)
			}
			if !(*halfLife > 0) {
				return usageErr(fmt.Errorf("--half-life %v: want a number of steps > 0", *halfLife))
			}
			var in io.Reader = os.Stdin
			name := "standard input"
			if *paths != "-" {
				name = *paths
				f, err := os.Open(*paths)
				if err != nil {
					return err
				}
				defer f.Close()
				in = f
			}
			j, err := attribution.ReadPaths(in)
			if err != nil {
				return fmt.Errorf("%s: %w", name, err)
			}
			directSet := map[string]bool{}
			for d := range strings.SplitSeq(*direct, ",") {
				if d = strings.TrimSpace(d); d != "" {
					directSet[strings.ToLower(d)] = true
				}
			}
			opt := attribution.Options{HalfLife: *halfLife, MarkovOrder: *order,
				Direct: func(ch string) bool { return directSet[strings.ToLower(ch)] }}
			res, err := attribution.Attribute(j, m, opt)
			if err != nil {
				return err
			}
			out := marketing.NewReport(j, res, *halfLife)
			if *asJSON {
				return printJSON(out)
			}
			return printAttributionTable(os.Stdout, out)
		},
	}
}

// attributionOnStore runs GET /v1/attribution: the same JSON shape as a
// path file gives (with what was analysed beside it), or with --model all
// every model under "models". Without a node to ask (no server, no data
// directory) it says what is missing rather than creating an empty node.
func attributionOnStore(ctx context.Context, t *target, model, from, to, by string, lookback int, halfLife float64, order int, asJSON bool) error {
	if _, running := app.RunningServer(t.data); t.server == "" && !running {
		if _, err := os.Stat(t.data); err != nil {
			return usageErr(fmt.Errorf("--paths and --model are required, or a node to run on: no data directory %s (give --paths FILE, or --data DIR or --server URL for the store)", t.data))
		}
	}
	if lookback < 1 || lookback > 365 {
		return usageErr(fmt.Errorf("--lookback-days %d: want 1 to 365", lookback))
	}
	q := url.Values{"lookback_days": {strconv.Itoa(lookback)}, "by": {by}, "order": {strconv.Itoa(order)},
		"half_life": {strconv.FormatFloat(halfLife, 'g', -1, 64)}}
	if model != "" {
		q.Set("model", model)
	}
	if from != "" {
		q.Set("from", from)
	}
	if to != "" {
		q.Set("to", to)
	}
	return t.withAPI(ctx, func(r *remote) error {
		var raw json.RawMessage
		if err := r.get(ctx, "/v1/attribution?"+q.Encode(), &raw); err != nil {
			return err
		}
		if asJSON {
			return printJSON(raw)
		}
		var reports []attributionOutput
		var all struct {
			Models []attributionOutput `json:"models"`
		}
		if err := json.Unmarshal(raw, &all); err == nil && len(all.Models) > 0 {
			reports = all.Models
		} else {
			var one attributionOutput
			if err := json.Unmarshal(raw, &one); err != nil {
				return err
			}
			reports = []attributionOutput{one}
		}
		for i, rep := range reports {
			if i > 0 {
				fmt.Println()
			}
			if err := printAttributionTable(os.Stdout, rep); err != nil {
				return err
			}
		}
		return nil
	})
}

// printAttributionTable prints the credits for a reader: each channel's
// conversions and value with their shares, and the removal effect where the
// model has one.
func printAttributionTable(w io.Writer, out attributionOutput) error {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	share := func(x, total float64) string {
		if total == 0 {
			return "-"
		}
		return fmt.Sprintf("%.1f%%", 100*x/total)
	}
	header := "channel\tconversions\tshare\tvalue\tshare\t"
	if out.RemovalEffects != nil {
		header += "removal effect\t"
	}
	fmt.Fprintln(tw, header)
	for _, c := range out.Channels {
		line := fmt.Sprintf("%s\t%.4f\t%s\t%.2f\t%s\t", c.Channel, c.Conversions, share(c.Conversions, out.TotalConversions),
			c.Value, share(c.Value, out.TotalValue))
		if out.RemovalEffects != nil {
			line += fmt.Sprintf("%.4f\t", out.RemovalEffects[c.Channel])
		}
		fmt.Fprintln(tw, line)
	}
	fmt.Fprintf(tw, "total\t%.4f\t\t%.2f\t\t\n", out.TotalConversions, out.TotalValue)
	if err := tw.Flush(); err != nil {
		return err
	}
	_, err := fmt.Fprintf(w, "model %s over %d paths (%g non-converting)\n", out.Model, out.Journeys, out.TotalNull)
	return err
}
