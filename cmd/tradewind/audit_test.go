package main

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestAuditVerifyDetectsTampering has the CLI write audit entries (each
// command through the API is audited), then edits, removes, reorders and
// truncates the audit file of the stopped node: `tradewind audit verify`
// must pass on the intact log and fail, naming the problem, on each
// tampered copy.
func TestAuditVerifyDetectsTampering(t *testing.T) {
	if testing.Short() {
		t.Skip("runs the command in child processes")
	}
	data := filepath.Join(t.TempDir(), "data")
	for _, name := range []string{"a", "b", "c", "d", "e"} {
		if _, code := tw(t, "sources", "create", "--data", data, "--name", "Shop "+name); code != 0 {
			t.Fatalf("sources create %s: exit %d", name, code)
		}
	}
	out, code := tw(t, "audit", "verify", "--data", data)
	if code != 0 || !strings.Contains(out, "intact") {
		t.Fatalf("intact log: exit %d: %s", code, out)
	}
	path := filepath.Join(data, "audit", "audit.log")
	orig, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	lines := bytes.SplitAfter(orig, []byte("\n"))
	if len(lines) > 0 && len(lines[len(lines)-1]) == 0 {
		lines = lines[:len(lines)-1]
	}
	if len(lines) < 5 {
		t.Fatalf("want at least 5 audit entries, have %d", len(lines))
	}
	join := func(ls [][]byte) []byte { return bytes.Join(ls, nil) }
	clone := func() [][]byte { return append([][]byte(nil), lines...) }
	cases := map[string][]byte{}
	{
		ls := clone()
		ls[2] = bytes.Replace(ls[2], []byte(`"ok"`), []byte(`"failed"`), 1)
		cases["edited"] = join(ls)
	}
	{
		ls := clone()
		cases["removed"] = join(append(ls[:2:2], ls[3:]...))
	}
	{
		ls := clone()
		ls[1], ls[2] = ls[2], ls[1]
		cases["reordered"] = join(ls)
	}
	cases["truncated"] = join(lines[:len(lines)-2])
	for kind, content := range cases {
		if err := os.WriteFile(path, content, 0o600); err != nil {
			t.Fatal(err)
		}
		out, code := tw(t, "audit", "verify", "--data", data)
		if code == 0 || !strings.Contains(out, kind) {
			t.Errorf("%s log: exit %d, output %q; want a failure naming %q", kind, code, out, kind)
		}
		// Each verification is itself audited: put the original back.
		if err := os.WriteFile(path, orig, 0o600); err != nil {
			t.Fatal(err)
		}
	}
}
