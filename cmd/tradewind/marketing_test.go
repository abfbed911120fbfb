package main

import (
	"encoding/json"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// marketingEvents are two buyers and a visitor: u1 came by a Google ad
// (gclid; three page views of one session are one touch), then an e-mail,
// and ordered; u2 came through a creator's link and ordered with the
// creator's code; u3 came from organic search and did not order.
const marketingEvents = `{"type":"page","userId":"u1","messageId":"e1","timestamp":"2026-05-01T10:00:00Z","context":{"page":{"url":"https://shop.example/?utm_source=google&utm_medium=cpc&utm_campaign=brand&gclid=Cj0x","referrer":"https://www.google.com/"},"campaign":{"source":"google","medium":"cpc","name":"brand"}}}
{"type":"page","userId":"u1","messageId":"e2","timestamp":"2026-05-01T10:03:00Z","context":{"page":{"url":"https://shop.example/p/1","referrer":"https://shop.example/"},"campaign":{"source":"google","medium":"cpc","name":"brand"}}}
{"type":"page","userId":"u1","messageId":"e3","timestamp":"2026-05-01T10:05:00Z","context":{"page":{"url":"https://shop.example/p/2","referrer":"https://shop.example/"},"campaign":{"source":"google","medium":"cpc","name":"brand"}}}
{"type":"page","userId":"u1","messageId":"e4","timestamp":"2026-05-03T08:00:00Z","context":{"page":{"url":"https://shop.example/?utm_source=klaviyo&utm_medium=email&utm_campaign=may","referrer":""},"campaign":{"source":"klaviyo","medium":"email","name":"may"}}}
{"type":"track","event":"Order Completed","userId":"u1","messageId":"e5","timestamp":"2026-05-03T08:10:00Z","properties":{"order_id":"o1","total":100,"currency":"USD"}}
{"type":"page","userId":"u2","messageId":"e6","timestamp":"2026-05-02T09:00:00Z","context":{"page":{"url":"https://shop.example/?utm_source=instagram_ana&utm_medium=influencer&utm_campaign=creator_ana","referrer":"https://www.instagram.com/"},"campaign":{"source":"instagram_ana","medium":"influencer","name":"creator_ana"}}}
{"type":"track","event":"Order Completed","userId":"u2","messageId":"e7","timestamp":"2026-05-04T09:00:00Z","properties":{"order_id":"o2","total":50,"currency":"USD","coupon":"ANA10"}}
{"type":"page","userId":"u3","messageId":"e8","timestamp":"2026-05-05T09:00:00Z","context":{"page":{"url":"https://shop.example/","referrer":"https://www.google.com/"}}}
`

const marketingSpend = `date,channel,campaign,spend,currency,clicks
2026-05-01,paid_search,brand,30.00,USD,12
2026-05-02,influencer,creator_ana,20.00,USD,40
`

// TestMarketingCommandsOnStore runs attribution, roi, influencers and the
// experiment commands against a data directory (no server): the store mode
// of `attribution` gives the JSON shape of the path-file mode.
func TestMarketingCommandsOnStore(t *testing.T) {
	if testing.Short() {
		t.Skip("runs the command in child processes")
	}
	dir := t.TempDir()
	data := filepath.Join(dir, "data")
	if out, code := tw(t, "sources", "create", "--data", data, "--name", "Shop", "--id", "shop", "--currency", "USD"); code != 0 {
		t.Fatalf("sources create: %d %s", code, out)
	}
	ev, sp := filepath.Join(dir, "events.ndjson"), filepath.Join(dir, "spend.csv")
	os.WriteFile(ev, []byte(marketingEvents), 0o600)
	os.WriteFile(sp, []byte(marketingSpend), 0o600)
	for _, imp := range [][]string{{"events", ev}, {"ad_spend", sp}} {
		if out, code := tw(t, "import", "--data", data, "--kind", imp[0], "--file", imp[1], "--source", "shop"); code != 0 {
			t.Fatalf("import %s: %d %s", imp[0], code, out)
		}
	}
	period := []string{"--data", data, "--from", "2026-05-01", "--to", "2026-05-31"}
	// The profile engine catches up with the imported messages when a
	// command opens the node: ask until both orders are in journeys.
	var res attributionJSON
	var raw string
	deadline := time.Now().Add(60 * time.Second)
	for {
		out, code := tw(t, append([]string{"attribution", "--model", "first", "--json"}, period...)...)
		raw = out
		var tot struct {
			Total float64 `json:"total_conversions"`
		}
		if code == 0 && json.Unmarshal([]byte(out), &res) == nil && json.Unmarshal([]byte(out), &tot) == nil && tot.Total == 2 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("attribution on the store: exit %d, %s", code, out)
		}
		time.Sleep(time.Second)
	}
	credit := map[string]float64{}
	for _, c := range res.Channels {
		credit[c.Channel] = c.Conversions
	}
	if res.Model != "first" || credit["paid_search"] != 1 || credit["influencer"] != 1 || !strings.Contains(raw, `"total_null": 1`) {
		t.Errorf("first touch on the store: %s", raw)
	}
	out, code := tw(t, append([]string{"attribution", "--model", "last", "--json"}, period...)...)
	if code != 0 || json.Unmarshal([]byte(out), &res) != nil {
		t.Fatalf("last: %d %s", code, out)
	}
	for _, c := range res.Channels {
		credit[c.Channel] = c.Conversions
	}
	if credit["email"] != 1 || credit["paid_search"] != 0 {
		t.Errorf("last touch: %s", out)
	}
	out, code = tw(t, append([]string{"attribution", "--model", "markov", "--json", "--by", "campaign"}, period...)...)
	if code != 0 || json.Unmarshal([]byte(out), &res) != nil || len(res.RemovalEffects) == 0 {
		t.Fatalf("markov by campaign: %d %s", code, out)
	}
	if out, code = tw(t, append([]string{"attribution", "--model", "all"}, period...)...); code != 0 || !strings.Contains(out, "model shapley") {
		t.Errorf("all models as tables: %d %s", code, out)
	}

	out, code = tw(t, append([]string{"roi", "--json", "--model", "first"}, period...)...)
	var roi struct {
		Total struct {
			Spend, Conversions, Revenue float64
			ROAS                        *float64
		}
	}
	if code != 0 || json.Unmarshal([]byte(out), &roi) != nil || roi.Total.Spend != 50 || roi.Total.Conversions != 2 ||
		roi.Total.ROAS == nil || math.Abs(*roi.Total.ROAS-3) > 1e-9 {
		t.Errorf("roi: %d %s", code, out)
	}
	out, code = tw(t, append([]string{"influencers", "--json"}, period...)...)
	var inf struct {
		Influencers []struct {
			Campaign, Coupon string
			Rank, People     int
			Fees             float64
			Clicks           int64
		}
	}
	if code != 0 || json.Unmarshal([]byte(out), &inf) != nil || len(inf.Influencers) != 1 || inf.Influencers[0].Campaign != "creator_ana" ||
		inf.Influencers[0].Fees != 20 || inf.Influencers[0].Clicks != 40 || inf.Influencers[0].Rank != 1 {
		t.Errorf("influencers: %d %s", code, out)
	}

	if out, code = tw(t, "experiment", "create", "--data", data, "--id", "hero", "--variants", "0,1", "--variant-names", "control,big"); code != 0 ||
		!strings.Contains(out, `"version": 1`) {
		t.Fatalf("experiment create: %d %s", code, out)
	}
	if out, code = tw(t, "experiment", "list", "--data", data); code != 0 || !strings.Contains(out, `"hero"`) {
		t.Errorf("experiment list: %d %s", code, out)
	}
	// No assignments yet: each metric says why there is no verdict.
	if out, code = tw(t, "experiment", "results", "--data", data, "--json", "hero"); code != 0 || !strings.Contains(out, `"error"`) {
		t.Errorf("experiment results: %d %s", code, out)
	}
	if _, stderr, code := twFull(t, "experiment", "create", "--data", data, "--id", "bad"); code == 0 || !strings.Contains(stderr, "--variants") {
		t.Errorf("create without variants: %d %s", code, stderr)
	}
	if out, code = tw(t, "experiment", "delete", "--data", data, "hero"); code != 0 {
		t.Errorf("experiment delete: %d %s", code, out)
	}
}
