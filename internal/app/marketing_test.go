package app

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/tradewind/tradewind/internal/demo"
	"github.com/tradewind/tradewind/internal/experiment"
	"github.com/tradewind/tradewind/internal/predict"
)

// TestMarketingOnDemoData loads a year of the demo seller through the real
// pipeline and runs attribution, ROI and the influencer board on the store
// through the API, then an experiment over events sent through the
// tracking API with known sums.
func TestMarketingOnDemoData(t *testing.T) {
	if testing.Short() {
		t.Skip("loads a demo seller")
	}
	day := time.Date(2026, 6, 30, 0, 0, 0, 0, time.UTC)
	clock := &fakeClock{t: day.Add(12 * time.Hour)}
	n := openNode(t, Config{DataDir: t.TempDir(), Now: clock.Now, Predict: predict.Config{Every: -1}})
	ctx := context.Background()
	n.loadDemo(demo.Config{Seed: 11, People: 3000, Months: 12, Now: day})
	if err := n.a.Profiles.Flush(ctx); err != nil {
		t.Fatal(err)
	}
	// The demo's own A/B test: both arms filled, evenly, and the truth (the
	// bar raises adds to cart) visible in the direction of the lift.
	if err := n.a.SeedDemoExperiment(ctx); err != nil {
		t.Fatal(err)
	}
	if code, res := n.admin("GET", "/v1/experiments/"+demo.ExperimentID+"/results", nil); code != 200 {
		t.Errorf("demo experiment: %d %v", code, res)
	} else {
		users, _ := res["users"].(map[string]any)
		for _, arm := range []string{"control", "free shipping bar"} {
			if n, _ := users[arm].(float64); n < 50 {
				t.Errorf("demo experiment: %v users in %s (%v)", users[arm], arm, users)
			}
		}
		for _, m := range res["metrics"].([]any) {
			m := m.(map[string]any)
			rep, _ := m["report"].(map[string]any)
			if rep == nil {
				t.Errorf("demo experiment metric %v: no report (%v)", m["metric"], m["error"])
				continue
			}
			if rep["srm_warning"] == true {
				t.Errorf("demo experiment: sample ratio mismatch %v", rep["srm_p_value"])
			}
			t.Logf("demo experiment %v: %v", m["metric"].(map[string]any)["name"], rep["variants"])
		}
	}
	// Predictions, for LTV:CAC.
	if code, run := n.admin("POST", "/v1/predictions/refresh", nil); code != 200 {
		t.Fatalf("predictions: %d %v", code, run)
	}
	const period = "from=2025-07-01&to=2026-06-30"
	var orders float64
	_ = n.a.Store.Scan(ctx, `SELECT count(*) FROM orders WHERE status <> 'cancelled' AND profile_id IS NOT NULL
		AND "timestamp" >= '2025-07-01' AND "timestamp" < '2026-07-01'`, nil, func(r []any) error { orders = float64(r[0].(int64)); return nil })

	// Attribution: every model's credits sum to the conversions and the
	// revenue, at both levels.
	for _, by := range []string{"channel", "campaign"} {
		code, all := n.admin("GET", "/v1/attribution?model=all&by="+by+"&"+period, nil)
		if code != 200 {
			t.Fatalf("attribution by %s: %d %v", by, code, all)
		}
		if all["converting_journeys"].(float64) != orders || all["non_converting_journeys"].(float64) == 0 {
			t.Errorf("by %s: %v converting (%v orders), %v non-converting journeys", by, all["converting_journeys"], orders, all["non_converting_journeys"])
		}
		models := all["models"].([]any)
		if len(models) != 8 {
			t.Fatalf("%d models", len(models))
		}
		for _, m := range models {
			m := m.(map[string]any)
			var conv, value float64
			var line []string
			for _, c := range m["channels"].([]any) {
				c := c.(map[string]any)
				conv += c["conversions"].(float64)
				value += c["value"].(float64)
				if by == "channel" {
					line = append(line, fmt.Sprintf("%s %.1f", c["channel"], c["conversions"]))
				}
			}
			if math.Abs(conv-orders) > 1e-6*orders || math.Abs(conv-m["total_conversions"].(float64)) > 1e-6*orders {
				t.Errorf("%s by %s: credits sum to %v conversions, %v orders", m["model"], by, conv, orders)
			}
			if tv := m["total_value"].(float64); tv <= 0 || math.Abs(value-tv) > 1e-6*tv {
				t.Errorf("%s by %s: value credits %v of %v", m["model"], by, value, tv)
			}
			if by == "channel" {
				t.Logf("%-15s %s", m["model"], strings.Join(line, ", "))
			}
		}
	}
	code, one := n.admin("GET", "/v1/attribution?model=markov&"+period, nil)
	if code != 200 || one["model"] != "markov" || one["removal_effects"] == nil || one["channels"] == nil {
		t.Fatalf("one model: %d %v", code, one)
	}
	t.Logf("markov removal effects %v; coupons %v", one["removal_effects"], one["coupons"])

	// ROI: spend in the base currency, as the store has it, and ROAS.
	var spend float64
	_ = n.a.Store.Scan(ctx, `SELECT sum(spend_base)::DOUBLE FROM ad_spend WHERE date >= '2025-07-01' AND date < '2026-07-01'`, nil,
		func(r []any) error { spend = r[0].(float64); return nil })
	code, roi := n.admin("GET", "/v1/roi?group=channel&"+period, nil)
	if code != 200 {
		t.Fatalf("roi: %d %v", code, roi)
	}
	total := roi["total"].(map[string]any)
	if roi["currency"] != "USD" || math.Abs(total["spend"].(float64)-spend) > 0.05 || math.Abs(total["conversions"].(float64)-orders) > 1e-3 {
		t.Errorf("roi total %v (spend %v, orders %v), currency %v", total, spend, orders, roi["currency"])
	}
	for _, r := range roi["rows"].([]any) {
		r := r.(map[string]any)
		t.Logf("roi %-20s spend %9.2f conv %7.1f revenue %9.2f new %6.1f roas %v cac %v ltv:cac %v", r["channel"], r["spend"], r["conversions"],
			r["revenue"], r["new_customers"], r["roas"], r["cac"], r["ltv_to_cac"])
		if r["spend"].(float64) > 0 && r["roas"] == nil {
			t.Errorf("no ROAS for %v", r)
		}
		if r["channel"] == "paid_social" && (r["cac"] == nil || r["cost_per_order"] == nil || r["ltv_to_cac"] == nil) {
			t.Errorf("paid social lacks CAC, cost per order or LTV:CAC: %v", r)
		}
	}
	for _, by := range []string{"marketplace", "week"} {
		code, split := n.admin("GET", "/v1/roi?group=campaign&model=last&by="+by+"&"+period, nil)
		if code != 200 {
			t.Fatalf("roi by %s: %d %v", by, code, split)
		}
		var conv, sp float64
		for _, r := range split["rows"].([]any) {
			r := r.(map[string]any)
			conv += r["conversions"].(float64)
			sp += r["spend"].(float64)
			if r[by] == nil || r[by] == "" {
				t.Errorf("roi by %s: row without %s: %v", by, by, r)
				break
			}
		}
		if math.Abs(conv-orders) > 1e-3 || math.Abs(sp-spend) > 1 {
			t.Errorf("roi by %s: %v conversions (%v orders), spend %v (%v)", by, conv, orders, sp, spend)
		}
	}

	// Influencers: ranked by the shrunk rate's lower bound, with fees.
	code, inf := n.admin("GET", "/v1/influencers?"+period, nil)
	if code != 200 {
		t.Fatalf("influencers: %d %v", code, inf)
	}
	list := inf["influencers"].([]any)
	if len(list) < 4 {
		t.Fatalf("%d influencers: %v", len(list), inf)
	}
	t.Logf("prior %v", inf["prior"])
	prev := math.Inf(1)
	for i, x := range list {
		x := x.(map[string]any)
		t.Logf("#%v %-24s people %4v conv %3v rate %.3f shrunk %.3f (low %.3f) orders %3v revenue %8.2f new %.2f fees %8.2f return %v",
			x["rank"], x["campaign"], x["people"], x["converted"], x["conversion_rate"], x["shrunk_rate"], x["shrunk_rate_low"],
			x["orders"], x["revenue"], x["new_customer_share"], x["fees"], x["return_on_fees"])
		if x["rank"].(float64) != float64(i+1) || x["shrunk_rate_low"].(float64) > prev {
			t.Errorf("not ranked: %v", x)
		}
		prev = x["shrunk_rate_low"].(float64)
		if x["fees"].(float64) <= 0 || x["return_on_fees"] == nil {
			t.Errorf("influencer without fees: %v", x)
		}
		r, s := x["conversion_rate"].(float64), x["shrunk_rate"].(float64)
		if mean := inf["prior"].(map[string]any)["mean"].(float64); math.Abs(s-mean) > math.Abs(r-mean)+1e-9 {
			t.Errorf("%v: shrunk rate %v is farther from the prior mean %v than the raw %v", x["campaign"], s, mean, r)
		}
	}

	// Bad parameters get a 400 naming them.
	for path, field := range map[string]string{
		"/v1/attribution?model=nope": "model", "/v1/attribution?lookback_days=0": "lookback_days",
		"/v1/attribution?by=country": "by", "/v1/attribution?from=yesterday": "from",
		"/v1/attribution?from=2026-02-01&to=2026-01-01": "to", "/v1/attribution?half_life=-1": "half_life",
		"/v1/roi?by=day": "by", "/v1/roi?model=all": "model", "/v1/roi?group=source": "group",
		"/v1/influencers?lookback_days=x": "lookback_days",
	} {
		if code, m := n.admin("GET", path, nil); code != 400 || m["field"] != field {
			t.Errorf("%s: %d %v, want 400 naming %s", path, code, m, field)
		}
	}

	n.experimentOnEvents(ctx)
}

// experimentOnEvents sends an experiment's assignments and orders through
// the tracking API — 28 control users of whom 14 order, 30 treatment users
// of whom 16 order, GrowthBook's proportion fixture — defines it through
// the API and checks the results against the fixture and against
// internal/experiment on the hand-computed sums.
func (n *node) experimentOnEvents(ctx context.Context) {
	t := n.t
	src, ok := n.a.Sources.ByID("web")
	if !ok {
		t.Fatal("the demo has no source web")
	}
	assigned := time.Date(2026, 6, 20, 10, 0, 0, 0, time.UTC)
	var batch []map[string]any
	type user struct {
		variant      int
		revenue, pre float64
	}
	var users []user
	for v, size := range []int{28, 30} {
		buyers := []int{14, 16}[v]
		for i := range size {
			id := fmt.Sprintf("exp-%d-%02d", v, i)
			u := user{variant: v}
			at := assigned.Add(time.Duration(i) * time.Minute)
			batch = append(batch, map[string]any{"type": "track", "userId": id, "event": "Experiment Viewed", "messageId": "ev-" + id,
				"timestamp": at.Format(time.RFC3339), "properties": map[string]any{"experiment_id": "checkout_v2", "variation_id": v}})
			// A second view of the same variant is no second assignment.
			batch = append(batch, map[string]any{"type": "track", "userId": id, "event": "Experiment Viewed", "messageId": "ev2-" + id,
				"timestamp": at.Add(time.Hour).Format(time.RFC3339), "properties": map[string]any{"experiment_id": "checkout_v2", "variation_id": v}})
			if i < buyers {
				u.revenue = float64(20 + i + 5*v)
				batch = append(batch, order(id, "o-"+id, at.Add(48*time.Hour), u.revenue))
			}
			if i%3 == 0 {
				// Before the experiment: CUPED's covariate, not a conversion.
				u.pre = float64(10 + i)
				batch = append(batch, order(id, "p-"+id, at.Add(-5*24*time.Hour), u.pre))
			}
			users = append(users, u)
		}
	}
	// One user saw both variants: left out.
	batch = append(batch, map[string]any{"type": "track", "userId": "exp-both", "event": "Experiment Viewed", "messageId": "ev-both-0",
		"timestamp": assigned.Format(time.RFC3339), "properties": map[string]any{"experiment_id": "checkout_v2", "variation_id": 0}},
		map[string]any{"type": "track", "userId": "exp-both", "event": "Experiment Viewed", "messageId": "ev-both-1",
			"timestamp": assigned.Add(time.Minute).Format(time.RFC3339), "properties": map[string]any{"experiment_id": "checkout_v2", "variation_id": 1}})
	body, _ := json.Marshal(map[string]any{"batch": batch})
	req, _ := http.NewRequest("POST", n.srv.URL+"/v1/batch", strings.NewReader(string(body)))
	req.Header.Set("Authorization", basic(src.WriteKey))
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 || strings.Contains(string(b), "rejected") {
		t.Fatalf("batch: %d %s", resp.StatusCode, b)
	}
	n.waitCount("SELECT count(*) FROM orders WHERE user_id LIKE 'exp-%' AND profile_id IS NOT NULL", 30+20)
	n.waitCount("SELECT count(*) FROM events WHERE event = 'Experiment Viewed' AND user_id LIKE 'exp-%' AND profile_id IS NOT NULL", 2*58+2)

	def := map[string]any{"id": "checkout_v2", "name": "Checkout v2", "variants": []map[string]any{{"id": "0", "name": "control"}, {"id": "1", "name": "one-page"}},
		"metrics": []map[string]any{{"kind": "conversion"}, {"kind": "revenue"}, {"kind": "revenue", "name": "revenue_cuped", "cuped_days": 14},
			{"kind": "count", "event": "Experiment Viewed"}}}
	if code, m := n.admin("POST", "/v1/experiments", def); code != 201 || m["version"].(float64) != 1 {
		t.Fatalf("create experiment: %d %v", code, m)
	}
	if code, m := n.admin("POST", "/v1/experiments", def); code != 409 {
		t.Errorf("duplicate experiment: %d %v", code, m)
	}
	if code, m := n.admin("POST", "/v1/experiments", map[string]any{"id": "x", "variants": []map[string]any{{"id": "0"}}}); code != 400 || m["field"] != "variants" {
		t.Errorf("one variant: %d %v", code, m)
	}
	if code, m := n.admin("POST", "/v1/experiments", map[string]any{"id": "x", "variants": []map[string]any{{"id": "0"}, {"id": "1"}},
		"metrics": []map[string]any{{"kind": "clicks"}}}); code != 400 || m["field"] != "metrics[0].kind" {
		t.Errorf("bad metric: %d %v", code, m)
	}
	if code, m := n.admin("GET", "/v1/experiments/nope/results", nil); code != 404 {
		t.Errorf("unknown experiment: %d %v", code, m)
	}
	code, res := n.admin("GET", "/v1/experiments/checkout_v2/results", nil)
	if code != 200 {
		t.Fatalf("results: %d %v", code, res)
	}
	if res["multiple_exposures"].(float64) != 1 {
		t.Errorf("multiple exposures %v", res["multiple_exposures"])
	}
	metrics := res["metrics"].([]any)
	for _, m := range metrics {
		if e := m.(map[string]any)["error"]; e != nil {
			t.Errorf("metric %v: %v (stats %v)", m.(map[string]any)["metric"], e, m.(map[string]any)["stats"])
		}
	}
	if t.Failed() {
		t.FailNow()
	}
	variant := func(metric, i int) map[string]any {
		rep := metrics[metric].(map[string]any)["report"].(map[string]any)
		return rep["variants"].([]any)[i].(map[string]any)
	}
	// GrowthBook's fixture: 14/28 vs 16/30.
	conv := variant(0, 1)
	rel, _ := conv["relative"].(map[string]any)
	if rel == nil {
		t.Fatalf("conversion: %v; users %v; stats %v", conv, res["users"], metrics[0].(map[string]any)["stats"])
	}
	if math.Abs(rel["lift"].(float64)-0.06667) > 5e-5 || math.Abs(rel["p_value"].(float64)-0.80707) > 5e-5 {
		t.Errorf("conversion: relative %v, want lift 0.06667 p 0.80707", rel)
	}
	// Revenue and CUPED revenue agree with internal/experiment on the sums.
	var vs, cv [2]experiment.Variant
	for i := range vs {
		vs[i] = experiment.Variant{Name: []string{"control", "one-page"}[i], Stat: experiment.Stat{Type: experiment.Mean}}
		cv[i] = vs[i]
		cv[i].Pre = &experiment.Covariate{}
	}
	for _, u := range users {
		for _, v := range []*experiment.Variant{&vs[u.variant], &cv[u.variant]} {
			v.N++
			v.Sum += u.revenue
			v.SumSquares += u.revenue * u.revenue
		}
		p := cv[u.variant].Pre
		p.Sum += u.pre
		p.SumSquares += u.pre * u.pre
		p.SumProducts += u.pre * u.revenue
	}
	for k, in := range [][2]experiment.Variant{vs, cv} {
		want, err := experiment.Analyze(in[:], nil, experiment.Options{})
		if err != nil {
			t.Fatal(err)
		}
		got := variant(1+k, 1)
		w := want.Variants[1]
		if math.Abs(got["relative"].(map[string]any)["lift"].(float64)-w.Relative.Lift) > 1e-9 ||
			math.Abs(got["absolute"].(map[string]any)["p_value"].(float64)-w.Absolute.PValue) > 1e-9 ||
			math.Abs(got["chance_to_win"].(float64)-w.ChanceToWin) > 1e-9 {
			t.Errorf("metric %d: %v, want %+v", 1+k, got, w.Comparison)
		}
	}
	if c := variant(2, 1)["cuped"]; c == nil {
		t.Errorf("CUPED metric without CUPED: %v", variant(2, 1))
	}
	t.Logf("experiment: conversion %v; revenue %v", rel, variant(1, 1)["relative"])

	// Change, list, delete.
	def["name"] = "Checkout v2 (one page)"
	if code, m := n.admin("PUT", "/v1/experiments/checkout_v2", def); code != 200 || m["version"].(float64) != 2 {
		t.Errorf("update: %d %v", code, m)
	}
	if code, m := n.admin("GET", "/v1/experiments", nil); code != 200 || len(m["experiments"].([]any)) != 2 { // with the demo's own
		t.Errorf("list: %d %v", code, m)
	}
	if code, _ := n.admin("DELETE", "/v1/experiments/checkout_v2", nil); code != 204 {
		t.Errorf("delete: %d", code)
	}
	if code, _ := n.admin("GET", "/v1/experiments/checkout_v2", nil); code != 404 {
		t.Errorf("after delete: %d", code)
	}
	var names []string
	for _, m := range metrics {
		names = append(names, m.(map[string]any)["metric"].(map[string]any)["name"].(string))
	}
	sort.Strings(names)
	t.Logf("metrics %v", names)
}

// order is an "Order Completed" message in USD.
func order(user, id string, at time.Time, total float64) map[string]any {
	return map[string]any{"type": "track", "userId": user, "event": "Order Completed", "messageId": "m-" + id, "timestamp": at.Format(time.RFC3339),
		"properties": map[string]any{"order_id": id, "total": total, "revenue": total, "currency": "USD",
			"products": []map[string]any{{"product_id": "p1", "price": total, "quantity": 1}}}}
}

// TestMarketingChannelsFile: a channels.json in the data directory changes
// the taxonomy in force (GET /v1/channels); one that does not parse leaves
// the built-in taxonomy.
func TestMarketingChannelsFile(t *testing.T) {
	dir := t.TempDir()
	os.WriteFile(filepath.Join(dir, ChannelsFile), []byte(`{"click_ids": {"yclid": "paid_search"}, "aliases": {"facebook_ads": "paid_social"}}`), 0o600)
	n := openNode(t, Config{DataDir: dir})
	code, m := n.admin("GET", "/v1/channels", nil)
	if code != 200 || m["click_ids"].(map[string]any)["yclid"] != "paid_search" || m["click_ids"].(map[string]any)["gclid"] != "paid_search" ||
		m["aliases"].(map[string]any)["facebook_ads"] != "paid_social" {
		t.Errorf("taxonomy from channels.json: %d %v", code, m)
	}
	os.WriteFile(filepath.Join(dir, ChannelsFile), []byte(`{"rules": [{"channel": "Bad Name", "medium": ["x"]}]}`), 0o600)
	n2 := &node{t: t, a: n.a, srv: httptest.NewServer(n.a.Handler()), token: n.token}
	defer n2.srv.Close()
	code, m = n2.admin("GET", "/v1/channels", nil)
	if code != 200 || m["click_ids"].(map[string]any)["yclid"] != nil || len(m["rules"].([]any)) < 10 {
		t.Errorf("a bad channels.json must leave the built-in taxonomy: %d %v", code, m["click_ids"])
	}
}
