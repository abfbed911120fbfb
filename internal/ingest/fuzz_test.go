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
	return mux, src.WriteKey
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
