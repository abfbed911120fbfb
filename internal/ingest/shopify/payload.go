package shopify

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"

	"github.com/govalues/decimal"
)

// amount is an exact decimal from a Shopify money field, kept as text. It
// accepts a JSON string ("199.00"), a JSON number (199.0) or null.
type amount string

func (a *amount) UnmarshalJSON(b []byte) error {
	b = bytes.TrimSpace(b)
	if string(b) == "null" {
		*a = ""
		return nil
	}
	s := string(b)
	if len(b) > 0 && b[0] == '"' {
		if err := json.Unmarshal(b, &s); err != nil {
			return err
		}
		if s == "" {
			*a = ""
			return nil
		}
	}
	if !validDecimal(s) {
		return errBadAmount
	}
	*a = amount(s)
	return nil
}

var errBadAmount = errors.New("not an exact decimal amount")

// validDecimal accepts an optional '-', digits, and an optional fraction,
// with at most 19 significant digits; no exponent.
func validDecimal(s string) bool {
	i := 0
	if i < len(s) && s[i] == '-' {
		i++
	}
	digits, sig := 0, 0
	dot := false
	for ; i < len(s); i++ {
		c := s[i]
		switch {
		case c >= '0' && c <= '9':
			digits++
			if sig > 0 || c != '0' || dot {
				sig++
			}
		case c == '.' && !dot:
			dot = true
		default:
			return false
		}
	}
	if digits == 0 || sig > decimal.MaxPrec {
		return false
	}
	_, err := decimal.Parse(s)
	return err == nil
}

func (a amount) dec() (decimal.Decimal, bool) {
	if a == "" {
		return decimal.Decimal{}, false
	}
	d, err := decimal.Parse(string(a))
	return d, err == nil
}

// idText is a Shopify id, which JSON carries as a number (possibly beyond
// 2^53) or, in some payloads, a string; kept as its decimal text.
type idText string

func (t *idText) UnmarshalJSON(b []byte) error {
	b = bytes.TrimSpace(b)
	switch {
	case string(b) == "null":
		*t = ""
	case len(b) > 0 && b[0] == '"':
		var s string
		if err := json.Unmarshal(b, &s); err != nil {
			return err
		}
		*t = idText(s)
	default:
		var n json.Number
		if err := json.Unmarshal(b, &n); err != nil {
			return err
		}
		*t = idText(n.String())
	}
	return nil
}

type money struct {
	Amount       amount `json:"amount"`
	CurrencyCode string `json:"currency_code"`
}

type moneyBag struct {
	ShopMoney        money `json:"shop_money"`
	PresentmentMoney money `json:"presentment_money"`
}

type customer struct {
	ID        idText `json:"id"`
	Email     string `json:"email"`
	Phone     string `json:"phone"`
	FirstName string `json:"first_name"`
	LastName  string `json:"last_name"`
}

type address struct {
	Name         string `json:"name"`
	Address1     string `json:"address1"`
	Address2     string `json:"address2"`
	City         string `json:"city"`
	Province     string `json:"province"`
	ProvinceCode string `json:"province_code"`
	Zip          string `json:"zip"`
	Country      string `json:"country"`
	CountryCode  string `json:"country_code"`
	Phone        string `json:"phone"`
}

type lineItem struct {
	ID            idText      `json:"id"`
	ProductID     idText      `json:"product_id"`
	VariantID     idText      `json:"variant_id"`
	Title         string      `json:"title"`
	VariantTitle  string      `json:"variant_title"`
	Name          string      `json:"name"`
	SKU           string      `json:"sku"`
	Vendor        string      `json:"vendor"`
	Price         amount      `json:"price"`
	PriceSet      *moneyBag   `json:"price_set"`
	Quantity      json.Number `json:"quantity"`
	TotalDiscount amount      `json:"total_discount"`
}

type discountCode struct {
	Code   string `json:"code"`
	Amount amount `json:"amount"`
	Type   string `json:"type"`
}

type shippingLine struct {
	Title string `json:"title"`
	Code  string `json:"code"`
	Price amount `json:"price"`
}

type order struct {
	ID                    idText         `json:"id"`
	Name                  string         `json:"name"`
	Email                 string         `json:"email"`
	ContactEmail          string         `json:"contact_email"`
	Phone                 string         `json:"phone"`
	CreatedAt             string         `json:"created_at"`
	UpdatedAt             string         `json:"updated_at"`
	ProcessedAt           string         `json:"processed_at"`
	CancelledAt           string         `json:"cancelled_at"`
	CancelReason          string         `json:"cancel_reason"`
	Currency              string         `json:"currency"`
	PresentmentCurrency   string         `json:"presentment_currency"`
	FinancialStatus       string         `json:"financial_status"`
	FulfillmentStatus     string         `json:"fulfillment_status"`
	TotalPrice            amount         `json:"total_price"`
	SubtotalPrice         amount         `json:"subtotal_price"`
	TotalTax              amount         `json:"total_tax"`
	TotalDiscounts        amount         `json:"total_discounts"`
	TotalPriceSet         *moneyBag      `json:"total_price_set"`
	TotalShippingPriceSet *moneyBag      `json:"total_shipping_price_set"`
	TaxesIncluded         *bool          `json:"taxes_included"`
	Test                  bool           `json:"test"`
	DiscountCodes         []discountCode `json:"discount_codes"`
	SourceName            string         `json:"source_name"`
	LandingSite           string         `json:"landing_site"`
	ReferringSite         string         `json:"referring_site"`
	Tags                  string         `json:"tags"`
	CustomerLocale        string         `json:"customer_locale"`
	Customer              *customer      `json:"customer"`
	BillingAddress        *address       `json:"billing_address"`
	LineItems             []lineItem     `json:"line_items"`
	ShippingLines         []shippingLine `json:"shipping_lines"`
}

type refundLineItem struct {
	ID          idText      `json:"id"`
	LineItemID  idText      `json:"line_item_id"`
	Quantity    json.Number `json:"quantity"`
	RestockType string      `json:"restock_type"`
	Subtotal    amount      `json:"subtotal"`
	TotalTax    amount      `json:"total_tax"`
	SubtotalSet *moneyBag   `json:"subtotal_set"`
	TotalTaxSet *moneyBag   `json:"total_tax_set"`
	LineItem    *lineItem   `json:"line_item"`
}

type refundShippingLine struct {
	SubtotalAmountSet *moneyBag `json:"subtotal_amount_set"`
	TaxAmountSet      *moneyBag `json:"tax_amount_set"`
}

type orderAdjustment struct {
	Kind         string    `json:"kind"`
	Amount       amount    `json:"amount"`
	TaxAmount    amount    `json:"tax_amount"`
	AmountSet    *moneyBag `json:"amount_set"`
	TaxAmountSet *moneyBag `json:"tax_amount_set"`
}

type transaction struct {
	Kind     string `json:"kind"`
	Status   string `json:"status"`
	Amount   amount `json:"amount"`
	Currency string `json:"currency"`
}

type refund struct {
	ID                  idText               `json:"id"`
	OrderID             idText               `json:"order_id"`
	CreatedAt           string               `json:"created_at"`
	ProcessedAt         string               `json:"processed_at"`
	Note                string               `json:"note"`
	Restock             *bool                `json:"restock"`
	Currency            string               `json:"currency"`
	RefundLineItems     []refundLineItem     `json:"refund_line_items"`
	RefundShippingLines []refundShippingLine `json:"refund_shipping_lines"`
	OrderAdjustments    []orderAdjustment    `json:"order_adjustments"`
	Transactions        []transaction        `json:"transactions"`
	TotalDutiesSet      *moneyBag            `json:"total_duties_set"`
}

// decode unmarshals a webhook body into v, naming the failing field.
func decode(body []byte, v any) error {
	dec := json.NewDecoder(bytes.NewReader(body))
	if err := dec.Decode(v); err != nil {
		var ute *json.UnmarshalTypeError
		if errors.As(err, &ute) {
			return fmt.Errorf("%w: field %s has the wrong type", ErrInvalidPayload, ute.Field)
		}
		if errors.Is(err, errBadAmount) {
			return fmt.Errorf("%w: an amount is not an exact decimal", ErrInvalidPayload)
		}
		return fmt.Errorf("%w: %v", ErrInvalidPayload, err)
	}
	if dec.More() {
		return fmt.Errorf("%w: trailing data after the JSON object", ErrInvalidPayload)
	}
	return nil
}
