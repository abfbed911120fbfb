package records

import (
	"strings"
	"testing"
)

// shopifyColumns is the column list of Shopify's admin orders export.
var shopifyColumns = []string{
	"Name", "Email", "Financial Status", "Paid at", "Fulfillment Status", "Fulfilled at",
	"Accepts Marketing", "Currency", "Subtotal", "Shipping", "Taxes", "Total", "Discount Code",
	"Discount Amount", "Shipping Method", "Created at", "Lineitem quantity", "Lineitem name",
	"Lineitem price", "Lineitem compare at price", "Lineitem sku", "Lineitem requires shipping",
	"Lineitem taxable", "Lineitem fulfillment status", "Billing Name", "Billing Street",
	"Billing Address1", "Billing Address2", "Billing Company", "Billing City", "Billing Zip",
	"Billing Province", "Billing Country", "Billing Phone", "Shipping Name", "Shipping Street",
	"Shipping Address1", "Shipping Address2", "Shipping Company", "Shipping City", "Shipping Zip",
	"Shipping Province", "Shipping Country", "Shipping Phone", "Notes", "Note Attributes",
	"Cancelled at", "Payment Method", "Payment Reference", "Refunded Amount", "Vendor",
	"Outstanding Balance", "Employee", "Location", "Device ID", "Id", "Tags", "Risk Level",
	"Source", "Lineitem discount", "Tax 1 Name", "Tax 1 Value", "Tax 2 Name", "Tax 2 Value",
	"Tax 3 Name", "Tax 3 Value", "Tax 4 Name", "Tax 4 Value", "Tax 5 Name", "Tax 5 Value",
	"Phone", "Receipt Number", "Duties", "Billing Province Name", "Shipping Province Name",
	"Payment ID", "Payment Terms Name", "Next Payment Due At", "Payment References",
}

func csvLine(cols []string, vals map[string]string) string {
	var b strings.Builder
	for i, c := range cols {
		if i > 0 {
			b.WriteByte(',')
		}
		v := vals[c]
		if strings.ContainsAny(v, ",\"\n") {
			v = `"` + strings.ReplaceAll(v, `"`, `""`) + `"`
		}
		b.WriteString(v)
	}
	b.WriteByte('\n')
	return b.String()
}

func shopifyExport() string {
	var b strings.Builder
	b.WriteString(strings.Join(shopifyColumns, ",") + "\n")
	// #1001: two line items; order-level columns on the first row only;
	// a two-line note (line numbers must stay right)
	b.WriteString(csvLine(shopifyColumns, map[string]string{
		"Name": "#1001", "Email": "mia@example.fr", "Financial Status": "paid", "Paid at": "2024-03-05 14:22:15 +0100",
		"Fulfillment Status": "fulfilled", "Accepts Marketing": "yes", "Currency": "EUR", "Subtotal": "59.80",
		"Shipping": "4.90", "Taxes": "10.33", "Total": "64.70", "Discount Code": "BIENVENUE", "Discount Amount": "5.00",
		"Shipping Method": "Colissimo", "Created at": "2024-03-05 14:22:11 +0100",
		"Lineitem quantity": "2", "Lineitem name": "Linen Tote - Natural", "Lineitem price": "24.90",
		"Lineitem compare at price": "29.90", "Lineitem sku": "TOTE-NAT", "Lineitem requires shipping": "true",
		"Lineitem taxable": "true", "Lineitem fulfillment status": "fulfilled",
		"Billing Name": "Mia Laurent", "Billing Street": "12 Rue des Lilas", "Billing Address1": "12 Rue des Lilas",
		"Billing City": "Lyon", "Billing Zip": "69003", "Billing Country": "FR", "Billing Phone": "+33 4 00 00 00 00",
		"Shipping Name": "Mia Laurent", "Shipping City": "Lyon", "Shipping Country": "FR",
		"Notes": "Please leave at the door,\nnot with the neighbour", "Payment Method": "Shopify Payments",
		"Refunded Amount": "0.00", "Vendor": "Atelier Nord", "Outstanding Balance": "0.00",
		"Id": "5511223344001", "Tags": "wholesale, fr", "Risk Level": "Low", "Source": "web",
		"Lineitem discount": "3.00", "Tax 1 Name": "FR TVA 20%", "Tax 1 Value": "10.33", "Phone": "",
	}))
	b.WriteString(csvLine(shopifyColumns, map[string]string{
		"Name": "#1001", "Lineitem quantity": "1", "Lineitem name": "Enamel Pin", "Lineitem price": "10.00",
		"Lineitem sku": "PIN-01", "Lineitem requires shipping": "true", "Lineitem taxable": "true",
		"Lineitem fulfillment status": "fulfilled", "Vendor": "Atelier Nord", "Lineitem discount": "2.00",
	}))
	// #1002: cancelled, single item, JPY
	b.WriteString(csvLine(shopifyColumns, map[string]string{
		"Name": "#1002", "Email": "ken@example.jp", "Financial Status": "refunded", "Currency": "JPY",
		"Subtotal": "1980", "Shipping": "0", "Taxes": "180", "Total": "1980", "Created at": "2024-03-06 09:00:00 +0900",
		"Cancelled at": "2024-03-06 10:00:00 +0900", "Refunded Amount": "1980", "Lineitem quantity": "1",
		"Lineitem name": "Matcha", "Lineitem price": "1980", "Lineitem sku": "MATCHA", "Id": "5511223344002",
	}))
	// #1003: refunded, no Id column value
	b.WriteString(csvLine(shopifyColumns, map[string]string{
		"Name": "#1003", "Email": "sam@example.com", "Financial Status": "refunded", "Currency": "USD",
		"Subtotal": "30.00", "Total": "33.00", "Taxes": "3.00", "Created at": "2024-03-07 18:00:00 -0500",
		"Refunded Amount": "33.00", "Lineitem quantity": "1", "Lineitem name": "Cap", "Lineitem price": "30.00",
	}))
	// #1004: broken quantity on the second row
	b.WriteString(csvLine(shopifyColumns, map[string]string{
		"Name": "#1004", "Email": "lee@example.com", "Financial Status": "paid", "Currency": "USD", "Total": "20.00",
		"Created at": "2024-03-08 08:00:00 -0500", "Lineitem quantity": "1", "Lineitem name": "A", "Lineitem price": "10.00",
	}))
	b.WriteString(csvLine(shopifyColumns, map[string]string{
		"Name": "#1004", "Lineitem quantity": "one", "Lineitem name": "B", "Lineitem price": "10.00",
	}))
	return b.String()
}

func TestShopifyExport(t *testing.T) {
	m, err := ReadyMapping("shopify")
	if err != nil {
		t.Fatal(err)
	}
	res := read(t, shopifyExport(), KindOrders, FormatAuto, m)
	if len(res.recs) != 3 || len(res.errs) != 1 {
		t.Fatalf("records %d errors %v", len(res.recs), res.errs)
	}
	// #1001
	r, x := res.recs[0], res.msgs[0]
	if r.Line != 2 || r.EndLine != 4 || r.Key != "5511223344001" {
		t.Errorf("#1001: lines %d-%d key %q", r.Line, r.EndLine, r.Key)
	}
	wantStr(t, x, "Order Completed", "event")
	wantAbsent(t, x, "userId")
	wantStr(t, x, "shopify-order:5511223344001", "anonymousId")
	wantStr(t, x, "2024-03-05T13:22:11Z", "timestamp")
	wantStr(t, x, "5511223344001", "properties", "order_id")
	wantStr(t, x, "#1001", "properties", "order_number")
	wantNum(t, x, "64.70", "properties", "total")
	wantNum(t, x, "59.80", "properties", "subtotal")
	wantNum(t, x, "59.80", "properties", "revenue")
	wantNum(t, x, "10.33", "properties", "tax")
	wantNum(t, x, "4.90", "properties", "shipping")
	wantNum(t, x, "5.00", "properties", "discount")
	wantStr(t, x, "BIENVENUE", "properties", "coupon")
	wantStr(t, x, "EUR", "properties", "currency")
	wantStr(t, x, "paid", "properties", "financial_status")
	wantStr(t, x, "fulfilled", "properties", "fulfillment_status")
	wantStr(t, x, "2024-03-05T13:22:15Z", "properties", "paid_at")
	wantNum(t, x, "0.00", "properties", "refunded")
	wantStr(t, x, "Colissimo", "properties", "shipping_method")
	wantStr(t, x, "Please leave at the door,\nnot with the neighbour", "properties", "notes")
	wantStr(t, x, "wholesale, fr", "properties", "tags")
	wantStr(t, x, "FR TVA 20%", "properties", "tax_1_name")
	wantStr(t, x, "mia@example.fr", "context", "traits", "email")
	wantStr(t, x, "+33 4 00 00 00 00", "context", "traits", "phone") // Billing Phone when Phone is empty
	wantStr(t, x, "Mia Laurent", "context", "traits", "name")
	wantStr(t, x, "Lyon", "context", "traits", "address", "city")
	wantStr(t, x, "FR", "context", "traits", "address", "country")
	wantStr(t, x, "12 Rue des Lilas", "context", "traits", "billing_address1")
	wantStr(t, x, "Mia Laurent", "context", "traits", "shipping_name")
	wantStr(t, x, "shopify", "context", "integration", "name")
	wantStr(t, x, "Linen Tote - Natural", "properties", "products", 0, "name")
	wantStr(t, x, "TOTE-NAT", "properties", "products", 0, "sku")
	wantNum(t, x, "24.90", "properties", "products", 0, "price")
	wantNum(t, x, "2", "properties", "products", 0, "quantity")
	wantNum(t, x, "29.90", "properties", "products", 0, "compare_at_price")
	wantNum(t, x, "3.00", "properties", "products", 0, "discount")
	wantStr(t, x, "Atelier Nord", "properties", "products", 0, "brand")
	wantStr(t, x, "true", "properties", "products", 0, "requires_shipping")
	wantStr(t, x, "Enamel Pin", "properties", "products", 1, "name")
	wantNum(t, x, "10.00", "properties", "products", 1, "price")
	if n := len(get(x, "properties", "products").([]any)); n != 2 {
		t.Errorf("#1001 has %d products", n)
	}

	// #1002: cancelled
	r, x = res.recs[1], res.msgs[1]
	wantStr(t, x, "Order Cancelled", "event")
	if r.Key != "5511223344002:cancelled" || r.Line != 5 {
		t.Errorf("#1002 key %q line %d", r.Key, r.Line)
	}
	wantNum(t, x, "1980", "properties", "total")
	wantStr(t, x, "2024-03-06T01:00:00Z", "properties", "cancelled_at")

	// #1003: refunded, no Id → Name is the order id
	r, x = res.recs[2], res.msgs[2]
	wantStr(t, x, "Order Refunded", "event")
	if r.Key != "#1003:refunded" {
		t.Errorf("#1003 key %q", r.Key)
	}
	wantNum(t, x, "33.00", "properties", "total")
	wantNum(t, x, "33.00", "properties", "order_total")
	wantStr(t, x, "shopify-order:#1003", "anonymousId")

	// #1004: the whole order is quarantined
	e := res.errs[0]
	checkRowError(t, e, 8, "Lineitem quantity", "one")
	if strings.Count(string(e.Raw), "#1004") != 2 {
		t.Errorf("Raw = %q", e.Raw)
	}
}

const amazonHeader = "amazon-order-id\tmerchant-order-id\tpurchase-date\tlast-updated-date\torder-status\tfulfillment-channel\tsales-channel\torder-channel\turl\tship-service-level\tproduct-name\tsku\tasin\titem-status\tquantity\tcurrency\titem-price\titem-tax\tshipping-price\tshipping-tax\tgift-wrap-price\tgift-wrap-tax\titem-promotion-discount\tship-promotion-discount\tship-city\tship-state\tship-postal-code\tship-country\tpromotion-ids\tis-business-order\tpurchase-order-number\tprice-designation\tbuyer-email\n"

func amazonRow(f ...string) string { return strings.Join(f, "\t") + "\n" }

func TestAmazonReport(t *testing.T) {
	in := amazonHeader +
		// 028-1: two items, NOT adjacent (rows 2 and 4), Amazon.de (VAT inclusive)
		amazonRow("028-1111111-1111111", "", "2024-03-01T10:00:00+01:00", "2024-03-02T08:00:00+00:00", "Shipped", "Amazon", "Amazon.de", "", "", "Expedited",
			`Gusseisenpfanne 12" vorgewürzt`, "PAN-12", "B0PAN00012", "Shipped", "2", "EUR", "79.98", "12.77", "0.00", "0.00", "", "", "-10.00", "", "Berlin", "Berlin", "10115", "DE", "PROMO-A", "false", "", "", "x1@marketplace.amazon.de") +
		// 028-2: cancelled, no prices, no buyer e-mail
		amazonRow("028-2222222-2222222", "", "2024-03-01T11:00:00+01:00", "2024-03-01T12:00:00+01:00", "Cancelled", "Merchant", "Amazon.fr", "", "", "Standard",
			"Couvercle", "LID-1", "B0LID00001", "Cancelled", "0", "", "", "", "", "", "", "", "", "", "Paris", "", "75001", "FR", "", "false", "", "", "") +
		amazonRow("028-1111111-1111111", "", "2024-03-01T10:00:00+01:00", "2024-03-03T08:00:00+00:00", "Shipped", "Amazon", "Amazon.de", "", "", "Expedited",
			"Deckel", "LID-1", "B0LID00001", "Shipped", "1", "EUR", "0.20", "0.03", "4.99", "0.80", "0.10", "0.02", "", "-0.99", "Berlin", "Berlin", "10115", "DE", "PROMO-A", "false", "", "", "x1@marketplace.amazon.de") +
		// 113-3: US, tax exclusive, single item, lower-case duplicate e-mail
		amazonRow("113-3333333-3333333", "M-77", "2024-03-04T23:00:00-08:00", "2024-03-05T10:00:00-08:00", "Shipped", "Merchant", "Amazon.com", "", "", "Standard",
			"Whisk", "WHISK", "B0WHISK001", "Shipped", "3", "USD", "29.97", "2.47", "5.99", "0.00", "", "", "", "", "Austin", "TX", "78701", "US", "", "true", "PO-9", "BusinessPrice", "") +
		// broken row: bad quantity (its order is quarantined)
		amazonRow("114-4444444-4444444", "", "2024-03-05T10:00:00Z", "2024-03-05T10:00:00Z", "Shipped", "Merchant", "Amazon.com", "", "", "Standard",
			"Spatula", "SPAT", "B0SPAT0001", "Shipped", "-2", "USD", "9.99", "0.80", "", "", "", "", "", "", "Reno", "NV", "89501", "US", "", "false", "", "", "") +
		// wrong field count: reported at once
		"115-5\t2024-03-05T10:00:00Z\n"
	m, _ := ReadyMapping("amazon")
	r, err := NewReader(strings.NewReader(in), KindOrders, FormatAuto, m)
	if err != nil {
		t.Fatal(err)
	}
	res := drain(t, r)
	if len(res.recs) != 3 || len(res.errs) != 2 {
		t.Fatalf("records %d errors %v", len(res.recs), res.errs)
	}
	checkRowError(t, res.errs[0], 6, "quantity", "-2")
	checkRowError(t, res.errs[1], 7, "purchase-date", "") // the first missing column

	// 028-1 grouped from lines 2 and 4
	rec, x := res.recs[0], res.msgs[0]
	if rec.Line != 2 || rec.EndLine != 4 || rec.Key != "028-1111111-1111111" {
		t.Errorf("028-1: lines %d-%d key %q", rec.Line, rec.EndLine, rec.Key)
	}
	wantStr(t, x, "Order Completed", "event")
	wantStr(t, x, "amazon:x1@marketplace.amazon.de", "userId")
	wantStr(t, x, "x1@marketplace.amazon.de", "context", "traits", "email")
	wantStr(t, x, "2024-03-01T09:00:00Z", "timestamp")
	wantStr(t, x, "Amazon.de", "properties", "affiliation")
	wantStr(t, x, "Amazon.de", "context", "integration", "marketplace")
	wantStr(t, x, "amazon", "context", "integration", "name")
	wantStr(t, x, "2024-03-03T08:00:00Z", "properties", "updated_at")
	// subtotal 79.98+0.20; shipping 4.99; gift 0.10; discount 10.00+0.99;
	// tax 12.77+0.03+0.80+0.02 (included); total = 80.18+4.99+0.10−10.99
	wantNum(t, x, "80.18", "properties", "subtotal")
	wantNum(t, x, "4.99", "properties", "shipping")
	wantNum(t, x, "0.10", "properties", "gift_wrap")
	wantNum(t, x, "10.99", "properties", "discount")
	wantNum(t, x, "13.62", "properties", "tax")
	wantNum(t, x, "74.28", "properties", "total")
	wantNum(t, x, "57.38", "properties", "revenue") // 80.18 − 10.00 − 12.80
	wantStr(t, x, "EUR", "properties", "currency")
	wantStr(t, x, "Shipped", "properties", "status")
	wantStr(t, x, "Amazon", "properties", "fulfillment_channel")
	wantStr(t, x, "PROMO-A", "properties", "promotion_ids")
	wantStr(t, x, "Berlin", "context", "traits", "address", "city")
	wantStr(t, x, "10115", "context", "traits", "address", "postalCode")
	wantStr(t, x, `Gusseisenpfanne 12" vorgewürzt`, "properties", "products", 0, "name")
	wantStr(t, x, "B0PAN00012", "properties", "products", 0, "product_id")
	wantNum(t, x, "39.99", "properties", "products", 0, "price")
	wantNum(t, x, "79.98", "properties", "products", 0, "line_total")
	wantStr(t, x, "Shipped", "properties", "products", 0, "item_status")
	wantStr(t, x, "Deckel", "properties", "products", 1, "name")

	// 028-2 cancelled, anonymous
	rec, x = res.recs[1], res.msgs[1]
	wantStr(t, x, "Order Cancelled", "event")
	if rec.Key != "028-2222222-2222222:cancelled" || rec.Line != 3 {
		t.Errorf("028-2 key %q line %d", rec.Key, rec.Line)
	}
	wantAbsent(t, x, "userId")
	wantStr(t, x, "amazon-order:028-2222222-2222222", "anonymousId")
	wantAbsent(t, x, "properties", "total")
	wantNum(t, x, "0", "properties", "products", 0, "quantity")
	wantAbsent(t, x, "properties", "products", 0, "price")

	// 113-3: US prices exclude tax
	x = res.msgs[2]
	wantNum(t, x, "38.43", "properties", "total") // 29.97 + 5.99 + 2.47
	wantNum(t, x, "29.97", "properties", "revenue")
	wantNum(t, x, "9.99", "properties", "products", 0, "price")
	wantStr(t, x, "M-77", "properties", "merchant_order_id")
	wantStr(t, x, "true", "properties", "is_business_order")
}
