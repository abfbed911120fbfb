package records

import (
	"strings"
	"testing"
)

func TestCustomersCSV(t *testing.T) {
	in := "\ufeffCustomer ID,Email,Phone,First Name,Last Name,Country,City,Language,Created At,Updated At,Loyalty Tier\n" +
		"k-1,Ada@Example.com,+49 30 1,Ada,Lovelace,DE,Berlin,de,2023-01-02,2024-05-01T08:00:00Z,gold\n" +
		",bob@example.com,,Bob,,,,,,,\n" +
		",,,,,,,,,,silver\n" + // no identity at all
		"k-3,not-an-email,,,,,,,,,\n"
	res := read(t, in, KindCustomers, FormatAuto, nil)
	if len(res.recs) != 2 || len(res.errs) != 2 {
		t.Fatalf("records %d errors %v", len(res.recs), res.errs)
	}
	m := res.msgs[0]
	wantStr(t, m, "identify", "type")
	wantStr(t, m, "k-1", "userId")
	wantStr(t, m, "2024-05-01T08:00:00Z", "timestamp")
	wantStr(t, m, "Ada@Example.com", "traits", "email")
	wantStr(t, m, "+49 30 1", "traits", "phone")
	wantStr(t, m, "Ada", "traits", "firstName")
	wantStr(t, m, "Lovelace", "traits", "lastName")
	wantStr(t, m, "DE", "traits", "address", "country")
	wantStr(t, m, "Berlin", "traits", "address", "city")
	wantStr(t, m, "de", "traits", "language")
	wantStr(t, m, "2023-01-02T00:00:00Z", "traits", "createdAt")
	wantStr(t, m, "gold", "traits", "loyalty_tier") // extra column kept as a trait
	wantNum(t, m, "2", "context", "import", "line")
	if res.recs[0].Key != "k-1" {
		t.Errorf("key = %q", res.recs[0].Key)
	}

	m = res.msgs[1]
	wantAbsent(t, m, "userId")
	anon, _ := get(m, "anonymousId").(string)
	if !strings.HasPrefix(anon, "email-") || strings.Contains(anon, "bob") {
		t.Errorf("anonymousId = %q, want a hash of the e-mail", anon)
	}
	if k := res.recs[1].Key; !strings.HasPrefix(k, "email-sha256:") || strings.Contains(k, "bob") {
		t.Errorf("key = %q", k)
	}
	wantAbsent(t, m, "timestamp")

	checkRowError(t, res.errs[0], 4, "Customer ID", "")
	checkRowError(t, res.errs[1], 5, "Email", "not-an-email")
}

func TestReviewsCSV(t *testing.T) {
	in := "review_id,product_id,customer_id,rating,title,body,language,timestamp,source\n" +
		"R1,P1,k-1,5,Great,\"Lovely mug.\nWould buy again.\",en,2024-02-01T10:00:00Z,trustpilot\n" +
		",P2,,4.5,,Gut,de,2024-02-02,\n" +
		"R3,P1,k-2,6,,,,2024-02-03,\n" +
		"R4,P1,k-2,0,,,,2024-02-03,\n" +
		"R5,P1,k-2,five,,,,2024-02-03,\n" +
		"R6,,k-2,3,,,,2024-02-03,\n"
	res := read(t, in, KindReviews, FormatAuto, nil)
	if len(res.recs) != 2 {
		t.Fatalf("records %d errors %v", len(res.recs), res.errs)
	}
	m := res.msgs[0]
	wantStr(t, m, "Product Reviewed", "event")
	wantStr(t, m, "k-1", "userId")
	wantStr(t, m, "P1", "properties", "product_id")
	wantStr(t, m, "R1", "properties", "review_id")
	wantStr(t, m, "Lovely mug.\nWould buy again.", "properties", "review_body")
	wantStr(t, m, "Great", "properties", "review_title")
	wantNum(t, m, "5", "properties", "rating")
	wantStr(t, m, "trustpilot", "properties", "source")
	if r := res.recs[0]; r.Line != 2 || r.EndLine != 3 || r.Key != "R1" {
		t.Errorf("R1: lines %d-%d key %q", r.Line, r.EndLine, r.Key)
	}
	m = res.msgs[1]
	wantNum(t, m, "4.5", "properties", "rating")
	if r := res.recs[1]; r.Line != 4 || r.Key != "P2||2024-02-02T00:00:00Z" {
		t.Errorf("review without id: line %d key %q", r.Line, r.Key)
	}
	wantStr(t, m, "review:P2||2024-02-02T00:00:00Z", "anonymousId")

	if len(res.errs) != 4 {
		t.Fatalf("errors %v", res.errs)
	}
	checkRowError(t, res.errs[0], 5, "rating", "6")
	checkRowError(t, res.errs[1], 6, "rating", "")
	checkRowError(t, res.errs[2], 7, "rating", "five")
	checkRowError(t, res.errs[3], 8, "product_id", "")
}

func TestAdSpendCSV(t *testing.T) {
	in := "date,channel,campaign,spend,currency,impressions,clicks,marketplace,ad_group\n" +
		"2024-03-01,meta,spring,120.10,EUR,10000,250,DE,a\n" +
		"2024-03-01,meta,spring,0.20,EUR,10,1,DE,b\n" +
		"2024-03-01,google,,1980,JPY,,,,\n" +
		"03/01/2024,google,x,1,EUR,,,,\n" +
		"2024-03-02,google,x,-1,EUR,,,,\n" +
		"2024-03-02,google,x,1,,,,,\n" +
		"2024-03-02,google,x,1,EUR,-5,,,\n"
	res := read(t, in, KindAdSpend, FormatAuto, nil)
	if len(res.recs) != 3 {
		t.Fatalf("records %d errors %v", len(res.recs), res.errs)
	}
	m := res.msgs[0]
	wantStr(t, m, "ad_spend", "type")
	wantAbsent(t, m, "userId")
	wantAbsent(t, m, "anonymousId")
	wantStr(t, m, "2024-03-01T00:00:00Z", "timestamp")
	wantStr(t, m, "2024-03-01", "properties", "date")
	wantStr(t, m, "meta", "properties", "channel")
	wantStr(t, m, "spring", "properties", "campaign")
	wantNum(t, m, "120.10", "properties", "spend")
	wantStr(t, m, "EUR", "properties", "currency")
	wantNum(t, m, "10000", "properties", "impressions")
	wantNum(t, m, "250", "properties", "clicks")
	wantStr(t, m, "DE", "properties", "marketplace")
	wantStr(t, m, "a", "properties", "ad_group")
	if res.recs[0].Key != "2024-03-01|meta|spring|marketplace=DE|ad_group=a" {
		t.Errorf("key = %q", res.recs[0].Key)
	}
	if res.recs[0].Key == res.recs[1].Key {
		t.Error("rows at a finer grain must keep distinct keys")
	}
	wantNum(t, res.msgs[2], "1980", "properties", "spend")
	if res.recs[2].Key != "2024-03-01|google|" {
		t.Errorf("key = %q", res.recs[2].Key)
	}
	if len(res.errs) != 4 {
		t.Fatalf("errors %v", res.errs)
	}
	checkRowError(t, res.errs[0], 5, "date", "03/01/2024")
	checkRowError(t, res.errs[1], 6, "spend", "-1")
	checkRowError(t, res.errs[2], 7, "currency", "")
	checkRowError(t, res.errs[3], 8, "impressions", "-5")
}

func TestEventsCSV(t *testing.T) {
	in := "type,event,name,user_id,anonymous_id,group_id,previous_id,timestamp,message_id,plan,trait.vip\n" +
		",Signed Up,,u1,,,,2024-01-01T00:00:00Z,m-1,pro,yes\n" +
		"identify,,,u1,,,,,,pro,yes\n" +
		"page,,Home,,a1,,,,,,\n" +
		"group,,,u1,,g1,,,,team,\n" +
		"alias,,,u2,,,a1,,,,\n" +
		"track,,,u1,,,,,,,\n" + // track without event
		"shout,x,,u1,,,,,,,\n" + // unknown type
		"track,x,,,,,,,,,\n" // no identity
	m, err := ParseMapping("trait.vip=trait.vip")
	if err != nil {
		t.Fatal(err)
	}
	res := read(t, in, KindEvents, FormatAuto, m)
	if len(res.recs) != 5 {
		t.Fatalf("records %d errors %v", len(res.recs), res.errs)
	}
	x := res.msgs[0]
	wantStr(t, x, "track", "type")
	wantStr(t, x, "Signed Up", "event")
	wantStr(t, x, "pro", "properties", "plan")
	wantStr(t, x, "yes", "context", "traits", "vip")
	if res.recs[0].Key != "m-1" {
		t.Errorf("key = %q", res.recs[0].Key)
	}
	wantStr(t, res.msgs[1], "pro", "traits", "plan")
	wantStr(t, res.msgs[1], "yes", "traits", "vip")
	wantStr(t, res.msgs[2], "Home", "name")
	wantStr(t, res.msgs[3], "g1", "groupId")
	wantStr(t, res.msgs[4], "a1", "previousId")
	if res.recs[1].Key != "" {
		t.Errorf("a row without message_id has Key %q", res.recs[1].Key)
	}
	if len(res.errs) != 3 {
		t.Fatalf("errors %v", res.errs)
	}
	checkRowError(t, res.errs[0], 7, "event", "")
	checkRowError(t, res.errs[1], 8, "type", "shout")
	checkRowError(t, res.errs[2], 9, "user_id", "")
}

func TestNDJSON(t *testing.T) {
	long := `{"type":"track","event":"x","userId":"u","properties":{"pad":"` + strings.Repeat("a", MaxLineBytes) + `"}}`
	in := "\ufeff" + `{"type":"track","event":"Order Completed","userId":"u1","messageId":"mid-1","properties":{"total":19.99}}` + "\n" +
		"\n" +
		"   \n" +
		`{"type":"identify","userId":"u1","traits":{"email":"secret@example.com"}` + "\n" + // broken JSON
		`["not","an","object"]` + "\n" +
		long + "\n" +
		"{\"type\":\"page\",\"anonymousId\":\"a\"}\r\n" +
		`{"a":1} {"b":2}` + "\n" +
		`{"type":"screen","anonymousId":"a"}` // no final newline
	res := read(t, in, KindEvents, FormatAuto, nil)
	if len(res.recs) != 3 {
		t.Fatalf("records %d errors %v", len(res.recs), res.errs)
	}
	if r := res.recs[0]; r.Line != 1 || r.Key != "" || !strings.Contains(string(r.Message), `"messageId":"mid-1"`) {
		t.Errorf("first record %+v", r)
	}
	if !strings.Contains(string(res.recs[0].Message), `"total":19.99`) {
		t.Error("NDJSON must pass through unchanged")
	}
	if res.recs[1].Line != 7 || string(res.recs[1].Message) != `{"type":"page","anonymousId":"a"}` {
		t.Errorf("CRLF line: %d %q", res.recs[1].Line, res.recs[1].Message)
	}
	if res.recs[2].Line != 9 {
		t.Errorf("last line = %d", res.recs[2].Line)
	}
	if len(res.errs) != 4 {
		t.Fatalf("errors %v", res.errs)
	}
	checkRowError(t, res.errs[0], 4, "", "secret@example.com")
	checkRowError(t, res.errs[1], 5, "", "")
	checkRowError(t, res.errs[2], 6, "", "")
	if len(res.errs[2].Raw) != len(long)+1 {
		t.Errorf("raw of the long line has %d bytes", len(res.errs[2].Raw))
	}
	checkRowError(t, res.errs[3], 8, "", "")
}

func TestNDJSONExplicitAndEmpty(t *testing.T) {
	res := read(t, "", KindOrders, FormatNDJSON, nil)
	if len(res.recs)+len(res.errs) != 0 {
		t.Error("empty input must give nothing")
	}
	res = read(t, "\n\n", KindOrders, FormatAuto, nil)
	if len(res.recs)+len(res.errs) != 0 {
		t.Error("blank input must give nothing")
	}
	m, _ := ReadyMapping("shopify")
	if _, err := NewReader(strings.NewReader(`{"type":"track"}`), KindOrders, FormatAuto, m); err == nil {
		t.Error("a mapping with NDJSON must fail")
	}
	if _, err := NewReader(strings.NewReader(`[{"type":"track"}]`), KindEvents, FormatAuto, nil); err == nil {
		t.Error("a JSON array must fail")
	}
}
