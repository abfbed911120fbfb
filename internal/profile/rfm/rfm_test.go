package rfm

import (
	"bytes"
	"database/sql"
	"fmt"
	"math/rand/v2"
	"sort"
	"strings"
	"testing"
	"time"

	_ "github.com/duckdb/duckdb-go/v2"
	"github.com/govalues/decimal"

	"github.com/tradewind/tradewind/internal/profile"
	"github.com/tradewind/tradewind/internal/segment"
	"github.com/tradewind/tradewind/internal/store"
)

// fixture rows: profile, store, order id, time, total, status, marketplace.
var fixtureOrders = []struct {
	profile, store, id, at, total, status, market string
}{
	{"A", "s1", "a1", "2025-01-30 12:00:00", "100", "completed", "tiktok_shop_uk"},
	{"A", "s1", "a2", "2025-01-20 08:00:00", "50", "completed", "amazon_de"},
	{"A", "s1", "a3", "2024-12-01 09:00:00", "25", "completed", "amazon_de"},
	{"A", "s1", "a4", "2025-02-01 10:00:00", "70", "completed", "amazon_de"}, // after the as-of day
	{"B", "s1", "b1", "2025-01-31 23:59:59", "40", "completed", "amazon_de"}, // last second of the as-of day
	{"C", "s2", "c1", "2024-10-01 10:00:00", "300", "completed", "shopify"},
	{"C", "s2", "c2", "2024-11-01 10:00:00", "200", "completed", "shopify"},
	{"D", "s1", "d1", "2024-03-01 10:00:00", "10", "completed", "amazon_de"},
	{"D", "s1", "d2", "2024-04-01 10:00:00", "10", "completed", "amazon_de"},
	{"D", "s1", "d3", "2024-05-01 10:00:00", "10", "completed", "amazon_de"},
	{"D", "s1", "d4", "2024-06-01 10:00:00", "10", "completed", "amazon_de"},
	{"D", "s1", "d5", "2024-06-15 10:00:00", "10", "completed", "amazon_de"},
	{"D", "s1", "d6", "2024-07-01 10:00:00", "999", "completed", "amazon_de"}, // cancelled in the cancellations table only
	{"E", "s2", "e1", "2024-02-10 10:00:00", "1000", "completed", "shopify"},
	{"E", "s2", "e2", "2025-01-15 10:00:00", "80", "cancelled", "shopify"},
	{"E", "s2", "e3", "2023-06-01 10:00:00", "500", "completed", "shopify"}, // before the period
}

var fixtureRefunds = []struct{ store, id, at, amount string }{
	{"s1", "a2", "2025-01-22 10:00:00", "10"},
	{"s1", "a1", "2025-02-05 10:00:00", "30"}, // after the as-of day
	{"s2", "c2", "2024-11-10 10:00:00", "200"},
}

var fixtureCancels = []struct{ store, id, at string }{{"s1", "d6", "2024-07-02 10:00:00"}}

func openFixture(t *testing.T) *sql.DB {
	t.Helper()
	db, err := sql.Open("duckdb", "")
	if err != nil {
		t.Fatal(err)
	}
	db.SetMaxOpenConns(1)
	t.Cleanup(func() { db.Close() })
	// A session time zone far from UTC: days must still be UTC days.
	stmts := []string{
		"SET TimeZone = 'Asia/Shanghai'",
		`CREATE TABLE orders (profile_id VARCHAR, store VARCHAR, order_id VARCHAR, "timestamp" TIMESTAMPTZ,
			total_base DECIMAL(18,4), status VARCHAR, marketplace VARCHAR)`,
		`CREATE TABLE refunds (store VARCHAR, order_id VARCHAR, "timestamp" TIMESTAMPTZ, amount_base DECIMAL(18,4))`,
		`CREATE TABLE cancellations (store VARCHAR, order_id VARCHAR, "timestamp" TIMESTAMPTZ)`,
	}
	for _, o := range fixtureOrders {
		stmts = append(stmts, fmt.Sprintf(`INSERT INTO orders VALUES ('%s', '%s', '%s', '%s+00', %s, '%s', '%s')`,
			o.profile, o.store, o.id, o.at, o.total, o.status, o.market))
	}
	for _, r := range fixtureRefunds {
		stmts = append(stmts, fmt.Sprintf(`INSERT INTO refunds VALUES ('%s', '%s', '%s+00', %s)`, r.store, r.id, r.at, r.amount))
	}
	for _, c := range fixtureCancels {
		stmts = append(stmts, fmt.Sprintf(`INSERT INTO cancellations VALUES ('%s', '%s', '%s+00')`, c.store, c.id, c.at))
	}
	for _, s := range stmts {
		if _, err := db.Exec(s); err != nil {
			t.Fatalf("%s: %v", s, err)
		}
	}
	return db
}

type row struct {
	profile, scope, market string
	recency, frequency     int64
	monetary               string
	r, f, m                int64
	rfm, segment           string
}

func runRFM(t *testing.T, db *sql.DB, o Options) map[string]row {
	t.Helper()
	q, err := Query(o)
	if err != nil {
		t.Fatal(err)
	}
	rows, err := db.Query(`SELECT profile_id, scope, coalesce(marketplace, '-'), recency_days, frequency,
		CAST(monetary AS VARCHAR), r_score, f_score, m_score, rfm, segment FROM (` + q + `) q`)
	if err != nil {
		t.Fatalf("%v\n%s", err, q)
	}
	defer rows.Close()
	out := map[string]row{}
	for rows.Next() {
		var r row
		if err := rows.Scan(&r.profile, &r.scope, &r.market, &r.recency, &r.frequency, &r.monetary, &r.r, &r.f, &r.m, &r.rfm, &r.segment); err != nil {
			t.Fatal(err)
		}
		out[r.profile+"/"+r.market] = r
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	return out
}

var asOf = time.Date(2025, 1, 31, 15, 0, 0, 0, time.UTC) // the time of day does not matter

// Hand-computed (see the fixture's comments): recency in UTC days to
// 2025-01-31, frequency and net monetary over the 365 days ending then,
// scores 1 + floor(5·(rank−1)/n).
func TestRFMFixture(t *testing.T) {
	db := openFixture(t)
	got := runRFM(t, db, Options{AsOf: asOf, PeriodDays: 365, Cancellations: "cancellations", ByMarketplace: true})
	want := []row{
		// Overall, n = 5. Recency ranks (worst first) E D C A B; frequency
		// B=E=1 tie at rank 1 (both F1, so F2 is empty), C 2, A 3, D 5;
		// monetary B 40, D 50, A 165 (175 − 10), C 300 (500 − 200), E 1000.
		{"A", "all", "-", 1, 3, "165", 4, 4, 3, "443", Loyal},
		{"B", "all", "-", 0, 1, "40", 5, 1, 1, "511", New},
		{"C", "all", "-", 91, 2, "300", 3, 3, 4, "334", NeedAttention},
		{"D", "all", "-", 230, 5, "50", 2, 5, 2, "252", CantLoseThem},
		{"E", "all", "-", 356, 1, "1000", 1, 1, 5, "115", Lost},
		// amazon_de, n = 3: ranks 1, 2, 3 score 1, 2, 4.
		{"A", "marketplace", "amazon_de", 11, 2, "65", 2, 2, 4, "224", Hibernating},
		{"B", "marketplace", "amazon_de", 0, 1, "40", 4, 1, 1, "411", Promising},
		{"D", "marketplace", "amazon_de", 230, 5, "50", 1, 4, 2, "142", AtRisk},
		// shopify, n = 2: ranks 1, 2 score 1, 3.
		{"C", "marketplace", "shopify", 91, 2, "300", 3, 3, 1, "331", NeedAttention},
		{"E", "marketplace", "shopify", 356, 1, "1000", 1, 1, 3, "113", Lost},
		// A group of one scores 1.
		{"A", "marketplace", "tiktok_shop_uk", 1, 1, "100", 1, 1, 1, "111", Lost},
	}
	if len(got) != len(want) {
		t.Errorf("%d rows, want %d: %v", len(got), len(want), got)
	}
	for _, w := range want {
		g, ok := got[w.profile+"/"+w.market]
		if !ok {
			t.Errorf("missing %s/%s", w.profile, w.market)
			continue
		}
		if decimal.MustParse(g.monetary).Cmp(decimal.MustParse(w.monetary)) != 0 {
			t.Errorf("%s/%s monetary %s, want %s", w.profile, w.market, g.monetary, w.monetary)
		}
		g.monetary = w.monetary
		if g != w {
			t.Errorf("%s/%s:\n got %+v\nwant %+v", w.profile, w.market, g, w)
		}
	}

	// Without the cancellations table, d6 (status still completed) counts.
	got = runRFM(t, db, Options{AsOf: asOf, PeriodDays: 365})
	if d := got["D/-"]; d.frequency != 6 || d.recency != 214 || decimal.MustParse(d.monetary).Cmp(decimal.MustParse("1049")) != 0 {
		t.Errorf("D without cancellations: %+v", d)
	}
	if _, ok := got["A/amazon_de"]; ok {
		t.Error("marketplace rows without ByMarketplace")
	}
	// All history: e3 (2023) counts for E.
	got = runRFM(t, db, Options{AsOf: asOf, Cancellations: "cancellations"})
	if e := got["E/-"]; e.frequency != 2 || decimal.MustParse(e.monetary).Cmp(decimal.MustParse("1500")) != 0 {
		t.Errorf("E over all history: %+v", e)
	}
}

func TestSummary(t *testing.T) {
	db := openFixture(t)
	q, err := Summary(Options{AsOf: asOf, PeriodDays: 365, Cancellations: "cancellations", ByMarketplace: true})
	if err != nil {
		t.Fatal(err)
	}
	rows, err := db.Query(`SELECT scope, coalesce(marketplace, '-'), segment, position, customers, customer_share,
		CAST(revenue_base AS VARCHAR), revenue_share FROM (` + q + `) q`)
	if err != nil {
		t.Fatalf("%v\n%s", err, q)
	}
	defer rows.Close()
	type sumRow struct {
		customers     int64
		share         float64
		revenue       string
		revenueShare  sql.NullFloat64
		position      int64
		scope, market string
	}
	got := map[string]sumRow{}
	var order []string
	for rows.Next() {
		var r sumRow
		var seg string
		if err := rows.Scan(&r.scope, &r.market, &seg, &r.position, &r.customers, &r.share, &r.revenue, &r.revenueShare); err != nil {
			t.Fatal(err)
		}
		key := r.scope + "/" + r.market + "/" + seg
		got[key] = r
		order = append(order, key)
	}
	// 4 scopes (all, amazon_de, shopify, tiktok_shop_uk) × 11 segments.
	if len(got) != 44 {
		t.Fatalf("%d summary rows, want 44", len(got))
	}
	if !strings.HasPrefix(order[0], "all/-/"+Champions) || !strings.HasSuffix(order[10], "/"+Lost) {
		t.Errorf("order: %v", order[:11])
	}
	// Overall: five segments of one customer each; revenue 1555.
	for seg, rev := range map[string]string{Loyal: "165", New: "40", NeedAttention: "300", CantLoseThem: "50", Lost: "1000"} {
		r := got["all/-/"+seg]
		if r.customers != 1 || r.share != 0.2 || decimal.MustParse(r.revenue).Cmp(decimal.MustParse(rev)) != 0 {
			t.Errorf("all/%s: %+v", seg, r)
		}
		f, _ := decimal.MustParse(rev).Float64()
		if !r.revenueShare.Valid || r.revenueShare.Float64-f/1555 > 1e-12 || f/1555-r.revenueShare.Float64 > 1e-12 {
			t.Errorf("all/%s revenue share %v, want %v", seg, r.revenueShare, f/1555)
		}
	}
	if r := got["all/-/"+Champions]; r.customers != 0 || r.share != 0 || r.revenueShare.Float64 != 0 || r.position != 1 {
		t.Errorf("empty segment: %+v", r)
	}
	if r := got["marketplace/amazon_de/"+AtRisk]; r.customers != 1 || decimal.MustParse(r.revenue).Cmp(decimal.MustParse("50")) != 0 {
		t.Errorf("amazon_de At Risk: %+v", r)
	}

	// The summary of a stored RFM table is the same.
	rq, _ := Query(Options{AsOf: asOf, PeriodDays: 365, Cancellations: "cancellations", ByMarketplace: true})
	if _, err := db.Exec("CREATE TABLE rfm_result AS " + rq); err != nil {
		t.Fatal(err)
	}
	sq, err := SummaryOf("rfm_result")
	if err != nil {
		t.Fatal(err)
	}
	var n int64
	if err := db.QueryRow(`SELECT count(*) FROM ((` + sq + `) EXCEPT (` + q + `))`).Scan(&n); err != nil {
		t.Fatal(err)
	}
	if n != 0 {
		t.Errorf("SummaryOf differs from Summary in %d rows", n)
	}
}

func TestSegmentGrid(t *testing.T) {
	// Every cell named, every segment used, Lost only at 11.
	used := map[string]int{}
	for r := 1; r <= 5; r++ {
		for f := 1; f <= 5; f++ {
			s := Segment(r, f)
			if s == "" {
				t.Fatalf("cell %d%d unnamed", r, f)
			}
			used[s]++
		}
	}
	if len(used) != 11 || used[Lost] != 1 || Segment(1, 1) != Lost || used[Hibernating] != 3 {
		t.Errorf("segments used: %v", used)
	}
	for _, c := range []struct {
		r, f int
		want string
	}{{5, 5, Champions}, {5, 4, Champions}, {4, 5, Loyal}, {3, 4, Loyal}, {5, 1, New}, {4, 1, Promising},
		{4, 2, PotentialLoyalist}, {5, 3, PotentialLoyalist}, {3, 3, NeedAttention}, {3, 2, AboutToSleep},
		{2, 3, AtRisk}, {1, 4, AtRisk}, {2, 5, CantLoseThem}, {2, 2, Hibernating}, {1, 2, Hibernating}} {
		if got := Segment(c.r, c.f); got != c.want {
			t.Errorf("Segment(%d, %d) = %q, want %q", c.r, c.f, got, c.want)
		}
	}
	if Segment(0, 3) != "" || Segment(3, 6) != "" {
		t.Error("out-of-range scores named")
	}
}

func TestOptionsChecked(t *testing.T) {
	for _, o := range []Options{
		{},
		{AsOf: asOf, PeriodDays: -1},
		{AsOf: asOf, Orders: "orders; DROP TABLE x"},
		{AsOf: asOf, Refunds: "a b"},
		{AsOf: asOf, Cancellations: "c--"},
	} {
		if _, err := Query(o); err == nil {
			t.Errorf("Query(%+v) accepted", o)
		}
	}
	if _, err := SummaryOf(""); err == nil {
		t.Error("SummaryOf without a table accepted")
	}
	if _, err := Query(Options{AsOf: asOf, Orders: "main.orders_v"}); err != nil {
		t.Errorf("schema-qualified name refused: %v", err)
	}
}

// mapKV is the smallest profile.KV.
type mapKV map[string][]byte

func (m mapKV) Get(k []byte) ([]byte, error) { return m[string(k)], nil }
func (m mapKV) Set(k, v []byte) error        { m[string(k)] = bytes.Clone(v); return nil }
func (m mapKV) Delete(k []byte) error        { delete(m, string(k)); return nil }
func (m mapKV) Iterate(p []byte, fn func(k, v []byte) error) error {
	var keys []string
	for k := range m {
		if strings.HasPrefix(k, string(p)) {
			keys = append(keys, k)
		}
	}
	sort.Strings(keys)
	for _, k := range keys {
		if err := fn([]byte(k), m[k]); err != nil {
			return err
		}
	}
	return nil
}

// Over all history, RFM's frequency and monetary are the real-time
// profile's Orders and NetRevenueBase: the two definitions agree.
func TestAgreesWithProfiles(t *testing.T) {
	db := openFixture(t)
	got := runRFM(t, db, Options{AsOf: time.Date(2030, 1, 1, 0, 0, 0, 0, time.UTC), Cancellations: "cancellations"})
	k, kv := profile.New(profile.Config{}), mapKV{}
	owner := map[string]string{}
	var seq uint64
	ts := func(s string) time.Time {
		tm, err := time.Parse(time.DateTime, s)
		if err != nil {
			t.Fatal(err)
		}
		return tm
	}
	dec := func(s string) store.NullDecimal { return store.NullDecimal{D: decimal.MustParse(s), Valid: true} }
	send := func(pid string, p *store.Projected) {
		if _, err := k.Apply(kv, pid, p); err != nil {
			t.Fatal(err)
		}
	}
	for _, o := range fixtureOrders {
		seq++
		owner[o.store+"/"+o.id] = o.profile
		ev := &store.EventRow{Seq: seq, Type: segment.Track, Event: segment.OrderCompleted, Timestamp: ts(o.at)}
		send(o.profile, &store.Projected{Event: ev, Order: &store.OrderRow{Seq: seq, Store: o.store, OrderID: o.id,
			Event: segment.OrderCompleted, Timestamp: ts(o.at), Total: dec(o.total), TotalBase: dec(o.total),
			Status: o.status, Marketplace: o.market}})
	}
	for _, r := range fixtureRefunds {
		seq++
		ev := &store.EventRow{Seq: seq, MessageID: fmt.Sprint(seq), Type: segment.Track, Event: segment.OrderRefunded, Timestamp: ts(r.at)}
		send(owner[r.store+"/"+r.id], &store.Projected{Event: ev, Refund: &store.RefundRow{Seq: seq, Store: r.store, OrderID: r.id,
			MessageID: ev.MessageID, Timestamp: ts(r.at), Amount: dec(r.amount), AmountBase: dec(r.amount)}})
	}
	for _, c := range fixtureCancels {
		seq++
		ev := &store.EventRow{Seq: seq, Type: segment.Track, Event: segment.OrderCancelled, Timestamp: ts(c.at)}
		send(owner[c.store+"/"+c.id], &store.Projected{Event: ev, Cancel: &store.CancelRow{Seq: seq, Store: c.store, OrderID: c.id, Timestamp: ts(c.at)}})
	}
	for _, pid := range []string{"A", "B", "C", "D", "E"} {
		p, _, err := k.Load(kv, pid)
		if err != nil {
			t.Fatal(err)
		}
		r := got[pid+"/-"]
		if int64(p.Orders) != r.frequency || p.NetRevenueBase.Cmp(decimal.MustParse(r.monetary)) != 0 {
			t.Errorf("%s: profile %d orders, net %s; RFM %d, %s", pid, p.Orders, p.NetRevenueBase, r.frequency, r.monetary)
		}
	}
}

// Random data with many ties, scored by the SQL and by a direct Go
// rendering of the definition (rank = 1 + profiles with a worse value).
func TestScoresMatchDefinition(t *testing.T) {
	db := openFixture(t)
	if _, err := db.Exec("DELETE FROM orders; DELETE FROM refunds; DELETE FROM cancellations"); err != nil {
		t.Fatal(err)
	}
	type agg struct {
		last      time.Time
		freq      int64
		monetary  decimal.Decimal
		recency   int64
		r, f, m   int64
		hasOrders bool
	}
	r := newRand(99)
	profiles := map[string]*agg{}
	var values []string
	asOfDay := time.Date(2025, 1, 31, 0, 0, 0, 0, time.UTC)
	for i := range 1500 {
		pid := fmt.Sprintf("p%03d", r.IntN(300))
		at := asOfDay.Add(-time.Duration(r.IntN(60*24)) * time.Hour) // 60 days: many tied recencies
		total := decimal.MustNew(int64(r.IntN(5)*1000+1000), 2)      // five prices: many tied sums
		values = append(values, fmt.Sprintf("('%s', 's', 'o%d', '%s+00', %s, 'completed', 'm')", pid, i, at.Format(time.DateTime), total))
		a := profiles[pid]
		if a == nil {
			a = &agg{monetary: decimal.Zero}
			profiles[pid] = a
		}
		a.freq++
		a.monetary, _ = a.monetary.Add(total)
		if at.After(a.last) {
			a.last = at
		}
	}
	if _, err := db.Exec("INSERT INTO orders VALUES " + strings.Join(values, ", ")); err != nil {
		t.Fatal(err)
	}
	n := int64(len(profiles))
	for _, a := range profiles {
		a.recency = int64(asOfDay.Sub(time.Date(a.last.Year(), a.last.Month(), a.last.Day(), 0, 0, 0, 0, time.UTC)) / (24 * time.Hour))
	}
	score := func(worse int64) int64 { return 1 + 5*worse/n }
	for _, a := range profiles {
		var wr, wf, wm int64
		for _, b := range profiles {
			if b.recency > a.recency {
				wr++
			}
			if b.freq < a.freq {
				wf++
			}
			if b.monetary.Cmp(a.monetary) < 0 {
				wm++
			}
		}
		a.r, a.f, a.m = score(wr), score(wf), score(wm)
	}
	got := runRFM(t, db, Options{AsOf: asOf})
	if len(got) != len(profiles) {
		t.Fatalf("%d rows for %d profiles", len(got), len(profiles))
	}
	for pid, a := range profiles {
		g := got[pid+"/-"]
		if g.recency != a.recency || g.frequency != a.freq || g.r != a.r || g.f != a.f || g.m != a.m ||
			decimal.MustParse(g.monetary).Cmp(a.monetary) != 0 || g.segment != Segment(int(a.r), int(a.f)) {
			t.Errorf("%s: got %+v, want recency %d freq %d monetary %s scores %d%d%d", pid, g, a.recency, a.freq, a.monetary, a.r, a.f, a.m)
		}
	}
}

func newRand(seed uint64) *rand.Rand { return rand.New(rand.NewPCG(seed, seed)) }
