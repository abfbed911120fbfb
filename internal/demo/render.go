package demo

import (
	"strings"

	"github.com/tradewind/tradewind/internal/jsonw"
)

// Message type names, by event kind.
var evTypes = [numEvKinds]string{
	evPage: "page", evScreen: "screen", evIdentify: "identify", evAlias: "alias",
	evSignedUp: "track", evSearched: "track", evViewed: "track", evAdded: "track", evCheckout: "track",
	evCompleted: "track", evRefunded: "track", evCancelled: "track", evReviewed: "track", evExperiment: "track",
}

// Track event names (Segment e-commerce spec v2, plus "Signed Up").
var evNames = [numEvKinds]string{
	evSignedUp: "Signed Up", evSearched: "Products Searched", evViewed: "Product Viewed",
	evAdded: "Product Added", evCheckout: "Checkout Started", evCompleted: "Order Completed",
	evRefunded: "Order Refunded", evCancelled: "Order Cancelled", evReviewed: "Product Reviewed",
	evExperiment: "Experiment Viewed",
}

var pageNames = [numPages]string{"Home", "Category", "Product", "Search", "Cart", "Checkout", "Order Confirmation", "Sign Up"}

var screenNames = [numPages]string{"For You", "Shop Tab", "Product Detail", "Search Results", "Shop Cart", "Checkout", "Order Placed", "Follow Shop"}

// shopLangs is the language path prefix of the Shopify EU storefront.
var shopLangs = map[string]string{"de-DE": "/de", "de-AT": "/de", "fr-FR": "/fr", "es-ES": "/es", "it-IT": "/it", "nl-NL": "/nl"}

// render appends the JSON of one message.
func (g *gen) render(b []byte, p *person, e *ev) []byte {
	var w jsonw.Writer
	w.Reset(b)
	s := e.sess
	ps := s.ps
	w.BeginObject()
	g.header(&w, evTypes[e.kind], p.idx, e.seq, e.t)
	if e.user {
		w.Key("userId").String(ps.userID)
	}
	if s.anon != "" && (e.kind != evRefunded && e.kind != evCancelled && e.kind != evReviewed || !e.user) {
		w.Key("anonymousId").String(s.anon)
	}
	info := &sourceTable[s.src]
	switch e.kind {
	case evPage:
		w.Key("name").String(pageNames[e.page])
		w.Key("properties").BeginObject()
		g.pageProps(&w, p, e)
		w.EndObject()
	case evScreen:
		w.Key("name").String(screenNames[e.page])
		w.Key("properties").BeginObject()
		w.Key("name").String(screenNames[e.page])
		if e.page == pgProduct {
			// "name" is the screen's; the product is named by its id.
			pr := &catalog[e.prod]
			w.Key("product_id").String(pr.ID)
			w.Key("sku").String(pr.SKU)
			w.Key("category").String(pr.Category)
			putMoney(&w, "price", pr.price[currencyIndex(info.cur)], info.cur)
			w.Key("currency").String(info.cur.code)
		}
		w.EndObject()
	case evIdentify:
		g.traits(&w, p, e)
	case evAlias:
		w.Key("previousId").String(s.anon)
	default:
		w.Key("event").String(evNames[e.kind])
		w.Key("properties").BeginObject()
		g.trackProps(&w, p, e)
		w.EndObject()
	}
	g.context(&w, p, e)
	w.EndObject()
	return w.Bytes()
}

func (g *gen) traits(w *jsonw.Writer, p *person, e *ev) {
	ps := e.sess.ps
	full, first, last := p.fullName(ps.latin)
	w.Key("traits").BeginObject()
	w.OptString("email", ps.email)
	if e.str != "guest" {
		w.OptString("phone", ps.phone)
	}
	w.Key("firstName").String(first)
	w.Key("lastName").String(last)
	w.Key("name").String(full)
	if e.str != "guest" {
		w.Key("address").BeginObject()
		w.Key("city").String(p.city.name)
		w.Key("state").String(p.city.region)
		w.Key("country").String(p.cty.code)
		w.EndObject()
		putTime(w, "createdAt", ps.created)
		if k := sourceTable[ps.src].kind; k == kindWeb || k == kindShopify {
			w.Key("email_opt_in").Bool(p.optIn)
		}
	} else {
		w.Key("guest").Bool(true)
	}
	w.EndObject()
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

func (g *gen) pageProps(w *jsonw.Writer, p *person, e *ev) {
	url, path, title := g.pageURL(p, e)
	w.Key("title").String(title)
	w.Key("url").String(url)
	w.Key("path").String(path)
	if e.landing {
		w.Key("referrer").String(g.referrer(e.sess))
	} else {
		w.Key("referrer").String(sourceTable[e.sess.src].base + "/")
	}
	if i := strings.IndexByte(url, '?'); i >= 0 {
		w.Key("search").String(url[i:])
	} else {
		w.Key("search").String("")
	}
	if e.page == pgProduct || e.page == pgCategory {
		w.Key("category").String(catalog[e.prod].Category)
	}
}

// productProps writes the Segment product fields of catalogue product pi.
func (g *gen) productProps(w *jsonw.Writer, pi int, c *currency, p *person) {
	pr := &catalog[pi]
	w.Key("product_id").String(pr.ID)
	w.Key("sku").String(pr.SKU)
	w.Key("category").String(pr.Category)
	w.Key("name").String(pr.Name)
	w.Key("brand").String(brandName)
	w.Key("variant").String(p.variant(pi))
	putMoney(w, "price", pr.price[currencyIndex(c)], c)
}

func (g *gen) products(w *jsonw.Writer, o *order, lines []line) {
	w.Key("products").BeginArray()
	for i, l := range lines {
		pr := &catalog[l.prod]
		w.BeginObject()
		w.Key("product_id").String(pr.ID)
		w.Key("sku").String(pr.SKU)
		w.Key("name").String(pr.Name)
		w.Key("category").String(pr.Category)
		w.Key("brand").String(brandName)
		w.Key("variant").String(l.variant)
		putMoney(w, "price", l.price, o.cur)
		w.Key("quantity").Int(l.qty)
		w.Key("position").Int(int64(i + 1))
		w.EndObject()
	}
	w.EndArray()
}

func (g *gen) trackProps(w *jsonw.Writer, p *person, e *ev) {
	s := e.sess
	info := &sourceTable[s.src]
	switch e.kind {
	case evSignedUp:
		w.Key("method").String(e.str)
		w.Key("newsletter").Bool(p.optIn)
	case evSearched:
		w.Key("query").String(e.str)
	case evExperiment:
		w.Key("experiment_id").String(ExperimentID)
		w.Key("experiment_name").String(ExperimentName)
		w.Key("variation_id").String(e.str)
	case evViewed:
		g.productProps(w, int(e.prod), info.cur, p)
		w.Key("currency").String(info.cur.code)
	case evAdded:
		w.OptString("cart_id", e.ord.checkoutID)
		g.productProps(w, int(e.prod), info.cur, p)
		w.Key("quantity").Int(int64(e.qty))
		w.Key("currency").String(info.cur.code)
	case evCheckout:
		o := e.ord
		w.OptString("checkout_id", o.checkoutID)
		putMoney(w, "value", o.subtotal-o.discount, o.cur)
		putMoney(w, "revenue", o.revenue, o.cur)
		w.OptString("coupon", o.coupon)
		w.Key("currency").String(o.cur.code)
		g.products(w, o, o.lines)
	case evCompleted:
		o := e.ord
		w.Key("order_id").String(o.id)
		w.OptString("checkout_id", o.checkoutID)
		w.Key("affiliation").String(info.Name)
		putMoney(w, "subtotal", o.subtotal, o.cur)
		putMoney(w, "total", o.total, o.cur)
		putMoney(w, "revenue", o.revenue, o.cur)
		putMoney(w, "shipping", o.shipping, o.cur)
		putMoney(w, "tax", o.tax, o.cur)
		putMoney(w, "discount", o.discount, o.cur)
		w.OptString("coupon", o.coupon)
		w.Key("currency").String(o.cur.code)
		if o.tax == 0 && o.cur != curUSD {
			// Prices include VAT: it is part of the total, not added to it.
			w.Key("tax_included").Bool(true)
			putMoney(w, "vat", o.vat, o.cur)
		}
		g.products(w, o, o.lines)
	case evRefunded, evCancelled:
		rf := e.ref
		w.Key("order_id").String(rf.order.id)
		putMoney(w, "total", rf.amount, rf.order.cur)
		w.Key("currency").String(rf.order.cur.code)
		w.Key("reason").String(rf.reason)
		if e.kind == evRefunded {
			w.Key("partial").Bool(rf.amount < rf.order.total)
		}
		if rf.lines != nil {
			g.products(w, rf.order, rf.lines)
		}
	case evReviewed:
		rv := e.rev
		pr := &catalog[rv.prod]
		w.Key("product_id").String(pr.ID)
		w.Key("sku").String(pr.SKU)
		w.Key("name").String(pr.Name)
		w.Key("review_id").String(rv.id)
		w.Key("rating").Int(int64(rv.rating))
		w.Key("review_body").String(rv.text)
		w.Key("language").String(langCodes[rv.lang])
		w.Key("order_id").String(rv.order)
	}
}

// context writes the Segment context: library, locale, time zone and
// location always; device details, page and campaign for browser and app
// events.
func (g *gen) context(w *jsonw.Writer, p *person, e *ev) {
	s := e.sess
	info := &sourceTable[s.src]
	w.Key("context").BeginObject()
	w.Key("library").BeginObject()
	w.Key("name").String(info.libName)
	w.Key("version").String(info.libVer)
	w.EndObject()
	w.Key("locale").String(p.seg.locale)
	w.Key("timezone").String(p.city.tz)
	w.Key("location").BeginObject()
	w.Key("country").String(p.cty.code)
	w.Key("city").String(p.city.name)
	w.EndObject()
	server := e.kind == evRefunded || e.kind == evCancelled || e.kind == evReviewed
	if !server {
		w.Key("ip").String(s.ip)
		if info.kind == kindTikTok {
			w.Key("app").BeginObject()
			w.Key("name").String("TikTok")
			w.Key("version").String("34.5.0")
			w.EndObject()
			w.Key("device").BeginObject()
			if p.device == devIPhone || p.device == devMac {
				w.Key("type").String("ios")
				w.Key("manufacturer").String("Apple")
				w.Key("model").String("iPhone15,2")
			} else {
				w.Key("type").String("android")
				w.Key("manufacturer").String("Google")
				w.Key("model").String("Pixel 8")
			}
			w.EndObject()
			w.Key("os").BeginObject()
			if p.device == devIPhone || p.device == devMac {
				w.Key("name").String("iOS")
				w.Key("version").String("17.4")
			} else {
				w.Key("name").String("Android")
				w.Key("version").String("14")
			}
			w.EndObject()
		} else {
			dev := p.device
			if s.dev > 0 {
				dev = (dev + s.dev) % numDevices // another device than the usual one
			}
			w.Key("userAgent").String(userAgents[dev])
			w.Key("page").BeginObject()
			g.pageProps(w, p, e)
			w.EndObject()
		}
		if c := s.camp; c != nil {
			w.Key("campaign").BeginObject()
			w.Key("name").String(c.Name)
			w.Key("source").String(c.UTMSource)
			w.Key("medium").String(c.UTMMedium)
			w.OptString("term", s.term)
			w.Key("content").String(s.content)
			w.EndObject()
		} else if strings.HasPrefix(s.query, "utm_source=instagram") {
			w.Key("campaign").BeginObject()
			w.Key("name").String("bio_link")
			w.Key("source").String("instagram")
			w.Key("medium").String("social")
			w.EndObject()
		}
	}
	w.EndObject()
}
