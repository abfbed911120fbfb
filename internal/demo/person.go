package demo

import (
	"math"
	"math/rand/v2"
	"sort"
)

// The customer-base model. Each buyer follows the BG/NBD story of Fader,
// Hardie and Lee (2005): while alive, repeat purchases arrive as a Poisson
// process with rate λ ~ Gamma(shape bgR, rate bgAlpha) per week; after each
// repeat purchase the buyer drops out with probability p ~ Beta(bgA, bgB).
// The rate is modulated by seasonality, weekday and hour of day (mean ≈ 1
// over a year), so the process is Poisson in "shopping time". Order values
// follow Gamma-Gamma (Fader & Hardie 2013): z ~ Gamma(ggP, ν) with
// ν ~ Gamma(ggQ, ggGamma), in USD, turned into a basket of real products.
const (
	bgR     = 0.45 // Gamma shape of the weekly purchase rate
	bgAlpha = 11   // Gamma rate (weeks): mean λ = 0.075/week ≈ 3.9 purchases a year
	bgA     = 0.8  // Beta a of the dropout probability
	bgB     = 2.6  // Beta b: mean p ≈ 0.24
	ggP     = 6.0  // Gamma shape of one order's value
	ggQ     = 4.0  // Gamma shape of the per-person scale
	ggGamma = 22.5 // Gamma rate: mean order value ggP*ggGamma/(ggQ-1) = 45 USD

	// buyerShare of people place a first order; the rest only browse.
	buyerShare = 0.65
	// Buyers who also shop on a second or third source.
	twoSourceShare   = 0.16
	threeSourceShare = 0.04
	// Browsing sessions without a purchase come at a rate of
	// browsePerPurchase·λ + browseBase per week while a buyer is alive.
	browsePerPurchase = 3
	browseBase        = 0.15

	// maxOrders caps one person's orders so order ids stay unique.
	maxOrders = 1024
)

// never is a time after every generated event.
const never = math.MaxInt64

// Kinds of session.
const (
	sessBrowse = iota
	sessPurchase
	sessSignup // creates an account or registers a product on the source
)

// sched is a planned session.
type sched struct {
	t    int64
	kind int
	src  int // index into person.srcs, -1: choose
}

// person is one simulated shopper and the state of their timeline.
type person struct {
	idx  uint32
	r    *rand.Rand
	seg  *segment
	cty  *country
	city *city
	prof int

	first, last name
	email       string
	phoneE164   string
	phoneNat    string
	optIn       bool
	device      int
	size        string
	favCat      int
	ipv6        bool
	srcs        []personSource

	buyer      bool
	lambda     float64 // purchases per week while alive
	dropP      float64 // dropout probability after a repeat purchase
	nu         float64 // Gamma-Gamma scale of the person's order values
	browseRate float64 // browsing sessions per week while alive

	plan         []sched
	nextPurchase int64
	nextBrowse   int64
	alive        bool
	orders       int
	sessions     int
	reviews      int
	lastEnd      int64

	pending []ev // future events, sorted by (t, seq)
	seq     uint32

	// heap state
	key        int64
	keySeq     uint32
	keySession bool
	hpos       int
	emitted    int
}

// planStart draws the person's first contact and the sessions planned
// around it: buyers browse anonymously a few times before their first
// order; prospects visit a few times and may sign up.
func (g *gen) planStart(p *person) {
	r := p.r
	birth := g.birth(p)
	if p.buyer {
		for k := poissonBrowse(r); k > 0; k-- {
			t := birth - int64(uniform(r, 0.02, 14)*float64(msPerDay))
			if t >= g.start {
				p.plan = append(p.plan, sched{t: t, kind: sessBrowse, src: 0})
			}
		}
		p.plan = append(p.plan, sched{t: birth, kind: sessPurchase, src: 0})
		// Secondary sources: the shopper opens an account there (or
		// registers a product) some weeks later, leaving an e-mail or phone
		// that links the accounts.
		for i := 1; i < len(p.srcs); i++ {
			t := birth + int64(uniform(r, 1, 90)*float64(msPerDay))
			p.plan = append(p.plan, sched{t: t, kind: sessSignup, src: i})
		}
	} else {
		n := 1 + poisson(r, 1.5)
		signup := -1
		if k := sourceTable[p.srcs[0].src].kind; (k == kindWeb || k == kindShopify) && p.email != "" && chance(r, 0.4) {
			signup = r.IntN(n)
		}
		t := birth
		for i := 0; i < n; i++ {
			kind := sessBrowse
			if i == signup {
				kind = sessSignup
			}
			p.plan = append(p.plan, sched{t: t, kind: kind, src: 0})
			t += int64(r.ExpFloat64() * 6 * float64(msPerDay))
		}
	}
	sort.SliceStable(p.plan, func(i, j int) bool { return p.plan[i].t < p.plan[j].t })
}

func poissonBrowse(r *rand.Rand) int {
	return [...]int{0, 0, 0, 1, 1, 1, 1, 2, 2, 3}[r.IntN(10)]
}

// birth draws the time of a person's first purchase (buyers) or first
// visit (prospects): the brand grows through the window (0.7× at the start,
// 1.3× at the end), with seasonality and the person's local rhythm.
func (g *gen) birth(p *person) int64 {
	span := float64(g.now - g.start)
	bound := g.cal.smax[p.prof] * maxWeekHour * 1.3
	for i := 0; i < 10000; i++ {
		t := g.start + int64(p.r.Float64()*span)
		growth := 0.7 + 0.6*float64(t-g.start)/span
		if p.r.Float64()*bound < growth*g.intensity(p, t) {
			return t
		}
	}
	return g.start + int64(p.r.Float64()*span)
}

// intensity is the relative shopping intensity for p at t: seasonality of
// the person's local date, weekday and hour.
func (g *gen) intensity(p *person, t int64) float64 {
	_, off := timeAt(t, p.city).Zone()
	local := t + int64(off)*1000
	day := unixDay(local)
	hour := (local - day*msPerDay) / msPerHour
	wd := (day + 4) % 7 // 1970-01-01 was a Thursday
	return g.cal.season[p.prof][g.cal.index(day)] * weekdayFactor[wd] * hourFactor[hour]
}

// nextTime returns the next event of a Poisson process with weekly rate
// modulated by intensity, after from (by thinning), or never if it falls
// after the window.
func (g *gen) nextTime(p *person, from int64, ratePerWeek float64) int64 {
	if ratePerWeek <= 0 {
		return never
	}
	bound := g.cal.smax[p.prof] * maxWeekHour
	meanGap := float64(msPerWeek) / (ratePerWeek * bound)
	t := from
	for {
		gap := p.r.ExpFloat64() * meanGap
		if gap > float64(g.now-t) { // also guards against overflow for tiny rates
			return never
		}
		t += int64(gap) + 1
		if p.r.Float64()*bound < g.intensity(p, t) {
			return t
		}
	}
}

// nextSession returns when the person's next session starts and which
// stream it comes from (0 plan, 1 purchase, 2 browse).
func (p *person) nextSession() (int64, int) {
	t, which := int64(never), -1
	if len(p.plan) > 0 {
		t, which = p.plan[0].t, 0
	}
	if p.nextPurchase < t {
		t, which = p.nextPurchase, 1
	}
	if p.nextBrowse < t {
		t, which = p.nextBrowse, 2
	}
	return t, which
}

// refreshKey sets the person's heap key: the earlier of their next pending
// event and their next session start (a session is generated before any
// pending event at the same time).
func (p *person) refreshKey() {
	s, _ := p.nextSession()
	if len(p.pending) > 0 && p.pending[0].t < s {
		p.key, p.keySeq, p.keySession = p.pending[0].t, p.pending[0].seq, false
		return
	}
	p.key, p.keySeq, p.keySession = s, 0, true
}

// advance generates the person's next session and moves the streams on.
func (g *gen) advance(p *person) {
	t, which := p.nextSession()
	switch which {
	case 0:
		s := p.plan[0]
		p.plan = p.plan[1:]
		g.session(p, s)
		if s.kind == sessPurchase && p.orders > 0 && p.nextPurchase == never && p.alive {
			// The first purchase starts the repeat-purchase and browsing
			// clocks.
			p.nextPurchase = g.nextTime(p, p.lastEnd, p.lambda)
			p.nextBrowse = g.nextTime(p, p.lastEnd, p.browseRate)
		}
	case 1:
		p.nextPurchase = never
		g.session(p, sched{t: t, kind: sessPurchase, src: -1})
		if p.orders >= maxOrders-1 || chance(p.r, p.dropP) {
			// Dropped out. Some come back once to look around, then never.
			p.alive = false
			p.nextBrowse = never
			if chance(p.r, 0.3) {
				if v := p.lastEnd + int64(p.r.ExpFloat64()*4*float64(msPerWeek)); v <= g.now {
					p.nextBrowse = v
				}
			}
		} else {
			p.nextPurchase = g.nextTime(p, p.lastEnd, p.lambda)
		}
	case 2:
		p.nextBrowse = never
		g.session(p, sched{t: t, kind: sessBrowse, src: -1})
		if p.alive {
			p.nextBrowse = g.nextTime(p, p.lastEnd, p.browseRate)
		}
	}
}

// push schedules an event if it falls inside the window.
func (p *person) push(g *gen, e ev) bool {
	if e.t > g.now || e.t < g.start {
		return false
	}
	p.seq++
	e.seq = p.seq
	i := len(p.pending)
	p.pending = append(p.pending, e)
	for i > 0 && (p.pending[i-1].t > e.t) {
		p.pending[i] = p.pending[i-1]
		i--
	}
	p.pending[i] = e
	return true
}

// pop removes and returns the earliest pending event.
func (p *person) pop() ev {
	e := p.pending[0]
	copy(p.pending, p.pending[1:])
	p.pending[len(p.pending)-1] = ev{}
	p.pending = p.pending[:len(p.pending)-1]
	return e
}
