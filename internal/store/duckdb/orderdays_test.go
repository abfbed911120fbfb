package duckdb_test

import (
	"context"
	"fmt"
	"math"
	"math/rand/v2"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/tradewind/tradewind/internal/predict"
	"github.com/tradewind/tradewind/internal/predict/btyd"
	"github.com/tradewind/tradewind/internal/profile/rfm"
	"github.com/tradewind/tradewind/internal/store/duckdb"
)

// TestOrderDaysFollowTheOrders checks that predictions' snapshots and RFM
// read from the order days give exactly what they give from the orders view
// — every order of each profile as the identity mapping stands, a day
// shared by two identities of one profile counted once — through a merge
// and an unmerge (no refresh needed), new orders, a new version of an order
// that moves it to another identity, cancellations (by status and by the
// cancellations table), refunds, a changed amount, and deleted rows
// (erasure, retention), each followed by a refresh.
func TestOrderDaysFollowTheOrders(t *testing.T) {
	ctx := context.Background()
	s, err := duckdb.Open(ctx, duckdb.Config{Dir: t.TempDir(), BaseCurrency: "EUR"})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	db := s.SQL()
	exec := func(q string, args ...any) {
		t.Helper()
		if _, err := db.ExecContext(ctx, q, args...); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
	}
	asOf := time.Date(2026, 6, 30, 0, 0, 0, 0, time.UTC)
	seq := uint64(0)
	type ident struct{ user, anon string }
	// u1 also ordered as a guest from device a1 (one profile, two
	// identities); u2 sends its device id too (ignored: the user id
	// decides); a3 is a guest only.
	idents := []ident{{"u1", ""}, {"", "a1"}, {"u2", "a2"}, {"", "a3"}, {"u4", ""}, {"u5", ""}}
	exec(`INSERT INTO profile_users VALUES ('web', 'u1', 'p1'), ('web', 'u2', 'p2'), ('web', 'u4', 'p4'), ('web', 'u5', 'p5')`)
	exec(`INSERT INTO profile_anons VALUES ('a1', 'p1'), ('a3', 'p3')`)
	rng := rand.New(rand.NewPCG(1, 2))
	n := 0
	addOrder := func(id ident, at time.Time, total string, status, market string) string {
		t.Helper()
		n++
		seq++
		oid := fmt.Sprintf("o%d", n)
		var user, anon, tot any
		if id.user != "" {
			user = id.user
		}
		if id.anon != "" {
			anon = id.anon
		}
		if total != "" {
			tot = total
		}
		exec(`INSERT INTO order_rows (store, order_id, source_id, user_id, anonymous_id, "timestamp", currency, total, status,
			marketplace, base_currency, total_base, updated_at, message_id, seq, first_seq)
			VALUES ('shop', ?, 'web', ?, ?, ?, 'EUR', ?, ?, ?, 'EUR', ?, ?, ?, ?, ?)`,
			oid, user, anon, at, tot, status, market, tot, at, "m"+oid, seq, seq)
		return oid
	}
	addRefund := func(oid string, at time.Time, amount any) {
		seq++
		exec(`INSERT INTO refunds (store, order_id, source_id, message_id, "timestamp", currency, amount, base_currency, amount_base, seq)
			VALUES ('shop', ?, 'web', ?, ?, 'EUR', ?, 'EUR', ?, ?)`, oid, fmt.Sprintf("r%d", seq), at, amount, amount, seq)
	}
	addCancel := func(oid string, at time.Time) {
		seq++
		exec(`INSERT INTO cancellations (store, order_id, source_id, message_id, "timestamp", seq) VALUES ('shop', ?, 'web', ?, ?, ?)`,
			oid, fmt.Sprintf("c%d", seq), at, seq)
	}
	markets := []string{"amazon_de", "shopify_eu"}
	var orderIDs []string
	for _, id := range idents {
		day := asOf.AddDate(0, 0, -400+rng.IntN(30))
		for range 25 {
			if rng.IntN(10) > 0 { // else another order the same day
				day = day.AddDate(0, 0, 1+rng.IntN(20))
			}
			at := day.Add(time.Duration(rng.IntN(86400)) * time.Second)
			total := fmt.Sprintf("%d.%02d", 5+rng.IntN(200), rng.IntN(100))
			if rng.IntN(20) == 0 {
				total = "" // no exchange rate yet
			}
			status := "completed"
			switch rng.IntN(25) {
			case 0:
				status = "cancelled"
			case 1:
				status = "canceled"
			}
			oid := addOrder(id, at, total, status, markets[rng.IntN(2)])
			orderIDs = append(orderIDs, oid)
			if rng.IntN(8) == 0 {
				addRefund(oid, at.AddDate(0, 0, rng.IntN(60)), "3.50")
			}
			if rng.IntN(30) == 0 {
				addCancel(oid, at.AddDate(0, 0, rng.IntN(40)))
			}
		}
	}
	// u1 and u2 share a day, so that a merge of the two has one purchase
	// day fewer than their sum.
	shared := asOf.AddDate(0, 0, -5)
	addOrder(ident{"u1", ""}, shared.Add(9*time.Hour), "20", "completed", "amazon_de")
	addOrder(ident{"u2", ""}, shared.Add(15*time.Hour), "30", "completed", "amazon_de")

	refresh := func() {
		t.Helper()
		if _, err := s.RefreshOrderDays(ctx); err != nil {
			t.Fatal(err)
		}
	}
	// same reports the first difference between the two sources.
	same := func() error {
		for _, c := range []struct{ cutoff, window int }{{0, 0}, {90, 90}, {180, 90}} {
			cut := asOf.AddDate(0, 0, -c.cutoff)
			a, err := predict.ReadSnapshotFrom(ctx, s.Scan, predict.FromOrders, cut, c.window)
			if err != nil {
				t.Fatal(err)
			}
			b, err := predict.ReadSnapshotFrom(ctx, s.Scan, predict.FromOrderDays, cut, c.window)
			if err != nil {
				t.Fatal(err)
			}
			// The order days list customers in another order.
			ia, ib := slices.Clone(a.IDs), slices.Clone(b.IDs)
			slices.Sort(ia)
			slices.Sort(ib)
			if !slices.Equal(ia, ib) {
				return fmt.Errorf("cutoff %s: customers %v from the view, %v from the order days", cut.Format(time.DateOnly), ia, ib)
			}
			rb := map[string]predict.SnapshotRow{}
			for i, id := range b.IDs {
				rb[id] = b.Rows[i]
			}
			for i, id := range a.IDs {
				if d := rowDiff(a.Rows[i], rb[id]); d != "" {
					return fmt.Errorf("cutoff %s, %s: %s", cut.Format(time.DateOnly), id, d)
				}
			}
			// The lifetime-only read gives each source's summary, in the
			// same order.
			for _, sn := range []struct {
				src  predict.OrderSource
				snap *predict.Snapshot
			}{{predict.FromOrders, a}, {predict.FromOrderDays, b}} {
				l, err := predict.ReadLifetimeFrom(ctx, s.Scan, sn.src, cut, btyd.Week)
				if err != nil {
					t.Fatal(err)
				}
				want := sn.snap.Summary(btyd.Week)
				// Sums of amounts may add up in another order: the mean
				// spends agree to rounding.
				same := slices.EqualFunc(l.Customers, want.Customers, func(x, y btyd.Customer) bool {
					return x.X == y.X && x.Tx == y.Tx && x.T == y.T && math.Abs(x.Monetary-y.Monetary) <= 1e-12*math.Abs(y.Monetary)
				})
				if !slices.Equal(l.IDs, want.IDs) || !same || l.PurchaseDays > want.PurchaseDays {
					return fmt.Errorf("cutoff %s, source %d: lifetime read %v %v (%d days), snapshot %v %v (%d days)", cut.Format(time.DateOnly), sn.src,
						l.IDs, l.Customers, l.PurchaseDays, want.IDs, want.Customers, want.PurchaseDays)
				}
			}
			if !reflect.DeepEqual(a.FutureByDay, b.FutureByDay) {
				return fmt.Errorf("cutoff %s: purchases after it %v from the view, %v from the order days", cut.Format(time.DateOnly), a.FutureByDay, b.FutureByDay)
			}
		}
		for _, o := range []rfm.Options{
			{AsOf: asOf, PeriodDays: 365, Cancellations: "cancellations"},
			{AsOf: asOf, Cancellations: "cancellations", ByMarketplace: true},
			{AsOf: asOf.AddDate(0, 0, -100), PeriodDays: 200},
		} {
			a := rfmRows(t, s, o)
			o.OrderDays = true
			b := rfmRows(t, s, o)
			if !reflect.DeepEqual(a, b) {
				return fmt.Errorf("RFM %+v:\nview       %v\norder days %v", o, a, b)
			}
		}
		return nil
	}
	check := func(when string) {
		t.Helper()
		if err := same(); err != nil {
			t.Fatalf("%s: %v", when, err)
		}
	}
	refresh()
	check("first refresh")
	days := func(id string) int {
		sn, err := predict.ReadSnapshotFrom(ctx, s.Scan, predict.FromOrderDays, asOf, 0)
		if err != nil {
			t.Fatal(err)
		}
		for i, x := range sn.IDs {
			if x == id {
				return sn.Rows[i].OrderDays
			}
		}
		return 0
	}
	d1, d2 := days("p1"), days("p2")

	// A merge and an unmerge change the mapping only.
	exec(`UPDATE profile_users SET profile_id = 'p1' WHERE user_id = 'u2'`)
	check("merge")
	if got := days("p1"); got >= d1+d2 {
		t.Fatalf("merged profile: %d purchase days, want fewer than %d + %d (one day at least is shared)", got, d1, d2)
	}
	exec(`UPDATE profile_users SET profile_id = 'p2' WHERE user_id = 'u2'`)
	check("unmerge")

	// Changes to the orders: each needs the refresh.
	seq++
	exec(`UPDATE order_rows SET user_id = 'u4', seq = ? WHERE order_id = ?`, seq, orderIDs[80]) // a3's order, now signed in as u4
	seq++
	exec(`UPDATE order_rows SET total_base = total_base + 100, total = total + 100, seq = ? WHERE order_id = ?`, seq, orderIDs[10])
	exec(`UPDATE order_rows SET status = 'cancelled' WHERE order_id = ?`, orderIDs[20]) // as the writer cancels: seq unchanged
	addCancel(orderIDs[20], asOf.AddDate(0, 0, -1))
	addCancel(orderIDs[30], asOf.AddDate(0, 0, -2)) // arrived before its order: status not changed
	addRefund(orderIDs[40], asOf.AddDate(0, 0, -3), "7.25")
	addOrder(ident{"u5", ""}, asOf.Add(-time.Hour), "12", "completed", "shopify_eu")
	addOrder(ident{"u6", ""}, asOf.AddDate(0, 0, -3), "12", "completed", "shopify_eu") // a new identity, not yet mapped
	if same() == nil {
		t.Fatal("order days unchanged by the changes to the orders: the test would not see a missed refresh")
	}
	refresh()
	check("changes")
	exec(`INSERT INTO profile_users VALUES ('web', 'u6', 'p6')`)
	check("a new mapping")

	// Deletions: a person's orders, and everything before a day.
	exec(`DELETE FROM order_rows WHERE user_id = 'u2'`)
	exec(`DELETE FROM order_rows WHERE "timestamp" < ?`, asOf.AddDate(0, 0, -300))
	r, err := s.RefreshOrderDays(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if !r.Deletions {
		t.Error("refresh did not notice the deleted rows")
	}
	check("deletions")
	r, err = s.RefreshOrderDays(ctx)
	if err != nil || r.Days != 0 {
		t.Fatalf("a refresh with nothing new aggregated %d days (%v)", r.Days, err)
	}
}

func rowDiff(a, b predict.SnapshotRow) string {
	va, vb := reflect.ValueOf(a), reflect.ValueOf(b)
	for i := range va.NumField() {
		x, y := va.Field(i).Interface(), vb.Field(i).Interface()
		if fx, ok := x.(float64); ok {
			fy := y.(float64)
			if (math.IsNaN(fx) && math.IsNaN(fy)) || math.Abs(fx-fy) <= 1e-9*math.Max(1, math.Abs(fx)) {
				continue
			}
		} else if x == y {
			continue
		}
		return fmt.Sprintf("%s %v from the view, %v from the order days", va.Type().Field(i).Name, x, y)
	}
	return ""
}

func rfmRows(t *testing.T, s *duckdb.DB, o rfm.Options) []string {
	t.Helper()
	q, err := rfm.Query(o)
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	err = s.Scan(context.Background(), `SELECT profile_id, scope, coalesce(marketplace, '-'), recency_days, frequency,
		CAST(monetary AS DECIMAL(18,4)), rfm, segment FROM (`+q+`) ORDER BY 1, 2, 3`, nil, func(r []any) error {
		parts := make([]string, len(r))
		for i, v := range r {
			parts[i] = fmt.Sprint(v)
		}
		out = append(out, strings.Join(parts, " "))
		return nil
	})
	if err != nil {
		t.Fatalf("%v\n%s", err, q)
	}
	return out
}
