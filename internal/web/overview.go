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
	overviewMarket = "coalesce(nullif(o.marketplace, ''), 'store:' || o.store)"
	overviewLive   = "status NOT IN ('cancelled', 'canceled')"
)

// OverviewPeriods are the overview's periods in days; a visit opens with
// DefaultOverviewDays.
var OverviewPeriods = []int{30, 90, 365}

// DefaultOverviewDays is the period the overview opens with.
const DefaultOverviewDays = 90

// overviewOrders is the overview's orders of the last days: the order rows o
// not cancelled by status, with
// the sum of their refunds' base amounts (the orders_net view's net, whenever
// the refund came). It reads order_rows, not the orders_net view: the view
// also gives every row its profile through the identity mapping (two joins
// of a million rows each at 1,000,000 customers), which only the customer
// counts need, and DuckDB cannot drop a LEFT JOIN whose columns are unused.
func overviewOrders(days int) string {
	return "order_rows o\n" +
		"  LEFT JOIN (SELECT store, order_id, sum(amount_base) AS refunded FROM refunds GROUP BY store, order_id) r\n" +
		"       ON r.store = o.store AND r.order_id = o.order_id\n" +
		"  WHERE " + overviewWhere(days)
}

// overviewWhere keeps the order rows o of the last days not cancelled by
// status.
func overviewWhere(days int) string {
	return "o." + overviewLive + " AND o.\"timestamp\" >= now() - INTERVAL " + strconv.Itoa(days) + " DAY AND o.\"timestamp\" <= now()"
}

// overviewNet is an order's net revenue in the base currency (NULL when the
// order has no base amount), as orders_net.net_total_base.
const overviewNet = "o.total_base - coalesce(r.refunded, 0)"

// OverviewKPISQL is the overview's figures over the last days: per
// marketplace (market) and overall (market NULL), for the current period
// (cur) and the one before it: orders, net revenue in the base currency,
// orders with a base amount, the base currency, customers, and customers
// with two or more orders in the period. It gives what orders_net grouped
// per marketplace and profile gives (TestOverviewKPIOnDemoData), in two
// parts so that its memory stays bounded at 1,000,000 customers:
//
//   - the totals (t) need no profile: order rows and refunds, a dozen
//     groups;
//   - the customers (c) are counted per marketplace, profile and period with
//     nothing but a count per group: the sums and the currency in those
//     million groups took more than the store's default 256 MB for 365
//     days (out of memory in the server; bench/dashboard).
//
// A row's profile comes from one join of 64-bit hashes: of (source,
// userId) for a row with a userId, of the anonymousId otherwise, against
// both identity tables at once — the orders view's two joins, with no
// strings in the hash table (1.0 instead of 2.8 CPU-s for 365 days at
// 1,000,000 customers). Two of about 2 million identities share a hash with
// a probability of about 1e-7, as two of a million profiles do.
func OverviewKPISQL(days int) string {
	d := strconv.Itoa(days)
	cur := "o.\"timestamp\" >= now() - INTERVAL " + d + " DAY AS cur"
	market := overviewMarket + " AS market"
	return "WITH t AS (\n" +
		"  SELECT " + market + ", " + cur + ",\n" +
		"         count(*) AS orders, sum(" + overviewNet + ") AS revenue, count(o.total_base) AS priced_orders,\n" +
		"         any_value(o.base_currency) AS base_currency\n" +
		"  FROM " + overviewOrders(2*days) + "\n" +
		"  GROUP BY GROUPING SETS ((1, 2), (2))\n" +
		"), per AS (\n" +
		"  SELECT " + market + ", " + cur + ", m.h AS profile_id\n" +
		"  FROM order_rows o\n" +
		"  LEFT JOIN (SELECT hash(source_id, user_id) AS k, hash(profile_id) AS h FROM profile_users\n" +
		"             UNION ALL SELECT hash(anonymous_id), hash(profile_id) FROM profile_anons) m\n" +
		"       ON m.k = CASE WHEN o.user_id IS NOT NULL THEN hash(o.source_id, o.user_id) WHEN o.anonymous_id IS NOT NULL THEN hash(o.anonymous_id) END\n" +
		"  WHERE " + overviewWhere(2*days) + "\n" +
		"), c AS (\n" +
		"  SELECT market, cur, count(profile_id) AS customers, count(*) FILTER (WHERE profile_id IS NOT NULL AND n >= 2) AS repeat_customers\n" +
		"  FROM (SELECT market, profile_id, cur, count(*) AS n FROM per GROUP BY GROUPING SETS ((market, profile_id, cur), (profile_id, cur)))\n" +
		"  GROUP BY market, cur\n" +
		")\n" +
		"SELECT t.market, t.cur, t.orders, t.revenue, t.priced_orders, c.customers, c.repeat_customers, t.base_currency\n" +
		"FROM t JOIN c ON c.market IS NOT DISTINCT FROM t.market AND c.cur = t.cur\n" +
		"ORDER BY t.market NULLS FIRST, t.cur"
}

// OverviewTrendSQL is the overview's orders and net revenue per day (per
// week for more than 120 days) and marketplace over the last days.
func OverviewTrendSQL(days int) string {
	unit := "day"
	if days > 120 {
		unit = "week"
	}
	return "SELECT CAST(date_trunc('" + unit + "', timezone('UTC', o.\"timestamp\")) AS DATE) AS bucket,\n" +
		"       " + overviewMarket + " AS market,\n" +
		"       count(*) AS orders, sum(" + overviewNet + ") AS revenue, count(o.total_base) AS priced_orders\n" +
		"FROM " + overviewOrders(days) + "\n" +
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
// /v1/query/shared — the overview's for each of its periods (the default
// first: the page opens with it) and the segments page's RFM cells as of
// now — for the server to answer ahead of the first visitor. The other
// periods are asked only when a button is pressed, but at 1,000,000
// customers the 365-day KPIs take over a second to compute, which that
// first press would otherwise wait for.
func (u *UI) SharedQuestions() []string {
	out := []string{OverviewKPISQL(DefaultOverviewDays), OverviewTrendSQL(DefaultOverviewDays)}
	for _, d := range OverviewPeriods {
		if d != DefaultOverviewDays {
			out = append(out, OverviewKPISQL(d), OverviewTrendSQL(d))
		}
	}
	if q, err := u.rfmCellSQL(); err == nil {
		out = append(out, q)
	}
	return out
}
