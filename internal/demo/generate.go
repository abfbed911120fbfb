package demo

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"time"

	"github.com/tradewind/tradewind/internal/jsonw"
)

// Config chooses what Generate produces. The same Config always produces
// byte-identical output.
type Config struct {
	// Seed selects the random world; any value is fine.
	Seed uint64
	// People is the number of simulated shoppers; 0 means DefaultPeople.
	People int
	// Months is the length of the history that ends at Now; 0 means
	// DefaultMonths.
	Months int
	// Now is the end of the generated history. The zero value means
	// DefaultNow — not the wall clock, so that a zero Config is still
	// reproducible; pass time.Now() for a demo that ends today.
	Now time.Time
}

// Defaults for a zero Config.
const (
	DefaultPeople = 50000
	DefaultMonths = 12
	// MaxPeople bounds Config.People so every identifier stays unique.
	MaxPeople = 100_000_000
)

// DefaultNow is the end of the history when Config.Now is zero.
var DefaultNow = time.Date(2026, time.April, 1, 0, 0, 0, 0, time.UTC)

// withDefaults returns cfg with zero fields replaced by defaults.
func (cfg Config) withDefaults() Config {
	if cfg.People == 0 {
		cfg.People = DefaultPeople
	}
	if cfg.Months == 0 {
		cfg.Months = DefaultMonths
	}
	if cfg.Now.IsZero() {
		cfg.Now = DefaultNow
	}
	cfg.Now = cfg.Now.UTC()
	return cfg
}

// Window returns the closed interval [Now−Months, Now] that every
// timestamp Generate emits for cfg falls into, after defaults, at
// millisecond precision.
func (cfg Config) Window() (from, to time.Time) {
	cfg = cfg.withDefaults()
	to = cfg.Now.Truncate(time.Millisecond)
	from = cfg.Now.AddDate(0, -cfg.Months, 0)
	if t := from.Truncate(time.Millisecond); t.Before(from) {
		from = t.Add(time.Millisecond)
	}
	return from, to
}

// Stats counts what Generate emitted.
type Stats struct {
	// People is the number of simulated persons (each emitted at least
	// one message).
	People int
	// Messages is the number of messages emitted, of every type.
	Messages int
	// Orders, Refunds, Cancellations and Reviews count "Order Completed",
	// "Order Refunded", "Order Cancelled" and "Product Reviewed" events.
	Orders, Refunds, Cancellations, Reviews int
	// AdSpendRows counts "ad_spend" messages.
	AdSpendRows int
	// Buyers is the number of persons with at least one order;
	// RepeatBuyers those with two or more.
	Buyers, RepeatBuyers int
	// MultiSourcePeople is the number of persons with accounts on two or
	// three sources.
	MultiSourcePeople int
	// Bytes is the total size of the emitted messages.
	Bytes int64
	// ByType counts messages per "type": identify, track, page, screen,
	// alias, ad_spend.
	ByType map[string]int
	// ByEvent counts track messages per event name.
	ByEvent map[string]int
	// BySource counts messages per source key.
	BySource map[string]int
	// ReviewsByLanguage counts reviews per language code.
	ReviewsByLanguage map[string]int
}

// Incident is a planted problem later analytics should find: for orders
// placed on Source between From and To, deliveries were late, so
// cancellations and refunds rise and reviews (posted 2–10 days after the
// order) turn negative and talk about shipping.
type Incident struct {
	// Source is the key of the affected source.
	Source string
	// From and To bound the order times affected: [From, To).
	From, To time.Time
	// Topic is the review topic the incident shows up in.
	Topic string
}

// Incidents returns the problems planted in cfg's history: a carrier
// failure on Amazon DE in the calendar month three months before Now's
// (earlier months are used when the window is shorter).
func Incidents(cfg Config) []Incident {
	g := &gen{cfg: cfg.withDefaults()}
	g.window()
	g.planIncident()
	if g.incident.from >= g.incident.to {
		return nil
	}
	return []Incident{{
		Source: sourceTable[g.incident.src].Key,
		From:   time.UnixMilli(g.incident.from).UTC(),
		To:     time.UnixMilli(g.incident.to).UTC(),
		Topic:  "shipping",
	}}
}

// gen is one run of the generator.
type gen struct {
	cfg        Config
	start, now int64 // window in Unix ms
	cal        *calendar
	ids        *ids
	segments   []*segment
	segW       weights
	incident   struct {
		src      int
		from, to int64
	}
	stats     Stats
	typeCount [numEvKinds]int
	srcCount  [numSources]int
	langCount [numLangs]int
	adPerSrc  [numSources]int
}

func (g *gen) window() {
	from, to := g.cfg.Window()
	g.start, g.now = from.UnixMilli(), to.UnixMilli()
}

func (g *gen) planIncident() {
	k := 3
	if g.cfg.Months < 5 {
		k = max(g.cfg.Months-2, 0)
	}
	now := g.cfg.Now
	m := time.Date(now.Year(), now.Month(), 1, 0, 0, 0, 0, time.UTC).AddDate(0, -k, 0)
	g.incident.src = srcAmazonDE
	g.incident.from = max(m.UnixMilli(), g.start)
	g.incident.to = min(m.AddDate(0, 1, 0).UnixMilli(), g.now)
}

// adStream is the messageId stream number of ad spend rows; person
// indexes are below MaxPeople.
const adStream = 1<<32 - 1

// Generate simulates cfg.People shoppers over cfg.Months months up to
// cfg.Now and calls emit with every message, one Segment-spec JSON
// object per call, tagged with the key of the Source it belongs to. emit
// may keep msg. Messages are emitted in non-decreasing timestamp order
// across all sources and people (a k-way merge of every person's
// timeline and the ad spend rows). Generation stops at the first error
// from emit or ctx.
func Generate(ctx context.Context, cfg Config, emit func(sourceKey string, msg []byte) error) (Stats, error) {
	cfg = cfg.withDefaults()
	if cfg.People < 0 || cfg.People > MaxPeople {
		return Stats{}, fmt.Errorf("demo: people %d out of range [1, %d]", cfg.People, MaxPeople)
	}
	if cfg.Months < 0 || cfg.Months > 120 {
		return Stats{}, fmt.Errorf("demo: months %d out of range [1, 120]", cfg.Months)
	}
	if emit == nil {
		return Stats{}, errors.New("demo: nil emit")
	}
	g := &gen{cfg: cfg}
	g.window()
	g.cal = newCalendar(g.start, g.now)
	g.ids = newIDs(cfg.Seed, cfg.People)
	g.segments = world()
	ws := make([]float64, len(g.segments))
	for i, s := range g.segments {
		ws[i] = s.weight
	}
	g.segW = cumulative(ws...)
	g.planIncident()

	h := make(personHeap, 0, cfg.People)
	for i := 0; i < cfg.People; i++ {
		p := g.newPerson(uint32(i))
		if len(p.srcs) > 1 {
			g.stats.MultiSourcePeople++
		}
		p.refreshKey()
		h.push(p)
	}
	ads := g.newAdSpend()

	buf := make([]byte, 0, 4096)
	for n := 0; ; n++ {
		if n&4095 == 0 {
			if err := ctx.Err(); err != nil {
				return g.finish(), err
			}
		}
		adT := ads.head()
		if len(h) == 0 && adT == never {
			break
		}
		if adT != never && (len(h) == 0 || adT <= h[0].key) {
			key, b := ads.render(buf[:0])
			if err := g.emit(emit, key, b); err != nil {
				return g.finish(), err
			}
			g.stats.AdSpendRows++
			ads.next()
			continue
		}
		p := h[0]
		if p.keySession {
			if p.key == never {
				h.pop()
				if p.emitted > 0 {
					g.stats.People++
				}
				continue
			}
			g.advance(p)
			p.refreshKey()
			h.fix(0)
			continue
		}
		e := p.pop()
		b := g.render(buf[:0], p, &e)
		if err := g.emit(emit, sourceTable[e.sess.src].Key, b); err != nil {
			return g.finish(), err
		}
		g.typeCount[e.kind]++
		g.srcCount[e.sess.src]++
		if e.kind == evReviewed {
			g.langCount[e.rev.lang]++
		}
		p.emitted++
		p.refreshKey()
		h.fix(0)
	}
	return g.finish(), nil
}

// emit hands a copy of b to the caller's function, so the caller may keep
// it while the render buffer is reused.
func (g *gen) emit(emit func(string, []byte) error, key string, b []byte) error {
	msg := make([]byte, len(b))
	copy(msg, b)
	g.stats.Messages++
	g.stats.Bytes += int64(len(b))
	return emit(key, msg)
}

func (g *gen) finish() Stats {
	st := g.stats
	st.ByType = map[string]int{}
	st.ByEvent = map[string]int{}
	st.BySource = map[string]int{}
	st.ReviewsByLanguage = map[string]int{}
	for k, n := range g.typeCount {
		if n == 0 {
			continue
		}
		st.ByType[evTypes[k]] += n
		if evTypes[k] == "track" {
			st.ByEvent[evNames[k]] += n
		}
	}
	if st.AdSpendRows > 0 {
		st.ByType["ad_spend"] = st.AdSpendRows
	}
	for i, n := range g.srcCount {
		if n+g.adPerSrc[i] > 0 {
			st.BySource[sourceTable[i].Key] = n + g.adPerSrc[i]
		}
	}
	for i, n := range g.langCount {
		if n > 0 {
			st.ReviewsByLanguage[langCodes[i]] = n
		}
	}
	st.Refunds = g.typeCount[evRefunded]
	st.Cancellations = g.typeCount[evCancelled]
	st.Reviews = g.typeCount[evReviewed]
	return st
}

// personHeap is a binary min-heap of persons by (key, index, seq), so
// ties break the same way on every run.
type personHeap []*person

func (h personHeap) less(i, j int) bool {
	a, b := h[i], h[j]
	if a.key != b.key {
		return a.key < b.key
	}
	if a.idx != b.idx {
		return a.idx < b.idx
	}
	return a.keySeq < b.keySeq
}

func (h *personHeap) push(p *person) {
	*h = append(*h, p)
	h.up(len(*h) - 1)
}

func (h *personHeap) pop() {
	old := *h
	n := len(old) - 1
	old[0] = old[n]
	old[n] = nil
	*h = old[:n]
	if n > 0 {
		h.down(0)
	}
}

func (h personHeap) up(i int) {
	for i > 0 {
		parent := (i - 1) / 2
		if !h.less(i, parent) {
			return
		}
		h[i], h[parent] = h[parent], h[i]
		i = parent
	}
}

func (h personHeap) down(i int) {
	n := len(h)
	for {
		l := 2*i + 1
		if l >= n {
			return
		}
		m := l
		if r := l + 1; r < n && h.less(r, l) {
			m = r
		}
		if !h.less(m, i) {
			return
		}
		h[i], h[m] = h[m], h[i]
		i = m
	}
}

// fix restores the heap after the key of element i grew (keys only move
// forward in time).
func (h personHeap) fix(i int) { h.down(i) }

// adSpend walks days and campaigns in order, producing one row per active
// campaign per day.
type adSpend struct {
	g        *gen
	day, end int64 // Unix day numbers
	ci       int   // campaign index within the day
	n        uint32
}

func (g *gen) newAdSpend() *adSpend {
	first := unixDay(g.start)
	if first*msPerDay < g.start {
		first++ // a row is stamped at 00:00Z, which must be inside the window
	}
	a := &adSpend{g: g, day: first, end: unixDay(g.now)}
	a.skip()
	return a
}

// skip moves to the next active campaign (or past the end).
func (a *adSpend) skip() {
	for a.day <= a.end {
		for a.ci < len(campaignTable) {
			if a.g.active(&campaignTable[a.ci], a.g.cal.index(a.day)) {
				return
			}
			a.ci++
		}
		a.day++
		a.ci = 0
	}
}

func (a *adSpend) head() int64 {
	if a.day > a.end {
		return never
	}
	return a.day * msPerDay
}

func (a *adSpend) next() {
	a.ci++
	a.skip()
}

// render writes the current row. Spend follows the campaign audience's
// seasonality with ±20% daily noise; clicks and impressions follow from
// cost per click and click-through rate.
func (a *adSpend) render(b []byte) (string, []byte) {
	g := a.g
	c := &campaignTable[a.ci]
	di := g.cal.index(a.day)
	r := rand.New(rand.NewPCG(g.cfg.Seed^0xad5bed, uint64(a.day)<<8|uint64(a.ci)))
	prof := 0
	switch sourceTable[c.src].kind {
	case kindAmazon:
		prof |= profAmazon
	case kindTikTok:
		prof |= profTikTok
	}
	if c.zhOnly {
		prof |= profZH
	}
	scale := float64(g.cfg.People) / DefaultPeople
	season := g.cal.season[prof][di]
	if c.win != winAlways {
		season = 1 + 0.5*(season-1)
	}
	spend := int64(float64(c.daily) * scale * season * uniform(r, 0.8, 1.2))
	if c.cur.exp == 0 {
		spend = spend / 10 * 10
	}
	spend = max(spend, 1)
	clicks := int64(float64(spend) / float64(c.cpc) * uniform(r, 0.85, 1.15))
	impressions := int64(float64(clicks) / c.ctr * uniform(r, 0.9, 1.1))
	a.n++
	var w jsonw.Writer
	w.Reset(b)
	w.BeginObject()
	g.header(&w, "ad_spend", adStream, a.n, a.day*msPerDay)
	w.Key("properties").BeginObject()
	var date [16]byte
	w.Key("date").StringBytes(appendDate(date[:0], a.day))
	w.Key("source").String(sourceTable[c.src].Key)
	w.Key("channel").String(c.Channel)
	w.Key("campaign").String(c.Name)
	w.Key("utm_source").String(c.UTMSource)
	w.Key("utm_medium").String(c.UTMMedium)
	putMoney(&w, "spend", spend, c.cur)
	w.Key("currency").String(c.cur.code)
	w.Key("impressions").Int(impressions)
	w.Key("clicks").Int(clicks)
	w.EndObject()
	w.EndObject()
	g.adPerSrc[c.src]++
	return sourceTable[c.src].Key, w.Bytes()
}
