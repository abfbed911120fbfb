package audience

import (
	"context"
	"encoding/json"
	"slices"
	"sort"
	"testing"
	"time"

	"github.com/govalues/decimal"
	"github.com/tradewind/tradewind/internal/demo"
)

// TestDemoReplay is the acceptance check at this package's level: replay the
// demo history through the real-time engine — in log order, with the demo's
// alias calls merging anonymous visitors into registered users — and the
// memberships of realistic segments equal what the SQL finds in DuckDB over
// the same events, at the end of the history and later, as windows slide.
//
// Profiles here are one per source and user (identity resolution is not
// this package's); the alias merges stand in for it.
func TestDemoReplay(t *testing.T) {
	people := 400
	if testing.Short() {
		people = 100
	}
	cfg := demo.Config{Seed: 42, People: people}
	type message struct {
		Type        string          `json:"type"`
		UserID      string          `json:"userId"`
		AnonymousID string          `json:"anonymousId"`
		PreviousID  string          `json:"previousId"`
		Event       string          `json:"event"`
		Name        string          `json:"name"`
		Timestamp   time.Time       `json:"timestamp"`
		Properties  json.RawMessage `json:"properties"`
		Context     struct {
			Location struct {
				Country string `json:"country"`
			} `json:"location"`
		} `json:"context"`
	}
	e := New(Schema{Attrs: map[string]Type{
		"country": String, "orders": Number, "revenue": Decimal, "last_order_at": Time, "marketplaces": StringList,
	}})
	rules := map[string]string{
		"de_buyers":  `country = "DE" and event "Order Completed" within 90d`,
		"repeat":     `event "Order Completed" count >= 2 within 180d`,
		"lapsed":     `orders >= 1 and last_order_at < -90d`,
		"big":        `event "Order Completed" where revenue >= 100`,
		"abandoners": `event "Product Added" within 30d and not event "Order Completed" within 30d`,
		"browsers":   `page "Product" count >= 3 within 7d or screen within 7d`,
		"tiktok":     `event "Order Completed" where affiliation contains "TikTok"`,
		"refunders":  `event "Order Refunded" where partial = true within 365d`,
		"vip":        `in segment "repeat" and in segment "big" and not in segment "refunders"`,
		"unhappy":    `event "Product Reviewed" where rating <= 2`,
		"eur_1to3":   `event "Order Completed" where currency = "EUR" count between 1 and 3`,
		"vat":        `event "Order Completed" where tax_included = true, vat > 10 within 60d`,
		"multi":      `marketplaces contains "amazon_de" and marketplaces not in ["amazon_jp"]`,
		"jp_or_uk":   `country in ["JP", "GB"] and revenue > 50.5`,
		"no_orders":  `not event "Order Completed" and event "Products Searched" where query exists`,
	}
	mustSegs(t, e, rules)

	kv := &MemKV{}
	parent := map[string]string{} // merged-away profile → the one it went into
	var canon func(string) string
	canon = func(id string) string {
		if p, ok := parent[id]; ok {
			r := canon(p)
			parent[id] = r
			return r
		}
		return id
	}
	type rec struct {
		ev      Event
		country string
		source  string
	}
	var recs []rec
	var seq uint64
	_, err := demo.Generate(context.Background(), cfg, func(source string, raw []byte) error {
		seq++
		var m message
		if err := json.Unmarshal(raw, &m); err != nil {
			return err
		}
		id := m.UserID
		if id == "" {
			id = m.AnonymousID
		}
		switch m.Type {
		case "alias":
			into, from := canon(source+":"+m.UserID), canon(source+":"+m.PreviousID)
			if into != from {
				if err := e.Merge(kv, into, from); err != nil {
					return err
				}
				parent[from] = into
			}
			return nil
		case EventTrack, EventPage, EventScreen:
		default:
			return nil
		}
		name := m.Event
		if m.Type != EventTrack {
			name = m.Name
		}
		ev := Event{Profile: source + ":" + id, Type: m.Type, Name: name, Props: m.Properties, At: m.Timestamp, Seq: seq}
		recs = append(recs, rec{ev: ev, country: m.Context.Location.Country, source: source})
		ev.Profile = canon(ev.Profile)
		return e.OnEvent(kv, ev)
	})
	if err != nil {
		t.Fatal(err)
	}
	// A second delivery of the whole log changes nothing.
	for _, r := range recs {
		ev := r.ev
		ev.Profile = canon(ev.Profile)
		if err := e.OnEvent(kv, ev); err != nil {
			t.Fatal(err)
		}
	}

	// The profiles table: one row per surviving profile, computed traits
	// from its events; the events table names each event's current profile.
	fx := &fixture{}
	attrs := map[string]Attrs{}
	revenue := map[string]decimal.Decimal{}
	markets := map[string]map[string]bool{}
	for _, r := range recs {
		p := canon(r.ev.Profile)
		ev := r.ev
		ev.Profile = p
		fx.events = append(fx.events, ev)
		a := attrs[p]
		if a == nil {
			a = Attrs{"orders": IntValue(0)}
			attrs[p] = a
			markets[p] = map[string]bool{}
		}
		if r.country != "" {
			a["country"] = StringValue(r.country)
		}
		if ev.Type == EventTrack && ev.Name == "Order Completed" {
			a["orders"] = IntValue(int64(a["orders"].Num().Coef()) + 1) // small whole numbers
			if last, ok := a["last_order_at"]; !ok || ev.At.After(last.Time()) {
				a["last_order_at"] = TimeValue(ev.At)
			}
			var props struct {
				Revenue json.Number `json:"revenue"`
			}
			if json.Unmarshal(ev.Props, &props) == nil && props.Revenue != "" {
				d := decimal.MustParse(string(props.Revenue))
				sum, err := revenue[p].Add(d)
				if err != nil {
					t.Fatal(err)
				}
				revenue[p] = sum
				a["revenue"] = NumberValue(sum)
			}
			markets[p][r.source] = true
		}
	}
	var ids []string
	for p := range attrs {
		ids = append(ids, p)
	}
	sort.Strings(ids)
	for _, p := range ids {
		if len(markets[p]) > 0 {
			var l []string
			for m := range markets[p] {
				l = append(l, m)
			}
			sort.Strings(l)
			attrs[p]["marketplaces"] = ListValue(l)
		}
		fx.profiles = append(fx.profiles, fxProfile{id: p, attrs: attrs[p]})
	}
	db := openDB(t)
	fx.load(t, db)
	t.Logf("%d events, %d profiles after %d merges", len(fx.events), len(fx.profiles), len(parent))

	_, end := cfg.Window()
	for _, now := range []time.Time{end, end.Add(30 * day), end.Add(200 * day)} {
		goM, _ := goMembers(t, e, kv, fx, now)
		var sizes []string
		for _, s := range e.Segments() {
			sqlM := sqlMembers(t, db, e, s.ID, now)
			if !slices.Equal(goM[s.ID], sqlM) {
				t.Errorf("%s at %s: Go has %d members, SQL %d", s.ID, now.Format(time.DateOnly), len(goM[s.ID]), len(sqlM))
			}
			sizes = append(sizes, s.ID+"="+itoa(len(sqlM)))
		}
		sort.Strings(sizes)
		t.Logf("%s: %v", now.Format(time.DateOnly), sizes)
	}
	_, bytes := kv.Len()
	t.Logf("event state: %d bytes for %d profiles", bytes, len(fx.profiles))
}

func itoa(n int) string { return decimal.MustNew(int64(n), 0).String() }
