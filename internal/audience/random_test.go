package audience

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/govalues/decimal"
)

// A property-based test: random rules over random fixtures, the events
// applied in a random log order with redeliveries, profiles that start
// apart and are merged, evaluations at intermediate clocks that trim the
// state, and then the Go memberships compared with DuckDB's at several
// clocks, one of them exactly the instant Evaluate said something would
// change.

type gen struct {
	r    *rand.Rand
	base time.Time
}

func (g *gen) pick(xs ...string) string { return xs[g.r.IntN(len(xs))] }

func (g *gen) chance(p float64) bool { return g.r.Float64() < p }

var genWindows = []time.Duration{time.Hour, day, 7 * day, 30 * day, 90 * day}

// instant returns a time near the base, often exactly on a window edge.
func (g *gen) instant() time.Time {
	switch g.r.IntN(6) {
	case 0:
		w := genWindows[g.r.IntN(len(genWindows))]
		return g.base.Add(-w + time.Duration(g.r.IntN(3)-1)*time.Microsecond)
	case 1:
		return g.base.Add(time.Duration(g.r.IntN(3)-1) * time.Microsecond)
	case 2:
		return g.base.Add(time.Duration(g.r.IntN(48)) * time.Hour) // after the first clock
	default:
		return g.base.Add(-time.Duration(g.r.Int64N(int64(120 * day))))
	}
}

func (g *gen) fixture() *fixture {
	fx := &fixture{}
	for i := range 10 {
		a := Attrs{}
		if g.chance(0.75) {
			a["country"] = StringValue(g.pick("DE", "de", "AT", "FR", "Österreich", "", "D", "E"))
		}
		if g.chance(0.75) {
			a["email"] = StringValue(g.pick("a@x.com", "A@x.com", "b@y.org", "", "a"))
		}
		if g.chance(0.75) {
			a["orders"] = IntValue(int64(g.r.IntN(6)))
		}
		if g.chance(0.75) {
			a["revenue"] = NumberValue(decimal.MustParse(g.pick("0", "19.9", "19.90", "19.99", "-5.5", "100", "12345678901234.5678", "0.0001")))
		}
		if g.chance(0.75) {
			a["vip"] = BoolValue(g.chance(0.5))
		}
		if g.chance(0.75) {
			a["last_order_at"] = TimeValue(g.instant())
		}
		if g.chance(0.75) {
			var l []string
			for _, m := range []string{"amazon_de", "amazon_us", "shopify_eu"} {
				if g.chance(0.4) {
					l = append(l, m)
				}
			}
			a["marketplaces"] = ListValue(l)
		}
		fx.profiles = append(fx.profiles, fxProfile{id: fmt.Sprintf("p%02d", i), attrs: a})
	}
	for range 20 + g.r.IntN(40) {
		// Some times have nanoseconds: both sides truncate to microseconds.
		e := Event{Profile: fx.profiles[g.r.IntN(len(fx.profiles))].id, At: g.instant().Add(time.Duration(g.r.IntN(2)*g.r.IntN(1000)) * time.Nanosecond)}
		switch g.r.IntN(10) {
		case 0, 1:
			e.Type, e.Name = EventPage, g.pick("Pricing", "Home", "")
		case 2:
			e.Type, e.Name = EventScreen, g.pick("Home", "Cart")
		default:
			e.Type, e.Name = EventTrack, g.pick("Order Completed", "Order Completed", "Product Viewed", "Order Refunded")
		}
		e.Props = g.props()
		fx.events = append(fx.events, e)
	}
	return fx
}

func (g *gen) props() []byte {
	switch g.r.IntN(30) {
	case 0:
		return nil
	case 1:
		return []byte(`[1,2]`)
	case 2:
		return []byte(`null`)
	}
	var parts []string
	add := func(k, v string) {
		if g.chance(0.5) {
			parts = append(parts, fmt.Sprintf("%q:%s", k, v))
		}
	}
	add("marketplace", g.pick(`"amazon_de"`, `"AMAZON_DE"`, `"shopify_eu"`, `null`, `5`, `""`, `"amazon_d\u00e9"`))
	add("total", g.pick(`19.99`, `19.990`, `19.9`, `1e1`, `10`, `-0`, `0.1`, `1e-7`, `100`, `1E2`, `12345678901234567.89`,
		`9223372036854775807`, `9223372036854775808`, `18446744073709551616`, `99999999999999999999`, `1.5e-25`,
		`0.30000000000000004`, `-5.5`, `"19.99"`, `null`, `true`))
	add("tags", g.pick(`["sale","gift"]`, `[1,"sale"]`, `["Sale"]`, `"sale"`, `[]`, `"on sale"`, `[["sale"]]`))
	add("product", g.pick(`{"category":"tents"}`, `{"category":5}`, `"tents"`, `{"category":null}`))
	add("tax_included", g.pick(`true`, `false`, `"true"`))
	add("odd key", g.pick(`1`, `"1"`))
	add("currency", g.pick(`"EUR"`, `"eur"`))
	if g.chance(0.2) { // a key written with an escape means the same key
		parts = append(parts, `"curr\u0065ncy":"EUR"`)
	}
	return []byte("{" + strings.Join(parts, ",") + "}")
}

// traitLit returns a literal for a trait condition on attribute a with op.
func (g *gen) traitValue(typ Type) Literal {
	switch typ {
	case String:
		return StringLit(g.pick("DE", "de", "AT", "Österreich", "", "D", "E", "a@x.com", "x.com", "a"))
	case Number:
		return NumberLit(decimal.MustParse(g.pick("0", "1", "2", "3", "2.5", "-1")))
	case Decimal:
		return NumberLit(decimal.MustParse(g.pick("0", "19.9", "19.90", "19.99", "-5.5", "100", "12345678901234.5678", "0.0001", "12345678901234.5677")))
	case Bool:
		return BoolLit(g.chance(0.5))
	case Time:
		if g.chance(0.6) {
			return StringLit(g.pick("-1d", "-7d", "-30d", "-90d", "+0d", "+1d", "-1h", "+2h"))
		}
		return StringLit(g.instant().Format(time.RFC3339Nano))
	case StringList:
		return StringLit(g.pick("amazon_de", "amazon_us", "shopify_eu", "x"))
	}
	panic("type")
}

var genAttrs = []string{"country", "email", "orders", "revenue", "vip", "last_order_at", "marketplaces"}

func (g *gen) trait() Rule {
	a := genAttrs[g.r.IntN(len(genAttrs))]
	typ := testSchema.Attrs[a]
	ops := traitOps[typ]
	op := ops[g.r.IntN(len(ops))]
	t := TraitCond{Attr: a, Op: op}
	switch op {
	case OpExists, OpNotExists:
	case OpIn, OpNotIn:
		n := 1 + g.r.IntN(3)
		var items []Literal
		for range n {
			items = append(items, g.traitValue(typ))
		}
		t.Value = ListLit(items...)
	case OpBetween:
		t.Value = ListLit(g.traitValue(typ), g.traitValue(typ))
	default:
		t.Value = g.traitValue(typ)
	}
	return t
}

func (g *gen) prop() PropCond {
	p := PropCond{Property: g.pick("marketplace", "total", "tags", "product.category", "tax_included", "odd key", "currency", "missing", "product")}
	kind := g.r.IntN(3)
	val := func() Literal {
		switch kind {
		case 0:
			return StringLit(g.pick("amazon_de", "AMAZON_DE", "shopify_eu", "sale", "tents", "EUR", "", "19.99", "amazon"))
		case 1:
			return NumberLit(decimal.MustParse(g.pick("0", "0.1", "19.9", "19.99", "100", "-5.5", "9223372036854775807", "0.0000001", "10", "0.3")))
		}
		return BoolLit(g.chance(0.5))
	}
	var ops []Op
	switch kind {
	case 0:
		ops = []Op{OpEq, OpNe, OpIn, OpNotIn, OpGt, OpGte, OpLt, OpLte, OpBetween, OpContains, OpStartsWith, OpExists, OpNotExists}
	case 1:
		ops = []Op{OpEq, OpNe, OpIn, OpNotIn, OpGt, OpGte, OpLt, OpLte, OpBetween, OpExists, OpNotExists}
	default:
		ops = []Op{OpEq, OpNe}
	}
	p.Op = ops[g.r.IntN(len(ops))]
	switch p.Op {
	case OpExists, OpNotExists:
	case OpIn, OpNotIn:
		p.Value = ListLit(val(), val())
	case OpBetween:
		p.Value = ListLit(val(), val())
	default:
		p.Value = val()
	}
	return p
}

func (g *gen) event() Rule {
	e := EventCond{}
	switch g.r.IntN(10) {
	case 0, 1:
		e.Type, e.Name = EventPage, g.pick("Pricing", "", "Home")
	case 2:
		e.Type, e.Name = EventScreen, g.pick("Home", "")
	default:
		e.Type, e.Name = EventTrack, g.pick("Order Completed", "Order Completed", "Product Viewed", "Order Refunded")
	}
	for range g.r.IntN(3) {
		e.Where = append(e.Where, g.prop())
	}
	op := countOps[g.r.IntN(len(countOps))]
	e.Count = CountCond{Op: op, Value: int64(g.r.IntN(4))}
	if op == OpBetween {
		e.Count.Upper = e.Count.Value + int64(g.r.IntN(3))
	}
	if g.chance(0.6) {
		e.Within = genWindows[g.r.IntN(len(genWindows))]
	}
	return e
}

func (g *gen) rule(depth, self int) Rule {
	if depth > 0 && g.chance(0.45) {
		switch g.r.IntN(3) {
		case 0:
			return Not{Rule: g.rule(depth-1, self)}
		default:
			kids := make([]Rule, 2+g.r.IntN(2))
			for i := range kids {
				kids[i] = g.rule(depth-1, self)
			}
			if g.chance(0.5) {
				return And(kids)
			}
			return Or(kids)
		}
	}
	switch {
	case self > 0 && g.chance(0.12):
		return InSegment{ID: fmt.Sprintf("s%d", g.r.IntN(self))}
	case g.chance(0.5):
		return g.event()
	}
	return g.trait()
}

func TestRandomAgreement(t *testing.T) {
	cases := 300
	if testing.Short() {
		cases = 40
	}
	db := openDB(t)
	defer func() { trimSlack = 16 }()
	segsChecked, mixed, diffs := 0, 0, 0
	for c := 0; c < cases && diffs < 5; c++ {
		g := &gen{r: rand.New(rand.NewPCG(uint64(c), 7)),
			base: time.Date(2026, time.March, 31, 12, 0, 0, 0, time.UTC).Add(time.Duration(rand.New(rand.NewPCG(uint64(c), 8)).Int64N(int64(time.Hour))) / 1000 * 1000)}
		fx := g.fixture()
		var segs []Segment
		for i := range 6 {
			segs = append(segs, Segment{ID: fmt.Sprintf("s%d", i), Rule: g.rule(2, i)})
		}
		e := New(testSchema)
		if err := e.Set(segs); err != nil {
			t.Fatalf("case %d: %v", c, err)
		}
		fx.load(t, db)

		// The log: events in a random order (timestamps out of order), each
		// with its position as Seq; some profiles' events arrive first under
		// an alias that is merged later; some messages are delivered twice;
		// now and then a profile is evaluated at an earlier clock, which
		// trims its state.
		kv := &MemKV{}
		order := g.r.Perm(len(fx.events))
		alias := map[string]bool{}
		for _, p := range fx.profiles {
			if g.chance(0.3) {
				alias[p.id] = true
			}
		}
		attrsOf := map[string]Attrs{}
		for _, p := range fx.profiles {
			attrsOf[p.id] = p.attrs
		}
		// Intermediate clocks rise through the delivery, all before the
		// first final clock; in half the cases the state is trimmed at
		// every chance, so that the watermark logic is exercised hard.
		start := g.base.Add(-time.Duration(g.r.Int64N(int64(5 * day))))
		if c%2 == 1 {
			trimSlack = -1 << 30
		} else {
			trimSlack = 16
		}
		var delivered []Event
		for pos, i := range order {
			early := start.Add(time.Duration(pos) * g.base.Sub(start) / time.Duration(len(order)))
			ev := fx.events[i]
			ev.Seq = uint64(pos + 1)
			if alias[ev.Profile] && g.chance(0.5) {
				ev.Profile += "~alias"
			}
			if alias[strings.TrimSuffix(ev.Profile, "~alias")] && g.chance(0.1) {
				p := strings.TrimSuffix(ev.Profile, "~alias")
				if err := e.Merge(kv, p, p+"~alias"); err != nil {
					t.Fatal(err)
				}
				delete(alias, p)
				ev.Profile = p
			}
			if g.chance(0.2) { // the profile engine's usual call: record and evaluate
				if _, _, err := e.Apply(kv, ev, attrsOf[ev.Profile], early); err != nil {
					t.Fatal(err)
				}
			} else if err := e.OnEvent(kv, ev); err != nil {
				t.Fatal(err)
			}
			delivered = append(delivered, ev)
			if g.chance(0.1) { // a redelivery of some earlier message
				old := delivered[g.r.IntN(len(delivered))]
				if !alias[strings.TrimSuffix(old.Profile, "~alias")] {
					old.Profile = strings.TrimSuffix(old.Profile, "~alias")
				}
				if err := e.OnEvent(kv, old); err != nil {
					t.Fatal(err)
				}
			}
			if g.chance(0.15) {
				p := fx.profiles[g.r.IntN(len(fx.profiles))].id
				if _, _, err := e.Evaluate(kv, p, attrsOf[p], early); err != nil {
					t.Fatal(err)
				}
			}
		}
		for p := range alias {
			if err := e.Merge(kv, p, p+"~alias"); err != nil {
				t.Fatal(err)
			}
		}

		// Three clocks: the base; the earliest instant any profile said it
		// would change (or a day on); two days after that.
		clocks := []time.Time{g.base}
		for k := 0; k < 3; k++ {
			now := clocks[k]
			goM, next := goMembers(t, e, kv, fx, now)
			for _, s := range segs {
				segsChecked++
				sqlM := sqlMembers(t, db, e, s.ID, now)
				if len(sqlM) > 0 && len(sqlM) < len(fx.profiles) {
					mixed++
				}
				if !slices.Equal(goM[s.ID], sqlM) {
					diffs++
					t.Errorf("case %d, clock %s, segment %s: %s\n   Go  %v\n   SQL %v", c, now.Format(time.RFC3339Nano), s.ID, Format(s.Rule), goM[s.ID], sqlM)
				}
			}
			// Nothing changes before nextChange: SQL one microsecond before
			// it agrees with Go now, for one profile.
			p := fx.profiles[g.r.IntN(len(fx.profiles))].id
			if n := next[p]; !n.IsZero() {
				if !n.After(now) {
					t.Fatalf("case %d: next change %v not after %v", c, n, now)
				}
				for _, s := range segs {
					before := slices.Contains(sqlMembers(t, db, e, s.ID, n.Add(-time.Microsecond)), p)
					if before != slices.Contains(goM[s.ID], p) {
						diffs++
						t.Errorf("case %d: %s of %s changed before the next change %v", c, s.ID, p, n)
					}
				}
			}
			if k == 2 {
				break
			}
			soonest := time.Time{}
			for _, n := range next {
				if !n.IsZero() && (soonest.IsZero() || n.Before(soonest)) {
					soonest = n
				}
			}
			if k == 0 && !soonest.IsZero() {
				clocks = append(clocks, soonest)
			} else {
				clocks = append(clocks, now.Add(2*day))
			}
		}
	}
	t.Logf("%d cases, %d segments compared at a clock (×10 profiles), %d of them with some members and some not", cases, segsChecked, mixed)
	if mixed < segsChecked/4 {
		t.Errorf("too few segments split the profiles: the test is too weak")
	}
}
