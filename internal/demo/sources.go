package demo

// Source is one sales or tracking channel of the demo brand. Every message
// Generate emits belongs to exactly one Source, named by its Key.
type Source struct {
	// Key is the stable identifier used as the write-key name when the demo
	// is ingested, e.g. "amazon_de".
	Key string
	// Name is a human-readable label, e.g. "Amazon DE".
	Name string
	// Kind is the connector family: "amazon", "shopify", "tiktok_shop" or "web".
	Kind string
	// Currency is the ISO 4217 code every order on the source is priced in.
	Currency string
	// Marketplace names the marketplace for marketplace sources
	// ("amazon_us", "tiktok_shop_uk"); empty for the brand's own stores.
	Marketplace string
	// Country is the ISO 3166-1 alpha-2 code of the source's home market:
	// the marketplace's country, or where an own store ships from.
	Country string
	// Store identifies the seller account or storefront behind the source.
	// Sources with the same Store share customers' accounts; in the demo
	// every source has its own.
	Store string
}

// Source indexes; the order is the order of Sources().
const (
	srcAmazonUS = iota
	srcAmazonDE
	srcAmazonJP
	srcShopifyEU
	srcTikTokUK
	srcWeb
	numSources
)

// Connector families, so hot paths switch on a byte, not a string.
const (
	kindAmazon = iota
	kindShopify
	kindTikTok
	kindWeb
)

// currency carries what the generator needs to price in a currency: minor
// units and a price level relative to USD that turns a USD-equivalent spend
// target into local price points (EUR price points mirror USD numbers, as
// sellers usually set them; JPY is ~150 yen to the dollar).
type currency struct {
	code  string
	exp   int // digits after the decimal point: 2, or 0 for JPY
	level float64
}

var (
	curUSD = &currency{"USD", 2, 1}
	curEUR = &currency{"EUR", 2, 1}
	curGBP = &currency{"GBP", 2, 0.85}
	curJPY = &currency{"JPY", 0, 150}
)

// currencies lists every currency a catalogue price exists in, in a fixed
// order so that Product.Prices is built deterministically.
var currencies = []*currency{curUSD, curEUR, curGBP, curJPY}

// sourceInfo is the generator's view of a Source: the public description
// plus how its pages look and how it charges shipping.
type sourceInfo struct {
	Source
	cur     *currency
	kind    int
	base    string // scheme and host of its pages
	site    string // how page titles name the site
	libName string
	libVer  string
	// Shipping in minor units: free from freeFrom (subtotal after
	// discount), else fee; Amazon sources ship most orders free (Prime).
	freeFrom int64
	fee      int64
	// prime is the share of orders shipped free regardless of value.
	prime float64
	// orderPrefix starts Amazon order numbers (the first three digits
	// differ per marketplace).
	orderPrefix string
}

// brandName is the invented brand every source sells.
const brandName = "Kiteline"

var sourceTable = [numSources]sourceInfo{
	srcAmazonUS: {
		Source: Source{Key: "amazon_us", Name: "Amazon US", Kind: "amazon", Currency: "USD", Marketplace: "amazon_us", Country: "US", Store: "kiteline-amazon-na"},
		cur:    curUSD, kind: kindAmazon, base: "https://www.amazon.com", site: "Amazon.com",
		libName: "tradewind-amazon-sp-api", libVer: "1.4.0",
		freeFrom: 3500, fee: 599, prime: 0.8, orderPrefix: "11",
	},
	srcAmazonDE: {
		Source: Source{Key: "amazon_de", Name: "Amazon DE", Kind: "amazon", Currency: "EUR", Marketplace: "amazon_de", Country: "DE", Store: "kiteline-amazon-eu"},
		cur:    curEUR, kind: kindAmazon, base: "https://www.amazon.de", site: "Amazon.de",
		libName: "tradewind-amazon-sp-api", libVer: "1.4.0",
		freeFrom: 2900, fee: 399, prime: 0.75, orderPrefix: "30",
	},
	srcAmazonJP: {
		Source: Source{Key: "amazon_jp", Name: "Amazon JP", Kind: "amazon", Currency: "JPY", Marketplace: "amazon_jp", Country: "JP", Store: "kiteline-amazon-fe"},
		cur:    curJPY, kind: kindAmazon, base: "https://www.amazon.co.jp", site: "Amazon.co.jp",
		libName: "tradewind-amazon-sp-api", libVer: "1.4.0",
		freeFrom: 2000, fee: 410, prime: 0.8, orderPrefix: "50",
	},
	srcShopifyEU: {
		Source: Source{Key: "shopify_eu", Name: "Shopify EU store", Kind: "shopify", Currency: "EUR", Country: "NL", Store: "kiteline-eu.myshopify.com"},
		cur:    curEUR, kind: kindShopify, base: "https://eu.kiteline.example",
		libName: "analytics.js", libVer: "4.1.0",
		freeFrom: 4900, fee: 495,
	},
	srcTikTokUK: {
		Source: Source{Key: "tiktok_uk", Name: "TikTok Shop UK", Kind: "tiktok_shop", Currency: "GBP", Marketplace: "tiktok_shop_uk", Country: "GB", Store: "kiteline-tiktok-uk"},
		cur:    curGBP, kind: kindTikTok, base: "https://shop.tiktok.com",
		libName: "tradewind-tiktok-shop", libVer: "0.9.2",
		freeFrom: 1500, fee: 299,
	},
	srcWeb: {
		Source: Source{Key: "web", Name: "Kiteline website", Kind: "web", Currency: "USD", Country: "US", Store: "kiteline.example"},
		cur:    curUSD, kind: kindWeb, base: "https://www.kiteline.example",
		libName: "analytics.js", libVer: "4.1.0",
		freeFrom: 5000, fee: 695,
	},
}

// Sources returns the demo brand's sources in a fixed order: Amazon US, DE
// and JP, the Shopify EU store, TikTok Shop UK and the brand's own website
// (a JavaScript source priced in USD whose store no other source shares).
func Sources() []Source {
	out := make([]Source, numSources)
	for i := range sourceTable {
		out[i] = sourceTable[i].Source
	}
	return out
}
