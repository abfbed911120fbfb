package app

import (
	"context"
	"strconv"
	"testing"
	"time"

	"github.com/tradewind/tradewind/internal/demo"
	"github.com/tradewind/tradewind/internal/predict"
)

// TestPredictionsOnDemoData loads a year of a demo seller through the real
// pipeline and runs the prediction models through the API: the lifetime
// models are compared on the last 90 days, the churn model on a time split
// it was not tuned on — where, with the demo's behaviour (visits, carts,
// refunds, reviews), it must beat 1 − P(alive) — and every customer gets
// lifetime value, churn risk, a tier and reasons, readable per profile, as
// a list and in summaries.
func TestPredictionsOnDemoData(t *testing.T) {
	if testing.Short() {
		t.Skip("loads a demo seller")
	}
	day := time.Date(2026, 6, 30, 0, 0, 0, 0, time.UTC)
	clock := &fakeClock{t: day.Add(12 * time.Hour)}
	// No schedule: the test runs the models itself.
	n := openNode(t, Config{DataDir: t.TempDir(), Now: clock.Now, Predict: predict.Config{Every: -1}})
	ctx := context.Background()

	if code, m := n.admin("GET", "/v1/predictions/report", nil); code != 404 {
		t.Fatalf("report before any run: %d %v", code, m)
	}
	n.loadDemo(demo.Config{Seed: 11, People: 4000, Months: 12, Now: day})
	if err := n.a.Profiles.Flush(ctx); err != nil {
		t.Fatal(err)
	}
	// A segment on predictions, saved before any exist: the run fills it.
	if code, m := n.admin("POST", "/v1/segments", map[string]any{"name": "At risk and valuable",
		"rule_text": `churn_tier = "high" and clv > 5`}); code != 201 {
		t.Fatalf("segment on predictions: %d %v", code, m)
	}
	if code, m := n.admin("POST", "/v1/segments", map[string]any{"name": "Probably gone",
		"rule_text": `p_alive < 0.3 or (churn_risk > 0.9 and expected_purchases < 0.5)`}); code != 201 {
		t.Fatalf("segment on predictions: %d %v", code, m)
	}
	if code, m := n.admin("POST", "/v1/segments", map[string]any{"name": "Worth most",
		"rule_text": `clv > 40 and churn_tier in ["low", "medium"]`}); code != 201 {
		t.Fatalf("segment on predictions: %d %v", code, m)
	}
	code, run := n.admin("POST", "/v1/predictions/refresh", nil)
	if code != 200 || run["status"] != "scored" {
		t.Fatalf("refresh: %d %v", code, run)
	}
	customers := run["customers"].(float64)
	if customers < 500 {
		t.Fatalf("%v customers scored", customers)
	}
	eval := run["evaluation"].(map[string]any)
	if eval["bgnbd"] == nil || len(eval["holdout"].([]any)) == 0 {
		t.Errorf("no holdout comparison of the lifetime models: %v", eval)
	}
	churn := run["churn"].(map[string]any)
	t.Logf("churn: chosen %v by %v, beats baseline %v, models %v; importance %v", churn["chosen_model"], churn["chosen_by"], churn["beats_baseline"], summarizeModels(churn["models"]), churn["importance"])
	if churn["beats_baseline"] != true || churn["chosen_model"] == "p_alive" {
		t.Errorf("the supervised churn model did not beat 1 − P(alive) on the demo's holdout: %v", summarizeModels(churn["models"]))
	}

	// The run put its predictions into the profile engine, which updated
	// the segment by itself; the batch SQL agrees with it.
	if err := n.a.Profiles.Flush(ctx); err != nil {
		t.Fatal(err)
	}
	var live, want int64
	_ = n.a.Store.Scan(ctx, "SELECT count(*) FROM segment_members WHERE segment_id = 'seg_at_risk_and_valuable'", nil,
		func(r []any) error { live = r[0].(int64); return nil })
	_ = n.a.Store.Scan(ctx, `SELECT count(*) FROM customer_predictions JOIN profiles USING (profile_id)
		WHERE churn_tier = 'high' AND clv > 5`, nil, func(r []any) error { want = r[0].(int64); return nil })
	if live == 0 || live != want {
		t.Errorf("segment on predictions: %d members, %d customers qualify", live, want)
	}
	n.compareSegments(clock.Now())

	// The list: most at risk first, each with a tier and reasons.
	code, list := n.admin("GET", "/v1/predictions?tier=high&order=churn_risk&limit=5", nil)
	if code != 200 {
		t.Fatalf("list: %d %v", code, list)
	}
	cs := list["customers"].([]any)
	if len(cs) == 0 {
		t.Fatal("no high-risk customer")
	}
	first := cs[0].(map[string]any)
	if first["churn_tier"] != "high" || len(first["reasons"].([]any)) == 0 || first["clv"] == nil {
		t.Errorf("high-risk customer %v", first)
	}
	// The same numbers on the profile.
	code, prof := n.admin("GET", "/v1/profiles/"+first["profile_id"].(string), nil)
	if code != 200 {
		t.Fatalf("profile: %d", code)
	}
	pp, _ := prof["predictions"].(map[string]any)
	if pp == nil || pp["churn_risk"] != first["churn_risk"] {
		t.Errorf("profile predictions %v, list says %v", pp, first)
	}
	// Summaries add up to the customers.
	for _, by := range []string{"all", "tier", "marketplace", "channel"} {
		code, sum := n.admin("GET", "/v1/predictions/summary?by="+by, nil)
		if code != 200 {
			t.Fatalf("summary by %s: %d %v", by, code, sum)
		}
		total := 0.0
		for _, g := range sum["groups"].([]any) {
			total += g.(map[string]any)["customers"].(float64)
		}
		if by == "all" || by == "tier" {
			if total != customers {
				t.Errorf("summary by %s counts %v customers, the run %v", by, total, customers)
			}
		} else if total < customers {
			t.Errorf("summary by %s counts %v customers, fewer than the run's %v", by, total, customers)
		}
	}
	if code, m := n.admin("GET", "/v1/predictions/summary?by=nonsense", nil); code != 400 {
		t.Errorf("bad grouping: %d %v", code, m)
	}
	if code, m := n.admin("GET", "/v1/predictions?limit=0", nil); code != 400 {
		t.Errorf("bad limit: %d %v", code, m)
	}
	code, dist := n.admin("GET", "/v1/predictions/distribution", nil)
	if code != 200 || len(dist["clv"].([]any)) == 0 || len(dist["churn_risk"].([]any)) == 0 {
		t.Errorf("distribution: %d %v", code, dist)
	}
	// Margins per category: each customer's share lies between the
	// categories' and differs with what they buy; CLV follows.
	margins, err := predict.ReadMargins(ctx, n.a.Store.Scan, day, map[string]float64{"Drinkware": 0.6, "Bags & Packs": 0.2}, 0.4)
	if err != nil {
		t.Fatal(err)
	}
	lo, hi := 1.0, 0.0
	for _, m := range margins {
		lo, hi = min(lo, m), max(hi, m)
	}
	if len(margins) < 500 || lo < 0.2-1e-9 || hi > 0.6+1e-9 || hi-lo < 0.1 {
		t.Errorf("margins of %d customers from %.3f to %.3f", len(margins), lo, hi)
	}

	// The report survives a restart.
	n.srv.Close()
	n.a.Close()
	n = openNode(t, Config{DataDir: n.a.Cfg.DataDir, Now: clock.Now, Predict: predict.Config{Every: -1}})
	code, again := n.admin("GET", "/v1/predictions/report", nil)
	if code != 200 || again["run_id"] != run["run_id"] {
		t.Errorf("report after a restart: %d %v", code, again["run_id"])
	}
}

func summarizeModels(v any) []string {
	var out []string
	ms, _ := v.([]any)
	for _, m := range ms {
		mm := m.(map[string]any)
		out = append(out, mm["model"].(string)+" AUC "+formatFloat(mm["auc"]))
	}
	return out
}

func formatFloat(v any) string {
	f, _ := v.(float64)
	return strconv.FormatFloat(f, 'f', 4, 64)
}
