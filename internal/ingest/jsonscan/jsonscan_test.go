package jsonscan

import (
	"bytes"
	"testing"

	"github.com/valyala/fastjson"
)

func TestBatchElementsSplitsAsSent(t *testing.T) {
	body := []byte(" { \"context\" : {\"a\":[1,{\"b\":\"]}\\\"\"}]} , \"batch\" : [ {\"type\":\"track\",\"x\":\"a,b]\"} ,\n\t{\"type\":\"page\", \"n\": [1, 2]} , 7 , \"s\" ], \"sentAt\":\"2026-01-01T00:00:00Z\" } ")
	got := BatchElements(body, 4)
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
		if got := BatchElements([]byte(body), 2); got != nil {
			t.Errorf("%s: got %q, want nil", body, got)
		}
	}
}

// FuzzBatchElements: whenever the scanner splits a body the parser read,
// each part is the parser's element, value for value.
func FuzzBatchElements(f *testing.F) {
	for _, s := range []string{
		`{"batch":[ {"a":"]"} , [ "}" ] ,1e3,true ,null],"x":{"batch":[]}}`,
		`{"batch":[{"type":"track","userId":"u","properties":{"total":1e3,"products":[{"price":"2.5"}]}}],"context":{"ip":"192.0.2.1"}}`,
		`{"batch":[1,"x",null,[]]}`, `{"batch":{}}`, `{"b\u0061tch":[1]}`,
	} {
		f.Add([]byte(s))
	}
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
		parts := BatchElements(body, len(arr))
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

func TestFieldFirstOccurrenceAsWritten(t *testing.T) {
	obj := []byte(`{"type":"track", "properties" : {"a": [1, {"b":"}"}]} ,"context":{},"properties":{"late":1}}`)
	raw, ok := Field(obj, "properties", false)
	if !ok || string(raw) != `{"a": [1, {"b":"}"}]}` {
		t.Errorf("properties: %q %v", raw, ok)
	}
	if raw, ok := Field(obj, "properties", true); ok || raw != nil {
		t.Errorf("unique properties of a repeated key: %q %v, want not sure", raw, ok)
	}
	if raw, ok := Field(obj, "traits", false); !ok || raw != nil {
		t.Errorf("absent traits: %q %v, want nil and sure", raw, ok)
	}
	if _, ok := Field([]byte(`{"prop\u0065rties":{"x":1},"properties":{}}`), "properties", false); ok {
		t.Error("an escaped key before the match: want not sure")
	}
	if _, ok := Field([]byte(`[1]`), "properties", false); ok {
		t.Error("not an object: want not sure")
	}
}

// FuzzField: whenever the scanner is sure, its bytes are the parser's
// value of the key.
func FuzzField(f *testing.F) {
	f.Add([]byte(`{"type":"track","properties":{"a":"}"},"properties":{"b":2},"context":{"traits":{}}}`), "properties")
	f.Add([]byte(`{"context" : { "ip":"1" } }`), "context")
	f.Fuzz(func(t *testing.T, body []byte, key string) {
		var p fastjson.Parser
		v, err := p.ParseBytes(body)
		if err != nil || v.Type() != fastjson.TypeObject {
			return
		}
		raw, ok := Field(body, key, false)
		if !ok {
			return
		}
		want := v.Get(key)
		if want == nil {
			if raw != nil {
				t.Fatalf("key %q absent for the parser, scanned %q", key, raw)
			}
			return
		}
		var q fastjson.Parser
		got, err := q.ParseBytes(raw)
		if err != nil {
			t.Fatalf("scanned %q does not parse: %v", raw, err)
		}
		if a, b := got.MarshalTo(nil), want.MarshalTo(nil); !bytes.Equal(a, b) {
			t.Fatalf("key %q: scanned %s, parsed %s", key, a, b)
		}
	})
}
