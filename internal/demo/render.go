package demo

import "strings"

// Message type names, by event kind.
var evTypes = [numEvKinds]string{
	evPage: "page", evScreen: "screen", evIdentify: "identify", evAlias: "alias",
	evSignedUp: "track", evSearched: "track", evViewed: "track", evAdded: "track", evCheckout: "track",
	evCompleted: "track", evRefunded: "track", evCancelled: "track", evReviewed: "track",
}

// Track event names (Segment e-commerce spec v2, plus "Signed Up").
var evNames = [numEvKinds]string{
	evSignedUp: "Signed Up", evSearched: "Products Searched", evViewed: "Product Viewed",
	evAdded: "Product Added", evCheckout: "Checkout Started", evCompleted: "Order Completed",
	evRefunded: "Order Refunded", evCancelled: "Order Cancelled", evReviewed: "Product Reviewed",
}

var pageNames = [numPages]string{"Home", "Category", "Product", "Search", "Cart", "Checkout", "Order Confirmation", "Sign Up"}

var screenNames = [numPages]string{"For You", "Shop Tab", "Product Detail", "Search Results", "Shop Cart", "Checkout", "Order Placed", "Follow Shop"}

// shopLangs is the language path prefix of the Shopify EU storefront.
var shopLangs = map[string]string{"de-DE": "/de", "de-AT": "/de", "fr-FR": "/fr", "es-ES": "/es", "it-IT": "/it", "nl-NL": "/nl"}

// render appends the JSON of one message.
func (g *gen) render(b []byte, p *person, e *ev) []byte {
	w := jw{b: b}
	s := e.sess
	ps := s.ps
	w.open()
	w.str("type", evTypes[e.kind])
	w.key("messageId")
	w.b = append(w.b, '"')
	w.b = g.ids.messageID(w.b, p.idx, e.seq)
	w.b = append(w.b, '"')
	w.comma = true
	w.key("timestamp")
	w.b = append(w.b, '"')
	w.b = appendTime(w.b, e.t)
	w.b = append(w.b, '"')
	w.comma = true
	if e.user {
		w.str("userId", ps.userID)
	}
	if s.anon != "" && (e.kind != evRefunded && e.kind != evCancelled && e.kind != evReviewed || !e.user) {
		w.str("anonymousId", s.anon)
	}
	info := &sourceTable[s.src]
	switch e.kind {
	case evPage:
		w.str("name", pageNames[e.page])
		w.obj("properties")
		g.pageProps(&w, p, e)
		w.close()
	case evScreen:
		w.str("name", screenNames[e.page])
		w.obj("properties")
		w.str("name", screenNames[e.page])
		if e.page == pgProduct {
			// "name" is the screen's; the product is named by its id.
			pr := &catalog[e.prod]
			w.str("product_id", pr.ID)
			w.str("sku", pr.SKU)
			w.str("category", pr.Category)
			w.money("price", pr.price[currencyIndex(info.cur)], info.cur)
			w.str("currency", info.cur.code)
		}
		w.close()
	case evIdentify:
		g.traits(&w, p, e)
	case evAlias:
		w.str("previousId", s.anon)
	default:
		w.str("event", evNames[e.kind])
		w.obj("properties")
		g.trackProps(&w, p, e)
		w.close()
	}
	g.context(&w, p, e)
	w.close()
	return w.b
}

func (g *gen) traits(w *jw, p *person, e *ev) {
	ps := e.sess.ps
	full, first, last := p.fullName(ps.latin)
	w.obj("traits")
	w.strNE("email", ps.email)
	if e.str != "guest" {
		w.strNE("phone", ps.phone)
	}
	w.str("firstName", first)
	w.str("lastName", last)
	w.str("name", full)
	if e.str != "guest" {
		w.obj("address")
		w.str("city", p.city.name)
		w.str("state", p.city.region)
		w.str("country", p.cty.code)
		w.close()
		w.key("createdAt")
		w.b = append(w.b, '"')
		w.b = appendTime(w.b, ps.created)
		w.b = append(w.b, '"')
		w.comma = true
		if k := sourceTable[ps.src].kind; k == kindWeb || k == kindShopify {
			w.bool("email_opt_in", p.optIn)
		}
	} else {
		w.bool("guest", true)
	}
	w.close()
}

// pageURL returns the URL, path and title of a page on the session's
// source.
func (g *gen) pageURL(p *person, e *ev) (url, path, title string) {
	s := e.sess
	info := &sourceTable[s.src]
	pr := &catalog[e.prod]
	var sb strings.Builder
	sb.WriteString(info.base)
	pathStart := sb.Len()
	if info.kind == kindAmazon {
		switch e.page {
		case pgHome, pgSignup:
			sb.WriteString("/stores/Kiteline/page/6F2C1A8E")
			title = info.site + ": Kiteline"
		case pgCategory:
			sb.WriteString("/stores/Kiteline/")
			sb.WriteString(slug(pr.Category))
			title = info.site + ": Kiteline " + pr.Category
		case pgSearch:
			sb.WriteString("/s?k=")
			sb.Write(appendQueryEscaped(nil, e.str))
			title = info.site + ": " + e.str
		case pgCart:
			sb.WriteString("/gp/cart/view.html")
			title = info.site + " Shopping Cart"
		case pgCheckout, pgConfirm:
			sb.WriteString("/gp/buy/spc/handlers/display.html")
			title = info.site + " Checkout"
		default:
			sb.WriteString("/dp/")
			sb.WriteString(pr.ASIN)
			title = info.site + ": Kiteline " + pr.Name
		}
	} else {
		if s.src == srcShopifyEU {
			sb.WriteString(shopLangs[p.seg.locale])
			if _, ok := shopLangs[p.seg.locale]; !ok {
				sb.WriteString("/en")
			}
		}
		switch e.page {
		case pgHome:
			sb.WriteString("/")
			title = "Kiteline | Gear for the way you travel"
		case pgCategory:
			sb.WriteString("/collections/")
			sb.WriteString(slug(pr.Category))
			title = "Kiteline | " + pr.Category
		case pgSearch:
			sb.WriteString("/search?q=")
			sb.Write(appendQueryEscaped(nil, e.str))
			title = "Kiteline | Search"
		case pgCart:
			sb.WriteString("/cart")
			title = "Kiteline | Cart"
		case pgCheckout:
			sb.WriteString("/checkout")
			title = "Kiteline | Checkout"
		case pgConfirm:
			sb.WriteString("/checkout/thank-you")
			title = "Kiteline | Thank you"
		case pgSignup:
			sb.WriteString("/account/register")
			title = "Kiteline | Create account"
		default:
			sb.WriteString("/products/")
			sb.WriteString(pr.handle)
			title = "Kiteline | " + pr.Name
		}
	}
	url = sb.String()
	path = url[pathStart:]
	if i := strings.IndexByte(path, '?'); i >= 0 {
		path = path[:i]
	}
	if e.landing && s.query != "" {
		if strings.IndexByte(url, '?') >= 0 {
			url += "&" + s.query
		} else {
			url += "?" + s.query
		}
	}
	return url, path, title
}

// referrer is where the landing page was reached from.
func (g *gen) referrer(s *session) string {
	switch s.ch {
	case chPaidSearch:
		return "https://www.google.com/"
	case chPaidSocial, chInfluencer:
		if s.camp != nil {
			switch s.camp.UTMSource {
			case "tiktok", "tiktok_jess":
				return "https://www.tiktok.com/"
			case "facebook":
				return "https://m.facebook.com/"
			case "youtube_lena":
				return "https://www.youtube.com/"
			case "wechat":
				return ""
			}
		}
		return "https://www.instagram.com/"
	case chAffiliate:
		return "https://deals.example.org/"
	case chOrganic:
		if strings.HasPrefix(s.query, "utm_source=instagram") {
			return "https://www.instagram.com/"
		}
		return "https://www.google.com/"
	}
	return ""
}

func (g *gen) pageProps(w *jw, p *person, e *ev) {
	url, path, title := g.pageURL(p, e)
	w.str("title", title)
	w.str("url", url)
	w.str("path", path)
	if e.landing {
		w.str("referrer", g.referrer(e.sess))
	} else {
		w.str("referrer", sourceTable[e.sess.src].base+"/")
	}
	if i := strings.IndexByte(url, '?'); i >= 0 {
		w.str("search", url[i:])
	} else {
		w.str("search", "")
	}
	if e.page == pgProduct || e.page == pgCategory {
		w.str("category", catalog[e.prod].Category)
	}
}

// productProps writes the Segment product fields of catalogue product pi.
func (g *gen) productProps(w *jw, pi int, c *currency, p *person) {
	pr := &catalog[pi]
	w.str("product_id", pr.ID)
	w.str("sku", pr.SKU)
	w.str("category", pr.Category)
	w.str("name", pr.Name)
	w.str("brand", brandName)
	w.str("variant", p.variant(pi))
	w.money("price", pr.price[currencyIndex(c)], c)
}

func (g *gen) products(w *jw, o *order, lines []line) {
	w.key("products")
	w.openA()
	for i, l := range lines {
		pr := &catalog[l.prod]
		w.open()
		w.str("product_id", pr.ID)
		w.str("sku", pr.SKU)
		w.str("name", pr.Name)
		w.str("category", pr.Category)
		w.str("brand", brandName)
		w.str("variant", l.variant)
		w.money("price", l.price, o.cur)
		w.int("quantity", l.qty)
		w.int("position", int64(i+1))
		w.close()
	}
	w.closeA()
}

func (g *gen) trackProps(w *jw, p *person, e *ev) {
	s := e.sess
	info := &sourceTable[s.src]
	switch e.kind {
	case evSignedUp:
		w.str("method", e.str)
		w.bool("newsletter", p.optIn)
	case evSearched:
		w.str("query", e.str)
	case evViewed:
		g.productProps(w, int(e.prod), info.cur, p)
		w.str("currency", info.cur.code)
	case evAdded:
		w.strNE("cart_id", e.ord.checkoutID)
		g.productProps(w, int(e.prod), info.cur, p)
		w.int("quantity", int64(e.qty))
		w.str("currency", info.cur.code)
	case evCheckout:
		o := e.ord
		w.strNE("checkout_id", o.checkoutID)
		w.money("value", o.subtotal-o.discount, o.cur)
		w.money("revenue", o.revenue, o.cur)
		w.strNE("coupon", o.coupon)
		w.str("currency", o.cur.code)
		g.products(w, o, o.lines)
	case evCompleted:
		o := e.ord
		w.str("order_id", o.id)
		w.strNE("checkout_id", o.checkoutID)
		w.str("affiliation", info.Name)
		w.money("subtotal", o.subtotal, o.cur)
		w.money("total", o.total, o.cur)
		w.money("revenue", o.revenue, o.cur)
		w.money("shipping", o.shipping, o.cur)
		w.money("tax", o.tax, o.cur)
		w.money("discount", o.discount, o.cur)
		w.strNE("coupon", o.coupon)
		w.str("currency", o.cur.code)
		if o.tax == 0 && o.cur != curUSD {
			// Prices include VAT: it is part of the total, not added to it.
			w.bool("tax_included", true)
			w.money("vat", o.vat, o.cur)
		}
		g.products(w, o, o.lines)
	case evRefunded, evCancelled:
		rf := e.ref
		w.str("order_id", rf.order.id)
		w.money("total", rf.amount, rf.order.cur)
		w.str("currency", rf.order.cur.code)
		w.str("reason", rf.reason)
		if e.kind == evRefunded {
			w.bool("partial", rf.amount < rf.order.total)
		}
		if rf.lines != nil {
			g.products(w, rf.order, rf.lines)
		}
	case evReviewed:
		rv := e.rev
		pr := &catalog[rv.prod]
		w.str("product_id", pr.ID)
		w.str("sku", pr.SKU)
		w.str("name", pr.Name)
		w.str("review_id", rv.id)
		w.int("rating", int64(rv.rating))
		w.str("review_body", rv.text)
		w.str("language", langCodes[rv.lang])
		w.str("order_id", rv.order)
	}
}

// context writes the Segment context: library, locale, time zone and
// location always; device details, page and campaign for browser and app
// events.
func (g *gen) context(w *jw, p *person, e *ev) {
	s := e.sess
	info := &sourceTable[s.src]
	w.obj("context")
	w.obj("library")
	w.str("name", info.libName)
	w.str("version", info.libVer)
	w.close()
	w.str("locale", p.seg.locale)
	w.str("timezone", p.city.tz)
	w.obj("location")
	w.str("country", p.cty.code)
	w.str("city", p.city.name)
	w.close()
	server := e.kind == evRefunded || e.kind == evCancelled || e.kind == evReviewed
	if !server {
		w.str("ip", s.ip)
		if info.kind == kindTikTok {
			w.obj("app")
			w.str("name", "TikTok")
			w.str("version", "34.5.0")
			w.close()
			w.obj("device")
			if p.device == devIPhone || p.device == devMac {
				w.str("type", "ios")
				w.str("manufacturer", "Apple")
				w.str("model", "iPhone15,2")
			} else {
				w.str("type", "android")
				w.str("manufacturer", "Google")
				w.str("model", "Pixel 8")
			}
			w.close()
			w.obj("os")
			if p.device == devIPhone || p.device == devMac {
				w.str("name", "iOS")
				w.str("version", "17.4")
			} else {
				w.str("name", "Android")
				w.str("version", "14")
			}
			w.close()
		} else {
			dev := p.device
			if s.dev > 0 {
				dev = (dev + s.dev) % numDevices // another device than the usual one
			}
			w.str("userAgent", userAgents[dev])
			w.obj("page")
			g.pageProps(w, p, e)
			w.close()
		}
		if c := s.camp; c != nil {
			w.obj("campaign")
			w.str("name", c.Name)
			w.str("source", c.UTMSource)
			w.str("medium", c.UTMMedium)
			w.strNE("term", s.term)
			w.str("content", s.content)
			w.close()
		} else if strings.HasPrefix(s.query, "utm_source=instagram") {
			w.obj("campaign")
			w.str("name", "bio_link")
			w.str("source", "instagram")
			w.str("medium", "social")
			w.close()
		}
	}
	w.close()
}
