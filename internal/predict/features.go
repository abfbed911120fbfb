package predict

import (
	"cmp"
	"context"
	"fmt"
	"math"
	"slices"
	"sort"
	"time"

	"github.com/tradewind/tradewind/internal/predict/btyd"
	"github.com/tradewind/tradewind/internal/profile"
)

// ScanFunc runs one of tradewind's own parameterised reads and calls fn
// with each row (the store's Scan; an in-memory DuckDB offline).
type ScanFunc func(ctx context.Context, q string, args []any, fn func(row []any) error) error

// Snapshot is every customer's behaviour as of a cutoff day, and what they
// did in the window after it: the rows of both the lifetime models and the
// churn model.
type Snapshot struct {
	Cutoff time.Time
	// Window is the label window's length in days after the cutoff (0: no
	// labels: the cutoff is today).
	Window int
	IDs    []string
	Rows   []SnapshotRow
	// Future counts purchase days per day offset after the cutoff, over
	// customers acquired by it: the holdout's cumulative actuals.
	FutureByDay map[int]int
}

// SnapshotRow is one customer at the cutoff.
type SnapshotRow struct {
	OrderDays              int     // distinct purchase days up to the cutoff
	TenureDays             int     // cutoff − first purchase day
	RecencyDays            int     // cutoff − last purchase day
	SpanDays               int     // last − first purchase day
	Spend, FirstDaySpend   float64 // base currency; NaN when no order was priced
	Orders90, OrdersPrev90 int     // purchase days in the last 90 days, and the 90 before
	Market                 string  // the marketplace of their latest order
	Future                 int     // purchase days in the window after the cutoff
	Visits30               int     // page and screen views in the last 30 days
	SinceVisitDays         float64 // days since the last view; NaN without any
	Carts30                int     // "Product Added" in the last 30 days
	Refunds, Reviews       int
	Rating                 float64 // mean review rating; NaN without any
	Priced                 bool    // every purchase day had a base-currency amount
	Channel                string  // the marketing channel of their first campaign touch ("" without)
}

// snapshotEvents is the part of a snapshot read from the events view: the
// churn model's behaviour features per profile up to the cutoff ($1).
const snapshotEvents = `e AS (
  SELECT profile_id,
    count(*) FILTER (WHERE type IN ('page', 'screen') AND day > $1::DATE - 30) AS visits30,
    max(day) FILTER (WHERE type IN ('page', 'screen')) AS last_visit,
    count(*) FILTER (WHERE event = 'Product Added' AND day > $1::DATE - 30) AS carts30,
    count(*) FILTER (WHERE event = 'Order Refunded') AS refunds,
    count(*) FILTER (WHERE event = 'Product Reviewed') AS reviews,
    avg(TRY_CAST(json_extract_string(properties, '$.rating') AS DOUBLE)) FILTER (WHERE event = 'Product Reviewed') AS rating,
    arg_min(c_source, ts) FILTER (WHERE c_source IS NOT NULL OR c_medium IS NOT NULL) AS c_source,
    arg_min(c_medium, ts) FILTER (WHERE c_source IS NOT NULL OR c_medium IS NOT NULL) AS c_medium
  FROM (SELECT profile_id, type, event, properties, CAST("timestamp" AS DATE) AS day, "timestamp" AS ts,
               json_extract_string(context, '$.campaign.source') AS c_source,
               json_extract_string(context, '$.campaign.medium') AS c_medium
        FROM events WHERE profile_id IS NOT NULL) ev
  WHERE day <= $1::DATE
  GROUP BY 1
)`

// snapshotOrders aggregates (key, day) rows d — one per customer and UTC
// day with an order, amt the day's base-currency total, priced whether
// every order of the day had one, market its marketplace — into a
// customer's order features as of the cutoff ($1) and in the label window
// after it. (The order days' read names them dc and oc.)
const snapshotOrders = `o AS (
  SELECT key,
    count(*) FILTER (WHERE day <= $1::DATE) AS order_days,
    min(day) AS first_day,
    max(day) FILTER (WHERE day <= $1::DATE) AS last_day,
    sum(amt) FILTER (WHERE day <= $1::DATE) AS spend,
    arg_min(amt, day) AS first_amt,
    count(*) FILTER (WHERE day > $1::DATE - 90 AND day <= $1::DATE) AS o90,
    count(*) FILTER (WHERE day > $1::DATE - 180 AND day <= $1::DATE - 90) AS oprev90,
    arg_max(market, day) FILTER (WHERE day <= $1::DATE AND market IS NOT NULL) AS market,
    count(*) FILTER (WHERE day > $1::DATE) AS future,
    bool_and(priced) FILTER (WHERE day <= $1::DATE) AS priced
  FROM d GROUP BY 1
  HAVING min(day) <= $1::DATE
)`

// snapshotSelect is a snapshot's columns, in the order readSnapshot scans
// them, from o joined with the key's profile_id (ids) and e.
const snapshotSelect = `
SELECT ids.profile_id,` + snapshotColumns + `
FROM o JOIN ids USING (key) LEFT JOIN e USING (profile_id)
ORDER BY ids.profile_id`

// orderDaysSelect is snapshotSelect for the order days' o, which names
// each key's profile itself, with the key last: readSnapshot puts the rows
// in the order of the keys (small integers; DuckDB took seconds to sort a
// million profile ids, and over half a second to sort the rows by key).
const orderDaysSelect = `
SELECT o.profile_id,` + snapshotColumns + `, o.key
FROM o LEFT JOIN e USING (profile_id)`

// snapshotColumns are the columns after the profile id.
const snapshotColumns = ` o.order_days, $1::DATE - o.first_day, $1::DATE - o.last_day, o.last_day - o.first_day,
       o.spend, o.first_amt, o.o90, o.oprev90, coalesce(o.market, ''), o.future,
       coalesce(e.visits30, 0), $1::DATE - e.last_visit, coalesce(e.carts30, 0),
       coalesce(e.refunds, 0), coalesce(e.reviews, 0), e.rating, o.priced,
       coalesce(e.c_source, ''), coalesce(e.c_medium, '')`

// viewDays is d from the orders view: every order row, through the view's
// identity join, grouped per (profile, UTC day). $2 is the end of the label
// window (the cutoff itself for none). The store's sessions run in UTC, so
// a plain cast gives the UTC date.
const viewDays = `d AS (
  SELECT profile_id AS key, CAST("timestamp" AS DATE) AS day,
         sum(total_base)::DOUBLE AS amt, count(total_base) = count(*) AS priced,
         min(marketplace) AS market
  FROM orders
  WHERE profile_id IS NOT NULL AND status <> 'cancelled'
    AND CAST("timestamp" AS DATE) <= $2::DATE
  GROUP BY 1, 2
)`

// orderDaysCTEs reads o from the store's order days (migration 008),
// which hold the same (identity, day) facts as the view's rows, aggregated,
// and each identity's sums over its days. Each identity is mapped to its
// profile as the mapping stands now, and a profile is keyed by the lowest
// number of its identities. A profile with one identity and no order day
// after the cutoff (most, when the cutoff is today) is its identity's sums
// as they are, its last 90 days and the 90 before counted in the list of
// its recent days; the others (several identities, whose shared days must
// count once, or days after the cutoff) are grouped per (profile, day) from
// their order days and aggregated like the view's rows.
const orderDaysCTEs = `m AS (
  SELECT i.ident_id, coalesce(u.profile_id, a.profile_id) AS profile_id, i.n_days, i.first_day, i.last_day,
         i.spend, i.first_amt, i.priced, i.market,
         len(list_filter(i.recent, x -> x > $1::DATE - 90 AND x <= $1::DATE)) AS o90,
         len(list_filter(i.recent, x -> x > $1::DATE - 180 AND x <= $1::DATE - 90)) AS oprev90
  FROM order_idents i
  LEFT JOIN profile_users u ON u.source_id = i.source_id AND u.user_id = i.user_id
  LEFT JOIN profile_anons a ON a.anonymous_id = i.anonymous_id
), g AS (
  SELECT profile_id, count(*) AS n, min(ident_id) AS key, any_value(n_days) AS n_days, any_value(first_day) AS first_day,
         any_value(last_day) AS last_day, any_value(spend) AS spend, any_value(first_amt) AS first_amt,
         any_value(priced) AS priced, any_value(market) AS market, any_value(o90) AS o90, any_value(oprev90) AS oprev90
  FROM m WHERE profile_id IS NOT NULL GROUP BY 1
), cp AS (
  SELECT profile_id, key FROM g WHERE n > 1 OR last_day > $1::DATE
), d AS (
  SELECT ci.key, od.day, CAST(sum(od.amount) AS DOUBLE) AS amt, bool_and(od.priced) AS priced, min(od.market) AS market
  FROM order_days od JOIN (SELECT m.ident_id, cp.key FROM m JOIN cp USING (profile_id)) ci USING (ident_id)
  WHERE od.orders > 0 AND od.day <= $2::DATE
  GROUP BY 1, 2
), oc AS (` + "SELECT * FROM (WITH " + snapshotOrders + ` SELECT * FROM o)
), o AS (
  SELECT key, profile_id, n_days AS order_days, first_day, last_day, CAST(spend AS DOUBLE) AS spend,
         CAST(first_amt AS DOUBLE) AS first_amt, o90, oprev90, market, 0 AS future, priced
  FROM g WHERE n = 1 AND n_days > 0 AND last_day <= $1::DATE
  UNION ALL
  SELECT key, profile_id, order_days, first_day, last_day, spend, first_amt, o90, oprev90, market, future, priced
  FROM oc JOIN cp USING (key)
)`

// orderDaysFuture counts, from the order days, the purchase days after
// the cutoff ($1) up to $2 per day offset, of customers acquired by the
// cutoff (whose identities' first order day is on or before it): only the
// days of the label window are read.
const orderDaysFuture = `WITH m AS (
  SELECT i.ident_id, i.first_day, coalesce(u.profile_id, a.profile_id) AS profile_id
  FROM order_idents i
  LEFT JOIN profile_users u ON u.source_id = i.source_id AND u.user_id = i.user_id
  LEFT JOIN profile_anons a ON a.anonymous_id = i.anonymous_id
), p AS (
  SELECT ident_id, min(ident_id) OVER (PARTITION BY profile_id) AS key,
         min(first_day) OVER (PARTITION BY profile_id) AS acquired
  FROM m WHERE profile_id IS NOT NULL
), d AS (
  SELECT DISTINCT p.key, od.day FROM order_days od JOIN p USING (ident_id)
  WHERE od.orders > 0 AND od.day > $1::DATE AND od.day <= $2::DATE AND p.acquired <= $1::DATE
)
SELECT day - $1::DATE, count(*) FROM d GROUP BY 1`

// futureSelect counts the purchase days after the cutoff per day offset,
// of customers acquired by it.
const futureSelect = `, f AS (SELECT key FROM d GROUP BY 1 HAVING min(day) <= $1::DATE)
SELECT day - $1::DATE, count(*) FROM d JOIN f USING (key)
WHERE day > $1::DATE GROUP BY 1`

// OrderSource says where a snapshot reads the orders from.
type OrderSource int

const (
	// FromOrders reads the orders view, every order row through its
	// identity join: any store, and the offline commands' in-memory
	// database.
	FromOrders OrderSource = iota
	// FromOrderDays reads the store's order days (DuckDB's order_idents
	// and order_days), which must have been brought up to date just before
	// (duckdb.DB.RefreshOrderDays): the same figures at a fraction of the
	// cost.
	FromOrderDays
)

// SQL is the two reads of a snapshot from src: the customers' rows, and the
// purchase days after the cutoff ($1 the cutoff day, $2 the end of the
// label window).
func (src OrderSource) SQL() (snapshot, future string) {
	if src == FromOrderDays {
		return "WITH " + orderDaysCTEs + ", " + snapshotEvents + orderDaysSelect, orderDaysFuture
	}
	// The view's keys are the profile ids themselves.
	return "WITH " + viewDays + ", " + snapshotOrders + ", ids AS (SELECT key, key AS profile_id FROM o), " + snapshotEvents + snapshotSelect,
		"WITH " + viewDays + futureSelect
}

// ReadSnapshot reads every customer with a purchase by the cutoff day from
// the orders view.
func ReadSnapshot(ctx context.Context, scan ScanFunc, cutoff time.Time, window int) (*Snapshot, error) {
	return ReadSnapshotFrom(ctx, scan, FromOrders, cutoff, window)
}

// ReadSnapshotFrom reads every customer with a purchase by the cutoff day
// from src.
func ReadSnapshotFrom(ctx context.Context, scan ScanFunc, src OrderSource, cutoff time.Time, window int) (*Snapshot, error) {
	snapshotSQL, futureSQL := src.SQL()
	day := cutoff.UTC().Format(time.DateOnly)
	end := cutoff.UTC().AddDate(0, 0, window).Format(time.DateOnly)
	s := &Snapshot{Cutoff: dayStart(cutoff), Window: window, FutureByDay: map[int]int{}}
	// A few (source, medium) pairs recur across a million customers:
	// profile.Channel once per pair.
	channels := map[[2]string]string{}
	var keys []int
	err := scan(ctx, snapshotSQL, []any{day, end}, func(r []any) error {
		if len(r) > 20 {
			keys = append(keys, asInt(r[20]))
		}
		var row SnapshotRow
		id, _ := r[0].(string)
		row.OrderDays = asInt(r[1])
		row.TenureDays = asInt(r[2])
		row.RecencyDays = asInt(r[3])
		row.SpanDays = asInt(r[4])
		row.Spend = asFloat(r[5])
		row.FirstDaySpend = asFloat(r[6])
		row.Orders90 = asInt(r[7])
		row.OrdersPrev90 = asInt(r[8])
		row.Market, _ = r[9].(string)
		row.Future = asInt(r[10])
		row.Visits30 = asInt(r[11])
		row.SinceVisitDays = asFloat(r[12])
		row.Carts30 = asInt(r[13])
		row.Refunds = asInt(r[14])
		row.Reviews = asInt(r[15])
		row.Rating = asFloat(r[16])
		row.Priced, _ = r[17].(bool)
		src, _ := r[18].(string)
		med, _ := r[19].(string)
		ch, ok := channels[[2]string{src, med}]
		if !ok {
			ch = profile.Channel(src, med)
			channels[[2]string{src, med}] = ch
		}
		row.Channel = ch
		s.IDs = append(s.IDs, id)
		s.Rows = append(s.Rows, row)
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("predict: read customers as of %s: %w", day, err)
	}
	if keys != nil {
		s.sortByKey(keys)
	}
	if window > 0 {
		err = scan(ctx, futureSQL, []any{day, end}, func(r []any) error {
			s.FutureByDay[asInt(r[0])] = asInt(r[1])
			return nil
		})
		if err != nil {
			return nil, fmt.Errorf("predict: read purchases after %s: %w", day, err)
		}
	}
	return s, nil
}

// lifetimeColumns are the lifetime read's columns from o (both sources)
// after the profile id: the purchase days up to the cutoff, the days since
// the first and from the first to the last, packed into one BIGINT (three
// boxed integers per row cost more to scan than the unpacking), and the
// mean spend of the repeat purchase days (NULL without a priced repeat).
const lifetimeColumns = `
       CASE WHEN $1::DATE - o.first_day < 2097151
            THEN (CAST(o.order_days AS BIGINT) << 42) + (CAST($1::DATE - o.first_day AS BIGINT) << 21) + (o.last_day - o.first_day)
            ELSE -1 END,
       CASE WHEN o.priced AND o.order_days > 1 THEN (o.spend - o.first_amt) / (o.order_days - 1) END`

// lifetimeFieldMax bounds each packed field (21 bits): 5,700 years of
// days; an older first purchase reads as -1, an error.
const lifetimeFieldMax = 1<<21 - 1

// ReadLifetimeFrom reads, as of the cutoff day, only what the lifetime
// models use — each customer's purchase days, age, recency and mean repeat
// spend — into their summary in period units, with no label window: the
// scoring read of a run that fits and scores the lifetime models without
// training the churn model. Its four columns against a full snapshot's
// twenty-one (and no events) halve the read at a million customers
// (bench/predict/FIGURES.md). The customers come in the same order as
// ReadSnapshotFrom's, and the summary equals that snapshot's Summary.
func ReadLifetimeFrom(ctx context.Context, scan ScanFunc, src OrderSource, cutoff time.Time, period btyd.Period) (*btyd.Summary, error) {
	var q string
	if src == FromOrderDays {
		// The order days' o names each key's profile; the key comes last
		// and orders the rows in Go, as ReadSnapshotFrom's.
		q = "WITH " + orderDaysCTEs + "\nSELECT o.profile_id," + lifetimeColumns + ", o.key FROM o"
	} else {
		// The view's keys are the profile ids themselves.
		q = "WITH " + viewDays + ", " + snapshotOrders + "\nSELECT o.key," + lifetimeColumns + " FROM o ORDER BY o.key"
	}
	day := cutoff.UTC().Format(time.DateOnly)
	unit := period.Days()
	sum := &btyd.Summary{CalibrationEnd: dayStart(cutoff), Period: period, HasAmounts: true}
	var keys []int
	err := scan(ctx, q, []any{day, day}, func(r []any) error {
		if len(r) > 3 {
			keys = append(keys, asInt(r[3]))
		}
		id, _ := r[0].(string)
		p, _ := r[1].(int64)
		days, age, span := int(p>>42), int(p>>21&lifetimeFieldMax), int(p&lifetimeFieldMax)
		if p < 0 || age >= lifetimeFieldMax || span > age {
			return fmt.Errorf("customer %s: history of %d days outside the read's range", id, age)
		}
		c := btyd.Customer{X: float64(days - 1), T: float64(age) / unit}
		if c.X > 0 {
			c.Tx = float64(span) / unit
			if m := asFloat(r[2]); !math.IsNaN(m) {
				c.Monetary = m
			}
		}
		sum.IDs = append(sum.IDs, id)
		sum.Customers = append(sum.Customers, c)
		sum.PurchaseDays += days
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("predict: read customers' histories as of %s: %w", day, err)
	}
	if keys != nil {
		idx := sortedByKey(keys)
		ids := make([]string, len(idx))
		cs := make([]btyd.Customer, len(idx))
		for i, j := range idx {
			ids[i], cs[i] = sum.IDs[j], sum.Customers[j]
		}
		sum.IDs, sum.Customers = ids, cs
	}
	sum.HoldoutCounts = make([]float64, len(sum.Customers))
	return sum, nil
}

// sortByKey orders the customers by keys (one per row, distinct): a
// deterministic order for what depends on it (samples, training).
func (s *Snapshot) sortByKey(keys []int) {
	idx := sortedByKey(keys)
	ids := make([]string, len(idx))
	rows := make([]SnapshotRow, len(idx))
	for i, j := range idx {
		ids[i], rows[i] = s.IDs[j], s.Rows[j]
	}
	s.IDs, s.Rows = ids, rows
}

// sortedByKey is the row indexes in the order of their keys (distinct).
// The order days' keys are identity numbers, nearly dense: each row is
// placed at its key's offset, in linear time, when the keys span at most
// four times their number (sorting a million indexes by key took 0.15 s).
func sortedByKey(keys []int) []int {
	if len(keys) > 0 {
		lo, hi := slices.Min(keys), slices.Max(keys)
		if span := hi - lo + 1; span > 0 && span <= 4*len(keys) {
			at := make([]int32, span)
			for i, k := range keys {
				at[k-lo] = int32(i) + 1
			}
			idx := make([]int, 0, len(keys))
			for _, i := range at {
				if i > 0 {
					idx = append(idx, int(i)-1)
				}
			}
			if len(idx) == len(keys) {
				return idx
			}
			// Keys that repeat: sort, which keeps them all.
		}
	}
	idx := make([]int, len(keys))
	for i := range idx {
		idx[i] = i
	}
	slices.SortFunc(idx, func(a, b int) int { return cmp.Compare(keys[a], keys[b]) })
	return idx
}

func dayStart(t time.Time) time.Time {
	y, m, d := t.UTC().Date()
	return time.Date(y, m, d, 0, 0, 0, 0, time.UTC)
}

// asInt reads an integer column: DuckDB returns BIGINT as int64, HUGEINT
// (sums of counts) as *big.Int, and date differences as int64.
func asInt(v any) int {
	switch x := v.(type) {
	case int64:
		return int(x)
	case int32:
		return int(x)
	case uint64:
		return int(x)
	case float64:
		return int(x)
	case interface{ Int64() int64 }:
		return int(x.Int64())
	}
	return 0
}

func asFloat(v any) float64 {
	switch x := v.(type) {
	case float64:
		return x
	case int64:
		return float64(x)
	case int32:
		return float64(x)
	}
	return math.NaN()
}

// Summary turns the snapshot into the lifetime models' terms: calibration
// up to the cutoff, the label window as the holdout.
func (s *Snapshot) Summary(period btyd.Period) *btyd.Summary {
	unit := period.Days()
	sum := &btyd.Summary{
		IDs:            s.IDs,
		CalibrationEnd: s.Cutoff,
		Period:         period,
		HasAmounts:     true,
		Holdout:        float64(s.Window) / unit,
	}
	sum.Customers = make([]btyd.Customer, len(s.Rows))
	sum.HoldoutCounts = make([]float64, len(s.Rows))
	for i, r := range s.Rows {
		c := btyd.Customer{X: float64(r.OrderDays - 1), T: float64(r.TenureDays) / unit}
		if c.X > 0 {
			c.Tx = float64(r.SpanDays) / unit
			c.Monetary = (r.Spend - r.FirstDaySpend) / c.X
		}
		if !r.Priced || math.IsNaN(c.Monetary) {
			c.Monetary = 0 // Gamma-Gamma leaves customers without a known spend out
		}
		sum.Customers[i] = c
		sum.HoldoutCounts[i] = float64(r.Future)
		sum.PurchaseDays += r.OrderDays + r.Future
	}
	days := make([]int, 0, len(s.FutureByDay))
	for d := range s.FutureByDay {
		days = append(days, d)
	}
	sort.Ints(days)
	for _, d := range days {
		sum.HoldoutDaily = append(sum.HoldoutDaily, btyd.DayCount{Offset: float64(d) / unit, Count: float64(s.FutureByDay[d])})
	}
	return sum
}

// categoryRevenueSQL splits each customer's base-currency revenue up to the
// cutoff over product categories, by the items' share of their order.
const categoryRevenueSQL = `
WITH o AS (
  SELECT store, order_id, profile_id, total_base::DOUBLE AS amt FROM orders
  WHERE profile_id IS NOT NULL AND status <> 'cancelled' AND total_base IS NOT NULL
    AND CAST("timestamp" AS DATE) <= $1::DATE
), c AS (
  SELECT i.store, i.order_id, coalesce(i.category, '') AS category, sum(i.price * i.quantity)::DOUBLE AS value
  FROM order_items i JOIN o USING (store, order_id) GROUP BY 1, 2, 3
), t AS (SELECT store, order_id, sum(value) AS total FROM c GROUP BY 1, 2)
SELECT o.profile_id, c.category, sum(o.amt * c.value / t.total)
FROM c JOIN t USING (store, order_id) JOIN o USING (store, order_id)
WHERE t.total > 0 GROUP BY 1, 2`

// ReadMargins is each customer's margin share of revenue up to the cutoff:
// their revenue per category weighted by the category's margin (others
// and orders without items: def). Customers not in the result take def.
func ReadMargins(ctx context.Context, scan ScanFunc, cutoff time.Time, byCategory map[string]float64, def float64) (map[string]float64, error) {
	type acc struct{ rev, margin float64 }
	per := map[string]*acc{}
	err := scan(ctx, categoryRevenueSQL, []any{cutoff.UTC().Format(time.DateOnly)}, func(r []any) error {
		id, _ := r[0].(string)
		cat, _ := r[1].(string)
		rev := asFloat(r[2])
		if math.IsNaN(rev) || rev <= 0 {
			return nil
		}
		m, ok := byCategory[cat]
		if !ok {
			m = def
		}
		a := per[id]
		if a == nil {
			a = &acc{}
			per[id] = a
		}
		a.rev += rev
		a.margin += rev * m
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("predict: read revenue by category: %w", err)
	}
	out := make(map[string]float64, len(per))
	for id, a := range per {
		out[id] = a.margin / a.rev
	}
	return out, nil
}
