package records

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func TestQuotedNewlinesKeepLineNumbers(t *testing.T) {
	in := "review_id,product_id,rating,body,timestamp\r\n" +
		"R1,P1,5,\"first line\r\nsecond line\r\nthird, with comma\",2024-01-01\r\n" +
		"R2,P1,4,\"she said \"\"hi\"\"\",2024-01-02\r\n" +
		"\r\n" +
		"R3,P1,9,\"multi\nline\",2024-01-03\r\n" + // bad rating on a 2-line record
		"R4,P1,3,plain,2024-01-04\r\n"
	res := read(t, in, KindReviews, FormatCSV, nil)
	if len(res.recs) != 3 || len(res.errs) != 1 {
		t.Fatalf("records %d errors %v", len(res.recs), res.errs)
	}
	lines := [][2]int{{2, 4}, {5, 5}, {9, 9}}
	for i, r := range res.recs {
		if r.Line != lines[i][0] || r.EndLine != lines[i][1] {
			t.Errorf("record %d: lines %d-%d, want %v", i, r.Line, r.EndLine, lines[i])
		}
	}
	wantStr(t, res.msgs[0], "first line\nsecond line\nthird, with comma", "properties", "review_body")
	wantStr(t, res.msgs[1], `she said "hi"`, "properties", "review_body")
	checkRowError(t, res.errs[0], 7, "rating", "9")
	if string(res.errs[0].Raw) != "R3,P1,9,\"multi\nline\",2024-01-03\r\n" {
		t.Errorf("Raw = %q", res.errs[0].Raw)
	}
	if res.order != "rrer" {
		t.Errorf("order %q", res.order)
	}
}

func TestUnterminatedQuoteRecovers(t *testing.T) {
	in := "review_id,product_id,rating,body,timestamp\n" +
		"R1,P1,5,\"never closed,2024-01-01\n" +
		"R2,P1,4,fine,2024-01-02\n" +
		"R3,P1,3,fine,2024-01-03\n"
	res := read(t, in, KindReviews, FormatAuto, nil)
	if len(res.errs) != 1 || len(res.recs) != 2 {
		t.Fatalf("records %d errors %v", len(res.recs), res.errs)
	}
	checkRowError(t, res.errs[0], 2, "body", "never closed")
	if string(res.errs[0].Raw) != "R1,P1,5,\"never closed,2024-01-01\n" {
		t.Errorf("Raw = %q", res.errs[0].Raw)
	}
	if res.recs[0].Line != 3 || res.recs[1].Line != 4 {
		t.Errorf("lines after recovery: %d, %d", res.recs[0].Line, res.recs[1].Line)
	}
}

func TestMalformedQuoteAndColumnCounts(t *testing.T) {
	in := "review_id,product_id,rating,body,timestamp\n" +
		"R1,P1,5,\"quoted\"tail,2024-01-01\n" + // text after closing quote
		"R2,P1,5\n" + // too few fields
		"R3,P1,5,x,2024-01-01,surplus\n" + // too many non-empty fields
		"R4,P1,5,x,2024-01-01,,\n" + // trailing empty fields: fine
		",,,,\n" + // all empty: skipped
		"R5,P1,5,mid\"quote,2024-01-01\n" // a quote inside an unquoted field is a character
	res := read(t, in, KindReviews, FormatAuto, nil)
	if len(res.recs) != 2 || len(res.errs) != 3 {
		t.Fatalf("records %d errors %v", len(res.recs), res.errs)
	}
	checkRowError(t, res.errs[0], 2, "body", "")
	checkRowError(t, res.errs[1], 3, "body", "")
	checkRowError(t, res.errs[2], 4, "", "surplus")
	if res.recs[0].Line != 5 || res.recs[1].Line != 7 {
		t.Errorf("lines %d %d", res.recs[0].Line, res.recs[1].Line)
	}
	wantStr(t, res.msgs[1], `mid"quote`, "properties", "review_body")
}

func TestSemicolonCSVWithBOMAndDecimalComma(t *testing.T) {
	in := "\ufeffdate;channel;campaign;spend;currency\n" +
		"2024-03-01;meta;\"Frühling; DE\";1234,56;eur\n" +
		"2024-03-02;meta;x;12.5;EUR\n" +
		"2024-03-03;meta;x;1.234,56;EUR\n" // thousands separator: rejected
	r, err := NewReader(strings.NewReader(in), KindAdSpend, FormatAuto, nil)
	if err != nil {
		t.Fatal(err)
	}
	if r.Delimiter() != ';' || r.Format() != FormatCSV {
		t.Errorf("delimiter %q format %s", r.Delimiter(), r.Format())
	}
	if string(r.Header()) != "date;channel;campaign;spend;currency\n" {
		t.Errorf("header %q (BOM must be stripped)", r.Header())
	}
	res := drain(t, r)
	if len(res.recs) != 2 || len(res.errs) != 1 {
		t.Fatalf("records %d errors %v", len(res.recs), res.errs)
	}
	wantNum(t, res.msgs[0], "1234.56", "properties", "spend")
	wantStr(t, res.msgs[0], "Frühling; DE", "properties", "campaign")
	wantStr(t, res.msgs[0], "EUR", "properties", "currency")
	wantNum(t, res.msgs[1], "12.5", "properties", "spend")
	checkRowError(t, res.errs[0], 4, "spend", "1.234,56")
}

func TestTabDelimitedAuto(t *testing.T) {
	in := "date\tchannel\tspend\tcurrency\tnote\n2024-03-01\ttiktok\t5\tUSD\t\"a\tb\"\n"
	res := read(t, in, KindAdSpend, FormatAuto, nil)
	if len(res.recs) != 1 {
		t.Fatalf("%v", res.errs)
	}
	wantStr(t, res.msgs[0], "a\tb", "properties", "note") // quoting honoured in auto mode
	// FormatTSV: quotes are characters
	in = "date\tchannel\tspend\tcurrency\tnote\n2024-03-01\ttiktok\t5\tUSD\t12\" pan \"deluxe\"\n"
	res = read(t, in, KindAdSpend, FormatTSV, nil)
	if len(res.recs) != 1 {
		t.Fatalf("%v", res.errs)
	}
	wantStr(t, res.msgs[0], `12" pan "deluxe"`, "properties", "note")
}

func TestInvalidUTF8(t *testing.T) {
	in := "customer_id,first_name\nk1,J\xfcrgen\nk2,Ok\n"
	res := read(t, in, KindCustomers, FormatAuto, nil)
	if len(res.recs) != 1 || len(res.errs) != 1 {
		t.Fatalf("records %d errors %v", len(res.recs), res.errs)
	}
	checkRowError(t, res.errs[0], 2, "first_name", "J\xfcrgen")
}

func TestHeaderErrors(t *testing.T) {
	cases := []struct {
		name, in string
		kind     Kind
		m        string // mapping spec, "" for none
		want     string // substring of the error
	}{
		{"missing required", "order_id,currency\nA,EUR\n", KindOrders, "", `"timestamp"`},
		{"missing one of", "first_name\nx\n", KindCustomers, "", `one of "customer_id", "email", "anonymous_id"`},
		{"duplicate column", "order_id,timestamp,Order ID\n", KindOrders, "", `"Order ID"`},
		{"two columns one field", "order_id,timestamp,created_at\n", KindOrders, "", `"timestamp" and "created_at"`},
		{"mapped column absent", "order_id,timestamp\n", KindOrders, "Bestellnr=order_id", `"Bestellnr"`},
		{"unknown target", "nr,timestamp\n", KindOrders, "nr=order_identifier", `"nr"`},
		{"product target on reviews", "review_id,product_id,rating,timestamp,x\n", KindReviews, "x=product.color", `"x"`},
		{"property target on customers", "customer_id,x\n", KindCustomers, "x=property.y", `"x"`},
		{"bad default", "order_id,timestamp\n", KindOrders, `{"defaults":{"currency":"EURO"}}`, "currency"},
		{"mapping for another kind", "order_id,timestamp\n", KindOrders, `{"kind":"reviews","columns":{"order_id":"review_id"}}`, "reviews"},
		{"unclosed quote in header", "order_id,\"timestamp\n", KindOrders, "", "header"},
	}
	for _, c := range cases {
		var m *Mapping
		if c.m != "" {
			var err error
			m, err = ParseMapping(c.m)
			if err != nil {
				t.Fatalf("%s: ParseMapping: %v", c.name, err)
			}
		}
		_, err := NewReader(strings.NewReader(c.in), c.kind, FormatAuto, m)
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: err = %v, want it to mention %s", c.name, err, c.want)
		}
	}
	if _, err := NewReader(strings.NewReader("x"), "invoices", FormatAuto, nil); err == nil {
		t.Error("unknown kind accepted")
	}
	if _, err := NewReader(strings.NewReader("x"), KindOrders, "xlsx", nil); err == nil {
		t.Error("unknown format accepted")
	}
	if _, err := NewReader(strings.NewReader("\xff\xfeo\x00"), KindOrders, FormatAuto, nil); err == nil || !strings.Contains(err.Error(), "UTF-16") {
		t.Errorf("UTF-16: %v", err)
	}
	am, _ := ReadyMapping("amazon")
	if _, err := NewReader(strings.NewReader("amazon-order-id\n"), KindReviews, FormatAuto, am); err == nil {
		t.Error("ready mapping for orders accepted for reviews")
	}
}

func TestParseMapping(t *testing.T) {
	m, err := ParseMapping(`"Order, No"=order_id, Datum = timestamp ,Notes=ignore`)
	if err != nil {
		t.Fatal(err)
	}
	in := "\"Order, No\",Datum,Notes,Currency\nX1,2024-01-01,secret,EUR\n"
	res := read(t, in, KindOrders, FormatAuto, m)
	if len(res.recs) != 1 {
		t.Fatalf("%v", res.errs)
	}
	wantStr(t, res.msgs[0], "X1", "properties", "order_id")
	if strings.Contains(string(res.recs[0].Message), "secret") {
		t.Error("ignored column imported")
	}

	dir := t.TempDir()
	path := filepath.Join(dir, "map.json")
	os.WriteFile(path, []byte(`{"kind":"orders","columns":{"Nr":"order_id","Tag":"timestamp"},"defaults":{"currency":"CHF"}}`), 0o600)
	m, err = ParseMapping(path)
	if err != nil {
		t.Fatal(err)
	}
	res = read(t, "Nr,Tag,Betrag\nN1,2024-01-01,10.50\n", KindOrders, FormatAuto, m)
	if len(res.recs) != 1 {
		t.Fatalf("%v", res.errs)
	}
	wantStr(t, res.msgs[0], "CHF", "properties", "currency") // from defaults
	wantStr(t, res.msgs[0], "10.50", "properties", "betrag") // unknown column kept (as text)

	for _, bad := range []string{"", "no-equals-sign", `{"columns":{"a":"b"},"extra":1}`, "a=b,A=c", "/nonexistent/map.json", "=order_id"} {
		if _, err := ParseMapping(bad); err == nil {
			t.Errorf("ParseMapping(%q) accepted", bad)
		}
	}
	if _, err := ReadyMapping("ebay"); err == nil {
		t.Error("unknown ready mapping accepted")
	}
}

func TestParseTime(t *testing.T) {
	good := map[string]string{
		"2024-03-05":                     "2024-03-05T00:00:00Z",
		"2024-03-05 14:22:11":            "2024-03-05T14:22:11Z",
		"2024-03-05T14:22:11":            "2024-03-05T14:22:11Z",
		"2024-03-05T14:22":               "2024-03-05T14:22:00Z",
		"2024-03-05T14:22:11Z":           "2024-03-05T14:22:11Z",
		"2024-03-05T14:22:11.250Z":       "2024-03-05T14:22:11.25Z",
		"2024-03-05T14:22:11+01:00":      "2024-03-05T13:22:11Z",
		"2024-03-05 14:22:11 +0100":      "2024-03-05T13:22:11Z",
		"2024-03-05 14:22:11 -0700":      "2024-03-05T21:22:11Z",
		"2024-03-05T14:22:11-08":         "2024-03-05T22:22:11Z",
		"2024-03-05 14:22:11 UTC":        "2024-03-05T14:22:11Z",
		"2024-02-29":                     "2024-02-29T00:00:00Z",
		"2019-03-01T00:14:47-08:00":      "2019-03-01T08:14:47Z",
		"2024-12-31T23:30:00-01:00":      "2025-01-01T00:30:00Z",
		"2024-03-05T14:22:11.123456789Z": "2024-03-05T14:22:11.123456789Z",
	}
	for in, want := range good {
		tm, ok := ParseTime([]byte(in))
		if !ok {
			t.Errorf("%q rejected", in)
			continue
		}
		if got := tm.UTC().Format(time.RFC3339Nano); got != want {
			t.Errorf("%q → %s, want %s", in, got, want)
		}
	}
	for _, in := range []string{"", "2024", "05.03.2024", "03/05/2024", "2023-02-29", "2024-13-01", "2024-03-05 25:00:00",
		"2024-03-05T14:22:11+2", "2024-03-05T14:22:11 CET", "2024-03-05x", "2024-03-05T14:22:11.Z", "tomorrow"} {
		if _, ok := ParseTime([]byte(in)); ok {
			t.Errorf("%q accepted", in)
		}
	}
}

func TestParseAmount(t *testing.T) {
	for in, want := range map[string]string{"19.99": "19.99", "1980": "1980", "+5": "5", "0.10": "0.10", ".5": "0.5", "-0.05": "-0.05", "000123.40": "123.40"} {
		d, reason := parseAmount([]byte(in), false)
		if reason != "" || d.String() != want {
			t.Errorf("%q → %s %q, want %s", in, d, reason, want)
		}
	}
	for _, in := range []string{"", "-", ".", "1.2.3", "1e3", "1,5", "$5", "5 EUR", "NaN", "12345678901234567890", "0.12345678901234567890"} {
		if _, reason := parseAmount([]byte(in), false); reason == "" {
			t.Errorf("%q accepted", in)
		}
	}
	if d, reason := parseAmount([]byte("19,99"), true); reason != "" || d.String() != "19.99" {
		t.Errorf("decimal comma: %s %q", d, reason)
	}
}
