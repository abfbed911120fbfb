// Package segment knows the Segment tracking spec: its message types and
// fields, the e-commerce spec v2 events, and the rules a message must follow.
// Ingest uses it to validate messages without re-encoding them; the store
// writer uses it to read them into rows. Keeping both in one place means a
// message the API accepts is always one the writer can read.
//
// Spec: https://segment.com/docs/connections/spec/ (common fields, identify,
// track, page, screen, group, alias) and the e-commerce spec v2.
package segment

import (
	"fmt"
	"strings"
	"time"

	"github.com/govalues/decimal"
	"github.com/valyala/fastjson"
)

// Message types of the Segment spec, plus tradewind's own: AdSpend, which only
// the bulk importer produces (ad spend belongs to no person), and Consent, a
// person's consent decision recorded through the API (properties.purposes maps
// a purpose to true or false).
const (
	Identify = "identify"
	Track    = "track"
	Page     = "page"
	Screen   = "screen"
	Group    = "group"
	Alias    = "alias"
	AdSpend  = "ad_spend"
	Consent  = "consent"
	// The real-time engine's own messages about a profile (properties
	// carry profile_id): segment membership changes, for triggers, and
	// behaviour that departs from the person's own history.
	SegmentEntered   = "segment_entered"
	SegmentExited    = "segment_exited"
	ProfileDeviation = "profile_deviation"
	// IdentityUnmerge records an admin's unmerge in the log, so a replay
	// undoes the merge at the same position.
	IdentityUnmerge = "identity_unmerge"
	// AlertRaised is an alert of the monitors (brand health), for
	// triggers and the alerts inbox; properties carry the alert.
	AlertRaised = "alert_raised"
)

// EngineSource is the source id of the real-time engine's own messages; no
// registered source can have it (source ids start with a letter or digit).
const EngineSource = "_tradewind"

// IsEngineType reports whether t is one of the engine's own message types.
func IsEngineType(t string) bool {
	return t == SegmentEntered || t == SegmentExited || t == ProfileDeviation || t == IdentityUnmerge || t == AlertRaised
}

// Consent purposes tradewind honours. Segment's context.consent categories
// are mapped onto them (see ConsentPurpose).
const (
	PurposeAnalytics       = "analytics"
	PurposePersonalisation = "personalisation"
	PurposeEmail           = "email"
	PurposeSMS             = "sms"
	PurposeAdvertising     = "advertising"
)

// Purposes lists the consent purposes in a stable order.
var Purposes = []string{PurposeAnalytics, PurposePersonalisation, PurposeEmail, PurposeSMS, PurposeAdvertising}

// ConsentPurpose maps a consent category name, tradewind's own or one of the
// names consent managers use with Segment's context.consent
// ("Advertising", "Analytics", "Personalization", "Marketing", "Email"…), to
// a purpose; ok is false for a category that matches none (such as
// "Functional"), which is kept under its own lower-cased name.
func ConsentPurpose(category string) (purpose string, ok bool) {
	c := strings.ToLower(strings.TrimSpace(category))
	switch {
	case strings.Contains(c, "analytic") || strings.Contains(c, "performance") || strings.Contains(c, "measurement"):
		return PurposeAnalytics, true
	case strings.Contains(c, "personali"):
		return PurposePersonalisation, true
	case strings.Contains(c, "sms") || strings.Contains(c, "text message"):
		return PurposeSMS, true
	case strings.Contains(c, "email") || strings.Contains(c, "e-mail") || strings.Contains(c, "newsletter"):
		return PurposeEmail, true
	case strings.Contains(c, "advert") || c == "ads" || strings.Contains(c, "marketing") || strings.Contains(c, "targeting"):
		return PurposeAdvertising, true
	}
	return c, false
}

// E-commerce spec v2 events that tradewind projects into tables.
const (
	OrderCompleted  = "Order Completed"
	OrderUpdated    = "Order Updated"
	OrderRefunded   = "Order Refunded"
	OrderCancelled  = "Order Cancelled"
	ProductReviewed = "Product Reviewed"
)

// Limits on a message's fields. They protect the store from junk, not the
// sender from the spec: real SDK payloads stay far below them.
const (
	MaxIDLength    = 512 // userId, anonymousId, messageId, groupId, previousId
	MaxEventLength = 512 // event and page/screen names
)

// IsType reports whether t is a message type the public tracking API accepts.
func IsType(t string) bool {
	switch t {
	case Identify, Track, Page, Screen, Group, Alias:
		return true
	}
	return false
}

// FieldError says which field of a message is wrong and why. It never holds
// the field's value: values may be personal data, and errors end up in
// responses and logs.
type FieldError struct {
	Field  string
	Reason string
}

func (e *FieldError) Error() string { return e.Field + ": " + e.Reason }

func fieldErr(field, format string, args ...any) *FieldError {
	return &FieldError{Field: field, Reason: fmt.Sprintf(format, args...)}
}

// Times are the time fields of a message, parsed.
type Times struct {
	Timestamp         time.Time // zero if absent
	OriginalTimestamp time.Time
	SentAt            time.Time
}

// Validate checks one message object of type typ (the endpoint's type, or the
// message's own in a batch) and returns its times. It checks what the store
// relies on: the ids, the type's required fields, the shapes of the nested
// objects, the times and the money amounts of e-commerce events.
func Validate(v *fastjson.Value, typ string) (Times, error) {
	var ts Times
	if v.Type() != fastjson.TypeObject {
		return ts, fieldErr("message", "must be a JSON object, got %s", v.Type())
	}
	uid, err := idField(v, "userId")
	if err != nil {
		return ts, err
	}
	aid, err := idField(v, "anonymousId")
	if err != nil {
		return ts, err
	}
	if uid == "" && aid == "" && typ != AdSpend && !IsEngineType(typ) {
		return ts, fieldErr("userId", "userId or anonymousId is required")
	}
	if _, err := idField(v, "messageId"); err != nil {
		return ts, err
	}
	for _, f := range []string{"properties", "traits", "context", "integrations"} {
		if fv := v.Get(f); fv != nil && fv.Type() != fastjson.TypeObject && fv.Type() != fastjson.TypeNull {
			return ts, fieldErr(f, "must be an object, got %s", fv.Type())
		}
	}
	switch typ {
	case Track:
		ev, err := stringField(v, "event", MaxEventLength)
		if err != nil {
			return ts, err
		}
		if ev == "" {
			return ts, fieldErr("event", "is required for track")
		}
		if err := validateCommerce(ev, v.Get("properties")); err != nil {
			return ts, err
		}
	case Page, Screen:
		if _, err := stringField(v, "name", MaxEventLength); err != nil {
			return ts, err
		}
	case Group:
		id, err := idField(v, "groupId")
		if err != nil {
			return ts, err
		}
		if id == "" {
			return ts, fieldErr("groupId", "is required for group")
		}
	case Alias:
		id, err := idField(v, "previousId")
		if err != nil {
			return ts, err
		}
		if id == "" {
			return ts, fieldErr("previousId", "is required for alias")
		}
	case AdSpend:
		if err := validateAdSpend(v.Get("properties")); err != nil {
			return ts, err
		}
	case Consent:
		if err := validateConsent(v.Get("properties")); err != nil {
			return ts, err
		}
	}
	if ts.Timestamp, err = timeField(v, "timestamp"); err != nil {
		return ts, err
	}
	if ts.OriginalTimestamp, err = timeField(v, "originalTimestamp"); err != nil {
		return ts, err
	}
	if ts.SentAt, err = timeField(v, "sentAt"); err != nil {
		return ts, err
	}
	return ts, nil
}

// EventTime corrects the sender's clock as Segment does: the event happened
// (sentAt − timestamp) before the message was sent, and the server received
// it at receivedAt, so timestamp = receivedAt − (sentAt − timestamp). Without
// sentAt the sender's timestamp stands; without any, receivedAt is the time.
// batchSentAt is the enclosing batch's sentAt; the message's own wins.
func EventTime(t Times, batchSentAt, receivedAt time.Time) time.Time {
	client := t.Timestamp
	if client.IsZero() {
		client = t.OriginalTimestamp
	}
	if client.IsZero() {
		return receivedAt
	}
	sent := t.SentAt
	if sent.IsZero() {
		sent = batchSentAt
	}
	if sent.IsZero() {
		return client
	}
	return receivedAt.Add(-sent.Sub(client))
}

// ID reads an id field: a string, or a number (some SDKs send numeric user
// ids), as text. Absent or null is "".
func ID(v *fastjson.Value, field string) string {
	s, _ := idField(v, field)
	return s
}

func idField(v *fastjson.Value, field string) (string, error) {
	f := v.Get(field)
	if f == nil {
		return "", nil
	}
	var s string
	switch f.Type() {
	case fastjson.TypeNull:
		return "", nil
	case fastjson.TypeString:
		s = string(f.GetStringBytes())
	case fastjson.TypeNumber:
		s = f.String()
	default:
		return "", fieldErr(field, "must be a string, got %s", f.Type())
	}
	if len(s) > MaxIDLength {
		return "", fieldErr(field, "longer than %d bytes", MaxIDLength)
	}
	return strings.TrimSpace(s), nil
}

func stringField(v *fastjson.Value, field string, max int) (string, error) {
	f := v.Get(field)
	if f == nil || f.Type() == fastjson.TypeNull {
		return "", nil
	}
	if f.Type() != fastjson.TypeString {
		return "", fieldErr(field, "must be a string, got %s", f.Type())
	}
	b := f.GetStringBytes()
	if len(b) > max {
		return "", fieldErr(field, "longer than %d bytes", max)
	}
	return string(b), nil
}

func timeField(v *fastjson.Value, field string) (time.Time, error) {
	f := v.Get(field)
	if f == nil || f.Type() == fastjson.TypeNull {
		return time.Time{}, nil
	}
	if f.Type() != fastjson.TypeString {
		return time.Time{}, fieldErr(field, "must be an ISO-8601 date string, got %s", f.Type())
	}
	t, err := ParseTime(string(f.GetStringBytes()))
	if err != nil {
		return time.Time{}, fieldErr(field, "is not an ISO-8601 date-time")
	}
	return t, nil
}

// timeLayouts are the ISO-8601 forms SDKs and exports send, most common first.
var timeLayouts = []string{
	time.RFC3339Nano,
	"2006-01-02T15:04:05.999999999Z0700",
	"2006-01-02T15:04:05.999999999",
	"2006-01-02 15:04:05.999999999Z07:00",
	"2006-01-02 15:04:05.999999999",
	"2006-01-02",
}

// ParseTime parses an ISO-8601 date-time as SDKs send it; a time without a
// zone is UTC. The result is in UTC.
func ParseTime(s string) (time.Time, error) {
	for _, l := range timeLayouts {
		if t, err := time.Parse(l, s); err == nil {
			if t.Year() < 1970 || t.Year() > 9999 {
				return time.Time{}, fmt.Errorf("time %q out of range", s)
			}
			return t.UTC(), nil
		}
	}
	return time.Time{}, fmt.Errorf("not an ISO-8601 time: %q", s)
}

// Money reads an amount: a JSON number or a numeric string, decoded from its
// text, never through float64. ok is false when the field is absent or null.
func Money(v *fastjson.Value, field string) (d decimal.Decimal, ok bool, err error) {
	f := v.Get(field)
	if f == nil || f.Type() == fastjson.TypeNull {
		return decimal.Decimal{}, false, nil
	}
	var text string
	switch f.Type() {
	case fastjson.TypeNumber:
		text = f.String()
	case fastjson.TypeString:
		text = strings.TrimSpace(string(f.GetStringBytes()))
		if text == "" {
			return decimal.Decimal{}, false, nil
		}
	default:
		return decimal.Decimal{}, false, fieldErr(field, "must be a number, got %s", f.Type())
	}
	d, err = decimal.Parse(text)
	if err != nil {
		// Exponent forms (1e3) are valid JSON; retry through big-enough parsing.
		d, err = parseExponent(text)
		if err != nil {
			return decimal.Decimal{}, false, fieldErr(field, "is not a decimal number")
		}
	}
	return d, true, nil
}

// moneyFields are the e-commerce spec's amount properties.
var moneyFields = []string{"total", "revenue", "subtotal", "tax", "shipping", "discount", "value", "price"}

func validateCommerce(event string, props *fastjson.Value) error {
	switch event {
	case OrderCompleted, OrderUpdated, OrderRefunded, OrderCancelled, "Checkout Started", "Product Added", "Product Viewed", "Product Removed":
	case ProductReviewed:
		if props == nil {
			return nil
		}
		if r := props.Get("rating"); r != nil && r.Type() != fastjson.TypeNull {
			d, ok, err := Money(props, "rating")
			if err != nil {
				return fieldErr("properties.rating", "must be a number")
			}
			if ok && (d.Sign() < 0 || d.Cmp(decimal.MustNew(10, 0)) > 0) {
				return fieldErr("properties.rating", "must be between 0 and 10")
			}
		}
		return nil
	default:
		return nil
	}
	if props == nil || props.Type() != fastjson.TypeObject {
		return nil
	}
	for _, f := range moneyFields {
		if _, _, err := Money(props, f); err != nil {
			return fieldErr("properties."+f, "%s", err.(*FieldError).Reason)
		}
	}
	if c := props.Get("currency"); c != nil && c.Type() != fastjson.TypeNull {
		if _, err := Currency(c); err != nil {
			return fieldErr("properties.currency", "%s", err)
		}
	}
	if p := props.Get("products"); p != nil && p.Type() != fastjson.TypeNull {
		items, err := p.Array()
		if err != nil {
			return fieldErr("properties.products", "must be an array")
		}
		for i, it := range items {
			if it.Type() != fastjson.TypeObject {
				return fieldErr(fmt.Sprintf("properties.products[%d]", i), "must be an object")
			}
			if _, _, err := Money(it, "price"); err != nil {
				return fieldErr(fmt.Sprintf("properties.products[%d].price", i), "must be a number")
			}
			if q := it.Get("quantity"); q != nil && q.Type() != fastjson.TypeNull {
				n, ok, err := Money(it, "quantity")
				if err != nil || (ok && (!n.IsInt() || n.Sign() < 0)) {
					return fieldErr(fmt.Sprintf("properties.products[%d].quantity", i), "must be a whole number ≥ 0")
				}
			}
		}
	}
	return nil
}

func validateAdSpend(props *fastjson.Value) error {
	if props == nil || props.Type() != fastjson.TypeObject {
		return fieldErr("properties", "is required for ad_spend")
	}
	d := string(props.GetStringBytes("date"))
	if _, err := time.Parse(time.DateOnly, d); err != nil {
		return fieldErr("properties.date", "must be a date YYYY-MM-DD")
	}
	if len(props.GetStringBytes("channel")) == 0 {
		return fieldErr("properties.channel", "is required")
	}
	if _, ok, err := Money(props, "spend"); err != nil || !ok {
		return fieldErr("properties.spend", "must be a number")
	}
	if _, err := Currency(props.Get("currency")); err != nil {
		return fieldErr("properties.currency", "%s", err)
	}
	return nil
}

func validateConsent(props *fastjson.Value) error {
	if props == nil || props.Type() != fastjson.TypeObject {
		return fieldErr("properties", "is required for consent")
	}
	p := props.Get("purposes")
	if p == nil || p.Type() != fastjson.TypeObject {
		return fieldErr("properties.purposes", "must be an object of purpose: true|false")
	}
	o, _ := p.Object()
	if o.Len() == 0 {
		return fieldErr("properties.purposes", "names no purpose")
	}
	var bad string
	o.Visit(func(k []byte, v *fastjson.Value) {
		if bad == "" && v.Type() != fastjson.TypeTrue && v.Type() != fastjson.TypeFalse {
			bad = string(k)
		}
	})
	if bad != "" {
		return fieldErr("properties.purposes", "values must be true or false")
	}
	return nil
}

// Currency reads an ISO 4217 code (three letters, normalised to upper case).
func Currency(v *fastjson.Value) (string, error) {
	if v == nil || v.Type() != fastjson.TypeString {
		return "", fmt.Errorf("must be a three-letter ISO 4217 code")
	}
	return NormalizeCurrency(string(v.GetStringBytes()))
}

// NormalizeCurrency upper-cases and checks a three-letter currency code.
func NormalizeCurrency(s string) (string, error) {
	s = strings.TrimSpace(s)
	if len(s) != 3 {
		return "", fmt.Errorf("must be a three-letter ISO 4217 code")
	}
	b := []byte(s)
	for i, c := range b {
		switch {
		case c >= 'A' && c <= 'Z':
		case c >= 'a' && c <= 'z':
			b[i] = c - 'a' + 'A'
		default:
			return "", fmt.Errorf("must be a three-letter ISO 4217 code")
		}
	}
	return string(b), nil
}
