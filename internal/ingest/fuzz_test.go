package ingest

import (
	"bytes"
	"context"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/tradewind/tradewind/internal/eventlog"
	"github.com/tradewind/tradewind/internal/source"
)

// newTestAPI runs the tracking API on a real embedded event log and source
// registry, with one source.
func newTestAPI(t testing.TB) (*http.ServeMux, string) {
	t.Helper()
	mux, key, _ := newTestLogAPI(t)
	return mux, key
}

// newTestLogAPI is newTestAPI that also returns the log, to read back what
// the API stored.
func newTestLogAPI(t testing.TB) (*http.ServeMux, string, *eventlog.Log) {
	t.Helper()
	ctx := context.Background()
	l, err := eventlog.Open(ctx, eventlog.Config{Dir: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { l.Close() })
	reg, err := source.Open(ctx, l.JetStream(), "sources")
	if err != nil {
		t.Fatal(err)
	}
	src, err := reg.Create(ctx, source.Source{Name: "fuzz", Currency: "USD"})
	if err != nil {
		t.Fatal(err)
	}
	mux := http.NewServeMux()
	NewHTTP(&Service{Log: l}, reg, nil, slog.New(slog.DiscardHandler), 0).Register(mux)
	return mux, src.WriteKey, l
}

var fuzzSeeds = []string{
	`{"batch":[{"type":"track","userId":"u","event":"Order Completed","properties":{"total":1e3,"currency":"usd","products":[{"price":"2.5","quantity":2}]}}]}`,
	`{"batch":[{"type":"identify","anonymousId":12,"traits":{"email":"a@example.com"}},{"type":"alias","userId":"u","previousId":"p"}],"context":{"ip":"192.0.2.1"},"sentAt":"2026-01-01T00:00:00Z"}`,
	`{"batch":[{"type":"page","userId":"u","timestamp":"2026-13-45"},{"type":"group","userId":"u"}]}`,
	`{"batch":[{"type":"track","userId":"u","event":"Order Completed","properties":{"total":{"x":1},"products":"no"}}]}`,
	`{"userId":"u","event":"x","properties":[],"context":"s"}`,
	`{"batch":{}}`, `[]`, `null`, `{"batch":[1,"x",null,[]]}`, `{"writeKey":5}`, "\x00\xff", `{"batch":[{"type":"track","userId":"` + string(bytes.Repeat([]byte("x"), 600)) + `","event":"e"}]}`,
}

// FuzzTrackingAPI sends arbitrary bodies to /v1/batch and /v1/track: the
// server must answer 200, 400 or 413 and never crash.
func FuzzTrackingAPI(f *testing.F) {
	for _, s := range fuzzSeeds {
		f.Add([]byte(s))
	}
	mux, key := newTestAPI(f)
	f.Fuzz(func(t *testing.T, body []byte) {
		for _, path := range []string{"/v1/batch", "/v1/track", "/v1/t"} {
			req := httptest.NewRequest("POST", path, bytes.NewReader(body))
			req.SetBasicAuth(key, "")
			rec := httptest.NewRecorder()
			mux.ServeHTTP(rec, req)
			switch rec.Code {
			case 200, 400, 413:
			default:
				t.Fatalf("%s answered %d: %s", path, rec.Code, rec.Body)
			}
		}
	})
}

func TestControlCharacterInStringIsRefused(t *testing.T) {
	mux, key := newTestAPI(t)
	for _, body := range []string{"{\"userId\":\"u\",\"event\":\"a\x01b\"}", "{\"userId\":\"u\",\"event\":\"a\nb\"}"} {
		req := httptest.NewRequest("POST", "/v1/track", strings.NewReader(body))
		req.SetBasicAuth(key, "")
		rec := httptest.NewRecorder()
		mux.ServeHTTP(rec, req)
		if rec.Code != 400 {
			t.Errorf("%q: %d, want 400", body, rec.Code)
		}
	}
	// Whitespace between tokens is fine.
	req := httptest.NewRequest("POST", "/v1/track", strings.NewReader("{\n\t\"userId\": \"u\",\r\n \"event\": \"ok\"\n}"))
	req.SetBasicAuth(key, "")
	rec := httptest.NewRecorder()
	mux.ServeHTTP(rec, req)
	if rec.Code != 200 {
		t.Fatalf("pretty-printed message: %d %s", rec.Code, rec.Body)
	}
}

func TestOverloadAnswers429(t *testing.T) {
	ctx := context.Background()
	l, err := eventlog.Open(ctx, eventlog.Config{Dir: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	reg, err := source.Open(ctx, l.JetStream(), "sources")
	if err != nil {
		t.Fatal(err)
	}
	src, _ := reg.Create(ctx, source.Source{Name: "s"})
	h := NewHTTP(&Service{Log: l}, reg, nil, slog.New(slog.DiscardHandler), 1)
	mux := http.NewServeMux()
	h.Register(mux)
	h.inflight <- struct{}{} // the only slot is taken
	req := httptest.NewRequest("POST", "/v1/track", strings.NewReader(`{"userId":"u","event":"x"}`))
	req.SetBasicAuth(src.WriteKey, "")
	rec := httptest.NewRecorder()
	mux.ServeHTTP(rec, req)
	if rec.Code != 429 || rec.Header().Get("Retry-After") == "" {
		t.Fatalf("overloaded: %d, Retry-After %q", rec.Code, rec.Header().Get("Retry-After"))
	}
	<-h.inflight
	rec = httptest.NewRecorder()
	mux.ServeHTTP(rec, httptest.NewRequest("POST", "/v1/track", strings.NewReader(`{"userId":"u","event":"x","writeKey":"`+src.WriteKey+`"}`)))
	if rec.Code != 200 {
		t.Fatalf("after the slot freed: %d", rec.Code)
	}
}

func TestBrowserSDKPaths(t *testing.T) {
	ctx := context.Background()
	l, err := eventlog.Open(ctx, eventlog.Config{Dir: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	reg, _ := source.Open(ctx, l.JetStream(), "sources")
	src, _ := reg.Create(ctx, source.Source{Name: "site"})
	h := NewHTTP(&Service{Log: l}, reg, nil, slog.New(slog.DiscardHandler), 0)
	h.CORSOrigins = []string{"https://shop.example"}
	mux := http.NewServeMux()
	h.Register(mux)

	// analytics.js loads its settings from the server.
	rec := httptest.NewRecorder()
	mux.ServeHTTP(rec, httptest.NewRequest("GET", "/v1/projects/"+src.WriteKey+"/settings", nil))
	if rec.Code != 200 || !strings.Contains(rec.Body.String(), `"apiKey":"`+src.WriteKey+`"`) {
		t.Fatalf("settings: %d %s", rec.Code, rec.Body)
	}
	rec = httptest.NewRecorder()
	mux.ServeHTTP(rec, httptest.NewRequest("GET", "/v1/projects/not-a-key/settings", nil))
	if rec.Code != 404 {
		t.Fatalf("settings of an unknown key: %d", rec.Code)
	}
	// Preflight and a text/plain beacon from an allowed origin get CORS headers.
	req := httptest.NewRequest("OPTIONS", "/v1/t", nil)
	req.Header.Set("Origin", "https://shop.example")
	rec = httptest.NewRecorder()
	mux.ServeHTTP(rec, req)
	if rec.Code != 204 || rec.Header().Get("Access-Control-Allow-Origin") != "https://shop.example" {
		t.Fatalf("preflight: %d %v", rec.Code, rec.Header())
	}
	for _, p := range []string{"/v1/t", "/v1/p", "/v1/i", "/v1/g", "/v1/a", "/v1/s"} {
		body := `{"writeKey":"` + src.WriteKey + `","anonymousId":"a1","event":"Viewed","name":"Home","groupId":"g","previousId":"p","userId":"u"}`
		req = httptest.NewRequest("POST", p, strings.NewReader(body))
		req.Header.Set("Content-Type", "text/plain")
		req.Header.Set("Origin", "https://shop.example")
		rec = httptest.NewRecorder()
		mux.ServeHTTP(rec, req)
		if rec.Code != 200 || rec.Header().Get("Access-Control-Allow-Origin") != "https://shop.example" {
			t.Fatalf("%s: %d %s %v", p, rec.Code, rec.Body, rec.Header())
		}
	}
	req = httptest.NewRequest("POST", "/v1/t", strings.NewReader(`{"writeKey":"`+src.WriteKey+`","anonymousId":"a1","event":"x"}`))
	req.Header.Set("Origin", "https://evil.example")
	rec = httptest.NewRecorder()
	mux.ServeHTTP(rec, req)
	if rec.Header().Get("Access-Control-Allow-Origin") != "" {
		t.Fatal("CORS granted to an origin not configured")
	}
}

// TestNonJSONNumbersAreRefused: fastjson reads NaN, Infinity, +1 and 1.2.3
// as numbers; JSON has none of them, and the store's JSON columns would
// keep NaN and Infinity and answer them as nothing. A message with one is
// refused alone (400), or quarantined within a batch while the others are
// accepted, and the reason does not quote the message.
func TestNonJSONNumbersAreRefused(t *testing.T) {
	mux, key := newTestAPI(t)
	post := func(path, body string) *httptest.ResponseRecorder {
		req := httptest.NewRequest("POST", path, strings.NewReader(body))
		req.SetBasicAuth(key, "")
		rec := httptest.NewRecorder()
		mux.ServeHTTP(rec, req)
		return rec
	}
	for _, num := range []string{"NaN", "nan", "-Inf", "Infinity", "+1", "1.2.3", "01"} {
		rec := post("/v1/track", `{"userId":"secret-user","event":"x","properties":{"price":`+num+`}}`)
		// Infinity is not even read by fastjson: the body itself is refused.
		named := num == "Infinity" || strings.Contains(rec.Body.String(), `"message"`)
		if rec.Code != 400 || !named || strings.Contains(rec.Body.String(), "secret-user") {
			t.Errorf("price %s: %d %s, want 400 naming the message without quoting it", num, rec.Code, rec.Body)
		}
	}
	rec := post("/v1/batch", `{"batch":[{"type":"track","userId":"u","event":"ok","properties":{"price":1.5e3}},`+
		`{"type":"track","userId":"u","event":"bad","properties":{"price":NaN}}]}`)
	if rec.Code != 200 || !strings.Contains(rec.Body.String(), `"index":1`) || strings.Contains(rec.Body.String(), `"index":0`) {
		t.Fatalf("batch with one NaN: %d %s, want 200 with only message 1 rejected", rec.Code, rec.Body)
	}
}
