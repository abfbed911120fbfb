package app

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/tradewind/tradewind/internal/store"
)

// TestQualityEndpoints checks the sources and data-quality API: events per
// source over the last hour and day, the rates in buckets, the quarantine
// with its field and reason (masked where they look personal), and that no
// write key is ever given out whole.
func TestQualityEndpoints(t *testing.T) {
	n := openNode(t, Config{})
	ctx := context.Background()
	id, key := n.createSource("Quality shop", "EUR")

	// Three messages, one refused (no event name).
	body := `{"batch":[
		{"type":"track","userId":"q1","event":"Product Viewed"},
		{"type":"track","userId":"q1"},
		{"type":"identify","userId":"q2","traits":{"plan":"pro"}}]}`
	code, m := n.do("POST", "/v1/batch", basic(key), []byte(body), map[string]string{"Content-Type": "application/json"})
	if code != 200 || m["rejected"] == nil {
		t.Fatalf("batch: %d %v", code, m)
	}
	n.waitCount("SELECT count(*) FROM events WHERE source_id = '"+id+"'", 2)
	// A rejection whose field and reason quote personal data (a sender's
	// odd JSON key): the API masks them.
	if err := n.a.Store.Quarantine(ctx, []store.QuarantineEntry{{At: time.Now().UTC(), SourceID: id, Origin: "import",
		ImportID: "imp_q", Line: 7, Index: -1, Field: "traits.jane.doe@example.com", Reason: "call +49 30 1234567 about it"}}); err != nil {
		t.Fatal(err)
	}
	n.waitCount("SELECT count(*) FROM quarantine WHERE source_id = '"+id+"'", 2)

	raw, res := n.getJSON("/v1/quality/sources", "Bearer "+n.token, nil)
	if strings.Contains(raw, key) {
		t.Fatal("GET /v1/quality/sources gives out a write key")
	}
	var src map[string]any
	for _, s := range res["sources"].([]any) {
		if s.(map[string]any)["id"] == id {
			src = s.(map[string]any)
		}
	}
	if src == nil {
		t.Fatalf("source %s not listed: %s", id, raw)
	}
	hint, _ := src["write_key_hint"].(string)
	if hint == "" || !strings.HasSuffix(key, hint[len(hint)-4:]) || len(hint) > 12 {
		t.Errorf("write key hint %q for key of %d characters", hint, len(key))
	}
	if src["events_hour"] != 2.0 || src["events_day"] != 2.0 || src["per_minute_hour"] != 0.03 || src["quarantined_day"] != 2.0 ||
		src["registered"] != true || src["last_received_at"] == nil {
		t.Errorf("source counts: %v", src)
	}
	if tot := res["totals"].(map[string]any); tot["events_hour"] != 2.0 || tot["sources"] != 1.0 {
		t.Errorf("totals: %v", tot)
	}

	// An analyst reads sources but does not manage them: no key hint.
	const pw = "correct horse battery"
	if code, m := n.admin("POST", "/v1/users", map[string]string{"email": "analyst@staff.example", "role": "analyst", "password": pw}); code != 201 {
		t.Fatalf("create analyst: %d %v", code, m)
	}
	cookie, _ := n.session("analyst@staff.example", pw)
	raw, _ = n.getJSON("/v1/quality/sources", "", cookie)
	if strings.Contains(raw, "write_key_hint") || strings.Contains(raw, key) {
		t.Errorf("an analyst gets write key hints: %s", raw)
	}

	for win, buckets := range map[string]int{"hour": 60, "day": 96} {
		_, r := n.getJSON("/v1/quality/rates?window="+win, "Bearer "+n.token, nil)
		if got := len(r["buckets"].([]any)); got != buckets {
			t.Errorf("%s: %d buckets, want %d", win, got, buckets)
		}
		var events, quarantined float64
		for _, s := range r["series"].([]any) {
			s := s.(map[string]any)
			events += s["events"].(float64)
			if len(s["per_minute"].([]any)) != buckets {
				t.Errorf("%s: series of %d", win, len(s["per_minute"].([]any)))
			}
		}
		for _, v := range r["quarantined_per_minute"].([]any) {
			quarantined += v.(float64)
		}
		if events != 2 || quarantined == 0 {
			t.Errorf("%s: %v events, %v quarantined per minute in all", win, events, quarantined)
		}
	}

	raw, res = n.getJSON("/v1/quality/quarantine?source="+id, "Bearer "+n.token, nil)
	entries := res["entries"].([]any)
	if len(entries) != 2 || strings.Contains(raw, "jane.doe@example.com") || strings.Contains(raw, "1234567") {
		t.Fatalf("quarantine: %s", raw)
	}
	first := entries[0].(map[string]any) // the newest: the import row
	if first["origin"] != "import" || first["line"] != 7.0 || !strings.Contains(first["field"].(string), "***@e***.com") || !strings.Contains(first["reason"].(string), "+***67") {
		t.Errorf("import entry: %v", first)
	}
	second := entries[1].(map[string]any)
	if second["origin"] != "http" || second["index"] != 1.0 || second["field"] != "event" || second["source_name"] != "Quality shop" {
		t.Errorf("batch entry: %v", second)
	}
	if top := res["top_reasons"].([]any); len(top) != 2 {
		t.Errorf("top reasons: %v", top)
	}
	_, res = n.getJSON("/v1/quality/quarantine?limit=1&origin=http", "Bearer "+n.token, nil)
	if e := res["entries"].([]any); len(e) != 1 || res["next_offset"] != nil {
		t.Errorf("origin=http, limit=1: %v", res)
	}
	_, res = n.getJSON("/v1/quality/quarantine?limit=1", "Bearer "+n.token, nil)
	if res["next_offset"] != 1.0 {
		t.Errorf("limit=1: next_offset %v", res["next_offset"])
	}
	for _, bad := range []string{"/v1/quality/rates?window=week", "/v1/quality/quarantine?origin=ftp", "/v1/quality/quarantine?limit=0", "/v1/quality/quarantine?offset=-1"} {
		if code, _ := n.admin("GET", bad, nil); code != 400 {
			t.Errorf("GET %s: %d, want 400", bad, code)
		}
	}
}

// getJSON GETs path with a bearer or a session cookie and decodes the
// answer, which must be 200.
func (n *node) getJSON(path, authz string, cookie *http.Cookie) (string, map[string]any) {
	n.t.Helper()
	req, _ := http.NewRequest("GET", n.srv.URL+path, nil)
	if authz != "" {
		req.Header.Set("Authorization", authz)
	}
	if cookie != nil {
		req.AddCookie(cookie)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		n.t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != 200 {
		n.t.Fatalf("GET %s: %d %s", path, resp.StatusCode, b)
	}
	var m map[string]any
	if err := json.NewDecoder(bytes.NewReader(b)).Decode(&m); err != nil {
		n.t.Fatalf("GET %s: %v", path, err)
	}
	return string(b), m
}
