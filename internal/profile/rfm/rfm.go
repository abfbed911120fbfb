// Package rfm builds the SQL of RFM analysis — recency, frequency and
// monetary value per profile, their quintile scores and the named RFM
// segments — to run in the analytic store, close to the orders. It only
// writes SQL: the analytics job runs it in DuckDB or PostgreSQL (the SQL
// keeps to what both accept) and stores or serves the result.
//
// # Measures
//
// Over the orders placed in the period — the PeriodDays UTC calendar days
// ending with the as-of day, or all days up to it — that are not cancelled:
//
//   - recency_days: days from the profile's last order day (UTC) to the
//     as-of day; 0 when it ordered on the as-of day;
//   - frequency: the number of orders;
//   - monetary: net revenue in the base currency: the orders' total_base
//     minus their refunds' amount_base, refunds counted up to the end of the
//     as-of day (so a report as of a past day does not change when later
//     refunds arrive). This is the profile package's NetRevenueBase
//     restricted to the period: orders without a base amount count in
//     frequency but not in monetary, and refunds without one count as 0.
//
// # Scores
//
// Each measure is scored 1 to 5 among the profiles scored together (all of
// them, or those with orders in one marketplace), 5 being best (most
// recent, most orders, most money):
//
//	score = 1 + floor(5 · (rank − 1) / n)
//
// where n is the number of profiles and rank the RANK() of the profile's
// value, worst first. RANK gives tied values the same (lowest) rank, so
// equal values always get equal scores — deterministic, and fair: with
// NTILE, two customers with one order each could get different F scores
// depending on row order. The price is that quintiles are uneven when
// values tie across a boundary: if 70% of customers ordered once, they all
// score F = 1 and no one scores 2 or 3. Scores are relative: in a group of
// one profile that profile scores 1 on everything.
//
// # Segments
//
// Segments are named from the R and F scores with the RF grid widely used in
// RFM practice (the "seg_map" of many RFM tutorials and courses): R 1–2 × F
// 1–2 Hibernating, R 1–2 × F 3–4 At Risk, R 1–2 × F 5 Can't Lose Them, R 3 ×
// F 1–2 About to Sleep, R 3 × F 3 Need Attention, R 3–4 × F 4–5 Loyal, R 4
// × F 1 Promising, R 5 × F 1 New, R 4–5 × F 2–3 Potential Loyalist, R 5 × F
// 4–5 Champions. That grid has ten segments; the eleventh of the usual list,
// Lost, is its worst cell, R 1 × F 1, taken out of Hibernating (as in the
// eleven-segment lists, where Lost has the lowest recency and frequency).
// See Grid and Segment.
//
// # Reading the orders
//
// By default the SQL reads the orders, refunds and cancellations relations
// row by row. With Options.OrderDays it reads the DuckDB store's order days
// instead — the same orders pre-aggregated per sender identity, UTC day,
// marketplace and cancellation day, with refunds per refund day — and maps
// identities to profiles through the identity mapping as it stands: the
// same measures (a test in internal/store/duckdb compares the two), without
// joining millions of order rows to their profiles.
package rfm

import (
	"fmt"
	"regexp"
	"strings"
	"time"
)

// Segment names, in the order of Segments.
const (
	Champions         = "Champions"
	Loyal             = "Loyal"
	PotentialLoyalist = "Potential Loyalist"
	New               = "New"
	Promising         = "Promising"
	NeedAttention     = "Need Attention"
	AboutToSleep      = "About to Sleep"
	AtRisk            = "At Risk"
	CantLoseThem      = "Can't Lose Them"
	Hibernating       = "Hibernating"
	Lost              = "Lost"
)

// Segments lists the segment names from best to worst, the order summaries
// use.
var Segments = []string{Champions, Loyal, PotentialLoyalist, New, Promising, NeedAttention,
	AboutToSleep, AtRisk, CantLoseThem, Hibernating, Lost}

// Grid is the segment of each (R, F) score pair: Grid[r-1][f-1].
var Grid = [5][5]string{
	/* R=1 */ {Lost, Hibernating, AtRisk, AtRisk, CantLoseThem},
	/* R=2 */ {Hibernating, Hibernating, AtRisk, AtRisk, CantLoseThem},
	/* R=3 */ {AboutToSleep, AboutToSleep, NeedAttention, Loyal, Loyal},
	/* R=4 */ {Promising, PotentialLoyalist, PotentialLoyalist, Loyal, Loyal},
	/* R=5 */ {New, PotentialLoyalist, PotentialLoyalist, Champions, Champions},
}

// Segment returns the segment of an R and F score (1–5 each), or "" for
// scores out of range.
func Segment(r, f int) string {
	if r < 1 || r > 5 || f < 1 || f > 5 {
		return ""
	}
	return Grid[r-1][f-1]
}

// Options says what to analyse.
type Options struct {
	// AsOf is the as-of day: its UTC date is the last day of the period and
	// the day recency is counted to. Orders after it are ignored.
	AsOf time.Time
	// PeriodDays is the length of the period in days, ending with the as-of
	// day (365: the year up to and including AsOf); 0 takes all orders up to
	// the as-of day.
	PeriodDays int
	// Orders names the orders relation (default "orders"). It needs the
	// columns profile_id, store, order_id, "timestamp" (TIMESTAMPTZ),
	// total_base, status and marketplace, one row per (store, order_id); rows
	// without a profile_id are skipped.
	Orders string
	// Refunds names the refunds relation (default "refunds"): store,
	// order_id, "timestamp", amount_base.
	Refunds string
	// Cancellations optionally names the cancellations relation (store,
	// order_id, "timestamp"): an order with a cancellation up to the as-of
	// day is excluded even when its status does not say so (the store's
	// status misses a cancellation that arrived before its order).
	Cancellations string
	// ByMarketplace adds, besides the overall scores, scores among the
	// profiles who ordered in each marketplace, over their orders there.
	ByMarketplace bool
	// OrderDays reads the DuckDB store's order days (order_market_days,
	// order_refund_days, order_idents, mapped to profiles through
	// profile_users and profile_anons as they stand) in place of Orders,
	// Refunds and Cancellations: the same measures from orders
	// pre-aggregated per sender identity and UTC day, without joining
	// every order row to its profile. The caller brings them up to date
	// first (store.OrderDaysKeeper). Cancellations is then a yes or no:
	// non-empty drops orders cancelled in the store's cancellations by the
	// as-of day.
	OrderDays bool
}

var identRE = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z_][A-Za-z0-9_]*)?$`)

func ident(name, def, what string) (string, error) {
	if name == "" {
		return def, nil
	}
	if !identRE.MatchString(name) {
		return "", fmt.Errorf("rfm: %s relation %q is not a plain [schema.]name", what, name)
	}
	return name, nil
}

// Query returns the SQL computing the RFM table. Its rows:
//
//	profile_id    the profile
//	scope         'all' (every order), or 'marketplace' (ByMarketplace)
//	marketplace   NULL for scope 'all'; the marketplace ('' if none) otherwise
//	recency_days  INTEGER
//	frequency     BIGINT
//	monetary      DECIMAL, net revenue in the base currency
//	r_score, f_score, m_score   INTEGER 1–5
//	rfm           VARCHAR, the three scores ("545")
//	segment       VARCHAR, one of Segments
//
// Every value is literal in the SQL (dates formatted, relation names
// checked), so it runs on any driver without parameters.
func Query(o Options) (string, error) {
	if o.AsOf.IsZero() {
		return "", fmt.Errorf("rfm: as-of day is required")
	}
	if o.PeriodDays < 0 {
		return "", fmt.Errorf("rfm: period of %d days", o.PeriodDays)
	}
	orders, err := ident(o.Orders, "orders", "orders")
	if err != nil {
		return "", err
	}
	refunds, err := ident(o.Refunds, "refunds", "refunds")
	if err != nil {
		return "", err
	}
	cancels, err := ident(o.Cancellations, "", "cancellations")
	if err != nil {
		return "", err
	}
	asOf := time.Date(o.AsOf.UTC().Year(), o.AsOf.UTC().Month(), o.AsOf.UTC().Day(), 0, 0, 0, 0, time.UTC)
	var b strings.Builder
	b.WriteString("WITH ")
	if o.OrderDays {
		orderDaysMeasures(&b, o, asOf, cancels != "")
	} else {
		orderMeasures(&b, o, asOf, orders, refunds, cancels)
	}
	// Ranks. Recency and frequency take few distinct values (days, order
	// counts), so their ranks come from counting profiles per value —
	// RANK() is 1 + the number of profiles with a worse value — which avoids
	// sorting every profile twice; monetary, nearly unique per profile, is
	// ranked by a window.
	b.WriteString(`rd AS (
    SELECT scope, marketplace, recency_days,
           sum(count(*)) OVER (PARTITION BY scope, marketplace) AS n,
           1 + coalesce(sum(count(*)) OVER (PARTITION BY scope, marketplace ORDER BY recency_days DESC
                                            ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING), 0) AS rr
    FROM v GROUP BY scope, marketplace, recency_days
),
fd AS (
    SELECT scope, marketplace, frequency,
           1 + coalesce(sum(count(*)) OVER (PARTITION BY scope, marketplace ORDER BY frequency
                                            ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING), 0) AS fr
    FROM v GROUP BY scope, marketplace, frequency
),
ranked AS (
    SELECT v.*, rd.n, rd.rr, fd.fr,
           rank() OVER (PARTITION BY v.scope, v.marketplace ORDER BY v.monetary) AS mr
    FROM v
    JOIN rd ON rd.scope = v.scope AND coalesce(rd.marketplace, '') = coalesce(v.marketplace, '') AND rd.recency_days = v.recency_days
    JOIN fd ON fd.scope = v.scope AND coalesce(fd.marketplace, '') = coalesce(v.marketplace, '') AND fd.frequency = v.frequency
),
scored AS (
    SELECT profile_id, scope, marketplace, recency_days, frequency, monetary,
           1 + CAST(floor(5 * (rr - 1) / CAST(n AS DOUBLE PRECISION)) AS INTEGER) AS r_score,
           1 + CAST(floor(5 * (fr - 1) / CAST(n AS DOUBLE PRECISION)) AS INTEGER) AS f_score,
           1 + CAST(floor(5 * (mr - 1) / CAST(n AS DOUBLE PRECISION)) AS INTEGER) AS m_score
    FROM ranked
)
SELECT profile_id, scope, marketplace, recency_days, frequency, monetary, r_score, f_score, m_score,
       CAST(r_score AS VARCHAR) || CAST(f_score AS VARCHAR) || CAST(m_score AS VARCHAR) AS rfm,
       `)
	b.WriteString(segmentCase("r_score", "f_score"))
	b.WriteString(" AS segment\nFROM scored")
	return b.String(), nil
}

// orderMeasures writes the CTEs up to v (profile_id, scope, marketplace,
// frequency, monetary, recency_days) from the orders, refunds and
// cancellations relations.
func orderMeasures(b *strings.Builder, o Options, asOf time.Time, orders, refunds, cancels string) {
	end := tsLit(asOf.AddDate(0, 0, 1))
	b.WriteString("o AS (\n    SELECT o.profile_id, o.store, o.order_id, o.\"timestamp\" AS ts, o.total_base, o.marketplace\n")
	fmt.Fprintf(b, "    FROM %s AS o\n    WHERE o.profile_id IS NOT NULL AND o.status NOT IN ('cancelled', 'canceled')\n", orders)
	fmt.Fprintf(b, "      AND o.\"timestamp\" < %s\n", end)
	if o.PeriodDays > 0 {
		fmt.Fprintf(b, "      AND o.\"timestamp\" >= %s\n", tsLit(asOf.AddDate(0, 0, 1-o.PeriodDays)))
	}
	if cancels != "" {
		fmt.Fprintf(b, "      AND NOT EXISTS (SELECT 1 FROM %s AS c WHERE c.store = o.store AND c.order_id = o.order_id AND c.\"timestamp\" < %s)\n", cancels, end)
	}
	b.WriteString("),\n")
	// Amounts stay DECIMAL(18,4), the store's type: sums of DECIMAL(18,4)
	// widen to DECIMAL(38,4), whose 128-bit arithmetic made the aggregation
	// over 20M orders markedly slower; a net order amount always fits.
	fmt.Fprintf(b, "r AS (\n    SELECT store, order_id, CAST(sum(amount_base) AS DECIMAL(18,4)) AS refunded\n    FROM %s\n    WHERE \"timestamp\" < %s\n    GROUP BY store, order_id\n),\n", refunds, end)
	b.WriteString("x AS (\n    SELECT o.profile_id, coalesce(o.marketplace, '') AS marketplace, o.ts,\n")
	b.WriteString("           CAST(o.total_base - coalesce(r.refunded, 0) AS DECIMAL(18,4)) AS net\n")
	b.WriteString("    FROM o LEFT JOIN r ON r.store = o.store AND r.order_id = o.order_id\n),\n")
	if o.ByMarketplace {
		// Aggregate once per profile and marketplace, then roll that up per
		// profile: one pass over the orders instead of two.
		b.WriteString("pm AS MATERIALIZED (\n    SELECT profile_id, marketplace, max(ts) AS last_ts, count(*) AS frequency, coalesce(sum(net), 0) AS monetary\n")
		b.WriteString("    FROM x GROUP BY profile_id, marketplace\n),\n")
		b.WriteString("agg AS (\n    SELECT profile_id, 'all' AS scope, CAST(NULL AS VARCHAR) AS marketplace,\n")
		b.WriteString("           max(last_ts) AS last_ts, CAST(sum(frequency) AS BIGINT) AS frequency, sum(monetary) AS monetary\n    FROM pm GROUP BY profile_id\n")
		b.WriteString("    UNION ALL\n    SELECT profile_id, 'marketplace', marketplace, last_ts, frequency, monetary FROM pm\n),\n")
	} else {
		b.WriteString("agg AS (\n    SELECT profile_id, 'all' AS scope, CAST(NULL AS VARCHAR) AS marketplace,\n")
		b.WriteString("           max(ts) AS last_ts, count(*) AS frequency, coalesce(sum(net), 0) AS monetary\n    FROM x GROUP BY profile_id\n),\n")
	}
	// The UTC day number from the epoch: independent of the session's time
	// zone, and without a time-zone conversion per profile.
	fmt.Fprintf(b, "v AS (\n    SELECT profile_id, scope, marketplace, frequency, monetary,\n           %d - CAST(floor(EXTRACT(EPOCH FROM last_ts) / 86400) AS INTEGER) AS recency_days\n    FROM agg\n),\n", asOf.Unix()/86400)
}

// orderDaysMeasures writes the same CTEs from the store's order days: per
// identity and marketplace first (a small integer key over the
// pre-aggregated rows), then per profile through the identity mapping.
// Recency, frequency and monetary add up across a profile's identities, so
// no per-order or per-day grouping by profile is needed.
func orderDaysMeasures(b *strings.Builder, o Options, asOf time.Time, cancels bool) {
	day := func(t time.Time) string { return "DATE '" + t.Format(time.DateOnly) + "'" }
	where := "day <= " + day(asOf)
	if o.PeriodDays > 0 {
		where += " AND day >= " + day(asOf.AddDate(0, 0, 1-o.PeriodDays))
	}
	if cancels {
		where += " AND (cancel_day IS NULL OR cancel_day > " + day(asOf) + ")"
	}
	// Overall scores need one row per identity, not per marketplace.
	market := "''"
	if o.ByMarketplace {
		market = "marketplace"
	}
	fmt.Fprintf(b, `m AS (
    SELECT i.ident_id, coalesce(u.profile_id, a.profile_id) AS profile_id
    FROM order_idents i
    LEFT JOIN profile_users u ON u.source_id = i.source_id AND u.user_id = i.user_id
    LEFT JOIN profile_anons a ON a.anonymous_id = i.anonymous_id
),
f AS (
    SELECT ident_id, %[3]s AS marketplace, max(day) AS last_day, sum(orders) AS frequency, sum(amount) AS amount
    FROM order_market_days WHERE %[1]s GROUP BY 1, 2
),
r AS (
    SELECT ident_id, %[3]s AS marketplace, sum(amount) AS refunded
    FROM order_refund_days WHERE %[1]s AND refund_day <= %[2]s GROUP BY 1, 2
),
x AS (
    SELECT m.profile_id, f.marketplace, f.last_day, f.frequency,
           coalesce(f.amount, 0) - coalesce(r.refunded, 0) AS monetary
    FROM f JOIN m USING (ident_id) LEFT JOIN r USING (ident_id, marketplace)
    WHERE m.profile_id IS NOT NULL
),
`, where, day(asOf), market)
	if o.ByMarketplace {
		b.WriteString("pm AS MATERIALIZED (\n    SELECT profile_id, marketplace, max(last_day) AS last_day, CAST(sum(frequency) AS BIGINT) AS frequency, sum(monetary) AS monetary\n")
		b.WriteString("    FROM x GROUP BY profile_id, marketplace\n),\n")
		b.WriteString("agg AS (\n    SELECT profile_id, 'all' AS scope, CAST(NULL AS VARCHAR) AS marketplace,\n")
		b.WriteString("           max(last_day) AS last_day, CAST(sum(frequency) AS BIGINT) AS frequency, sum(monetary) AS monetary\n    FROM pm GROUP BY profile_id\n")
		b.WriteString("    UNION ALL\n    SELECT profile_id, 'marketplace', marketplace, last_day, frequency, monetary FROM pm\n),\n")
	} else {
		b.WriteString("agg AS (\n    SELECT profile_id, 'all' AS scope, CAST(NULL AS VARCHAR) AS marketplace,\n")
		b.WriteString("           max(last_day) AS last_day, CAST(sum(frequency) AS BIGINT) AS frequency, sum(monetary) AS monetary\n    FROM x GROUP BY profile_id\n),\n")
	}
	fmt.Fprintf(b, "v AS (\n    SELECT profile_id, scope, marketplace, frequency, monetary,\n           %s - last_day AS recency_days\n    FROM agg\n),\n", day(asOf))
}

// segmentCase is Grid as a SQL expression, generated from Grid so the SQL
// and Segment cannot disagree.
func segmentCase(r, f string) string {
	var b strings.Builder
	fmt.Fprintf(&b, "CASE %s * 10 + %s", r, f)
	for ri := range 5 {
		for fi := range 5 {
			fmt.Fprintf(&b, " WHEN %d THEN %s", (ri+1)*10+fi+1, strLit(Grid[ri][fi]))
		}
	}
	b.WriteString(" END")
	return b.String()
}

// Summary returns the SQL of the segment summary computed from scratch
// (Query as a common table expression); see SummaryOf.
func Summary(o Options) (string, error) {
	q, err := Query(o)
	if err != nil {
		return "", err
	}
	return "WITH rfm AS (\n" + q + "\n),\n" + summaryBody("rfm"), nil
}

// SummaryOf returns the SQL of the segment summary of a stored RFM table
// (the result of Query). Its rows, one per scope, marketplace and segment —
// every segment, with zeros for empty ones, in the order of Segments:
//
//	scope, marketplace      as in Query
//	segment                 VARCHAR
//	position                INTEGER, 1–11, the segment's place in Segments
//	customers               BIGINT
//	customer_share          customers / all customers of the scope (0–1)
//	revenue_base            DECIMAL, the segment's monetary total
//	revenue_share           revenue_base / the scope's total (NULL if that is 0)
//	avg_recency_days, avg_frequency   averages (NULL for empty segments)
func SummaryOf(table string) (string, error) {
	t, err := ident(table, "", "RFM")
	if err != nil {
		return "", err
	}
	if t == "" {
		return "", fmt.Errorf("rfm: summary needs the RFM table's name")
	}
	return "WITH " + summaryBody(t), nil
}

func summaryBody(rfm string) string {
	var segs strings.Builder
	for i, s := range Segments {
		if i > 0 {
			segs.WriteString(", ")
		}
		fmt.Fprintf(&segs, "(%s, %d)", strLit(s), i+1)
	}
	return fmt.Sprintf(`segs(segment, position) AS (VALUES %s),
scopes AS (SELECT DISTINCT scope, marketplace FROM %[2]s),
counts AS (
    SELECT s.scope, s.marketplace, g.segment, g.position,
           count(r.profile_id) AS customers,
           coalesce(sum(r.monetary), 0) AS revenue_base,
           avg(r.recency_days) AS avg_recency_days,
           avg(r.frequency) AS avg_frequency
    FROM scopes s CROSS JOIN segs g
    LEFT JOIN %[2]s r ON r.scope = s.scope AND coalesce(r.marketplace, '') = coalesce(s.marketplace, '') AND r.segment = g.segment
    GROUP BY s.scope, s.marketplace, g.segment, g.position
)
SELECT scope, marketplace, segment, position, customers,
       customers / CAST(sum(customers) OVER (PARTITION BY scope, marketplace) AS DOUBLE PRECISION) AS customer_share,
       revenue_base,
       CAST(revenue_base AS DOUBLE PRECISION) / CAST(nullif(sum(revenue_base) OVER (PARTITION BY scope, marketplace), 0) AS DOUBLE PRECISION) AS revenue_share,
       avg_recency_days, avg_frequency
FROM counts
ORDER BY scope, marketplace NULLS FIRST, position`, segs.String(), rfm)
}

func strLit(s string) string { return "'" + strings.ReplaceAll(s, "'", "''") + "'" }

func tsLit(t time.Time) string {
	return "CAST('" + t.UTC().Format("2006-01-02 15:04:05") + "+00' AS TIMESTAMPTZ)"
}
