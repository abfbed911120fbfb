// Package shopify maps Shopify webhook deliveries to Segment-spec messages
// and verifies their signatures.
//
// # Topics
//
// Map understands three topics (the X-Shopify-Topic header):
//
//   - "orders/create" → track "Order Completed", timestamp created_at
//     (else processed_at), Key "orders/create:<order id>".
//   - "orders/updated" → track "Order Updated" with the same properties, or
//     "Order Cancelled" when cancelled_at is set; timestamp updated_at; Key
//     "orders/updated:<order id>:<updated_at as sent>", so that every state
//     of an order is one message and a repeated delivery of the same state
//     has the same key.
//   - "refunds/create" → track "Order Refunded", timestamp processed_at
//     (else created_at), Key "refunds/create:<refund id>".
//
// Any other topic gives an error wrapping ErrUnsupportedTopic; a body that is
// not a valid payload gives one wrapping ErrInvalidPayload.
//
// # Orders
//
// Amounts come from Shopify's shop-currency fields and are written as JSON
// numbers with exactly the decimal text Shopify sent (never through
// float64):
//
//	properties.order_id       id (as a string); order_number = name ("#1001")
//	properties.total          total_price
//	properties.subtotal       subtotal_price; revenue = subtotal_price (after discounts,
//	                          before shipping and taxes)
//	properties.tax            total_tax
//	properties.shipping       Σ shipping_lines[].price, else total_shipping_price_set.shop_money
//	properties.discount       total_discounts; coupon = discount_codes[].code joined by ","
//	properties.currency       currency (the shop currency, which all the amounts above are in)
//	properties.presentment_currency   presentment_currency, the currency the buyer paid in,
//	                          with presentment_total = total_price_set.presentment_money
//	                          when it differs from the shop currency
//	properties.financial_status, fulfillment_status, source_name, landing_site,
//	referring_site, tags, taxes_included, test, cancelled_at, cancel_reason, updated_at
//	properties.products[]     line_items[]: product_id, variant_id, sku, name (title),
//	                          variant (variant_title), brand (vendor), price, quantity,
//	                          discount (total_discount)
//
// The customer: userId is "shopify:<customer.id>" when the order has a
// customer. anonymousId is always "shopify-order:<order id>" — the same id
// the records package gives Shopify CSV imports — so that a refund, which
// carries no customer, joins the buyer's profile through the order. The
// buyer's email, phone, first and last name (customer, else the order's
// email/phone) and billing address go to context.traits; customer_locale to
// context.locale; context.integration is {"name":"shopify"}.
//
// # Refunds
//
// The refunded total, in the shop currency, is
//
//	Σ refund_line_items[] (subtotal + total_tax)
//	+ Σ refund_shipping_lines[] (subtotal_amount_set + tax_amount_set)
//	+ total_duties_set
//	− Σ order_adjustments[] (amount + tax_amount)
//
// using each *_set.shop_money amount where present and the plain field
// otherwise. Order adjustments are Shopify's record of the difference
// between the calculated and the actual refund: a refunded shipping cost
// (API versions before 2024-10) is an adjustment with a negative amount,
// and a refund smaller than calculated a positive one — hence the minus.
// A refund with none of these parts (an amount-only refund) is the sum of
// its successful "refund" transactions, in their currency. The transactions'
// sum is always reported too, as properties.transactions_total and
// transactions_currency, since that is the money that actually moved (it may
// be in the presentment currency). properties: order_id, refund_id, total,
// currency, presentment_currency, reason (the refund note), restock,
// products[] (the refunded line items with the refunded quantity). userId is
// unknown in a refund payload; anonymousId is "shopify-order:<order id>".
package shopify

import (
	"bytes"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/govalues/decimal"
)

// Message is one Segment message produced from a webhook.
type Message struct {
	// JSON is the message, without messageId.
	JSON []byte
	// Key is the delivery's deterministic natural key, equal for repeated
	// deliveries of the same webhook (see the package documentation).
	Key string
}

// ErrUnsupportedTopic is wrapped by the error Map returns for a topic it
// does not map.
var ErrUnsupportedTopic = errors.New("shopify: unsupported webhook topic")

// ErrInvalidPayload is wrapped by the error Map returns for a body that is
// not a valid payload for its topic. The error never quotes the payload's
// values.
var ErrInvalidPayload = errors.New("shopify: invalid webhook payload")

// Topics lists the webhook topics Map understands.
var Topics = []string{"orders/create", "orders/updated", "refunds/create"}

// Map converts one webhook delivery (its X-Shopify-Topic and raw body) into
// messages. It does not check the signature: call Verify first.
func Map(topic string, body []byte) ([]Message, error) {
	t := strings.ToLower(strings.TrimSpace(topic))
	switch t {
	case "orders/create", "orders/updated":
		var o order
		if err := decode(body, &o); err != nil {
			return nil, fmt.Errorf("%s: %w", t, err)
		}
		m, err := mapOrder(t, &o)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", t, err)
		}
		return []Message{m}, nil
	case "refunds/create":
		var r refund
		if err := decode(body, &r); err != nil {
			return nil, fmt.Errorf("%s: %w", t, err)
		}
		m, err := mapRefund(&r)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", t, err)
		}
		return []Message{m}, nil
	}
	return nil, fmt.Errorf("%w %q", ErrUnsupportedTopic, topic)
}

// Verify reports whether headerHMAC, the X-Shopify-Hmac-Sha256 header,
// is base64(HMAC-SHA256(secret, body)) for the raw request body. The
// comparison is constant-time; an empty secret or header never verifies.
func Verify(body []byte, secret, headerHMAC string) bool {
	if secret == "" {
		return false
	}
	got, err := base64.StdEncoding.DecodeString(strings.TrimSpace(headerHMAC))
	if err != nil || len(got) != sha256.Size {
		return false
	}
	mac := hmac.New(sha256.New, []byte(secret))
	mac.Write(body)
	return hmac.Equal(got, mac.Sum(nil))
}

type integration struct {
	Name string `json:"name"`
}

type outAddress struct {
	Street     string `json:"street,omitempty"`
	City       string `json:"city,omitempty"`
	State      string `json:"state,omitempty"`
	PostalCode string `json:"postalCode,omitempty"`
	Country    string `json:"country,omitempty"`
}

type outTraits struct {
	Email     string      `json:"email,omitempty"`
	Phone     string      `json:"phone,omitempty"`
	FirstName string      `json:"firstName,omitempty"`
	LastName  string      `json:"lastName,omitempty"`
	Address   *outAddress `json:"address,omitempty"`
}

type outContext struct {
	Traits      *outTraits  `json:"traits,omitempty"`
	Locale      string      `json:"locale,omitempty"`
	Integration integration `json:"integration"`
}

type outMessage struct {
	Type        string     `json:"type"`
	Event       string     `json:"event"`
	UserID      string     `json:"userId,omitempty"`
	AnonymousID string     `json:"anonymousId,omitempty"`
	Timestamp   string     `json:"timestamp,omitempty"`
	Properties  any        `json:"properties"`
	Context     outContext `json:"context"`
}

type outProduct struct {
	ProductID string      `json:"product_id,omitempty"`
	VariantID string      `json:"variant_id,omitempty"`
	SKU       string      `json:"sku,omitempty"`
	Name      string      `json:"name,omitempty"`
	Variant   string      `json:"variant,omitempty"`
	Brand     string      `json:"brand,omitempty"`
	Price     json.Number `json:"price,omitempty"`
	Quantity  json.Number `json:"quantity,omitempty"`
	Discount  json.Number `json:"discount,omitempty"`
	Subtotal  json.Number `json:"subtotal,omitempty"`
	Tax       json.Number `json:"tax,omitempty"`
	Restock   string      `json:"restock_type,omitempty"`
}

type orderProps struct {
	OrderID             string       `json:"order_id"`
	OrderNumber         string       `json:"order_number,omitempty"`
	Total               json.Number  `json:"total,omitempty"`
	Subtotal            json.Number  `json:"subtotal,omitempty"`
	Revenue             json.Number  `json:"revenue,omitempty"`
	Tax                 json.Number  `json:"tax,omitempty"`
	Shipping            json.Number  `json:"shipping,omitempty"`
	Discount            json.Number  `json:"discount,omitempty"`
	Coupon              string       `json:"coupon,omitempty"`
	Currency            string       `json:"currency,omitempty"`
	PresentmentCurrency string       `json:"presentment_currency,omitempty"`
	PresentmentTotal    json.Number  `json:"presentment_total,omitempty"`
	FinancialStatus     string       `json:"financial_status,omitempty"`
	FulfillmentStatus   string       `json:"fulfillment_status,omitempty"`
	SourceName          string       `json:"source_name,omitempty"`
	LandingSite         string       `json:"landing_site,omitempty"`
	ReferringSite       string       `json:"referring_site,omitempty"`
	Tags                string       `json:"tags,omitempty"`
	TaxesIncluded       *bool        `json:"taxes_included,omitempty"`
	Test                bool         `json:"test,omitempty"`
	CancelledAt         string       `json:"cancelled_at,omitempty"`
	CancelReason        string       `json:"cancel_reason,omitempty"`
	UpdatedAt           string       `json:"updated_at,omitempty"`
	Products            []outProduct `json:"products"`
}

type refundProps struct {
	OrderID             string       `json:"order_id"`
	RefundID            string       `json:"refund_id"`
	Total               json.Number  `json:"total,omitempty"`
	Currency            string       `json:"currency,omitempty"`
	PresentmentCurrency string       `json:"presentment_currency,omitempty"`
	TransactionsTotal   json.Number  `json:"transactions_total,omitempty"`
	TransactionsCur     string       `json:"transactions_currency,omitempty"`
	Reason              string       `json:"reason,omitempty"`
	Restock             *bool        `json:"restock,omitempty"`
	Products            []outProduct `json:"products"`
}

// utc normalises a Shopify timestamp to RFC 3339 UTC; ok is false for an
// empty one. An unparsable timestamp is an error.
func utc(field, s string) (string, bool, error) {
	if s == "" {
		return "", false, nil
	}
	t, err := time.Parse(time.RFC3339Nano, s)
	if err != nil {
		return "", false, fmt.Errorf("%w: %s is not an RFC 3339 timestamp", ErrInvalidPayload, field)
	}
	return t.UTC().Format(time.RFC3339Nano), true, nil
}

func num(a amount) json.Number { return json.Number(a) }

func quantity(field string, n json.Number) (json.Number, error) {
	if n == "" {
		return "", nil
	}
	d, err := decimal.Parse(string(n))
	if err != nil || !d.IsInt() || d.IsNeg() {
		return "", fmt.Errorf("%w: %s is not a whole number ≥ 0", ErrInvalidPayload, field)
	}
	return n, nil
}

func product(li *lineItem, field string) (outProduct, error) {
	q, err := quantity(field+".quantity", li.Quantity)
	if err != nil {
		return outProduct{}, err
	}
	name := li.Title
	if name == "" {
		name = li.Name
	}
	return outProduct{
		ProductID: string(li.ProductID),
		VariantID: string(li.VariantID),
		SKU:       li.SKU,
		Name:      name,
		Variant:   li.VariantTitle,
		Brand:     li.Vendor,
		Price:     num(li.Price),
		Quantity:  q,
		Discount:  num(li.TotalDiscount),
	}, nil
}

func traitsOf(email, phone string, c *customer, a *address) *outTraits {
	t := &outTraits{Email: email, Phone: phone}
	if c != nil {
		if c.Email != "" {
			t.Email = c.Email
		}
		if c.Phone != "" {
			t.Phone = c.Phone
		}
		t.FirstName, t.LastName = c.FirstName, c.LastName
	}
	if a != nil {
		street := strings.TrimSpace(strings.TrimSpace(a.Address1) + " " + strings.TrimSpace(a.Address2))
		ad := &outAddress{Street: street, City: a.City, State: a.ProvinceCode, PostalCode: a.Zip, Country: a.CountryCode}
		if ad.State == "" {
			ad.State = a.Province
		}
		if ad.Country == "" {
			ad.Country = a.Country
		}
		if *ad != (outAddress{}) {
			t.Address = ad
		}
	}
	if *t == (outTraits{}) {
		return nil
	}
	return t
}

func mapOrder(topic string, o *order) (Message, error) {
	if o.ID == "" {
		return Message{}, fmt.Errorf("%w: missing id", ErrInvalidPayload)
	}
	event := "Order Completed"
	var ts string
	var ok bool
	var err error
	key := "orders/create:" + string(o.ID)
	if topic == "orders/updated" {
		event = "Order Updated"
		if o.CancelledAt != "" {
			event = "Order Cancelled"
		}
		if o.UpdatedAt == "" {
			return Message{}, fmt.Errorf("%w: missing updated_at", ErrInvalidPayload)
		}
		if ts, _, err = utc("updated_at", o.UpdatedAt); err != nil {
			return Message{}, err
		}
		key = "orders/updated:" + string(o.ID) + ":" + o.UpdatedAt
	} else {
		if ts, ok, err = utc("created_at", o.CreatedAt); err != nil {
			return Message{}, err
		}
		if !ok {
			if ts, _, err = utc("processed_at", o.ProcessedAt); err != nil {
				return Message{}, err
			}
		}
	}
	p := orderProps{
		OrderID:           string(o.ID),
		OrderNumber:       o.Name,
		Total:             num(o.TotalPrice),
		Subtotal:          num(o.SubtotalPrice),
		Revenue:           num(o.SubtotalPrice),
		Tax:               num(o.TotalTax),
		Discount:          num(o.TotalDiscounts),
		Currency:          strings.ToUpper(o.Currency),
		FinancialStatus:   o.FinancialStatus,
		FulfillmentStatus: o.FulfillmentStatus,
		SourceName:        o.SourceName,
		LandingSite:       o.LandingSite,
		ReferringSite:     o.ReferringSite,
		Tags:              o.Tags,
		TaxesIncluded:     o.TaxesIncluded,
		Test:              o.Test,
		CancelReason:      o.CancelReason,
		Products:          []outProduct{},
	}
	if p.Currency == "" && (p.Total != "" || p.Subtotal != "") {
		return Message{}, fmt.Errorf("%w: missing currency", ErrInvalidPayload)
	}
	if p.CancelledAt, _, err = utc("cancelled_at", o.CancelledAt); err != nil {
		return Message{}, err
	}
	if topic == "orders/updated" {
		p.UpdatedAt = ts
	}
	if pc := strings.ToUpper(o.PresentmentCurrency); pc != "" {
		p.PresentmentCurrency = pc
		if pc != p.Currency && o.TotalPriceSet != nil {
			p.PresentmentTotal = num(o.TotalPriceSet.PresentmentMoney.Amount)
		}
	}
	// shipping: the sum of the shipping lines, else the order's shipping total
	var ship decimal.Decimal
	haveShip := false
	for _, sl := range o.ShippingLines {
		d, ok := sl.Price.dec()
		if !ok {
			continue
		}
		if ship, err = sumExact(ship, d, haveShip); err != nil {
			return Message{}, err
		}
		haveShip = true
	}
	if haveShip {
		p.Shipping = json.Number(ship.String())
	} else if o.TotalShippingPriceSet != nil {
		p.Shipping = num(o.TotalShippingPriceSet.ShopMoney.Amount)
	}
	var codes []string
	for _, dc := range o.DiscountCodes {
		if dc.Code != "" {
			codes = append(codes, dc.Code)
		}
	}
	p.Coupon = strings.Join(codes, ",")
	for i := range o.LineItems {
		pr, err := product(&o.LineItems[i], fmt.Sprintf("line_items[%d]", i))
		if err != nil {
			return Message{}, err
		}
		p.Products = append(p.Products, pr)
	}
	msg := outMessage{
		Type:        "track",
		Event:       event,
		AnonymousID: "shopify-order:" + string(o.ID),
		Timestamp:   ts,
		Properties:  p,
		Context: outContext{
			Traits:      traitsOf(firstNonEmpty(o.Email, o.ContactEmail), o.Phone, o.Customer, o.BillingAddress),
			Locale:      o.CustomerLocale,
			Integration: integration{Name: "shopify"},
		},
	}
	if o.Customer != nil && o.Customer.ID != "" {
		msg.UserID = "shopify:" + string(o.Customer.ID)
	}
	return encode(msg, key)
}

func firstNonEmpty(s ...string) string {
	for _, x := range s {
		if x != "" {
			return x
		}
	}
	return ""
}

// sumExact adds d to acc (or starts at d) without rounding.
func sumExact(acc, d decimal.Decimal, started bool) (decimal.Decimal, error) {
	if !started {
		return d, nil
	}
	s, err := acc.AddExact(d, max(acc.Scale(), d.Scale()))
	if err != nil {
		return acc, fmt.Errorf("%w: amounts overflow", ErrInvalidPayload)
	}
	return s, nil
}

// shopAmount returns the shop-money amount of bag, else plain.
func shopAmount(bag *moneyBag, plain amount) (amount, string) {
	if bag != nil && bag.ShopMoney.Amount != "" {
		return bag.ShopMoney.Amount, strings.ToUpper(bag.ShopMoney.CurrencyCode)
	}
	return plain, ""
}

func presentmentCurrency(bag *moneyBag) string {
	if bag == nil {
		return ""
	}
	return strings.ToUpper(bag.PresentmentMoney.CurrencyCode)
}

func mapRefund(r *refund) (Message, error) {
	if r.ID == "" {
		return Message{}, fmt.Errorf("%w: missing id", ErrInvalidPayload)
	}
	if r.OrderID == "" {
		return Message{}, fmt.Errorf("%w: missing order_id", ErrInvalidPayload)
	}
	ts, ok, err := utc("processed_at", r.ProcessedAt)
	if err != nil {
		return Message{}, err
	}
	if !ok {
		if ts, _, err = utc("created_at", r.CreatedAt); err != nil {
			return Message{}, err
		}
	}
	var total decimal.Decimal
	parts := 0
	currency, presentment := "", ""
	add := func(a amount, cur string, sign int) error {
		d, ok := a.dec()
		if !ok {
			return nil
		}
		if sign < 0 {
			d = d.Neg()
		}
		var err error
		if total, err = sumExact(total, d, parts > 0); err != nil {
			return err
		}
		parts++
		if currency == "" {
			currency = cur
		}
		return nil
	}
	p := refundProps{
		OrderID:  string(r.OrderID),
		RefundID: string(r.ID),
		Reason:   r.Note,
		Restock:  r.Restock,
		Products: []outProduct{},
	}
	for i := range r.RefundLineItems {
		rli := &r.RefundLineItems[i]
		sub, c1 := shopAmount(rli.SubtotalSet, rli.Subtotal)
		tax, c2 := shopAmount(rli.TotalTaxSet, rli.TotalTax)
		if err := add(sub, c1, 1); err != nil {
			return Message{}, err
		}
		if err := add(tax, c2, 1); err != nil {
			return Message{}, err
		}
		if presentment == "" {
			presentment = presentmentCurrency(rli.SubtotalSet)
		}
		q, err := quantity(fmt.Sprintf("refund_line_items[%d].quantity", i), rli.Quantity)
		if err != nil {
			return Message{}, err
		}
		pr := outProduct{Quantity: q, Subtotal: num(sub), Tax: num(tax), Restock: rli.RestockType}
		if rli.LineItem != nil {
			full, err := product(rli.LineItem, fmt.Sprintf("refund_line_items[%d].line_item", i))
			if err != nil {
				return Message{}, err
			}
			pr.ProductID, pr.VariantID, pr.SKU, pr.Name, pr.Variant, pr.Brand, pr.Price =
				full.ProductID, full.VariantID, full.SKU, full.Name, full.Variant, full.Brand, full.Price
		}
		p.Products = append(p.Products, pr)
	}
	for _, sl := range r.RefundShippingLines {
		sub, c1 := shopAmount(sl.SubtotalAmountSet, "")
		tax, c2 := shopAmount(sl.TaxAmountSet, "")
		if err := add(sub, c1, 1); err != nil {
			return Message{}, err
		}
		if err := add(tax, c2, 1); err != nil {
			return Message{}, err
		}
	}
	if r.TotalDutiesSet != nil {
		if d, ok := r.TotalDutiesSet.ShopMoney.Amount.dec(); ok && !d.IsZero() {
			if err := add(r.TotalDutiesSet.ShopMoney.Amount, strings.ToUpper(r.TotalDutiesSet.ShopMoney.CurrencyCode), 1); err != nil {
				return Message{}, err
			}
		}
	}
	for _, adj := range r.OrderAdjustments {
		amt, c1 := shopAmount(adj.AmountSet, adj.Amount)
		tax, c2 := shopAmount(adj.TaxAmountSet, adj.TaxAmount)
		if err := add(amt, c1, -1); err != nil {
			return Message{}, err
		}
		if err := add(tax, c2, -1); err != nil {
			return Message{}, err
		}
	}
	// transactions: the money that actually moved
	var txTotal decimal.Decimal
	txN := 0
	txCur := ""
	for _, tx := range r.Transactions {
		if !strings.EqualFold(tx.Kind, "refund") || !strings.EqualFold(tx.Status, "success") {
			continue
		}
		d, ok := tx.Amount.dec()
		if !ok {
			continue
		}
		c := strings.ToUpper(tx.Currency)
		if txN > 0 && c != txCur {
			return Message{}, fmt.Errorf("%w: refund transactions in more than one currency", ErrInvalidPayload)
		}
		if txTotal, err = sumExact(txTotal, d, txN > 0); err != nil {
			return Message{}, err
		}
		txN++
		txCur = c
	}
	if txN > 0 {
		p.TransactionsTotal = json.Number(txTotal.String())
		p.TransactionsCur = txCur
	}
	switch {
	case parts > 0:
		p.Total = json.Number(total.String())
	case txN > 0:
		p.Total = p.TransactionsTotal
		currency = txCur
	}
	if currency == "" {
		currency = strings.ToUpper(r.Currency)
	}
	if currency == "" && txN > 0 {
		currency = txCur
	}
	if p.Total != "" && currency == "" {
		return Message{}, fmt.Errorf("%w: the refund's currency cannot be determined", ErrInvalidPayload)
	}
	p.Currency = currency
	if presentment != "" {
		p.PresentmentCurrency = presentment
	}
	msg := outMessage{
		Type:        "track",
		Event:       "Order Refunded",
		AnonymousID: "shopify-order:" + string(r.OrderID),
		Timestamp:   ts,
		Properties:  p,
		Context:     outContext{Integration: integration{Name: "shopify"}},
	}
	return encode(msg, "refunds/create:"+string(r.ID))
}

func encode(msg outMessage, key string) (Message, error) {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(msg); err != nil {
		return Message{}, fmt.Errorf("shopify: encoding message: %w", err)
	}
	return Message{JSON: bytes.TrimRight(buf.Bytes(), "\n"), Key: key}, nil
}
