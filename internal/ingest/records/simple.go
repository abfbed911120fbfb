package records

import (
	"bytes"
	"strings"

	"github.com/tradewind/tradewind/internal/jsonw"
)

// rowConv holds what the one-message-per-row converters share.
type rowConv struct {
	r    *Reader
	w    jsonw.Writer
	vals [][]byte // normalised values per field of the current row
	cols []int    // column each value came from
	buf  []byte   // backing store for vals
	v    *rowView
}

// load validates and normalises every field of the row. On a problem it
// queues a RowError and returns false.
func (c *rowConv) load(v *rowView) bool {
	b := c.r.b
	n := len(b.spec.fields)
	if c.vals == nil {
		c.vals = make([][]byte, n)
		c.cols = make([]int, n)
	}
	c.v = v
	c.buf = c.buf[:0]
	var starts [64]int
	var ends [64]int
	for f := 0; f < n; f++ {
		starts[f], ends[f] = 0, 0
		c.cols[f] = -1
		if len(b.fieldCols[f]) == 0 && b.defaults[f] == nil {
			continue
		}
		val, col := v.get(f)
		c.cols[f] = col
		if len(val) == 0 {
			continue
		}
		start := len(c.buf)
		var reason string
		c.buf, reason = normalize(c.buf, b.spec.fields[f].typ, val, b.decComma)
		if reason != "" {
			c.r.fail(c.r.rowErr(v.line, b.colName(f, col), reason, v.raw))
			return false
		}
		starts[f], ends[f] = start, len(c.buf)
	}
	for f := 0; f < n; f++ {
		c.vals[f] = c.buf[starts[f]:ends[f]]
	}
	return true
}

func (c *rowConv) missing(f int, reason string) {
	v := c.v
	c.r.fail(c.r.rowErr(v.line, c.r.b.colName(f, c.cols[f]), reason, v.raw))
}

// writeExtras writes the row's extra columns and the named targets of kind k
// (ckProp or ckTrait) as string members of the open object.
func (c *rowConv) writeExtras(extras bool, k colKind) {
	b := c.r.b
	for col, t := range b.cols {
		if (extras && t.k == ckExtra) || (t.k == k && k != ckExtra) {
			val := c.v.cell(col)
			if len(val) == 0 {
				continue
			}
			c.w.Key(t.name).StringBytes(val)
		}
	}
}

func (c *rowConv) hasExtras(extras bool, k colKind) bool {
	for col, t := range c.r.b.cols {
		if (extras && t.k == ckExtra) || (t.k == k && k != ckExtra) {
			if len(c.v.cell(col)) > 0 {
				return true
			}
		}
	}
	return false
}

// writeImport writes the context member that says where a message came
// from: the kind of file and the line its row starts on.
func writeImport(w *jsonw.Writer, kind Kind, line int) {
	w.Key("import").BeginObject()
	w.Key("kind").String(string(kind))
	w.Key("line").Int(int64(line))
	w.EndObject()
}

// writeAddress writes the "address" trait, unless every part is empty.
func writeAddress(w *jsonw.Writer, street, city, state, postalCode, country []byte) {
	if len(street)+len(city)+len(state)+len(postalCode)+len(country) == 0 {
		return
	}
	w.Key("address").BeginObject()
	w.OptStringBytes("street", street)
	w.OptStringBytes("city", city)
	w.OptStringBytes("state", state)
	w.OptStringBytes("postalCode", postalCode)
	w.OptStringBytes("country", country)
	w.EndObject()
}

// require queues a RowError for the first of fields that has no value and
// reports whether all have one.
func (c *rowConv) require(fields ...int) bool {
	for _, f := range fields {
		if len(c.vals[f]) == 0 {
			c.missing(f, "missing required value")
			return false
		}
	}
	return true
}

func (c *rowConv) emit(key string) {
	c.r.emit(Record{Line: c.v.line, EndLine: c.v.endLine, Message: bytes.Clone(c.w.Bytes()), Key: key})
}

func (c *rowConv) finish()     {}
func (c *rowConv) drain() bool { return false }

// customerConv: one identify per row.
type customerConv struct{ rowConv }

func (c *customerConv) row(v *rowView) {
	if !c.load(v) {
		return
	}
	x := c.vals
	if len(x[cCustomerID]) == 0 && len(x[cEmail]) == 0 && len(x[cAnonymousID]) == 0 {
		c.missing(cCustomerID, "missing: a customer needs customer_id, email or anonymous_id")
		return
	}
	w := &c.w
	w.Reset(w.Bytes()[:0])
	w.BeginObject()
	w.Key("type").String("identify")
	w.OptStringBytes("userId", x[cCustomerID])
	anon := x[cAnonymousID]
	if len(x[cCustomerID]) == 0 && len(anon) == 0 {
		w.Key("anonymousId").String(hashID("email-", bytes.ToLower(x[cEmail])))
	} else {
		w.OptStringBytes("anonymousId", anon)
	}
	w.OptStringBytes("timestamp", x[cUpdatedAt])
	w.Key("traits").BeginObject()
	w.OptStringBytes("email", x[cEmail])
	w.OptStringBytes("phone", x[cPhone])
	w.OptStringBytes("firstName", x[cFirstName])
	w.OptStringBytes("lastName", x[cLastName])
	w.OptStringBytes("name", x[cName])
	writeAddress(w, x[cStreet], x[cCity], x[cState], x[cPostalCode], x[cCountry])
	w.OptStringBytes("language", x[cLanguage])
	w.OptStringBytes("createdAt", x[cCreatedAt])
	c.writeExtras(true, ckTrait)
	w.EndObject()
	w.Key("context").BeginObject()
	writeImport(w, KindCustomers, c.v.line)
	w.EndObject()
	w.EndObject()
	var key string
	switch {
	case len(x[cCustomerID]) > 0:
		key = string(x[cCustomerID])
	case len(x[cEmail]) > 0:
		key = hashID("email-sha256:", bytes.ToLower(x[cEmail]))
	default:
		key = "anonymous:" + string(anon)
	}
	c.emit(key)
}

// reviewConv: one "Product Reviewed" per row.
type reviewConv struct{ rowConv }

func (c *reviewConv) row(v *rowView) {
	if !c.load(v) {
		return
	}
	if !c.require(rProductID, rRating, rTimestamp) {
		return
	}
	x := c.vals
	var key string
	if len(x[rReviewID]) > 0 {
		key = string(x[rReviewID])
	} else {
		who := string(x[rCustomerID])
		switch {
		case who != "":
		case len(x[rEmail]) > 0:
			who = hashID("email-", bytes.ToLower(x[rEmail]))
		default:
			who = string(x[rAnonymousID])
		}
		key = string(x[rProductID]) + "|" + who + "|" + string(x[rTimestamp])
	}
	w := &c.w
	w.Reset(w.Bytes()[:0])
	w.BeginObject()
	w.Key("type").String("track")
	w.Key("event").String("Product Reviewed")
	w.OptStringBytes("userId", x[rCustomerID])
	switch {
	case len(x[rAnonymousID]) > 0:
		w.OptStringBytes("anonymousId", x[rAnonymousID])
	case len(x[rCustomerID]) > 0:
	case len(x[rEmail]) > 0:
		w.Key("anonymousId").String(hashID("email-", bytes.ToLower(x[rEmail])))
	default:
		w.Key("anonymousId").String("review:" + key)
	}
	w.Key("timestamp").StringBytes(x[rTimestamp])
	w.Key("properties").BeginObject()
	w.OptStringBytes("product_id", x[rProductID])
	w.OptStringBytes("sku", x[rSKU])
	w.OptStringBytes("review_id", x[rReviewID])
	w.OptStringBytes("review_title", x[rTitle])
	w.OptStringBytes("review_body", x[rBody])
	w.OptNumber("rating", x[rRating])
	w.OptStringBytes("language", x[rLanguage])
	c.writeExtras(true, ckProp)
	w.EndObject()
	w.Key("context").BeginObject()
	if len(x[rEmail]) > 0 || c.hasExtras(false, ckTrait) {
		w.Key("traits").BeginObject()
		w.OptStringBytes("email", x[rEmail])
		c.writeExtras(false, ckTrait)
		w.EndObject()
	}
	writeImport(w, KindReviews, c.v.line)
	w.EndObject()
	w.EndObject()
	c.emit(key)
}

// adSpendConv: one ad_spend message per row.
type adSpendConv struct{ rowConv }

func (c *adSpendConv) row(v *rowView) {
	if !c.load(v) {
		return
	}
	if !c.require(aDate, aChannel, aSpend, aCurrency) {
		return
	}
	x := c.vals
	w := &c.w
	w.Reset(w.Bytes()[:0])
	w.BeginObject()
	w.Key("type").String("ad_spend")
	var ts [32]byte // the date is YYYY-MM-DD
	w.Key("timestamp").StringBytes(append(append(ts[:0], x[aDate]...), "T00:00:00Z"...))
	w.Key("properties").BeginObject()
	w.OptStringBytes("date", x[aDate])
	w.OptStringBytes("channel", x[aChannel])
	w.OptStringBytes("campaign", x[aCampaign])
	w.OptNumber("spend", x[aSpend])
	w.OptStringBytes("currency", x[aCurrency])
	w.OptNumber("impressions", x[aImpressions])
	w.OptNumber("clicks", x[aClicks])
	w.OptStringBytes("marketplace", x[aMarketplace])
	w.OptStringBytes("source", x[aSource])
	c.writeExtras(true, ckProp)
	w.EndObject()
	w.Key("context").BeginObject()
	writeImport(w, KindAdSpend, c.v.line)
	w.EndObject()
	w.EndObject()

	var k strings.Builder
	k.Write(x[aDate])
	k.WriteByte('|')
	k.Write(x[aChannel])
	k.WriteByte('|')
	k.Write(x[aCampaign])
	for _, f := range []int{aMarketplace, aSource} {
		if len(x[f]) > 0 {
			k.WriteString("|" + c.r.b.spec.fields[f].name + "=")
			k.Write(x[f])
		}
	}
	for col, t := range c.r.b.cols {
		if t.k == ckExtra || t.k == ckProp {
			if val := v.cell(col); len(val) > 0 {
				k.WriteString("|" + t.name + "=")
				k.Write(val)
			}
		}
	}
	c.emit(k.String())
}

// eventConv: one Segment message of any type per row.
type eventConv struct{ rowConv }

func (c *eventConv) row(v *rowView) {
	if !c.load(v) {
		return
	}
	x := c.vals
	typ := strings.ToLower(string(x[eType]))
	if typ == "" {
		typ = "track"
	}
	switch typ {
	case "track", "identify", "page", "screen", "group", "alias":
	default:
		c.missing(eType, "is not one of identify, track, page, screen, group, alias")
		return
	}
	if len(x[eUserID]) == 0 && len(x[eAnonymousID]) == 0 {
		c.missing(eUserID, "missing: a message needs user_id or anonymous_id")
		return
	}
	switch typ {
	case "track":
		if len(x[eEvent]) == 0 {
			c.missing(eEvent, "missing: a track message needs an event name")
			return
		}
	case "group":
		if len(x[eGroupID]) == 0 {
			c.missing(eGroupID, "missing: a group message needs group_id")
			return
		}
	case "alias":
		if len(x[eUserID]) == 0 || len(x[ePreviousID]) == 0 {
			c.missing(ePreviousID, "missing: an alias message needs user_id and previous_id")
			return
		}
	}
	w := &c.w
	w.Reset(w.Bytes()[:0])
	w.BeginObject()
	w.Key("type").String(typ)
	if typ == "track" {
		w.OptStringBytes("event", x[eEvent])
	}
	if typ == "page" || typ == "screen" {
		w.OptStringBytes("name", x[eName])
	}
	w.OptStringBytes("userId", x[eUserID])
	w.OptStringBytes("anonymousId", x[eAnonymousID])
	if typ == "group" {
		w.OptStringBytes("groupId", x[eGroupID])
	}
	if typ == "alias" {
		w.OptStringBytes("previousId", x[ePreviousID])
	}
	w.OptStringBytes("timestamp", x[eTimestamp])
	traitsBody := typ == "identify" || typ == "group"
	if traitsBody {
		w.Key("traits").BeginObject()
		c.writeExtras(true, ckProp)
		c.writeExtras(false, ckTrait)
		w.EndObject()
	} else {
		w.Key("properties").BeginObject()
		c.writeExtras(true, ckProp)
		w.EndObject()
	}
	w.Key("context").BeginObject()
	if !traitsBody && c.hasExtras(false, ckTrait) {
		w.Key("traits").BeginObject()
		c.writeExtras(false, ckTrait)
		w.EndObject()
	}
	writeImport(w, KindEvents, c.v.line)
	w.EndObject()
	w.EndObject()
	c.emit(string(x[eMessageID]))
}
