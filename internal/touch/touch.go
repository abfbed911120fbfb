// Package touch is tradewind's marketing channel taxonomy: it turns what a
// visit carries — UTM campaign parameters, a click id in the landing URL
// (gclid, fbclid, ttclid, …), the referrer, the app it came from, an e-mail
// event, the coupon code of an order — into one channel name such as
// paid_search, paid_social, marketplace_ads, influencer or direct.
//
// Attribution, ROI and the influencer board all group by these names, and
// ad spend rows name their channel in the same words, so the taxonomy is
// one documented table that a seller can change (Taxonomy is plain data,
// read from JSON with Parse) rather than rules scattered over queries.
//
// The names where both exist are those of profile.Channel, so a profile's
// channels and an attribution report speak the same language; this package
// adds the channels profile.Channel cannot see from a campaign alone:
// marketplace_ads, marketplace_organic, direct, and the click-id and
// referrer rules.
package touch

import (
	"encoding/json"
	"fmt"
	"net/url"
	"regexp"
	"slices"
	"strings"
)

// The default channel names.
const (
	PaidSearch         = "paid_search"
	PaidSocial         = "paid_social"
	MarketplaceAds     = "marketplace_ads"
	Display            = "display"
	Video              = "video"
	Affiliate          = "affiliate"
	Influencer         = "influencer"
	Email              = "email"
	SMS                = "sms"
	Push               = "push"
	Social             = "social" // organic social: bio links, shares, in-app browsing
	OrganicSearch      = "organic_search"
	MarketplaceOrganic = "marketplace_organic" // a marketplace's own search and pages
	Referral           = "referral"
	Direct             = "direct"
	Other              = "other"
)

// Touch is what one visit (or e-mail event, or coupon) tells about how the
// person came. Empty fields are unknown.
type Touch struct {
	// Source, Medium, Campaign, Content, Term are the UTM parameters
	// (context.campaign in the Segment spec).
	Source, Medium, Campaign, Content, Term string
	// URL is the landing page's URL (its query string may hold a click
	// id); Referrer the page it was reached from.
	URL, Referrer string
	// App is context.app.name for visits inside an app.
	App string
	// Event is a track event's name, for e-mail events.
	Event string
}

// Rule maps campaign parameters onto a channel. Every non-empty condition
// must hold; within a condition any listed value matches. Values compare in
// lower case, with '-' and ' ' read as '_'.
type Rule struct {
	// Channel is the channel the rule assigns.
	Channel string `json:"channel"`
	// Medium lists utm_medium values.
	Medium []string `json:"medium,omitempty"`
	// Source lists utm_source values.
	Source []string `json:"source,omitempty"`
	// SourceIn names a host or source group ("social", "search",
	// "marketplace") the utm_source must belong to.
	SourceIn string `json:"source_in,omitempty"`
	// SourcePrefix lists prefixes of utm_source ("instagram_" for
	// instagram_camille).
	SourcePrefix []string `json:"source_prefix,omitempty"`
	// NoMedium requires utm_medium to be empty (rules on the source alone).
	NoMedium bool `json:"no_medium,omitempty"`
}

// Coupon ties a discount code to a campaign: an order that uses it counts
// as a touch of that campaign even when no visit carried it (a code read
// out in a video, typed at checkout).
type Coupon struct {
	Channel  string `json:"channel"`
	Campaign string `json:"campaign"`
}

// Taxonomy is the configurable mapping. The zero value maps nothing; use
// Default, or Parse a seller's file (which starts from Default).
type Taxonomy struct {
	// Rules apply to visits with UTM parameters, in order; the first
	// that matches wins.
	Rules []Rule `json:"rules"`
	// ClickIDs maps a landing-URL query parameter to the channel of the
	// ad platform that adds it; it decides when no rule with a medium
	// matched (auto-tagged ads carry a click id and no UTM).
	ClickIDs map[string]string `json:"click_ids"`
	// Groups are host and source groups: "search", "social" and
	// "marketplace" decide referrers without campaign parameters (search
	// engine → organic_search, social network → social, a marketplace's
	// own pages → marketplace_organic); rules refer to them by SourceIn.
	// A group entry matches a utm_source equal to it, or a host that has
	// it as a label ("google" matches www.google.co.jp).
	Groups map[string][]string `json:"groups"`
	// EmailEvents are track events that are e-mail touches (the Segment
	// e-mail spec's "Email Opened", "Email Link Clicked").
	EmailEvents []string `json:"email_events"`
	// SocialApps are context.app.name values of social apps whose
	// in-app visits without a campaign count as social.
	SocialApps []string `json:"social_apps"`
	// Coupons maps a discount code (upper case) to its campaign.
	Coupons map[string]Coupon `json:"coupons,omitempty"`
	// Aliases maps channel names found in ad spend rows onto taxonomy
	// names ("facebook_ads" → paid_social), so spend joins credit.
	Aliases map[string]string `json:"aliases,omitempty"`
}

// Default is the built-in taxonomy. Its UTM rules extend profile.Channel's
// mapping (same names) with marketplace ads, and its click ids follow the
// platforms' auto-tagging: gclid/gbraid/wbraid/msclkid/dclid are search
// (or Google display), fbclid/ttclid/twclid/li_fat_id/sccid/epik social.
func Default() *Taxonomy {
	return &Taxonomy{
		Rules: []Rule{
			{Channel: Email, Medium: []string{"email", "e_mail", "newsletter", "edm"}},
			{Channel: SMS, Medium: []string{"sms", "text", "mms"}},
			{Channel: Push, Medium: []string{"push", "web_push", "app_push"}},
			{Channel: MarketplaceAds, Medium: []string{"sponsored_products", "sponsored_brands", "sponsored_display", "marketplace_ads", "amazon_ads"}},
			{Channel: MarketplaceAds, Medium: []string{"cpc", "ppc", "paid", "sem"}, SourceIn: "marketplace"},
			{Channel: PaidSocial, Medium: []string{"cpc", "ppc", "paid", "paidsearch", "paid_search", "sem", "search_ads"}, SourceIn: "social"},
			{Channel: PaidSearch, Medium: []string{"cpc", "ppc", "paid", "paidsearch", "paid_search", "sem", "search_ads"}},
			{Channel: PaidSocial, Medium: []string{"paid_social", "paidsocial", "social_paid", "social_ads", "cpm_social"}},
			{Channel: Social, Medium: []string{"social", "social_media", "social_network", "sm", "organic_social"}},
			{Channel: Display, Medium: []string{"display", "banner", "cpm", "programmatic", "retargeting"}},
			{Channel: Video, Medium: []string{"video", "cpv"}},
			{Channel: Affiliate, Medium: []string{"affiliate", "affiliates", "partner", "cps"}},
			{Channel: Influencer, Medium: []string{"influencer", "influencers", "creator", "kol", "koc", "ugc"}},
			{Channel: Referral, Medium: []string{"referral", "referer", "referrer"}},
			{Channel: OrganicSearch, Medium: []string{"organic", "seo", "organic_search"}},
			{Channel: Social, NoMedium: true, SourceIn: "social"},
			{Channel: OrganicSearch, NoMedium: true, SourceIn: "search"},
			{Channel: MarketplaceOrganic, NoMedium: true, SourceIn: "marketplace"},
		},
		ClickIDs: map[string]string{
			"gclid": PaidSearch, "gbraid": PaidSearch, "wbraid": PaidSearch, "msclkid": PaidSearch, "dclid": Display,
			"fbclid": PaidSocial, "ttclid": PaidSocial, "twclid": PaidSocial, "li_fat_id": PaidSocial,
			"sccid": PaidSocial, "epik": PaidSocial, "rdt_cid": PaidSocial,
		},
		Groups: map[string][]string{
			"search": {"google", "bing", "baidu", "yahoo", "yandex", "naver", "duckduckgo", "ecosia", "sogou", "so", "qwant"},
			"social": {"facebook", "fb", "instagram", "ig", "tiktok", "douyin", "youtube", "pinterest", "twitter", "x",
				"linkedin", "snapchat", "reddit", "xiaohongshu", "red", "weibo", "wechat", "line", "whatsapp", "threads", "t"},
			"marketplace": {"amazon", "ebay", "walmart", "etsy", "rakuten", "mercadolibre", "aliexpress", "temu", "shopee", "lazada", "zalando", "otto", "cdiscount", "allegro"},
		},
		EmailEvents: []string{"Email Opened", "Email Link Clicked", "Email Clicked"},
		SocialApps:  []string{"tiktok", "instagram", "facebook", "douyin", "xiaohongshu", "wechat", "youtube"},
	}
}

// Parse reads a taxonomy from JSON. Fields the file sets replace the
// default's (rules as a whole list; click ids, groups, coupons and aliases
// key by key), so a seller adds their own without restating the rest.
func Parse(data []byte) (*Taxonomy, error) {
	var in Taxonomy
	dec := json.NewDecoder(strings.NewReader(string(data)))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&in); err != nil {
		return nil, fmt.Errorf("channel taxonomy: %w", err)
	}
	t := Default()
	if in.Rules != nil {
		t.Rules = in.Rules
	}
	for k, v := range in.ClickIDs {
		t.ClickIDs[strings.ToLower(k)] = v
	}
	for k, v := range in.Groups {
		t.Groups[k] = v
	}
	if in.EmailEvents != nil {
		t.EmailEvents = in.EmailEvents
	}
	if in.SocialApps != nil {
		t.SocialApps = in.SocialApps
	}
	if len(in.Coupons) > 0 {
		t.Coupons = map[string]Coupon{}
		for k, v := range in.Coupons {
			t.Coupons[strings.ToUpper(strings.TrimSpace(k))] = v
		}
	}
	if len(in.Aliases) > 0 {
		t.Aliases = in.Aliases
	}
	return t, t.Validate()
}

var namePattern = regexp.MustCompile(`^[a-z0-9][a-z0-9_]{0,62}$`)

// clickIDPattern is what a click-id parameter may be: it goes into the
// store's query as part of a regular expression.
var clickIDPattern = regexp.MustCompile(`^[a-z][a-z0-9_]{0,31}$`)

// Validate checks the taxonomy: channel names are lower-case words (they
// become API keys and ad-spend join keys), click ids plain parameter
// names, and every rule has a condition.
func (t *Taxonomy) Validate() error {
	for i, r := range t.Rules {
		if !namePattern.MatchString(r.Channel) {
			return fmt.Errorf("channel taxonomy: rules[%d]: channel %q: want lower-case letters, digits and _", i, r.Channel)
		}
		if len(r.Medium) == 0 && len(r.Source) == 0 && r.SourceIn == "" && len(r.SourcePrefix) == 0 {
			return fmt.Errorf("channel taxonomy: rules[%d] (%s): no condition (medium, source, source_in or source_prefix)", i, r.Channel)
		}
		if r.SourceIn != "" {
			if _, ok := t.Groups[r.SourceIn]; !ok {
				return fmt.Errorf("channel taxonomy: rules[%d] (%s): source_in %q is not a group", i, r.Channel, r.SourceIn)
			}
		}
	}
	for k, ch := range t.ClickIDs {
		if !clickIDPattern.MatchString(k) {
			return fmt.Errorf("channel taxonomy: click id %q: want a lower-case parameter name", k)
		}
		if !namePattern.MatchString(ch) {
			return fmt.Errorf("channel taxonomy: click id %s: channel %q: want lower-case letters, digits and _", k, ch)
		}
	}
	for code, c := range t.Coupons {
		if code == "" || !namePattern.MatchString(c.Channel) || c.Campaign == "" {
			return fmt.Errorf("channel taxonomy: coupon %q: want a code, a channel name and a campaign", code)
		}
	}
	return nil
}

// ClickIDParams lists the click-id parameters, sorted, for a query that
// extracts them from landing URLs.
func (t *Taxonomy) ClickIDParams() []string {
	out := make([]string, 0, len(t.ClickIDs))
	for k := range t.ClickIDs {
		out = append(out, k)
	}
	slices.Sort(out)
	return out
}

// normReplacer is built once: a Replacer prepares its lookup table on
// first use, which cost more than the replacing when one was made per call.
var normReplacer = strings.NewReplacer("-", "_", " ", "_")

func norm(s string) string {
	return normReplacer.Replace(strings.ToLower(strings.TrimSpace(s)))
}

// inGroup reports whether a utm_source or host belongs to group g.
func (t *Taxonomy) inGroup(g, v string) bool {
	if v == "" {
		return false
	}
	labels := strings.FieldsFunc(v, func(r rune) bool { return r == '.' || r == '_' })
	for _, m := range t.Groups[g] {
		if v == m {
			return true
		}
		// Hosts by label (m.facebook.com, www.google.co.jp); sources by
		// their first word (instagram_camille is an instagram account).
		if strings.Contains(v, ".") {
			if slices.Contains(labels, m) {
				return true
			}
		} else if len(labels) > 1 && labels[0] == m {
			return true
		}
	}
	return false
}

func (r *Rule) matches(t *Taxonomy, src, med string) bool {
	if r.NoMedium && med != "" {
		return false
	}
	if len(r.Medium) > 0 && !slices.Contains(r.Medium, med) {
		return false
	}
	if len(r.Source) > 0 && !slices.Contains(r.Source, src) {
		return false
	}
	if r.SourceIn != "" && !t.inGroup(r.SourceIn, src) {
		return false
	}
	if len(r.SourcePrefix) > 0 && !slices.ContainsFunc(r.SourcePrefix, func(p string) bool { return strings.HasPrefix(src, p) }) {
		return false
	}
	return true
}

// ClickID returns the first click-id parameter of a URL's query string
// (in ClickIDParams order) and its channel.
func (t *Taxonomy) ClickID(rawURL string) (param, channel string) {
	i := strings.IndexByte(rawURL, '?')
	if i < 0 {
		return "", ""
	}
	q, err := url.ParseQuery(rawURL[i+1:])
	if err != nil && len(q) == 0 {
		return "", ""
	}
	for _, k := range t.ClickIDParams() {
		if q.Get(k) != "" {
			return k, t.ClickIDs[k]
		}
	}
	return "", ""
}

func host(raw string) string {
	if raw == "" {
		return ""
	}
	u, err := url.Parse(raw)
	if err != nil {
		return ""
	}
	return strings.ToLower(u.Hostname())
}

// Classify names the channel of a touch:
//
//  1. an e-mail event (EmailEvents) is email;
//  2. with UTM parameters, the first rule with a medium condition that
//     matches;
//  3. else a click id in the landing URL decides (ClickIDs);
//  4. else the first remaining rule that matches (source-only rules);
//     parameters no rule knows give other;
//  5. without any: the referrer — none is direct (as is a referrer on the
//     page's own host), a search engine organic_search, a social network
//     social, a marketplace (or a landing on a marketplace's own pages)
//     marketplace_organic, anything else referral; a visit inside a social
//     app (SocialApps) without a referrer is social.
func (t *Taxonomy) Classify(x Touch) string {
	if x.Event != "" && slices.Contains(t.EmailEvents, x.Event) {
		return Email
	}
	src, med := norm(x.Source), norm(x.Medium)
	utm := src != "" || med != ""
	if utm && med != "" {
		for i := range t.Rules {
			r := &t.Rules[i]
			if len(r.Medium) > 0 && r.matches(t, src, med) {
				return r.Channel
			}
		}
	}
	if _, ch := t.ClickID(x.URL); ch != "" {
		return ch
	}
	if utm {
		for i := range t.Rules {
			r := &t.Rules[i]
			if len(r.Medium) == 0 && r.matches(t, src, med) {
				return r.Channel
			}
		}
		return Other
	}
	ref, page := host(x.Referrer), host(x.URL)
	switch {
	case ref == "" || ref == page:
		if t.inGroup("marketplace", page) {
			return MarketplaceOrganic
		}
		if ref == "" && x.App != "" && slices.Contains(t.SocialApps, strings.ToLower(x.App)) {
			return Social
		}
		return Direct
	case t.inGroup("search", ref):
		return OrganicSearch
	case t.inGroup("social", ref):
		return Social
	case t.inGroup("marketplace", ref):
		return MarketplaceOrganic
	}
	return Referral
}

// Coupon returns the campaign a discount code belongs to, if configured.
func (t *Taxonomy) Coupon(code string) (Coupon, bool) {
	c, ok := t.Coupons[strings.ToUpper(strings.TrimSpace(code))]
	return c, ok
}

// Alias maps an ad-spend channel name onto the taxonomy's: through
// Aliases, else normalised (lower case, '_' for '-' and ' ').
func (t *Taxonomy) Alias(channel string) string {
	n := norm(channel)
	if a, ok := t.Aliases[n]; ok {
		return a
	}
	if a, ok := t.Aliases[channel]; ok {
		return a
	}
	return n
}

// IsDirect reports whether a channel is a direct visit, for last
// non-direct attribution.
func IsDirect(channel string) bool { return channel == Direct }
