package profile

import "strings"

// Marketing channels Channel maps UTM values onto.
const (
	ChannelEmail         = "email"
	ChannelSMS           = "sms"
	ChannelPush          = "push"
	ChannelPaidSearch    = "paid_search"
	ChannelPaidSocial    = "paid_social"
	ChannelSocial        = "social"
	ChannelDisplay       = "display"
	ChannelVideo         = "video"
	ChannelAffiliate     = "affiliate"
	ChannelInfluencer    = "influencer"
	ChannelReferral      = "referral"
	ChannelOrganicSearch = "organic_search"
	ChannelOther         = "other"
)

// socialSources are utm_source values of social networks, so that a
// campaign tagged only "utm_source=instagram" (common in bio links) counts
// as social.
var socialSources = map[string]bool{
	"facebook": true, "fb": true, "instagram": true, "ig": true, "tiktok": true, "douyin": true,
	"youtube": true, "pinterest": true, "twitter": true, "x": true, "linkedin": true, "snapchat": true,
	"reddit": true, "xiaohongshu": true, "red": true, "weibo": true, "wechat": true, "line": true,
	"whatsapp": true, "threads": true,
}

// mediumReplacer is built once: a Replacer prepares its table on first
// use, which cost more than the replacing when Channel made one per call
// (it runs for every message with a campaign).
var mediumReplacer = strings.NewReplacer("-", "_", " ", "_")

var searchSources = map[string]bool{
	"google": true, "bing": true, "baidu": true, "yahoo": true, "yandex": true, "naver": true, "duckduckgo": true,
}

// Channel maps a campaign's utm_source and utm_medium (context.campaign's
// source and medium) onto a marketing channel: a deliberately small mapping
// on the medium first, the source when the medium says nothing, until the
// attribution work brings the configurable channel taxonomy. It returns ""
// when both are empty (no campaign: nothing to record).
func Channel(source, medium string) string {
	s := strings.ToLower(strings.TrimSpace(source))
	m := strings.ToLower(strings.TrimSpace(medium))
	m = mediumReplacer.Replace(m)
	switch m {
	case "email", "e_mail", "newsletter", "edm":
		return ChannelEmail
	case "sms", "text", "mms":
		return ChannelSMS
	case "push", "web_push", "app_push":
		return ChannelPush
	case "cpc", "ppc", "paidsearch", "paid_search", "sem", "search_ads":
		if socialSources[s] {
			return ChannelPaidSocial
		}
		return ChannelPaidSearch
	case "paid_social", "paidsocial", "social_paid", "social_ads", "cpm_social":
		return ChannelPaidSocial
	case "paid":
		if socialSources[s] {
			return ChannelPaidSocial
		}
		return ChannelPaidSearch
	case "social", "social_media", "social_network", "sm", "organic_social":
		return ChannelSocial
	case "display", "banner", "cpm", "programmatic", "retargeting":
		return ChannelDisplay
	case "video", "cpv":
		return ChannelVideo
	case "affiliate", "affiliates", "partner", "cps":
		return ChannelAffiliate
	case "influencer", "influencers", "creator", "kol", "ugc":
		return ChannelInfluencer
	case "referral", "referer", "referrer":
		return ChannelReferral
	case "organic", "seo", "organic_search":
		return ChannelOrganicSearch
	case "":
		switch {
		case s == "":
			return ""
		case socialSources[s]:
			return ChannelSocial
		case searchSources[s]:
			return ChannelOrganicSearch
		case strings.Contains(s, "mail"):
			return ChannelEmail
		}
	}
	return ChannelOther
}
