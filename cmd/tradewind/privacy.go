package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/peterbourgon/ff/v3/ffcli"
	"golang.org/x/term"
)

// identifierFlags name a data subject on the command line.
type identifierFlags struct {
	email, phone, userID, anonymousID, source, region string
}

func (f *identifierFlags) register(fs *flag.FlagSet) {
	fs.StringVar(&f.email, "email", "", "the person's e-mail address")
	fs.StringVar(&f.phone, "phone", "", "the person's phone number (international format, or with --region)")
	fs.StringVar(&f.userID, "user-id", "", "the person's userId (with --source, or in every source)")
	fs.StringVar(&f.anonymousID, "anonymous-id", "", "the person's anonymousId")
	fs.StringVar(&f.source, "source", "", "source of --user-id; default region of --phone")
	fs.StringVar(&f.region, "region", "", "default region of a national --phone, e.g. GB")
}

func (f *identifierFlags) json() map[string]string {
	m := map[string]string{}
	for k, v := range map[string]string{"email": f.email, "phone": f.phone, "user_id": f.userID,
		"anonymous_id": f.anonymousID, "source": f.source, "region": f.region} {
		if v != "" {
			m[k] = v
		}
	}
	return m
}

func (f *identifierFlags) query() string {
	q := url.Values{}
	for k, v := range f.json() {
		q.Set(k, v)
	}
	return q.Encode()
}

// command builds a subcommand with target flags and an API call.
func command(name, usage, help string, extra func(fs *flag.FlagSet), run func(ctx context.Context, r *remote, args []string) error) *ffcli.Command {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	var t target
	t.register(fs)
	if extra != nil {
		extra(fs)
	}
	return &ffcli.Command{Name: name, ShortUsage: usage, ShortHelp: help, FlagSet: fs, Options: parseOpts,
		Exec: func(ctx context.Context, args []string) error {
			return t.withAPI(ctx, func(r *remote) error { return run(ctx, r, args) })
		}}
}

func privacyCommand() *ffcli.Command {
	var eid, xid identifierFlags
	var eReg, xReg, out string
	var wait, masked, zipOut bool
	erase := command("erase", "tradewind privacy erase --email E | --phone P | --user-id U [--source S] | --anonymous-id A [--wait]",
		"erase a person: destroy their keys, delete their rows and log messages, suppress them",
		func(fs *flag.FlagSet) {
			eid.register(fs)
			fs.StringVar(&eReg, "regulation", "gdpr", "gdpr (30 days), ccpa (45), appi or pipl")
			fs.BoolVar(&wait, "wait", true, "wait until the erasure completes")
		},
		func(ctx context.Context, r *remote, _ []string) error {
			var req map[string]any
			if err := r.postJSON(ctx, "/v1/privacy/erasure", map[string]any{"identifier": eid.json(), "regulation": eReg}, &req); err != nil {
				return err
			}
			if wait {
				return waitRequest(ctx, r, fmt.Sprint(req["request_id"]))
			}
			return printJSON(req)
		})
	export := command("export", "tradewind privacy export --email E | … [--masked]",
		"request an export of everything held about a person (unmasked exports need a second approver)",
		func(fs *flag.FlagSet) {
			xid.register(fs)
			fs.StringVar(&xReg, "regulation", "gdpr", "gdpr, ccpa, appi or pipl")
			fs.BoolVar(&masked, "masked", false, "mask personal fields (needs no approval)")
		},
		func(ctx context.Context, r *remote, _ []string) error {
			var req map[string]any
			if err := r.postJSON(ctx, "/v1/privacy/export", map[string]any{"identifier": xid.json(), "regulation": xReg, "masked": masked}, &req); err != nil {
				return err
			}
			return printJSON(req)
		})
	status := command("status", "tradewind privacy status REQUEST_ID", "show a request", nil,
		func(ctx context.Context, r *remote, args []string) error {
			if len(args) != 1 {
				return errors.New("give one request id")
			}
			var req map[string]any
			if err := r.get(ctx, "/v1/privacy/requests/"+url.PathEscape(args[0]), &req); err != nil {
				return err
			}
			return printJSON(req)
		})
	list := command("list", "tradewind privacy list", "list data-subject requests", nil,
		func(ctx context.Context, r *remote, _ []string) error {
			var out any
			if err := r.get(ctx, "/v1/privacy/requests", &out); err != nil {
				return err
			}
			return printJSON(out)
		})
	approve := command("approve", "tradewind privacy approve REQUEST_ID [--token YOURS]",
		"approve an export as the second person", nil,
		func(ctx context.Context, r *remote, args []string) error {
			if len(args) != 1 {
				return errors.New("give one request id")
			}
			var out any
			if err := r.postJSON(ctx, "/v1/privacy/requests/"+url.PathEscape(args[0])+"/approve", map[string]any{}, &out); err != nil {
				return err
			}
			return printJSON(out)
		})
	download := command("download", "tradewind privacy download REQUEST_ID --out FILE [--zip]",
		"download an approved export",
		func(fs *flag.FlagSet) {
			fs.StringVar(&out, "out", "", "file to write (default: standard output)")
			fs.BoolVar(&zipOut, "zip", false, "a zip holding export.json instead of the JSON document")
		},
		func(ctx context.Context, r *remote, args []string) error {
			if len(args) != 1 {
				return errors.New("give one request id")
			}
			path := "/v1/privacy/requests/" + url.PathEscape(args[0]) + "/download"
			if zipOut {
				path += "?format=zip"
			}
			return r.download(ctx, path, out)
		})
	return &ffcli.Command{Name: "privacy", ShortUsage: "tradewind privacy erase|export|status|list|approve|download",
		ShortHelp:   "data-subject requests: erasure and export",
		Subcommands: []*ffcli.Command{erase, export, status, list, approve, download},
		Exec:        func(context.Context, []string) error { return flag.ErrHelp }}
}

// waitRequest polls a request until it is no longer pending and prints it;
// a failed request is an error.
func waitRequest(ctx context.Context, r *remote, id string) error {
	for {
		var req map[string]any
		if err := r.get(ctx, "/v1/privacy/requests/"+url.PathEscape(id), &req); err != nil {
			return err
		}
		if req["status"] != "pending" || req["awaiting_approval"] == true {
			if err := printJSON(req); err != nil {
				return err
			}
			if req["status"] == "failed" {
				return &exitError{code: 1, err: fmt.Errorf("request %s failed", id)}
			}
			return nil
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(100 * time.Millisecond):
		}
	}
}

// download writes an answer's body to a file (or standard output).
func (r *remote) download(ctx context.Context, path, out string) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, r.url+path, nil)
	if err != nil {
		return err
	}
	req.Header.Set("Authorization", "Bearer "+r.token)
	resp, err := r.hc.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if resp.StatusCode >= 300 {
		b, _ := io.ReadAll(io.LimitReader(resp.Body, 4096))
		return fmt.Errorf("server: HTTP %d: %s", resp.StatusCode, strings.TrimSpace(string(b)))
	}
	w := io.Writer(os.Stdout)
	if out != "" {
		f, err := os.OpenFile(out, os.O_CREATE|os.O_WRONLY|os.O_TRUNC, 0o600)
		if err != nil {
			return err
		}
		defer f.Close()
		w = f
	}
	_, err = io.Copy(w, resp.Body)
	return err
}

func consentCommand() *ffcli.Command {
	var sid, gid identifierFlags
	var purposes, basis, proof string
	set := command("set", "tradewind consent set --user-id U --source S --purposes email=true,sms=false [--basis consent] [--proof TEXT]",
		"record a consent decision",
		func(fs *flag.FlagSet) {
			sid.register(fs)
			fs.StringVar(&purposes, "purposes", "", "purpose=true|false, comma-separated: analytics, personalisation, email, sms, advertising")
			fs.StringVar(&basis, "basis", "consent", "lawful basis")
			fs.StringVar(&proof, "proof", "", "how the decision was obtained")
		},
		func(ctx context.Context, r *remote, _ []string) error {
			ps := map[string]bool{}
			for _, kv := range strings.Split(purposes, ",") {
				if kv = strings.TrimSpace(kv); kv == "" {
					continue
				}
				k, v, ok := strings.Cut(kv, "=")
				b, err := strconv.ParseBool(v)
				if !ok || err != nil {
					return fmt.Errorf("--purposes: %q is not purpose=true|false", kv)
				}
				ps[k] = b
			}
			var out any
			if err := r.postJSON(ctx, "/v1/consent", map[string]any{"identifier": sid.json(), "purposes": ps,
				"lawful_basis": basis, "proof": proof}, &out); err != nil {
				return err
			}
			return printJSON(out)
		})
	get := command("get", "tradewind consent get --email E | --user-id U --source S | …", "show a person's consent",
		func(fs *flag.FlagSet) { gid.register(fs) },
		func(ctx context.Context, r *remote, _ []string) error {
			var out any
			if err := r.get(ctx, "/v1/consent?"+gid.query(), &out); err != nil {
				return err
			}
			return printJSON(out)
		})
	return &ffcli.Command{Name: "consent", ShortUsage: "tradewind consent set|get", ShortHelp: "consent per person and purpose",
		Subcommands: []*ffcli.Command{set, get}, Exec: func(context.Context, []string) error { return flag.ErrHelp }}
}

func auditCommand() *ffcli.Command {
	var action, actor, since string
	var limit int
	verify := command("verify", "tradewind audit verify", "check the audit log's hash chain and checkpoint; exit 1 if tampered", nil,
		func(ctx context.Context, r *remote, _ []string) error {
			var rep struct {
				OK       bool `json:"ok"`
				Entries  int  `json:"entries"`
				Problems []struct {
					Seq    uint64 `json:"seq"`
					Line   int    `json:"line"`
					Kind   string `json:"kind"`
					Detail string `json:"detail"`
				} `json:"problems"`
			}
			if err := r.get(ctx, "/v1/audit/verify", &rep); err != nil {
				return err
			}
			if rep.OK {
				fmt.Printf("audit log intact: %d entries, chain and checkpoint verified\n", rep.Entries)
				return nil
			}
			for _, p := range rep.Problems {
				fmt.Printf("%s at entry %d (line %d): %s\n", p.Kind, p.Seq, p.Line, p.Detail)
			}
			return &exitError{code: 1, err: fmt.Errorf("audit log tampered: %d problems", len(rep.Problems))}
		})
	search := command("search", "tradewind audit search [--action privacy.] [--actor ID] [--since RFC3339] [--limit N]",
		"search the audit log, newest first",
		func(fs *flag.FlagSet) {
			fs.StringVar(&action, "action", "", "action prefix, e.g. privacy. or auth.login")
			fs.StringVar(&actor, "actor", "", "user id, or admin-token")
			fs.StringVar(&since, "since", "", "RFC 3339 time")
			fs.IntVar(&limit, "limit", 100, "entries (at most 1000)")
		},
		func(ctx context.Context, r *remote, _ []string) error {
			q := url.Values{"action": {action}, "actor": {actor}, "since": {since}, "limit": {strconv.Itoa(limit)}}
			for k, v := range q {
				if v[0] == "" {
					delete(q, k)
				}
			}
			var out any
			if err := r.get(ctx, "/v1/audit?"+q.Encode(), &out); err != nil {
				return err
			}
			return printJSON(out)
		})
	return &ffcli.Command{Name: "audit", ShortUsage: "tradewind audit verify|search", ShortHelp: "the tamper-evident audit log",
		Subcommands: []*ffcli.Command{verify, search}, Exec: func(context.Context, []string) error { return flag.ErrHelp }}
}

func usersCommand() *ffcli.Command {
	var email, name, role, password string
	create := command("create", "tradewind users create --email E --role ROLE [--name N] [--password P]",
		"create a user (the password is asked for on a terminal, or read from TRADEWIND_NEW_PASSWORD)",
		func(fs *flag.FlagSet) {
			fs.StringVar(&email, "email", "", "e-mail address (sign-in name)")
			fs.StringVar(&name, "name", "", "display name")
			fs.StringVar(&role, "role", "viewer", "owner, admin, analyst, marketer or viewer")
			fs.StringVar(&password, "password", "", "password (prefer the prompt or TRADEWIND_NEW_PASSWORD: flags show in process lists)")
		},
		func(ctx context.Context, r *remote, _ []string) error {
			pw, err := newPassword(password)
			if err != nil {
				return err
			}
			var out any
			if err := r.postJSON(ctx, "/v1/users", map[string]any{"email": email, "name": name, "role": role, "password": pw}, &out); err != nil {
				return err
			}
			return printJSON(out)
		})
	list := command("list", "tradewind users list", "list users", nil,
		func(ctx context.Context, r *remote, _ []string) error {
			var out any
			if err := r.get(ctx, "/v1/users", &out); err != nil {
				return err
			}
			return printJSON(out)
		})
	var newRole string
	var disable, enable bool
	change := command("change", "tradewind users change USER_ID [--role ROLE] [--disable|--enable]", "change a user's role or disable them",
		func(fs *flag.FlagSet) {
			fs.StringVar(&newRole, "role", "", "new role")
			fs.BoolVar(&disable, "disable", false, "disable the user (ends their sessions)")
			fs.BoolVar(&enable, "enable", false, "enable the user again")
		},
		func(ctx context.Context, r *remote, args []string) error {
			if len(args) != 1 {
				return errors.New("give one user id")
			}
			body := map[string]any{}
			if newRole != "" {
				body["role"] = newRole
			}
			if disable || enable {
				body["disabled"] = disable
			}
			var out any
			b, _ := jsonBody(body)
			if err := r.do(ctx, http.MethodPatch, "/v1/users/"+url.PathEscape(args[0]), b, "application/json", &out); err != nil {
				return err
			}
			return printJSON(out)
		})
	return &ffcli.Command{Name: "users", ShortUsage: "tradewind users create|list|change", ShortHelp: "accounts and roles",
		Subcommands: []*ffcli.Command{create, list, change}, Exec: func(context.Context, []string) error { return flag.ErrHelp }}
}

// newPassword takes the password from the flag, TRADEWIND_NEW_PASSWORD, or
// a terminal prompt, in that order.
func newPassword(flagValue string) (string, error) {
	if flagValue != "" {
		return flagValue, nil
	}
	if v := os.Getenv("TRADEWIND_NEW_PASSWORD"); v != "" {
		return v, nil
	}
	if !term.IsTerminal(int(os.Stdin.Fd())) {
		return "", errors.New("no password: set TRADEWIND_NEW_PASSWORD or pass --password")
	}
	fmt.Fprint(os.Stderr, "password: ")
	b, err := term.ReadPassword(int(os.Stdin.Fd()))
	fmt.Fprintln(os.Stderr)
	return string(b), err
}

func retentionCommand() *ffcli.Command {
	var file string
	show := command("show", "tradewind retention show", "show the retention policy and the last run", nil,
		func(ctx context.Context, r *remote, _ []string) error {
			var out any
			if err := r.get(ctx, "/v1/retention", &out); err != nil {
				return err
			}
			return printJSON(out)
		})
	set := command("set", "tradewind retention set --file policy.json", "set the retention policy ({\"rules\": [{\"table\", \"type\"?, \"event\"?, \"keep_days\"}]})",
		func(fs *flag.FlagSet) { fs.StringVar(&file, "file", "", "policy JSON file") },
		func(ctx context.Context, r *remote, _ []string) error {
			b, err := os.ReadFile(file)
			if err != nil {
				return err
			}
			var out any
			if err := r.do(ctx, http.MethodPut, "/v1/retention", strings.NewReader(string(b)), "application/json", &out); err != nil {
				return err
			}
			return printJSON(out)
		})
	run := command("run", "tradewind retention run", "apply the retention policy now", nil,
		func(ctx context.Context, r *remote, _ []string) error {
			var out any
			if err := r.postJSON(ctx, "/v1/retention/run", map[string]any{}, &out); err != nil {
				return err
			}
			return printJSON(out)
		})
	return &ffcli.Command{Name: "retention", ShortUsage: "tradewind retention show|set|run", ShortHelp: "how long data is kept",
		Subcommands: []*ffcli.Command{show, set, run}, Exec: func(context.Context, []string) error { return flag.ErrHelp }}
}
