package importer

import (
	"testing"

	"github.com/tradewind/tradewind/internal/ingest/records"
)

// TestMessageIDsNeverChange: imported rows keep the ids earlier versions
// gave them (re-importing a file imported before an upgrade must add
// nothing), ids differ with source, kind, key and content, and a message
// with its own messageId keeps it.
func TestMessageIDsNeverChange(t *testing.T) {
	var buf []byte
	id := func(src string, kind records.Kind, key, msg string) string {
		var s string
		s, buf = messageID(buf, src, kind, records.Record{Key: key, Message: []byte(msg)})
		return s
	}
	// Computed by the first version: sha256.New, fmt.Fprintf(h,
	// "%s\x00%s\x00%s\x00", src, kind, key), h.Write(message).
	for _, c := range []struct{ src, kind, key, msg, want string }{
		{"shop-1", "orders", "WEB-1000000", `{"type":"track","event":"Order Completed"}`, "imp-2ade80e698cdf0138b64502dc4ef4fbf"},
		{"shop-1", "customers", "C-1", `{"type":"identify","userId":"C-1"}`, "imp-04677fa4caba0e414db5b29a06dbdde7"},
	} {
		got := id(c.src, records.Kind(c.kind), c.key, c.msg)
		if got != c.want {
			t.Errorf("%s/%s/%s: %s, want %s", c.src, c.kind, c.key, got, c.want)
		}
	}
	a := id("s", "orders", "k", `{"a":1}`)
	for _, other := range []string{id("t", "orders", "k", `{"a":1}`), id("s", "customers", "k", `{"a":1}`),
		id("s", "orders", "k2", `{"a":1}`), id("s", "orders", "k", `{"a":2}`)} {
		if other == a {
			t.Errorf("two different rows share id %s", a)
		}
	}
	if got := id("s", "orders", "k", `{"a":1}`); got != a {
		t.Errorf("same row, ids %s and %s", a, got)
	}
	if got := id("s", "events", "", `{"type":"track","messageId":"own-1"}`); got != "" {
		t.Errorf("a message with its own messageId got %q", got)
	}
}
