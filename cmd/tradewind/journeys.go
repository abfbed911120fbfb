package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"net/http"
	"net/url"
	"os"
	"strconv"
	"strings"
	"text/tabwriter"

	"github.com/peterbourgon/ff/v3/ffcli"
)

// journeysCommand defines, runs and watches journeys, their webhook
// destinations and their dead letters, through a node's API.
func journeysCommand() *ffcli.Command {
	one := func(args []string) (string, error) {
		if len(args) != 1 {
			return "", usageErr(errors.New("give one journey id"))
		}
		return url.PathEscape(args[0]), nil
	}
	show := func(path string) func(ctx context.Context, r *remote, args []string) error {
		return func(ctx context.Context, r *remote, args []string) error {
			id, err := one(args)
			if err != nil {
				return err
			}
			var out any
			if err := r.get(ctx, strings.ReplaceAll(path, "ID", id), &out); err != nil {
				return err
			}
			return printJSON(out)
		}
	}
	list := command("list", "tradewind journeys list", "list the journeys with their status", nil,
		func(ctx context.Context, r *remote, _ []string) error {
			var out struct {
				Journeys []struct {
					ID, Name, Status string
					Trigger          struct{ Type string }
					Steps            []any
				}
			}
			if err := r.get(ctx, "/v1/journeys", &out); err != nil {
				return err
			}
			tw := tabwriter.NewWriter(os.Stdout, 0, 4, 2, ' ', 0)
			fmt.Fprintln(tw, "ID\tSTATUS\tTRIGGER\tSTEPS\tNAME")
			for _, j := range out.Journeys {
				fmt.Fprintf(tw, "%s\t%s\t%s\t%d\t%s\n", j.ID, j.Status, j.Trigger.Type, len(j.Steps), j.Name)
			}
			return tw.Flush()
		})
	get := command("get", "tradewind journeys get ID", "show a journey's definition", nil, show("/v1/journeys/ID"))
	stats := command("stats", "tradewind journeys stats ID",
		"entered, at each step, delivered, converted — treatment against control", nil, show("/v1/journeys/ID/stats"))
	save := func(create bool) *ffcli.Command {
		var file string
		name, usage, help := "create", "tradewind journeys create --file DEF.json", "define a journey (it starts as a draft)"
		if !create {
			name, usage, help = "update", "tradewind journeys update --file DEF.json ID", "replace a journey's definition"
		}
		return command(name, usage, help,
			func(fs *flag.FlagSet) {
				fs.StringVar(&file, "file", "", "the definition as JSON (- reads standard input); see docs/journeys.md")
			},
			func(ctx context.Context, r *remote, args []string) error {
				body, err := readDefinition(file)
				if err != nil {
					return err
				}
				method, path := http.MethodPost, "/v1/journeys"
				if !create {
					id, err := one(args)
					if err != nil {
						return err
					}
					method, path = http.MethodPut, path+"/"+id
				}
				var out any
				if err := r.do(ctx, method, path, bytes.NewReader(body), "application/json", &out); err != nil {
					return err
				}
				return printJSON(out)
			})
	}
	status := func(name, help string) *ffcli.Command {
		return command(name, "tradewind journeys "+name+" ID", help, nil,
			func(ctx context.Context, r *remote, args []string) error {
				id, err := one(args)
				if err != nil {
					return err
				}
				var out struct {
					ID, Status string
					Warnings   []string
				}
				if err := r.postJSON(ctx, "/v1/journeys/"+id+"/"+name, map[string]any{}, &out); err != nil {
					return err
				}
				for _, w := range out.Warnings {
					fmt.Fprintln(os.Stderr, "warning:", w)
				}
				fmt.Printf("%s: %s\n", out.ID, out.Status)
				return nil
			})
	}
	del := command("delete", "tradewind journeys delete ID", "delete a stopped or draft journey and its state", nil,
		func(ctx context.Context, r *remote, args []string) error {
			id, err := one(args)
			if err != nil {
				return err
			}
			return r.do(ctx, http.MethodDelete, "/v1/journeys/"+id, nil, "", nil)
		})
	var dryFile, dryID string
	var sample int
	dry := command("dry-run", "tradewind journeys dry-run (--file DEF.json | --id ID) [--sample 20]",
		"walk a journey over sampled people without sending: branches, consent, caps, quiet hours, content checks",
		func(fs *flag.FlagSet) {
			fs.StringVar(&dryFile, "file", "", "definition as JSON (- reads standard input)")
			fs.StringVar(&dryID, "id", "", "a saved journey's id")
			fs.IntVar(&sample, "sample", 20, "how many people to sample (at most 500)")
		},
		func(ctx context.Context, r *remote, _ []string) error {
			req := map[string]any{"sample": sample}
			switch {
			case dryFile != "":
				body, err := readDefinition(dryFile)
				if err != nil {
					return err
				}
				req["journey"] = json.RawMessage(body)
			case dryID != "":
				req["id"] = dryID
			default:
				return usageErr(errors.New("give --file or --id"))
			}
			var out any
			if err := r.postJSON(ctx, "/v1/journeys/dry-run", req, &out); err != nil {
				return err
			}
			return printJSON(out)
		})
	var dlJourney, dlProfile string
	var dlLimit int
	deliveries := command("deliveries", "tradewind journeys deliveries (--journey ID | --profile PID) [--limit 100]",
		"the delivery log: each action's outcome, newest first (a person's pending actions first)",
		func(fs *flag.FlagSet) {
			fs.StringVar(&dlJourney, "journey", "", "a journey's deliveries")
			fs.StringVar(&dlProfile, "profile", "", "a person's deliveries (profile id)")
			fs.IntVar(&dlLimit, "limit", 100, "at most this many")
		},
		func(ctx context.Context, r *remote, _ []string) error {
			var path string
			switch {
			case dlJourney != "":
				path = "/v1/journeys/" + url.PathEscape(dlJourney) + "/deliveries"
			case dlProfile != "":
				path = "/v1/profiles/" + url.PathEscape(dlProfile) + "/deliveries"
			default:
				return usageErr(errors.New("give --journey or --profile"))
			}
			var out struct {
				Deliveries []struct {
					ID, Journey, Person, Step, Kind, Status, Reason, At string
					Attempts                                            int
				}
			}
			if err := r.get(ctx, path+"?limit="+strconv.Itoa(dlLimit), &out); err != nil {
				return err
			}
			tw := tabwriter.NewWriter(os.Stdout, 0, 4, 2, ' ', 0)
			fmt.Fprintln(tw, "AT\tJOURNEY\tSTEP\tKIND\tSTATUS\tATTEMPTS\tPROFILE\tID\tREASON")
			for _, d := range out.Deliveries {
				fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%d\t%s\t%s\t%s\n", d.At, d.Journey, d.Step, d.Kind, d.Status, d.Attempts, d.Person, d.ID, d.Reason)
			}
			return tw.Flush()
		})
	var deadJourney string
	dead := command("dead-letters", "tradewind journeys dead-letters [--journey ID]", "actions that gave up, with their last error",
		func(fs *flag.FlagSet) { fs.StringVar(&deadJourney, "journey", "", "only this journey's") },
		func(ctx context.Context, r *remote, _ []string) error {
			var out any
			if err := r.get(ctx, "/v1/dead-letters?journey="+url.QueryEscape(deadJourney), &out); err != nil {
				return err
			}
			return printJSON(out)
		})
	var replayJourney string
	replay := command("replay", "tradewind journeys replay [--journey ID] [ACTION-ID…]",
		"put dead letters back in the outbox (same ids: receivers can drop repeats)",
		func(fs *flag.FlagSet) {
			fs.StringVar(&replayJourney, "journey", "", "replay this journey's dead letters")
		},
		func(ctx context.Context, r *remote, args []string) error {
			if replayJourney == "" && len(args) == 0 {
				return usageErr(errors.New("give --journey or action ids (replaying every dead letter at once must be meant: use --journey)"))
			}
			var out any
			if err := r.postJSON(ctx, "/v1/dead-letters/replay", map[string]any{"journey": replayJourney, "ids": args}, &out); err != nil {
				return err
			}
			return printJSON(out)
		})
	var supFile, supChannel, supReason string
	var supRemove bool
	suppress := command("suppress", "tradewind journeys suppress [--channel email] [--reason R] [--remove] (--file ADDRESSES.txt | EMAIL…)",
		"add addresses (bounces, complaints, a former provider's unsubscribes) to the suppression list, or remove them",
		func(fs *flag.FlagSet) {
			fs.StringVar(&supFile, "file", "", "one e-mail address per line (- reads standard input); a CSV's first column is read")
			fs.StringVar(&supChannel, "channel", "email", "email or sms")
			fs.StringVar(&supReason, "reason", "", "why (bounced, complaint, imported unsubscribe, …)")
			fs.BoolVar(&supRemove, "remove", false, "remove the addresses from the list instead")
		},
		func(ctx context.Context, r *remote, args []string) error {
			addrs := args
			if supFile != "" {
				data, _, err := readInput(supFile)
				if err != nil {
					return err
				}
				for _, line := range strings.Split(string(data), "\n") {
					line, _, _ = strings.Cut(line, ",")
					if line = strings.Trim(strings.TrimSpace(line), `"`); line != "" && strings.Contains(line, "@") {
						addrs = append(addrs, line)
					}
				}
			}
			if len(addrs) == 0 {
				return usageErr(errors.New("give addresses, or --file"))
			}
			method := http.MethodPost
			if supRemove {
				method = http.MethodDelete
			}
			total := map[string]int{}
			for start := 0; start < len(addrs); start += 10000 {
				chunk := addrs[start:min(start+10000, len(addrs))]
				entries := make([]map[string]string, len(chunk))
				for i, a := range chunk {
					entries[i] = map[string]string{"email": a, "channel": supChannel, "reason": supReason}
				}
				body, err := json.Marshal(map[string]any{"entries": entries})
				if err != nil {
					return err
				}
				var out map[string]int
				if err := r.do(ctx, method, "/v1/suppressions", bytes.NewReader(body), "application/json", &out); err != nil {
					return fmt.Errorf("addresses %d–%d: %w", start+1, start+len(chunk), err)
				}
				for k, v := range out {
					total[k] += v
				}
			}
			return printJSON(total)
		})
	return &ffcli.Command{Name: "journeys", ShortUsage: "tradewind journeys <subcommand>",
		ShortHelp: "define, dry-run, start, pause and watch journeys (triggers, waits, branches, e-mail, webhooks)",
		Subcommands: []*ffcli.Command{list, get, save(true), save(false), dry, status("start", "start a journey: from now on its trigger brings people in"),
			status("pause", "pause a journey: people wait where they are, nothing is sent"),
			status("stop", "stop a journey for good: runs end, pending actions are dropped"), del, stats, deliveries, dead, replay, suppress,
			destinationsCommand()},
		Exec: func(context.Context, []string) error { return flag.ErrHelp }}
}

// destinationsCommand manages webhook destinations.
func destinationsCommand() *ffcli.Command {
	list := command("list", "tradewind journeys destinations list", "list webhook destinations (without secrets)", nil,
		func(ctx context.Context, r *remote, _ []string) error {
			var out any
			if err := r.get(ctx, "/v1/destinations", &out); err != nil {
				return err
			}
			return printJSON(out)
		})
	var name, target string
	var conc int
	var rate float64
	var pii bool
	create := command("create", "tradewind journeys destinations create --name NAME --url URL [--concurrency 4] [--rate 0] [--include-pii]",
		"add a webhook destination; its signing secret is printed this once",
		func(fs *flag.FlagSet) {
			fs.StringVar(&name, "name", "", "destination name (letters, digits, - and _)")
			fs.StringVar(&target, "url", "", "https URL that receives the POSTs")
			fs.IntVar(&conc, "concurrency", 4, "deliveries in flight at once to this destination")
			fs.Float64Var(&rate, "rate", 0, "deliveries per second at most (0: 200)")
			fs.BoolVar(&pii, "include-pii", false, "send the person's decrypted traits (for a CRM that needs them)")
		},
		func(ctx context.Context, r *remote, _ []string) error {
			var out any
			if err := r.postJSON(ctx, "/v1/destinations", map[string]any{"name": name, "url": target, "concurrency": conc,
				"rate_per_second": rate, "include_pii": pii}, &out); err != nil {
				return err
			}
			return printJSON(out)
		})
	del := command("delete", "tradewind journeys destinations delete NAME", "remove a destination no running journey uses", nil,
		func(ctx context.Context, r *remote, args []string) error {
			if len(args) != 1 {
				return usageErr(errors.New("give one destination name"))
			}
			return r.do(ctx, http.MethodDelete, "/v1/destinations/"+url.PathEscape(args[0]), nil, "", nil)
		})
	return &ffcli.Command{Name: "destinations", ShortUsage: "tradewind journeys destinations <list|create|delete>",
		ShortHelp: "webhook destinations", Subcommands: []*ffcli.Command{list, create, del},
		Exec: func(context.Context, []string) error { return flag.ErrHelp }}
}

// readDefinition reads a JSON definition from a file or standard input,
// checking it is JSON before sending it.
func readDefinition(file string) ([]byte, error) {
	if file == "" {
		return nil, usageErr(errors.New("--file is required"))
	}
	data, name, err := readInput(file)
	if err != nil {
		return nil, err
	}
	if !json.Valid(data) {
		return nil, fmt.Errorf("%s is not valid JSON", name)
	}
	return data, nil
}
