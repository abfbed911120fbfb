package profile

import (
	"encoding/json"
	"math/rand/v2"
	"reflect"
	"slices"
	"testing"
	"time"

	"github.com/govalues/decimal"

	"github.com/tradewind/tradewind/internal/segment"
	"github.com/tradewind/tradewind/internal/store"
)

// An order's life: completed, updated with a new total, refunded in part,
// and another order completed then cancelled, then refunded (a prepaid
// cancellation). Hand-computed: gross = 120 + 30.5 = 150.50 (order 3 is
// cancelled), refunds on counted orders = 20.25, net = 130.25,
// AOV = 150.50 / 2 = 75.25.
func TestOrderLifecycle(t *testing.T) {
	k, kv, m := New(Config{}), newMemKV(), &msg{}
	up := apply(t, k, kv, "p1",
		m.completed("o1", day(0), "100.00"),
		m.order(segment.OrderUpdated, "o1", day(0).Add(time.Hour), "120.00", ""),
		m.completed("o2", day(10), "30.50"),
		m.refund("o1", day(12), "20.25"),
		m.completed("o3", day(20), "999.99"),
		m.cancel("o3", day(20).Add(time.Hour)),
		m.refund("o3", day(21), "999.99"),
	)
	p := up.Profile
	if p.Orders != 2 || p.PricedOrders != 2 || p.CancelledOrders != 1 || p.UnpricedOrders != 0 {
		t.Fatalf("orders %d priced %d cancelled %d unpriced %d", p.Orders, p.PricedOrders, p.CancelledOrders, p.UnpricedOrders)
	}
	wantDec(t, "revenue", p.RevenueBase, "150.50")
	wantDec(t, "refunded", p.RefundedBase, "20.25")
	wantDec(t, "net", p.NetRevenueBase, "130.25")
	wantDec(t, "aov", p.AOVBase, "75.25")
	if p.Refunds != 1 || p.RefundedOrders != 1 {
		t.Errorf("refunds %d refunded orders %d, want 1 1", p.Refunds, p.RefundedOrders)
	}
	// The update's total wins; the placement time stays the completion's.
	if !p.FirstOrderAt.Equal(day(0)) || !p.LastOrderAt.Equal(day(10)) {
		t.Errorf("first/last order %v %v", p.FirstOrderAt, p.LastOrderAt)
	}
	if !p.FirstSeen.Equal(day(0)) || !p.LastSeen.Equal(day(21)) {
		t.Errorf("first/last seen %v %v", p.FirstSeen, p.LastSeen)
	}
	if !slices.Equal(p.Marketplaces, []string{"shopify_eu"}) || p.OrdersByMarketplace["shopify_eu"] != 2 {
		t.Errorf("marketplaces %v %v", p.Marketplaces, p.OrdersByMarketplace)
	}
	if !p.HasOrderInterval() || p.OrderIntervalDays != 10 {
		t.Errorf("interval %v %v", p.HasOrderInterval(), p.OrderIntervalDays)
	}
	if d, _ := p.DaysSinceLastOrder(day(15).Add(-9 * time.Hour)); d != 5 {
		t.Errorf("days since last order = %d, want 5", d)
	}

	// An older "Order Updated" arriving late does not undo the newer total.
	up = apply(t, k, kv, "p1", m.order(segment.OrderUpdated, "o1", day(0).Add(30*time.Minute), "110.00", ""))
	wantDec(t, "revenue after stale update", up.Profile.RevenueBase, "150.50")
	// A version after the cancellation does not revive the order.
	up = apply(t, k, kv, "p1", m.order(segment.OrderUpdated, "o3", day(22), "5.00", ""))
	if up.Profile.Orders != 2 {
		t.Errorf("cancelled order revived: %d orders", up.Profile.Orders)
	}
}

// A version whose status says cancelled cancels, like the store writer.
func TestCancelledStatus(t *testing.T) {
	k, kv, m := New(Config{}), newMemKV(), &msg{}
	o := m.completed("o1", day(0), "10")
	o.Order.Status = "canceled"
	p := apply(t, k, kv, "p", o).Profile
	if p.Orders != 0 || p.CancelledOrders != 1 {
		t.Fatalf("orders %d cancelled %d", p.Orders, p.CancelledOrders)
	}
}

// An order without a base amount (no exchange rate yet) counts as an order
// but stays out of every amount.
func TestUnpricedOrder(t *testing.T) {
	k, kv, m := New(Config{}), newMemKV(), &msg{}
	a := m.completed("o1", day(0), "10")
	b := m.completed("o2", day(1), "99")
	b.Order.TotalBase = store.NullDecimal{}
	p := apply(t, k, kv, "p", a, b, m.refund("o2", day(2), "")).Profile
	if p.Orders != 2 || p.PricedOrders != 1 || p.UnpricedOrders != 1 || p.Refunds != 1 {
		t.Fatalf("orders %d priced %d unpriced %d refunds %d", p.Orders, p.PricedOrders, p.UnpricedOrders, p.Refunds)
	}
	wantDec(t, "revenue", p.RevenueBase, "10")
	wantDec(t, "aov", p.AOVBase, "10")
}

// corpus is a profile's worth of messages touching every kind of fact.
func corpus() []*store.Projected {
	m := &msg{}
	return []*store.Projected{
		m.identify("amazon", day(0), `{"email":"tw1.AAAA","country":"gb","name":"Ann"}`, `{"locale":"en-GB"}`),
		m.identify("shopify", day(-5), `{"country":"DE","plan":"gold"}`, ""),
		m.page(day(1), `{"campaign":{"source":"newsletter","medium":"email"},"timezone":"Europe/Berlin","locale":"de-DE"}`),
		m.page(day(2), `{"campaign":{"source":"instagram"},"traits":{"plan":"silver"}}`),
		m.completed("o1", day(3), "40.00"),
		m.order(segment.OrderUpdated, "o1", day(3).Add(2*time.Hour), "42.50", "shopify_eu", 2),
		m.order(segment.OrderCompleted, "o2", day(10), "15.00", "tiktok_shop_uk", 1),
		m.completed("o3", day(10).Add(5*time.Hour), "7.25"),
		m.completed("o4", day(40), "60"),
		m.refund("o2", day(12), "15.00"),
		m.refund("o4", day(41), "10"),
		m.refund("o4", day(42), "5.5"),
		m.completed("o5", day(50), "12"),
		m.cancel("o5", day(51)),
		m.review("r1", day(13), "4"),
		m.review("r2", day(14), "5"),
		m.review("r1", day(15), "2"),
		m.review("r3", day(16), ""),
	}
}

// Hand-computed expectations for corpus, whatever the order of arrival.
func checkCorpus(t *testing.T, p *Profile) {
	t.Helper()
	// Orders o1..o4; o5 cancelled. Gross 42.50+15+7.25+60 = 124.75; refunds
	// 15 + 10 + 5.5 = 30.5; net 94.25; AOV 124.75/4 = 31.1875.
	if p.Orders != 4 || p.CancelledOrders != 1 || p.Refunds != 3 || p.RefundedOrders != 2 {
		t.Errorf("orders %d cancelled %d refunds %d refunded orders %d", p.Orders, p.CancelledOrders, p.Refunds, p.RefundedOrders)
	}
	wantDec(t, "revenue", p.RevenueBase, "124.75")
	wantDec(t, "refunded", p.RefundedBase, "30.5")
	wantDec(t, "net", p.NetRevenueBase, "94.25")
	wantDec(t, "aov", p.AOVBase, "31.1875")
	// Days 3, 10 (twice), 40: gaps 7, 30; median 18.5.
	if p.OrderDays != 3 || p.OrderIntervalDays != 18.5 {
		t.Errorf("order days %d interval %v", p.OrderDays, p.OrderIntervalDays)
	}
	if !slices.Equal(p.Marketplaces, []string{"shopify_eu", "tiktok_shop_uk"}) ||
		p.OrdersByMarketplace["shopify_eu"] != 3 || p.OrdersByMarketplace["tiktok_shop_uk"] != 1 {
		t.Errorf("marketplaces %v %v", p.Marketplaces, p.OrdersByMarketplace)
	}
	if !slices.Equal(p.Channels, []string{"email", "social"}) {
		t.Errorf("channels %v", p.Channels)
	}
	// r1's newer rating 2 replaces 4; r3 has none: (2+5)/2 = 3.5.
	if p.Reviews != 3 || p.RatedReviews != 2 {
		t.Errorf("reviews %d rated %d", p.Reviews, p.RatedReviews)
	}
	wantDec(t, "rating", p.RatingAvg, "3.5")
	// Both identifies are rank-equal (no precedence configured): the newer
	// (amazon, day 0) country wins; the page's context.traits plan (day 2)
	// is newest.
	if p.Country != "GB" || p.Language != "de" || p.TimeZone != "Europe/Berlin" {
		t.Errorf("country %q language %q tz %q", p.Country, p.Language, p.TimeZone)
	}
	if string(p.Traits["plan"]) != `"silver"` || string(p.Traits["email"]) != `"tw1.AAAA"` {
		t.Errorf("traits %s", mustJSON(p.Traits))
	}
	if !p.FirstSeen.Equal(day(-5)) || !p.LastSeen.Equal(day(51)) {
		t.Errorf("seen %v %v", p.FirstSeen, p.LastSeen)
	}
}

func mustJSON(v any) string {
	b, _ := json.Marshal(v)
	return string(b)
}

func TestCorpus(t *testing.T) {
	k, kv := New(Config{}), newMemKV()
	checkCorpus(t, apply(t, k, kv, "p", corpus()...).Profile)
}

// Any order of arrival, with any duplicates, lands on the same bytes.
func TestOrderIndependentAndIdempotent(t *testing.T) {
	k := New(Config{})
	msgs := corpus()
	ref := newMemKV()
	apply(t, k, ref, "p", msgs...)
	want := ref.state(k, "p")
	for seed := uint64(1); seed <= 200; seed++ {
		r := rand.New(rand.NewPCG(seed, 7))
		shuffled := slices.Clone(msgs)
		r.Shuffle(len(shuffled), func(i, j int) { shuffled[i], shuffled[j] = shuffled[j], shuffled[i] })
		for range 5 { // redeliveries
			shuffled = slices.Insert(shuffled, r.IntN(len(shuffled)+1), msgs[r.IntN(len(msgs))])
		}
		kv := newMemKV()
		up := apply(t, k, kv, "p", shuffled...)
		if got := kv.state(k, "p"); !reflect.DeepEqual(got, want) {
			// Deviations depend on arrival; corpus has too little history to cause any.
			t.Fatalf("seed %d: state differs", seed)
		}
		checkCorpus(t, up.Profile)
	}
	// A duplicate changes nothing.
	if up := apply(t, k, ref, "p", msgs[4]); up.Changed {
		t.Error("a redelivered message reported a change")
	}
}

// Merging two profiles equals one profile with all their messages, however
// the messages were split and whichever side survives.
func TestMergeExact(t *testing.T) {
	k := New(Config{SourcePrecedence: []string{"shopify"}})
	msgs := corpus()
	ref := newMemKV()
	want := apply(t, k, ref, "a", msgs...).Profile
	wantState := ref.state(k, "a")
	for seed := uint64(1); seed <= 50; seed++ {
		r := rand.New(rand.NewPCG(seed, 9))
		kv := newMemKV()
		for _, p := range msgs {
			switch r.IntN(3) {
			case 0:
				apply(t, k, kv, "a", p)
			case 1:
				apply(t, k, kv, "b", p)
			default: // both sides saw it (a shared anonymous id)
				apply(t, k, kv, "a", p)
				apply(t, k, kv, "b", p)
			}
		}
		into, from := "a", "b"
		if seed%2 == 0 {
			into, from = "b", "a"
		}
		got, err := k.Merge(kv, into, from)
		if err != nil {
			t.Fatal(err)
		}
		if st := kv.state(k, into); !reflect.DeepEqual(st, wantState) {
			t.Fatalf("seed %d: merged state differs", seed)
		}
		if len(kv.state(k, from)) != 0 {
			t.Fatalf("seed %d: merged-away profile still has state", seed)
		}
		got.ID = want.ID
		if !reflect.DeepEqual(got, want) {
			t.Fatalf("seed %d: merged profile\n%+v\nwant\n%+v", seed, got, want)
		}
	}
}

func TestTraitPrecedence(t *testing.T) {
	kinds := map[string]string{"shop-eu": "shopify", "amz-de": "amazon", "site": "web"}
	k := New(Config{SourcePrecedence: []string{"shopify", "amz-de"}, SourceKind: func(id string) string { return kinds[id] }})
	kv, m := newMemKV(), &msg{}
	p := apply(t, k, kv, "p",
		m.identify("shop-eu", day(0), `{"firstName":"Li","country":"CN","vip":true}`, ""),
		m.identify("amz-de", day(5), `{"firstName":"L.","country":"DE","phone":"tw1.BBBB"}`, ""),
		m.identify("site", day(9), `{"firstName":"Lee","newsletter":false}`, `{"traits":{"firstName":"ignored","tier":2}}`),
		m.identify("amz-de", day(7), `{"phone":"tw1.CCCC"}`, ""),
	).Profile
	want := map[string]string{
		"firstName":  `"Li"`,       // shopify (kind) beats newer amazon and web
		"country":    `"CN"`,       // likewise
		"vip":        `true`,       // raw JSON kept
		"phone":      `"tw1.CCCC"`, // same source: the newer version, encrypted as it came
		"newsletter": `false`,
		"tier":       `2`, // from context.traits
	}
	if len(p.Traits) != len(want) {
		t.Errorf("traits %s", mustJSON(p.Traits))
	}
	for key, v := range want {
		if string(p.Traits[key]) != v {
			t.Errorf("trait %s = %s, want %s", key, p.Traits[key], v)
		}
	}
	if p.Country != "CN" {
		t.Errorf("country %q", p.Country)
	}
}

// Explicit traits beat context hints whatever the times; hints fill in.
func TestPlace(t *testing.T) {
	k, m := New(Config{}), &msg{}
	kv := newMemKV()
	p := apply(t, k, kv, "p", m.page(day(0), `{"locale":"zh_Hant_TW.UTF-8","timezone":"Asia/Taipei"}`)).Profile
	if p.Country != "TW" || p.Language != "zh" || p.TimeZone != "Asia/Taipei" {
		t.Errorf("hints: %q %q %q", p.Country, p.Language, p.TimeZone)
	}
	p = apply(t, k, kv, "p", m.identify("s", day(-3), `{"address":{"country":"fr"},"locale":"fr-FR","timezone":"Europe/Paris"}`, "")).Profile
	if p.Country != "FR" || p.Language != "fr" || p.TimeZone != "Europe/Paris" {
		t.Errorf("traits over hints: %q %q %q", p.Country, p.Language, p.TimeZone)
	}
	// An encrypted country cannot be read; the hint stays in use.
	kv2 := newMemKV()
	p = apply(t, k, kv2, "p", m.page(day(0), `{"locale":"en-US"}`), m.identify("s", day(1), `{"country":"tw1.XXXX"}`, "")).Profile
	if p.Country != "US" || p.Language != "en" {
		t.Errorf("encrypted trait: %q %q", p.Country, p.Language)
	}
}

// Same-day orders are one purchase occasion; median of an odd number of gaps.
func TestOrderInterval(t *testing.T) {
	k, kv, m := New(Config{}), newMemKV(), &msg{}
	// Days 0, 0 (+5h), 4, 6, 16: gaps 4, 2, 10 -> median 4.
	p := apply(t, k, kv, "p",
		m.completed("a", day(0), "1"), m.completed("b", day(0).Add(5*time.Hour), "1"),
		m.completed("c", day(4), "1"), m.completed("d", day(6), "1"), m.completed("e", day(16), "1"),
	).Profile
	if p.OrderDays != 4 || p.OrderIntervalDays != 4 {
		t.Fatalf("order days %d interval %v", p.OrderDays, p.OrderIntervalDays)
	}
	// Mean (4+2+10)/3 = 16/3; sample variance ((4-16/3)²+(2-16/3)²+(10-16/3)²)/2 = (16+100+196)/9/2 = 52/3.
	if p.Intervals.N != 3 || !near(p.Intervals.Mean, 16.0/3) || !near(p.Intervals.Var(), 52.0/3) {
		t.Errorf("interval stats %+v var %v", p.Intervals, p.Intervals.Var())
	}
	// One order day: no interval.
	p = apply(t, k, newMemKV(), "q", m.completed("a", day(0), "1")).Profile
	if p.HasOrderInterval() {
		t.Error("interval with one order day")
	}
}

func near(a, b float64) bool { return a-b < 1e-9 && b-a < 1e-9 }

func TestAttrs(t *testing.T) {
	k, kv := New(Config{}), newMemKV()
	p := apply(t, k, kv, "p", corpus()...).Profile
	now := day(60)
	a := p.Attrs(now)
	want := map[string]any{
		AttrFirstSeen: day(-5), AttrLastSeen: day(51), AttrDaysSinceLastSeen: int64(9),
		AttrOrders: int64(4), AttrPricedOrders: int64(4), AttrUnpricedOrders: int64(0), AttrCancelledOrders: int64(1),
		AttrRevenueBase: decimal.MustParse("124.75"), AttrNetRevenueBase: decimal.MustParse("94.25"),
		AttrRefundedBase: decimal.MustParse("30.5"), AttrAOVBase: decimal.MustParse("31.1875"),
		AttrRefunds: int64(3), AttrRefundedOrders: int64(2),
		AttrMarketplaces: []string{"shopify_eu", "tiktok_shop_uk"}, AttrChannels: []string{"email", "social"},
		AttrCountry: "GB", AttrLanguage: "de", AttrTimeZone: "Europe/Berlin",
		AttrFirstOrderAt: day(3), AttrLastOrderAt: day(40), AttrDaysSinceLastOrder: int64(20),
		AttrOrderIntervalDays: 18.5, AttrReviews: int64(3), AttrRatingAvg: decimal.MustParse("3.5"),
	}
	if len(a) != len(want) {
		t.Errorf("attrs has %d keys, want %d: %v", len(a), len(want), a)
	}
	for key, w := range want {
		g, ok := a[key]
		if !ok {
			t.Errorf("attr %s missing", key)
			continue
		}
		switch w := w.(type) {
		case decimal.Decimal:
			if gd, ok := g.(decimal.Decimal); !ok || gd.Cmp(w) != 0 {
				t.Errorf("attr %s = %v (%T), want %v", key, g, g, w)
			}
		case time.Time:
			if gt, ok := g.(time.Time); !ok || !gt.Equal(w) {
				t.Errorf("attr %s = %v, want %v", key, g, w)
			}
		default:
			if !reflect.DeepEqual(g, w) {
				t.Errorf("attr %s = %v (%T), want %v (%T)", key, g, g, w, w)
			}
		}
	}
	// An empty profile: counts present, unknowns absent.
	e := (&Profile{}).Attrs(now)
	for _, key := range []string{AttrCountry, AttrAOVBase, AttrLastOrderAt, AttrDaysSinceLastOrder, AttrOrderIntervalDays, AttrRatingAvg, AttrFirstSeen} {
		if _, ok := e[key]; ok {
			t.Errorf("empty profile has %s", key)
		}
	}
	if e[AttrOrders] != int64(0) || len(e[AttrMarketplaces].([]string)) != 0 {
		t.Errorf("empty profile orders %v marketplaces %v", e[AttrOrders], e[AttrMarketplaces])
	}
}

func TestLoadResetNotFound(t *testing.T) {
	k, kv, m := New(Config{}), newMemKV(), &msg{}
	if _, ok, err := k.Load(kv, "nobody"); ok || err != nil {
		t.Fatalf("absent profile: ok %v err %v", ok, err)
	}
	apply(t, k, kv, "p", m.completed("o", day(0), "5"), m.identify("s", day(0), `{"a":1}`, ""))
	apply(t, k, kv, "p2", m.completed("o", day(0), "5"))
	p, ok, err := k.Load(kv, "p")
	if err != nil || !ok || p.Orders != 1 || string(p.Traits["a"]) != "1" {
		t.Fatalf("load: %v %v %+v", ok, err, p)
	}
	if err := k.Reset(kv, "p"); err != nil {
		t.Fatal(err)
	}
	if _, ok, _ := k.Load(kv, "p"); ok {
		t.Error("reset profile still found")
	}
	if _, ok, _ := k.Load(kv, "p2"); !ok {
		t.Error("reset removed another profile")
	}
	// A delivery without an event row changes nothing.
	up, err := k.Apply(kv, "p2", &store.Projected{Suppressed: true})
	if err != nil || up.Changed || up.Profile.Orders != 1 {
		t.Errorf("suppressed delivery: %+v %v", up, err)
	}
}

func TestCorruptState(t *testing.T) {
	k, kv, m := New(Config{}), newMemKV(), &msg{}
	apply(t, k, kv, "p", m.completed("o", day(0), "5"))
	key := string(partKey(profileKey(k.prefix, "p"), partCore))
	good := kv.m[key]
	for _, bad := range [][]byte{good[:len(good)-1], append([]byte{9}, good[1:]...), append(slices.Clone(good), 0)} {
		kv.m[key] = bad
		if _, _, err := k.Load(kv, "p"); err == nil {
			t.Errorf("corrupt state %x loaded", bad)
		}
	}
}

func TestChannel(t *testing.T) {
	for _, c := range []struct{ source, medium, want string }{
		{"google", "cpc", ChannelPaidSearch},
		{"facebook", "cpc", ChannelPaidSocial},
		{"tiktok", "paid-social", ChannelPaidSocial},
		{"klaviyo", "Email", ChannelEmail},
		{"instagram", "", ChannelSocial},
		{"google", "", ChannelOrganicSearch},
		{"creator_anna", "influencer", ChannelInfluencer},
		{"awin", "affiliate", ChannelAffiliate},
		{"partner.com", "referral", ChannelReferral},
		{"x", "weird", ChannelOther},
		{"", "", ""},
	} {
		if got := Channel(c.source, c.medium); got != c.want {
			t.Errorf("Channel(%q, %q) = %q, want %q", c.source, c.medium, got, c.want)
		}
	}
}

func TestMoneyUnits(t *testing.T) {
	for _, c := range []struct {
		in   string
		want int64
		ok   bool
	}{
		{"12.3456", 123456, true}, {"-0.5", -5000, true}, {"0.00005", 0, true}, {"0.00015", 2, true},
		{"922337203685477.5807", 9223372036854775807, true}, {"922337203685477.5808", 0, false},
	} {
		got, ok := toUnits(decimal.MustParse(c.in))
		if got != c.want || ok != c.ok {
			t.Errorf("toUnits(%s) = %d %v, want %d %v", c.in, got, ok, c.want, c.ok)
		}
	}
	if _, ok := addMoney(1<<62, 1<<62); ok {
		t.Error("overflow not reported")
	}
}

// One Keeper serves many goroutines (each with its own batch).
func TestConcurrentUse(t *testing.T) {
	k := New(Config{SourcePrecedence: []string{"shopify"}})
	msgs := corpus()
	done := make(chan *Profile)
	for g := range 8 {
		go func() {
			kv := newMemKV()
			var up Update
			for _, p := range msgs {
				var err error
				if up, err = k.Apply(kv, "p"+itoa(uint64(g)), p); err != nil {
					t.Error(err)
				}
			}
			done <- up.Profile
		}()
	}
	for range 8 {
		p := <-done
		if p.Orders != 4 || p.Country != "DE" {
			t.Errorf("profile %s: %d orders, country %q", p.ID, p.Orders, p.Country)
		}
	}
}

func TestMergeEdges(t *testing.T) {
	k, kv, m := New(Config{}), newMemKV(), &msg{}
	apply(t, k, kv, "a", m.completed("o1", day(0), "10"))
	// Into itself: nothing changes.
	p, err := k.Merge(kv, "a", "a")
	if err != nil || p.Orders != 1 {
		t.Fatalf("self merge: %+v %v", p, err)
	}
	// From a profile that does not exist.
	if p, err = k.Merge(kv, "a", "ghost"); err != nil || p.Orders != 1 {
		t.Fatalf("merge of nothing: %+v %v", p, err)
	}
	// Into a profile that does not exist: it takes everything.
	if p, err = k.Merge(kv, "b", "a"); err != nil || p.Orders != 1 || p.ID != "b" {
		t.Fatalf("merge into new: %+v %v", p, err)
	}
	if _, ok, _ := k.Load(kv, "a"); ok {
		t.Error("merged-away profile still found")
	}
}
