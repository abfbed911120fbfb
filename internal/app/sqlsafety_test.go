package app

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestSQLAPICannotReachSecrets tries, through the SQL API, to read the admin
// token, the master key and the key store, to list files, to attach
// another database, to write a file, to install an extension and to change
// settings: every attempt is refused, by the shared answers of the
// dashboard as well, and no answer carries a secret.
func TestSQLAPICannotReachSecrets(t *testing.T) {
	dir := t.TempDir()
	n := openNode(t, Config{DataDir: dir})
	token := n.token
	master, err := os.ReadFile(filepath.Join(dir, KeysDir, "master.key"))
	if err != nil {
		t.Fatal(err)
	}
	secrets := []string{token}
	for _, line := range strings.Split(string(master), "\n") {
		if k, ok := strings.CutPrefix(line, "v1:"); ok {
			secrets = append(secrets, k)
		}
	}
	tok := filepath.Join(dir, "admin.token")
	for _, q := range []string{
		"SELECT * FROM read_text('" + tok + "')",
		"SELECT * FROM read_csv('" + tok + "')",
		"SELECT * FROM read_blob('" + filepath.Join(dir, KeysDir, "keys.slots") + "')",
		"SELECT * FROM read_text('" + filepath.Join(dir, KeysDir, "master.key") + "')",
		"SELECT * FROM read_json_auto('" + filepath.Join(dir, "audit", "audit.log") + "')",
		"SELECT * FROM glob('" + dir + "/*')",
		"SELECT * FROM '" + tok + "'",
		"ATTACH '" + filepath.Join(dir, "other.duckdb") + "' AS other",
		"ATTACH ':memory:' AS m",
		"COPY (SELECT 1) TO '" + filepath.Join(dir, "out.csv") + "'",
		"INSTALL httpfs",
		"LOAD httpfs",
		"SET enable_external_access = true",
		"SET lock_configuration = false",
		"PRAGMA enable_external_access",
		"CREATE TABLE x AS SELECT 1",
		"EXPORT DATABASE '" + filepath.Join(dir, "exp") + "'",
	} {
		b, _ := json.Marshal(map[string]string{"sql": q})
		for _, path := range []string{"/v1/query", "/v1/query/shared"} {
			code, m := n.do("POST", path, "Bearer "+token, b, nil)
			if code == 200 {
				t.Errorf("%s %s: answered 200: %v", path, q, m)
			}
			raw, _ := json.Marshal(m)
			for _, s := range secrets {
				if s != "" && strings.Contains(string(raw), s) {
					t.Errorf("%s %s: the answer carries a secret", path, q)
				}
			}
		}
	}
	for _, f := range []string{"other.duckdb", "out.csv", "exp"} {
		if _, err := os.Stat(filepath.Join(dir, f)); err == nil {
			t.Errorf("%s was created", f)
		}
	}
	// The tables hold no secret either: sources without keys.
	res := n.query("SELECT * FROM sources")
	raw, _ := json.Marshal(res)
	if strings.Contains(string(raw), "twk_") || strings.Contains(string(raw), "tws_") {
		t.Error("the sources table holds a write key or webhook secret")
	}
}
