package demo

import (
	"math/rand/v2"
	"strconv"
	"strings"
	"time"
	_ "time/tzdata" // the demo must not depend on the host's zoneinfo: same output everywhere
)

// Review and search languages.
const (
	langEn = iota
	langDe
	langJa
	langEs
	langZh
	langFr
	langIt
	numLangs
)

var langCodes = [numLangs]string{"en", "de", "ja", "es", "zh", "fr", "it"}

// culture is what a person's language and origin decide: names, how a
// name is written, which language reviews and searches are in.
type culture struct {
	first, last []name
	// familyFirst: the family name comes first in the full name (ja, zh).
	familyFirst bool
	// sep joins family and given name in native script.
	sep string
	// reviewLang: languages the person writes reviews in, with weights.
	reviewLang []int
	reviewW    weights
}

var (
	cultEnUS = &culture{first: firstEnUS, last: lastEnUS, sep: " ", reviewLang: []int{langEn}, reviewW: cumulative(1)}
	cultEnGB = &culture{first: firstEnGB, last: lastEnGB, sep: " ", reviewLang: []int{langEn}, reviewW: cumulative(1)}
	cultEsUS = &culture{first: firstEsUS, last: lastEs, sep: " ", reviewLang: []int{langEs, langEn}, reviewW: cumulative(0.7, 0.3)}
	cultDe   = &culture{first: firstDe, last: lastDe, sep: " ", reviewLang: []int{langDe, langEn}, reviewW: cumulative(0.95, 0.05)}
	cultFr   = &culture{first: firstFr, last: lastFr, sep: " ", reviewLang: []int{langFr}, reviewW: cumulative(1)}
	cultEs   = &culture{first: firstEs, last: lastEs, sep: " ", reviewLang: []int{langEs}, reviewW: cumulative(1)}
	cultIt   = &culture{first: firstIt, last: lastIt, sep: " ", reviewLang: []int{langIt}, reviewW: cumulative(1)}
	// Dutch shoppers in the demo review in English, as many do on
	// international stores; there is no Dutch review bank.
	cultNl = &culture{first: firstNl, last: lastNl, sep: " ", reviewLang: []int{langEn}, reviewW: cumulative(1)}
	cultJa = &culture{first: firstJa, last: lastJa, familyFirst: true, sep: " ", reviewLang: []int{langJa}, reviewW: cumulative(1)}
	cultZh = &culture{first: firstZh, last: lastZh, familyFirst: true, sep: "", reviewLang: []int{langZh, langEn}, reviewW: cumulative(0.8, 0.2)}
)

// city is where a person lives; US cities carry their combined sales-tax
// rate and area codes.
type city struct {
	name, region, tz string
	taxPer100k       int64 // US sales tax in 1/1000 of a percent
	phoneBlocks      []int // preferred phone blocks of the country
	loc              *time.Location
}

// country is a market a person can live in.
type country struct {
	code   string
	cities []*city
	// vat is the VAT or consumption-tax rate in percent that prices on
	// sources in this market include; 0 for the US and Canada.
	vat int
	// srcs and srcW: the source a person here starts on; alt: sources a
	// multi-source shopper adds.
	srcs []int
	srcW weights
	alt  []int
	// domains for invented e-mail addresses.
	domains []string
	// phone: share of people who give a number; blocks are the country's
	// fictional ranges (nil where the regulator publishes none).
	phoneShare float64
	blocks     []*phoneBlock
}

// phoneBlock is a range of telephone numbers a regulator reserves for
// fiction, so no demo number can ring a real person: NANP 555-0100–0199,
// Ofcom's drama numbers, the Bundesnetzagentur's Filmrufnummern and
// ARCEP's fiction blocks. Numbers are handed out in person order, so each
// person's number is unique within the run.
type phoneBlock struct {
	e164   string // "+12125550" — digits follow
	nat    string // national-format prefix
	digits int    // number of free digits
	pairs  bool   // national format groups the free digits in pairs (FR)
	used   int
}

func (b *phoneBlock) size() int {
	n := 1
	for i := 0; i < b.digits; i++ {
		n *= 10
	}
	return n
}

// take returns the next number of the block in E.164 and national form.
func (b *phoneBlock) take() (e164, nat string, ok bool) {
	if b.used >= b.size() {
		return "", "", false
	}
	n := b.used
	b.used++
	d := string(appendPadded(nil, uint64(n), b.digits))
	e164 = b.e164 + d
	if b.pairs {
		var s strings.Builder
		for i := 0; i < len(d); i += 2 {
			s.WriteByte(' ')
			s.WriteString(d[i : i+2])
		}
		nat = b.nat + s.String()
	} else {
		nat = b.nat + d
	}
	return e164, nat, true
}

// nanp builds the 555-0100–0199 block of an area code, the only 555
// numbers reserved for fiction.
func nanp(area string) *phoneBlock {
	return &phoneBlock{e164: "+1" + area + "55501", nat: "(" + area + ") 555-01", digits: 2}
}

func gb(e164, nat string) *phoneBlock { return &phoneBlock{e164: e164, nat: nat, digits: 3} }
func de(e164, nat string) *phoneBlock { return &phoneBlock{e164: e164, nat: nat, digits: 3} }
func fr(e164, nat string) *phoneBlock {
	return &phoneBlock{e164: e164, nat: nat, digits: 4, pairs: true}
}

// segment is one row of the population mix.
type segment struct {
	cty    *country
	cult   *culture
	locale string
	weight float64
}

// world builds the countries and the population mix. It is rebuilt for
// every run because phone blocks count the numbers handed out.
func world() []*segment {
	mk := func(name, region, tz string, tax int64, blocks ...int) *city {
		loc, err := time.LoadLocation(tz)
		if err != nil {
			panic("demo: time zone " + tz + ": " + err.Error())
		}
		return &city{name: name, region: region, tz: tz, taxPer100k: tax, phoneBlocks: blocks, loc: loc}
	}
	usBlocks := []*phoneBlock{}
	var usCodes = [][]string{
		{"212", "646", "718", "917", "347"}, {"617", "857"}, {"215", "267"}, {"305", "786"},
		{"312", "773", "872"}, {"713", "281", "832"}, {"214", "469", "972"}, {"612", "651"},
		{"303", "720"}, {"801", "385"}, {"213", "310", "323", "424"}, {"415", "628"}, {"206", "253"}, {"503", "971"},
		{"416", "647", "437"}, {"613", "343"}, {"604", "778", "236"},
	}
	cityBlocks := make([][]int, len(usCodes))
	for i, codes := range usCodes {
		for _, a := range codes {
			cityBlocks[i] = append(cityBlocks[i], len(usBlocks))
			usBlocks = append(usBlocks, nanp(a))
		}
	}
	us := &country{
		code: "US", vat: 0,
		cities: []*city{
			mk("New York", "NY", "America/New_York", 8875, cityBlocks[0]...),
			mk("Boston", "MA", "America/New_York", 6250, cityBlocks[1]...),
			mk("Philadelphia", "PA", "America/New_York", 8000, cityBlocks[2]...),
			mk("Miami", "FL", "America/New_York", 7000, cityBlocks[3]...),
			mk("Chicago", "IL", "America/Chicago", 10250, cityBlocks[4]...),
			mk("Houston", "TX", "America/Chicago", 8250, cityBlocks[5]...),
			mk("Dallas", "TX", "America/Chicago", 8250, cityBlocks[6]...),
			mk("Minneapolis", "MN", "America/Chicago", 8025, cityBlocks[7]...),
			mk("Denver", "CO", "America/Denver", 8810, cityBlocks[8]...),
			mk("Salt Lake City", "UT", "America/Denver", 7750, cityBlocks[9]...),
			mk("Los Angeles", "CA", "America/Los_Angeles", 9500, cityBlocks[10]...),
			mk("San Francisco", "CA", "America/Los_Angeles", 8625, cityBlocks[11]...),
			mk("Seattle", "WA", "America/Los_Angeles", 10350, cityBlocks[12]...),
			mk("Portland", "OR", "America/Los_Angeles", 0, cityBlocks[13]...),
		},
		srcs: []int{srcAmazonUS, srcWeb}, srcW: cumulative(0.6, 0.4), alt: []int{srcWeb, srcAmazonUS},
		domains:    []string{"example.com", "example.com", "example.net", "example.org"},
		phoneShare: 0.3, blocks: usBlocks,
	}
	ca := &country{
		code: "CA",
		cities: []*city{
			mk("Toronto", "ON", "America/Toronto", 0, cityBlocks[14]...),
			mk("Ottawa", "ON", "America/Toronto", 0, cityBlocks[15]...),
			mk("Vancouver", "BC", "America/Vancouver", 0, cityBlocks[16]...),
		},
		srcs: []int{srcWeb, srcAmazonUS}, srcW: cumulative(0.7, 0.3), alt: []int{srcAmazonUS, srcWeb},
		domains: []string{"example.ca", "example.com"}, phoneShare: 0.3, blocks: usBlocks,
	}
	gbBlocks := []*phoneBlock{
		gb("+447700900", "07700 900"), gb("+442079460", "020 7946 0"), gb("+441614960", "0161 496 0"),
		gb("+441214960", "0121 496 0"), gb("+441134960", "0113 496 0"), gb("+441414960", "0141 496 0"),
		gb("+441174960", "0117 496 0"), gb("+441314960", "0131 496 0"), gb("+441632960", "01632 960"),
	}
	uk := &country{
		code: "GB", vat: 20,
		cities: []*city{
			mk("London", "ENG", "Europe/London", 0, 0, 1), mk("Manchester", "ENG", "Europe/London", 0, 0, 2),
			mk("Birmingham", "ENG", "Europe/London", 0, 0, 3), mk("Leeds", "ENG", "Europe/London", 0, 0, 4),
			mk("Glasgow", "SCT", "Europe/London", 0, 0, 5), mk("Bristol", "ENG", "Europe/London", 0, 0, 6),
			mk("Edinburgh", "SCT", "Europe/London", 0, 0, 7),
		},
		srcs: []int{srcTikTokUK, srcWeb}, srcW: cumulative(0.75, 0.25), alt: []int{srcWeb, srcTikTokUK, srcShopifyEU},
		domains: []string{"example.co.uk", "example.co.uk", "example.com"}, phoneShare: 0.35, blocks: gbBlocks,
	}
	deBlocks := []*phoneBlock{
		de("+493023125", "030 23125"), de("+496990009", "069 90009"), de("+494066969", "040 66969"),
		de("+492214710", "0221 4710"), de("+498999998", "089 99998"),
	}
	deu := &country{
		code: "DE", vat: 19,
		cities: []*city{
			mk("Berlin", "BE", "Europe/Berlin", 0, 0), mk("Frankfurt am Main", "HE", "Europe/Berlin", 0, 1),
			mk("Hamburg", "HH", "Europe/Berlin", 0, 2), mk("Köln", "NW", "Europe/Berlin", 0, 3),
			mk("München", "BY", "Europe/Berlin", 0, 4), mk("Stuttgart", "BW", "Europe/Berlin", 0),
			mk("Leipzig", "SN", "Europe/Berlin", 0),
		},
		srcs: []int{srcAmazonDE, srcShopifyEU}, srcW: cumulative(0.7, 0.3), alt: []int{srcShopifyEU, srcAmazonDE, srcWeb},
		domains: []string{"example.de", "example.de", "example.com"}, phoneShare: 0.3, blocks: deBlocks,
	}
	at := &country{
		code: "AT", vat: 20,
		cities: []*city{mk("Wien", "W", "Europe/Vienna", 0), mk("Graz", "ST", "Europe/Vienna", 0),
			mk("Salzburg", "S", "Europe/Vienna", 0), mk("Linz", "OÖ", "Europe/Vienna", 0)},
		srcs: []int{srcAmazonDE, srcShopifyEU}, srcW: cumulative(0.7, 0.3), alt: []int{srcShopifyEU, srcAmazonDE},
		domains: []string{"example.at", "example.com"},
	}
	frBlocks := []*phoneBlock{
		fr("+3363998", "06 39 98"), fr("+3319900", "01 99 00"), fr("+3326191", "02 61 91"),
		fr("+3335301", "03 53 01"), fr("+3346571", "04 65 71"), fr("+3353649", "05 36 49"),
	}
	fra := &country{
		code: "FR", vat: 20,
		cities: []*city{
			mk("Paris", "IDF", "Europe/Paris", 0, 0, 1), mk("Lyon", "ARA", "Europe/Paris", 0, 0, 4),
			mk("Marseille", "PAC", "Europe/Paris", 0, 0, 4), mk("Toulouse", "OCC", "Europe/Paris", 0, 0, 5),
			mk("Bordeaux", "NAQ", "Europe/Paris", 0, 0, 5), mk("Lille", "HDF", "Europe/Paris", 0, 0, 3),
			mk("Nantes", "PDL", "Europe/Paris", 0, 0, 2),
		},
		srcs: []int{srcShopifyEU, srcAmazonDE}, srcW: cumulative(0.65, 0.35), alt: []int{srcAmazonDE, srcShopifyEU, srcWeb},
		domains: []string{"example.fr", "example.fr", "example.com"}, phoneShare: 0.35, blocks: frBlocks,
	}
	es := &country{
		code: "ES", vat: 21,
		cities: []*city{mk("Madrid", "MD", "Europe/Madrid", 0), mk("Barcelona", "CT", "Europe/Madrid", 0),
			mk("Valencia", "VC", "Europe/Madrid", 0), mk("Sevilla", "AN", "Europe/Madrid", 0),
			mk("Bilbao", "PV", "Europe/Madrid", 0), mk("Málaga", "AN", "Europe/Madrid", 0)},
		srcs: []int{srcShopifyEU, srcAmazonDE}, srcW: cumulative(0.65, 0.35), alt: []int{srcAmazonDE, srcShopifyEU},
		domains: []string{"example.es", "example.es", "example.com"},
	}
	it := &country{
		code: "IT", vat: 22,
		cities: []*city{mk("Roma", "RM", "Europe/Rome", 0), mk("Milano", "MI", "Europe/Rome", 0),
			mk("Napoli", "NA", "Europe/Rome", 0), mk("Torino", "TO", "Europe/Rome", 0),
			mk("Bologna", "BO", "Europe/Rome", 0), mk("Firenze", "FI", "Europe/Rome", 0)},
		srcs: []int{srcShopifyEU, srcAmazonDE}, srcW: cumulative(0.65, 0.35), alt: []int{srcAmazonDE, srcShopifyEU},
		domains: []string{"example.it", "example.it", "example.com"},
	}
	nl := &country{
		code: "NL", vat: 21,
		cities: []*city{mk("Amsterdam", "NH", "Europe/Amsterdam", 0), mk("Rotterdam", "ZH", "Europe/Amsterdam", 0),
			mk("Utrecht", "UT", "Europe/Amsterdam", 0), mk("Den Haag", "ZH", "Europe/Amsterdam", 0),
			mk("Eindhoven", "NB", "Europe/Amsterdam", 0)},
		srcs: []int{srcShopifyEU, srcAmazonDE}, srcW: cumulative(0.7, 0.3), alt: []int{srcAmazonDE, srcShopifyEU, srcWeb},
		domains: []string{"example.nl", "example.nl", "example.com"},
	}
	jp := &country{
		code: "JP", vat: 10,
		cities: []*city{mk("Tokyo", "13", "Asia/Tokyo", 0), mk("Osaka", "27", "Asia/Tokyo", 0),
			mk("Yokohama", "14", "Asia/Tokyo", 0), mk("Nagoya", "23", "Asia/Tokyo", 0),
			mk("Sapporo", "01", "Asia/Tokyo", 0), mk("Fukuoka", "40", "Asia/Tokyo", 0)},
		srcs: []int{srcAmazonJP, srcWeb}, srcW: cumulative(0.9, 0.1), alt: []int{srcWeb, srcAmazonJP},
		domains: []string{"example.jp", "example.co.jp", "example.ne.jp"},
	}
	// Chinese-speaking buyers abroad keep zh-CN and mostly Chinese e-mail
	// providers; they shop where they live, with an 11.11 habit.
	zhDomains := []string{"example.cn", "example.com.cn", "example.com"}
	zh := func(c *country) *country {
		z := *c
		z.domains = zhDomains
		return &z
	}
	return []*segment{
		{us, cultEnUS, "en-US", 25.2}, {us, cultEsUS, "es-US", 2.8}, {zh(us), cultZh, "zh-CN", 2.8},
		{ca, cultEnUS, "en-CA", 3.0}, {zh(ca), cultZh, "zh-CN", 1.2},
		{deu, cultDe, "de-DE", 14}, {zh(deu), cultZh, "zh-CN", 0.8},
		{at, cultDe, "de-AT", 2},
		{jp, cultJa, "ja-JP", 12}, {zh(jp), cultZh, "zh-CN", 0.8},
		{uk, cultEnGB, "en-GB", 12}, {zh(uk), cultZh, "zh-CN", 1.6},
		{fra, cultFr, "fr-FR", 7}, {zh(fra), cultZh, "zh-CN", 0.8},
		{es, cultEs, "es-ES", 5},
		{it, cultIt, "it-IT", 5},
		{nl, cultNl, "nl-NL", 4},
	}
}

// Devices a person browses with; TikTok Shop is app-only and uses the
// person's phone.
const (
	devWindows = iota
	devMac
	devIPhone
	devAndroid
	numDevices
)

var deviceW = cumulative(0.22, 0.13, 0.35, 0.30)

var userAgents = [numDevices]string{
	"Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0.0.0 Safari/537.36",
	"Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.4 Safari/605.1.15",
	"Mozilla/5.0 (iPhone; CPU iPhone OS 17_4 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.4 Mobile/15E148 Safari/604.1",
	"Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0.0.0 Mobile Safari/537.36",
}

var sizes = []string{"XS", "S", "M", "L", "XL", "XXL"}
var sizeW = cumulative(0.06, 0.2, 0.32, 0.25, 0.12, 0.05)

// personSource is a person's account on one source.
type personSource struct {
	src    int
	userID string
	// email and phone as this source has them: the same address, but on a
	// secondary source sometimes in other letter case or in national phone
	// format, as people type them.
	email, phone string
	// latin: the person typed their name in Latin letters here.
	latin bool
	// identified: the source knows the userId on the person's main device.
	identified bool
	// guest: a web guest checkout left an e-mail on the anonymous id.
	guest bool
	devs  int // devices seen, for anonymous ids
	// created is when the account was created (first identify).
	created int64
}

// newPerson draws everything about person idx that does not depend on
// time: where they live, who they are, which sources they use, and their
// BTYD parameters.
func (g *gen) newPerson(idx uint32) *person {
	r := newRand(g.cfg.Seed, uint64(idx))
	p := &person{idx: idx, r: r, alive: true, nextPurchase: never, nextBrowse: never}
	seg := g.segments[g.segW.draw(r)]
	p.seg = seg
	p.cty = seg.cty
	p.city = pick(r, seg.cty.cities)
	p.first = pick(r, seg.cult.first)
	p.last = pick(r, seg.cult.last)
	p.device = deviceW.draw(r)
	p.size = sizes[sizeW.draw(r)]
	p.favCat = categoryW.draw(r)
	p.ipv6 = chance(r, 0.35)

	// Sources: a primary, and for some a second or third shop.
	primary := seg.cty.srcs[seg.cty.srcW.draw(r)]
	p.srcs = append(p.srcs, personSource{src: primary})
	p.buyer = chance(r, buyerShare)
	if p.buyer {
		n := 0
		if x := r.Float64(); x < threeSourceShare {
			n = 2
		} else if x < threeSourceShare+twoSourceShare {
			n = 1
		}
		for _, s := range seg.cty.alt {
			if n == 0 {
				break
			}
			if s != primary {
				p.srcs = append(p.srcs, personSource{src: s})
				n--
			}
		}
	}

	// Contact details. Multi-source shoppers always leave an e-mail or a
	// phone somewhere, or the demo would have no cross-source identity to
	// resolve.
	hasEmail := chance(r, 0.85) || len(p.srcs) > 1
	if hasEmail {
		p.email = g.email(p, r)
		p.optIn = chance(r, 0.55)
	}
	if seg.cty.blocks != nil && chance(r, seg.cty.phoneShare) {
		p.phoneE164, p.phoneNat = g.phone(p, r)
	}
	for i := range p.srcs {
		ps := &p.srcs[i]
		ps.userID = g.ids.userID(idx, ps.src)
		ps.email, ps.phone = p.email, p.phoneE164
		if i > 0 && ps.email != "" && chance(r, 0.2) {
			ps.email = caseVariant(ps.email, r)
		}
		if ps.phone != "" && sourceTable[ps.src].kind != kindAmazon && chance(r, 0.3) {
			ps.phone = p.phoneNat
		}
		ps.latin = seg.cult.familyFirst && sourceTable[ps.src].kind == kindWeb
		if seg.cult == cultZh && chance(r, 0.4) {
			ps.latin = true
		}
	}

	// Seasonality profile.
	switch sourceTable[primary].kind {
	case kindAmazon:
		p.prof |= profAmazon
	case kindTikTok:
		p.prof |= profTikTok
	}
	if seg.cult == cultZh {
		p.prof |= profZH
	}
	if seg.cty.code == "JP" {
		p.prof |= profJP
	}

	// Buy-till-you-die parameters (see the package documentation).
	p.lambda = gammaRand(r, bgR) / bgAlpha
	p.dropP = betaRand(r, bgA, bgB)
	p.nu = gammaRand(r, ggQ) / ggGamma
	p.browseRate = browsePerPurchase*p.lambda + browseBase
	g.planStart(p)
	return p
}

// email invents a unique address: a pattern of the person's name plus a
// number that is a bijection of the person index, on the country's example
// domain. Names hold no digits, so the digits identify the person.
func (g *gen) email(p *person, r *rand.Rand) string {
	f, l := emailPart(p.first.latin), emailPart(p.last.latin)
	n := strconv.FormatUint(g.ids.emailNum.at(uint64(p.idx)), 10)
	var local string
	switch r.IntN(5) {
	case 0:
		local = f + "." + l + n
	case 1:
		local = f + l + n
	case 2:
		local = f[:1] + l + n
	case 3:
		local = f + "_" + n
	default:
		local = l + "." + f + n
	}
	return local + "@" + pick(r, p.cty.domains)
}

// caseVariant capitalises an address the way some people type it; the
// address is the same, but a naive identity match misses it.
func caseVariant(email string, r *rand.Rand) string {
	if chance(r, 0.5) {
		return strings.ToUpper(email[:1]) + email[1:]
	}
	at := strings.IndexByte(email, '@')
	local := []byte(email[:at])
	up := true
	for i, c := range local {
		if up && c >= 'a' && c <= 'z' {
			local[i] = c - 'a' + 'A'
		}
		up = c == '.' || c == '_'
	}
	return string(local) + email[at:]
}

// phone hands out the next fictional number near the person's city.
func (g *gen) phone(p *person, r *rand.Rand) (string, string) {
	blocks := p.cty.blocks
	try := func(i int) (string, string, bool) { return blocks[i].take() }
	pref := p.city.phoneBlocks
	if len(pref) > 0 {
		// Mobiles first where the country has a mobile block (index 0 in
		// GB and FR); otherwise a landline of the city.
		start := r.IntN(len(pref))
		for k := range pref {
			if e, n, ok := try(pref[(start+k)%len(pref)]); ok {
				return e, n
			}
		}
	}
	for i := range blocks {
		if e, n, ok := try(i); ok {
			return e, n
		}
	}
	return "", ""
}

// categoryW weighs the favourite category a person is drawn with.
var categoryW = func() weights {
	ws := make([]float64, len(categories))
	for i, c := range categories {
		ws[i] = c.weight
	}
	return cumulative(ws...)
}()

// fullName returns the person's name as typed on a source.
func (p *person) fullName(latin bool) (full, first, last string) {
	if latin || !p.seg.cult.familyFirst {
		first, last = p.first.latin, p.last.latin
		if !latin {
			first, last = p.first.native, p.last.native
		}
		return first + " " + last, first, last
	}
	first, last = p.first.native, p.last.native
	return last + p.seg.cult.sep + first, first, last
}

// ip returns the documentation-range address (RFC 5737 / RFC 3849) of the
// person's device, so geo-IP lookups never point at a real network.
func (p *person) ip(dev int) string {
	h := mix64(uint64(p.idx)<<8 | uint64(dev))
	if p.ipv6 {
		b := []byte("2001:db8:")
		for i := 0; i < 3; i++ {
			b = strconv.AppendUint(b, (h>>(16*i))&0xffff, 16)
			b = append(b, ':')
		}
		b = append(b, ':')
		b = strconv.AppendUint(b, (h>>48)&0xffff|1, 16)
		return string(b)
	}
	nets := [3]string{"192.0.2.", "198.51.100.", "203.0.113."}
	return nets[h%3] + strconv.FormatUint(1+(h>>8)%254, 10)
}
