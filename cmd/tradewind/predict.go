package main

import (
	"context"
	"encoding/csv"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"math"
	"net/url"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/peterbourgon/ff/v3/ffcli"

	"github.com/tradewind/tradewind/internal/predict"
	"github.com/tradewind/tradewind/internal/predict/btyd"
	"github.com/tradewind/tradewind/internal/predict/txlog"
)

// offlineFlags are the inputs of the offline prediction commands: a CSV
// of transactions and how to read it.
type offlineFlags struct {
	file, customerCol, dateCol, amountCol, dateFormat, calibrationEnd, period, out string
	json                                                                           bool
}

func (f *offlineFlags) register(fs *flag.FlagSet) {
	fs.StringVar(&f.file, "transactions", "", "CSV file of transactions with a header (delimiter detected); - reads standard input")
	fs.StringVar(&f.customerCol, "customer-col", "", "column with the customer id")
	fs.StringVar(&f.dateCol, "date-col", "", "column with the purchase date")
	fs.StringVar(&f.amountCol, "amount-col", "", "column with the amount (enables spend and lifetime value)")
	fs.StringVar(&f.dateFormat, "date-format", "", "Go layout of the dates, e.g. 02/01/2006 (default: detected; YYYY-MM-DD, YYYYMMDD, and slash and dot forms are recognised)")
	fs.StringVar(&f.calibrationEnd, "calibration-end", "", "last day (YYYY-MM-DD) of the history used to fit and score; later transactions form the holdout")
	fs.StringVar(&f.period, "period", "week", "time unit: day, or week (days / 7 after merging same-day purchases)")
	fs.StringVar(&f.out, "out", "", "write one CSV row per customer to this file")
	fs.BoolVar(&f.json, "json", false, "print the model report as JSON")
}

// read loads and summarises the transactions.
func (f *offlineFlags) read() (*btyd.Summary, *txlog.Log, error) {
	var missing []string
	for flag, v := range map[string]string{"--transactions": f.file, "--customer-col": f.customerCol, "--date-col": f.dateCol, "--calibration-end": f.calibrationEnd} {
		if v == "" {
			missing = append(missing, flag)
		}
	}
	if missing != nil {
		return nil, nil, usageErr(fmt.Errorf("missing %s", strings.Join(missing, ", ")))
	}
	calEnd, err := time.Parse(time.DateOnly, f.calibrationEnd)
	if err != nil {
		return nil, nil, usageErr(fmt.Errorf("--calibration-end %q: want YYYY-MM-DD", f.calibrationEnd))
	}
	period, err := btyd.ParsePeriod(f.period)
	if err != nil {
		return nil, nil, usageErr(fmt.Errorf("--period: %w", err))
	}
	var in io.Reader = os.Stdin
	if f.file != "-" {
		fh, err := os.Open(f.file)
		if err != nil {
			return nil, nil, err
		}
		defer fh.Close()
		in = fh
	}
	log, err := txlog.Read(in, txlog.Columns{Customer: f.customerCol, Date: f.dateCol, Amount: f.amountCol}, f.dateFormat)
	if err != nil {
		return nil, nil, fmt.Errorf("%s: %w", f.file, err)
	}
	s, err := btyd.Summarize(log.Transactions, calEnd, time.Time{}, period)
	if err != nil {
		return nil, nil, err
	}
	return s, log, nil
}

// usageErr marks a usage mistake (exit code 2).
func usageErr(err error) error { return &exitError{code: 2, err: err} }

func predictCommand() *ffcli.Command {
	var in offlineFlags
	var horizon, margin, discount float64
	var clvMonths, paretoSample int
	fitFS := flag.NewFlagSet("predict fit", flag.ContinueOnError)
	in.register(fitFS)
	fitFS.Float64Var(&horizon, "horizon", 0, "periods over which to count expected purchases (default: a year, 52 weeks or 365 days)")
	fitFS.Float64Var(&margin, "margin", 1.0, "share of revenue that is margin, for lifetime value")
	fitFS.Float64Var(&discount, "discount-rate", 0.10, "annual discount rate of future margin")
	fitFS.IntVar(&clvMonths, "clv-months", 12, "lifetime-value horizon in months")
	fitFS.IntVar(&paretoSample, "pareto-sample", 0, "fit Pareto/NBD on at most this many customers, sampled (default 10000; -1 skips it)")
	fit := &ffcli.Command{
		Name:       "fit",
		ShortUsage: "tradewind predict fit --transactions FILE --customer-col C --date-col D [--amount-col A] --calibration-end YYYY-MM-DD [flags]",
		ShortHelp:  "fit BG/NBD, Pareto/NBD and Gamma-Gamma to a CSV of transactions and score every customer",
		LongHelp: `Fits the buy-till-you-die models to the history up to --calibration-end and
scores every customer who bought by then: P(alive), expected purchases over
--horizon periods and, with --amount-col, expected spend and lifetime value.
Transactions after --calibration-end form a holdout: the report compares each
model's predictions with it and scores with the better one. No server needed.`,
		FlagSet: fitFS,
		Exec: func(ctx context.Context, args []string) error {
			if margin < 0 || discount < 0 || clvMonths < 0 || horizon < 0 {
				return usageErr(errors.New("--horizon, --margin, --discount-rate and --clv-months cannot be negative"))
			}
			s, log, err := in.read()
			if err != nil {
				return err
			}
			rep, scores, ferr := predict.FitLifetime(s, predict.LifetimeOptions{
				Horizon: horizon, CLVMonths: clvMonths, Margin: margin, AnnualDiscount: discount, ParetoSample: paretoSample,
			})
			if log.Ambiguous {
				rep.Warnings = append(rep.Warnings, fmt.Sprintf("dates could be read day-first or month-first; read as %s (pass --date-format to choose)", log.DateLayout))
			}
			if in.json {
				enc := json.NewEncoder(os.Stdout)
				enc.SetIndent("", "  ")
				if err := enc.Encode(reportJSON{rep, errString(ferr)}); err != nil {
					return err
				}
			} else {
				printLifetime(os.Stdout, rep)
			}
			if ferr != nil {
				return ferr
			}
			if in.out != "" {
				return writeScores(in.out, s, scores, s.HasAmounts && rep.GammaGamma != nil)
			}
			return nil
		},
	}
	refresh := command("refresh", "tradewind predict refresh", "run the prediction models on the node's data now and print the model report",
		nil, func(ctx context.Context, r *remote, _ []string) error {
			var out any
			if err := r.postJSON(ctx, "/v1/predictions/refresh", map[string]any{}, &out); err != nil {
				return err
			}
			return printJSON(out)
		})
	report := command("report", "tradewind predict report", "print the newest prediction run's model report",
		nil, func(ctx context.Context, r *remote, _ []string) error {
			var out any
			if err := r.get(ctx, "/v1/predictions/report", &out); err != nil {
				return err
			}
			return printJSON(out)
		})
	var by string
	summary := command("summary", "tradewind predict summary [--by marketplace|channel|segment|tier|all]",
		"customer value and churn risk summed up per group",
		func(fs *flag.FlagSet) {
			fs.StringVar(&by, "by", "all", "marketplace, channel, segment, tier or all")
		},
		func(ctx context.Context, r *remote, _ []string) error {
			var out any
			if err := r.get(ctx, "/v1/predictions/summary?by="+url.QueryEscape(by), &out); err != nil {
				return err
			}
			return printJSON(out)
		})
	return &ffcli.Command{Name: "predict", ShortUsage: "tradewind predict fit|churn|refresh|report|summary [flags]",
		ShortHelp:   "customer lifetime value and churn risk: offline from a CSV (fit, churn), or on the node's data",
		Subcommands: []*ffcli.Command{fit, churnCommand(), refresh, report, summary}, Exec: func(context.Context, []string) error { return flag.ErrHelp }}
}

// reportJSON is the --json output: the report and, when scoring was
// refused, why.
type reportJSON struct {
	*predict.LifetimeReport
	Error string `json:"error,omitempty"`
}

func errString(err error) string {
	if err == nil {
		return ""
	}
	return err.Error()
}

func printLifetime(w io.Writer, r *predict.LifetimeReport) {
	fmt.Fprintf(w, "customers %d (repeat buyers %d), %d transactions → %d purchase days; period %s, calibration to %s, holdout %.4g periods\n",
		r.Customers, r.RepeatCustomers, r.Transactions, r.PurchaseDays, r.Period, r.CalibrationEnd, r.HoldoutPeriods)
	if m := r.BGNBD; m != nil {
		fmt.Fprintf(w, "BG/NBD      r=%.6g alpha=%.6g a=%.6g b=%.6g  log-likelihood %.4f\n", m.R, m.Alpha, m.A, m.B, m.LogLikelihood)
	}
	if m := r.ParetoNBD; m != nil {
		fmt.Fprintf(w, "Pareto/NBD  r=%.6g alpha=%.6g s=%.6g beta=%.6g  log-likelihood %.4f", m.R, m.Alpha, m.S, m.Beta, m.LogLikelihood)
		if r.ParetoSample > 0 {
			fmt.Fprintf(w, " (fitted on %d sampled customers)", r.ParetoSample)
		}
		fmt.Fprintln(w)
	}
	if m := r.GammaGamma; m != nil {
		fmt.Fprintf(w, "Gamma-Gamma p=%.6g q=%.6g gamma=%.6g  log-likelihood %.4f  (frequency/spend correlation %.3f)\n", m.P, m.Q, m.Gamma, m.LogLikelihood, m.FreqMonetaryCorr)
	}
	for name, why := range r.Refused {
		fmt.Fprintf(w, "%s refused: %s\n", name, why)
	}
	for _, h := range r.Holdout {
		fmt.Fprintf(w, "holdout %-10s actual %.0f predicted %.1f purchases; per customer MAE %.4f RMSE %.4f\n", h.Model, h.Actual, h.Predicted, h.MAE, h.RMSE)
	}
	if r.Chosen != "" {
		fmt.Fprintf(w, "scored with %s (chosen by %s)\n", r.Chosen, r.ChosenBy)
	}
	for _, warn := range r.Warnings {
		fmt.Fprintln(w, "warning:", warn)
	}
}

func fmtFloat(v float64) string {
	if math.IsNaN(v) {
		return ""
	}
	return strconv.FormatFloat(v, 'g', 10, 64)
}

// writeScores writes the --out file: one row per customer.
func writeScores(path string, s *btyd.Summary, scores []btyd.Score, withValue bool) error {
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	w := csv.NewWriter(f)
	head := []string{"customer_id", "frequency", "recency", "T", "monetary", "p_alive", "expected_purchases"}
	if withValue {
		head = append(head, "expected_spend", "clv")
	}
	w.Write(head)
	for i, c := range s.Customers {
		sc := scores[i]
		row := []string{s.IDs[i], fmtFloat(c.X), fmtFloat(c.Tx), fmtFloat(c.T), fmtFloat(c.Monetary), fmtFloat(sc.PAlive), fmtFloat(sc.Expected)}
		if withValue {
			row = append(row, fmtFloat(sc.Spend), fmtFloat(sc.CLV))
		}
		w.Write(row)
	}
	w.Flush()
	if err := w.Error(); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}
