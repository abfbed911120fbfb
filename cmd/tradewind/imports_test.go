package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"runtime/debug"
	"strings"
	"testing"
)

// TestLoadMemoryLimit: a bulk load raises the serving limit and gives it
// back; GOMEMLIMIT in the environment is left alone.
func TestLoadMemoryLimit(t *testing.T) {
	orig := debug.SetMemoryLimit(defaultMemoryLimit)
	defer debug.SetMemoryLimit(orig)

	t.Setenv("GOMEMLIMIT", "")
	restore := loadMemoryLimit()
	if got := debug.SetMemoryLimit(-1); got != bulkLoadMemoryLimit {
		t.Fatalf("limit during the load %d, want %d", got, bulkLoadMemoryLimit)
	}
	restore()
	if got := debug.SetMemoryLimit(-1); got != defaultMemoryLimit {
		t.Fatalf("limit after the load %d, want the serving %d", got, defaultMemoryLimit)
	}

	t.Setenv("GOMEMLIMIT", "1GiB")
	restore = loadMemoryLimit()
	if got := debug.SetMemoryLimit(-1); got != defaultMemoryLimit {
		t.Fatalf("with GOMEMLIMIT set the limit became %d", got)
	}
	restore()
}

// TestImportWaitProfiles: without a server, --wait-profiles ends the import
// only when the profile engine has applied it and written its profiles, and
// the report says when.
func TestImportWaitProfiles(t *testing.T) {
	if testing.Short() {
		t.Skip("runs the command in child processes")
	}
	dir := t.TempDir()
	data := filepath.Join(dir, "data")
	if out, code := tw(t, "sources", "create", "--data", data, "--name", "Shop", "--id", "shop", "--currency", "EUR"); code != 0 {
		t.Fatalf("sources create: %d %s", code, out)
	}
	file := filepath.Join(dir, "orders.csv")
	if err := os.WriteFile(file, []byte(cliOrders), 0o600); err != nil {
		t.Fatal(err)
	}
	out, code := tw(t, "import", "--data", data, "--kind", "orders", "--file", file, "--source", "shop", "--json", "--wait-profiles")
	var rep struct {
		Accepted        int
		Seconds         float64
		ProfilesSeconds float64 `json:"profiles_seconds"`
	}
	if code != 0 || json.Unmarshal([]byte(out), &rep) != nil || rep.Accepted != 2 {
		t.Fatalf("import: %d %s", code, out)
	}
	if rep.ProfilesSeconds <= 0 || rep.ProfilesSeconds < rep.Seconds {
		t.Fatalf("profiles_seconds %v (store done after %v)", rep.ProfilesSeconds, rep.Seconds)
	}
	out, code = tw(t, "sql", "--data", data, "--format", "csv", "SELECT count(*) FROM profiles")
	if code != 0 || !strings.HasSuffix(out, "\n2\n") {
		t.Fatalf("profiles after the import: %d %q", code, out)
	}
}
