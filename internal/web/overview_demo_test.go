package web_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/tradewind/tradewind/internal/api"
	"github.com/tradewind/tradewind/internal/app"
	"github.com/tradewind/tradewind/internal/auth"
	"github.com/tradewind/tradewind/internal/demo"
	"github.com/tradewind/tradewind/internal/store"
	"github.com/tradewind/tradewind/internal/testlog"
	"github.com/tradewind/tradewind/internal/web"
)

// referenceKPISQL is the overview's figures as first defined: orders_net
// (every order row with its profile through the orders view and its
// refunds) grouped per marketplace and profile. OverviewKPISQL must give
// exactly its answer; it is written apart so that its memory stays bounded
// at 1,000,000 customers, where this one ran out of DuckDB's 256 MB.
func referenceKPISQL(days int) string {
	d, d2 := strconv.Itoa(days), strconv.Itoa(2*days)
	return `WITH o AS (
  SELECT coalesce(nullif(marketplace, ''), 'store:' || store) AS market, profile_id,
         net_total_base AS v, base_currency,
         "timestamp" >= now() - INTERVAL ` + d + ` DAY AS cur
  FROM orders_net
  WHERE status NOT IN ('cancelled', 'canceled') AND "timestamp" >= now() - INTERVAL ` + d2 + ` DAY AND "timestamp" <= now()
), per AS (
  SELECT market, profile_id, cur, count(*) AS n, sum(v) AS rev, count(v) AS priced, any_value(base_currency) AS base
  FROM o GROUP BY GROUPING SETS ((market, profile_id, cur), (profile_id, cur))
)
SELECT market, cur, CAST(sum(n) AS BIGINT) AS orders, sum(rev) AS revenue, CAST(sum(priced) AS BIGINT) AS priced_orders,
       count(profile_id) AS customers, count(*) FILTER (WHERE profile_id IS NOT NULL AND n >= 2) AS repeat_customers,
       any_value(base) AS base_currency
FROM per GROUP BY market, cur ORDER BY market NULLS FIRST, cur`
}

// referenceTrendSQL is the overview's trend as first defined, on orders_net.
func referenceTrendSQL(days int) string {
	unit := "day"
	if days > 120 {
		unit = "week"
	}
	return `SELECT CAST(date_trunc('` + unit + `', timezone('UTC', "timestamp")) AS DATE) AS bucket,
       coalesce(nullif(marketplace, ''), 'store:' || store) AS market,
       count(*) AS orders, sum(net_total_base) AS revenue, count(net_total_base) AS priced_orders
FROM orders_net
WHERE status NOT IN ('cancelled', 'canceled') AND "timestamp" >= now() - INTERVAL ` + strconv.Itoa(days) + ` DAY AND "timestamp" <= now()
GROUP BY 1, 2 ORDER BY 1, 2`
}

// TestOverviewKPIOnDemoData loads a demo seller through the real pipeline
// (with the ECB rates: orders in several currencies, some without a base
// amount, refunds, cancellations, repeat buyers) and checks, for every
// period of the overview, that OverviewKPISQL and OverviewTrendSQL answer
// exactly what the reference definitions on orders_net answer. So that the
// comparison means something, each rule is also dropped from the new
// query in turn — refunds, the cancellation filter, the base currency, the
// repeat threshold, the identity mapping — and the answer must then
// differ from the reference for some period.
func TestOverviewKPIOnDemoData(t *testing.T) {
	if testing.Short() {
		t.Skip("loads a demo seller")
	}
	fxFile := filepath.Join("..", "..", "..", "shared", "data", "fx", "eurofxref-hist.zip")
	if _, err := os.Stat(fxFile); err != nil {
		t.Fatalf("the ECB rates beside the repository are missing: %v", err)
	}
	day := time.Date(2026, 6, 30, 0, 0, 0, 0, time.UTC)
	now := func() time.Time { return day.Add(12 * time.Hour) }
	a, err := app.Open(context.Background(), app.Config{DataDir: t.TempDir(), Now: now, Logger: testlog.Logger(t),
		Argon2: auth.Argon2Params{Memory: 1024, Time: 1, Threads: 1, SaltLen: 16, KeyLen: 32}})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { a.Close() })
	ctx := context.Background()
	// Fourteen months: the year's figures have a year before them, partly
	// filled.
	rep, err := a.LoadDemo(ctx, demo.Config{Seed: 5, People: 1200, Months: 14, Now: day}, fxFile, nil)
	if err != nil {
		t.Fatal(err)
	}
	if err := a.Profiles.WaitApplied(ctx, rep.LastSeq); err != nil {
		t.Fatal(err)
	}
	if err := a.Profiles.Flush(ctx); err != nil {
		t.Fatal(err)
	}
	// The SQL's clock is DuckDB's now(); both sides read the demo's.
	clock := "TIMESTAMPTZ '" + now().Format("2006-01-02 15:04:05") + "+00'"
	ask := func(q string) string {
		t.Helper()
		res, err := a.Store.Query(ctx, strings.ReplaceAll(q, "now()", clock), 10_000)
		if err != nil {
			t.Fatalf("%v\n%s", err, q)
		}
		return answer(res)
	}
	for _, d := range web.OverviewPeriods {
		kpi, ref := ask(web.OverviewKPISQL(d)), ask(referenceKPISQL(d))
		if kpi != ref {
			t.Errorf("%d days: OverviewKPISQL answers\n%s\nthe reference\n%s", d, kpi, ref)
		}
		if trend, ref := ask(web.OverviewTrendSQL(d)), ask(referenceTrendSQL(d)); trend != ref {
			t.Errorf("%d days: OverviewTrendSQL answers\n%s\nthe reference\n%s", d, trend, ref)
		}
		if d == 90 {
			t.Logf("90 days:\n%s", kpi)
		}
	}

	// Each rule dropped from the new query must change an answer.
	mutants := []struct{ rule, from, to string }{
		{"refunds", "coalesce(r.refunded, 0)", "0"},
		{"cancellations", "o.status NOT IN ('cancelled', 'canceled')", "true"},
		{"the base currency", "o.total_base", "o.total"},
		{"repeat customers", "n >= 2", "n >= 1"},
		{"anonymous buyers' profiles", "WHEN o.anonymous_id IS NOT NULL THEN hash(o.anonymous_id)", "WHEN false THEN 0"},
	}
	for _, m := range mutants {
		changed := false
		for _, d := range web.OverviewPeriods {
			q := web.OverviewKPISQL(d)
			if !strings.Contains(q, m.from) {
				t.Fatalf("mutant %q: %q is not in OverviewKPISQL", m.rule, m.from)
			}
			if ask(strings.ReplaceAll(q, m.from, m.to)) != ask(referenceKPISQL(d)) {
				changed = true
			}
		}
		if !changed {
			t.Errorf("dropping %s leaves every period's figures as they were: the demo data does not test it", m.rule)
		}
	}
}

// answer writes a result's columns and rows as text, one row a line.
func answer(res *store.Result) string {
	var b strings.Builder
	fmt.Fprintln(&b, strings.Join(res.Columns, " | "))
	for _, row := range res.Rows {
		for i, v := range row {
			if i > 0 {
				b.WriteString(" | ")
			}
			fmt.Fprint(&b, api.JSONValue(v))
		}
		b.WriteByte('\n')
	}
	return b.String()
}
