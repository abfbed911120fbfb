package app

import (
	"bytes"
	"compress/gzip"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/tradewind/tradewind/internal/api"
	"github.com/tradewind/tradewind/internal/auth"
	"github.com/tradewind/tradewind/internal/demo"
	"github.com/tradewind/tradewind/internal/testlog"
)

type node struct {
	t     *testing.T
	a     *App
	srv   *httptest.Server
	token string
}

func openNode(t *testing.T, cfg Config) *node {
	t.Helper()
	if cfg.DataDir == "" {
		cfg.DataDir = t.TempDir()
	}
	if cfg.Argon2.Memory == 0 {
		cfg.Argon2 = auth.Argon2Params{Memory: 1024, Time: 1, Threads: 1, SaltLen: 16, KeyLen: 32}
	}
	if cfg.Logger == nil {
		cfg.Logger = testlog.Logger(t)
	}
	a, err := Open(context.Background(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(a.Handler())
	n := &node{t: t, a: a, srv: srv, token: a.Cfg.AdminToken}
	t.Cleanup(func() { srv.Close(); a.Close() })
	return n
}

func (n *node) do(method, path, auth string, body []byte, hdr map[string]string) (int, map[string]any) {
	n.t.Helper()
	req, _ := http.NewRequest(method, n.srv.URL+path, bytes.NewReader(body))
	if auth != "" {
		req.Header.Set("Authorization", auth)
	}
	for k, v := range hdr {
		req.Header.Set(k, v)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		n.t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	var m map[string]any
	_ = json.Unmarshal(b, &m)
	return resp.StatusCode, m
}

func (n *node) admin(method, path string, body any) (int, map[string]any) {
	b, _ := json.Marshal(body)
	return n.do(method, path, "Bearer "+n.token, b, nil)
}

func (n *node) createSource(name, currency string) (id, key string) {
	code, m := n.admin("POST", "/v1/sources", map[string]string{"name": name, "currency": currency, "marketplace": "shopify_eu", "country": "DE"})
	if code != 201 {
		n.t.Fatalf("create source: %d %v", code, m)
	}
	return m["id"].(string), m["write_key"].(string)
}

func basic(key string) string {
	req, _ := http.NewRequest("GET", "/", nil)
	req.SetBasicAuth(key, "")
	return req.Header.Get("Authorization")
}

func (n *node) query(sql string) api.QueryResponse {
	n.t.Helper()
	var res api.QueryResponse
	{
		b, _ := json.Marshal(map[string]string{"sql": sql})
		req, _ := http.NewRequest("POST", n.srv.URL+"/v1/query", bytes.NewReader(b))
		req.Header.Set("Authorization", "Bearer "+n.token)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			n.t.Fatal(err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != 200 {
			n.t.Fatalf("query %q: %d %s", sql, resp.StatusCode, body)
		}
		if err := json.Unmarshal(body, &res); err != nil {
			n.t.Fatal(err)
		}
		return res
	}
}

// waitCount polls until a count query returns want (the writer is async).
func (n *node) waitCount(sql string, want float64) {
	n.t.Helper()
	// The count is reached as soon as the store writer and the profile
	// engine have caught up, which on a machine busy with other work (CI
	// beside benchmarks) has taken over 10 s; the deadline only bounds a
	// test that fails, so it is generous.
	deadline := time.Now().Add(90 * time.Second)
	var got any
	for time.Now().Before(deadline) {
		res := n.query(sql)
		got = res.Rows[0][0]
		if got == want {
			return
		}
		time.Sleep(20 * time.Millisecond)
	}
	n.t.Fatalf("%s = %v, want %v", sql, got, want)
}

func TestTrackingAPIEndToEnd(t *testing.T) {
	n := openNode(t, Config{})
	id, key := n.createSource("Shopify EU", "EUR")

	// Unknown or missing write key → 401.
	if code, _ := n.do("POST", "/v1/track", basic("nope-nope-nope-nope"), []byte(`{"userId":"u","event":"x"}`), nil); code != 401 {
		t.Fatalf("unknown key: %d", code)
	}
	if code, _ := n.do("POST", "/v1/track", "", []byte(`{"userId":"u","event":"x"}`), nil); code != 401 {
		t.Fatalf("no key: %d", code)
	}
	// Not JSON → 400; missing field → 400 naming it.
	if code, _ := n.do("POST", "/v1/track", basic(key), []byte(`{"userId":`), nil); code != 400 {
		t.Fatalf("bad json: %d", code)
	}
	code, m := n.do("POST", "/v1/track", basic(key), []byte(`{"userId":"u1"}`), nil)
	if code != 400 || m["field"] != "event" {
		t.Fatalf("missing event: %d %v", code, m)
	}
	// writeKey in the body works (analytics.js), and is not stored.
	code, _ = n.do("POST", "/v1/t", "", []byte(`{"writeKey":"`+key+`","anonymousId":"a1","event":"Product Viewed","messageId":"w1"}`), map[string]string{"Content-Type": "text/plain"})
	if code != 200 {
		t.Fatalf("writeKey in body: %d", code)
	}
	// Clock skew: sent 10 minutes "in the future" of the client's event.
	code, _ = n.do("POST", "/v1/identify", basic(key), []byte(`{"userId":"u1","messageId":"i1","traits":{"email":"a@example.com"},"timestamp":"2030-01-01T00:00:00Z","sentAt":"2030-01-01T00:10:00Z"}`), nil)
	if code != 200 {
		t.Fatalf("identify: %d", code)
	}
	// A batch with one bad message: the good ones are accepted, the bad one listed.
	batch := `{"batch":[
		{"type":"track","userId":"u1","event":"Order Completed","messageId":"o1","properties":{"order_id":"1001","total":19.99,"currency":"EUR"}},
		{"type":"track","userId":"u1","messageId":"bad"},
		{"type":"page","anonymousId":"a1","name":"Home","messageId":"p1"}],
		"context":{"library":{"name":"test"}},"sentAt":"2026-01-01T00:00:00Z"}`
	code, m = n.do("POST", "/v1/batch", basic(key), []byte(batch), nil)
	if code != 200 {
		t.Fatalf("batch: %d %v", code, m)
	}
	rej := m["rejected"].([]any)
	if len(rej) != 1 || rej[0].(map[string]any)["index"].(float64) != 1 || rej[0].(map[string]any)["field"] != "event" {
		t.Fatalf("rejected = %v", rej)
	}
	// gzip body, the same messages again: nothing new.
	var gz bytes.Buffer
	zw := gzip.NewWriter(&gz)
	zw.Write([]byte(batch))
	zw.Close()
	if code, _ = n.do("POST", "/v1/batch", basic(key), gz.Bytes(), map[string]string{"Content-Encoding": "gzip"}); code != 200 {
		t.Fatalf("gzip batch: %d", code)
	}
	n.waitCount("SELECT count(*) FROM events", 4)
	res := n.query(`SELECT count(*) FROM events WHERE context->'library'->>'name' = 'test'`)
	if res.Rows[0][0] != float64(2) {
		t.Fatalf("batch context merged into %v messages, want 2", res.Rows[0][0])
	}
	res = n.query(`SELECT total, currency, source_id, store FROM orders`)
	if fmt.Sprint(res.Rows) != fmt.Sprintf("[[19.9900 EUR %s %s]]", id, id) {
		t.Fatalf("orders = %v", res.Rows)
	}
	// The skew-corrected identify happened 10 minutes before receipt.
	res = n.query(`SELECT date_diff('second', "timestamp", received_at) FROM events WHERE message_id = 'i1'`)
	if d := res.Rows[0][0].(float64); d < 599 || d > 601 {
		t.Fatalf("skew correction: event %v s before receipt, want 600", d)
	}
	// The batch's sentAt is kept on each of its messages.
	res = n.query(`SELECT sent_at FROM events WHERE message_id = 'o1'`)
	if res.Rows[0][0] != "2026-01-01T00:00:00Z" {
		t.Fatalf("sent_at = %v, want the batch's", res.Rows[0][0])
	}
	res = n.query(`SELECT count(*) FROM events WHERE CAST(properties AS VARCHAR) LIKE '%` + key + `%' OR CAST(context AS VARCHAR) LIKE '%` + key + `%'`)
	if res.Rows[0][0] != float64(0) {
		t.Fatal("write key stored in an event")
	}
	res = n.query(`SELECT field, "index", origin FROM quarantine`)
	if len(res.Rows) < 1 {
		t.Fatal("bad batch message not quarantined")
	}
}

func TestLimitsAndAuth(t *testing.T) {
	n := openNode(t, Config{})
	_, key := n.createSource("Site", "USD")
	big := `{"userId":"u","event":"x","properties":{"p":"` + strings.Repeat("x", 33<<10) + `"}}`
	if code, _ := n.do("POST", "/v1/track", basic(key), []byte(big), nil); code != 413 {
		t.Fatalf("33 KB message: %d, want 413", code)
	}
	var b strings.Builder
	b.WriteString(`{"batch":[`)
	for i := 0; i < 60; i++ {
		if i > 0 {
			b.WriteString(",")
		}
		b.WriteString(`{"type":"track","userId":"u","event":"x","properties":{"p":"` + strings.Repeat("y", 9<<10) + `"}}`)
	}
	b.WriteString(`]}`)
	if code, _ := n.do("POST", "/v1/batch", basic(key), []byte(b.String()), nil); code != 413 {
		t.Fatalf("540 KB batch: %d, want 413", code)
	}
	for _, p := range []string{"/v1/sources", "/v1/query", "/metrics"} {
		if code, _ := n.do("GET", p, "", nil, nil); code != 401 && code != 405 {
			t.Fatalf("%s without token: %d", p, code)
		}
		if code, _ := n.do("GET", p, "Bearer wrong", nil, nil); code != 401 && code != 405 {
			t.Fatalf("%s with a wrong token: %d", p, code)
		}
	}
	if code, _ := n.admin("POST", "/v1/query", map[string]string{"sql": "DELETE FROM events"}); code != 400 {
		t.Fatalf("write through the query API: %d", code)
	}
	if code, m := n.admin("POST", "/v1/query", map[string]string{"sql": "SELECT * FROM read_text('" + n.a.TokenPath + "')"}); code != 400 {
		t.Fatalf("file read through the query API: %d %v", code, m)
	}
	if code, _ := n.admin("POST", "/v1/sources", map[string]any{"name": "x", "bogus": 1}); code != 400 {
		t.Fatal("unknown key accepted")
	}
	n.do("POST", "/v1/track", basic(key), []byte(`{"userId":"u","event":"counted"}`), nil)
	n.do("POST", "/v1/track", basic(key), []byte(`{"userId":"u"}`), nil)
	req, _ := http.NewRequest("GET", n.srv.URL+"/metrics", nil)
	req.Header.Set("Authorization", "Bearer "+n.token)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	metrics, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	for _, m := range []string{"tradewind_ingest_accepted_total", "tradewind_ingest_rejected_total", "tradewind_log_lag_messages", "tradewind_store_write_seconds", "tradewind_store_visible_seconds"} {
		if !strings.Contains(string(metrics), m) {
			t.Errorf("/metrics lacks %s", m)
		}
	}
	if code, _ := n.do("GET", "/readyz", "", nil, nil); code != 200 {
		t.Fatalf("readyz: %d", code)
	}
}

func TestExternalNATS(t *testing.T) {
	url := os.Getenv("TRADEWIND_TEST_NATS_URL")
	if url == "" {
		t.Skip("TRADEWIND_TEST_NATS_URL not set")
	}
	id := fmt.Sprintf("T%d", time.Now().UnixNano())
	prefix := "twtest_" + id + "_"
	n := openNode(t, Config{NATSURL: url, Stream: "TWTEST_" + id, SubjectPrefix: "twtest." + id, SourcesBucket: "twtest_src_" + id,
		BucketPrefix: prefix})
	t.Cleanup(func() {
		js := n.a.Log.JetStream()
		_ = js.DeleteStream(context.Background(), "TWTEST_"+id)
		_ = js.DeleteKeyValue(context.Background(), "twtest_src_"+id)
		for _, b := range []string{"tradewind_privacy", "tradewind_users", "tradewind_tokens", "tradewind_sessions", "tradewind_settings"} {
			_ = js.DeleteKeyValue(context.Background(), prefix+b)
		}
	})
	_, key := n.createSource("Site", "USD")
	if code, _ := n.do("POST", "/v1/track", basic(key), []byte(`{"userId":"u","event":"x","messageId":"m1"}`), nil); code != 200 {
		t.Fatalf("track: %d", code)
	}
	n.waitCount("SELECT count(*) FROM events", 1)
}

// loadDemo loads a demo seller through the node's real pipeline, with the
// ECB rates beside the repository (the test fails without them), and
// waits until the profile engine has applied all of it.
func (n *node) loadDemo(cfg demo.Config) *DemoReport {
	n.t.Helper()
	fxFile := filepath.Join("..", "..", "..", "shared", "data", "fx", "eurofxref-hist.zip")
	if _, err := os.Stat(fxFile); err != nil {
		n.t.Fatalf("the ECB rates beside the repository are missing: %v", err)
	}
	ctx := context.Background()
	rep, err := n.a.LoadDemo(ctx, cfg, fxFile, nil)
	if err != nil {
		n.t.Fatal(err)
	}
	if err := n.a.Profiles.WaitApplied(ctx, rep.LastSeq); err != nil {
		n.t.Fatal(err)
	}
	return rep
}
