package web

import (
	"net/http"
	"strconv"
)

// The overview's questions are written here, not in overview.js, and
// rendered into the page: the server then knows the exact text every
// visitor will send to POST /v1/query/shared and computes the answers when
// it starts (SharedQuestions), so the first visit after a start does not
// wait for them (1.0–1.3 s at 1,000,000 customers, bench/dashboard).
const (
	overviewMarket = "coalesce(nullif(marketplace, ''), 'store:' || store)"
	overviewLive   = "status NOT IN ('cancelled', 'canceled')"
)

// OverviewPeriods are the overview's periods in days; a visit opens with
// DefaultOverviewDays.
var OverviewPeriods = []int{30, 90, 365}

// DefaultOverviewDays is the period the overview opens with.
const DefaultOverviewDays = 90

// OverviewKPISQL is the overview's figures over the last days: per
// marketplace (market) and overall (market NULL), for the current period
// (cur) and the one before it: orders, net revenue in the base currency,
// orders with a base amount, customers, and customers with two or more
// orders in the period. Customers are grouped by a 64-bit hash of their
// profile id: the string keys took more than the store's default 256 MB
// for 365 days at 1,000,000 customers (out of memory; bench/dashboard),
// and two of a million profiles share a hash with a probability of about
// 3e-8.
func OverviewKPISQL(days int) string {
	d, d2 := strconv.Itoa(days), strconv.Itoa(2*days)
	return "WITH o AS (\n" +
		"  SELECT " + overviewMarket + " AS market, CASE WHEN profile_id IS NOT NULL THEN hash(profile_id) END AS profile_id,\n" +
		"         net_total_base AS v, base_currency,\n" +
		"         \"timestamp\" >= now() - INTERVAL " + d + " DAY AS cur\n" +
		"  FROM orders_net\n" +
		"  WHERE " + overviewLive + " AND \"timestamp\" >= now() - INTERVAL " + d2 + " DAY AND \"timestamp\" <= now()\n" +
		"), per AS (\n" +
		"  SELECT market, profile_id, cur, count(*) AS n, sum(v) AS rev, count(v) AS priced, any_value(base_currency) AS base\n" +
		"  FROM o GROUP BY GROUPING SETS ((market, profile_id, cur), (profile_id, cur))\n" +
		")\n" +
		"SELECT market, cur, CAST(sum(n) AS BIGINT) AS orders, sum(rev) AS revenue, CAST(sum(priced) AS BIGINT) AS priced_orders,\n" +
		"       count(profile_id) AS customers, count(*) FILTER (WHERE profile_id IS NOT NULL AND n >= 2) AS repeat_customers,\n" +
		"       any_value(base) AS base_currency\n" +
		"FROM per GROUP BY market, cur ORDER BY market NULLS FIRST, cur"
}

// OverviewTrendSQL is the overview's orders and net revenue per day (per
// week for more than 120 days) and marketplace over the last days.
func OverviewTrendSQL(days int) string {
	unit := "day"
	if days > 120 {
		unit = "week"
	}
	return "SELECT CAST(date_trunc('" + unit + "', timezone('UTC', \"timestamp\")) AS DATE) AS bucket, " + overviewMarket + " AS market,\n" +
		"       count(*) AS orders, sum(net_total_base) AS revenue, count(net_total_base) AS priced_orders\n" +
		"FROM orders_net\n" +
		"WHERE " + overviewLive + " AND \"timestamp\" >= now() - INTERVAL " + strconv.Itoa(days) + " DAY AND \"timestamp\" <= now()\n" +
		"GROUP BY 1, 2 ORDER BY 1, 2"
}

// overviewPeriod is one period button of the overview with its questions.
type overviewPeriod struct {
	Days       int
	Label      string // message key
	Default    bool
	KPI, Trend string
}

// overviewData gives the overview page its periods and their SQL.
func (u *UI) overviewData(r *http.Request, v *view) {
	for _, d := range OverviewPeriods {
		v.OverviewPeriods = append(v.OverviewPeriods, overviewPeriod{Days: d, Label: "overview.days_" + strconv.Itoa(d),
			Default: d == DefaultOverviewDays, KPI: OverviewKPISQL(d), Trend: OverviewTrendSQL(d)})
	}
}

// SharedQuestions are the SQL questions the dashboard's pages send to POST
// /v1/query/shared as they open — the overview's at its default period and
// the segments page's RFM cells as of now — for the server to answer ahead
// of the first visitor.
func (u *UI) SharedQuestions() []string {
	out := []string{OverviewKPISQL(DefaultOverviewDays), OverviewTrendSQL(DefaultOverviewDays)}
	if q, err := u.rfmCellSQL(); err == nil {
		out = append(out, q)
	}
	return out
}
