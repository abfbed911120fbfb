package store

import (
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/govalues/decimal"
	"github.com/valyala/fastjson"

	"github.com/tradewind/tradewind/internal/eventlog"
	"github.com/tradewind/tradewind/internal/ingest/jsonscan"
	"github.com/tradewind/tradewind/internal/segment"
)

// SourceInfo is what projection needs to know of a message's source.
type SourceInfo struct {
	Store       string // the marketplace account; orders are unique per store
	Currency    string // default currency of the source's amounts
	Marketplace string
}

// Projector reads deliveries into rows. It is not safe for concurrent use
// (it reuses one JSON parser); the single store writer owns one.
type Projector struct {
	// Source describes a source by id. Unknown sources project with the
	// source id as their store.
	Source func(id string) (SourceInfo, bool)
	// ToBase converts amounts into the base currency; nil leaves base
	// amounts empty.
	ToBase ToBaseFunc
	// TokenOf recognises an encrypted field's envelope and returns its
	// identifier kind and blind-index token (ok false for any other string,
	// or for an envelope that carries no token). Nil projects no tokens.
	TokenOf func(s string) (kind, token string, ok bool)
	// Suppressed reports whether a message belongs to an erased person, by
	// its sender identity or the tokens of its identifiers; such a message
	// projects to nothing (a replay of the log must not bring them back).
	// Nil suppresses nothing.
	Suppressed func(sourceID, userID, anonymousID string, tokens []TokenRow) bool
	// Expired reports whether a message is older than the retention policy
	// keeps its type; it projects to nothing. Nil keeps everything.
	Expired func(typ, event string, ts time.Time) bool
	// ScoreText scores a review's text (title and body) in its language
	// ("" when the sender gave none): the enricher of the voice of the
	// customer, run as the review is stored — after the acknowledgement.
	// Nil scores nothing.
	ScoreText func(text, lang string) TextScore

	parser fastjson.Parser
	err    error // first amount error of the message being projected
}

// Project reads one delivery. A message that cannot be read sets Err (the
// writer quarantines it) instead of failing the batch: the ingest side
// validated it, so this only happens after a change of rules.
func (pr *Projector) Project(d eventlog.Delivery) Projected {
	out := Projected{Delivery: d}
	pr.err = nil
	v, err := pr.parser.ParseBytes(d.Data)
	// The parser reads NaN, Infinity and numbers such as +1 as numbers,
	// which JSON has not: the validator is strict (ingest refuses them; a
	// log written before it did is projected the same way on every replay).
	if err != nil || fastjson.ValidateBytes(d.Data) != nil {
		out.Err = &segment.FieldError{Field: "message", Reason: "is not valid JSON"}
		return out
	}
	if _, err := segment.Validate(v, d.Type); err != nil {
		out.Err = err
		return out
	}
	ev := &EventRow{
		Seq:         d.Seq,
		MessageID:   d.Meta.MessageID,
		SourceID:    d.Meta.Source,
		Type:        d.Type,
		Event:       string(v.GetStringBytes("event")),
		UserID:      segment.ID(v, "userId"),
		AnonymousID: segment.ID(v, "anonymousId"),
		Name:        string(v.GetStringBytes("name")),
		GroupID:     segment.ID(v, "groupId"),
		PreviousID:  segment.ID(v, "previousId"),
		Timestamp:   d.Meta.Timestamp,
		ReceivedAt:  d.Meta.ReceivedAt,
		ImportID:    d.Meta.ImportID,
	}
	if t, err := segment.ParseTime(string(v.GetStringBytes("timestamp"))); err == nil {
		ev.OriginalTimestamp = t
	}
	// The message's own sentAt, else its batch's (the Segment Node SDK sets
	// only the batch's).
	ev.SentAt = d.Meta.SentAt
	ev.Properties = rawObject(d.Data, v, "properties")
	ev.Traits = rawObject(d.Data, v, "traits")
	ev.Context = rawObject(d.Data, v, "context")
	ev.Integrations = rawObject(d.Data, v, "integrations")
	out.Event = ev

	src, ok := pr.Source(d.Meta.Source)
	if !ok {
		src = SourceInfo{Store: d.Meta.Source}
	}
	props := v.Get("properties")
	switch {
	case d.Type == segment.Identify:
		out.Customer = pr.customer(ev, v)
	case d.Type == segment.AdSpend:
		out.AdSpend, out.Err = pr.adSpend(ev, props, src)
	case d.Type == segment.Track && props != nil && props.Type() == fastjson.TypeObject:
		switch ev.Event {
		case segment.OrderCompleted, segment.OrderUpdated:
			out.Order, out.Err = pr.order(ev, props, src)
		case segment.OrderRefunded:
			out.Refund, out.Err = pr.refund(ev, props, src)
		case segment.OrderCancelled:
			out.Cancel = &CancelRow{Seq: d.Seq, Store: src.Store, OrderID: orderID(ev, props), SourceID: ev.SourceID,
				MessageID: ev.MessageID, Timestamp: ev.Timestamp, Reason: str(props, "reason")}
		case segment.ProductReviewed:
			out.Review = pr.review(ev, props)
		}
	}
	if pr.TokenOf != nil {
		for _, f := range [...]struct {
			path string
			v    *fastjson.Value
		}{{"traits", v.Get("traits")}, {"context.traits", v.Get("context", "traits")}, {"properties", props}} {
			var buf [64]byte
			out.Tokens = pr.tokens(out.Tokens, ev, append(buf[:0], f.path...), f.v)
		}
	}
	if pr.Expired != nil && pr.Expired(ev.Type, ev.Event, ev.Timestamp) {
		return Projected{Delivery: d, Expired: true}
	}
	if pr.Suppressed != nil && pr.Suppressed(ev.SourceID, ev.UserID, ev.AnonymousID, out.Tokens) {
		return Projected{Delivery: d, Suppressed: true}
	}
	out.Consents = consents(ev, v, props)
	if out.Err == nil {
		out.Err = pr.err
	}
	if out.Err != nil {
		out.Event, out.Order, out.Refund, out.Cancel = nil, nil, nil, nil
		out.Customer, out.Review, out.AdSpend = nil, nil, nil
		out.Tokens, out.Consents = nil, nil
	}
	return out
}

// rawObject is the object field of the message data as the sender wrote
// it, or encoded from v where the scanner cannot be sure which bytes the
// parser read (encoding them all was 3% of the allocations at 20,000
// events/s: the store writer and the profile engine both project).
func rawObject(data []byte, v *fastjson.Value, field string) []byte {
	f := v.Get(field)
	if f == nil || f.Type() != fastjson.TypeObject {
		return nil
	}
	if raw, ok := jsonscan.Field(data, field, false); ok && len(raw) > 0 && raw[0] == '{' {
		return raw
	}
	return f.MarshalTo(nil)
}

func str(v *fastjson.Value, field string) string {
	f := v.Get(field)
	if f == nil {
		return ""
	}
	switch f.Type() {
	case fastjson.TypeString:
		return string(f.GetStringBytes())
	case fastjson.TypeNumber:
		return f.String()
	}
	return ""
}

// customerID is the sender's identity for per-source customer tables: the
// userId, else the anonymousId.
func customerID(ev *EventRow) string {
	if ev.UserID != "" {
		return ev.UserID
	}
	return ev.AnonymousID
}

// orderID is the order's id; an order event without one is keyed by its
// messageId, so it is still counted once.
func orderID(ev *EventRow, props *fastjson.Value) string {
	if id := str(props, "order_id"); id != "" {
		return id
	}
	if id := str(props, "orderId"); id != "" {
		return id
	}
	return "msg:" + ev.MessageID
}

// maxAmount bounds amounts to what DECIMAL(18,4) holds.
var maxAmount = decimal.MustNew(100_000_000_000_000, 0)

// money reads an amount rounded half-even to 4 places (every ISO 4217
// currency has at most 4 minor digits). An amount too large for the store
// makes the message fail projection rather than be stored wrong.
func (pr *Projector) money(v *fastjson.Value, field string) NullDecimal {
	d, ok, err := segment.Money(v, field)
	if err != nil || !ok {
		return NullDecimal{}
	}
	if d.Abs().Cmp(maxAmount) >= 0 {
		if pr.err == nil {
			pr.err = &segment.FieldError{Field: "properties." + field, Reason: "amount too large (at most 14 integer digits)"}
		}
		return NullDecimal{}
	}
	return NullDecimal{D: d.Round(4), Valid: true}
}

func (pr *Projector) currency(props *fastjson.Value, src SourceInfo) (string, error) {
	c := props.Get("currency")
	if c == nil || c.Type() == fastjson.TypeNull {
		if src.Currency == "" {
			return "", &segment.FieldError{Field: "properties.currency", Reason: "is required (the source has no default currency)"}
		}
		return src.Currency, nil
	}
	cur, err := segment.Currency(c)
	if err != nil {
		return "", &segment.FieldError{Field: "properties.currency", Reason: err.Error()}
	}
	return cur, nil
}

func (pr *Projector) base(amount NullDecimal, currency string, day time.Time) (NullDecimal, time.Time) {
	if !amount.Valid || pr.ToBase == nil {
		return NullDecimal{}, time.Time{}
	}
	b, rd, ok := pr.ToBase(amount.D, currency, day)
	if !ok {
		return NullDecimal{}, time.Time{}
	}
	return NullDecimal{D: b, Valid: true}, rd
}

func (pr *Projector) order(ev *EventRow, props *fastjson.Value, src SourceInfo) (*OrderRow, error) {
	cur, err := pr.currency(props, src)
	if err != nil {
		return nil, err
	}
	o := &OrderRow{
		Seq: ev.Seq, Store: src.Store, OrderID: orderID(ev, props), SourceID: ev.SourceID,
		MessageID: ev.MessageID, Event: ev.Event, CustomerID: customerID(ev),
		UserID: ev.UserID, AnonID: ev.AnonymousID, Timestamp: ev.Timestamp, Currency: cur,
		Total: pr.money(props, "total"), Revenue: pr.money(props, "revenue"), Subtotal: pr.money(props, "subtotal"),
		Tax: pr.money(props, "tax"), Shipping: pr.money(props, "shipping"), Discount: pr.money(props, "discount"),
		Coupon: str(props, "coupon"), Status: strings.ToLower(str(props, "status")),
		Marketplace: src.Marketplace, Properties: ev.Properties,
	}
	if m := str(props, "marketplace"); m != "" {
		o.Marketplace = m
	}
	if o.Status == "" {
		o.Status = "completed"
	}
	// The spec's total is after discounts with tax and shipping; senders that
	// give only revenue (before tax and shipping) get total = revenue + tax +
	// shipping, so every order has a comparable total.
	if !o.Total.Valid && o.Revenue.Valid {
		t := o.Revenue.D
		for _, add := range []NullDecimal{o.Tax, o.Shipping} {
			if add.Valid {
				if s, err := t.Add(add.D); err == nil {
					t = s
				}
			}
		}
		o.Total = NullDecimal{D: t, Valid: true}
	}
	o.TotalBase, o.FXRateDate = pr.base(o.Total, cur, ev.Timestamp)
	if items := props.GetArray("products"); items != nil {
		o.Items = make([]ItemRow, 0, len(items))
		for i, it := range items {
			q := int64(1)
			if qv, ok, _ := segment.Money(it, "quantity"); ok {
				if n, _, ok := qv.Int64(0); ok {
					q = n
				}
			}
			o.Items = append(o.Items, ItemRow{
				Position: i, ProductID: str(it, "product_id"), SKU: str(it, "sku"), Name: str(it, "name"),
				Category: str(it, "category"), Brand: str(it, "brand"), Variant: str(it, "variant"),
				Price: pr.money(it, "price"), Quantity: q,
			})
		}
	}
	return o, nil
}

func (pr *Projector) refund(ev *EventRow, props *fastjson.Value, src SourceInfo) (*RefundRow, error) {
	cur, err := pr.currency(props, src)
	if err != nil {
		return nil, err
	}
	r := &RefundRow{Seq: ev.Seq, Store: src.Store, OrderID: orderID(ev, props), SourceID: ev.SourceID,
		MessageID: ev.MessageID, Timestamp: ev.Timestamp, Currency: cur, Reason: str(props, "reason")}
	r.Amount = pr.money(props, "total")
	if !r.Amount.Valid {
		r.Amount = pr.money(props, "revenue")
	}
	if !r.Amount.Valid {
		r.Amount = pr.money(props, "value")
	}
	r.AmountBase, r.FXRateDate = pr.base(r.Amount, cur, ev.Timestamp)
	return r, nil
}

func (pr *Projector) customer(ev *EventRow, v *fastjson.Value) *CustomerRow {
	c := &CustomerRow{Seq: ev.Seq, SourceID: ev.SourceID, CustomerID: customerID(ev), UserID: ev.UserID,
		AnonID: ev.AnonymousID, Timestamp: ev.Timestamp, Traits: ev.Traits}
	t := v.Get("traits")
	if t == nil || t.Type() != fastjson.TypeObject {
		return c
	}
	c.Email = strings.TrimSpace(str(t, "email"))
	c.Phone = strings.TrimSpace(str(t, "phone"))
	c.FirstName = firstOf(t, "firstName", "first_name")
	c.LastName = firstOf(t, "lastName", "last_name")
	c.Name = str(t, "name")
	if c.Name == "" && (c.FirstName != "" || c.LastName != "") {
		c.Name = strings.TrimSpace(c.FirstName + " " + c.LastName)
	}
	c.Country = firstOf(t, "country")
	c.City = firstOf(t, "city")
	if a := t.Get("address"); a != nil && a.Type() == fastjson.TypeObject {
		if c.Country == "" {
			c.Country = str(a, "country")
		}
		if c.City == "" {
			c.City = str(a, "city")
		}
	}
	c.Language = firstOf(t, "language", "locale")
	if s := firstOf(t, "createdAt", "created_at"); s != "" {
		if ct, err := segment.ParseTime(s); err == nil {
			c.CreatedAt = ct
		}
	}
	return c
}

func firstOf(v *fastjson.Value, fields ...string) string {
	for _, f := range fields {
		if s := str(v, f); s != "" {
			return s
		}
	}
	return ""
}

func (pr *Projector) review(ev *EventRow, props *fastjson.Value) *ReviewRow {
	r := &ReviewRow{Seq: ev.Seq, SourceID: ev.SourceID, MessageID: ev.MessageID,
		ReviewID: firstOf(props, "review_id", "reviewId"), ProductID: firstOf(props, "product_id", "productId"),
		CustomerID: customerID(ev), Title: firstOf(props, "title", "review_title"),
		Body: firstOf(props, "review_body", "body", "text"), Language: firstOf(props, "language", "lang"),
		Rating: pr.money(props, "rating"), Timestamp: ev.Timestamp, Properties: ev.Properties}
	if r.ReviewID == "" {
		r.ReviewID = "msg:" + ev.MessageID
	}
	if pr.ScoreText != nil {
		text := strings.TrimSpace(r.Title + "\n" + r.Body)
		if text != "" {
			sc := pr.ScoreText(text, r.Language)
			r.Score = &sc
		}
	}
	return r
}

func (pr *Projector) adSpend(ev *EventRow, props *fastjson.Value, src SourceInfo) (*AdSpendRow, error) {
	day, err := time.Parse(time.DateOnly, str(props, "date"))
	if err != nil {
		return nil, &segment.FieldError{Field: "properties.date", Reason: "must be a date YYYY-MM-DD"}
	}
	cur, err := pr.currency(props, src)
	if err != nil {
		return nil, err
	}
	a := &AdSpendRow{Seq: ev.Seq, SourceID: ev.SourceID, MessageID: ev.MessageID, Date: day,
		Channel: str(props, "channel"), Campaign: str(props, "campaign"), Currency: cur,
		Spend: pr.money(props, "spend"), Marketplace: firstOf(props, "marketplace")}
	if a.Marketplace == "" {
		a.Marketplace = src.Marketplace
	}
	a.Impressions = int64(props.GetInt64("impressions"))
	a.Clicks = int64(props.GetInt64("clicks"))
	a.SpendBase, a.FXRateDate = pr.base(a.Spend, cur, day)
	if !a.Spend.Valid {
		return nil, fmt.Errorf("properties.spend: must be a number")
	}
	return a, nil
}

// tokens collects the blind-index tokens of the envelopes under v; path
// is v's path. A path becomes a string only for a token found: an order's
// products are walked for every message (by the store writer and again by
// the profile engine), and building each element's path as a string was
// most of what projecting an imported order allocated.
func (pr *Projector) tokens(out []TokenRow, ev *EventRow, path []byte, v *fastjson.Value) []TokenRow {
	if v == nil {
		return out
	}
	switch v.Type() {
	case fastjson.TypeString:
		b := v.GetStringBytes()
		if len(b) < 4 || string(b[:4]) != "tw1." {
			return out
		}
		if kind, tok, ok := pr.TokenOf(string(b)); ok {
			out = append(out, TokenRow{Seq: ev.Seq, SourceID: ev.SourceID, UserID: ev.UserID,
				AnonymousID: ev.AnonymousID, Kind: kind, Token: tok, Path: string(path)})
		}
	case fastjson.TypeObject:
		o, _ := v.Object()
		o.Visit(func(k []byte, c *fastjson.Value) {
			if c.Type() == fastjson.TypeString || c.Type() == fastjson.TypeObject || c.Type() == fastjson.TypeArray {
				p := append(append(path, '.'), k...)
				out = pr.tokens(out, ev, p, c)
				path = p[:len(path)] // keep a buffer grown by the child
			}
		})
	case fastjson.TypeArray:
		a, _ := v.Array()
		for i, c := range a {
			if t := c.Type(); t != fastjson.TypeString && t != fastjson.TypeObject && t != fastjson.TypeArray {
				continue
			}
			p := strconv.AppendInt(append(path, '.'), int64(i), 10)
			out = pr.tokens(out, ev, p, c)
			path = p[:len(path)]
		}
	}
	return out
}

// consents reads a message's consent decisions: a consent message's
// properties.purposes, or Segment's context.consent.categoryPreferences on
// any message (the consent manager's state when the event happened).
func consents(ev *EventRow, v, props *fastjson.Value) []ConsentRow {
	row := ConsentRow{Seq: ev.Seq, MessageID: ev.MessageID, SourceID: ev.SourceID, CustomerID: customerID(ev),
		UserID: ev.UserID, AnonymousID: ev.AnonymousID, Timestamp: ev.Timestamp}
	var prefs *fastjson.Value
	if ev.Type == segment.Consent && props != nil {
		prefs = props.Get("purposes")
		row.Origin = "api"
		row.LawfulBasis = str(props, "lawful_basis")
		row.Proof = str(props, "proof")
	} else if prefs = v.Get("context", "consent", "categoryPreferences"); prefs != nil {
		row.Origin = "event"
		row.LawfulBasis = "consent"
		row.Proof = "message " + ev.MessageID
	}
	if prefs == nil || prefs.Type() != fastjson.TypeObject {
		return nil
	}
	var out []ConsentRow
	o, _ := prefs.Object()
	o.Visit(func(k []byte, g *fastjson.Value) {
		if t := g.Type(); t != fastjson.TypeTrue && t != fastjson.TypeFalse {
			return
		}
		r := row
		r.Purpose, _ = segment.ConsentPurpose(string(k))
		r.Granted = g.Type() == fastjson.TypeTrue
		if r.Purpose != "" {
			out = append(out, r)
		}
	})
	return out
}
