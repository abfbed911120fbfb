package demo

// buildOrder fills a basket for a purchase at ms: a Gamma-Gamma spend
// target in USD, converted to the source's price level, filled with real
// products; then coupon, shipping and tax by the source's rules.
func (g *gen) buildOrder(p *person, s *session, ms int64) *order {
	r := p.r
	info := &sourceTable[s.src]
	o := &order{src: s.src, cur: info.cur, first: p.orders == 0}
	n := p.orders
	if n >= maxOrders {
		n = maxOrders - 1
	}
	o.id = g.ids.orderID(p.idx, n, s.src)
	if info.kind == kindWeb || info.kind == kindShopify {
		o.checkoutID = g.ids.token("", p.idx, uint32(p.sessions), 0xc4ec)
	}
	ci := currencyIndex(info.cur)
	target := gammaRand(r, ggP) / p.nu * info.cur.level
	if info.cur.exp == 2 {
		target *= 100
	}
	var sub int64
	for len(o.lines) < 5 {
		pi := p.pickProduct(r)
		dup := false
		for _, l := range o.lines {
			dup = dup || l.prod == pi
		}
		if dup {
			if len(o.lines) > 0 && chance(r, 0.5) {
				break
			}
			continue
		}
		q := int64([...]int{1, 1, 1, 1, 1, 1, 1, 1, 2, 2, 2, 3}[r.IntN(12)])
		pr := catalog[pi].price[ci]
		o.lines = append(o.lines, line{prod: pi, qty: q, price: pr, variant: p.variant(pi)})
		sub += pr * q
		if float64(sub) >= 0.85*target {
			break
		}
	}
	o.subtotal = sub
	g.applyCoupon(p, s, o, ms)
	o.discount = (o.subtotal*g.couponPct(o.coupon) + 50) / 100
	net := o.subtotal - o.discount
	intl := info.kind == kindWeb && p.cty.code != "US"
	switch {
	case info.prime > 0 && chance(r, info.prime):
		o.shipping = 0
	case intl:
		if net < 9900 {
			o.shipping = 1495
		}
	case net < info.freeFrom:
		o.shipping = info.fee
	}
	if info.cur == curUSD {
		// US sales tax on goods, collected by the marketplace or the
		// store; exports abroad carry none (duties are paid on delivery).
		if p.cty.code == "US" {
			o.tax = (net*p.city.taxPer100k + 50000) / 100000
		}
		o.revenue = net
	} else {
		// Prices include VAT at the buyer's country's rate (EU one-stop
		// shop, UK VAT, Japanese consumption tax).
		rate := int64(p.cty.vat)
		goodsVAT := (net*rate + (100+rate)/2) / (100 + rate)
		shipVAT := (o.shipping*rate + (100+rate)/2) / (100 + rate)
		o.vat = goodsVAT + shipVAT
		o.revenue = net - goodsVAT
	}
	o.total = net + o.shipping + o.tax
	o.incident = s.src == g.incident.src && ms >= g.incident.from && ms < g.incident.to
	return o
}

// cartOnly builds the cart of an abandoned visit (no order number).
func (g *gen) cartOnly(p *person, s *session, prods []int) *order {
	info := &sourceTable[s.src]
	ci := currencyIndex(info.cur)
	o := &order{src: s.src, cur: info.cur}
	o.checkoutID = g.ids.token("", p.idx, uint32(p.sessions), 0xc4ec)
	for _, pi := range prods {
		pr := catalog[pi].price[ci]
		o.lines = append(o.lines, line{prod: pi, qty: 1, price: pr, variant: p.variant(pi)})
		o.subtotal += pr
	}
	o.total = o.subtotal
	o.revenue = o.subtotal
	return o
}

// variant is the colourway, plus the person's size for apparel.
func (p *person) variant(pi int) string {
	if catalog[pi].Sized {
		return catalog[pi].Color + " / " + p.size
	}
	return catalog[pi].Color
}

// Coupons not tied to a campaign.
var couponPcts = map[string]int64{
	"WELCOME10": 10, "PRIMEDAY": 20, "BFCM25": 25, "BLACKWEEK20": 20, "SINGLES11": 11, "COMEBACK15": 15,
}

func (g *gen) couponPct(code string) int64 {
	if code == "" {
		return 0
	}
	for i := range campaignTable {
		if campaignTable[i].Coupon == code {
			return campaignTable[i].couponPct
		}
	}
	return couponPcts[code]
}

// applyCoupon decides the discount code: the campaign's code (influencers,
// sales), Prime Day deals, 11.11 codes, the welcome code for newsletter
// subscribers' first order.
func (g *gen) applyCoupon(p *person, s *session, o *order, ms int64) {
	r := p.r
	kind := sourceTable[s.src].kind
	f := g.cal.flags[g.cal.index(unixDay(ms))]
	switch {
	case s.camp != nil && s.camp.Coupon != "" && chance(r, 0.7):
		o.coupon = s.camp.Coupon
	case kind == kindAmazon && f&(fPrimeDay|fBigDeal) != 0 && chance(r, 0.7):
		o.coupon = "PRIMEDAY"
	case kind != kindAmazon && f&(fBlackFriday|fCyberWeekend|fCyberMonday) != 0 && chance(r, 0.5):
		if s.src == srcShopifyEU {
			o.coupon = "BLACKWEEK20"
		} else {
			o.coupon = "BFCM25"
		}
	case f&fSinglesDay != 0 && (p.prof&profZH != 0 || kind == kindTikTok) && kind != kindAmazon && chance(r, 0.6):
		o.coupon = "SINGLES11"
	case o.first && p.optIn && (kind == kindWeb || kind == kindShopify) && chance(r, 0.5):
		o.coupon = "WELCOME10"
	}
}

// orderPlaced schedules what happens after an order: a cancellation, a
// refund (whole, one line, or a goodwill partial), a review.
func (g *gen) orderPlaced(p *person, s *session, o *order, user bool) {
	r := p.r
	g.stats.Orders++
	if p.orders == 2 {
		g.stats.RepeatBuyers++
	}
	if p.orders == 1 {
		g.stats.Buyers++
	}
	pCancel, pRefund, pReview := 0.015, 0.055, 0.13
	apparel := false
	for _, l := range o.lines {
		apparel = apparel || catalog[l.prod].Sized
	}
	if apparel {
		pRefund += 0.05
	}
	if o.incident {
		pCancel, pRefund, pReview = 0.06, 0.18, 0.35
	}
	server := func(t int64, kind uint8, rf *refund, rv *review) {
		// Refunds, cancellations and reviews come from the shop's back
		// end: no browser context, but the customer's account.
		p.push(g, ev{t: t, kind: kind, ord: o, ref: rf, rev: rv, sess: s, user: user || alwaysLoggedIn(s.src)})
	}
	if chance(r, pCancel) {
		server(o.t+int64(uniform(r, 10, 8*60)*float64(msPerMinute)), evCancelled,
			&refund{order: o, amount: o.total, reason: pick(r, []string{"customer_request", "ordered_by_mistake", "found_cheaper"})}, nil)
		return
	}
	refunded := false
	leadTopic := -1
	var rf *refund
	if chance(r, pRefund) {
		refunded = true
		rf = &refund{order: o}
		delay := uniform(r, 5, 30)
		switch {
		case o.incident:
			rf.reason = "late_delivery"
			leadTopic = topicShipping
			delay = uniform(r, 10, 25)
		case apparel && chance(r, 0.6):
			rf.reason = "size_fit"
			leadTopic = topicSize
		default:
			rf.reason = pick(r, []string{"damaged", "not_as_described", "changed_mind", "quality"})
			switch rf.reason {
			case "damaged":
				leadTopic = topicPackaging
			case "quality", "not_as_described":
				leadTopic = topicQuality
			}
		}
		switch {
		case len(o.lines) > 1 && chance(r, 0.6):
			// One line comes back: its share of what was paid for goods
			// (after discount, with its sales tax).
			l := o.lines[r.IntN(len(o.lines))]
			if rf.reason == "size_fit" {
				for _, x := range o.lines {
					if catalog[x.prod].Sized {
						l = x
					}
				}
			}
			rf.lines = []line{l}
			rf.amount = l.price * l.qty * (o.total - o.shipping) / o.subtotal
		case chance(r, 0.25):
			// Goodwill: a round part of the total, the item is kept.
			unit := int64(100)
			pct := int64(20 + r.IntN(31))
			rf.amount = o.total * pct / 100 / unit * unit
			if rf.amount == 0 {
				rf.amount = min(o.total, unit)
			}
			rf.reason = "goodwill"
			delay = uniform(r, 2, 10)
		default:
			rf.amount = o.total
		}
		server(o.t+int64(delay*float64(msPerDay)), evRefunded, rf, nil)
	}
	if refunded && !o.incident {
		pReview = 0.3
	}
	if !chance(r, pReview) {
		return
	}
	l := o.lines[r.IntN(len(o.lines))]
	if rf != nil && len(rf.lines) == 1 {
		l = rf.lines[0]
	}
	rv := &review{prod: l.prod, order: o.id}
	rv.lang = p.seg.cult.reviewLang[p.seg.cult.reviewW.draw(r)]
	if refunded || o.incident {
		rv.rating = 1 + ratingUnhappy.draw(r)
	} else {
		rv.rating = 1 + ratingHappy.draw(r)
	}
	if o.incident {
		leadTopic = topicShipping
	}
	if rv.rating >= 3 && !o.incident {
		leadTopic = -1
	}
	rv.text = writeReview(r, rv.lang, rv.rating, leadTopic, catalog[l.prod].Sized)
	delay := uniform(r, 5, 30)
	if o.incident {
		delay = uniform(r, 2, 10)
	}
	rv.id = g.reviewID(p, s.src)
	server(o.t+int64(delay*float64(msPerDay)), evReviewed, nil, rv)
}

// reviewID returns a unique review id shaped like the platform's.
func (g *gen) reviewID(p *person, src int) string {
	p.reviews++
	n := uint32(p.reviews)
	if sourceTable[src].kind == kindAmazon {
		v := mix64(uint64(p.idx)<<32|uint64(n)) ^ mix64(g.cfg.Seed^0x7e7)
		return string(appendBase36([]byte("R"), v, 13))
	}
	return g.ids.token("rev_", p.idx, n, 0x7e7)
}
