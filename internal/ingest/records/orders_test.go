package records

import (
	"strings"
	"testing"
)

const ordersCSV = `order_id,customer_id,email,anonymous_id,timestamp,currency,total,revenue,tax,shipping,discount,coupon,status,product_id,sku,name,price,quantity,category,gift_note,warehouse
A-100,c-1,ada@example.com,,2024-03-05 14:22:11,eur,0.30,0.30,0.05,0,-0.05,SPRING,paid,P-1,SKU-1,Mug,0.10,1,Kitchen,yes,BER
A-100,c-1,,,,,,,,,,,,P-2,SKU-2,Plate,0.20,1,Kitchen,yes,HAM
A-101,,,anon-7,2024-03-06,JPY,1980,1980,,,,,,P-9,SKU-9,Matcha,1980,1,Tea,,
A-102,c-2,,,2024-03-07T10:00:00+02:00,USD,25.00,,,,,,Cancelled,P-3,,Socks,12.50,2,,,
A-103,c-3,,,2024-03-08T10:00:00Z,USD,10,,,,,,refunded,P-4,,Hat,10,1,,,
A-104,,,,2024-03-09T00:00:00Z,GBP,5,,,,,,,,,,,,,,
`

func TestOrdersDefaultCSV(t *testing.T) {
	res := read(t, ordersCSV, KindOrders, FormatAuto, nil)
	if len(res.errs) != 0 {
		t.Fatalf("errors: %v", res.errs)
	}
	if len(res.recs) != 5 {
		t.Fatalf("got %d records, want 5", len(res.recs))
	}

	// two rows grouped, exact amounts
	r, m := res.recs[0], res.msgs[0]
	if r.Line != 2 || r.EndLine != 3 || r.Key != "A-100" {
		t.Errorf("A-100: lines %d-%d key %q", r.Line, r.EndLine, r.Key)
	}
	wantStr(t, m, "track", "type")
	wantStr(t, m, "Order Completed", "event")
	wantStr(t, m, "c-1", "userId")
	wantAbsent(t, m, "anonymousId")
	wantStr(t, m, "2024-03-05T14:22:11Z", "timestamp")
	wantStr(t, m, "A-100", "properties", "order_id")
	wantNum(t, m, "0.30", "properties", "total")
	wantNum(t, m, "0.30", "properties", "revenue")
	wantNum(t, m, "0.05", "properties", "tax")
	wantNum(t, m, "0", "properties", "shipping")
	wantNum(t, m, "0.05", "properties", "discount") // sign dropped
	wantStr(t, m, "SPRING", "properties", "coupon")
	wantStr(t, m, "EUR", "properties", "currency")
	wantStr(t, m, "paid", "properties", "status")
	wantStr(t, m, "ada@example.com", "context", "traits", "email")
	wantStr(t, m, "orders", "context", "import", "kind")
	wantNum(t, m, "2", "context", "import", "line")
	wantStr(t, m, "P-1", "properties", "products", 0, "product_id")
	wantStr(t, m, "SKU-1", "properties", "products", 0, "sku")
	wantStr(t, m, "Mug", "properties", "products", 0, "name")
	wantNum(t, m, "0.10", "properties", "products", 0, "price")
	wantNum(t, m, "1", "properties", "products", 0, "quantity")
	wantStr(t, m, "Kitchen", "properties", "products", 0, "category")
	wantNum(t, m, "0.20", "properties", "products", 1, "price")
	// extra columns: gift_note agrees on every row → order level;
	// warehouse differs → per product
	wantStr(t, m, "yes", "properties", "gift_note")
	wantAbsent(t, m, "properties", "products", 0, "gift_note")
	wantAbsent(t, m, "properties", "warehouse")
	wantStr(t, m, "BER", "properties", "products", 0, "warehouse")
	wantStr(t, m, "HAM", "properties", "products", 1, "warehouse")

	// JPY stays 1980, anonymous id kept
	m = res.msgs[1]
	wantNum(t, m, "1980", "properties", "total")
	wantNum(t, m, "1980", "properties", "products", 0, "price")
	wantStr(t, m, "anon-7", "anonymousId")
	wantAbsent(t, m, "userId")
	wantStr(t, m, "2024-03-06T00:00:00Z", "timestamp")
	wantAbsent(t, m, "context", "traits")

	// cancelled
	r, m = res.recs[2], res.msgs[2]
	wantStr(t, m, "Order Cancelled", "event")
	if r.Key != "A-102:cancelled" {
		t.Errorf("key = %q", r.Key)
	}
	wantStr(t, m, "2024-03-07T08:00:00Z", "timestamp")
	wantNum(t, m, "25.00", "properties", "total")

	// refunded
	r, m = res.recs[3], res.msgs[3]
	wantStr(t, m, "Order Refunded", "event")
	if r.Key != "A-103:refunded" {
		t.Errorf("key = %q", r.Key)
	}

	// no customer at all → derived anonymous id; no products
	m = res.msgs[4]
	wantStr(t, m, "order:A-104", "anonymousId")
	if p, ok := get(m, "properties", "products").([]any); !ok || len(p) != 0 {
		t.Errorf("products = %#v, want []", get(m, "properties", "products"))
	}
}

func TestOrderRowErrorQuarantinesWholeOrder(t *testing.T) {
	in := "order_id,timestamp,currency,total,product_id,price,quantity\n" +
		"B-1,2024-01-01,EUR,30,p1,10,1\n" +
		"B-1,,,,p2,12.3.4,1\n" + // bad price on the order's second row
		"B-1,,,,p3,10,1\n" +
		"B-2,2024-01-02,EUR,5,p1,5,1\n"
	res := read(t, in, KindOrders, FormatAuto, nil)
	if len(res.errs) != 1 || len(res.recs) != 1 {
		t.Fatalf("got %d records, %d errors", len(res.recs), len(res.errs))
	}
	e := res.errs[0]
	checkRowError(t, e, 3, "price", "12.3.4")
	if want := "B-1,2024-01-01,EUR,30,p1,10,1\nB-1,,,,p2,12.3.4,1\nB-1,,,,p3,10,1\n"; string(e.Raw) != want {
		t.Errorf("Raw = %q, want all three rows", e.Raw)
	}
	if res.recs[0].Key != "B-2" || res.order != "er" {
		t.Errorf("order of results = %q", res.order)
	}
}

func TestOrderConflictsAndMissing(t *testing.T) {
	in := "order_id,timestamp,currency,total,product_id,price,quantity\n" +
		"C-1,2024-01-01,EUR,10,p1,5,1\n" +
		"C-1,2024-01-01,USD,10,p2,5,1\n" + // currency conflicts
		"C-2,,EUR,10,p1,10,1\n" + // no date on any row
		"C-3,2024-01-01,,10,p1,10,1\n" + // amounts but no currency
		"C-4,2024-01-01,EUR,10.0,p1,10,1\n" +
		"C-4,2024-01-01,EUR,10.00,p2,0,1\n" + // same total written differently: fine
		",2024-01-01,EUR,1,p1,1,1\n" // no order id
	res := read(t, in, KindOrders, FormatAuto, nil)
	if len(res.recs) != 1 || res.recs[0].Key != "C-4" {
		t.Fatalf("records = %d, errors = %v", len(res.recs), res.errs)
	}
	if len(res.errs) != 4 {
		t.Fatalf("errors = %v", res.errs)
	}
	checkRowError(t, res.errs[0], 3, "currency", "USD")
	checkRowError(t, res.errs[1], 4, "timestamp", "")
	checkRowError(t, res.errs[2], 5, "currency", "")
	checkRowError(t, res.errs[3], 8, "order_id", "")
}

func TestOrdersNotConsecutive(t *testing.T) {
	in := "order_id,timestamp,currency,total,sku\n" +
		"D-1,2024-01-01,EUR,10,a\n" +
		"D-2,2024-01-01,EUR,10,b\n" +
		"D-1,2024-01-01,EUR,10,c\n" +
		"D-1,2024-01-01,EUR,10,d\n" +
		"D-3,2024-01-01,EUR,10,e\n"
	res := read(t, in, KindOrders, FormatAuto, nil)
	if len(res.recs) != 3 || len(res.errs) != 1 {
		t.Fatalf("records %d errors %v", len(res.recs), res.errs)
	}
	e := res.errs[0]
	checkRowError(t, e, 4, "order_id", "D-1")
	if strings.Count(string(e.Raw), "\n") != 2 {
		t.Errorf("Raw = %q, want both rows of the repeated group", e.Raw)
	}
	if res.order != "rrer" {
		t.Errorf("order = %q", res.order)
	}
}

func TestOrdersNegativeQuantityAndBadNumbers(t *testing.T) {
	in := "order_id,timestamp,currency,total,price,quantity\n" +
		"E-1,2024-01-01,EUR,10,10,-1\n" +
		"E-2,2024-01-01,EUR,\"1,000.00\",10,1\n" +
		"E-3,2024-01-01,EUR,€10,10,1\n" +
		"E-4,2024-01-01,EUR,1e3,10,1\n" +
		"E-5,2024-01-01,EUR,-10,10,1\n" +
		"E-6,2024-01-01,EUR,10,10,1.5\n" +
		"E-7,2024-01-01,XYZ,10,10,1\n" +
		"E-8,2024-02-30,EUR,10,10,1\n" +
		"E-9,2024-01-01,EUR,12345678901234567890,10,1\n" +
		"E-10,2024-01-01,EUR,10,10,2.0\n"
	res := read(t, in, KindOrders, FormatAuto, nil)
	want := []struct {
		line          int
		field, secret string
	}{
		{2, "quantity", "-1"},
		{3, "total", "1,000.00"},
		{4, "total", "€10"},
		{5, "total", "1e3"},
		{6, "total", "-10"},
		{7, "quantity", "1.5"},
		{8, "currency", "XYZ"},
		{9, "timestamp", "2024-02-30"},
		{10, "total", "12345678901234567890"},
	}
	if len(res.errs) != len(want) {
		t.Fatalf("errors: %v", res.errs)
	}
	for i, w := range want {
		checkRowError(t, res.errs[i], w.line, w.field, w.secret)
	}
	if len(res.recs) != 1 || res.recs[0].Key != "E-10" {
		t.Fatalf("records: %v", res.recs)
	}
	wantNum(t, res.msgs[0], "2", "properties", "products", 0, "quantity")
}

func TestOrdersLargeExactSums(t *testing.T) {
	// Amazon sums: 0.1 + 0.2 item prices must be exactly 0.3
	in := "amazon-order-id\tpurchase-date\torder-status\tsales-channel\tsku\tquantity\tcurrency\titem-price\titem-tax\n" +
		"1\t2024-01-01T00:00:00Z\tShipped\tAmazon.com\ta\t1\tUSD\t0.1\t0.01\n" +
		"1\t2024-01-01T00:00:00Z\tShipped\tAmazon.com\tb\t1\tUSD\t0.2\t0.02\n"
	am, _ := ReadyMapping("amazon")
	res := read(t, in, KindOrders, FormatAuto, am)
	if len(res.errs) != 0 || len(res.recs) != 1 {
		t.Fatalf("%v", res.errs)
	}
	wantNum(t, res.msgs[0], "0.3", "properties", "subtotal")
	wantNum(t, res.msgs[0], "0.03", "properties", "tax")
	wantNum(t, res.msgs[0], "0.33", "properties", "total") // US prices exclude tax
	wantNum(t, res.msgs[0], "0.3", "properties", "revenue")
}

func TestOrdersMappingPinsExtras(t *testing.T) {
	m, err := ParseMapping("Bestellnummer=order_id,Datum=timestamp,Waehrung=currency,Summe=total,Artikel=sku,Lager=property.warehouse,Farbe=product.color,Intern=ignore,Kundennr=customer_id,Notiz=trait.note")
	if err != nil {
		t.Fatal(err)
	}
	in := "Bestellnummer;Datum;Waehrung;Summe;Artikel;Lager;Farbe;Intern;Kundennr;Notiz\n" +
		"F-1;2024-05-01;EUR;19,99;S1;BER;rot;x;k1;call first\n"
	res := read(t, in, KindOrders, FormatAuto, m)
	if len(res.errs) != 0 || len(res.recs) != 1 {
		t.Fatalf("%v", res.errs)
	}
	msg := res.msgs[0]
	wantNum(t, msg, "19.99", "properties", "total") // decimal comma in a semicolon file
	wantStr(t, msg, "BER", "properties", "warehouse")
	wantStr(t, msg, "rot", "properties", "products", 0, "color")
	wantStr(t, msg, "call first", "context", "traits", "note")
	wantStr(t, msg, "k1", "userId")
	if strings.Contains(string(res.recs[0].Message), `"x"`) {
		t.Error("ignored column leaked")
	}
}

func TestUnparsableRowJoinsItsOrder(t *testing.T) {
	in := "order_id,timestamp,currency,total,sku,note\n" +
		"G-1,2024-01-01,EUR,10,a,x\n" +
		"G-1,2024-01-01,EUR,10,b\n" + // too few fields, but its order id is readable
		"G-1,2024-01-01,EUR,10,c,x\n" +
		"G-2,2024-01-01,EUR,10,d,\"bad\"quote\n" + // malformed quoting in the first row of G-2
		"G-2,2024-01-01,EUR,10,e,x\n" +
		"\"G-3,2024-01-01,EUR,10,f,x\n" + // unterminated quote: no order id, reported alone
		"G-4,2024-01-01,EUR,10,g,x\n"
	res := read(t, in, KindOrders, FormatAuto, nil)
	if len(res.recs) != 1 || len(res.errs) != 3 || res.order != "eeer" {
		t.Fatalf("records %d errors %v order %q", len(res.recs), res.errs, res.order)
	}
	checkRowError(t, res.errs[0], 3, "note", "")
	if strings.Count(string(res.errs[0].Raw), "G-1") != 3 {
		t.Errorf("G-1 raw = %q", res.errs[0].Raw)
	}
	checkRowError(t, res.errs[1], 5, "note", "")
	if strings.Count(string(res.errs[1].Raw), "G-2") != 2 {
		t.Errorf("G-2 raw = %q", res.errs[1].Raw)
	}
	checkRowError(t, res.errs[2], 7, "order_id", "")
	if res.recs[0].Key != "G-4" || res.recs[0].Line != 8 {
		t.Errorf("G-4 = %+v", res.recs[0])
	}
}
