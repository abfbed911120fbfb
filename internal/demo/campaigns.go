package demo

import "math/rand/v2"

// Marketing channels, as the attribution taxonomy names them.
const (
	chPaidSocial = iota
	chPaidSearch
	chMarketplaceAds
	chAffiliate
	chInfluencer
	chEmail
	chOrganic
	chDirect
	numChannels
)

var channelNames = [numChannels]string{"paid_social", "paid_search", "marketplace_ads", "affiliate", "influencer", "email", "organic", "direct"}

// When a campaign runs.
const (
	winAlways  = iota
	winPrime   // Prime Day, the week before it, and Prime Big Deal Days
	winBFCM    // Black Friday week to Cyber Monday
	winSingles // 1–11 November
	winFlight  // from..to, as fractions of the generated window
)

// campaign is one paid (or e-mail) campaign: the UTM parameters sessions
// carry and the daily spend rows report use the same name, so attribution
// can join them.
type campaign struct {
	Campaign
	src       int
	ch        int
	cur       *currency
	daily     int64   // spend per day in minor units at the default 50,000 people
	cpc       int64   // average cost per click in minor units
	ctr       float64 // clicks per impression
	click     string  // click-id query parameter: gclid, fbclid, ttclid or ""
	couponPct int64
	win       int
	from, to  float64
	retarget  bool // shown to past visitors only
	zhOnly    bool // targets Chinese-speaking audiences
	terms     []string
	contents  []string
}

// Campaign describes one ad or e-mail campaign of the demo, as its ad
// spend rows and its sessions' UTM parameters name it.
type Campaign struct {
	// Name is utm_campaign and the ad_spend row's campaign.
	Name string
	// Source is the Key of the source whose market the campaign targets.
	Source string
	// Channel is the ad_spend channel: paid_social, paid_search,
	// marketplace_ads, affiliate, influencer or email.
	Channel string
	// UTMSource and UTMMedium are the campaign's utm_source and utm_medium.
	UTMSource, UTMMedium string
	// Currency is the ISO code spend is billed in.
	Currency string
	// Coupon is the discount code the campaign hands out, if any.
	Coupon string
}

var (
	termsUS = []string{"insulated water bottle", "travel backpack", "packing cubes", "kiteline", "packable rain jacket", "merino t shirt", "power bank 10000mah", "universal travel adapter"}
	termsDE = []string{"trinkflasche isoliert", "rucksack 20l", "packwürfel", "kiteline", "regenjacke damen", "merino shirt herren", "powerbank", "reiseadapter"}
	termsJP = []string{"水筒 保温", "リュック 20l", "パッキングキューブ", "kiteline", "レインジャケット", "モバイルバッテリー", "変換プラグ"}
	termsEU = []string{"gourde isotherme", "sac à dos voyage", "mochila viaje", "borraccia termica", "zaino 20l", "reistas", "kiteline", "cubos organizadores"}

	socialCreatives = []string{"ugc_unboxing_15s", "carousel_bestsellers", "creator_review_30s", "static_offer", "video_travel_hacks"}
	searchCreatives = []string{"rsa_v1", "rsa_v2", "shopping_feed"}
	amazonCreatives = []string{"sp_auto_group", "sp_exact_bottles", "sp_exact_bags", "sb_video_brand"}
	mailCreatives   = []string{"hero_image", "product_grid", "plain_text"}
)

// campaignTable is the demo's media plan. Budgets are sized for 50,000
// people and scale with Config.People, so return on ad spend looks the
// same at any size.
var campaignTable = []campaign{
	// Amazon US
	{Campaign: Campaign{Name: "us_sp_auto", UTMSource: "amazon", UTMMedium: "sponsored_products"}, src: srcAmazonUS, ch: chMarketplaceAds, cur: curUSD, daily: 18000, cpc: 95, ctr: 0.004, terms: termsUS, contents: amazonCreatives},
	{Campaign: Campaign{Name: "us_sp_exact", UTMSource: "amazon", UTMMedium: "sponsored_products"}, src: srcAmazonUS, ch: chMarketplaceAds, cur: curUSD, daily: 22000, cpc: 120, ctr: 0.006, terms: termsUS, contents: amazonCreatives},
	{Campaign: Campaign{Name: "us_sb_brand", UTMSource: "amazon", UTMMedium: "sponsored_brands"}, src: srcAmazonUS, ch: chMarketplaceAds, cur: curUSD, daily: 6000, cpc: 80, ctr: 0.008, terms: termsUS, contents: amazonCreatives},
	{Campaign: Campaign{Name: "us_prime_day_deals", UTMSource: "amazon", UTMMedium: "sponsored_products"}, src: srcAmazonUS, ch: chMarketplaceAds, cur: curUSD, daily: 60000, cpc: 140, ctr: 0.007, win: winPrime, terms: termsUS, contents: amazonCreatives},
	{Campaign: Campaign{Name: "us_bfcm_deals", UTMSource: "amazon", UTMMedium: "sponsored_products"}, src: srcAmazonUS, ch: chMarketplaceAds, cur: curUSD, daily: 50000, cpc: 150, ctr: 0.007, win: winBFCM, terms: termsUS, contents: amazonCreatives},
	// Amazon DE: Amazon Ads bills in the marketplace's currency.
	{Campaign: Campaign{Name: "de_sp_auto", UTMSource: "amazon", UTMMedium: "sponsored_products"}, src: srcAmazonDE, ch: chMarketplaceAds, cur: curEUR, daily: 12000, cpc: 70, ctr: 0.004, terms: termsDE, contents: amazonCreatives},
	{Campaign: Campaign{Name: "de_sp_generic", UTMSource: "amazon", UTMMedium: "sponsored_products"}, src: srcAmazonDE, ch: chMarketplaceAds, cur: curEUR, daily: 15000, cpc: 85, ctr: 0.005, terms: termsDE, contents: amazonCreatives},
	{Campaign: Campaign{Name: "de_prime_day", UTMSource: "amazon", UTMMedium: "sponsored_products"}, src: srcAmazonDE, ch: chMarketplaceAds, cur: curEUR, daily: 40000, cpc: 110, ctr: 0.006, win: winPrime, terms: termsDE, contents: amazonCreatives},
	{Campaign: Campaign{Name: "de_black_week", UTMSource: "amazon", UTMMedium: "sponsored_products"}, src: srcAmazonDE, ch: chMarketplaceAds, cur: curEUR, daily: 35000, cpc: 115, ctr: 0.006, win: winBFCM, terms: termsDE, contents: amazonCreatives},
	// Amazon JP
	{Campaign: Campaign{Name: "jp_sp_auto", UTMSource: "amazon", UTMMedium: "sponsored_products"}, src: srcAmazonJP, ch: chMarketplaceAds, cur: curJPY, daily: 15000, cpc: 60, ctr: 0.004, terms: termsJP, contents: amazonCreatives},
	{Campaign: Campaign{Name: "jp_sp_brand", UTMSource: "amazon", UTMMedium: "sponsored_brands"}, src: srcAmazonJP, ch: chMarketplaceAds, cur: curJPY, daily: 8000, cpc: 45, ctr: 0.007, terms: termsJP, contents: amazonCreatives},
	{Campaign: Campaign{Name: "jp_prime_day", UTMSource: "amazon", UTMMedium: "sponsored_products"}, src: srcAmazonJP, ch: chMarketplaceAds, cur: curJPY, daily: 60000, cpc: 90, ctr: 0.006, win: winPrime, terms: termsJP, contents: amazonCreatives},
	{Campaign: Campaign{Name: "jp_black_friday", UTMSource: "amazon", UTMMedium: "sponsored_products"}, src: srcAmazonJP, ch: chMarketplaceAds, cur: curJPY, daily: 45000, cpc: 90, ctr: 0.006, win: winBFCM, terms: termsJP, contents: amazonCreatives},
	// Shopify EU. Meta and Google accounts opened through an agency bill
	// in USD, as is common for cross-border sellers; the rest in EUR.
	{Campaign: Campaign{Name: "eu_meta_prospecting", UTMSource: "facebook", UTMMedium: "paid_social"}, src: srcShopifyEU, ch: chPaidSocial, cur: curUSD, daily: 25000, cpc: 65, ctr: 0.011, click: "fbclid", contents: socialCreatives},
	{Campaign: Campaign{Name: "eu_meta_retargeting", UTMSource: "instagram", UTMMedium: "paid_social"}, src: srcShopifyEU, ch: chPaidSocial, cur: curUSD, daily: 8000, cpc: 45, ctr: 0.018, click: "fbclid", retarget: true, contents: socialCreatives},
	{Campaign: Campaign{Name: "eu_google_shopping", UTMSource: "google", UTMMedium: "cpc"}, src: srcShopifyEU, ch: chPaidSearch, cur: curUSD, daily: 15000, cpc: 55, ctr: 0.02, click: "gclid", terms: termsEU, contents: searchCreatives},
	{Campaign: Campaign{Name: "eu_google_brand", UTMSource: "google", UTMMedium: "cpc"}, src: srcShopifyEU, ch: chPaidSearch, cur: curUSD, daily: 4000, cpc: 25, ctr: 0.09, click: "gclid", retarget: true, terms: []string{"kiteline", "kiteline shop", "kiteline gourde"}, contents: searchCreatives},
	{Campaign: Campaign{Name: "eu_awin", UTMSource: "awin", UTMMedium: "affiliate"}, src: srcShopifyEU, ch: chAffiliate, cur: curEUR, daily: 4000, cpc: 35, ctr: 0.01, contents: []string{"deal_site", "cashback", "voucher_site"}},
	{Campaign: Campaign{Name: "eu_influencer_camille", UTMSource: "instagram_camille", UTMMedium: "influencer", Coupon: "CAMILLE15"}, src: srcShopifyEU, ch: chInfluencer, cur: curEUR, daily: 15000, cpc: 40, ctr: 0.015, couponPct: 15, win: winFlight, from: 0.15, to: 0.45, contents: []string{"reel_packing_tips", "story_swipeup"}},
	{Campaign: Campaign{Name: "eu_influencer_lena", UTMSource: "youtube_lena", UTMMedium: "influencer", Coupon: "LENA10"}, src: srcShopifyEU, ch: chInfluencer, cur: curEUR, daily: 12000, cpc: 50, ctr: 0.012, couponPct: 10, win: winFlight, from: 0.55, to: 0.85, contents: []string{"video_gear_review"}},
	{Campaign: Campaign{Name: "eu_newsletter", UTMSource: "newsletter", UTMMedium: "email"}, src: srcShopifyEU, ch: chEmail, cur: curEUR, daily: 1500, cpc: 3, ctr: 0.03, contents: mailCreatives},
	{Campaign: Campaign{Name: "eu_winback_flow", UTMSource: "klaviyo", UTMMedium: "email", Coupon: "COMEBACK15"}, src: srcShopifyEU, ch: chEmail, cur: curEUR, daily: 500, cpc: 3, ctr: 0.04, couponPct: 15, retarget: true, contents: mailCreatives},
	{Campaign: Campaign{Name: "eu_black_week", UTMSource: "facebook", UTMMedium: "paid_social", Coupon: "BLACKWEEK20"}, src: srcShopifyEU, ch: chPaidSocial, cur: curUSD, daily: 40000, cpc: 80, ctr: 0.012, click: "fbclid", couponPct: 20, win: winBFCM, contents: socialCreatives},
	// TikTok Shop UK
	{Campaign: Campaign{Name: "uk_tiktok_spark", UTMSource: "tiktok", UTMMedium: "paid_social"}, src: srcTikTokUK, ch: chPaidSocial, cur: curUSD, daily: 20000, cpc: 30, ctr: 0.009, click: "ttclid", contents: socialCreatives},
	{Campaign: Campaign{Name: "uk_tiktok_live", UTMSource: "tiktok", UTMMedium: "paid_social"}, src: srcTikTokUK, ch: chPaidSocial, cur: curUSD, daily: 9000, cpc: 25, ctr: 0.012, click: "ttclid", contents: []string{"live_shopping_sunday", "live_flash_sale"}},
	{Campaign: Campaign{Name: "uk_creator_affiliates", UTMSource: "tiktok_affiliate", UTMMedium: "affiliate"}, src: srcTikTokUK, ch: chAffiliate, cur: curGBP, daily: 8000, cpc: 20, ctr: 0.01, contents: []string{"creator_showcase", "creator_video"}},
	{Campaign: Campaign{Name: "uk_influencer_jess", UTMSource: "tiktok_jess", UTMMedium: "influencer", Coupon: "JESS20"}, src: srcTikTokUK, ch: chInfluencer, cur: curGBP, daily: 15000, cpc: 20, ctr: 0.02, couponPct: 20, win: winFlight, from: 0.3, to: 0.7, contents: []string{"haul_video", "get_ready_with_me"}},
	{Campaign: Campaign{Name: "uk_singles_day", UTMSource: "tiktok", UTMMedium: "paid_social", Coupon: "SINGLES11"}, src: srcTikTokUK, ch: chPaidSocial, cur: curUSD, daily: 30000, cpc: 35, ctr: 0.012, click: "ttclid", couponPct: 11, win: winSingles, contents: socialCreatives},
	// Own website (US, and cross-border buyers everywhere)
	{Campaign: Campaign{Name: "us_google_brand", UTMSource: "google", UTMMedium: "cpc"}, src: srcWeb, ch: chPaidSearch, cur: curUSD, daily: 6000, cpc: 35, ctr: 0.1, click: "gclid", retarget: true, terms: []string{"kiteline", "kiteline bottle", "kiteline backpack"}, contents: searchCreatives},
	{Campaign: Campaign{Name: "us_google_pmax", UTMSource: "google", UTMMedium: "cpc"}, src: srcWeb, ch: chPaidSearch, cur: curUSD, daily: 26000, cpc: 85, ctr: 0.015, click: "gclid", terms: termsUS, contents: searchCreatives},
	{Campaign: Campaign{Name: "us_meta_advantage", UTMSource: "facebook", UTMMedium: "paid_social"}, src: srcWeb, ch: chPaidSocial, cur: curUSD, daily: 28000, cpc: 90, ctr: 0.01, click: "fbclid", contents: socialCreatives},
	{Campaign: Campaign{Name: "us_tiktok_ads", UTMSource: "tiktok", UTMMedium: "paid_social"}, src: srcWeb, ch: chPaidSocial, cur: curUSD, daily: 12000, cpc: 40, ctr: 0.008, click: "ttclid", contents: socialCreatives},
	{Campaign: Campaign{Name: "us_impact_affiliates", UTMSource: "impact", UTMMedium: "affiliate"}, src: srcWeb, ch: chAffiliate, cur: curUSD, daily: 6000, cpc: 45, ctr: 0.01, contents: []string{"review_site", "coupon_site", "travel_blog"}},
	{Campaign: Campaign{Name: "us_influencer_maya", UTMSource: "instagram_maya", UTMMedium: "influencer", Coupon: "MAYA15"}, src: srcWeb, ch: chInfluencer, cur: curUSD, daily: 20000, cpc: 60, ctr: 0.015, couponPct: 15, win: winFlight, from: 0.6, to: 1, contents: []string{"reel_daypack", "story_discount"}},
	{Campaign: Campaign{Name: "us_klaviyo_newsletter", UTMSource: "klaviyo", UTMMedium: "email"}, src: srcWeb, ch: chEmail, cur: curUSD, daily: 2000, cpc: 3, ctr: 0.03, contents: mailCreatives},
	{Campaign: Campaign{Name: "us_klaviyo_winback", UTMSource: "klaviyo", UTMMedium: "email", Coupon: "COMEBACK15"}, src: srcWeb, ch: chEmail, cur: curUSD, daily: 800, cpc: 3, ctr: 0.04, couponPct: 15, retarget: true, contents: mailCreatives},
	{Campaign: Campaign{Name: "us_bfcm_meta", UTMSource: "facebook", UTMMedium: "paid_social", Coupon: "BFCM25"}, src: srcWeb, ch: chPaidSocial, cur: curUSD, daily: 60000, cpc: 110, ctr: 0.012, click: "fbclid", couponPct: 25, win: winBFCM, contents: socialCreatives},
	{Campaign: Campaign{Name: "global_singles_day", UTMSource: "wechat", UTMMedium: "paid_social", Coupon: "SINGLES11"}, src: srcWeb, ch: chPaidSocial, cur: curUSD, daily: 25000, cpc: 50, ctr: 0.01, couponPct: 11, win: winSingles, zhOnly: true, contents: []string{"kol_post", "moments_ad"}},
}

func init() {
	for i := range campaignTable {
		c := &campaignTable[i]
		c.Source = sourceTable[c.src].Key
		c.Channel = channelNames[c.ch]
		c.Currency = c.cur.code
	}
}

// Campaigns returns the demo's media plan: every campaign that has ad
// spend rows and appears in sessions' UTM parameters.
func Campaigns() []Campaign {
	out := make([]Campaign, len(campaignTable))
	for i := range campaignTable {
		out[i] = campaignTable[i].Campaign
	}
	return out
}

// active reports whether c runs on the UTC day with calendar index di.
func (g *gen) active(c *campaign, di int) bool {
	f := g.cal.flags[di]
	switch c.win {
	case winPrime:
		return f&(fPrimeDay|fPrimeEarly|fBigDeal) != 0
	case winBFCM:
		return f&(fBFWeek|fBlackFriday|fCyberWeekend|fCyberMonday) != 0
	case winSingles:
		return f&(fSinglesRun|fSinglesDay) != 0
	case winFlight:
		dayMs := (g.cal.baseDay + int64(di)) * msPerDay
		frac := float64(dayMs-g.start) / float64(g.now-g.start)
		return frac >= c.from && frac < c.to
	}
	return true
}

// Channel mixes: how a session on each source kind was reached, for a
// first visit and for a returning one.
var (
	acqMix = [4][numChannels]float64{
		kindAmazon:  {chMarketplaceAds: 0.5, chOrganic: 0.45, chDirect: 0.05},
		kindShopify: {chPaidSocial: 0.3, chPaidSearch: 0.25, chAffiliate: 0.1, chInfluencer: 0.12, chOrganic: 0.15, chDirect: 0.08},
		kindTikTok:  {chPaidSocial: 0.45, chInfluencer: 0.25, chAffiliate: 0.15, chOrganic: 0.15},
		kindWeb:     {chPaidSearch: 0.28, chPaidSocial: 0.27, chAffiliate: 0.08, chInfluencer: 0.14, chOrganic: 0.15, chDirect: 0.08},
	}
	retMix = [4][numChannels]float64{
		kindAmazon:  {chMarketplaceAds: 0.3, chOrganic: 0.5, chDirect: 0.2},
		kindShopify: {chPaidSocial: 0.12, chPaidSearch: 0.15, chEmail: 0.25, chOrganic: 0.18, chDirect: 0.3},
		kindTikTok:  {chPaidSocial: 0.35, chInfluencer: 0.1, chAffiliate: 0.1, chOrganic: 0.45},
		kindWeb:     {chPaidSearch: 0.15, chPaidSocial: 0.12, chEmail: 0.25, chAffiliate: 0.03, chOrganic: 0.15, chDirect: 0.3},
	}
)

// touch picks how a session on src starting at ms was reached: a campaign,
// or nil for organic and direct visits (ch tells which).
func (g *gen) touch(p *person, r *rand.Rand, src int, ms int64, returning bool) (c *campaign, ch int) {
	mix := acqMix[sourceTable[src].kind]
	if returning {
		mix = retMix[sourceTable[src].kind]
	}
	x := r.Float64()
	ch = chDirect
	for i, w := range mix {
		if x < w {
			ch = i
			break
		}
		x -= w
	}
	if ch == chEmail && (p.email == "" || !p.optIn) {
		ch = chDirect
	}
	if ch == chOrganic || ch == chDirect {
		return nil, ch
	}
	day := unixDay(ms)
	if day*msPerDay < g.start {
		// The window's first, partial day has no spend rows (they are
		// stamped at 00:00Z), so no paid click may land on it either.
		return nil, chOrganic
	}
	di := g.cal.index(day)
	total := 0.0
	var cands [8]*campaign
	var ws [8]float64
	n := 0
	for i := range campaignTable {
		k := &campaignTable[i]
		if k.src != src || k.ch != ch || (k.retarget && !returning) || (k.zhOnly && p.prof&profZH == 0) || !g.active(k, di) {
			continue
		}
		w := float64(k.daily)
		if k.win != winAlways {
			w *= 3 // a sale campaign dominates while it runs
		}
		if k.zhOnly {
			w *= 20 // reaches its audience almost exclusively
		}
		if n < len(cands) {
			cands[n], ws[n] = k, w
			n++
			total += w
		}
	}
	if n == 0 {
		return nil, chOrganic
	}
	x = r.Float64() * total
	for i := 0; i < n; i++ {
		if x < ws[i] {
			return cands[i], ch
		}
		x -= ws[i]
	}
	return cands[n-1], ch
}
