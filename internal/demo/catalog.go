package demo

import (
	"math"
	"strconv"
	"strings"
)

// Product is one sellable item of the demo brand's catalogue.
type Product struct {
	// ID is the brand's product id, the same on every source.
	ID string
	// SKU is the stock-keeping unit, e.g. "KL-DRK-009-SGE".
	SKU string
	// Name is the English listing title.
	Name string
	// Category is the catalogue category, e.g. "Drinkware".
	Category string
	// Color is the colourway.
	Color string
	// Sized reports whether orders carry a clothing size in the variant.
	Sized bool
	// ASIN is the product's Amazon listing id.
	ASIN string
	// Prices maps ISO currency codes to the price in minor units (cents,
	// or whole yen for JPY). Prices are list prices with the endings
	// shoppers expect in each market: .99 in USD and GBP, .99 or .95 in
	// EUR, …80 yen in JPY. EUR, GBP and JPY prices include VAT or
	// consumption tax, USD prices do not (US sales tax is added at checkout).
	Prices map[string]int64
}

// product is the generator's compact view of a Product.
type product struct {
	Product
	cat    int
	handle string   // URL slug
	price  [4]int64 // per currencies[i]
	weight float64  // popularity
}

// categories, with a popularity weight and a short code for SKUs.
var categories = []struct {
	name, code string
	weight     float64
}{
	{"Bags & Packs", "BAG", 1.3},
	{"Drinkware", "DRK", 1.4},
	{"Apparel", "APP", 1.2},
	{"Tech Accessories", "TEC", 0.9},
	{"Travel Essentials", "TRV", 1.0},
	{"Camp & Home", "CMP", 0.7},
}

// baseItems is the catalogue before colourways: category index, name, US
// list price in cents, sized, colourways.
var baseItems = []struct {
	cat    int
	name   string
	usd    int64
	sized  bool
	colors []string
}{
	{0, "Daypack 20L", 5999, false, []string{"Black", "Sand", "Olive"}},
	{0, "Rolltop Backpack 28L", 8999, false, []string{"Black", "Navy"}},
	{0, "Travel Backpack 40L", 12900, false, []string{"Black", "Graphite"}},
	{0, "Sling Bag 3L", 3499, false, []string{"Black", "Sand", "Terracotta"}},
	{0, "Canvas Tote", 2999, false, []string{"Natural", "Black"}},
	{0, "Dry Bag 10L", 2499, false, []string{"Ocean", "Orange"}},
	{0, "Laptop Sleeve 14in", 3299, false, []string{"Grey", "Black"}},
	{0, "Hip Pack", 2799, false, []string{"Black", "Olive", "Lilac"}},
	{1, "Insulated Bottle 500ml", 2999, false, []string{"Matte Black", "Sage", "Sky", "Chalk"}},
	{1, "Insulated Bottle 750ml", 3499, false, []string{"Matte Black", "Sage", "Coral"}},
	{1, "Travel Mug 350ml", 2499, false, []string{"Black", "Cream"}},
	{1, "Collapsible Cup", 1299, false, []string{"Grey", "Mint"}},
	{1, "Tumbler 600ml with Straw", 2799, false, []string{"Rose", "Black", "Sand"}},
	{1, "Kids Bottle 350ml", 1999, false, []string{"Dino", "Rainbow"}},
	{2, "Merino T-Shirt", 4999, true, []string{"Black", "Heather Grey", "Navy"}},
	{2, "Packable Rain Jacket", 7999, true, []string{"Yellow", "Black", "Forest"}},
	{2, "Fleece Hoodie", 6499, true, []string{"Oatmeal", "Charcoal"}},
	{2, "Trail Shorts", 3999, true, []string{"Black", "Khaki"}},
	{2, "Merino Socks 3-Pack", 2499, true, []string{"Mixed"}},
	{2, "Thermal Leggings", 4499, true, []string{"Black"}},
	{2, "Down Vest", 9900, true, []string{"Black", "Navy"}},
	{2, "Beanie", 1999, false, []string{"Rust", "Black", "Grey"}},
	{2, "Sun Hat", 2299, false, []string{"Sand", "Olive"}},
	{3, "Power Bank 10000mAh", 3499, false, []string{"Black", "White"}},
	{3, "Universal Travel Adapter", 2999, false, []string{"White", "Black"}},
	{3, "Cable Organizer", 1799, false, []string{"Grey", "Blue"}},
	{3, "USB-C Cable 2m 2-Pack", 1499, false, []string{"White"}},
	{3, "Wireless Charging Pad", 2499, false, []string{"Black"}},
	{3, "Bluetooth Tracker Tag 2-Pack", 3999, false, []string{"White"}},
	{3, "Phone Crossbody Lanyard", 1699, false, []string{"Black", "Sage", "Pink"}},
	{4, "Packing Cubes Set of 4", 3299, false, []string{"Grey", "Navy", "Teal"}},
	{4, "Toiletry Bag", 2699, false, []string{"Black", "Sand"}},
	{4, "Memory Foam Travel Pillow", 2999, false, []string{"Grey"}},
	{4, "Silicone Travel Bottles 4-Pack", 1499, false, []string{"Clear"}},
	{4, "Luggage Tag 2-Pack", 1199, false, []string{"Tan", "Black"}},
	{4, "Compression Sack", 1999, false, []string{"Grey"}},
	{4, "RFID Passport Wallet", 2499, false, []string{"Black", "Brown"}},
	{5, "Camping Blanket", 6999, false, []string{"Forest", "Rust"}},
	{5, "Ultralight Hammock", 4999, false, []string{"Olive", "Sky"}},
	{5, "LED Lantern", 3299, false, []string{"Black"}},
	{5, "Microfiber Towel L", 2299, false, []string{"Teal", "Sand", "Grey"}},
	{5, "Picnic Set for Two", 5999, false, []string{"Natural"}},
	{5, "Foldable Stool", 3999, false, []string{"Black"}},
	{5, "Headlamp 400lm", 2799, false, []string{"Black", "Orange"}},
}

// catalog is built once: it does not depend on the seed, so product ids and
// prices are the same in every demo and can be quoted in documentation.
var catalog = buildCatalog()

// catProducts lists product indexes per category.
var catProducts [6][]int

// productWeights is the popularity of every product, for weighted choice.
var productWeights weights

func buildCatalog() []product {
	var out []product
	for bi, it := range baseItems {
		for ci, color := range it.colors {
			n := len(out)
			code := strings.ToUpper(strings.ReplaceAll(color, " ", ""))
			if len(code) > 3 {
				code = code[:3]
			}
			p := product{cat: it.cat}
			p.ID = "kl_" + strconv.Itoa(1001+n)
			p.SKU = "KL-" + categories[it.cat].code + "-" + pad3(bi+1) + "-" + code
			p.Name = it.name + " – " + color
			p.Category = categories[it.cat].name
			p.Color = color
			p.Sized = it.sized
			p.ASIN = string(appendBase36([]byte("B0"), mix64(uint64(n)+0x4b4c)%2821109907456, 8)) // 36^8
			p.handle = slug(it.name + " " + color)
			p.price = [4]int64{it.usd, eurPrice(it.usd, n), gbpPrice(it.usd), jpyPrice(it.usd)}
			p.Prices = map[string]int64{}
			for i, c := range currencies {
				p.Prices[c.code] = p.price[i]
			}
			// Bestsellers: the first colourway sells best, and popularity
			// falls with price, as in most catalogues.
			p.weight = categories[it.cat].weight / float64(ci+1) * math.Sqrt(3000/float64(it.usd))
			out = append(out, p)
		}
	}
	ws := make([]float64, len(out))
	for i, p := range out {
		catProducts[p.cat] = append(catProducts[p.cat], i)
		ws[i] = p.weight
	}
	productWeights = cumulative(ws...)
	return out
}

func pad3(n int) string {
	s := strconv.Itoa(n)
	for len(s) < 3 {
		s = "0" + s
	}
	return s
}

func slug(s string) string {
	var b strings.Builder
	dash := false
	for _, r := range strings.ToLower(s) {
		switch {
		case r >= 'a' && r <= 'z' || r >= '0' && r <= '9':
			b.WriteRune(r)
			dash = false
		case !dash && b.Len() > 0:
			b.WriteByte('-')
			dash = true
		}
	}
	return strings.TrimSuffix(b.String(), "-")
}

// eurPrice keeps the USD number and ends it in .99 or .95 (alternating by
// product), or keeps a round price round.
func eurPrice(usd int64, n int) int64 {
	if usd%100 == 0 {
		return usd
	}
	if n%2 == 1 {
		return usd/100*100 + 95
	}
	return usd
}

// gbpPrice is 85% of the USD price, ending in .99.
func gbpPrice(usd int64) int64 {
	return usd*85/10000*100 + 99
}

// jpyPrice is ~150 yen per dollar, rounded to the hundred, minus 20: the
// "¥2,980" endings of Japanese retail.
func jpyPrice(usd int64) int64 {
	y := (usd*150/100 + 50) / 100 * 100
	return y - 20
}

// Catalog returns the demo catalogue: about 90 products in six
// categories, each with prices in USD, EUR, GBP and JPY. It is the same
// for every Config.
func Catalog() []Product {
	out := make([]Product, len(catalog))
	for i := range catalog {
		out[i] = catalog[i].Product
		out[i].Prices = make(map[string]int64, len(currencies))
		for k, v := range catalog[i].Prices {
			out[i].Prices[k] = v
		}
	}
	return out
}

// currencyIndex returns the index of c in currencies.
func currencyIndex(c *currency) int {
	for i, x := range currencies {
		if x == c {
			return i
		}
	}
	panic("demo: unknown currency " + c.code)
}
