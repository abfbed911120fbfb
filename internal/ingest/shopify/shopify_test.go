package shopify

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func fixture(t *testing.T, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// mapOne maps a fixture and returns its single message, decoded with
// UseNumber so that amounts can be compared as exact text.
func mapOne(t *testing.T, topic, name string) (Message, map[string]any) {
	t.Helper()
	msgs, err := Map(topic, fixture(t, name))
	if err != nil {
		t.Fatalf("Map(%s, %s): %v", topic, name, err)
	}
	if len(msgs) != 1 {
		t.Fatalf("got %d messages, want 1", len(msgs))
	}
	dec := json.NewDecoder(strings.NewReader(string(msgs[0].JSON)))
	dec.UseNumber()
	var m map[string]any
	if err := dec.Decode(&m); err != nil {
		t.Fatalf("message is not JSON: %v\n%s", err, msgs[0].JSON)
	}
	return msgs[0], m
}

// at walks a decoded message by keys and array indexes.
func at(t *testing.T, v any, path ...any) any {
	t.Helper()
	for _, p := range path {
		switch k := p.(type) {
		case string:
			m, ok := v.(map[string]any)
			if !ok {
				t.Fatalf("at %v: not an object", path)
			}
			v = m[k]
		case int:
			a, ok := v.([]any)
			if !ok || k >= len(a) {
				t.Fatalf("at %v: not an array with index %d", path, k)
			}
			v = a[k]
		}
	}
	return v
}

// numText returns the JSON text of a number, failing if v is not a number.
func numText(t *testing.T, v any) string {
	t.Helper()
	n, ok := v.(json.Number)
	if !ok {
		t.Fatalf("%v (%T) is not a JSON number", v, v)
	}
	return n.String()
}

func TestOrdersCreate(t *testing.T) {
	msg, m := mapOne(t, "orders/create", "orders_create.json")
	if msg.Key != "orders/create:5830192847361" {
		t.Errorf("key = %q", msg.Key)
	}
	if _, ok := m["messageId"]; ok {
		t.Error("message must not carry messageId")
	}
	checks := map[string]any{
		"type":        "track",
		"event":       "Order Completed",
		"userId":      "shopify:7204118396929",
		"anonymousId": "shopify-order:5830192847361",
		"timestamp":   "2024-03-05T13:22:11Z",
	}
	for k, want := range checks {
		if got := m[k]; got != want {
			t.Errorf("%s = %v, want %v", k, got, want)
		}
	}
	props := m["properties"]
	money := map[string]string{
		"total":             "45.18",
		"subtotal":          "40.08",
		"revenue":           "40.08",
		"tax":               "7.21",
		"shipping":          "5.10", // 4.90 + 0.20, exactly
		"discount":          "4.00",
		"presentment_total": "49.09",
	}
	for k, want := range money {
		if got := numText(t, at(t, props, k)); got != want {
			t.Errorf("properties.%s = %s, want %s", k, got, want)
		}
	}
	strs := map[string]string{
		"order_id":             "5830192847361",
		"order_number":         "#1042",
		"currency":             "EUR",
		"presentment_currency": "USD",
		"coupon":               "SPRING4",
		"financial_status":     "paid",
		"source_name":          "web",
	}
	for k, want := range strs {
		if got := at(t, props, k); got != want {
			t.Errorf("properties.%s = %v, want %s", k, got, want)
		}
	}
	if got := at(t, props, "landing_site"); !strings.Contains(got.(string), "utm_source=instagram") {
		t.Errorf("landing_site = %v", got)
	}
	p0 := at(t, props, "products", 0)
	if at(t, p0, "product_id") != "8012345678901" || at(t, p0, "variant_id") != "44012345678901" ||
		at(t, p0, "sku") != "MUG-BAM-SAGE" || at(t, p0, "name") != "Bamboo Mug" ||
		at(t, p0, "variant") != "Sage" || at(t, p0, "brand") != "Tradewind Home" {
		t.Errorf("product 0 = %v", p0)
	}
	if numText(t, at(t, p0, "price")) != "19.99" || numText(t, at(t, p0, "quantity")) != "2" {
		t.Errorf("product 0 price/quantity = %v", p0)
	}
	if numText(t, at(t, props, "products", 1, "price")) != "0.10" {
		t.Errorf("product 1 price must keep its exact text 0.10")
	}
	traits := at(t, m, "context", "traits")
	if at(t, traits, "email") != "lena.fischer@example.de" || at(t, traits, "firstName") != "Lena" ||
		at(t, traits, "lastName") != "Fischer" || at(t, traits, "phone") != "+4917612345678" {
		t.Errorf("traits = %v", traits)
	}
	if at(t, traits, "address", "country") != "DE" || at(t, traits, "address", "city") != "Berlin" ||
		at(t, traits, "address", "postalCode") != "10435" {
		t.Errorf("address = %v", at(t, traits, "address"))
	}
	if at(t, m, "context", "locale") != "de-DE" || at(t, m, "context", "integration", "name") != "shopify" {
		t.Errorf("context = %v", m["context"])
	}
	// browser_ip is not copied anywhere
	if strings.Contains(string(msg.JSON), "203.0.113.24") {
		t.Error("browser IP leaked into the message")
	}
}

func TestOrdersCreateGuestJPY(t *testing.T) {
	msg, m := mapOne(t, "orders/create", "orders_create_guest_jpy.json")
	if _, ok := m["userId"]; ok {
		t.Errorf("guest order must not have userId: %s", msg.JSON)
	}
	if m["anonymousId"] != "shopify-order:6100000000000000001" {
		t.Errorf("anonymousId = %v (ids beyond 2^53 must stay exact)", m["anonymousId"])
	}
	if m["timestamp"] != "2024-04-01T00:30:00Z" {
		t.Errorf("timestamp = %v", m["timestamp"])
	}
	props := m["properties"]
	for k, want := range map[string]string{"total": "4580", "subtotal": "3960", "tax": "360", "shipping": "620", "discount": "0"} {
		if got := numText(t, at(t, props, k)); got != want {
			t.Errorf("%s = %s, want %s", k, got, want)
		}
	}
	if at(t, props, "currency") != "JPY" || at(t, props, "test") != true {
		t.Errorf("props = %v", props)
	}
	if _, ok := props.(map[string]any)["presentment_total"]; ok {
		t.Error("presentment_total only when the presentment currency differs")
	}
	if at(t, props, "products", 0, "name") != "抹茶 (Matcha) 40g" {
		t.Errorf("name = %v", at(t, props, "products", 0, "name"))
	}
	if _, ok := at(t, m, "context").(map[string]any)["traits"]; ok {
		t.Errorf("no traits expected for a guest without e-mail: %v", m["context"])
	}
}

func TestOrdersUpdated(t *testing.T) {
	msg, m := mapOne(t, "orders/updated", "orders_updated.json")
	if m["event"] != "Order Updated" {
		t.Errorf("event = %v", m["event"])
	}
	if msg.Key != "orders/updated:5830192847361:2024-03-06T09:15:00+01:00" {
		t.Errorf("key = %q", msg.Key)
	}
	if m["timestamp"] != "2024-03-06T08:15:00Z" {
		t.Errorf("timestamp = %v", m["timestamp"])
	}
	if at(t, m, "properties", "fulfillment_status") != "fulfilled" || at(t, m, "properties", "updated_at") != "2024-03-06T08:15:00Z" {
		t.Errorf("properties = %v", m["properties"])
	}
	if numText(t, at(t, m, "properties", "total")) != "45.18" {
		t.Error("updated order keeps the same amounts")
	}

	msg2, c := mapOne(t, "orders/updated", "orders_updated_cancelled.json")
	if c["event"] != "Order Cancelled" {
		t.Errorf("event = %v", c["event"])
	}
	if at(t, c, "properties", "cancel_reason") != "customer" || at(t, c, "properties", "cancelled_at") != "2024-03-07T09:00:00Z" {
		t.Errorf("properties = %v", c["properties"])
	}
	if msg2.Key == msg.Key {
		t.Error("two different states of an order must have different keys")
	}
}

func TestRefundsCreate(t *testing.T) {
	msg, m := mapOne(t, "refunds/create", "refunds_create.json")
	if msg.Key != "refunds/create:987654321012" {
		t.Errorf("key = %q", msg.Key)
	}
	if m["event"] != "Order Refunded" || m["anonymousId"] != "shopify-order:5830192847361" {
		t.Errorf("message = %s", msg.JSON)
	}
	if m["timestamp"] != "2024-03-12T15:05:41Z" {
		t.Errorf("timestamp = %v", m["timestamp"])
	}
	props := m["properties"]
	// 15.29 + 2.44 − (−4.90 − 0.00) − (0.10 + 0.00) = 22.53
	if got := numText(t, at(t, props, "total")); got != "22.53" {
		t.Errorf("total = %s, want 22.53", got)
	}
	if at(t, props, "currency") != "EUR" || at(t, props, "presentment_currency") != "USD" {
		t.Errorf("currencies = %v", props)
	}
	// only the successful refund transaction counts
	if numText(t, at(t, props, "transactions_total")) != "24.47" || at(t, props, "transactions_currency") != "USD" {
		t.Errorf("transactions = %v", props)
	}
	if at(t, props, "order_id") != "5830192847361" || at(t, props, "refund_id") != "987654321012" {
		t.Errorf("ids = %v", props)
	}
	p0 := at(t, props, "products", 0)
	if at(t, p0, "sku") != "MUG-BAM-SAGE" || numText(t, at(t, p0, "quantity")) != "1" ||
		numText(t, at(t, p0, "subtotal")) != "15.29" || numText(t, at(t, p0, "price")) != "19.99" {
		t.Errorf("product = %v", p0)
	}
}

func TestRefundAmountOnly(t *testing.T) {
	_, m := mapOne(t, "refunds/create", "refunds_create_amount_only.json")
	// 0.10 + 0.20 must be exactly 0.30
	if got := numText(t, at(t, m, "properties", "total")); got != "0.30" {
		t.Errorf("total = %s, want 0.30", got)
	}
	if at(t, m, "properties", "currency") != "EUR" {
		t.Errorf("currency = %v", at(t, m, "properties", "currency"))
	}
}

func TestDuplicateDeliveriesHaveEqualKeys(t *testing.T) {
	for _, c := range []struct{ topic, file string }{
		{"orders/create", "orders_create.json"},
		{"orders/updated", "orders_updated.json"},
		{"refunds/create", "refunds_create.json"},
	} {
		a, err1 := Map(c.topic, fixture(t, c.file))
		b, err2 := Map(c.topic, fixture(t, c.file))
		if err1 != nil || err2 != nil {
			t.Fatal(err1, err2)
		}
		if a[0].Key != b[0].Key || string(a[0].JSON) != string(b[0].JSON) {
			t.Errorf("%s: repeated delivery differs", c.topic)
		}
	}
	// orders/create and orders/updated of the same order never collide
	a, _ := Map("orders/create", fixture(t, "orders_create.json"))
	b, _ := Map("orders/updated", fixture(t, "orders_create.json"))
	if a[0].Key == b[0].Key {
		t.Error("create and update keys collide")
	}
}

func TestUnsupportedTopic(t *testing.T) {
	for _, topic := range []string{"products/create", "customers/create", "", "orders/delete"} {
		_, err := Map(topic, []byte(`{}`))
		if !errors.Is(err, ErrUnsupportedTopic) {
			t.Errorf("%q: err = %v, want ErrUnsupportedTopic", topic, err)
		}
	}
	if _, err := Map("ORDERS/CREATE", fixture(t, "orders_create.json")); err != nil {
		t.Errorf("topic case must not matter: %v", err)
	}
}

func TestInvalidPayloads(t *testing.T) {
	secretEmail := "private.person@example.com"
	cases := []struct{ topic, body string }{
		{"orders/create", `not json`},
		{"orders/create", `[]`},
		{"orders/create", `{"name":"#1"}`}, // no id
		{"orders/create", `{"id":1,"currency":"EUR","total_price":"1e3","email":"` + secretEmail + `"}`},                    // exponent
		{"orders/create", `{"id":1,"currency":"EUR","total_price":"12,50","email":"` + secretEmail + `"}`},                  // comma
		{"orders/create", `{"id":1,"currency":"EUR","created_at":"yesterday","email":"` + secretEmail + `"}`},               // bad time
		{"orders/create", `{"id":1,"currency":"EUR","line_items":[{"quantity":-1}],"email":"` + secretEmail + `"}`},         // negative qty
		{"orders/create", `{"id":1,"total_price":"10.00"}`},                                                                 // no currency
		{"orders/updated", `{"id":1,"currency":"EUR"}`},                                                                     // no updated_at
		{"refunds/create", `{"order_id":1}`},                                                                                // no id
		{"refunds/create", `{"id":2,"order_id":1,"refund_line_items":[{"subtotal":5.00,"total_tax":1.00}]}`},                // no currency anywhere
		{"refunds/create", `{"id":2,"order_id":1,"transactions":[{"kind":"refund","status":"success","amount":"x"}]}`},      // bad amount
		{"orders/create", `{"id":1} {"id":2}`},                                                                              // trailing data
		{"orders/create", `{"id":1,"currency":"EUR","total_price":"12345678901234567890.5","email":"` + secretEmail + `"}`}, // too many digits
		{"orders/create", `{"id":1,"currency":"EUR","total_price":true}`},                                                   // wrong type
		{"refunds/create", `{"id":2,"order_id":1,"transactions":[{"kind":"refund","status":"success","amount":"1","currency":"EUR"},{"kind":"refund","status":"success","amount":"1","currency":"USD"}]}`},
	}
	for i, c := range cases {
		_, err := Map(c.topic, []byte(c.body))
		if !errors.Is(err, ErrInvalidPayload) {
			t.Errorf("case %d: err = %v, want ErrInvalidPayload", i, err)
			continue
		}
		if strings.Contains(err.Error(), secretEmail) {
			t.Errorf("case %d: error leaks a value: %v", i, err)
		}
	}
}

func sign(body []byte, secret string) string {
	mac := hmac.New(sha256.New, []byte(secret))
	mac.Write(body)
	return base64.StdEncoding.EncodeToString(mac.Sum(nil))
}

func TestVerify(t *testing.T) {
	body := fixture(t, "orders_create.json")
	const secret = "shpss_4f1c0ffee0ddba11"
	good := sign(body, secret)
	if !Verify(body, secret, good) {
		t.Fatal("valid signature rejected")
	}
	if !Verify(body, secret, " "+good+" ") {
		t.Error("surrounding white space in the header should not matter")
	}
	tampered := append([]byte{}, body...)
	tampered[len(tampered)/2] ^= 1
	bad := []struct {
		name               string
		body               []byte
		secret, headerHMAC string
	}{
		{"tampered body", tampered, secret, good},
		{"wrong secret", body, "other-secret", good},
		{"empty header", body, secret, ""},
		{"not base64", body, secret, "%%%not-base64%%%"},
		{"truncated", body, secret, good[:20]},
		{"empty secret", body, "", sign(body, "")},
		{"hex instead of base64", body, secret, "deadbeef"},
	}
	for _, c := range bad {
		if Verify(c.body, c.secret, c.headerHMAC) {
			t.Errorf("%s: verified, want false", c.name)
		}
	}
}

func TestMessagesAreValidSegment(t *testing.T) {
	for _, c := range []struct{ topic, file string }{
		{"orders/create", "orders_create.json"},
		{"orders/create", "orders_create_guest_jpy.json"},
		{"orders/updated", "orders_updated.json"},
		{"orders/updated", "orders_updated_cancelled.json"},
		{"refunds/create", "refunds_create.json"},
		{"refunds/create", "refunds_create_amount_only.json"},
	} {
		_, m := mapOne(t, c.topic, c.file)
		if m["type"] != "track" || m["event"] == "" {
			t.Errorf("%s: type/event = %v/%v", c.file, m["type"], m["event"])
		}
		if m["userId"] == nil && m["anonymousId"] == nil {
			t.Errorf("%s: no identity", c.file)
		}
		if _, ok := m["properties"].(map[string]any); !ok {
			t.Errorf("%s: no properties", c.file)
		}
	}
}
