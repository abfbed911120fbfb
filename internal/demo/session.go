package demo

import (
	"math/rand/v2"
	"time"
)

// Kinds of message.
const (
	evPage = iota
	evScreen
	evIdentify
	evAlias
	evSignedUp
	evSearched
	evViewed
	evAdded
	evCheckout
	evCompleted
	evRefunded
	evCancelled
	evReviewed
	evExperiment
	numEvKinds
)

// Pages (and TikTok screens) a session moves through.
const (
	pgHome = iota
	pgCategory
	pgProduct
	pgSearch
	pgCart
	pgCheckout
	pgConfirm
	pgSignup
	numPages
)

// ev is a pending message in compact form; it is rendered to JSON only
// when the merge emits it, so memory holds one session per active person,
// not the stream.
type ev struct {
	t       int64
	seq     uint32
	kind    uint8
	page    uint8
	landing bool
	user    bool // carries the source's userId
	prod    int16
	qty     int16
	sess    *session
	ord     *order
	rev     *review
	ref     *refund
	str     string // search query; signup method
}

// session is what the messages of one visit share.
type session struct {
	src     int
	ps      *personSource
	dev     int    // device number on this source: 0 is the main device
	anon    string // anonymous id, empty on marketplaces
	camp    *campaign
	ch      int
	term    string
	content string
	query   string // landing page query string, without "?"
	ip      string
	cartID  string
}

// order is one placed order with every amount in integer minor units.
type order struct {
	id         string
	checkoutID string
	src        int
	cur        *currency
	lines      []line
	subtotal   int64 // Σ price×quantity
	discount   int64
	shipping   int64
	tax        int64 // added sales tax (US); 0 where prices include VAT
	vat        int64 // VAT included in the prices and shipping
	total      int64 // subtotal − discount + shipping + tax
	revenue    int64 // subtotal − discount, net of included VAT
	coupon     string
	incident   bool
	first      bool
	t          int64
}

type line struct {
	prod    int
	qty     int64
	price   int64
	variant string
}

// review is a Product Reviewed event's content.
type review struct {
	id     string
	prod   int
	rating int
	lang   int
	text   string
	order  string
}

// refund is an Order Refunded or Order Cancelled event's content.
type refund struct {
	order  *order
	amount int64
	lines  []line // refunded lines; nil for a whole-order or goodwill refund
	reason string
}

func timeAt(ms int64, c *city) time.Time {
	return time.UnixMilli(ms).In(c.loc)
}

// step is the time a shopper spends between two actions.
func step(r *rand.Rand) int64 {
	return 5000 + int64(r.ExpFloat64()*40000)
}

// alwaysLoggedIn: marketplaces know the buyer's account on every event.
func alwaysLoggedIn(src int) bool {
	k := sourceTable[src].kind
	return k == kindAmazon || k == kindTikTok
}

// session generates one visit and its delayed consequences.
func (g *gen) session(p *person, s sched) {
	r := p.r
	start := s.t
	// Sessions of one person never overlap: a visit planned too soon after
	// the last one moves to after it.
	if earliest := p.lastEnd + 30*msPerMinute; start < earliest {
		start = earliest + int64(r.Float64()*3*float64(msPerHour))
	}
	if start > g.now {
		return
	}
	si := s.src
	if si < 0 {
		si = 0
		if len(p.srcs) > 1 && chance(r, 0.4) {
			si = 1 + r.IntN(len(p.srcs)-1)
		}
	}
	ps := &p.srcs[si]
	src := ps.src
	info := &sourceTable[src]
	returning := p.sessions > 0
	p.sessions++
	sess := &session{src: src, ps: ps}
	sess.camp, sess.ch = g.touch(p, r, src, start, returning)
	if !alwaysLoggedIn(src) {
		// Mostly the usual browser; sometimes a new one (a new anonymous
		// id that must be stitched to the person again).
		if ps.devs > 0 && chance(r, 0.15) {
			sess.dev = min(ps.devs, 15)
		}
		if sess.dev >= ps.devs {
			ps.devs = sess.dev + 1
		}
		sess.anon = g.ids.anonymousID(p.idx, src, sess.dev)
	}
	sess.ip = p.ip(sess.dev)
	g.tagSession(p, r, sess)

	user := alwaysLoggedIn(src) || (ps.identified && sess.dev == 0)
	t := start
	add := func(e ev) {
		e.sess = sess
		e.user = user
		p.push(g, e)
	}
	// Landing page.
	land := uint8(pgHome)
	var prods []int
	var basket []line
	var o *order
	if s.kind == sessPurchase {
		o = g.buildOrder(p, sess, start)
		basket = o.lines
		for _, l := range basket {
			prods = append(prods, l.prod)
		}
	}
	for n := [...]int{1, 1, 2, 2, 3, 4}[r.IntN(6)] - len(prods); n > 0; n-- {
		prods = append(prods, p.pickProduct(r))
	}
	// Shuffle so the purchased items are not always viewed first.
	r.Shuffle(len(prods), func(i, j int) { prods[i], prods[j] = prods[j], prods[i] })
	switch {
	case sess.ch == chPaidSearch || sess.ch == chMarketplaceAds || sess.ch == chPaidSocial || sess.ch == chInfluencer:
		land = pgProduct
	case sess.ch == chOrganic && chance(r, 0.5):
		land = pgCategory
	case sess.ch == chAffiliate || sess.ch == chEmail:
		if chance(r, 0.5) {
			land = pgProduct
		}
	}
	if info.kind == kindAmazon && land == pgHome && chance(r, 0.7) {
		land = pgSearch // most Amazon visits start from a search
	}
	first := ev{t: t, kind: evPage, page: land, landing: true, prod: int16(prods[0])}
	if land == pgSearch {
		first.str = pick(r, g.searchTerms(p))
	}
	if info.kind == kindTikTok {
		first.kind = evScreen
	}
	// A marketplace account is known from the first event; its profile
	// (identify) arrives with the first order or a registration.
	add(first)
	if land == pgSearch || chance(r, 0.2) {
		t += step(r)
		q := first.str
		if q == "" {
			q = pick(r, g.searchTerms(p))
		}
		add(ev{t: t, kind: evSearched, page: pgSearch, str: q})
	}
	viewed := 0
	for i, pi := range prods {
		if i > 0 || land != pgProduct {
			t += step(r)
			k := uint8(evPage)
			if info.kind == kindTikTok {
				k = evScreen
			}
			add(ev{t: t, kind: k, page: pgProduct, prod: int16(pi)})
		}
		t += 300 + int64(r.IntN(1500))
		add(ev{t: t, kind: evViewed, page: pgProduct, prod: int16(pi)})
		viewed++
	}
	// The A/B test on the brand's own site: a product page with a free
	// shipping bar. Who sees which is fixed per person; the bar makes
	// adding to the cart a little more likely (see cartChance).
	variant, inTest := g.experimentVariant(p, src, t)
	if inTest && viewed > 0 {
		add(ev{t: t + 100, kind: evExperiment, page: pgProduct, str: variant})
	}

	identify := func(kind int) {
		// kind: 0 account login/creation, 1 guest e-mail capture.
		t += step(r)
		if kind == 1 {
			ps.guest = true
			e := ev{t: t, kind: evIdentify, page: pgCheckout, sess: sess}
			e.user = false
			e.str = "guest"
			p.push(g, e)
			return
		}
		if ps.guest && !ps.identified && sess.anon != "" {
			// A guest creates an account: analytics.js aliases the
			// anonymous id to the new user id.
			e := ev{t: t, kind: evAlias, page: pgSignup, sess: sess, user: true}
			p.push(g, e)
			t += 50
		}
		if !ps.identified {
			ps.created = t
		}
		ps.identified = true
		user = true
		add(ev{t: t, kind: evIdentify, page: pgCheckout})
	}

	switch s.kind {
	case sessPurchase:
		if o == nil {
			break
		}
		for _, l := range basket {
			t += step(r) / 2
			add(ev{t: t, kind: evAdded, page: pgProduct, prod: int16(l.prod), qty: int16(l.qty), ord: o})
		}
		if info.kind != kindAmazon {
			t += step(r)
			k := uint8(evPage)
			if info.kind == kindTikTok {
				k = evScreen
			}
			add(ev{t: t, kind: k, page: pgCart})
		}
		switch {
		case alwaysLoggedIn(src):
			if !ps.identified || chance(r, 0.05) { // address changes now and then
				identify(0)
			}
		case !user:
			switch {
			case ps.identified:
				identify(0) // logs in on another device
			case src == srcWeb && o.first && p.email != "" && chance(r, 0.25):
				identify(1) // guest checkout
			default:
				identify(0) // creates an account at checkout
			}
		}
		t += step(r)
		add(ev{t: t, kind: evCheckout, page: pgCheckout, ord: o})
		if info.kind != kindAmazon && info.kind != kindTikTok {
			t += 400
			add(ev{t: t, kind: evPage, page: pgCheckout})
		}
		t += 2 * step(r)
		o.t = t
		if p.push(g, ev{t: t, kind: evCompleted, page: pgConfirm, ord: o, sess: sess, user: user}) {
			p.orders++
			g.orderPlaced(p, sess, o, user)
		}
	case sessSignup:
		if alwaysLoggedIn(src) {
			// Product registration or a shop follow that shares contact
			// details with the brand.
			identify(0)
			add(ev{t: t + 200, kind: evSignedUp, page: pgSignup, str: "product_registration"})
			t += 200
		} else if !ps.identified {
			t += step(r)
			add(ev{t: t, kind: evPage, page: pgSignup})
			identify(0)
			t += 200
			add(ev{t: t, kind: evSignedUp, page: pgSignup, str: "email"})
		}
	default:
		// Web guests who come back often register.
		if ps.guest && !ps.identified && chance(r, 0.6) {
			t += step(r)
			add(ev{t: t, kind: evPage, page: pgSignup})
			identify(0)
			t += 200
			add(ev{t: t, kind: evSignedUp, page: pgSignup, str: "email"})
		}
		cartChance := 0.22
		if inTest && variant == "1" {
			cartChance = ExperimentCartChance
		}
		if viewed > 0 && chance(r, cartChance) {
			// Cart abandonment, the most common trigger in e-commerce.
			o := g.cartOnly(p, sess, prods[:1+r.IntN(min(2, len(prods)))])
			for _, l := range o.lines {
				t += step(r) / 2
				add(ev{t: t, kind: evAdded, page: pgProduct, prod: int16(l.prod), qty: int16(l.qty), ord: o})
			}
			if chance(r, 0.4) {
				if !user && !alwaysLoggedIn(src) && p.email != "" {
					if ps.identified {
						identify(0)
					} else if chance(r, 0.5) {
						identify(1) // e-mail entered at checkout, then left
					}
				}
				t += step(r)
				add(ev{t: t, kind: evCheckout, page: pgCheckout, ord: o})
			}
		}
	}
	p.lastEnd = t
}

// The demo's A/B test: on the brand's own site, for the last
// ExperimentDays days, half the shoppers (by a hash of who they are) see a
// free shipping bar on product pages (variation "1"), which raises the
// chance that a browsing visit adds to the cart from 22% to
// ExperimentCartChance. Assignment is "Experiment Viewed" with
// experiment_id and variation_id, as GrowthBook and the Segment spec send it.
const (
	ExperimentID         = "pdp_free_shipping_bar"
	ExperimentName       = "Free shipping bar on product pages"
	ExperimentDays       = 56
	ExperimentCartChance = 0.27
)

// experimentVariant is the variation a visit to src at t sees, if the test
// runs there and then.
func (g *gen) experimentVariant(p *person, src int, t int64) (string, bool) {
	if src != srcWeb || t < g.now-ExperimentDays*msPerDay {
		return "", false
	}
	h := uint32(p.idx)*2654435761 ^ 0x5bd1e995
	h ^= h >> 15
	if h&1 == 1 {
		return "1", true
	}
	return "0", true
}

// tagSession fills the campaign details and landing query string.
func (g *gen) tagSession(p *person, r *rand.Rand, s *session) {
	c := s.camp
	if c == nil {
		if s.ch == chOrganic && sourceTable[s.src].kind != kindAmazon && chance(r, 0.2) {
			// Link in a social bio: tagged, but organic and free.
			s.query = "utm_source=instagram&utm_medium=social&utm_campaign=bio_link"
		}
		return
	}
	if len(c.terms) > 0 {
		s.term = pick(r, c.terms)
	}
	s.content = pick(r, c.contents)
	if sourceTable[s.src].kind == kindAmazon || sourceTable[s.src].kind == kindTikTok {
		return // marketplaces report the campaign, not a landing URL
	}
	q := make([]byte, 0, 160)
	q = append(q, "utm_source="...)
	q = appendQueryEscaped(q, c.UTMSource)
	q = append(q, "&utm_medium="...)
	q = appendQueryEscaped(q, c.UTMMedium)
	q = append(q, "&utm_campaign="...)
	q = appendQueryEscaped(q, c.Name)
	if s.term != "" {
		q = append(q, "&utm_term="...)
		q = appendQueryEscaped(q, s.term)
	}
	q = append(q, "&utm_content="...)
	q = appendQueryEscaped(q, s.content)
	if c.click != "" && chance(r, 0.8) {
		q = append(q, '&')
		q = append(q, c.click...)
		q = append(q, '=')
		q = appendClickID(q, r, c.click)
	}
	s.query = string(q)
}

// appendClickID appends a click id shaped like the platform's.
func appendClickID(b []byte, r *rand.Rand, kind string) []byte {
	const b64 = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
	n := 40
	switch kind {
	case "gclid":
		b = append(b, "Cj0KCQ"...)
		n = 70
	case "fbclid":
		b = append(b, "IwAR"...)
		n = 58
	case "ttclid":
		b = append(b, "E.C.P."...)
		n = 40
	}
	for i := 0; i < n; i++ {
		b = append(b, b64[r.IntN(64)])
	}
	return b
}

// pickProduct chooses a product: often from the person's favourite
// category, otherwise by overall popularity.
func (p *person) pickProduct(r *rand.Rand) int {
	if chance(r, 0.55) {
		ps := catProducts[p.favCat]
		// favour the category's bestsellers
		i := int(float64(len(ps)) * r.Float64() * r.Float64())
		return ps[i]
	}
	return productWeights.draw(r)
}

// searchTerms are the queries a person types, in their language.
func (g *gen) searchTerms(p *person) []string {
	switch p.seg.cult {
	case cultDe:
		return termsDE
	case cultJa:
		return termsJP
	case cultFr, cultEs, cultIt, cultNl:
		return termsEU
	case cultZh:
		return termsZH
	}
	return termsUS
}

var termsZH = []string{"保温杯", "双肩包", "旅行收纳袋", "kiteline", "充电宝", "转换插头"}
