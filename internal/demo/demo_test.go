package demo

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"
)

// testCfg is small enough for -race and large enough for the statistical
// checks to be stable.
var testCfg = Config{Seed: 42, People: 2000, Months: 12, Now: time.Date(2026, 3, 15, 18, 30, 0, 0, time.UTC)}

// digest runs Generate and returns the SHA-256 of every source key and
// message, in order.
func digest(t *testing.T, cfg Config) ([32]byte, Stats) {
	t.Helper()
	h := sha256.New()
	st, err := Generate(context.Background(), cfg, func(key string, msg []byte) error {
		h.Write([]byte(key))
		h.Write([]byte{0})
		h.Write(msg)
		h.Write([]byte{'\n'})
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	var sum [32]byte
	copy(sum[:], h.Sum(nil))
	return sum, st
}

// TestDeterministic: the same Config gives the same bytes, another seed others.
func TestDeterministic(t *testing.T) {
	cfg := testCfg
	cfg.People = 1000
	a, sa := digest(t, cfg)
	b, sb := digest(t, cfg)
	if a != b {
		t.Fatalf("same config, different output: %x vs %x", a, b)
	}
	if sa.Messages != sb.Messages || sa.Bytes != sb.Bytes {
		t.Fatalf("same config, different stats: %+v vs %+v", sa, sb)
	}
	cfg.Seed++
	c, _ := digest(t, cfg)
	if c == a {
		t.Fatal("different seed, same output")
	}
}

// msg is the part of a message the checks read.
type msg struct {
	Type        string          `json:"type"`
	MessageID   string          `json:"messageId"`
	Timestamp   string          `json:"timestamp"`
	UserID      string          `json:"userId"`
	AnonymousID string          `json:"anonymousId"`
	PreviousID  string          `json:"previousId"`
	Event       string          `json:"event"`
	Name        string          `json:"name"`
	Properties  json.RawMessage `json:"properties"`
	Traits      *struct {
		Email string `json:"email"`
		Phone string `json:"phone"`
		Name  string `json:"name"`
	} `json:"traits"`
	Context *struct {
		Locale   string `json:"locale"`
		Timezone string `json:"timezone"`
		IP       string `json:"ip"`
		Location struct {
			Country string `json:"country"`
		} `json:"location"`
		Page *struct {
			URL string `json:"url"`
		} `json:"page"`
		Campaign *struct {
			Name   string `json:"name"`
			Source string `json:"source"`
			Medium string `json:"medium"`
		} `json:"campaign"`
	} `json:"context"`
}

type lineJSON struct {
	ProductID string      `json:"product_id"`
	Price     json.Number `json:"price"`
	Quantity  int64       `json:"quantity"`
}

type props struct {
	OrderID    string      `json:"order_id"`
	Total      json.Number `json:"total"`
	Subtotal   json.Number `json:"subtotal"`
	Tax        json.Number `json:"tax"`
	Shipping   json.Number `json:"shipping"`
	Discount   json.Number `json:"discount"`
	Currency   string      `json:"currency"`
	Products   []lineJSON  `json:"products"`
	Rating     int         `json:"rating"`
	ReviewBody string      `json:"review_body"`
	ReviewID   string      `json:"review_id"`
	Language   string      `json:"language"`
	ProductID  string      `json:"product_id"`
	Partial    *bool       `json:"partial"`
	// ad_spend
	Date        string      `json:"date"`
	Source      string      `json:"source"`
	Channel     string      `json:"channel"`
	Campaign    string      `json:"campaign"`
	Spend       json.Number `json:"spend"`
	Impressions *int64      `json:"impressions"`
	Clicks      *int64      `json:"clicks"`
}

type record struct {
	key string
	raw []byte // kept for every 7th message only
	m   msg
	p   props
	ts  time.Time
}

var (
	runOnce  sync.Once
	runRecs  []record
	runStats Stats
	runErr   error
)

// run generates testCfg once for all the checks that read messages.
func run(t *testing.T) ([]record, Stats) {
	t.Helper()
	runOnce.Do(func() {
		runStats, runErr = Generate(context.Background(), testCfg, func(key string, raw []byte) error {
			var r record
			r.key = key
			if !json.Valid(raw) {
				return fmt.Errorf("invalid JSON: %s", raw)
			}
			dec := json.NewDecoder(bytes.NewReader(raw))
			dec.UseNumber()
			if err := dec.Decode(&r.m); err != nil {
				return fmt.Errorf("%w: %s", err, raw)
			}
			if len(r.m.Properties) > 0 {
				dec := json.NewDecoder(bytes.NewReader(r.m.Properties))
				dec.UseNumber()
				if err := dec.Decode(&r.p); err != nil {
					return fmt.Errorf("properties: %w: %s", err, raw)
				}
			}
			ts, err := time.Parse(time.RFC3339Nano, r.m.Timestamp)
			if err != nil {
				return fmt.Errorf("timestamp: %w: %s", err, raw)
			}
			r.ts = ts
			r.m.Properties = nil // keep memory down
			if len(runRecs)%7 == 0 {
				r.raw = raw
			}
			runRecs = append(runRecs, r)
			return nil
		})
	})
	if runErr != nil {
		t.Fatal(runErr)
	}
	return runRecs, runStats
}

// TestMessagesWellFormed checks every message's shape, id, timestamp and order.
func TestMessagesWellFormed(t *testing.T) {
	recs, st := run(t)
	if st.Messages != len(recs) {
		t.Fatalf("stats count %d messages, emitted %d", st.Messages, len(recs))
	}
	if noDuplicateKeys([]byte(`{"a":{"b":1,"b":2}}`)) == nil {
		t.Fatal("duplicate-key check finds nothing")
	}
	from, to := testCfg.Window()
	ids := make(map[string]bool, len(recs))
	var last time.Time
	for i, r := range recs {
		m := r.m
		if m.MessageID == "" || ids[m.MessageID] {
			t.Fatalf("message %d: missing or duplicate messageId %q", i, m.MessageID)
		}
		ids[m.MessageID] = true
		if i%7 == 0 {
			if err := noDuplicateKeys(r.raw); err != nil {
				t.Fatalf("message %d: %v: %s", i, err, r.raw)
			}
		}
		if r.ts.Before(from) || r.ts.After(to) {
			t.Fatalf("message %d: timestamp %s outside [%s, %s]", i, m.Timestamp, from, to)
		}
		if r.ts.Before(last) {
			t.Fatalf("message %d: timestamp %s before previous %s", i, r.ts, last)
		}
		last = r.ts
		if !strings.HasSuffix(m.Timestamp, "Z") {
			t.Fatalf("message %d: timestamp %q not UTC", i, m.Timestamp)
		}
		if m.Type == "ad_spend" {
			if m.UserID != "" || m.AnonymousID != "" {
				t.Fatalf("message %d: ad_spend with a user", i)
			}
			p := r.p
			if p.Date != r.ts.Format("2006-01-02") || r.ts.Hour() != 0 || r.ts.Minute() != 0 {
				t.Fatalf("message %d: ad_spend date %q at %s", i, p.Date, m.Timestamp)
			}
			if p.Channel == "" || p.Campaign == "" || p.Spend == "" || p.Impressions == nil || p.Clicks == nil || p.Source != r.key {
				t.Fatalf("message %d: incomplete ad_spend %+v", i, p)
			}
			continue
		}
		if m.UserID == "" && m.AnonymousID == "" {
			t.Fatalf("message %d: neither userId nor anonymousId", i)
		}
		c := m.Context
		if c == nil || c.Locale == "" || c.Timezone == "" || c.Location.Country == "" {
			t.Fatalf("message %d: context lacks locale, timezone or country", i)
		}
		if _, err := time.LoadLocation(c.Timezone); err != nil {
			t.Fatalf("message %d: %v", i, err)
		}
		if c.IP != "" && !strings.HasPrefix(c.IP, "192.0.2.") && !strings.HasPrefix(c.IP, "198.51.100.") &&
			!strings.HasPrefix(c.IP, "203.0.113.") && !strings.HasPrefix(c.IP, "2001:db8:") {
			t.Fatalf("message %d: IP %s outside the documentation ranges", i, c.IP)
		}
		switch m.Type {
		case "track":
			if m.Event == "" {
				t.Fatalf("message %d: track without event", i)
			}
		case "page":
			if m.Name == "" || c.Page == nil || c.Page.URL == "" {
				t.Fatalf("message %d: page without name or context.page", i)
			}
		case "screen":
			if m.Name == "" {
				t.Fatalf("message %d: screen without name", i)
			}
		case "identify":
			if m.Traits == nil {
				t.Fatalf("message %d: identify without traits", i)
			}
		case "alias":
			if m.UserID == "" || m.PreviousID == "" {
				t.Fatalf("message %d: alias without userId or previousId", i)
			}
		default:
			t.Fatalf("message %d: unknown type %q", i, m.Type)
		}
	}
	if st.People != testCfg.People {
		t.Errorf("stats count %d people, want %d", st.People, testCfg.People)
	}
}

// TestSourcesAndLanguages checks source keys, review languages and review share.
func TestSourcesAndLanguages(t *testing.T) {
	recs, st := run(t)
	known := map[string]bool{}
	for _, s := range Sources() {
		known[s.Key] = true
	}
	used := map[string]bool{}
	langs := map[string]int{}
	for _, r := range recs {
		if !known[r.key] {
			t.Fatalf("unknown source key %q", r.key)
		}
		used[r.key] = true
		if r.m.Event == "Product Reviewed" {
			langs[r.p.Language]++
			if r.p.Rating < 1 || r.p.Rating > 5 || r.p.ReviewBody == "" || r.p.ReviewID == "" || r.p.ProductID == "" {
				t.Fatalf("bad review %+v", r.p)
			}
		}
	}
	if len(used) < 5 {
		t.Errorf("%d sources used, want at least 5", len(used))
	}
	for _, l := range []string{"en", "de", "ja", "es", "zh", "fr", "it"} {
		if langs[l] == 0 {
			t.Errorf("no reviews in %s", l)
		}
	}
	share := float64(st.Reviews) / float64(st.Orders)
	if share < 0.08 || share > 0.22 {
		t.Errorf("%.1f%% of orders reviewed, want 10–20%%", 100*share)
	}
}

// noDuplicateKeys walks a JSON value and fails on an object with a key
// twice: valid JSON, but the later value silently wins in most parsers.
func noDuplicateKeys(raw []byte) error {
	dec := json.NewDecoder(bytes.NewReader(raw))
	var walk func() error
	walk = func() error {
		tok, err := dec.Token()
		if err != nil {
			return err
		}
		switch tok {
		case json.Delim('{'):
			keys := map[string]bool{}
			for dec.More() {
				k, err := dec.Token()
				if err != nil {
					return err
				}
				if keys[k.(string)] {
					return fmt.Errorf("duplicate key %q", k)
				}
				keys[k.(string)] = true
				if err := walk(); err != nil {
					return err
				}
			}
			_, err = dec.Token()
			return err
		case json.Delim('['):
			for dec.More() {
				if err := walk(); err != nil {
					return err
				}
			}
			_, err = dec.Token()
			return err
		}
		return nil
	}
	return walk()
}

// minor parses a JSON money number into minor units, failing when it has
// more decimals than the currency.
func minor(t *testing.T, n json.Number, cur string) int64 {
	t.Helper()
	exp := 2
	if cur == "JPY" {
		exp = 0
	}
	s := string(n)
	neg := strings.HasPrefix(s, "-")
	s = strings.TrimPrefix(s, "-")
	whole, frac, _ := strings.Cut(s, ".")
	if len(frac) > exp {
		t.Fatalf("amount %s has more than %d decimals for %s", n, exp, cur)
	}
	for len(frac) < exp {
		frac += "0"
	}
	var v int64
	for _, c := range whole + frac {
		if c < '0' || c > '9' {
			t.Fatalf("amount %q is not a plain decimal", n)
		}
		v = v*10 + int64(c-'0')
	}
	if neg {
		v = -v
	}
	return v
}

// TestOrderArithmeticAndRefunds checks money exactly and that refunds and
// cancellations follow an order of theirs.
func TestOrderArithmeticAndRefunds(t *testing.T) {
	recs, st := run(t)
	type ord struct {
		total    int64
		currency string
		at       time.Time
		refunded bool
		canceled bool
	}
	orders := map[string]*ord{}
	var refunds, partial, cancels int
	for _, r := range recs {
		p := r.p
		switch r.m.Event {
		case "Order Completed":
			if orders[p.OrderID] != nil {
				t.Fatalf("order %s completed twice", p.OrderID)
			}
			var sum int64
			for _, l := range p.Products {
				sum += minor(t, l.Price, p.Currency) * l.Quantity
			}
			if sub := minor(t, p.Subtotal, p.Currency); sub != sum {
				t.Fatalf("order %s: subtotal %d, lines sum to %d", p.OrderID, sub, sum)
			}
			want := sum - minor(t, p.Discount, p.Currency) + minor(t, p.Tax, p.Currency) + minor(t, p.Shipping, p.Currency)
			total := minor(t, p.Total, p.Currency)
			if total != want {
				t.Fatalf("order %s: total %d, want %d", p.OrderID, total, want)
			}
			src := Sources()
			for _, s := range src {
				if s.Key == r.key && s.Currency != p.Currency {
					t.Fatalf("order %s on %s in %s", p.OrderID, r.key, p.Currency)
				}
			}
			orders[p.OrderID] = &ord{total: total, currency: p.Currency, at: r.ts}
		case "Order Refunded", "Order Cancelled":
			o := orders[p.OrderID]
			if o == nil {
				t.Fatalf("%s references unknown order %s", r.m.Event, p.OrderID)
			}
			amount := minor(t, p.Total, p.Currency)
			if p.Currency != o.currency || amount <= 0 || amount > o.total || !r.ts.After(o.at) {
				t.Fatalf("%s of %s: %d %s at %s; order %d %s at %s", r.m.Event, p.OrderID, amount, p.Currency, r.ts, o.total, o.currency, o.at)
			}
			if o.refunded || o.canceled {
				t.Fatalf("order %s refunded or cancelled twice", p.OrderID)
			}
			if r.m.Event == "Order Cancelled" {
				o.canceled = true
				cancels++
				continue
			}
			o.refunded = true
			refunds++
			if p.Partial == nil || *p.Partial != (amount < o.total) {
				t.Fatalf("refund of %s: partial flag wrong", p.OrderID)
			}
			if amount < o.total {
				partial++
			}
		}
	}
	if len(orders) != st.Orders || refunds != st.Refunds || cancels != st.Cancellations {
		t.Fatalf("counted %d orders, %d refunds, %d cancellations; stats say %+v", len(orders), refunds, cancels, st)
	}
	rate := float64(refunds) / float64(len(orders))
	if rate < 0.04 || rate > 0.12 {
		t.Errorf("refund rate %.3f, want 5–10%%", rate)
	}
	if partial == 0 || partial == refunds {
		t.Errorf("%d of %d refunds partial; want some of each", partial, refunds)
	}
	if cancels == 0 {
		t.Error("no cancellations")
	}
}

// TestBuyTillYouDie checks the customer base looks like a BG/NBD world:
// most buyers buy once in a year, a sizeable minority come back, and a few
// buy often.
func TestBuyTillYouDie(t *testing.T) {
	_, st := run(t)
	if st.Buyers < testCfg.People/2 || st.Buyers > testCfg.People*8/10 {
		t.Errorf("%d buyers of %d people", st.Buyers, testCfg.People)
	}
	repeat := float64(st.RepeatBuyers) / float64(st.Buyers)
	if repeat < 0.2 || repeat > 0.5 {
		t.Errorf("%.2f of buyers bought twice or more, want 0.2–0.5", repeat)
	}
	meanRepeat := float64(st.Orders-st.Buyers) / float64(st.Buyers)
	if meanRepeat < 0.3 || meanRepeat > 1.5 {
		t.Errorf("%.2f repeat orders per buyer, want 0.3–1.5", meanRepeat)
	}
}

// TestCrossSourceIdentities checks that some people show up on several
// sources under one e-mail and different userIds.
func TestCrossSourceIdentities(t *testing.T) {
	recs, st := run(t)
	// e-mail (case-folded) → source → user ids
	seen := map[string]map[string]string{}
	caseDiffers := 0
	for _, r := range recs {
		if r.m.Type != "identify" || r.m.Traits == nil || r.m.Traits.Email == "" || r.m.UserID == "" {
			continue
		}
		e := strings.ToLower(r.m.Traits.Email)
		if !strings.Contains(e, "@example.") {
			t.Fatalf("e-mail %q not on an example domain", e)
		}
		if seen[e] == nil {
			seen[e] = map[string]string{}
		}
		if r.m.Traits.Email != e {
			caseDiffers++
		}
		seen[e][r.key] = r.m.UserID
	}
	// Phones: only from the ranges reserved for fiction, and one person's.
	var prefixes []string
	for _, s := range world() {
		for _, b := range s.cty.blocks {
			prefixes = append(prefixes, b.e164, b.nat)
		}
	}
	owner := map[string]string{}
	phones := 0
	for _, r := range recs {
		if r.m.Type != "identify" || r.m.Traits == nil || r.m.Traits.Phone == "" {
			continue
		}
		ph := r.m.Traits.Phone
		ok := false
		for _, p := range prefixes {
			ok = ok || strings.HasPrefix(ph, p)
		}
		if !ok {
			t.Fatalf("phone %q outside the fiction ranges", ph)
		}
		phones++
		if e := strings.ToLower(r.m.Traits.Email); e != "" && strings.HasPrefix(ph, "+") {
			if o, dup := owner[ph]; dup && o != e {
				t.Fatalf("phone %s given by %s and %s", ph, o, e)
			}
			owner[ph] = e
		}
	}
	if phones == 0 {
		t.Error("no phone numbers")
	}
	multi := 0
	for _, bySrc := range seen {
		if len(bySrc) >= 2 {
			multi++
			ids := map[string]bool{}
			for _, id := range bySrc {
				ids[id] = true
			}
			if len(ids) != len(bySrc) {
				t.Fatalf("same userId on two sources: %v", bySrc)
			}
		}
	}
	if multi < st.MultiSourcePeople/2 || multi == 0 {
		t.Errorf("%d e-mails on two or more sources; %d multi-source people", multi, st.MultiSourcePeople)
	}
	if caseDiffers == 0 {
		t.Error("no e-mail typed in other letter case")
	}
}

// TestCampaignsHaveSpend checks attribution can join sessions to spend:
// every paid campaign a session carries has a spend row on its source for
// that UTC day (or the day before, for sessions past midnight).
func TestCampaignsHaveSpend(t *testing.T) {
	recs, _ := run(t)
	spend := map[string]bool{}
	channels := map[string]bool{}
	for _, r := range recs {
		if r.m.Type == "ad_spend" {
			spend[r.key+"|"+r.p.Campaign+"|"+r.p.Date] = true
			channels[r.p.Channel] = true
		}
	}
	tagged, clickIDs := 0, 0
	for _, r := range recs {
		c := r.m.Context
		if c == nil || c.Campaign == nil || c.Campaign.Medium == "social" {
			continue
		}
		tagged++
		d := r.ts.Format("2006-01-02")
		prev := r.ts.AddDate(0, 0, -1).Format("2006-01-02")
		if !spend[r.key+"|"+c.Campaign.Name+"|"+d] && !spend[r.key+"|"+c.Campaign.Name+"|"+prev] {
			t.Fatalf("campaign %s on %s at %s has no spend row", c.Campaign.Name, r.key, r.ts)
		}
		if c.Page != nil && (strings.Contains(c.Page.URL, "gclid=") || strings.Contains(c.Page.URL, "fbclid=") || strings.Contains(c.Page.URL, "ttclid=")) {
			clickIDs++
		}
	}
	if tagged == 0 || clickIDs == 0 {
		t.Errorf("%d tagged messages, %d with click ids", tagged, clickIDs)
	}
	for _, ch := range []string{"paid_social", "paid_search", "marketplace_ads", "affiliate", "influencer", "email"} {
		if !channels[ch] {
			t.Errorf("no spend on %s", ch)
		}
	}
}

// TestPlantedSignals checks what later analytics should find: the Amazon
// DE delivery incident, Black Friday, and the evening peak in local time.
func TestPlantedSignals(t *testing.T) {
	recs, _ := run(t)
	inc := Incidents(testCfg)
	if len(inc) != 1 {
		t.Fatalf("incidents: %+v", inc)
	}
	orderAt := map[string]time.Time{}
	var inSum, inN, outSum, outN float64
	byDay := map[string]int{}
	var hours [24]int
	for _, r := range recs {
		switch r.m.Event {
		case "Order Completed":
			orderAt[r.p.OrderID] = r.ts
			byDay[r.ts.Format("2006-01-02")]++
			loc, _ := time.LoadLocation(r.m.Context.Timezone)
			hours[r.ts.In(loc).Hour()]++
		case "Product Reviewed":
			at := orderAt[r.p.OrderID]
			if at.IsZero() {
				// Reviews on orders placed before… cannot happen: orders
				// come first in the stream.
				t.Fatalf("review of unknown order %s", r.p.OrderID)
			}
			if r.key == inc[0].Source && !at.Before(inc[0].From) && at.Before(inc[0].To) {
				inSum += float64(r.p.Rating)
				inN++
			} else {
				outSum += float64(r.p.Rating)
				outN++
			}
		}
	}
	if inN < 3 {
		t.Fatalf("only %v reviews of incident orders", inN)
	}
	if in, out := inSum/inN, outSum/outN; in > out-1 {
		t.Errorf("incident reviews average %.2f stars, others %.2f: no dip", in, out)
	}
	var nov float64
	for d := 1; d <= 30; d++ {
		nov += float64(byDay[fmt.Sprintf("2025-11-%02d", d)])
	}
	if bf := float64(byDay["2025-11-28"]); bf < 2*nov/30 {
		t.Errorf("Black Friday %v orders, November mean %.1f", bf, nov/30)
	}
	night := hours[2] + hours[3] + hours[4]
	evening := hours[19] + hours[20] + hours[21]
	if evening < 4*night {
		t.Errorf("orders at 2–5h local: %d, at 19–22h: %d", night, evening)
	}
}

// TestStopsOnError checks emit errors, cancellation and bad configs.
func TestStopsOnError(t *testing.T) {
	cfg := testCfg
	cfg.People = 100
	stop := errors.New("stop")
	n := 0
	_, err := Generate(context.Background(), cfg, func(string, []byte) error {
		n++
		if n == 10 {
			return stop
		}
		return nil
	})
	if !errors.Is(err, stop) || n != 10 {
		t.Fatalf("err %v after %d messages", err, n)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := Generate(ctx, cfg, func(string, []byte) error { return nil }); !errors.Is(err, context.Canceled) {
		t.Fatalf("cancelled context: %v", err)
	}
	if _, err := Generate(context.Background(), Config{People: -1}, func(string, []byte) error { return nil }); err == nil {
		t.Fatal("negative people accepted")
	}
}

// TestCatalog checks the catalogue's size, ids and price points.
func TestCatalog(t *testing.T) {
	c := Catalog()
	if len(c) < 60 || len(c) > 150 {
		t.Fatalf("%d products", len(c))
	}
	ids := map[string]bool{}
	for _, p := range c {
		if ids[p.ID] || ids[p.SKU] {
			t.Fatalf("duplicate id or sku %s %s", p.ID, p.SKU)
		}
		ids[p.ID], ids[p.SKU] = true, true
		if p.Prices["JPY"]%10 != 0 || p.Prices["USD"] <= 0 || p.Prices["EUR"] <= 0 || p.Prices["GBP"]%100 != 99 {
			t.Fatalf("odd price points for %s: %v", p.SKU, p.Prices)
		}
	}
}

// TestMoneyAndTimeFormat checks the hand-written number and time formats.
func TestMoneyAndTimeFormat(t *testing.T) {
	for _, c := range []struct {
		v    int64
		exp  int
		want string
	}{{2990, 2, "29.90"}, {5, 2, "0.05"}, {0, 2, "0.00"}, {-150, 2, "-1.50"}, {2980, 0, "2980"}} {
		if got := string(appendMoney(nil, c.v, c.exp)); got != c.want {
			t.Errorf("appendMoney(%d, %d) = %s, want %s", c.v, c.exp, got, c.want)
		}
	}
	for _, ts := range []time.Time{
		time.Date(2024, 2, 29, 23, 59, 59, 999e6, time.UTC),
		time.Date(2025, 12, 31, 0, 0, 0, 0, time.UTC),
		time.Date(2000, 3, 1, 12, 0, 0, 1e6, time.UTC),
	} {
		if got, want := string(appendTime(nil, ts.UnixMilli())), ts.Format("2006-01-02T15:04:05.000Z"); got != want {
			t.Errorf("appendTime = %s, want %s", got, want)
		}
	}
	if len(Sources()) != 6 {
		t.Error("six sources expected")
	}
}

// BenchmarkGenerate measures the default size: 50,000 people, 12 months.
func BenchmarkGenerate(b *testing.B) {
	for i := 0; i < b.N; i++ {
		var n int
		var bytes int64
		st, err := Generate(context.Background(), Config{Seed: 1}, func(_ string, msg []byte) error {
			n++
			bytes += int64(len(msg))
			return nil
		})
		if err != nil {
			b.Fatal(err)
		}
		b.ReportMetric(float64(n), "msgs/op")
		b.ReportMetric(float64(bytes)/1e6, "MB/op")
		b.ReportMetric(float64(st.Orders), "orders/op")
	}
}
