package main

import (
	"context"
	"encoding/csv"
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"strings"
	"time"

	"github.com/peterbourgon/ff/v3/ffcli"

	"github.com/tradewind/tradewind/internal/predict"
	"github.com/tradewind/tradewind/internal/predict/txlog"
)

func churnCommand() *ffcli.Command {
	var in offlineFlags
	var horizon int
	fs := flag.NewFlagSet("predict churn", flag.ContinueOnError)
	in.register(fs)
	fs.IntVar(&horizon, "horizon-days", 90, "churn means no order in this many days after --calibration-end")
	return &ffcli.Command{
		Name:       "churn",
		ShortUsage: "tradewind predict churn --transactions FILE --customer-col C --date-col D [--amount-col A] --calibration-end YYYY-MM-DD [--horizon-days N] [--out churn.csv]",
		ShortHelp:  "churn risk with reasons for every customer, from a CSV of transactions",
		LongHelp: `Trains gradient-boosted trees and logistic regression on a time split of the
history before --calibration-end (features 2N and N days before it, labels the
N days after each), compares them with 1 − P(alive) on the later split by AUC,
and scores every customer who bought by --calibration-end with the best. The
report says which won and by how much — also when no supervised model beats
the baseline.`,
		FlagSet: fs,
		Exec: func(ctx context.Context, args []string) error {
			if horizon < 1 {
				return usageErr(fmt.Errorf("--horizon-days %d: want at least 1", horizon))
			}
			s, log, err := in.read()
			if err != nil {
				return err
			}
			mem, err := txlog.Load(ctx, log.Transactions)
			if err != nil {
				return err
			}
			defer mem.Close()
			rep, snap, scores, err := predict.Churn(ctx, mem.Scan, s.CalibrationEnd, predict.ChurnOptions{HorizonDays: horizon, Period: s.Period})
			if err != nil {
				return err
			}
			if in.json {
				enc := json.NewEncoder(os.Stdout)
				enc.SetIndent("", "  ")
				if err := enc.Encode(rep); err != nil {
					return err
				}
			} else {
				fmt.Printf("churn = no order in %d days; trained on %d customers as of %s, tested on %d as of %s\n",
					rep.HorizonDays, rep.TrainRows, rep.TrainCutoff, rep.TestRows, rep.TestCutoff)
				for _, m := range rep.Models {
					fmt.Printf("  %-9s AUC %.4f  log-loss %.4f  Brier %.4f  calibration error %.4f\n", m.Model, m.AUC, m.LogLoss, m.Brier, m.ECE)
				}
				fmt.Printf("scored %d customers as of %s with %s (%s)\n", len(scores), s.CalibrationEnd.Format(time.DateOnly), rep.Chosen, rep.ChosenBy)
				if rep.Note != "" {
					fmt.Println("note:", rep.Note)
				}
			}
			if in.out == "" {
				return nil
			}
			f, err := os.Create(in.out)
			if err != nil {
				return err
			}
			w := csv.NewWriter(f)
			w.Write([]string{"customer_id", "churn_probability", "churn_tier", "reasons"})
			for i, sc := range scores {
				w.Write([]string{snap.IDs[i], fmtFloat(sc.Probability), predict.Tier(sc.Probability), strings.Join(sc.Reasons, "; ")})
			}
			w.Flush()
			if err := w.Error(); err != nil {
				f.Close()
				return err
			}
			return f.Close()
		},
	}
}
