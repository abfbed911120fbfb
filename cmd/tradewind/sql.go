package main

import (
	"context"
	"encoding/csv"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"os"
	"strings"
	"text/tabwriter"

	"github.com/peterbourgon/ff/v3/ffcli"

	"github.com/tradewind/tradewind/internal/api"
)

func sqlCommand() *ffcli.Command {
	fs := flag.NewFlagSet("sql", flag.ContinueOnError)
	var t target
	t.register(fs)
	format := fs.String("format", "table", "output format: table, csv or json")
	maxRows := fs.Int("max-rows", 10000, "most rows to return")
	return &ffcli.Command{
		Name: "sql", ShortUsage: `tradewind sql [--format table|csv|json] "SELECT …"`,
		ShortHelp: "run a read-only SQL query on the store",
		FlagSet:   fs, Options: parseOpts,
		Exec: func(ctx context.Context, args []string) error {
			if len(args) != 1 {
				return errors.New(`give one SQL statement, e.g. tradewind sql "SELECT count(*) FROM events"`)
			}
			if *format != "table" && *format != "csv" && *format != "json" {
				return fmt.Errorf("--format must be table, csv or json, not %q", *format)
			}
			res, err := runQuery(ctx, &t, args[0], *maxRows)
			if err != nil {
				return err
			}
			return printResult(res, *format)
		},
	}
}

func runQuery(ctx context.Context, t *target, q string, maxRows int) (*api.QueryResponse, error) {
	r, err := t.resolve()
	if err != nil {
		return nil, err
	}
	if r != nil {
		var res api.QueryResponse
		err := r.postJSON(ctx, "/v1/query", map[string]any{"sql": q, "max_rows": maxRows}, &res)
		return &res, err
	}
	a, err := t.local(ctx)
	if err != nil {
		return nil, err
	}
	defer a.Close()
	sr, err := a.Query(ctx, q, maxRows)
	if err != nil {
		return nil, err
	}
	res := &api.QueryResponse{Columns: sr.Columns, Types: sr.Types, Truncated: sr.Truncated}
	for _, row := range sr.Rows {
		out := make([]any, len(row))
		for i, v := range row {
			out[i] = api.JSONValue(v)
		}
		res.Rows = append(res.Rows, out)
	}
	return res, nil
}

func cell(v any) string {
	switch x := v.(type) {
	case nil:
		return ""
	case string:
		return x
	case map[string]any, []any:
		b, _ := json.Marshal(x)
		return string(b)
	default:
		return fmt.Sprint(x)
	}
}

func printResult(res *api.QueryResponse, format string) error {
	switch format {
	case "json":
		enc := json.NewEncoder(os.Stdout)
		enc.SetIndent("", "  ")
		return enc.Encode(res)
	case "csv":
		w := csv.NewWriter(os.Stdout)
		_ = w.Write(res.Columns)
		for _, row := range res.Rows {
			rec := make([]string, len(row))
			for i, v := range row {
				rec[i] = cell(v)
			}
			_ = w.Write(rec)
		}
		w.Flush()
		return w.Error()
	}
	tw := tabwriter.NewWriter(os.Stdout, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, strings.Join(res.Columns, "\t"))
	for _, row := range res.Rows {
		rec := make([]string, len(row))
		for i, v := range row {
			rec[i] = strings.ReplaceAll(cell(v), "\t", " ")
		}
		fmt.Fprintln(tw, strings.Join(rec, "\t"))
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	fmt.Fprintf(os.Stderr, "(%d rows%s)\n", len(res.Rows), map[bool]string{true: ", truncated", false: ""}[res.Truncated])
	return nil
}
