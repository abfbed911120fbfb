package audience

import (
	"fmt"
	"testing"
	"time"

	"github.com/govalues/decimal"
)

// benchSegments returns 50 segments of the kinds a seller defines: trait
// filters, event counts in windows with property conditions, all-time
// counts, page views, and segments built from other segments.
func benchSegments(tb testing.TB) []Segment {
	var rules []string
	markets := []string{"amazon_de", "amazon_us", "amazon_jp", "shopify_eu", "tiktok_uk"}
	for i, m := range markets {
		rules = append(rules,
			fmt.Sprintf(`country = %q and orders >= %d`, []string{"DE", "US", "JP", "FR", "GB"}[i], i+1),
			fmt.Sprintf(`marketplaces contains %q and revenue between %d and 1000.50`, m, 10*i),
			fmt.Sprintf(`event "Order Completed" where affiliation = %q count >= 2 within 90d`, m),
			fmt.Sprintf(`event "Order Completed" where affiliation = %q, revenue >= 50 within 180d`, m),
			fmt.Sprintf(`event "Product Viewed" where category = %q count >= 3 within 7d`, []string{"Apparel", "Bags", "Camp & Home", "Drinkware", "Travel"}[i]),
			fmt.Sprintf(`last_order_at < -%dd and orders >= 1`, 30*(i+1)),
		)
	}
	rules = append(rules,
		`event "Order Completed" count = 0 within 30d and event "Product Added" within 30d`,
		`event "Order Completed" count >= 5`,
		`event "Order Completed"`,
		`page "Product" count >= 10 within 30d`,
		`page "Pricing" within 7d`,
		`event "Order Refunded" within 365d`,
		`event "Product Reviewed" where rating <= 2`,
		`event "Checkout Started" within 1d and not event "Order Completed" within 1d`,
		`vip = true or revenue > 500`,
		`email exists and email contains "@example."`,
	)
	var segs []Segment
	for i, src := range rules {
		r, err := ParseText(src)
		if err != nil {
			tb.Fatalf("%s: %v", src, err)
		}
		segs = append(segs, Segment{ID: fmt.Sprintf("s%02d", i), Rule: r})
	}
	for i := len(segs); i < 50; i++ {
		a, b := segs[(i*7)%len(rules)].ID, segs[(i*13+3)%len(rules)].ID
		r := Or{And{InSegment{ID: a}, Not{Rule: InSegment{ID: b}}}, TraitCond{Attr: "country", Op: OpIn, Value: ListLit(StringLit("AT"), StringLit("CH"))}}
		segs = append(segs, Segment{ID: fmt.Sprintf("s%02d", i), Rule: r})
	}
	return segs
}

var benchSchema = Schema{Attrs: map[string]Type{
	"country": String, "email": String, "orders": Number, "revenue": Decimal, "vip": Bool,
	"last_order_at": Time, "marketplaces": StringList,
}}

const (
	benchViewed = `{"product_id":"kl_1053","sku":"KL-APP-023-SAN","category":"Apparel","name":"Sun Hat – Sand","brand":"Kiteline","variant":"Sand","price":33.80,"currency":"EUR"}`
	benchOrder  = `{"order_id":"502-2889228-3911144","affiliation":"amazon_de","subtotal":119.80,"total":119.80,"revenue":108.91,"shipping":0,"tax":0,"discount":0,"currency":"EUR","tax_included":true,"vat":10.89,"products":[{"product_id":"kl_1039","sku":"KL-APP-016-YEL","name":"Packable Rain Jacket – Yellow","category":"Apparel","price":119.80,"quantity":1,"position":1}]}`
)

// benchRun applies one event and evaluates the profile, the clock moving
// step per iteration: a profile seen every step, in steady state.
func benchRun(b *testing.B, step time.Duration, apply bool) {
	e := New(benchSchema)
	if err := e.Set(benchSegments(b)); err != nil {
		b.Fatal(err)
	}
	kv := &MemKV{}
	p := Attrs{
		"country": StringValue("DE"), "email": StringValue("anna@example.com"), "orders": IntValue(7),
		"revenue": NumberValue(mustDec("412.30")), "vip": BoolValue(false), "last_order_at": TimeValue(t0.Add(-40 * day)),
		"marketplaces": ListValue([]string{"amazon_de", "shopify_eu"}),
	}
	clock := t0
	var seq uint64
	step1 := func() {
		seq++
		clock = clock.Add(step)
		ev := Event{Profile: "anna", Type: EventTrack, Name: "Product Viewed", Props: []byte(benchViewed), At: clock, Seq: seq}
		switch seq % 10 {
		case 0:
			ev.Name, ev.Props = "Order Completed", []byte(benchOrder)
		case 5:
			ev.Type, ev.Name, ev.Props = EventPage, "Product", nil
		}
		if apply {
			if _, _, err := e.Apply(kv, ev, p, clock); err != nil {
				b.Fatal(err)
			}
			return
		}
		if err := e.OnEvent(kv, ev); err != nil {
			b.Fatal(err)
		}
		if _, _, err := e.Evaluate(kv, "anna", p, clock); err != nil {
			b.Fatal(err)
		}
	}
	for range 2000 { // fill the windows
		step1()
	}
	b.ReportAllocs()
	b.ResetTimer()
	cpu := processCPU()
	n := 0
	for b.Loop() {
		step1()
		n++
	}
	if cpu > 0 {
		b.ReportMetric(float64(processCPU()-cpu)/float64(n), "cpu-ns/op")
	}
	_, size := kv.Len()
	b.ReportMetric(float64(size), "state-bytes")
}

// BenchmarkOnEventEvaluate: one event and one evaluation of 50 segments for
// a profile active every 6 hours (about 120 product views in a 30-day
// window).
func BenchmarkOnEventEvaluate(b *testing.B) { benchRun(b, 6*time.Hour, false) }

// BenchmarkApply: the same event and evaluation through Apply, which reads
// and writes the state once.
func BenchmarkApply(b *testing.B) { benchRun(b, 6*time.Hour, true) }

// BenchmarkOnEventEvaluateHeavy: the same for a profile active every hour
// (about 650 product views in the 30-day window, 220 orders in 90 days).
func BenchmarkOnEventEvaluateHeavy(b *testing.B) { benchRun(b, time.Hour, false) }

// BenchmarkApplyHeavy: the heavy profile through Apply.
func BenchmarkApplyHeavy(b *testing.B) { benchRun(b, time.Hour, true) }

// BenchmarkEvaluate: a timer firing: one evaluation of 50 segments, no
// event.
func BenchmarkEvaluate(b *testing.B) {
	e := New(benchSchema)
	if err := e.Set(benchSegments(b)); err != nil {
		b.Fatal(err)
	}
	kv := &MemKV{}
	for i := range 500 {
		ev := Event{Profile: "anna", Type: EventTrack, Name: "Product Viewed", Props: []byte(benchViewed), At: t0.Add(time.Duration(i) * 6 * time.Hour), Seq: uint64(i + 1)}
		if i%10 == 0 {
			ev.Name, ev.Props = "Order Completed", []byte(benchOrder)
		}
		if err := e.OnEvent(kv, ev); err != nil {
			b.Fatal(err)
		}
	}
	now := t0.Add(500 * 6 * time.Hour)
	p := Attrs{"country": StringValue("DE"), "orders": IntValue(7), "last_order_at": TimeValue(t0)}
	b.ReportAllocs()
	for b.Loop() {
		if _, _, err := e.Evaluate(kv, "anna", p, now); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkOnEventUnmatched: an event no condition counts costs a lookup.
func BenchmarkOnEventUnmatched(b *testing.B) {
	e := New(benchSchema)
	if err := e.Set(benchSegments(b)); err != nil {
		b.Fatal(err)
	}
	kv := &MemKV{}
	ev := Event{Profile: "anna", Type: EventTrack, Name: "Products Searched", Props: []byte(`{"query":"tent"}`), At: t0, Seq: 1}
	b.ReportAllocs()
	for b.Loop() {
		if err := e.OnEvent(kv, ev); err != nil {
			b.Fatal(err)
		}
	}
}

func mustDec(s string) decimal.Decimal { return decimal.MustParse(s) }
