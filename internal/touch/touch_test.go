package touch

import "testing"

func TestClassify(t *testing.T) {
	tx := Default()
	cases := []struct {
		name string
		x    Touch
		want string
	}{
		{"amazon ads", Touch{Source: "amazon", Medium: "sponsored_products", Campaign: "us_sp_auto"}, MarketplaceAds},
		{"amazon cpc", Touch{Source: "amazon", Medium: "cpc"}, MarketplaceAds},
		{"google cpc", Touch{Source: "google", Medium: "cpc", URL: "https://x.example/?gclid=abc"}, PaidSearch},
		{"facebook cpc is social", Touch{Source: "facebook", Medium: "cpc"}, PaidSocial},
		{"meta", Touch{Source: "facebook", Medium: "paid_social"}, PaidSocial},
		{"influencer", Touch{Source: "instagram_camille", Medium: "influencer", Campaign: "eu_influencer_camille"}, Influencer},
		{"kol", Touch{Source: "weibo", Medium: "KOL"}, Influencer},
		{"affiliate", Touch{Source: "awin", Medium: "affiliate"}, Affiliate},
		{"email", Touch{Source: "klaviyo", Medium: "email"}, Email},
		{"email event", Touch{Event: "Email Link Clicked"}, Email},
		{"bio link", Touch{Source: "instagram", Medium: "social", Campaign: "bio_link"}, Social},
		{"source only social", Touch{Source: "instagram"}, Social},
		{"source only search", Touch{Source: "bing"}, OrganicSearch},
		{"unknown utm", Touch{Source: "podcast", Medium: "audio"}, Other},
		{"gclid only", Touch{URL: "https://shop.example/p?gclid=Cj0"}, PaidSearch},
		{"fbclid only", Touch{URL: "https://shop.example/?a=1&fbclid=IwAR"}, PaidSocial},
		{"ttclid only", Touch{URL: "https://shop.example/?ttclid=E.C.P.x", Referrer: "https://www.tiktok.com/"}, PaidSocial},
		{"utm without medium beats nothing but click id wins", Touch{Source: "newsletter2", URL: "https://s.example/?msclkid=1"}, PaidSearch},
		{"organic google", Touch{URL: "https://shop.example/", Referrer: "https://www.google.co.jp/"}, OrganicSearch},
		{"organic social", Touch{URL: "https://shop.example/", Referrer: "https://m.facebook.com/"}, Social},
		{"referral", Touch{URL: "https://shop.example/", Referrer: "https://blog.example.org/post"}, Referral},
		{"direct", Touch{URL: "https://shop.example/"}, Direct},
		{"internal referrer", Touch{URL: "https://shop.example/p", Referrer: "https://shop.example/"}, Direct},
		{"amazon organic", Touch{URL: "https://www.amazon.de/dp/B0", Referrer: "https://www.amazon.de/"}, MarketplaceOrganic},
		{"tiktok in-app", Touch{App: "TikTok"}, Social},
	}
	for _, c := range cases {
		if got := tx.Classify(c.x); got != c.want {
			t.Errorf("%s: Classify(%+v) = %q, want %q", c.name, c.x, got, c.want)
		}
	}
}

func TestParse(t *testing.T) {
	tx, err := Parse([]byte(`{"click_ids": {"yclid": "paid_search"}, "coupons": {"maya15": {"channel": "influencer", "campaign": "us_influencer_maya"}},
		"aliases": {"facebook_ads": "paid_social"}}`))
	if err != nil {
		t.Fatal(err)
	}
	if got := tx.Classify(Touch{URL: "https://s.example/?yclid=1"}); got != PaidSearch {
		t.Errorf("added click id: %q", got)
	}
	if got := tx.Classify(Touch{URL: "https://s.example/?gclid=1"}); got != PaidSearch {
		t.Errorf("default click id lost: %q", got)
	}
	if c, ok := tx.Coupon(" Maya15 "); !ok || c.Campaign != "us_influencer_maya" {
		t.Errorf("coupon: %v %v", c, ok)
	}
	if tx.Alias("Facebook Ads") != PaidSocial || tx.Alias("Paid-Search") != PaidSearch {
		t.Errorf("aliases: %q %q", tx.Alias("Facebook Ads"), tx.Alias("Paid-Search"))
	}
	for _, bad := range []string{`{"rules": [{"channel": "Paid Search", "medium": ["cpc"]}]}`, `{"rules": [{"channel": "x"}]}`,
		`{"click_ids": {"a.b": "x"}}`, `{"rulez": []}`, `{"rules": [{"channel": "x", "source_in": "nope"}]}`} {
		if _, err := Parse([]byte(bad)); err == nil {
			t.Errorf("Parse(%s) accepted", bad)
		}
	}
}
