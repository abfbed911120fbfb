package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"strconv"
	"strings"
	"text/tabwriter"

	"github.com/peterbourgon/ff/v3/ffcli"

	"github.com/tradewind/tradewind/internal/experiment"
)

// statsFile is the input of `tradewind experiment analyze --stats FILE`.
// Pointers tell a missing field from a zero one.
type statsFile struct {
	MetricType *string        `json:"metric_type"`
	Variants   []statsVariant `json:"variants"`
	Weights    []float64      `json:"weights"`
	Alpha      *float64       `json:"alpha"`
	Inverse    bool           `json:"inverse"`
}

type statsVariant struct {
	Name       *string  `json:"name"`
	N          *int64   `json:"n"`
	Sum        *float64 `json:"sum"`
	SumSquares *float64 `json:"sum_squares"`
	// CUPED: the same users' pre-period sums.
	PreSum        *float64 `json:"pre_sum"`
	PreSumSquares *float64 `json:"pre_sum_squares"`
	SumProducts   *float64 `json:"sum_products"`
}

func experimentCommand() *ffcli.Command {
	fs := flag.NewFlagSet("experiment analyze", flag.ContinueOnError)
	stats := fs.String("stats", "", `JSON file (- reads standard input): {"metric_type": "mean"|"proportion", "variants": [{"name", "n", "sum", "sum_squares"?, "pre_sum"?, "pre_sum_squares"?, "sum_products"?}, …], "weights"?: [...], "alpha"?: 0.05, "inverse"?: false}`)
	asJSON := fs.Bool("json", false, "print the report as JSON")
	analyze := &ffcli.Command{
		Name:       "analyze",
		ShortUsage: "tradewind experiment analyze --stats FILE [--json]",
		ShortHelp:  "compare each variant with the control (the first variant)",
		LongHelp: "Welch t-test with absolute and relative lift (delta method), Bayesian chance to win and\n" +
			"expected loss, a sample-ratio-mismatch check against the intended weights (equal by default),\n" +
			"and CUPED when every variant has pre_sum, pre_sum_squares and sum_products. The statistics\n" +
			"follow GrowthBook's gbstats. For a proportion, sum is the number of conversions.",
		FlagSet: fs,
		Exec: func(ctx context.Context, args []string) error {
			if len(args) > 0 {
				return usageErr(fmt.Errorf("unexpected arguments %q", args))
			}
			if *stats == "" {
				return usageErr(errors.New("--stats is required"))
			}
			data, name, err := readInput(*stats)
			if err != nil {
				return err
			}
			variants, weights, opt, err := parseStats(data)
			if err != nil {
				return fmt.Errorf("%s: %w", name, err)
			}
			rep, err := experiment.Analyze(variants, weights, opt)
			if err != nil {
				return fmt.Errorf("%s: %w", name, err)
			}
			if rep.SRMWarning {
				fmt.Fprintf(os.Stderr, "WARNING: sample ratio mismatch (p = %.3g): the users did not split as intended; find out why before trusting any result below.\n", rep.SRMPValue)
			}
			if *asJSON {
				return printJSON(rep)
			}
			return printExperimentTable(os.Stdout, rep)
		},
	}
	create, update := experimentSaveCommand(true), experimentSaveCommand(false)
	list := command("list", "tradewind experiment list", "list the experiments defined on the node", nil,
		func(ctx context.Context, r *remote, _ []string) error {
			var out any
			if err := r.get(ctx, "/v1/experiments", &out); err != nil {
				return err
			}
			return printJSON(out)
		})
	get := command("get", "tradewind experiment get ID", "show an experiment's definition", nil,
		func(ctx context.Context, r *remote, args []string) error {
			if len(args) != 1 {
				return usageErr(errors.New("give one experiment id"))
			}
			var out any
			if err := r.get(ctx, "/v1/experiments/"+url.PathEscape(args[0]), &out); err != nil {
				return err
			}
			return printJSON(out)
		})
	del := command("delete", "tradewind experiment delete ID", "delete an experiment's definition (its events stay)", nil,
		func(ctx context.Context, r *remote, args []string) error {
			if len(args) != 1 {
				return usageErr(errors.New("give one experiment id"))
			}
			return r.do(ctx, http.MethodDelete, "/v1/experiments/"+url.PathEscape(args[0]), nil, "", nil)
		})
	var resJSON bool
	results := command("results", "tradewind experiment results [--json] ID",
		"analyse an experiment on the store: per metric, the variants' sums and the verdict of `experiment analyze`",
		func(fs *flag.FlagSet) { fs.BoolVar(&resJSON, "json", false, "print the results as JSON") },
		func(ctx context.Context, r *remote, args []string) error {
			if len(args) != 1 {
				return usageErr(errors.New("give one experiment id"))
			}
			var raw json.RawMessage
			if err := r.get(ctx, "/v1/experiments/"+url.PathEscape(args[0])+"/results", &raw); err != nil {
				return err
			}
			var res struct {
				Users             map[string]int64 `json:"users"`
				MultipleExposures int64            `json:"multiple_exposures"`
				Metrics           []struct {
					Metric struct {
						Name string `json:"name"`
					} `json:"metric"`
					Report *experiment.Report `json:"report"`
					Error  string             `json:"error"`
				} `json:"metrics"`
			}
			if err := json.Unmarshal(raw, &res); err != nil {
				return err
			}
			for _, m := range res.Metrics {
				if m.Report != nil && m.Report.SRMWarning {
					fmt.Fprintf(os.Stderr, "WARNING: sample ratio mismatch (p = %.3g): the users did not split as intended; find out why before trusting any result.\n", m.Report.SRMPValue)
					break
				}
			}
			if resJSON {
				return printJSON(raw)
			}
			fmt.Printf("users %v (left out: %d seen in several variants)\n", res.Users, res.MultipleExposures)
			for _, m := range res.Metrics {
				fmt.Printf("\n%s\n", m.Metric.Name)
				if m.Report == nil {
					fmt.Println("  no verdict:", m.Error)
					continue
				}
				if err := printExperimentTable(os.Stdout, m.Report); err != nil {
					return err
				}
			}
			return nil
		})
	return &ffcli.Command{
		Name:        "experiment",
		ShortUsage:  "tradewind experiment analyze --stats FILE [--json] | create|update|list|get|delete|results",
		ShortHelp:   "A/B test statistics, offline or on the node's events",
		Subcommands: []*ffcli.Command{analyze, create, update, list, get, del, results},
		Exec:        func(context.Context, []string) error { return flag.ErrHelp },
	}
}

// experimentSaveCommand is `experiment create` (POST /v1/experiments) or
// `experiment update ID` (PUT): the definition from a JSON file, or from
// flags for the common case.
func experimentSaveCommand(create bool) *ffcli.Command {
	var file, id, name, variants, names, weights, event, key string
	var metrics stringList
	var cuped, window int
	usage := "tradewind experiment create --id ID --variants 0,1 [--variant-names control,treatment] [--metric conversion --metric revenue --metric count:EVENT] [--cuped-days 14] | --file DEF.json"
	name0 := "create"
	help := "define an experiment over events (assignment: track \"Experiment Viewed\" with experiment_id and variation_id)"
	if !create {
		usage = "tradewind experiment update --file DEF.json ID | [flags as create] ID"
		name0 = "update"
		help = "replace an experiment's definition"
	}
	return command(name0, usage, help,
		func(fs *flag.FlagSet) {
			fs.StringVar(&file, "file", "", `definition as JSON: {"id", "name", "variants": [{"id", "name"}], "weights"?, "assignment_event"?, "experiment_property"?, "variant_property"?, "key"?, "start"?, "end"?, "metrics": [{"kind": "conversion"|"revenue"|"count", "event"?, "window_days"?, "cuped_days"?}]}`)
			fs.StringVar(&id, "id", "", "experiment id (default: from the name); the experiment_id value unless --key")
			fs.StringVar(&name, "name", "", "name")
			fs.StringVar(&variants, "variants", "", "comma-separated variation_id values, control first")
			fs.StringVar(&names, "variant-names", "", "comma-separated names of the variants")
			fs.StringVar(&weights, "weights", "", "comma-separated intended traffic split (default equal)")
			fs.StringVar(&event, "assignment-event", "", `assignment track event (default "Experiment Viewed")`)
			fs.StringVar(&key, "key", "", "experiment_id value in the events (default the id)")
			fs.Var(&metrics, "metric", "goal: conversion, revenue or count:EVENT (repeatable; default conversion and revenue)")
			fs.IntVar(&cuped, "cuped-days", 0, "CUPED: the same metric over this many days before assignment")
			fs.IntVar(&window, "window-days", 0, "count each metric this many days after assignment (0: all)")
		},
		func(ctx context.Context, r *remote, args []string) error {
			path := "/v1/experiments"
			method := http.MethodPost
			if !create {
				if len(args) != 1 {
					return usageErr(errors.New("give one experiment id"))
				}
				path += "/" + url.PathEscape(args[0])
				method = http.MethodPut
			} else if len(args) > 0 {
				return usageErr(fmt.Errorf("unexpected arguments %q", args))
			}
			var body io.Reader
			if file != "" {
				data, err := os.ReadFile(file)
				if err != nil {
					return err
				}
				body = bytes.NewReader(data)
			} else {
				def, err := experimentFromFlags(id, name, variants, names, weights, event, key, metrics, cuped, window)
				if err != nil {
					return usageErr(err)
				}
				if body, err = jsonBody(def); err != nil {
					return err
				}
			}
			var out any
			if err := r.do(ctx, method, path, body, "application/json", &out); err != nil {
				return err
			}
			return printJSON(out)
		})
}

// stringList is a repeatable string flag.
type stringList []string

func (l *stringList) String() string     { return strings.Join(*l, ",") }
func (l *stringList) Set(v string) error { *l = append(*l, v); return nil }

// experimentFromFlags builds a definition from flags; the server checks
// the rest and names what is wrong.
func experimentFromFlags(id, name, variants, names, weights, event, key string, metrics []string, cuped, window int) (map[string]any, error) {
	if variants == "" {
		return nil, errors.New("--variants (or --file) is required: the variation_id values, control first")
	}
	var vs []map[string]string
	nameList := strings.Split(names, ",")
	for i, v := range strings.Split(variants, ",") {
		m := map[string]string{"id": strings.TrimSpace(v)}
		if names != "" && i < len(nameList) {
			m["name"] = strings.TrimSpace(nameList[i])
		}
		vs = append(vs, m)
	}
	def := map[string]any{"id": id, "name": name, "variants": vs, "assignment_event": event, "key": key}
	if weights != "" {
		var ws []float64
		for _, w := range strings.Split(weights, ",") {
			f, err := strconv.ParseFloat(strings.TrimSpace(w), 64)
			if err != nil {
				return nil, fmt.Errorf("--weights %q: %q is not a number", weights, w)
			}
			ws = append(ws, f)
		}
		def["weights"] = ws
	}
	if len(metrics) == 0 {
		metrics = []string{"conversion", "revenue"}
	}
	var ms []map[string]any
	for _, m := range metrics {
		kind, ev, _ := strings.Cut(m, ":")
		ms = append(ms, map[string]any{"kind": kind, "event": ev, "cuped_days": cuped, "window_days": window})
	}
	def["metrics"] = ms
	return def, nil
}

// parseStats decodes and checks a stats file strictly: an unknown key, a
// wrong type or a missing field is an error that names it, because a typo
// such as "sum_square" would otherwise silently drop a variance.
func parseStats(data []byte) ([]experiment.Variant, []float64, experiment.Options, error) {
	var in statsFile
	var opt experiment.Options
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&in); err != nil {
		return nil, nil, opt, describeJSONError(data, err)
	}
	if dec.More() {
		return nil, nil, opt, errors.New("unexpected data after the JSON object")
	}
	if in.MetricType == nil {
		return nil, nil, opt, errors.New(`"metric_type" is required: "mean" or "proportion"`)
	}
	mt := experiment.MetricType(*in.MetricType)
	if mt != experiment.Mean && mt != experiment.Proportion {
		return nil, nil, opt, fmt.Errorf(`"metric_type" %q: want "mean" or "proportion"`, *in.MetricType)
	}
	if in.Alpha != nil {
		if !(*in.Alpha > 0 && *in.Alpha < 1) {
			return nil, nil, opt, fmt.Errorf(`"alpha" %v: want a level between 0 and 1`, *in.Alpha)
		}
		opt.Alpha = *in.Alpha
	}
	opt.Inverse = in.Inverse
	variants := make([]experiment.Variant, len(in.Variants))
	for i, v := range in.Variants {
		where := fmt.Sprintf("variants[%d]", i)
		if v.Name == nil || v.N == nil || v.Sum == nil {
			return nil, nil, opt, fmt.Errorf(`%s: "name", "n" and "sum" are required`, where)
		}
		where = fmt.Sprintf("variants[%d] (%q)", i, *v.Name)
		vv := experiment.Variant{Name: *v.Name, Stat: experiment.Stat{Type: mt, N: *v.N, Sum: *v.Sum}}
		switch mt {
		case experiment.Mean:
			if v.SumSquares == nil {
				return nil, nil, opt, fmt.Errorf(`%s: "sum_squares" is required for a mean`, where)
			}
			vv.SumSquares = *v.SumSquares
		case experiment.Proportion:
			// A proportion's values are 0 or 1, so its sum of squares is
			// its sum; gbstats passes both, so an equal one is accepted.
			if v.SumSquares != nil && *v.SumSquares != *v.Sum {
				return nil, nil, opt, fmt.Errorf(`%s: "sum_squares" %v differs from "sum" %v, impossible for a proportion (leave it out)`, where, *v.SumSquares, *v.Sum)
			}
			vv.SumSquares = *v.Sum
		}
		switch {
		case v.PreSum == nil && v.PreSumSquares == nil && v.SumProducts == nil:
		case v.PreSum != nil && v.SumProducts != nil && (v.PreSumSquares != nil || mt == experiment.Proportion):
			vv.Pre = &experiment.Covariate{Sum: *v.PreSum, SumProducts: *v.SumProducts, SumSquares: *v.PreSum}
			if v.PreSumSquares != nil {
				vv.Pre.SumSquares = *v.PreSumSquares
			}
		default:
			return nil, nil, opt, fmt.Errorf(`%s: CUPED needs "pre_sum", "sum_products" and (for a mean) "pre_sum_squares" together`, where)
		}
		variants[i] = vv
	}
	return variants, in.Weights, opt, nil
}

// describeJSONError names where a JSON error is: the line, and for a type
// error the field and the expected type.
func describeJSONError(data []byte, err error) error {
	line := func(off int64) int { return 1 + bytes.Count(data[:min(int(off), len(data))], []byte("\n")) }
	var se *json.SyntaxError
	var te *json.UnmarshalTypeError
	switch {
	case errors.As(err, &se):
		return fmt.Errorf("line %d: invalid JSON: %v", line(se.Offset), se)
	case errors.As(err, &te):
		want := te.Type.String()
		switch want {
		case "int64":
			want = "a whole number"
		case "float64":
			want = "a number"
		case "string":
			want = "a string"
		}
		return fmt.Errorf("line %d: %q is a JSON %s, want %s", line(te.Offset), te.Field, te.Value, want)
	case errors.Is(err, io.EOF):
		return errors.New("empty file: want a JSON object")
	}
	if s := err.Error(); strings.HasPrefix(s, "json: unknown field") {
		return fmt.Errorf("%s (known: metric_type, variants[name, n, sum, sum_squares, pre_sum, pre_sum_squares, sum_products], weights, alpha, inverse)", strings.TrimPrefix(s, "json: "))
	}
	return err
}

// printExperimentTable prints the report for a reader.
func printExperimentTable(w io.Writer, rep *experiment.Report) error {
	level := 100 * (1 - rep.Alpha)
	srm := "ok"
	if rep.SRMWarning {
		srm = "MISMATCH"
	}
	fmt.Fprintf(w, "metric %s; sample ratio p = %.4g (%s)\n", rep.MetricType, rep.SRMPValue, srm)
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintf(tw, "variant\tn\tmean\trelative lift\t%g%% CI\tp\tabsolute lift\t%g%% CI\tp\tchance to win\texpected loss\t\n", level, level)
	for _, v := range rep.Variants {
		switch {
		case v.Control:
			fmt.Fprintf(tw, "%s (control)\t%d\t%.6g\t\t\t\t\t\t\t\t\t\n", v.Name, v.N, v.Mean)
		case v.Comparison == nil:
			fmt.Fprintf(tw, "%s\t%d\t%.6g\t%s\t\t\t\t\t\t\t\t\n", v.Name, v.N, v.Mean, v.Error)
		default:
			r, a := v.Relative, v.Absolute
			fmt.Fprintf(tw, "%s\t%d\t%.6g\t%+.2f%%\t[%+.2f%%, %+.2f%%]\t%.4g\t%+.6g\t[%.6g, %.6g]\t%.4g\t%.1f%%\t%.3g%%\t\n",
				v.Name, v.N, v.Mean, 100*r.Lift, 100*r.CILow, 100*r.CIHigh, r.PValue, a.Lift, a.CILow, a.CIHigh, a.PValue,
				100*v.ChanceToWin, 100*v.ExpectedLoss)
		}
	}
	return tw.Flush()
}
