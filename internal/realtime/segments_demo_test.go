package realtime_test

import (
	"context"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/tradewind/tradewind/internal/app"
	"github.com/tradewind/tradewind/internal/audience"
	"github.com/tradewind/tradewind/internal/auth"
	"github.com/tradewind/tradewind/internal/demo"
	"github.com/tradewind/tradewind/internal/realtime"
	"github.com/tradewind/tradewind/internal/testlog"
)

// previewRules exercise every kind of condition the preview compiles:
// computed traits, lists, decimals, relative days, event windows with and
// without property filters, counts that zero satisfies, NOT and a saved
// segment inside another rule.
var previewRules = []struct{ name, rule string }{
	{"Repeat", `orders >= 2`},
	{"Recent repeat", `event "Order Completed" count >= 2 within 90d`},
	{"Amazon DE value", `marketplaces contains "amazon_de" and net_revenue_base > 100`},
	{"Browsers", `not in segment "seg_repeat" and event "Product Viewed" count >= 3 within 30d`},
	{"Lapsed or DE", `country in ["DE", "FR"] or days_since_last_order > 60`},
	{"Not on Amazon US lately", `orders >= 1 and event "Order Completed" where marketplace = "amazon_us" count = 0 within 60d`},
}

// TestPreviewCountsTheMembersOnDemoData loads a demo seller through the
// real pipeline, saves segments of every kind of condition, and checks
// that the count the rule builder shows before a segment is saved
// (Engine.Preview) is the number of members the segment then has: in the
// engine's real-time evaluation (segment_members) and in its batch SQL
// (Engine.SegmentSQL). The preview compiles its own query (PreviewSQL over
// the tables of the saved segments plus the rule's), so this is what
// catches a preview that counts differently from the members it promises.
func TestPreviewCountsTheMembersOnDemoData(t *testing.T) {
	if testing.Short() {
		t.Skip("loads a demo seller")
	}
	fxFile := filepath.Join("..", "..", "..", "shared", "data", "fx", "eurofxref-hist.zip")
	if _, err := os.Stat(fxFile); err != nil {
		t.Fatalf("the ECB rates beside the repository are missing: %v", err)
	}
	day := time.Date(2026, 6, 30, 0, 0, 0, 0, time.UTC)
	now := day.Add(12 * time.Hour)
	a, err := app.Open(context.Background(), app.Config{DataDir: t.TempDir(), Now: func() time.Time { return now },
		Logger: testlog.Logger(t), Argon2: auth.Argon2Params{Memory: 1024, Time: 1, Threads: 1, SaltLen: 16, KeyLen: 32}})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { a.Close() })
	ctx := context.Background()
	rep, err := a.LoadDemo(ctx, demo.Config{Seed: 7, People: 1200, Months: 4, Now: day}, fxFile, nil)
	if err != nil {
		t.Fatal(err)
	}
	if err := a.Profiles.WaitApplied(ctx, rep.LastSeq); err != nil {
		t.Fatal(err)
	}
	rules := map[string]audience.Rule{}
	for _, s := range previewRules {
		r, err := realtime.ParseRule(s.rule)
		if err != nil {
			t.Fatalf("%s: %v", s.rule, err)
		}
		d, err := a.Profiles.SaveSegment(ctx, realtime.SegmentDef{Name: s.name, Rule: audience.FormatJSON(r)}, true, "test")
		if err != nil {
			t.Fatalf("save %s: %v", s.name, err)
		}
		rules[d.ID] = r
	}
	// Every profile's memberships as of now, in the store.
	if err := a.Profiles.EvaluateAll(ctx); err != nil {
		t.Fatal(err)
	}
	if err := a.Profiles.Tick(ctx, now); err != nil {
		t.Fatal(err)
	}
	if err := a.Profiles.Flush(ctx); err != nil {
		t.Fatal(err)
	}
	nonEmpty := 0
	for id, r := range rules {
		preview, err := a.Profiles.Preview(ctx, r, now)
		if err != nil {
			t.Fatalf("preview %s: %v", id, err)
		}
		var live int64
		if err := a.Store.Scan(ctx, "SELECT count(*) FROM segment_members WHERE segment_id = ?", []any{id},
			func(row []any) error { live = row[0].(int64); return nil }); err != nil {
			t.Fatal(err)
		}
		q, args, err := a.Profiles.SegmentSQL(id, now)
		if err != nil {
			t.Fatal(err)
		}
		var batch int64
		if err := a.Store.Scan(ctx, q, args, func([]any) error { batch++; return nil }); err != nil {
			t.Fatal(err)
		}
		if preview != live || preview != batch {
			t.Errorf("segment %s (%s): the preview counts %d, the engine has %d members, the batch SQL %d",
				id, audience.Format(r), preview, live, batch)
		}
		if preview > 0 {
			nonEmpty++
		}
		t.Logf("%-36s preview %5d, members %5d", id, preview, live)
	}
	if nonEmpty < len(rules)-1 {
		t.Errorf("only %d rules select anyone: the test proves little", nonEmpty)
	}
}
