package app

import (
	"context"
	"os"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"github.com/tradewind/tradewind/internal/demo"
	"github.com/tradewind/tradewind/internal/profile/rfm"
	"github.com/tradewind/tradewind/internal/realtime"
)

// demoSegments exercise every kind of condition: computed traits, lists,
// decimals, relative days, event windows with property filters, counts of
// zero, NOT and nested segments.
var demoSegments = []struct{ name, rule string }{
	{"Repeat", `orders >= 2`},
	{"Recent repeat", `event "Order Completed" count >= 2 within 90d`},
	{"Amazon DE value", `marketplaces contains "amazon_de" and net_revenue_base > 100`},
	{"Browsers", `not in segment "seg_repeat" and event "Product Viewed" count >= 3 within 30d`},
	{"Lapsed or DE", `country in ["DE", "FR"] or days_since_last_order > 60`},
	{"Not on Amazon US lately", `orders >= 1 and event "Order Completed" where marketplace = "amazon_us" count = 0 within 60d`},
}

// TestSegmentsAgreeOnDemoData loads a small demo seller through the real
// pipeline, saves segments of every kind, and checks that the real-time
// engine's memberships equal the batch SQL's, exactly — then deletes the
// engine's state, lets it replay the whole log, and checks again (and that
// the replay gives the same memberships as before).
func TestSegmentsAgreeOnDemoData(t *testing.T) {
	if testing.Short() {
		t.Skip("loads a demo seller")
	}
	day := time.Date(2026, 6, 30, 0, 0, 0, 0, time.UTC)
	clock := &fakeClock{t: day.Add(12 * time.Hour)}
	dir := t.TempDir()
	n := openNode(t, Config{DataDir: dir, Now: clock.Now})
	ctx := context.Background()
	n.loadDemo(demo.Config{Seed: 7, People: 1200, Months: 4, Now: day})
	ids := map[string]string{}
	for _, s := range demoSegments {
		code, m := n.admin("POST", "/v1/segments", map[string]any{"name": s.name, "rule_text": s.rule})
		if code != 201 {
			t.Fatalf("segment %s: %d %v", s.name, code, m)
		}
		ids[s.name], _ = m["id"].(string)
	}
	before := n.compareSegments(clock.Now())
	// The count the rule builder shows before a segment is saved
	// (Engine.Preview, a query of its own over the saved segments' tables
	// and the rule's) is the number of members the saved segment has.
	for _, s := range demoSegments {
		r, err := realtime.ParseRule(s.rule)
		if err != nil {
			t.Fatal(err)
		}
		preview, err := n.a.Profiles.Preview(ctx, r, clock.Now())
		if err != nil {
			t.Fatalf("preview %s: %v", s.name, err)
		}
		if members := len(before[ids[s.name]]); preview != int64(members) {
			t.Errorf("segment %s (%s): the preview counts %d, the segment has %d members", s.name, s.rule, preview, members)
		}
	}

	// A replay from the start rebuilds the same state.
	n.srv.Close()
	n.a.Close()
	if err := os.RemoveAll(filepath.Join(dir, "profiles")); err != nil {
		t.Fatal(err)
	}
	n = openNode(t, Config{DataDir: dir, Now: clock.Now})
	last, err := n.a.Log.LastSeq(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if err := n.a.Profiles.WaitApplied(ctx, last); err != nil {
		t.Fatal(err)
	}
	after := n.compareSegments(clock.Now())
	for id, m := range before {
		if !slices.Equal(m, after[id]) {
			t.Errorf("segment %s: %d members before the replay, %d after", id, len(m), len(after[id]))
		}
	}

	// RFM over the demo: the eleven named segments, shares adding up.
	code, m := n.admin("GET", "/v1/rfm?as_of=2026-06-30&period_days=365", nil)
	segs, _ := m["segments"].([]any)
	if code != 200 || len(segs) != 11 {
		t.Fatalf("rfm: %d, %d rows: %v", code, len(segs), m)
	}
	var share float64
	for _, r := range segs {
		share += r.(map[string]any)["customer_share"].(float64)
	}
	if share < 0.999 || share > 1.001 {
		t.Errorf("RFM customer shares add up to %f", share)
	}
	// The API reads the order days; every order row through the orders
	// view must give the same segments.
	viewSQL, err := rfm.Summary(rfm.Options{AsOf: time.Date(2026, 6, 30, 0, 0, 0, 0, time.UTC), PeriodDays: 365, Cancellations: "cancellations"})
	if err != nil {
		t.Fatal(err)
	}
	view := n.query(viewSQL)
	if len(view.Rows) != len(segs) {
		t.Fatalf("rfm: %d segments from the API, %d from the orders view", len(segs), len(view.Rows))
	}
	col := slices.Index(view.Columns, "customers")
	seg := slices.Index(view.Columns, "segment")
	for i, r := range segs {
		api := r.(map[string]any)
		if api["segment"] != view.Rows[i][seg] || api["customers"] != view.Rows[i][col] {
			t.Errorf("rfm row %d: API %v %v, orders view %v %v", i, api["segment"], api["customers"], view.Rows[i][seg], view.Rows[i][col])
		}
	}
	// Behavioural clusters, described in words.
	code, m = n.admin("GET", "/v1/clusters", nil)
	cl, _ := m["clusters"].([]any)
	if code != 200 || len(cl) < 2 || len(cl) != int(m["k"].(float64)) {
		t.Fatalf("clusters: %d %v", code, m)
	}
	for _, c := range cl {
		if d, _ := c.(map[string]any)["description"].(string); d == "" {
			t.Errorf("cluster without a description: %v", c)
		}
	}
	t.Logf("clusters: %v", cl)
}

// compareSegments brings every profile's memberships up to now and checks
// each segment's real-time members against its batch SQL; it returns the
// members per segment.
func (n *node) compareSegments(now time.Time) map[string][]string {
	n.t.Helper()
	ctx := context.Background()
	if err := n.a.Profiles.EvaluateAll(ctx); err != nil {
		n.t.Fatal(err)
	}
	if err := n.a.Profiles.Tick(ctx, now); err != nil {
		n.t.Fatal(err)
	}
	if err := n.a.Profiles.Flush(ctx); err != nil {
		n.t.Fatal(err)
	}
	out := map[string][]string{}
	nonEmpty := 0
	for _, d := range n.a.Profiles.Segments() {
		var live []string
		if err := n.a.Store.Scan(ctx, "SELECT profile_id FROM segment_members WHERE segment_id = ? ORDER BY 1", []any{d.ID},
			func(row []any) error { live = append(live, row[0].(string)); return nil }); err != nil {
			n.t.Fatal(err)
		}
		batch := n.batchMembers(d.ID, now)
		if !slices.Equal(live, batch) {
			n.t.Errorf("segment %s (%s): real-time %d members, batch %d; first differences: %v",
				d.ID, d.RuleText, len(live), len(batch), firstDiff(live, batch))
		}
		if len(live) > 0 {
			nonEmpty++
		}
		out[d.ID] = live
		n.t.Logf("segment %-40s %5d members", d.ID, len(live))
	}
	if nonEmpty < len(n.a.Profiles.Segments())-1 {
		n.t.Errorf("only %d segments have members: the test proves little", nonEmpty)
	}
	return out
}

func firstDiff(a, b []string) []string {
	in := func(s []string, x string) bool { _, ok := slices.BinarySearch(s, x); return ok }
	var out []string
	for _, x := range a {
		if !in(b, x) {
			out = append(out, "+"+x)
		}
	}
	for _, x := range b {
		if !in(a, x) {
			out = append(out, "-"+x)
		}
	}
	if len(out) > 5 {
		out = out[:5]
	}
	return out
}
