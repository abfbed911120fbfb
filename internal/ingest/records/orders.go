package records

import (
	"bytes"
	"hash/maphash"
	"strconv"
	"time"
	"unicode/utf8"

	"github.com/govalues/decimal"

	"github.com/tradewind/tradewind/internal/jsonw"
)

const nItemFields = nOrderFields - firstItemField

type span struct{ s, e int32 }

func (s span) ok() bool { return s.e > s.s }

// pendOrder is an order being assembled from its rows.
type pendOrder struct {
	key           string
	line, endLine int
	arena         []byte // normalised values
	raw           []byte // the rows as read
	ord           [firstItemField]span
	named         []span // order-level named columns (property./trait.)
	rows          int
	items         []span // nItemFields per row
	rowVals       []span // len(rowCols) per row
	err           *RowError
}

func (p *pendOrder) val(s span) []byte { return p.arena[s.s:s.e] }

func (p *pendOrder) reset(nNamed int) {
	p.key = ""
	p.arena = p.arena[:0]
	p.raw = p.raw[:0]
	p.ord = [firstItemField]span{}
	p.named = p.named[:0]
	for i := 0; i < nNamed; i++ {
		p.named = append(p.named, span{})
	}
	p.rows = 0
	p.items = p.items[:0]
	p.rowVals = p.rowVals[:0]
	p.err = nil
}

// orderConv groups rows into orders. Default and Shopify files are streamed
// (rows of an order must be consecutive); Amazon reports are buffered whole.
type orderConv struct {
	r   *Reader
	b   *binding
	d   dialect
	gf  int // grouping field
	buf bool

	ordNamed []int // columns: property./trait. targets (order level)
	rowCols  []int // columns stored per row: extras and product. targets
	rowAuto  []bool

	cur  *pendOrder
	held []*RowError // row errors that came while cur was open
	seen map[uint64]struct{}
	seed maphash.Seed

	all  map[string]*pendOrder
	list []*pendOrder
	next int

	w   jsonw.Writer
	tmp []byte
}

func newOrderConv(r *Reader, b *binding) *orderConv {
	c := &orderConv{r: r, b: b, d: b.dialect, gf: oOrderID, seed: maphash.MakeSeed(), seen: map[uint64]struct{}{}}
	if c.d == dialectShopify {
		c.gf = oOrderName
	}
	if c.d == dialectAmazon {
		c.buf = true
		c.all = map[string]*pendOrder{}
	}
	for col, t := range b.cols {
		switch t.k {
		case ckProp, ckTrait:
			c.ordNamed = append(c.ordNamed, col)
		case ckProduct:
			c.rowCols = append(c.rowCols, col)
			c.rowAuto = append(c.rowAuto, false)
		case ckExtra:
			c.rowCols = append(c.rowCols, col)
			c.rowAuto = append(c.rowAuto, true)
		}
	}
	return c
}

// holdError keeps a row error until the open order is emitted.
func (c *orderConv) holdError(e *RowError) bool {
	if c.buf || c.cur == nil || c.cur.key == "" {
		return false
	}
	c.held = append(c.held, e)
	return true
}

func (c *orderConv) flushCur() {
	c.flush(c.cur)
	c.cur.key = ""
	for i, e := range c.held {
		c.r.fail(e)
		c.held[i] = nil
	}
	c.held = c.held[:0]
}

// group finds or starts the order that a row with order key gk belongs to.
func (c *orderConv) group(gk []byte, line int, field string) *pendOrder {
	if c.buf {
		p := c.all[string(gk)]
		if p == nil {
			p = &pendOrder{line: line}
			p.reset(len(c.ordNamed))
			p.key = string(gk)
			c.all[p.key] = p
			c.list = append(c.list, p)
		}
		return p
	}
	if c.cur != nil && c.cur.key == string(gk) {
		return c.cur
	}
	if c.cur == nil {
		c.cur = &pendOrder{}
	} else if c.cur.key != "" {
		c.flushCur()
	}
	p := c.cur
	p.reset(len(c.ordNamed))
	p.key = string(gk)
	p.line = line
	h := maphash.Bytes(c.seed, gk)
	if _, dup := c.seen[h]; dup {
		p.err = &RowError{Line: line, Field: field,
			Reason: "rows of this order are not consecutive: rows with the same order id came earlier in the file and were already converted (sort the file by order id)"}
	} else {
		c.seen[h] = struct{}{}
	}
	return p
}

func (p *pendOrder) addRaw(raw []byte, endLine int) {
	p.endLine = endLine
	p.raw = append(p.raw, raw...)
	if len(p.raw) > 0 && p.raw[len(p.raw)-1] != '\n' {
		p.raw = append(p.raw, '\n')
	}
}

func (c *orderConv) row(v *rowView) {
	gk, gcol := v.get(c.gf)
	if len(gk) == 0 {
		e := c.r.rowErr(v.line, c.b.colName(c.gf, gcol), "missing required value", v.raw)
		if !c.holdError(e) {
			c.r.fail(e)
		}
		return
	}
	p := c.group(gk, v.line, c.b.colName(c.gf, gcol))
	p.addRaw(v.raw, v.endLine)
	if p.err == nil {
		c.absorb(p, v)
	}
}

// badRow handles a row that could not be parsed (bad quoting, wrong field
// count, invalid UTF-8). When its order id can still be read, the row joins
// its order, which is then quarantined whole; otherwise the error waits for
// the open order (see holdError). It reports whether it took the error.
func (c *orderConv) badRow(e *RowError, fields [][]byte, line, endLine int, raw []byte) bool {
	var gk []byte
	for _, col := range c.b.fieldCols[c.gf] {
		if col < len(fields) {
			if x := trimSpace(fields[col]); len(x) > 0 && utf8.Valid(x) {
				gk = x
				break
			}
		}
	}
	if gk == nil {
		return c.holdError(e)
	}
	p := c.group(gk, line, e.Field)
	p.addRaw(raw, endLine)
	if p.err == nil {
		p.err = &RowError{Line: e.Line, Field: e.Field, Reason: e.Reason}
	}
	return true
}

func (c *orderConv) setErr(p *pendOrder, line int, field, reason string) {
	p.err = &RowError{Line: line, Field: field, Reason: reason}
}

// absorb validates one row and adds it to its order.
func (c *orderConv) absorb(p *pendOrder, v *rowView) {
	fields := c.b.spec.fields
	dc := c.b.decComma
	for f := 0; f < firstItemField; f++ {
		if len(c.b.fieldCols[f]) == 0 && c.b.defaults[f] == nil {
			continue
		}
		val, col := v.get(f)
		if len(val) == 0 {
			continue
		}
		typ := fields[f].typ
		start := len(p.arena)
		var reason string
		p.arena, reason = normalize(p.arena, typ, val, dc)
		if reason != "" {
			p.arena = p.arena[:start]
			c.setErr(p, v.line, c.b.colName(f, col), reason)
			return
		}
		sp := span{int32(start), int32(len(p.arena))}
		if old := p.ord[f]; old.ok() {
			same := sameValue(typ, p.val(old), p.val(sp))
			switch {
			case same:
				p.arena = p.arena[:start]
				continue
			case f == oUpdatedAt:
				// several items may have been updated at different times: keep the latest
				if laterTime(p.val(sp), p.val(old)) {
					p.ord[f] = sp
				}
				continue
			default:
				p.arena = p.arena[:start]
				c.setErr(p, v.line, c.b.colName(f, col), "differs from the value on an earlier row of the same order")
				return
			}
		}
		p.ord[f] = sp
	}
	for i, col := range c.ordNamed {
		val := v.cell(col)
		if len(val) == 0 {
			continue
		}
		if old := p.named[i]; old.ok() {
			if !bytes.Equal(p.val(old), val) {
				c.setErr(p, v.line, c.b.header[col], "differs from the value on an earlier row of the same order")
				return
			}
			continue
		}
		start := len(p.arena)
		p.arena = append(p.arena, val...)
		p.named[i] = span{int32(start), int32(len(p.arena))}
	}
	base := len(p.items)
	for i := 0; i < nItemFields; i++ {
		p.items = append(p.items, span{})
	}
	for f := firstItemField; f < nOrderFields; f++ {
		if len(c.b.fieldCols[f]) == 0 && c.b.defaults[f] == nil {
			continue
		}
		val, col := v.get(f)
		if len(val) == 0 {
			continue
		}
		start := len(p.arena)
		var reason string
		p.arena, reason = normalize(p.arena, fields[f].typ, val, dc)
		if reason != "" {
			p.arena = p.arena[:start]
			c.setErr(p, v.line, c.b.colName(f, col), reason)
			return
		}
		p.items[base+f-firstItemField] = span{int32(start), int32(len(p.arena))}
	}
	for _, col := range c.rowCols {
		val := v.cell(col)
		var sp span
		if len(val) > 0 {
			start := len(p.arena)
			p.arena = append(p.arena, val...)
			sp = span{int32(start), int32(len(p.arena))}
		}
		p.rowVals = append(p.rowVals, sp)
	}
	p.rows++
}

func sameValue(typ valType, a, b []byte) bool {
	if bytes.Equal(a, b) {
		return true
	}
	switch typ {
	case vMoney, vDiscount:
		x, e1 := decimal.Parse(string(a))
		y, e2 := decimal.Parse(string(b))
		return e1 == nil && e2 == nil && x.Cmp(y) == 0
	}
	return false
}

func laterTime(a, b []byte) bool {
	ta, e1 := time.Parse(time.RFC3339Nano, string(a))
	tb, e2 := time.Parse(time.RFC3339Nano, string(b))
	return e1 == nil && e2 == nil && ta.After(tb)
}

func (c *orderConv) finish() {
	if !c.buf && c.cur != nil && c.cur.key != "" {
		c.flushCur()
	}
}

func (c *orderConv) drain() bool {
	if !c.buf {
		return false
	}
	for c.next < len(c.list) {
		p := c.list[c.next]
		c.list[c.next] = nil
		delete(c.all, p.key)
		c.next++
		c.flush(p)
		return true
	}
	return false
}

func (c *orderConv) fieldName(f int) string { return c.b.colName(f, -1) }

// flush renders a complete order (or its error) onto the reader's queue.
func (c *orderConv) flush(p *pendOrder) {
	if p.err != nil {
		e := *p.err
		e.Raw = withNL(p.raw)
		if p.endLine > p.line {
			e.Reason += " (all rows of the order, lines " + strconv.Itoa(p.line) + "–" + strconv.Itoa(p.endLine) + ", are quarantined together)"
		}
		c.r.fail(&e)
		return
	}
	fail := func(f int, reason string) {
		c.r.fail(&RowError{Line: p.line, Field: c.fieldName(f), Reason: reason, Raw: withNL(p.raw)})
	}
	if !p.ord[oTimestamp].ok() {
		fail(oTimestamp, "missing required value (the order has no date)")
		return
	}
	hasAmount := false
	for _, f := range []int{oTotal, oRevenue, oSubtotal, oTax, oShipping, oDiscount, oRefunded} {
		if p.ord[f].ok() {
			hasAmount = true
		}
	}
	for i := 0; i < p.rows && !hasAmount; i++ {
		it := p.items[i*nItemFields : (i+1)*nItemFields]
		for f := firstItemField; f < nOrderFields; f++ {
			if isMoney(f) && it[f-firstItemField].ok() {
				hasAmount = true
				break
			}
		}
	}
	if hasAmount && !p.ord[oCurrency].ok() {
		fail(oCurrency, "missing, but the order has amounts")
		return
	}

	get := func(f int) []byte { return p.val(p.ord[f]) }
	orderID := get(oOrderID)
	if c.d == dialectShopify && len(orderID) == 0 {
		orderID = get(oOrderName)
	}
	event, suffix := orderEvent(c.d, get(oStatus), p.ord[oCancelledAt].ok())

	w := &c.w
	w.Reset(w.Bytes()[:0])
	w.BeginObject()
	w.Key("type").String("track")
	w.Key("event").String(event)

	userID := get(oCustomerID)
	if c.d == dialectAmazon && len(userID) == 0 && p.ord[oEmail].ok() {
		c.tmp = append(c.tmp[:0], "amazon:"...)
		c.tmp = append(c.tmp, bytes.ToLower(get(oEmail))...)
		userID = c.tmp
	}
	w.OptStringBytes("userId", userID)
	anon := get(oAnonymousID)
	if len(userID) == 0 && len(anon) == 0 {
		switch c.d {
		case dialectShopify:
			w.Key("anonymousId").String("shopify-order:" + string(orderID))
		case dialectAmazon:
			w.Key("anonymousId").String("amazon-order:" + string(orderID))
		default:
			w.Key("anonymousId").String("order:" + string(orderID))
		}
	} else {
		w.OptStringBytes("anonymousId", anon)
	}
	w.Key("timestamp").StringBytes(get(oTimestamp))

	w.Key("properties").BeginObject()
	w.Key("order_id").StringBytes(orderID)
	if c.d == dialectShopify {
		w.OptStringBytes("order_number", get(oOrderName))
	}
	w.OptStringBytes("affiliation", get(oAffiliation))
	if c.d == dialectAmazon {
		c.amazonAmounts(p)
	} else {
		total := get(oTotal)
		if event == "Order Refunded" && p.ord[oRefunded].ok() {
			total = get(oRefunded)
		}
		w.OptNumber("total", total)
		if event == "Order Refunded" && p.ord[oRefunded].ok() {
			w.OptNumber("order_total", get(oTotal))
		}
		rev := get(oRevenue)
		if len(rev) == 0 && c.d == dialectShopify {
			rev = get(oSubtotal)
		}
		w.OptNumber("revenue", rev)
		w.OptNumber("subtotal", get(oSubtotal))
		w.OptNumber("tax", get(oTax))
		w.OptNumber("shipping", get(oShipping))
		w.OptNumber("discount", get(oDiscount))
	}
	w.OptStringBytes("coupon", get(oCoupon))
	w.OptStringBytes("currency", get(oCurrency))
	if c.d == dialectShopify {
		w.OptStringBytes("financial_status", get(oStatus))
	} else {
		w.OptStringBytes("status", get(oStatus))
	}
	w.OptStringBytes("fulfillment_status", get(oFulfillmentStatus))
	w.OptStringBytes("paid_at", get(oPaidAt))
	w.OptStringBytes("cancelled_at", get(oCancelledAt))
	if event != "Order Refunded" {
		w.OptNumber("refunded", get(oRefunded))
	}
	w.OptStringBytes("updated_at", get(oUpdatedAt))

	// Extras: order level when every row agrees, else per product.
	perProduct := make([]bool, len(c.rowCols))
	orderVal := make([]span, len(c.rowCols))
	for j := range c.rowCols {
		if !c.rowAuto[j] {
			perProduct[j] = true
			continue
		}
		for i := 0; i < p.rows; i++ {
			sp := p.rowVals[i*len(c.rowCols)+j]
			if !sp.ok() {
				continue
			}
			if !orderVal[j].ok() {
				orderVal[j] = sp
			} else if !bytes.Equal(p.val(orderVal[j]), p.val(sp)) {
				perProduct[j] = true
				break
			}
		}
	}

	w.Key("products").BeginArray()
	for i := 0; i < p.rows; i++ {
		c.product(p, i, perProduct)
	}
	w.EndArray()

	for i, col := range c.ordNamed {
		if c.b.cols[col].k == ckProp && p.named[i].ok() {
			w.Key(safeExtraName(c.b.cols[col].name)).StringBytes(p.val(p.named[i]))
		}
	}
	for j, col := range c.rowCols {
		if !perProduct[j] && orderVal[j].ok() {
			w.Key(safeExtraName(c.b.cols[col].name)).StringBytes(p.val(orderVal[j]))
		}
	}
	w.EndObject()

	w.Key("context").BeginObject()
	hasTraits := p.ord[oEmail].ok() || p.ord[oPhone].ok() || p.ord[oCustomerName].ok() || hasAddress(p)
	for i, col := range c.ordNamed {
		if c.b.cols[col].k == ckTrait && p.named[i].ok() {
			hasTraits = true
		}
	}
	if hasTraits {
		w.Key("traits").BeginObject()
		w.OptStringBytes("email", get(oEmail))
		w.OptStringBytes("phone", get(oPhone))
		w.OptStringBytes("name", get(oCustomerName))
		writeAddress(w, get(oStreet), get(oCity), get(oState), get(oPostalCode), get(oCountry))
		for i, col := range c.ordNamed {
			if c.b.cols[col].k == ckTrait && p.named[i].ok() {
				w.Key(safeTraitName(c.b.cols[col].name)).StringBytes(p.val(p.named[i]))
			}
		}
		w.EndObject()
	}
	writeImport(w, KindOrders, p.line)
	switch c.d {
	case dialectShopify:
		w.Key("integration").BeginObject()
		w.Key("name").String("shopify")
		w.EndObject()
	case dialectAmazon:
		w.Key("integration").BeginObject()
		w.Key("name").String("amazon")
		w.OptStringBytes("marketplace", get(oAffiliation))
		w.EndObject()
	}
	w.EndObject()
	w.EndObject()

	key := p.key
	if suffix != "" || string(orderID) != p.key {
		key = string(orderID) + suffix
	}
	c.r.emit(Record{Line: p.line, EndLine: p.endLine, Message: bytes.Clone(w.Bytes()), Key: key})
}

func hasAddress(p *pendOrder) bool {
	return p.ord[oStreet].ok() || p.ord[oCity].ok() || p.ord[oState].ok() || p.ord[oPostalCode].ok() || p.ord[oCountry].ok()
}

// safeExtraName keeps an extra column from overwriting a property the
// converter writes itself.
func safeExtraName(n string) string {
	switch n {
	case "order_id", "order_number", "affiliation", "total", "order_total", "revenue", "subtotal", "tax",
		"shipping", "discount", "gift_wrap", "coupon", "currency", "status", "financial_status",
		"fulfillment_status", "paid_at", "cancelled_at", "refunded", "updated_at", "products",
		"product_id", "sku", "name", "price", "quantity", "category", "brand", "variant",
		"compare_at_price", "line_total":
		return "extra_" + n
	}
	return n
}

// safeTraitName keeps a trait column from overwriting a trait the
// converter writes itself.
func safeTraitName(n string) string {
	switch n {
	case "email", "phone", "name", "address":
		return "extra_" + n
	}
	return n
}

func isMoney(f int) bool {
	t := ordersSpec.fields[f].typ
	return t == vMoney || t == vDiscount
}

// product writes row i's line item, if it has any.
func (c *orderConv) product(p *pendOrder, i int, perProduct []bool) {
	it := p.items[i*nItemFields : (i+1)*nItemFields]
	rv := p.rowVals[i*len(c.rowCols) : (i+1)*len(c.rowCols)]
	any := false
	for _, s := range it {
		if s.ok() {
			any = true
			break
		}
	}
	for j, s := range rv {
		if perProduct[j] && s.ok() {
			any = true
		}
	}
	if !any {
		return
	}
	get := func(f int) []byte { return p.val(it[f-firstItemField]) }
	w := &c.w
	w.BeginObject()
	w.OptStringBytes("product_id", get(iProductID))
	w.OptStringBytes("sku", get(iSKU))
	w.OptStringBytes("name", get(iName))
	price := get(iPrice)
	if c.d == dialectAmazon && len(price) == 0 {
		price = unitPrice(get(iLineTotal), get(iQuantity), c.tmp[:0])
	}
	w.OptNumber("price", price)
	w.OptNumber("quantity", get(iQuantity))
	w.OptStringBytes("category", get(iCategory))
	w.OptStringBytes("brand", get(iBrand))
	w.OptStringBytes("variant", get(iVariant))
	w.OptNumber("compare_at_price", get(iCompareAt))
	w.OptNumber("discount", get(iDiscount))
	w.OptNumber("line_total", get(iLineTotal))
	for j, col := range c.rowCols {
		if perProduct[j] && rv[j].ok() {
			w.Key(safeExtraName(c.b.cols[col].name)).StringBytes(p.val(rv[j]))
		}
	}
	w.EndObject()
}

// unitPrice divides a line total by the quantity when the result is exact.
func unitPrice(lineTotal, qty, dst []byte) []byte {
	if len(lineTotal) == 0 || len(qty) == 0 {
		return nil
	}
	lt, e1 := decimal.Parse(string(lineTotal))
	q, e2 := decimal.Parse(string(qty))
	if e1 != nil || e2 != nil || q.IsZero() {
		return nil
	}
	u, err := lt.Quo(q)
	if err != nil {
		return nil
	}
	if back, err := u.Mul(q); err != nil || back.Cmp(lt) != 0 {
		return nil
	}
	out, _ := u.AppendText(dst)
	return out
}

// orderEvent picks the e-commerce event and the key suffix from the status.
func orderEvent(d dialect, status []byte, cancelled bool) (string, string) {
	s := string(bytes.ToLower(bytes.TrimSpace(status)))
	switch d {
	case dialectShopify:
		switch {
		case cancelled || s == "voided":
			return "Order Cancelled", ":cancelled"
		case s == "refunded":
			return "Order Refunded", ":refunded"
		}
	case dialectAmazon:
		if s == "cancelled" || s == "canceled" {
			return "Order Cancelled", ":cancelled"
		}
	default:
		switch s {
		case "cancelled", "canceled", "voided", "void":
			return "Order Cancelled", ":cancelled"
		case "refunded":
			return "Order Refunded", ":refunded"
		}
	}
	return "Order Completed", ""
}

// taxExclusiveChannels are Amazon marketplaces whose item prices exclude
// sales tax; everywhere else prices include VAT/GST.
var taxExclusiveChannels = map[string]bool{"amazon.com": true, "amazon.ca": true}

// amazonAmounts sums an Amazon order's per-item amounts and writes total,
// revenue, subtotal, tax, shipping, discount and gift_wrap.
func (c *orderConv) amazonAmounts(p *pendOrder) {
	var sums [nItemFields]decimal.Decimal
	var have [nItemFields]bool
	for i := 0; i < p.rows; i++ {
		it := p.items[i*nItemFields : (i+1)*nItemFields]
		for f := iLineTotal; f <= iShipPromo; f++ {
			s := it[f-firstItemField]
			if !s.ok() {
				continue
			}
			d, err := decimal.Parse(string(p.val(s)))
			if err != nil {
				continue
			}
			k := f - firstItemField
			if !have[k] {
				sums[k], have[k] = d, true
				continue
			}
			if x, ok := addExact(sums[k], d); ok {
				sums[k] = x
			}
		}
	}
	anyAmount := false
	for _, h := range have {
		anyAmount = anyAmount || h
	}
	if !anyAmount {
		return
	}
	z := decimal.Decimal{}
	get := func(f int) decimal.Decimal {
		if have[f-firstItemField] {
			return sums[f-firstItemField]
		}
		return z
	}
	add := func(xs ...decimal.Decimal) decimal.Decimal {
		acc := z
		for _, x := range xs {
			if s, ok := addExact(acc, x); ok {
				acc = s
			}
		}
		return acc
	}
	channel := string(bytes.ToLower(p.val(p.ord[oAffiliation])))
	exclusive := taxExclusiveChannels[channel]
	if channel == "" {
		cur := string(p.val(p.ord[oCurrency]))
		exclusive = cur == "USD" || cur == "CAD"
	}
	subtotal := get(iLineTotal)
	shipping := get(iShipPrice)
	gift := get(iGiftPrice)
	tax := add(get(iItemTax), get(iShipTax), get(iGiftTax))
	discount := add(get(iItemPromo), get(iShipPromo))
	total := add(subtotal, shipping, gift, discount.Neg())
	revenue := add(subtotal, get(iItemPromo).Neg())
	if exclusive {
		total = add(total, tax)
	} else {
		revenue = add(revenue, get(iItemTax).Neg())
	}
	w := &c.w
	num := func(k string, d decimal.Decimal) {
		c.tmp, _ = d.AppendText(c.tmp[:0])
		w.Key(k).Number(c.tmp)
	}
	num("total", total)
	num("revenue", revenue)
	num("subtotal", subtotal)
	num("tax", tax)
	num("shipping", shipping)
	num("discount", discount)
	if have[iGiftPrice-firstItemField] {
		num("gift_wrap", gift)
	}
}
