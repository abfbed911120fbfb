package segment

import (
	"testing"
	"time"

	"github.com/valyala/fastjson"
)

func mustParse(t *testing.T, s string) *fastjson.Value {
	t.Helper()
	v, err := fastjson.Parse(s)
	if err != nil {
		t.Fatal(err)
	}
	return v
}

func TestValidateNamesTheField(t *testing.T) {
	cases := []struct {
		typ, msg, field string
	}{
		{Track, `{"event":"x"}`, "userId"},
		{Track, `{"userId":"u"}`, "event"},
		{Track, `{"userId":{"a":1},"event":"x"}`, "userId"},
		{Track, `{"userId":"u","event":"x","properties":[1]}`, "properties"},
		{Track, `{"userId":"u","event":"x","context":"c"}`, "context"},
		{Track, `{"userId":"u","event":"x","timestamp":"yesterday"}`, "timestamp"},
		{Track, `{"userId":"u","event":"x","sentAt":12}`, "sentAt"},
		{Track, `{"userId":"u","event":"Order Completed","properties":{"total":"12,5"}}`, "properties.total"},
		{Track, `{"userId":"u","event":"Order Completed","properties":{"total":true}}`, "properties.total"},
		{Track, `{"userId":"u","event":"Order Completed","properties":{"currency":"euro"}}`, "properties.currency"},
		{Track, `{"userId":"u","event":"Order Completed","properties":{"products":[{"price":"x"}]}}`, "properties.products[0].price"},
		{Track, `{"userId":"u","event":"Order Completed","properties":{"products":[{"quantity":1.5}]}}`, "properties.products[0].quantity"},
		{Track, `{"userId":"u","event":"Product Reviewed","properties":{"rating":11}}`, "properties.rating"},
		{Alias, `{"userId":"u"}`, "previousId"},
		{Group, `{"userId":"u"}`, "groupId"},
		{Page, `{"userId":"u","name":5}`, "name"},
		{AdSpend, `{"properties":{"date":"2026-13-01","channel":"x","spend":1,"currency":"USD"}}`, "properties.date"},
		{AdSpend, `{"properties":{"date":"2026-01-01","spend":1,"currency":"USD"}}`, "properties.channel"},
	}
	for _, c := range cases {
		_, err := Validate(mustParse(t, c.msg), c.typ)
		fe, ok := err.(*FieldError)
		if !ok || fe.Field != c.field {
			t.Errorf("%s %s: error %v, want one naming %s", c.typ, c.msg, err, c.field)
		}
	}
	ok := []struct{ typ, msg string }{
		{Track, `{"anonymousId":"a","event":"Order Completed","properties":{"total":1e2,"revenue":"19.99","currency":"jpy","products":[{"price":2,"quantity":"3"}]}}`},
		{Identify, `{"userId":42,"traits":{"email":"a@example.com"}}`},
		{Page, `{"userId":"u","timestamp":"2026-03-02T10:00:00.123+09:00"}`},
		{AdSpend, `{"properties":{"date":"2026-01-01","channel":"paid_social","spend":"12.30","currency":"usd"}}`},
	}
	for _, c := range ok {
		if _, err := Validate(mustParse(t, c.msg), c.typ); err != nil {
			t.Errorf("%s %s: %v", c.typ, c.msg, err)
		}
	}
}

// TestEventTimeCorrectsSkew follows Segment: timestamp = receivedAt −
// (sentAt − timestamp); the message's sentAt wins over the batch's.
func TestEventTimeCorrectsSkew(t *testing.T) {
	recv := time.Date(2026, 5, 1, 12, 0, 0, 0, time.UTC)
	client := time.Date(2030, 1, 1, 0, 0, 0, 0, time.UTC) // the device's clock is years off
	sent := client.Add(90 * time.Second)
	if got := EventTime(Times{Timestamp: client, SentAt: sent}, time.Time{}, recv); !got.Equal(recv.Add(-90 * time.Second)) {
		t.Fatalf("own sentAt: %v", got)
	}
	if got := EventTime(Times{Timestamp: client}, sent, recv); !got.Equal(recv.Add(-90 * time.Second)) {
		t.Fatalf("batch sentAt: %v", got)
	}
	own := client.Add(30 * time.Second)
	if got := EventTime(Times{Timestamp: client, SentAt: own}, sent, recv); !got.Equal(recv.Add(-30 * time.Second)) {
		t.Fatalf("the message's sentAt must win over the batch's: %v", got)
	}
	if got := EventTime(Times{Timestamp: client}, time.Time{}, recv); !got.Equal(client) {
		t.Fatalf("no sentAt: %v, want the sender's timestamp", got)
	}
	if got := EventTime(Times{}, sent, recv); !got.Equal(recv) {
		t.Fatalf("no timestamp: %v, want receivedAt", got)
	}
	if got := EventTime(Times{OriginalTimestamp: client, SentAt: sent}, time.Time{}, recv); !got.Equal(recv.Add(-90 * time.Second)) {
		t.Fatalf("originalTimestamp: %v", got)
	}
}

func TestMoneyIsExact(t *testing.T) {
	v := mustParse(t, `{"a":0.1,"b":"0.2","c":1.5e3,"d":25E-2,"e":-19.99,"f":"","g":null,"h":123456789012345678.25}`)
	want := map[string]string{"a": "0.1", "b": "0.2", "c": "1500", "d": "0.25", "e": "-19.99"}
	for f, w := range want {
		d, ok, err := Money(v, f)
		if err != nil || !ok || d.String() != w {
			t.Errorf("%s = %v %v %v, want %s", f, d, ok, err, w)
		}
	}
	for _, f := range []string{"f", "g", "missing"} {
		if _, ok, err := Money(v, f); ok || err != nil {
			t.Errorf("%s: ok=%v err=%v, want absent", f, ok, err)
		}
	}
	a, _, _ := Money(v, "a")
	b, _, _ := Money(v, "b")
	if sum, _ := a.Add(b); sum.String() != "0.3" {
		t.Fatalf("0.1 + 0.2 = %s", sum)
	}
}

func TestParseTime(t *testing.T) {
	for s, want := range map[string]string{
		"2026-03-02T10:00:00Z":           "2026-03-02T10:00:00Z",
		"2026-03-02T10:00:00.5+09:00":    "2026-03-02T01:00:00.5Z",
		"2026-03-02T10:00:00":            "2026-03-02T10:00:00Z",
		"2026-03-02 10:00:00":            "2026-03-02T10:00:00Z",
		"2026-03-02":                     "2026-03-02T00:00:00Z",
		"2026-03-02T10:00:00.123456789Z": "2026-03-02T10:00:00.123456789Z",
	} {
		got, err := ParseTime(s)
		if err != nil || got.Format(time.RFC3339Nano) != want {
			t.Errorf("%s → %v %v, want %s", s, got, err, want)
		}
	}
	for _, s := range []string{"", "tomorrow", "0001-01-01T00:00:00Z", "2026-02-30"} {
		if _, err := ParseTime(s); err == nil {
			t.Errorf("%q parsed", s)
		}
	}
}
