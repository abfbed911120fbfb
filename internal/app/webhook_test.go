package app

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"os"
	"testing"
)

func sign(secret string, body []byte) string {
	m := hmac.New(sha256.New, []byte(secret))
	m.Write(body)
	return base64.StdEncoding.EncodeToString(m.Sum(nil))
}

// TestShopifyWebhook: a signed orders/create delivery becomes one order;
// Shopify's repeated delivery is stored once; a wrong signature and an
// unknown source are refused alike; an unmapped topic is acknowledged.
func TestShopifyWebhook(t *testing.T) {
	n := openNode(t, Config{})
	code, m := n.admin("POST", "/v1/sources", map[string]string{"name": "Shopify EU", "currency": "EUR", "kind": "shopify", "webhook_secret": "shh-this-is-the-shop-secret"})
	if code != 201 {
		t.Fatalf("create source: %d %v", code, m)
	}
	id := m["id"].(string)
	body, err := os.ReadFile("../ingest/shopify/testdata/orders_create.json")
	if err != nil {
		t.Fatal(err)
	}
	hdr := map[string]string{"X-Shopify-Topic": "orders/create", "X-Shopify-Hmac-Sha256": sign("shh-this-is-the-shop-secret", body)}
	for i := 0; i < 2; i++ { // Shopify delivers twice
		if code, m := n.do("POST", "/v1/webhooks/shopify/"+id, "", body, hdr); code != 200 {
			t.Fatalf("delivery %d: %d %v", i, code, m)
		}
	}
	bad := map[string]string{"X-Shopify-Topic": "orders/create", "X-Shopify-Hmac-Sha256": sign("wrong", body)}
	if code, _ := n.do("POST", "/v1/webhooks/shopify/"+id, "", body, bad); code != 401 {
		t.Fatalf("wrong signature: %d", code)
	}
	if code, _ := n.do("POST", "/v1/webhooks/shopify/no-such-source", "", body, hdr); code != 401 {
		t.Fatalf("unknown source: %d", code)
	}
	other := map[string]string{"X-Shopify-Topic": "products/update", "X-Shopify-Hmac-Sha256": sign("shh-this-is-the-shop-secret", []byte(`{}`))}
	if code, _ := n.do("POST", "/v1/webhooks/shopify/"+id, "", []byte(`{}`), other); code != 200 {
		t.Fatalf("unmapped topic: %d", code)
	}
	n.waitCount("SELECT count(*) FROM events", 1)
	n.waitCount("SELECT count(*) FROM orders WHERE order_id = '5830192847361' AND currency = 'EUR'", 1)
	res := n.query("SELECT count(*) FROM order_items")
	if res.Rows[0][0].(float64) < 1 {
		t.Fatal("order items missing")
	}
}
