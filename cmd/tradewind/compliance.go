package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"strings"
	"text/tabwriter"

	"github.com/peterbourgon/ff/v3/ffcli"

	"github.com/tradewind/tradewind/internal/compliance"
)

// exitComplianceFail is the exit code of a check whose verdict reaches
// --fail-on, distinct from usage (2) and other errors (1) so that a
// script can tell "the campaign is not compliant" from "the check failed".
const exitComplianceFail = 3

// complianceCommand checks message text against per-country content rules.
// It needs no server or data directory: the rules are built in (plus an
// optional directory of the operator's), so it runs anywhere, offline.
func complianceCommand() *ffcli.Command {
	return &ffcli.Command{
		Name:        "compliance",
		ShortUsage:  "tradewind compliance check|rules [flags]",
		ShortHelp:   "check message content against per-country rules",
		Subcommands: []*ffcli.Command{complianceCheckCommand(os.Stdin, os.Stdout), complianceRulesCommand(os.Stdout)},
		Exec:        func(context.Context, []string) error { return flag.ErrHelp },
	}
}

func complianceCheckCommand(stdin io.Reader, stdout io.Writer) *ffcli.Command {
	fs := flag.NewFlagSet("compliance check", flag.ContinueOnError)
	country := fs.String("country", "", "recipient country, ISO 3166-1 alpha-2 (required)")
	channel := fs.String("channel", "email", "email, sms, push or ad")
	locale := fs.String("locale", "", "the message's language tag, e.g. zh-CN (reported back)")
	subject := fs.String("subject", "", "the subject line")
	htmlFile := fs.String("html", "", "file with the HTML body")
	rulesDir := fs.String("rules", os.Getenv("TRADEWIND_COMPLIANCE_RULES"), "directory of extra rules files (*.json) that add rules or override built-in ones by id (TRADEWIND_COMPLIANCE_RULES)")
	format := fs.String("format", "text", "text or json")
	failOn := fs.String("fail-on", "block", "exit 3 when the verdict is at least this: block or warn")
	lang := fs.String("lang", "en", "language of the reasons in text output: en or zh")
	return &ffcli.Command{
		Name:       "check",
		ShortUsage: "tradewind compliance check --country CN [--channel email] [--subject S] [--html FILE] [FILE|-]",
		ShortHelp:  "check a message against the rules of its country; exit 3 when it must not go",
		LongHelp: `Checks a message's subject, text and HTML body against the content rules of
the recipient's country and channel: words China's Advertising Law bans,
claims EU law allows only with proof, elements a law requires (unsubscribe,
postal address, ad labels), cultural symbols. FILE is the plain-text body
("-" reads standard input); a FILE ending in .html or .htm is taken as the
HTML body. No server is needed.

Text output is one line per finding — severity, rule, field and offset
(in characters), the text matched, the reason and its source — then the
verdict. --format json prints the report as the API returns it.

Exit codes: 0 when the verdict is below --fail-on, 3 when it reaches it
(default block, so warnings pass), 2 for a usage error, 1 when a file
cannot be read.`,
		FlagSet: fs,
		Exec: func(ctx context.Context, args []string) error {
			if len(args) > 1 {
				return usageErr(fmt.Errorf("give at most one text FILE, not %q", args))
			}
			if *format != "text" && *format != "json" {
				return usageErr(fmt.Errorf("--format %q: want text or json", *format))
			}
			fail := compliance.Severity(*failOn)
			if fail != compliance.Block && fail != compliance.Warn {
				return usageErr(fmt.Errorf("--fail-on %q: want block or warn", *failOn))
			}
			if *lang != "en" && *lang != "zh" {
				return usageErr(fmt.Errorf("--lang %q: want en or zh", *lang))
			}
			c := compliance.Content{Country: *country, Channel: *channel, Locale: *locale, Subject: *subject}
			if err := c.Validate(); err != nil {
				return usageErr(fmt.Errorf("--%w", err))
			}
			if *htmlFile != "" {
				b, err := os.ReadFile(*htmlFile)
				if err != nil {
					return fmt.Errorf("--html: %w", err)
				}
				c.HTML = string(b)
			}
			if len(args) == 1 {
				var b []byte
				var err error
				if args[0] == "-" {
					b, err = io.ReadAll(stdin)
				} else {
					b, err = os.ReadFile(args[0])
				}
				if err != nil {
					return fmt.Errorf("text: %w", err)
				}
				lower := strings.ToLower(args[0])
				if (strings.HasSuffix(lower, ".html") || strings.HasSuffix(lower, ".htm")) && c.HTML == "" {
					c.HTML = string(b)
				} else {
					c.Text = string(b)
				}
			}
			if c.Subject == "" && c.Text == "" && c.HTML == "" {
				return usageErr(errors.New("nothing to check: give --subject, --html or a text FILE (- for standard input)"))
			}
			set, err := complianceSet(*rulesDir)
			if err != nil {
				return err
			}
			rep := set.Check(c)
			if *format == "json" {
				enc := json.NewEncoder(stdout)
				enc.SetEscapeHTML(false)
				enc.SetIndent("", "  ")
				if err := enc.Encode(rep); err != nil {
					return err
				}
			} else {
				writeComplianceReport(stdout, rep, *lang)
			}
			if rep.Verdict.AtLeast(fail) {
				return &exitError{code: exitComplianceFail, err: fmt.Errorf("verdict %s (--fail-on %s): %d finding(s)", rep.Verdict, fail, len(rep.Findings))}
			}
			return nil
		},
	}
}

// complianceSet is the built-in rules, with the operator's directory when
// one is given.
func complianceSet(dir string) (*compliance.Set, error) {
	if dir == "" {
		return compliance.Default(), nil
	}
	set, err := compliance.Default().WithDir(dir)
	if err != nil {
		return nil, usageErr(fmt.Errorf("--rules: %w", err))
	}
	return set, nil
}

// writeComplianceReport prints one line per finding and the verdict.
func writeComplianceReport(w io.Writer, rep compliance.Report, lang string) {
	for _, f := range rep.Findings {
		where := f.Field
		if f.Offset >= 0 {
			where = fmt.Sprintf("%s@%d", f.Field, f.Offset)
		}
		what := fmt.Sprintf("%q", f.Excerpt)
		if f.Offset < 0 {
			what = "(missing)"
		}
		reason := f.Reason.EN
		if lang == "zh" {
			reason = f.Reason.ZH
		}
		fmt.Fprintf(w, "%-5s %s %s %s: %s [%s]\n", strings.ToUpper(string(f.Severity)), f.RuleID, where, what, reason, f.Source)
	}
	fmt.Fprintf(w, "verdict: %s (%d finding(s), %d rule(s) for %s %s)\n", rep.Verdict, len(rep.Findings), rep.RulesApplied, rep.Country, rep.Channel)
}

func complianceRulesCommand(stdout io.Writer) *ffcli.Command {
	fs := flag.NewFlagSet("compliance rules", flag.ContinueOnError)
	country := fs.String("country", "", "only the rules that apply to this country (ISO alpha-2)")
	rulesDir := fs.String("rules", os.Getenv("TRADEWIND_COMPLIANCE_RULES"), "directory of extra rules files, as for check (TRADEWIND_COMPLIANCE_RULES)")
	format := fs.String("format", "text", "text or json")
	return &ffcli.Command{
		Name:       "rules",
		ShortUsage: "tradewind compliance rules [--country XX] [--format text|json]",
		ShortHelp:  "list the content rules: id, severity, countries, channels, source",
		FlagSet:    fs,
		Exec: func(ctx context.Context, args []string) error {
			if len(args) > 0 {
				return usageErr(fmt.Errorf("unexpected arguments %q", args))
			}
			if *format != "text" && *format != "json" {
				return usageErr(fmt.Errorf("--format %q: want text or json", *format))
			}
			set, err := complianceSet(*rulesDir)
			if err != nil {
				return err
			}
			rules := set.Rules()
			if *country != "" {
				cc := strings.ToUpper(*country)
				if !compliance.ValidCountry(cc) {
					return usageErr(fmt.Errorf("--country %q: not an ISO 3166-1 alpha-2 code (e.g. CN, US, DE; GB, not UK)", *country))
				}
				rules = set.ForCountry(cc)
			}
			if *format == "json" {
				if rules == nil {
					rules = []compliance.Rule{}
				}
				enc := json.NewEncoder(stdout)
				enc.SetEscapeHTML(false)
				enc.SetIndent("", "  ")
				return enc.Encode(map[string]any{"rules": rules})
			}
			tw := tabwriter.NewWriter(stdout, 0, 4, 2, ' ', 0)
			fmt.Fprintln(tw, "ID\tSEVERITY\tCOUNTRIES\tCHANNELS\tSOURCE")
			for _, r := range rules {
				fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\n", r.ID, r.Severity, strings.Join(r.Countries, ","), strings.Join(r.Channels, ","), r.Source)
			}
			return tw.Flush()
		},
	}
}
