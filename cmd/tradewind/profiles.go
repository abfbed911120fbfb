package main

import (
	"context"
	"errors"
	"flag"
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"github.com/peterbourgon/ff/v3/ffcli"
)

func profilesCommand() *ffcli.Command {
	var id identifierFlags
	var pid string
	get := command("get", "tradewind profiles get --email E | --phone P | --user-id U --source S | --anonymous-id A | --id P",
		"show a unified profile: traits, computed traits, identities, segments",
		func(fs *flag.FlagSet) {
			id.register(fs)
			fs.StringVar(&pid, "id", "", "profile id")
		},
		func(ctx context.Context, r *remote, _ []string) error {
			var out any
			path := "/v1/profiles?" + id.query()
			if pid != "" {
				path = "/v1/profiles/" + url.PathEscape(pid)
			}
			if err := r.get(ctx, path, &out); err != nil {
				return err
			}
			return printJSON(out)
		})
	var limit int
	timeline := command("timeline", "tradewind profiles timeline [--limit N] PROFILE_ID", "a profile's messages, newest first",
		func(fs *flag.FlagSet) { fs.IntVar(&limit, "limit", 50, "messages") },
		func(ctx context.Context, r *remote, args []string) error {
			if len(args) != 1 {
				return errors.New("give one profile id")
			}
			var out any
			if err := r.get(ctx, "/v1/profiles/"+url.PathEscape(args[0])+"/timeline?limit="+strconv.Itoa(limit), &out); err != nil {
				return err
			}
			return printJSON(out)
		})
	return &ffcli.Command{Name: "profiles", ShortUsage: "tradewind profiles get|timeline", ShortHelp: "unified customer profiles",
		Subcommands: []*ffcli.Command{get, timeline}, Exec: func(context.Context, []string) error { return flag.ErrHelp }}
}

func segmentsCommand() *ffcli.Command {
	list := command("list", "tradewind segments list", "list segments", nil,
		func(ctx context.Context, r *remote, _ []string) error {
			var out any
			if err := r.get(ctx, "/v1/segments", &out); err != nil {
				return err
			}
			return printJSON(out)
		})
	var name, rule, segID, desc string
	create := command("create", `tradewind segments create --name NAME --rule 'orders >= 2 and event "Order Completed" count >= 2 within 90d'`,
		"create a segment (the rule in the text form, or JSON)",
		func(fs *flag.FlagSet) {
			fs.StringVar(&name, "name", "", "name")
			fs.StringVar(&segID, "id", "", "id (default: from the name)")
			fs.StringVar(&desc, "description", "", "description")
			fs.StringVar(&rule, "rule", "", "rule, text form or JSON")
		},
		func(ctx context.Context, r *remote, _ []string) error {
			body := map[string]any{"id": segID, "name": name, "description": desc}
			setRule(body, rule)
			var out any
			if err := r.postJSON(ctx, "/v1/segments", body, &out); err != nil {
				return err
			}
			return printJSON(out)
		})
	var urule, uname string
	update := command("update", "tradewind segments update --rule RULE [--name NAME] SEGMENT_ID", "change a segment's rule",
		func(fs *flag.FlagSet) {
			fs.StringVar(&urule, "rule", "", "rule, text form or JSON")
			fs.StringVar(&uname, "name", "", "name")
		},
		func(ctx context.Context, r *remote, args []string) error {
			if len(args) != 1 {
				return errors.New("give one segment id")
			}
			var cur struct {
				Segment struct {
					Name string `json:"name"`
				} `json:"segment"`
			}
			if err := r.get(ctx, "/v1/segments/"+url.PathEscape(args[0]), &cur); err != nil {
				return err
			}
			if uname == "" {
				uname = cur.Segment.Name
			}
			body := map[string]any{"name": uname}
			setRule(body, urule)
			b, _ := jsonBody(body)
			var out any
			if err := r.do(ctx, http.MethodPut, "/v1/segments/"+url.PathEscape(args[0]), b, "application/json", &out); err != nil {
				return err
			}
			return printJSON(out)
		})
	var prule string
	preview := command("preview", "tradewind segments preview --rule RULE", "count the profiles a rule selects now",
		func(fs *flag.FlagSet) { fs.StringVar(&prule, "rule", "", "rule, text form or JSON") },
		func(ctx context.Context, r *remote, _ []string) error {
			body := map[string]any{}
			setRule(body, prule)
			var out any
			if err := r.postJSON(ctx, "/v1/segments/preview", body, &out); err != nil {
				return err
			}
			return printJSON(out)
		})
	get := command("get", "tradewind segments get SEGMENT_ID", "show a segment and its size", nil,
		func(ctx context.Context, r *remote, args []string) error {
			if len(args) != 1 {
				return errors.New("give one segment id")
			}
			var out any
			if err := r.get(ctx, "/v1/segments/"+url.PathEscape(args[0]), &out); err != nil {
				return err
			}
			return printJSON(out)
		})
	del := command("delete", "tradewind segments delete SEGMENT_ID", "delete a segment", nil,
		func(ctx context.Context, r *remote, args []string) error {
			if len(args) != 1 {
				return errors.New("give one segment id")
			}
			return r.do(ctx, http.MethodDelete, "/v1/segments/"+url.PathEscape(args[0]), nil, "", nil)
		})
	var csvOut, outFile string
	var mlimit int
	members := command("members", "tradewind segments members [--csv --out FILE] SEGMENT_ID", "list a segment's members, or export them as CSV",
		func(fs *flag.FlagSet) {
			fs.BoolFunc("csv", "export every member as CSV", func(string) error { csvOut = "1"; return nil })
			fs.StringVar(&outFile, "out", "", "CSV file (default: standard output)")
			fs.IntVar(&mlimit, "limit", 100, "members per page (JSON)")
		},
		func(ctx context.Context, r *remote, args []string) error {
			if len(args) != 1 {
				return errors.New("give one segment id")
			}
			path := "/v1/segments/" + url.PathEscape(args[0]) + "/members"
			if csvOut != "" {
				return r.download(ctx, path+"?format=csv", outFile)
			}
			var out any
			if err := r.get(ctx, path+"?limit="+strconv.Itoa(mlimit), &out); err != nil {
				return err
			}
			return printJSON(out)
		})
	return &ffcli.Command{Name: "segments", ShortUsage: "tradewind segments list|create|update|get|delete|preview|members",
		ShortHelp:   "segments of profiles, kept current in real time",
		Subcommands: []*ffcli.Command{list, create, update, get, del, preview, members},
		Exec:        func(context.Context, []string) error { return flag.ErrHelp }}
}

// setRule puts a rule into a request body: JSON as rule, text as rule_text.
func setRule(body map[string]any, rule string) {
	if r := strings.TrimSpace(rule); strings.HasPrefix(r, "{") {
		body["rule"] = jsonRaw(r)
	} else {
		body["rule_text"] = rule
	}
}

func identityCommand() *ffcli.Command {
	var profile string
	merges := command("merges", "tradewind identity merges [--profile P]", "the merge log, newest first, with reasons",
		func(fs *flag.FlagSet) { fs.StringVar(&profile, "profile", "", "only merges of this profile") },
		func(ctx context.Context, r *remote, _ []string) error {
			var out any
			if err := r.get(ctx, "/v1/identity/merges?profile="+url.QueryEscape(profile), &out); err != nil {
				return err
			}
			return printJSON(out)
		})
	conflicts := command("conflicts", "tradewind identity conflicts", "links the guard-rails refused, for review", nil,
		func(ctx context.Context, r *remote, _ []string) error {
			var out any
			if err := r.get(ctx, "/v1/identity/conflicts", &out); err != nil {
				return err
			}
			return printJSON(out)
		})
	unmerge := command("unmerge", "tradewind identity unmerge MERGE_ID", "undo a merge (admin)", nil,
		func(ctx context.Context, r *remote, args []string) error {
			if len(args) != 1 {
				return errors.New("give one merge id")
			}
			var out any
			if err := r.postJSON(ctx, "/v1/identity/merges/"+url.PathEscape(args[0])+"/undo", map[string]any{}, &out); err != nil {
				return err
			}
			return printJSON(out)
		})
	return &ffcli.Command{Name: "identity", ShortUsage: "tradewind identity merges|conflicts|unmerge", ShortHelp: "the identity graph's merge log",
		Subcommands: []*ffcli.Command{merges, conflicts, unmerge}, Exec: func(context.Context, []string) error { return flag.ErrHelp }}
}

func rfmCommand() *ffcli.Command {
	var asOf string
	var period int
	var byMarket bool
	return command("rfm", "tradewind rfm [--as-of YYYY-MM-DD] [--period-days 365] [--by-marketplace]",
		"RFM: the eleven named segments with their sizes and revenue shares",
		func(fs *flag.FlagSet) {
			fs.StringVar(&asOf, "as-of", "", "the day recency counts to (default today)")
			fs.IntVar(&period, "period-days", 365, "days of orders ending with the as-of day; 0 takes all")
			fs.BoolVar(&byMarket, "by-marketplace", false, "also per marketplace")
		},
		func(ctx context.Context, r *remote, _ []string) error {
			q := url.Values{"period_days": {strconv.Itoa(period)}}
			if asOf != "" {
				q.Set("as_of", asOf)
			}
			if byMarket {
				q.Set("by_marketplace", "true")
			}
			var out any
			if err := r.get(ctx, "/v1/rfm?"+q.Encode(), &out); err != nil {
				return err
			}
			return printJSON(out)
		})
}

func clustersCommand() *ffcli.Command {
	var kmax int
	return command("clusters", "tradewind clusters [--k-max 8]", "behavioural clusters of customers, described in words",
		func(fs *flag.FlagSet) { fs.IntVar(&kmax, "k-max", 8, "most clusters to try") },
		func(ctx context.Context, r *remote, _ []string) error {
			var out any
			if err := r.get(ctx, "/v1/clusters?k_max="+strconv.Itoa(kmax), &out); err != nil {
				return err
			}
			return printJSON(out)
		})
}
