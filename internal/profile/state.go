package profile

import (
	"cmp"
	"slices"
	"strings"
	"sync"
)

// The persisted state of a profile is a set of facts, each with a merge
// rule that is commutative, associative and idempotent (a join in a
// semilattice): the newest version of a field by (event time, log sequence),
// the earliest or latest time, the union of sets, a sticky flag. Applying a
// message is merging the facts it carries into the state, and merging two
// profiles is merging their states, with the same functions. So the state —
// and every computed trait, which is a pure function of it — does not depend
// on the order messages arrive in, on duplicates, or on the order in which
// identities were merged: a replay, an out-of-order import and a merge all
// land on the same bytes.

// stamp orders versions of a field: event time in microseconds (the store's
// TIMESTAMPTZ precision, so "latest" means the same here and in SQL), then
// the log sequence, which breaks ties the way the store writer does (a later
// message with an equal timestamp wins).
type stamp struct {
	at  int64
	seq uint64
}

func (a stamp) after(b stamp) bool { return a.at > b.at || a.at == b.at && a.seq > b.seq }

// register is a value whose newest version wins.
type register struct {
	val string
	st  stamp
	set bool
}

func (r *register) merge(o register) {
	if o.set && (!r.set || o.st.after(r.st)) {
		*r = o
	}
}

// core is the part of a profile's state that every message touches.
type core struct {
	seen                bool
	firstSeen, lastSeen int64 // µs

	// Hints from context, used when traits do not say (see compute).
	locale, timezone register

	channels []string // sorted set
	reviews  []reviewFact
	devs     []Deviation // the newest deviation of each metric, sorted by metric

	// traits are kept with the core, not apart: every message reads them
	// (country, language and time zone come from traits), and one key is
	// one KV lookup.
	traits traitSet

	// sum is summarize(orders), kept with the core so that the many
	// messages that are not about orders (page views, identifies) read and
	// write a few hundred bytes instead of every order. It is a pure
	// function of the orders, recomputed whenever they change, so it is as
	// exact and order-independent as they are.
	sum orderSummary

	// orders are the order facts, sorted by key: a part of their own,
	// loaded only by messages about orders and by merges.
	orders       []orderFact
	ordersLoaded bool
	ordersDirty  bool // an order changed since loading

	raw string // the encoding this core was decoded from, to skip unchanged writes
}

// orderSummary is what the read model needs of the orders (see Profile for
// the meaning of each figure).
type orderSummary struct {
	orders, priced, unpriced, cancelled int64
	refunds, refundedOrders             int64
	gross, refunded                     int64 // 1e-4 units
	saturated                           bool
	first, last                         int64 // placement times, µs (if orders > 0)
	days                                int64 // distinct UTC order days
	medianGap                           float64
	gaps                                Welford
	markets                             []marketCount // sorted by market
}

type marketCount struct {
	market string
	orders int64
}

// summarize derives the summary from the order facts.
func summarize(orders []orderFact) orderSummary {
	var s orderSummary
	okSum := true
	add := func(a *int64, b int64) {
		var ok bool
		*a, ok = addMoney(*a, b)
		okSum = okSum && ok
	}
	days := make([]int64, 0, len(orders))
	for i := range orders {
		o := &orders[i]
		if !o.seenVersion() {
			continue // only a refund or cancellation so far
		}
		if !o.counted() {
			s.cancelled++
			continue
		}
		s.orders++
		at := o.placed()
		if s.orders == 1 {
			s.first, s.last = at, at
		} else {
			s.first, s.last = min(s.first, at), max(s.last, at)
		}
		days = append(days, dayOf(at))
		if o.flags&ofMarket != 0 && o.market != "" {
			j, found := slices.BinarySearchFunc(s.markets, o.market, func(x marketCount, m string) int { return strings.Compare(x.market, m) })
			if !found {
				s.markets = slices.Insert(s.markets, j, marketCount{market: o.market})
			}
			s.markets[j].orders++
		}
		s.refunds += int64(len(o.refunds))
		if len(o.refunds) > 0 {
			s.refundedOrders++
		}
		if !o.priced() {
			s.unpriced++
			continue
		}
		s.priced++
		add(&s.gross, o.total)
		r, ok := o.refunded()
		okSum = okSum && ok
		add(&s.refunded, r)
	}
	s.saturated = !okSum
	slices.Sort(days)
	days = slices.Compact(days)
	s.days = int64(len(days))
	if len(days) >= 2 {
		gaps := make([]int64, len(days)-1)
		for i := 1; i < len(days); i++ {
			gaps[i-1] = days[i] - days[i-1]
			s.gaps.Add(float64(gaps[i-1]))
		}
		slices.Sort(gaps)
		n := len(gaps)
		if n%2 == 1 {
			s.medianGap = float64(gaps[n/2])
		} else {
			s.medianGap = float64(gaps[n/2-1]+gaps[n/2]) / 2
		}
	}
	return s
}

func (s *orderSummary) encode(e *enc) {
	for _, v := range []int64{s.orders, s.priced, s.unpriced, s.cancelled, s.refunds, s.refundedOrders, s.gross, s.refunded, s.first, s.last, s.days} {
		e.i(v)
	}
	e.bool(s.saturated)
	e.f(s.medianGap)
	e.i(s.gaps.N)
	e.f(s.gaps.Mean)
	e.f(s.gaps.M2)
	e.u(uint64(len(s.markets)))
	for _, m := range s.markets {
		e.s(m.market)
		e.i(m.orders)
	}
}

func (s *orderSummary) decode(d *dec) {
	for _, v := range []*int64{&s.orders, &s.priced, &s.unpriced, &s.cancelled, &s.refunds, &s.refundedOrders, &s.gross, &s.refunded, &s.first, &s.last, &s.days} {
		*v = d.i()
	}
	s.saturated = d.bool()
	s.medianGap = d.f()
	s.gaps = Welford{N: d.i(), Mean: d.f(), M2: d.f()}
	if n := d.count(2); n > 0 {
		s.markets = make([]marketCount, n)
		for i := range s.markets {
			s.markets[i] = marketCount{market: d.s(), orders: d.i()}
		}
	}
}

// Order fact flags.
const (
	ofCompleted = 1 << iota // an "Order Completed" version was seen
	ofUpdated               // an "Order Updated" version was seen
	ofCancelled             // cancelled (by "Order Cancelled" or a version's status); sticky
	ofTotal                 // total/totalSt hold the newest version that had a total
	ofBase                  // ... and that version's total had a base-currency amount
	ofMarket                // market/marketSt are set
	ofItems                 // items/itemsSt are set
)

// orderFact is what a profile keeps of one order, keyed by store and order
// id (the store's natural key, so a redelivered or re-imported order is one
// order).
type orderFact struct {
	key      string // store + "\x00" + order id
	flags    uint8
	placedC  int64 // earliest "Order Completed" time, µs (if ofCompleted)
	placedU  int64 // earliest "Order Updated" time, µs (if ofUpdated)
	total    int64 // total in the base currency, 1e-4 units (if ofBase)
	totalSt  stamp
	market   string
	marketSt stamp
	items    int64 // units in the newest version that listed products
	itemsSt  stamp
	refunds  []refundFact // sorted by id

	// raw is the fact's encoding as loaded or last merged, so an unchanged
	// order is copied, not re-encoded, when the orders part is written.
	raw string
}

// refundFact is one "Order Refunded" message, identified by a hash of its
// source and message id so a redelivery is counted once.
type refundFact struct {
	id     uint64
	at     int64
	amount int64 // base currency, 1e-4 units (if known)
	known  bool
}

// reviewFact is the newest version of one review (source + review id).
type reviewFact struct {
	key    string
	st     stamp
	rating int64 // 1e-4 units (if rated)
	rated  bool
}

// seenVersion reports whether any version of the order (not only a refund
// or a cancellation that arrived first) is known.
func (o *orderFact) seenVersion() bool { return o.flags&(ofCompleted|ofUpdated) != 0 }

// counted reports whether the order counts as an order: a version is known
// and it is not cancelled.
func (o *orderFact) counted() bool { return o.seenVersion() && o.flags&ofCancelled == 0 }

// priced reports whether a counted order's base-currency total is known.
func (o *orderFact) priced() bool { return o.counted() && o.flags&ofBase != 0 }

// placed is when the order was placed: its earliest "Order Completed", else
// its earliest "Order Updated" (the only time known when the completion
// message is missing or has not arrived yet).
func (o *orderFact) placed() int64 {
	if o.flags&ofCompleted != 0 {
		return o.placedC
	}
	return o.placedU
}

// refunded is the sum of the order's refunds with a known base amount.
func (o *orderFact) refunded() (sum int64, ok bool) {
	ok = true
	for _, r := range o.refunds {
		if r.known {
			var fine bool
			sum, fine = addMoney(sum, r.amount)
			ok = ok && fine
		}
	}
	return sum, ok
}

func minSet(a int64, aSet bool, b int64, bSet bool) int64 {
	switch {
	case aSet && bSet:
		return min(a, b)
	case aSet:
		return a
	}
	return b
}

// merge folds o (the same order) into f.
func (f *orderFact) merge(o *orderFact) {
	f.placedC = minSet(f.placedC, f.flags&ofCompleted != 0, o.placedC, o.flags&ofCompleted != 0)
	f.placedU = minSet(f.placedU, f.flags&ofUpdated != 0, o.placedU, o.flags&ofUpdated != 0)
	if o.flags&ofTotal != 0 && (f.flags&ofTotal == 0 || o.totalSt.after(f.totalSt)) {
		f.flags = f.flags&^ofBase | o.flags&ofBase
		f.total, f.totalSt = o.total, o.totalSt
	}
	if o.flags&ofMarket != 0 && (f.flags&ofMarket == 0 || o.marketSt.after(f.marketSt)) {
		f.market, f.marketSt = o.market, o.marketSt
	}
	if o.flags&ofItems != 0 && (f.flags&ofItems == 0 || o.itemsSt.after(f.itemsSt)) {
		f.items, f.itemsSt = o.items, o.itemsSt
	}
	f.flags |= o.flags &^ ofBase
	for _, r := range o.refunds {
		i, found := slices.BinarySearchFunc(f.refunds, r.id, func(x refundFact, id uint64) int { return cmp.Compare(x.id, id) })
		if !found {
			f.refunds = slices.Insert(f.refunds, i, r)
		}
	}
}

// mergeOrder folds o into the state's order of the same key, adding it if
// new, and returns the merged order's index.
// Whether it changed anything is decided on the order's canonical encoding,
// kept from decoding: a redelivery leaves the orders part unwritten.
func (c *core) mergeOrder(o *orderFact) int {
	i, found := slices.BinarySearchFunc(c.orders, o.key, func(x orderFact, k string) int { return strings.Compare(x.key, k) })
	if !found {
		c.orders = slices.Insert(c.orders, i, orderFact{key: o.key})
	}
	f := &c.orders[i]
	f.merge(o)
	var e enc
	f.encode(&e)
	if !found || string(e.b) != f.raw {
		f.raw = string(e.b)
		c.ordersDirty = true
	}
	return i
}

func (c *core) mergeReview(r reviewFact) {
	i, found := slices.BinarySearchFunc(c.reviews, r.key, func(x reviewFact, k string) int { return strings.Compare(x.key, k) })
	switch {
	case !found:
		c.reviews = slices.Insert(c.reviews, i, r)
	case r.st.after(c.reviews[i].st):
		c.reviews[i] = r
	}
}

func (c *core) addChannel(ch string) {
	if i, found := slices.BinarySearch(c.channels, ch); !found {
		c.channels = slices.Insert(c.channels, i, ch)
	}
}

func (c *core) see(at int64) {
	if !c.seen {
		c.seen, c.firstSeen, c.lastSeen = true, at, at
		return
	}
	c.firstSeen = min(c.firstSeen, at)
	c.lastSeen = max(c.lastSeen, at)
}

// newerDeviation orders deviations of one metric: the later observation
// wins, then the order key, so merging is independent of order.
func newerDeviation(a, b *Deviation) bool {
	if !a.At.Equal(b.At) {
		return a.At.After(b.At)
	}
	if a.Store != b.Store {
		return a.Store > b.Store
	}
	if a.OrderID != b.OrderID {
		return a.OrderID > b.OrderID
	}
	return a.Value > b.Value || a.Value == b.Value && a.Z > b.Z
}

func (c *core) recordDeviation(d Deviation) {
	i, found := slices.BinarySearchFunc(c.devs, d.Metric, func(x Deviation, m string) int { return strings.Compare(x.Metric, m) })
	switch {
	case !found:
		c.devs = slices.Insert(c.devs, i, d)
	case newerDeviation(&d, &c.devs[i]):
		c.devs[i] = d
	}
}

// merge folds another profile's core into c.
func (c *core) merge(o *core) {
	if o.seen {
		c.see(o.firstSeen)
		c.see(o.lastSeen)
	}
	c.locale.merge(o.locale)
	c.timezone.merge(o.timezone)
	for _, ch := range o.channels {
		c.addChannel(ch)
	}
	for i := range o.orders {
		c.mergeOrder(&o.orders[i])
	}
	c.sum = summarize(c.orders)
	for _, r := range o.reviews {
		c.mergeReview(r)
	}
	for _, d := range o.devs {
		c.recordDeviation(d)
	}
	for _, t := range o.traits {
		c.traits.merge(t)
	}
}

const (
	coreVersion   = 1
	ordersVersion = 1
)

// Stamp encoding of an order's fields: most orders have one version, so the
// market and items stamps usually equal the total's, and the total's time
// its placement time; those cases take one byte.
const (
	stFull      = 0 // time and sequence follow
	stSameTotal = 1 // equal to the order's total stamp
)

// encode writes the order; fields absent by its flags are not written.
// Placement times and refund ids are fixed 8 bytes (as varints they take 8
// to 10 and are slower to read); other times are varint offsets from the
// placement time, usually one byte.
func (o *orderFact) encode(e *enc) {
	e.s(o.key)
	e.byte(o.flags)
	if o.flags&ofCompleted != 0 {
		e.fixed(uint64(o.placedC))
	}
	if o.flags&ofUpdated != 0 {
		e.fixed(uint64(o.placedU))
	}
	base := o.placed()
	if o.flags&ofTotal != 0 {
		e.i(o.total)
		e.i(o.totalSt.at - base)
		e.u(o.totalSt.seq)
	}
	if o.flags&ofMarket != 0 {
		e.s(o.market)
		o.encodeSub(e, o.marketSt, base)
	}
	if o.flags&ofItems != 0 {
		e.i(o.items)
		o.encodeSub(e, o.itemsSt, base)
	}
	e.u(uint64(len(o.refunds)))
	for _, r := range o.refunds {
		e.fixed(r.id)
		e.i(r.at - base)
		e.i(r.amount)
		e.bool(r.known)
	}
}

func (o *orderFact) encodeSub(e *enc, st stamp, base int64) {
	if o.flags&ofTotal != 0 && st == o.totalSt {
		e.byte(stSameTotal)
		return
	}
	e.byte(stFull)
	e.i(st.at - base)
	e.u(st.seq)
}

func (o *orderFact) decode(d *dec) {
	start := d.off
	o.key = d.s()
	o.flags = d.byte()
	if o.flags&ofCompleted != 0 {
		o.placedC = int64(d.fixed())
	}
	if o.flags&ofUpdated != 0 {
		o.placedU = int64(d.fixed())
	}
	base := o.placed()
	if o.flags&ofTotal != 0 {
		o.total = d.i()
		o.totalSt = stamp{at: base + d.i(), seq: d.u()}
	}
	if o.flags&ofMarket != 0 {
		o.market = d.s()
		o.marketSt = o.decodeSub(d, base)
	}
	if o.flags&ofItems != 0 {
		o.items = d.i()
		o.itemsSt = o.decodeSub(d, base)
	}
	if m := d.count(11); m > 0 {
		o.refunds = make([]refundFact, m)
		for j := range o.refunds {
			o.refunds[j] = refundFact{id: d.fixed(), at: base + d.i(), amount: d.i(), known: d.bool()}
		}
	}
	o.raw = d.str[start:d.off]
}

func (o *orderFact) decodeSub(d *dec, base int64) stamp {
	switch d.byte() {
	case stSameTotal:
		if o.flags&ofTotal == 0 {
			d.fail()
		}
		return o.totalSt
	case stFull:
		return stamp{at: base + d.i(), seq: d.u()}
	}
	d.fail()
	return stamp{}
}

// ordersPool recycles order slices: an order event decodes every order of
// the profile, and at 20,000 events a second a fresh slice each time is
// most of the garbage the engine makes.
var ordersPool = sync.Pool{New: func() any { return new([]orderFact) }}

func getOrders() []orderFact { return (*ordersPool.Get().(*[]orderFact))[:0] }

// putOrders returns a slice to the pool once nothing refers to it; the
// strings its facts hold stay valid (they are immutable), the slice is
// cleared so the pool does not keep them alive.
func putOrders(o []orderFact) {
	if cap(o) == 0 || cap(o) > 4096 {
		return
	}
	o = o[:cap(o)]
	clear(o)
	o = o[:0]
	ordersPool.Put(&o)
}

// encodeOrders writes the orders part.
func encodeOrders(orders []orderFact) []byte {
	n := 16
	for i := range orders {
		n += len(orders[i].raw)
	}
	e := enc{b: make([]byte, 0, n)}
	e.byte(ordersVersion)
	e.u(uint64(len(orders)))
	for i := range orders {
		if o := &orders[i]; o.raw != "" {
			e.b = append(e.b, o.raw...)
		} else {
			o.encode(&e)
		}
	}
	return e.b
}

// decodeOrders reads the orders part into buf's memory (see getOrders).
func decodeOrders(b []byte, buf []orderFact) ([]orderFact, error) {
	if len(b) == 0 {
		return buf[:0], nil
	}
	d := newDec(b)
	if v := d.byte(); v != ordersVersion {
		return nil, errUnknownVersion(v)
	}
	orders := buf[:0]
	if n := d.count(3); n > 0 {
		orders = slices.Grow(orders, n)[:n]
		for i := range orders {
			orders[i].decode(&d)
		}
	}
	if err := d.done("profile orders"); err != nil {
		return nil, err
	}
	return orders, nil
}

func (c *core) encode() []byte {
	n := 256 + len(c.reviews)*32 + len(c.devs)*64
	for _, t := range c.traits {
		n += len(t.key) + len(t.val) + 24
	}
	e := enc{b: make([]byte, 0, n)}
	e.byte(coreVersion)
	e.bool(c.seen)
	e.i(c.firstSeen)
	e.i(c.lastSeen)
	for _, r := range []*register{&c.locale, &c.timezone} {
		e.bool(r.set)
		e.s(r.val)
		e.st(r.st)
	}
	e.u(uint64(len(c.channels)))
	for _, ch := range c.channels {
		e.s(ch)
	}
	e.u(uint64(len(c.reviews)))
	for _, r := range c.reviews {
		e.s(r.key)
		e.st(r.st)
		e.i(r.rating)
		e.bool(r.rated)
	}
	e.u(uint64(len(c.devs)))
	for _, d := range c.devs {
		e.s(d.Metric)
		e.f(d.Value)
		e.f(d.Mean)
		e.f(d.SD)
		e.f(d.Z)
		e.u(uint64(d.N))
		e.i(d.At.UnixMicro())
		e.s(d.Store)
		e.s(d.OrderID)
	}
	c.sum.encode(&e)
	e.u(uint64(len(c.traits)))
	for _, t := range c.traits {
		e.s(t.key)
		e.bs(t.val)
		e.u(uint64(t.rank))
		e.st(t.st)
	}
	return e.b
}

func decodeCore(b []byte) (*core, error) {
	c := &core{}
	if len(b) == 0 {
		return c, nil
	}
	d := newDec(b)
	if v := d.byte(); v != coreVersion {
		return nil, errUnknownVersion(v)
	}
	c.seen = d.bool()
	c.firstSeen = d.i()
	c.lastSeen = d.i()
	for _, r := range []*register{&c.locale, &c.timezone} {
		r.set = d.bool()
		r.val = d.s()
		r.st = d.st()
	}
	if n := d.count(1); n > 0 {
		c.channels = make([]string, n)
		for i := range c.channels {
			c.channels[i] = d.s()
		}
	}
	if n := d.count(5); n > 0 {
		c.reviews = make([]reviewFact, n)
		for i := range c.reviews {
			c.reviews[i] = reviewFact{key: d.s(), st: d.st(), rating: d.i(), rated: d.bool()}
		}
	}
	if n := d.count(38); n > 0 {
		c.devs = make([]Deviation, n)
		for i := range c.devs {
			dv := &c.devs[i]
			dv.Metric = d.s()
			dv.Value, dv.Mean, dv.SD, dv.Z = d.f(), d.f(), d.f(), d.f()
			dv.N = int(d.u())
			dv.At = microTime(d.i())
			dv.Store = d.s()
			dv.OrderID = d.s()
		}
	}
	c.sum.decode(&d)
	if n := d.count(5); n > 0 {
		c.traits = make(traitSet, n)
		for i := range c.traits {
			c.traits[i] = traitFact{key: d.s(), val: d.bs(), rank: uint32(d.u()), st: d.st()}
		}
	}
	if err := d.done("profile state"); err != nil {
		return nil, err
	}
	c.raw = d.str
	return c, nil
}

// traitFact is one trait's winning value.
type traitFact struct {
	key  string
	val  []byte // raw JSON
	rank uint32 // source precedence: lower wins regardless of time
	st   stamp
}

// beats reports whether a wins over b: better-ranked source first, then the
// newer version.
func (a *traitFact) beats(b *traitFact) bool {
	if a.rank != b.rank {
		return a.rank < b.rank
	}
	return a.st.after(b.st)
}

type traitSet []traitFact // sorted by key

func (ts *traitSet) merge(t traitFact) {
	i, found := slices.BinarySearchFunc(*ts, t.key, func(x traitFact, k string) int { return strings.Compare(x.key, k) })
	switch {
	case !found:
		*ts = slices.Insert(*ts, i, t)
	case t.beats(&(*ts)[i]):
		(*ts)[i] = t
	}
}

func (ts traitSet) get(key string) ([]byte, bool) {
	i, found := slices.BinarySearchFunc(ts, key, func(x traitFact, k string) int { return strings.Compare(x.key, k) })
	if !found {
		return nil, false
	}
	return ts[i].val, true
}
