package app

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/tradewind/tradewind/internal/privacy/keystore"
	"github.com/tradewind/tradewind/internal/privacy/pii"
)

// The test data's personal values: none of them may be found anywhere in
// the data directory after the erasure (nor in any log: scripts/test greps
// the logs of the whole run for them).
const (
	erinEmail  = "Erin.Canary+news@Gmail.com"
	erinPhone  = "+49 30 98765432"
	erinName   = "Erinquest"
	erinStreet = "Kanarienweg 17"
)

var erinNeedles = []string{"erin.canary", "Erin.Canary", "98765432", "+493098765432", erinName, "Kanarienweg"}

// waitRequest polls a privacy request until it is no longer pending.
func (n *node) waitRequest(id string) map[string]any {
	n.t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for time.Now().Before(deadline) {
		code, m := n.admin("GET", "/v1/privacy/requests/"+id, nil)
		if code != 200 {
			n.t.Fatalf("request %s: %d %v", id, code, m)
		}
		if m["status"] != "pending" || m["awaiting_approval"] == true {
			return m
		}
		time.Sleep(20 * time.Millisecond)
	}
	n.t.Fatalf("request %s still pending", id)
	return nil
}

// grepDir reports the files under dir that contain any needle.
func grepDir(t *testing.T, dir string, needles []string) []string {
	t.Helper()
	var hits []string
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		for _, nd := range needles {
			if bytes.Contains(b, []byte(nd)) || bytes.Contains(bytes.ToLower(b), []byte(strings.ToLower(nd))) {
				hits = append(hits, fmt.Sprintf("%s contains %q", p, nd))
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return hits
}

func TestErasureLeavesNothing(t *testing.T) {
	dir := t.TempDir()
	n := openNode(t, Config{DataDir: dir})
	src, key := n.createSource("Shop", "EUR")
	send := func(path, body string) {
		t.Helper()
		if code, m := n.do("POST", path, basic(key), []byte(body), nil); code != 200 {
			t.Fatalf("%s: %d %v", path, code, m)
		}
	}
	send("/v1/identify", `{"userId":"u-erin","anonymousId":"anon-erin","messageId":"e1","traits":{"email":"`+erinEmail+`","phone":"`+erinPhone+`","firstName":"`+erinName+`","address":{"street":"`+erinStreet+`","city":"Berlin"}}}`)
	send("/v1/track", `{"userId":"u-erin","messageId":"e2","event":"Order Completed","properties":{"order_id":"o-erin","total":"59.90","currency":"EUR","email":"`+erinEmail+`"}}`)
	send("/v1/page", `{"anonymousId":"anon-erin","messageId":"e3","name":"Home","context":{"consent":{"categoryPreferences":{"Advertising":false,"Analytics":true}}}}`)
	send("/v1/identify", `{"userId":"u-keep","messageId":"k1","traits":{"email":"keep@example.org"}}`)
	send("/v1/track", `{"userId":"u-keep","messageId":"k2","event":"Order Completed","properties":{"order_id":"o-keep","total":"10","currency":"EUR"}}`)
	// One request with both of them: the log stores it as one bundle, which
	// the erasure must rewrite without Erin (her event name is in clear).
	send("/v1/batch", `{"batch":[{"type":"track","userId":"u-erin","messageId":"e6","event":"Canary Zx81"},`+
		`{"type":"track","userId":"u-keep","messageId":"k4","event":"Batch Kept"},`+
		`{"type":"track","anonymousId":"anon-erin","messageId":"e7","event":"Canary Zx81"}]}`)
	n.waitCount("SELECT count(*) FROM events", 8)

	// High-tier fields reached neither the log nor the store in clear.
	if hits := grepDir(t, dir, erinNeedles); len(hits) > 0 {
		t.Fatalf("personal data in clear before erasure:\n%s", strings.Join(hits, "\n"))
	}
	n.waitCount("SELECT count(*) FROM identifier_tokens WHERE user_id = 'u-erin' AND kind = 'email'", 2)
	n.waitCount("SELECT count(*) FROM consent WHERE anonymous_id = 'anon-erin'", 2)
	res := n.query("SELECT email FROM customers WHERE user_id = 'u-erin'")
	env, _ := res.Rows[0][0].(string)
	if !pii.IsEnvelope(env) {
		t.Fatalf("customers.email is %q, want an envelope", env)
	}
	erinKey, ok := n.a.Keys.Lookup(pii.Subject(src, "u-erin", ""))
	if !ok {
		t.Fatal("no key for u-erin")
	}
	if plain, _, err := pii.Open(n.a.Keys, env); err != nil || !strings.EqualFold(plain, erinEmail) {
		t.Fatalf("decrypt before erasure: %q %v", plain, err)
	}

	// A data backup taken before the erasure, inside the data directory.
	if code, m := n.admin("POST", "/v1/admin/backup", map[string]string{"dir": filepath.Join(dir, "backups", "before")}); code != 200 {
		t.Fatalf("backup: %d %v", code, m)
	}

	code, m := n.admin("POST", "/v1/privacy/erasure", map[string]any{"identifier": map[string]string{"email": "erin.canary@gmail.com"}})
	if code != 202 {
		t.Fatalf("erasure: %d %v", code, m)
	}
	done := n.waitRequest(m["request_id"].(string))
	if done["status"] != "completed" {
		t.Fatalf("erasure: %v", done)
	}
	result := done["result"].(map[string]any)
	if result["identities"].(float64) < 2 || result["keys_destroyed"].(float64) < 1 || result["messages_deleted"].(float64) != 5 {
		t.Fatalf("erasure result: %v", result)
	}
	if _, err := n.a.Keys.Key(erinKey); !errors.Is(err, keystore.ErrDestroyed) {
		t.Fatalf("erin's key after erasure: %v", err)
	}
	// Nothing of Erin through SQL; the other customer is untouched.
	for _, q := range []string{
		"SELECT count(*) FROM events WHERE user_id = 'u-erin' OR anonymous_id = 'anon-erin'",
		"SELECT count(*) FROM customers WHERE user_id = 'u-erin'",
		"SELECT count(*) FROM orders WHERE order_id = 'o-erin'",
		"SELECT count(*) FROM identifier_tokens WHERE user_id = 'u-erin'",
		"SELECT count(*) FROM consent WHERE anonymous_id = 'anon-erin'",
	} {
		n.waitCount(q, 0)
	}
	n.waitCount("SELECT count(*) FROM events WHERE user_id = 'u-keep'", 3)
	// Nor in any file of the data directory: log, store, backups, keys.
	if hits := grepDir(t, dir, erinNeedles); len(hits) > 0 {
		t.Fatalf("personal data after erasure:\n%s", strings.Join(hits, "\n"))
	}
	// Her shared bundle's bytes are gone from the log's files too.
	if hits := grepDir(t, filepath.Join(dir, "log"), []string{"Canary Zx81"}); len(hits) > 0 {
		t.Fatalf("an erased message of a shared bundle in the log:\n%s", strings.Join(hits, "\n"))
	}
	// The backup's copy is ciphertext under a destroyed key.
	if _, _, err := pii.Open(n.a.Keys, env); err == nil {
		t.Fatal("the erased envelope still decrypts")
	}

	// Later events for the same email, under a new userId, are dropped and
	// counted.
	send("/v1/identify", `{"userId":"u-erin-again","messageId":"e4","traits":{"email":"erin.canary@gmail.com"}}`)
	send("/v1/track", `{"userId":"u-erin","messageId":"e5","event":"Came Back"}`)
	send("/v1/track", `{"userId":"u-keep","messageId":"k3","event":"Still Here"}`)
	n.waitCount("SELECT count(*) FROM events WHERE user_id = 'u-keep'", 4)
	n.waitCount("SELECT count(*) FROM events WHERE user_id IN ('u-erin', 'u-erin-again')", 0)
	if got := n.a.Privacy.Suppressed(); got != 2 {
		t.Fatalf("suppressed at ingest: %d, want 2", got)
	}

	// A replay of the log into a new store does not bring Erin back.
	n.srv.Close()
	n.a.Close()
	if err := os.RemoveAll(filepath.Join(dir, "store")); err != nil {
		t.Fatal(err)
	}
	n2 := openNode(t, Config{DataDir: dir})
	// The replay reads the rewritten bundle: the other customer's message
	// in it is back, Erin's are not.
	n2.waitCount("SELECT count(*) FROM events WHERE user_id = 'u-keep'", 4)
	n2.waitCount("SELECT count(*) FROM events WHERE event = 'Batch Kept'", 1)
	n2.waitCount("SELECT count(*) FROM events WHERE user_id LIKE 'u-erin%' OR anonymous_id = 'anon-erin'", 0)
	n2.waitCount("SELECT count(*) FROM customers WHERE user_id = 'u-erin'", 0)

	// Restoring the backup taken before the erasure, with the current keys,
	// does not bring Erin back either.
	restored := t.TempDir()
	n2.srv.Close()
	n2.a.Close()
	if _, err := Restore(context.Background(), filepath.Join(dir, "backups", "before"), Config{DataDir: restored,
		Logger: n.a.Logger}, filepath.Join(dir, KeysDir)); err != nil {
		t.Fatal(err)
	}
	n3 := openNode(t, Config{DataDir: restored})
	n3.waitCount("SELECT count(*) FROM events WHERE user_id = 'u-keep'", 3)
	n3.waitCount("SELECT count(*) FROM events WHERE user_id = 'u-erin' OR anonymous_id = 'anon-erin'", 0)
	n3.waitCount("SELECT count(*) FROM orders WHERE order_id = 'o-erin'", 0)
	if hits := grepDir(t, restored, erinNeedles); len(hits) > 0 {
		t.Fatalf("personal data after restore:\n%s", strings.Join(hits, "\n"))
	}
}
