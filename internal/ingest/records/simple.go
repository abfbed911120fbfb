package records

import (
	"bytes"
	"strings"
)

// rowConv holds what the one-message-per-row converters share.
type rowConv struct {
	r    *Reader
	w    jw
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
			c.w.keyEsc(t.name)
			c.w.strb(val)
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

func (c *rowConv) importCtx(kind Kind) {
	w := &c.w
	w.key("import")
	w.open()
	w.key("kind")
	w.str(string(kind))
	w.key("line")
	w.int(int64(c.v.line))
	w.close()
}

func (c *rowConv) emit(key string) {
	c.r.emit(Record{Line: c.v.line, EndLine: c.v.endLine, Message: bytes.Clone(c.w.b), Key: key})
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
	w.reset()
	w.open()
	w.key("type")
	w.str("identify")
	w.kvStr("userId", x[cCustomerID])
	anon := x[cAnonymousID]
	if len(x[cCustomerID]) == 0 && len(anon) == 0 {
		w.key("anonymousId")
		w.str(hashID("email-", bytes.ToLower(x[cEmail])))
	} else {
		w.kvStr("anonymousId", anon)
	}
	w.kvStr("timestamp", x[cUpdatedAt])
	w.key("traits")
	w.open()
	w.kvStr("email", x[cEmail])
	w.kvStr("phone", x[cPhone])
	w.kvStr("firstName", x[cFirstName])
	w.kvStr("lastName", x[cLastName])
	w.kvStr("name", x[cName])
	if len(x[cStreet])+len(x[cCity])+len(x[cState])+len(x[cPostalCode])+len(x[cCountry]) > 0 {
		w.key("address")
		w.open()
		w.kvStr("street", x[cStreet])
		w.kvStr("city", x[cCity])
		w.kvStr("state", x[cState])
		w.kvStr("postalCode", x[cPostalCode])
		w.kvStr("country", x[cCountry])
		w.close()
	}
	w.kvStr("language", x[cLanguage])
	w.kvStr("createdAt", x[cCreatedAt])
	c.writeExtras(true, ckTrait)
	w.close()
	w.key("context")
	w.open()
	c.importCtx(KindCustomers)
	w.close()
	w.close()
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
	x := c.vals
	for _, f := range []int{rProductID, rRating, rTimestamp} {
		if len(x[f]) == 0 {
			c.missing(f, "missing required value")
			return
		}
	}
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
	w.reset()
	w.open()
	w.key("type")
	w.str("track")
	w.key("event")
	w.str("Product Reviewed")
	w.kvStr("userId", x[rCustomerID])
	switch {
	case len(x[rAnonymousID]) > 0:
		w.kvStr("anonymousId", x[rAnonymousID])
	case len(x[rCustomerID]) > 0:
	case len(x[rEmail]) > 0:
		w.key("anonymousId")
		w.str(hashID("email-", bytes.ToLower(x[rEmail])))
	default:
		w.key("anonymousId")
		w.str("review:" + key)
	}
	w.key("timestamp")
	w.strb(x[rTimestamp])
	w.key("properties")
	w.open()
	w.kvStr("product_id", x[rProductID])
	w.kvStr("sku", x[rSKU])
	w.kvStr("review_id", x[rReviewID])
	w.kvStr("review_title", x[rTitle])
	w.kvStr("review_body", x[rBody])
	w.kvNum("rating", x[rRating])
	w.kvStr("language", x[rLanguage])
	c.writeExtras(true, ckProp)
	w.close()
	w.key("context")
	w.open()
	if len(x[rEmail]) > 0 || c.hasExtras(false, ckTrait) {
		w.key("traits")
		w.open()
		w.kvStr("email", x[rEmail])
		c.writeExtras(false, ckTrait)
		w.close()
	}
	c.importCtx(KindReviews)
	w.close()
	w.close()
	c.emit(key)
}

// adSpendConv: one ad_spend message per row.
type adSpendConv struct{ rowConv }

func (c *adSpendConv) row(v *rowView) {
	if !c.load(v) {
		return
	}
	x := c.vals
	for _, f := range []int{aDate, aChannel, aSpend, aCurrency} {
		if len(x[f]) == 0 {
			c.missing(f, "missing required value")
			return
		}
	}
	w := &c.w
	w.reset()
	w.open()
	w.key("type")
	w.str("ad_spend")
	w.key("timestamp")
	w.sep()
	w.b = append(w.b, '"')
	w.b = append(w.b, x[aDate]...)
	w.b = append(w.b, "T00:00:00Z\""...)
	w.comma = true
	w.key("properties")
	w.open()
	w.kvStr("date", x[aDate])
	w.kvStr("channel", x[aChannel])
	w.kvStr("campaign", x[aCampaign])
	w.kvNum("spend", x[aSpend])
	w.kvStr("currency", x[aCurrency])
	w.kvNum("impressions", x[aImpressions])
	w.kvNum("clicks", x[aClicks])
	w.kvStr("marketplace", x[aMarketplace])
	w.kvStr("source", x[aSource])
	c.writeExtras(true, ckProp)
	w.close()
	w.key("context")
	w.open()
	c.importCtx(KindAdSpend)
	w.close()
	w.close()

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
	w.reset()
	w.open()
	w.key("type")
	w.str(typ)
	if typ == "track" {
		w.kvStr("event", x[eEvent])
	}
	if typ == "page" || typ == "screen" {
		w.kvStr("name", x[eName])
	}
	w.kvStr("userId", x[eUserID])
	w.kvStr("anonymousId", x[eAnonymousID])
	if typ == "group" {
		w.kvStr("groupId", x[eGroupID])
	}
	if typ == "alias" {
		w.kvStr("previousId", x[ePreviousID])
	}
	w.kvStr("timestamp", x[eTimestamp])
	traitsBody := typ == "identify" || typ == "group"
	if traitsBody {
		w.key("traits")
		w.open()
		c.writeExtras(true, ckProp)
		c.writeExtras(false, ckTrait)
		w.close()
	} else {
		w.key("properties")
		w.open()
		c.writeExtras(true, ckProp)
		w.close()
	}
	w.key("context")
	w.open()
	if !traitsBody && c.hasExtras(false, ckTrait) {
		w.key("traits")
		w.open()
		c.writeExtras(false, ckTrait)
		w.close()
	}
	c.importCtx(KindEvents)
	w.close()
	w.close()
	c.emit(string(x[eMessageID]))
}
