package ingest

import (
	"bytes"
	"context"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/valyala/fastjson"

	"github.com/tradewind/tradewind/internal/eventlog"
	"github.com/tradewind/tradewind/internal/source"
)

func TestBatchElementsSplitsAsSent(t *testing.T) {
	body := []byte(" { \"context\" : {\"a\":[1,{\"b\":\"]}\\\"\"}]} , \"batch\" : [ {\"type\":\"track\",\"x\":\"a,b]\"} ,\n\t{\"type\":\"page\", \"n\": [1, 2]} , 7 , \"s\" ], \"sentAt\":\"2026-01-01T00:00:00Z\" } ")
	got := batchElements(body, 4)
	want := []string{`{"type":"track","x":"a,b]"}`, `{"type":"page", "n": [1, 2]}`, `7`, `"s"`}
	if len(got) != len(want) {
		t.Fatalf("got %d elements %q, want %d", len(got), got, len(want))
	}
	for i := range want {
		if string(got[i]) != want[i] {
			t.Errorf("element %d = %q, want %q", i, got[i], want[i])
		}
	}
}

func TestBatchElementsRefusesWhatItCannotBeSureOf(t *testing.T) {
	for _, body := range []string{
		`{"b\u0061tch":[{"type":"track"}],"batch":[{"type":"page"}]}`, // the parser may read either
		`{"batch":[{"type":"track"}],"batch":[{"type":"page"}]}`,
		`{"batch":[{"type":"track"}]}`, // want 2 below
		`{"batch":{}}`, `[]`, `{"batch":[,1]}`, `{"batch":[1`, `{"batch":["x`, `{"a":tru`, ``, `{`,
	} {
		if got := batchElements([]byte(body), 2); got != nil {
			t.Errorf("%s: got %q, want nil", body, got)
		}
	}
}

// FuzzBatchElements: whenever the scanner splits a body the parser read,
// each part is the parser's element, value for value.
func FuzzBatchElements(f *testing.F) {
	for _, s := range fuzzSeeds {
		f.Add([]byte(s))
	}
	f.Add([]byte(`{"batch":[ {"a":"]"} , [ "}" ] ,1e3,true ,null],"x":{"batch":[]}}`))
	f.Fuzz(func(t *testing.T, body []byte) {
		var p fastjson.Parser
		v, err := p.ParseBytes(body)
		if err != nil || v.Type() != fastjson.TypeObject {
			return
		}
		b := v.Get("batch")
		if b == nil || b.Type() != fastjson.TypeArray {
			return
		}
		arr, err := b.Array()
		if err != nil {
			return
		}
		parts := batchElements(body, len(arr))
		if parts == nil {
			return
		}
		for i, raw := range parts {
			var q fastjson.Parser
			e, err := q.ParseBytes(raw)
			if err != nil {
				t.Fatalf("element %d %q does not parse: %v", i, raw, err)
			}
			if a, b := e.MarshalTo(nil), arr[i].MarshalTo(nil); !bytes.Equal(a, b) {
				t.Fatalf("element %d: scanned %s, parsed %s", i, a, b)
			}
		}
	})
}

// TestBatchForwardsMessagesAsSent: a batch's messages reach the log as the
// bytes the sender wrote, unless the server had to change them (a batch
// context merged into the message).
func TestBatchForwardsMessagesAsSent(t *testing.T) {
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
	src, err := reg.Create(ctx, source.Source{Name: "raw", Currency: "USD"})
	if err != nil {
		t.Fatal(err)
	}
	mux := http.NewServeMux()
	NewHTTP(&Service{Log: l}, reg, nil, slog.New(slog.DiscardHandler), 0).Register(mux)
	send := func(body string) {
		t.Helper()
		req := httptest.NewRequest("POST", "/v1/batch", strings.NewReader(body))
		req.SetBasicAuth(src.WriteKey, "")
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
