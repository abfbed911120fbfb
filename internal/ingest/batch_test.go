package ingest

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/valyala/fastjson"
)

// TestBatchForwardsMessagesAsSent: a batch's messages reach the log as the
// bytes the sender wrote, unless the server had to change them (a batch
// context merged into the message).
func TestBatchForwardsMessagesAsSent(t *testing.T) {
	ctx := context.Background()
	mux, key, l := newTestLogAPI(t)
	send := func(body string) {
		t.Helper()
		req := httptest.NewRequest("POST", "/v1/batch", strings.NewReader(body))
		req.SetBasicAuth(key, "")
		rec := httptest.NewRecorder()
		mux.ServeHTTP(rec, req)
		if rec.Code != http.StatusOK {
			t.Fatalf("status %d: %s", rec.Code, rec.Body)
		}
	}
	first := `{"type":"track", "userId":"u\u00e9","event":"A","messageId":"m1","properties":{"price":79.90}}`
	second := `{"type":"page","anonymousId":"a","messageId":"m2"}`
	send(`{"batch":[` + first + ` , ` + second + `],"sentAt":"2026-01-01T00:00:00Z"}`)
	for seq, want := range map[uint64]string{1: first, 2: second} {
		d, ok, err := l.Get(ctx, seq)
		if err != nil || !ok {
			t.Fatalf("message %d: ok %v, %v", seq, ok, err)
		}
		if string(d.Data) != want {
			t.Errorf("message %d in the log = %s, want the bytes sent %s", seq, d.Data, want)
		}
	}
	send(`{"batch":[{"type":"page","anonymousId":"a","messageId":"m3"}],"context":{"ip":"192.0.2.1"}}`)
	d, ok, err := l.Get(ctx, 3)
	if err != nil || !ok {
		t.Fatalf("message 3: ok %v, %v", ok, err)
	}
	var p fastjson.Parser
	v, err := p.ParseBytes(d.Data)
	if err != nil {
		t.Fatal(err)
	}
	if got := string(v.GetStringBytes("context", "ip")); got != "192.0.2.1" {
		t.Errorf("batch context not merged: %s", d.Data)
	}
}
