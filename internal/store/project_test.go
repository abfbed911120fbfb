package store

import (
	"strings"
	"testing"

	"github.com/tradewind/tradewind/internal/eventlog"
	"github.com/valyala/fastjson"
)

// TestTokenPaths: every envelope's token is found with its path, however
// deep in objects and arrays it sits, and the values beside it are
// skipped (a path is built only for a token found).
func TestTokenPaths(t *testing.T) {
	pr := &Projector{
		Source: func(string) (SourceInfo, bool) { return SourceInfo{Store: "s", Currency: "EUR"}, true },
		TokenOf: func(s string) (string, string, bool) {
			kind, tok, ok := strings.Cut(strings.TrimPrefix(s, "tw1."), ":")
			return kind, tok, ok
		},
	}
	data := `{"type":"track","event":"Order Completed","userId":"u1","messageId":"m1",
		"properties":{"order_id":"o1","total":10,"products":[{"sku":"a","price":5},{"buyer":{"email":"tw1.email:T1"}}],
		"extra":[7,["tw1.phone:T2",{"x":"tw1.email:T3"}]],"contact":"tw1.email:T4","note":"tw1"},
		"context":{"traits":{"email":"tw1.email:T5","nested":{"deep":["tw1.phone:T6"]}}},
		"traits":{"email":"tw1.email:T7"}}`
	p := pr.Project(eventlog.Delivery{Seq: 1, Type: "track", Meta: eventlog.Meta{Source: "src", MessageID: "m1"}, Data: []byte(data)})
	if p.Err != nil {
		t.Fatal(p.Err)
	}
	var got []string
	for _, tr := range p.Tokens {
		got = append(got, tr.Path+"="+tr.Kind+":"+tr.Token)
	}
	want := []string{
		"traits.email=email:T7",
		"context.traits.email=email:T5",
		"context.traits.nested.deep.0=phone:T6",
		"properties.products.1.buyer.email=email:T1",
		"properties.extra.1.0=phone:T2",
		"properties.extra.1.1.x=email:T3",
		"properties.contact=email:T4",
	}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Fatalf("tokens:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	v := fastjson.MustParse(`{"products":[{"sku":"a","name":"b","tags":["x","y"]},{"sku":"c","name":"d"}]}`)
	buf := make([]byte, 0, 64)
	if n := testing.AllocsPerRun(20, func() { pr.tokens(nil, p.Event, append(buf[:0], "properties"...), v) }); n > 0 {
		t.Errorf("walking an object without envelopes allocated %.0f times", n)
	}
}

// TestProjectRefusesNonJSONNumbers: a message in the log with NaN,
// Infinity or +1 (which the JSON parser reads, and ingest now refuses) is
// quarantined, as the store writer did before its JSON columns went to
// DuckDB as text (DuckDB would keep NaN and read it back as nothing).
func TestProjectRefusesNonJSONNumbers(t *testing.T) {
	pr := &Projector{Source: func(string) (SourceInfo, bool) { return SourceInfo{Store: "s", Currency: "EUR"}, true }}
	for _, num := range []string{"NaN", "-Inf", "+1", "1.5"} {
		data := `{"type":"track","event":"x","userId":"u1","properties":{"price":` + num + `}}`
		p := pr.Project(eventlog.Delivery{Seq: 1, Type: "track", Meta: eventlog.Meta{Source: "src", MessageID: "m1"}, Data: []byte(data)})
		if (p.Err != nil) != (num != "1.5") {
			t.Errorf("price %s: error %v", num, p.Err)
		}
	}
}
