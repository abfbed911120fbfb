package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"net/http"
	"net/url"
	"os"
	"text/tabwriter"

	"github.com/peterbourgon/ff/v3/ffcli"
)

// audiencesCommand exports segments as ad-platform customer lists (hashed
// e-mails and phones) and manages the syncs that keep such files current,
// through a node's API: the same checks, consent rules and audit log as a
// caller of the API gets.
func audiencesCommand() *ffcli.Command {
	var seg, format, out, consent string
	export := command("export", "tradewind audiences export --segment ID --format meta|google [--consent exclude_refused|granted_only] [--out FILE]",
		"write a segment as a Meta or Google customer-match CSV (normalised, SHA-256 hashed)",
		func(fs *flag.FlagSet) {
			fs.StringVar(&seg, "segment", "", "segment id")
			fs.StringVar(&format, "format", "", "meta or google")
			fs.StringVar(&consent, "consent", "", "exclude_refused (default: leave out who refused advertising) or granted_only")
			fs.StringVar(&out, "out", "", "file to write (default: standard output)")
		},
		func(ctx context.Context, r *remote, args []string) error {
			if len(args) > 0 {
				return usageErr(fmt.Errorf("unexpected arguments %q", args))
			}
			if seg == "" || format == "" {
				return usageErr(errors.New("--segment and --format are required"))
			}
			q := url.Values{"format": {format}}
			if consent != "" {
				q.Set("consent", consent)
			}
			return r.download(ctx, "/v1/segments/"+url.PathEscape(seg)+"/audience?"+q.Encode(), out)
		})
	return &ffcli.Command{Name: "audiences", ShortUsage: "tradewind audiences export|sync …",
		ShortHelp:   "export segments as ad-platform customer lists (hashed)",
		Subcommands: []*ffcli.Command{export, syncCommand()},
		Exec:        func(context.Context, []string) error { return flag.ErrHelp }}
}

// syncCommand manages audience syncs.
func syncCommand() *ffcli.Command {
	one := func(args []string) (string, error) {
		if len(args) != 1 {
			return "", usageErr(errors.New("give one sync id"))
		}
		return url.PathEscape(args[0]), nil
	}
	var def struct {
		id, seg, format, every, dir, consent string
		onChange                             bool
		keep                                 int
	}
	create := command("create", "tradewind audiences sync create --id ID --segment SEG --format meta|google [--every 24h] [--on-change] [--dir DIR] [--keep N]",
		"define a sync: a new file on a schedule and/or when the segment's membership changes",
		func(fs *flag.FlagSet) {
			fs.StringVar(&def.id, "id", "", "sync id (lower-case letters, digits, - and _)")
			fs.StringVar(&def.seg, "segment", "", "segment id")
			fs.StringVar(&def.format, "format", "", "meta or google")
			fs.StringVar(&def.every, "every", "", "schedule, like 24h or 7d (at least 15m)")
			fs.BoolVar(&def.onChange, "on-change", false, "also write a file when a member joins or leaves (checked every minute)")
			fs.StringVar(&def.dir, "dir", "", "directory under the export root (default: the root's directory named after the id)")
			fs.IntVar(&def.keep, "keep", 0, "files to keep (default 5)")
			fs.StringVar(&def.consent, "consent", "", "exclude_refused (default) or granted_only")
		},
		func(ctx context.Context, r *remote, args []string) error {
			if len(args) > 0 {
				return usageErr(fmt.Errorf("unexpected arguments %q", args))
			}
			body := map[string]any{"id": def.id, "segment": def.seg, "format": def.format, "every": def.every,
				"on_change": def.onChange, "dir": def.dir, "keep": def.keep, "consent": def.consent}
			var out map[string]any
			if err := r.postJSON(ctx, "/v1/audience-syncs", body, &out); err != nil {
				return err
			}
			return printJSON(out)
		})
	var listJSON bool
	list := command("list", "tradewind audiences sync list [--json]", "list the syncs with their last run",
		func(fs *flag.FlagSet) { fs.BoolVar(&listJSON, "json", false, "print the definitions as JSON") },
		func(ctx context.Context, r *remote, args []string) error {
			var out struct {
				Syncs []struct {
					ID       string `json:"id"`
					Segment  string `json:"segment"`
					Format   string `json:"format"`
					Every    string `json:"every"`
					OnChange bool   `json:"on_change"`
					Dir      string `json:"dir"`
				} `json:"syncs"`
			}
			if listJSON {
				var raw map[string]any
				if err := r.get(ctx, "/v1/audience-syncs", &raw); err != nil {
					return err
				}
				return printJSON(raw)
			}
			if err := r.get(ctx, "/v1/audience-syncs", &out); err != nil {
				return err
			}
			tw := tabwriter.NewWriter(os.Stdout, 0, 4, 2, ' ', 0)
			fmt.Fprintln(tw, "ID\tSEGMENT\tFORMAT\tEVERY\tON CHANGE\tLAST RUN\tROWS\tFILE / ERROR")
			for _, x := range out.Syncs {
				var one struct {
					LastRun *struct {
						At      string `json:"at"`
						Written int    `json:"written"`
						File    string `json:"file"`
						Error   string `json:"error"`
					} `json:"last_run"`
				}
				_ = r.get(ctx, "/v1/audience-syncs/"+url.PathEscape(x.ID), &one)
				at, rows, file := "-", "-", "-"
				if lr := one.LastRun; lr != nil {
					at, rows, file = lr.At, fmt.Sprint(lr.Written), lr.File
					if lr.Error != "" {
						file = "error: " + lr.Error
					}
				}
				every := x.Every
				if every == "" {
					every = "-"
				}
				fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%v\t%s\t%s\t%s\n", x.ID, x.Segment, x.Format, every, x.OnChange, at, rows, file)
			}
			return tw.Flush()
		})
	run := command("run", "tradewind audiences sync run ID", "run a sync now and print the run",
		nil, func(ctx context.Context, r *remote, args []string) error {
			id, err := one(args)
			if err != nil {
				return err
			}
			var out map[string]any
			if err := r.postJSON(ctx, "/v1/audience-syncs/"+id+"/run", map[string]any{}, &out); err != nil {
				return err
			}
			return printJSON(out)
		})
	runs := command("runs", "tradewind audiences sync runs ID", "a sync's recorded runs, newest first",
		nil, func(ctx context.Context, r *remote, args []string) error {
			id, err := one(args)
			if err != nil {
				return err
			}
			var out map[string]any
			if err := r.get(ctx, "/v1/audience-syncs/"+id+"/runs", &out); err != nil {
				return err
			}
			return printJSON(out)
		})
	var latestOut string
	latest := command("latest", "tradewind audiences sync latest ID [--out FILE]", "download a sync's newest file",
		func(fs *flag.FlagSet) {
			fs.StringVar(&latestOut, "out", "", "file to write (default: standard output)")
		},
		func(ctx context.Context, r *remote, args []string) error {
			id, err := one(args)
			if err != nil {
				return err
			}
			return r.download(ctx, "/v1/audience-syncs/"+id+"/latest", latestOut)
		})
	del := command("delete", "tradewind audiences sync delete ID", "delete a sync, its run history and its files",
		nil, func(ctx context.Context, r *remote, args []string) error {
			id, err := one(args)
			if err != nil {
				return err
			}
			if err := r.do(ctx, http.MethodDelete, "/v1/audience-syncs/"+id, nil, "", nil); err != nil {
				return err
			}
			fmt.Println("deleted", args[0])
			return nil
		})
	return &ffcli.Command{Name: "sync", ShortUsage: "tradewind audiences sync create|list|run|runs|latest|delete",
		ShortHelp:   "syncs: customer-list files kept current on a schedule or on membership change",
		Subcommands: []*ffcli.Command{create, list, run, runs, latest, del},
		Exec:        func(context.Context, []string) error { return flag.ErrHelp }}
}
