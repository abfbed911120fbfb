package main

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/peterbourgon/ff/v3/ffcli"

	"github.com/tradewind/tradewind/internal/compliance"
)

// complianceRun runs `tradewind compliance ARGS` in the test's process,
// with stdin as standard input, and returns its standard output, the exit
// code main would give and the error message. In-process because the
// child-process helper (TestMain) exits 1 on every error, and the exit
// codes 2 and 3 are this command's contract.
func complianceRun(t *testing.T, stdin string, args ...string) (stdout string, code int, msg string) {
	t.Helper()
	var out bytes.Buffer
	root := &ffcli.Command{Name: "compliance", Subcommands: []*ffcli.Command{
		complianceCheckCommand(strings.NewReader(stdin), &out), complianceRulesCommand(&out)}}
	err := root.ParseAndRun(context.Background(), args)
	if err != nil {
		code, msg = exitCode(err), err.Error()
	}
	return out.String(), code, msg
}

// TestComplianceCheckCLI: the check runs without a server, prints one line
// per finding with its rule, excerpt, reason and source, and exits 3 when
// the verdict reaches --fail-on, so a script can gate a campaign.
func TestComplianceCheckCLI(t *testing.T) {
	dir := t.TempDir()
	text := filepath.Join(dir, "body.txt")
	os.WriteFile(text, []byte("全网最佳的耳机，第一次购买仅需¥44！回T退订"), 0o644)

	out, code, stderr := complianceRun(t, "", "check", "--country", "CN", "--subject", "【广告】春节大促", text)
	if code != exitComplianceFail {
		t.Fatalf("exit %d, want %d: %s", code, exitComplianceFail, stderr)
	}
	lines := strings.Split(strings.TrimSpace(out), "\n")
	if len(lines) != 3 {
		t.Fatalf("want 2 findings and the verdict, got:\n%s", out)
	}
	if !strings.HasPrefix(lines[0], "BLOCK cn-adlaw-absolute-terms text@2 ") || !strings.Contains(lines[0], "最佳") ||
		!strings.Contains(lines[0], "Advertising Law") || !strings.Contains(lines[0], "第九条") {
		t.Errorf("finding line %q", lines[0])
	}
	if !strings.HasPrefix(lines[1], "WARN  east-asia-number-four text@16 ") {
		t.Errorf("finding line %q", lines[1])
	}
	if lines[2] != "verdict: block (2 finding(s), 7 rule(s) for CN email)" {
		t.Errorf("verdict line %q", lines[2])
	}
	if !strings.Contains(stderr, "verdict block") {
		t.Errorf("stderr %q", stderr)
	}

	// Warnings pass by default and fail with --fail-on warn; reasons in Chinese.
	out, code, _ = complianceRun(t, "４個セット", "check", "--country", "JP", "--channel", "ad", "--lang", "zh", "-")
	if code != 0 || !strings.Contains(out, "WARN  east-asia-number-four text@0 \"４個セット\"") || !strings.Contains(out, "谐音") {
		t.Errorf("warn: exit %d\n%s", code, out)
	}
	if _, code, _ = complianceRun(t, "４個セット", "check", "--country", "JP", "--channel", "ad", "--fail-on", "warn", "-"); code != exitComplianceFail {
		t.Errorf("--fail-on warn: exit %d", code)
	}

	// JSON is the API's report; an .html file is the HTML body.
	page := filepath.Join(dir, "mail.html")
	os.WriteFile(page, []byte(`<p>Winter sale</p><p><a href="https://shop.test/unsubscribe">Manage</a> · 1 Main St, Austin, TX 78701</p>`), 0o644)
	out, code, _ = complianceRun(t, "", "check", "--country", "us", "--format", "json", page)
	var rep compliance.Report
	if err := json.Unmarshal([]byte(out), &rep); err != nil || code != 0 || rep.Verdict != compliance.OK || rep.Country != "US" || rep.Channel != "email" {
		t.Errorf("json: exit %d, %v, %+v\n%s", code, err, rep, out)
	}
	out, code, _ = complianceRun(t, "Winter sale", "check", "--country", "US", "--format", "json", "-")
	if err := json.Unmarshal([]byte(out), &rep); err != nil || code != exitComplianceFail || len(rep.Findings) != 2 || rep.Findings[0].Offset != -1 {
		t.Errorf("plain US email: exit %d, %+v", code, rep)
	}

	// Usage errors exit 2 and say what is wrong.
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"--country", "UK", text}, `"UK" is not an ISO 3166-1`},
		{[]string{text}, "country is required"},
		{[]string{"--country", "CN", "--channel", "fax", text}, `"fax" is not a channel`},
		{[]string{"--country", "CN"}, "nothing to check"},
		{[]string{"--country", "CN", "--fail-on", "never", text}, "--fail-on"},
		{[]string{"--country", "CN", "--format", "xml", text}, "--format"},
	} {
		_, code, stderr := complianceRun(t, "", append([]string{"check"}, c.args...)...)
		if code != 2 || !strings.Contains(stderr, c.want) {
			t.Errorf("%v: exit %d, stderr %q; want 2 and %q", c.args, code, stderr, c.want)
		}
	}
	if _, code, stderr := complianceRun(t, "", "check", "--country", "CN", filepath.Join(dir, "missing.txt")); code != 1 || !strings.Contains(stderr, "missing.txt") {
		t.Errorf("missing file: exit %d %q", code, stderr)
	}
}

// TestComplianceRulesCLI lists rules, per country, with an operator's
// rules directory overriding a built-in rule; the first call goes through
// the real binary's command table.
func TestComplianceRulesCLI(t *testing.T) {
	out, code := tw(t, "compliance", "rules", "--country", "KR")
	if code != 0 {
		t.Fatalf("exit %d", code)
	}
	lines := strings.Split(strings.TrimSpace(out), "\n")
	if len(lines) != 6 || !strings.HasPrefix(lines[0], "ID") || !strings.HasPrefix(lines[3], "kr-ad-label-email") || !strings.Contains(lines[3], "제50조") {
		t.Errorf("KR rules:\n%s", out)
	}
	dir := t.TempDir()
	os.WriteFile(filepath.Join(dir, "house.json"), []byte(`{"rules": [{"id": "east-asia-number-four", "countries": ["CN"], "channels": ["any"], "severity": "block",
		"match": [{"kind": "number", "digit": "4"}], "reason": {"en": "no fours here", "zh": "不用四"}, "source": "house style"}]}`), 0o644)
	out, code, _ = complianceRun(t, "", "rules", "--rules", dir, "--format", "json", "--country", "CN")
	var got struct{ Rules []compliance.Rule }
	if err := json.Unmarshal([]byte(out), &got); err != nil || code != 0 {
		t.Fatalf("json: %d %v", code, err)
	}
	found := false
	for _, r := range got.Rules {
		if r.ID == "east-asia-number-four" {
			found = r.Severity == compliance.Block && r.Source == "house style" && strings.HasSuffix(r.File, "house.json")
		}
	}
	if !found {
		t.Errorf("override not listed: %+v", got.Rules)
	}
	_, code, stderr := complianceRun(t, "4件", "check", "--rules", dir, "--country", "CN", "--channel", "ad", "-")
	if code != exitComplianceFail {
		t.Errorf("override not applied: exit %d %s", code, stderr)
	}
	os.WriteFile(filepath.Join(dir, "broken.json"), []byte(`{"rules": [{"id": "x", "countries": ["ZZ"]}]}`), 0o644)
	if _, code, stderr := complianceRun(t, "", "rules", "--rules", dir); code != 2 || !strings.Contains(stderr, "broken.json") || !strings.Contains(stderr, "rule x") {
		t.Errorf("broken rules file: exit %d %q", code, stderr)
	}
}
