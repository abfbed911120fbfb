package app

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/tradewind/tradewind/internal/api"
)

const ordersCSV = `order_id,customer_id,timestamp,currency,total,tax,shipping,product_id,price,quantity
1001,c1,2026-03-02T10:00:00Z,EUR,30.10,5.10,0,p1,12.50,2
1002,c2,2026-03-03,EUR,19.99,0,0,p2,19.99,1
1003,c3,not-a-date,EUR,5,0,0,p3,5,1
1004,c1,2026-03-04 09:30:00,JPY,1980,180,0,p4,1800,1
1004,c1,2026-03-04 09:30:00,JPY,1980,180,0,p5,0,1
1005,c4,2026-03-05,EUR,abc,0,0,p6,1,1
`

// TestImportOrdersCSV imports a CSV with two bad rows: the good orders are
// stored, each bad row is reported with its line and column, and importing
// the same file again adds nothing.
func TestImportOrdersCSV(t *testing.T) {
	n := openNode(t, Config{})
	id, _ := n.createSource("Shopify EU", "EUR")
	ctx := context.Background()
	rep, err := n.a.Import(ctx, api.ImportRequest{SourceID: id, Kind: "orders", Body: strings.NewReader(ordersCSV), KeepRaw: true})
	if err != nil {
		t.Fatal(err)
	}
	if rep.Accepted != 3 || rep.Duplicates != 0 || rep.Quarantined != 2 {
		t.Fatalf("first import: %+v", rep)
	}
	lines := map[int]string{}
	for _, r := range rep.Rejects {
		lines[r.Line] = r.Field
		if strings.Contains(r.Reason, "abc") || strings.Contains(r.Reason, "not-a-date") {
			t.Errorf("reason quotes the value: %q", r.Reason)
		}
	}
	if lines[4] != "timestamp" || lines[7] != "total" {
		t.Fatalf("rejects by line = %v, want line 4 timestamp and line 7 total", lines)
	}
	// The importer reports only after the store has the rows.
	res := n.query("SELECT count(*), sum(total_base IS NULL) FROM orders")
	if res.Rows[0][0] != float64(3) {
		t.Fatalf("orders after import = %v", res.Rows[0])
	}
	res = n.query("SELECT count(*) FROM order_items WHERE order_id = '1004'")
	if res.Rows[0][0] != float64(2) {
		t.Fatalf("order 1004 items = %v, want 2 (rows grouped)", res.Rows[0][0])
	}
	res = n.query("SELECT count(*) FROM quarantine WHERE origin = 'import' AND line IN (4, 7)")
	if res.Rows[0][0] != float64(2) {
		t.Fatalf("quarantine rows = %v", res.Rows[0][0])
	}
	rep, err = n.a.Import(ctx, api.ImportRequest{SourceID: id, Kind: "orders", Body: strings.NewReader(ordersCSV)})
	if err != nil {
		t.Fatal(err)
	}
	if rep.Accepted != 0 || rep.Duplicates != 3 || rep.Quarantined != 2 {
		t.Fatalf("re-import: %+v, want 0 accepted, 3 duplicates", rep)
	}
	if res := n.query("SELECT count(*) FROM events"); res.Rows[0][0] != float64(3) {
		t.Fatalf("events after re-import = %v, want 3", res.Rows[0][0])
	}
	// A header without a required column fails before anything is read.
	if _, err := n.a.Import(ctx, api.ImportRequest{SourceID: id, Kind: "orders", Body: strings.NewReader("customer_id,total\nc1,5\n")}); err == nil {
		t.Fatal("a file without order_id was accepted")
	}
	if _, err := n.a.Import(ctx, api.ImportRequest{SourceID: "nope", Kind: "orders", Body: strings.NewReader(ordersCSV)}); err == nil {
		t.Fatal("an unknown source was accepted")
	}
}

// TestImportReportsStoreDuplicates: once JetStream's short duplicate window
// has passed, the store finds the duplicates, and the importer waits for its
// verdict before reporting them.
func TestImportReportsStoreDuplicates(t *testing.T) {
	n := openNode(t, Config{LogDuplicateWindow: 200 * time.Millisecond})
	id, _ := n.createSource("Site", "USD")
	ctx := context.Background()
	ndjson := `{"type":"track","userId":"u1","event":"Signed Up","messageId":"s-1"}
{"type":"track","userId":"u2","event":"Signed Up","messageId":"s-2"}
`
	if rep, err := n.a.Import(ctx, api.ImportRequest{SourceID: id, Kind: "events", Body: strings.NewReader(ndjson)}); err != nil || rep.Accepted != 2 {
		t.Fatalf("first: %+v %v", rep, err)
	}
	time.Sleep(400 * time.Millisecond) // past JetStream's window
	rep, err := n.a.Import(ctx, api.ImportRequest{SourceID: id, Kind: "events", Body: strings.NewReader(ndjson)})
	if err != nil || rep.Accepted != 0 || rep.Duplicates != 2 {
		t.Fatalf("second: %+v %v", rep, err)
	}
	if res := n.query("SELECT count(*) FROM events"); res.Rows[0][0] != float64(2) {
		t.Fatalf("events = %v, want 2", res.Rows[0][0])
	}
}
