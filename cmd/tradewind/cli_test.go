package main

import (
	"bytes"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"

	"github.com/tradewind/tradewind/internal/testlog"
)

// tw runs the tradewind command in a child process (this test binary, see
// TestMain) and returns its standard output and exit code.
func tw(t *testing.T, args ...string) (string, int) {
	t.Helper()
	out, _, code := twFull(t, args...)
	return out, code
}

// twFull is tw that also returns the command's standard error.
func twFull(t *testing.T, args ...string) (stdout, stderr string, code int) {
	t.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), "TRADEWIND_TEST_RUN_MAIN="+strings.Join(args, "\x1f"))
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	err := cmd.Run()
	if ee, ok := err.(*exec.ExitError); ok {
		code = ee.ExitCode()
	} else if err != nil {
		t.Fatal(err)
	}
	// The command's log lines join the test logs that scripts/test searches
	// for personal data.
	testlog.Writer(t).Write(errb.Bytes())
	if code != 0 {
		t.Logf("tradewind %s: exit %d: %s", strings.Join(args, " "), code, errb.String())
	}
	return out.String(), errb.String(), code
}

const cliOrders = `order_id,customer_id,timestamp,currency,total,product_id,price,quantity
A-1,c1,2026-03-02T10:00:00Z,EUR,25.00,p1,25.00,1
A-2,c2,2026-03-03,EUR,oops,p2,10,1
A-3,c2,2026-03-04,EUR,12.50,p3,12.50,1
`

// TestCLIWithAndWithoutServer walks a new user's path: create a source,
// import a CSV (one bad row goes to a quarantine file beside it), query,
// import again (nothing added), then the same commands through a running
// server found from the data directory, and a backup and restore.
func TestCLIWithAndWithoutServer(t *testing.T) {
	if testing.Short() {
		t.Skip("runs the command in child processes")
	}
	dir := t.TempDir()
	data := filepath.Join(dir, "data")
	out, code := tw(t, "sources", "create", "--data", data, "--name", "Shopify EU", "--id", "shop-eu", "--currency", "EUR")
	if code != 0 || !strings.Contains(out, `"write_key"`) {
		t.Fatalf("sources create: %d %s", code, out)
	}
	file := filepath.Join(dir, "orders.csv")
	os.WriteFile(file, []byte(cliOrders), 0o600)

	out, code = tw(t, "import", "--data", data, "--kind", "orders", "--file", file, "--source", "shop-eu", "--json")
	var rep struct {
		Records, Accepted, Duplicates, Quarantined int
	}
	if code != 0 || json.Unmarshal([]byte(out), &rep) != nil || rep.Accepted != 2 || rep.Quarantined != 1 || rep.Records != 3 {
		t.Fatalf("import: %d %s", code, out)
	}
	q, err := os.ReadFile(file + ".quarantine.csv")
	if err != nil || !strings.Contains(string(q), "3,total,") || !strings.Contains(string(q), "A-2") {
		t.Fatalf("quarantine file: %v %q", err, q)
	}

	out, code = tw(t, "sql", "--data", data, "--format", "csv", "SELECT order_id, total FROM orders ORDER BY 1")
	if code != 0 || out != "order_id,total\nA-1,25.0000\nA-3,12.5000\n" {
		t.Fatalf("sql: %d %q", code, out)
	}
	if _, code = tw(t, "sql", "--data", data, "DELETE FROM orders"); code == 0 {
		t.Fatal("a write through sql succeeded")
	}

	// With a server holding the directory, the same commands go through it.
	addr := freePort(t)
	srv := startServer(t, data, addr)
	defer func() {
		srv.Process.Signal(syscall.SIGTERM)
		srv.Wait()
	}()
	out, code = tw(t, "import", "--data", data, "--kind", "orders", "--file", file, "--source", "shop-eu", "--json")
	if code != 0 || json.Unmarshal([]byte(out), &rep) != nil || rep.Accepted != 0 || rep.Duplicates != 2 {
		t.Fatalf("re-import through the server: %d %s", code, out)
	}
	out, code = tw(t, "sql", "--data", data, "--format", "json", "SELECT count(*) AS n FROM orders")
	if code != 0 || !strings.Contains(out, `"rows": [`) || !strings.Contains(out, "2") {
		t.Fatalf("sql through the server: %d %s", code, out)
	}
	bk := filepath.Join(dir, "backup")
	if out, code = tw(t, "backup", "--data", data, "--out", bk); code != 0 {
		t.Fatalf("backup: %d %s", code, out)
	}
	restored := filepath.Join(dir, "restored")
	if out, code = tw(t, "restore", "--from", bk, "--data", restored); code != 0 {
		t.Fatalf("restore: %d %s", code, out)
	}
	out, code = tw(t, "sql", "--data", restored, "--format", "csv", "SELECT count(*) FROM orders")
	if code != 0 || !strings.HasSuffix(out, "\n2\n") {
		t.Fatalf("restored orders: %d %q", code, out)
	}
	// A file with only bad rows imports nothing: exit code 1.
	bad := filepath.Join(dir, "bad.csv")
	os.WriteFile(bad, []byte("order_id,timestamp,currency,total\nX,never,EUR,1\n"), 0o600)
	if _, code = tw(t, "import", "--data", data, "--kind", "orders", "--file", bad, "--source", "shop-eu"); code != 1 {
		t.Fatalf("all-bad import exit code %d, want 1", code)
	}
}
