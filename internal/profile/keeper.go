package profile

import (
	"bytes"
	"fmt"
	"strings"

	"github.com/valyala/fastjson"

	"github.com/tradewind/tradewind/internal/segment"
	"github.com/tradewind/tradewind/internal/store"
)

// Config configures a Keeper.
type Config struct {
	// SourcePrecedence lists source ids or source kinds, strongest first. A
	// trait value from a source listed earlier wins over one from a source
	// listed later or not at all, whatever their times; among equally ranked
	// sources the newest value wins. A shop's own customer record ("shopify")
	// is usually listed before a marketplace's, whose buyer data is masked or
	// partial.
	SourcePrecedence []string
	// SourceKind returns the kind of a source id, to match SourcePrecedence
	// by kind; nil matches by id only.
	SourceKind func(sourceID string) string
	// Prefix is the key prefix of the Keeper's state (DefaultPrefix if empty).
	Prefix string
	// Deviations says when behaviour departs from a person's history.
	Deviations DeviationConfig
}

// Keeper keeps profiles' traits and computed traits in a KV. It holds no
// per-profile memory: everything is in the KV, so the engine may pass a new
// batch on every call and a restart loses nothing. A Keeper is safe for
// concurrent use; calls for one profile must not run concurrently with each
// other (the engine serialises a profile's messages, as its KV batch does).
type Keeper struct {
	cfg     Config
	prefix  []byte
	rank    map[string]uint32
	parsers fastjson.ParserPool
}

// New returns a Keeper.
func New(cfg Config) *Keeper {
	k := &Keeper{cfg: cfg, prefix: []byte(cfg.Prefix), rank: map[string]uint32{}}
	if len(k.prefix) == 0 {
		k.prefix = []byte(DefaultPrefix)
	}
	for i, s := range cfg.SourcePrecedence {
		if _, dup := k.rank[s]; !dup {
			k.rank[s] = uint32(i)
		}
	}
	return k
}

// rankOf is a source's precedence: its position in SourcePrecedence (by id,
// else by kind), or after every listed source.
func (k *Keeper) rankOf(sourceID string) uint32 {
	if r, ok := k.rank[sourceID]; ok {
		return r
	}
	if k.cfg.SourceKind != nil {
		if r, ok := k.rank[k.cfg.SourceKind(sourceID)]; ok {
			return r
		}
	}
	return uint32(len(k.cfg.SourcePrecedence))
}

// Update is what Apply did to a profile.
type Update struct {
	// Profile is the profile after the message.
	Profile *Profile
	// Changed reports whether the profile's state changed (a duplicate, or a
	// version older than what is known, changes nothing), so the engine can
	// skip re-evaluating segments.
	Changed bool
	// Deviations are the deviations this message caused; they are also
	// recorded on the profile. The engine publishes them; with a replay of
	// old messages it may prefer to drop those whose At is long past.
	Deviations []Deviation
}

// Apply folds one projected message into profile id's state and returns the
// profile after it. Every effect is idempotent and independent of arrival
// order (see the package documentation): traits, first/last seen, locale and
// time zone hints, campaign channel, and the order, refund, cancellation or
// review the message carries. A delivery without an event row (rejected,
// suppressed, expired) changes nothing.
func (k *Keeper) Apply(kv KV, id string, p *store.Projected) (Update, error) {
	pk := profileKey(k.prefix, id)
	c, err := k.load(kv, pk, id)
	if err != nil {
		return Update{}, err
	}
	defer func() { putOrders(c.orders) }()
	if p == nil || p.Event == nil {
		return Update{Profile: compute(id, c, &k.parsers)}, nil
	}
	ev := p.Event
	st := stamp{at: ev.Timestamp.UnixMicro(), seq: ev.Seq}
	c.see(st.at)

	k.applyJSON(c, ev, st)

	var devs []Deviation
	if p.Order != nil || p.Refund != nil || p.Cancel != nil {
		if err = k.loadOrders(kv, c, pk, id); err != nil {
			return Update{}, err
		}
	}
	if o := p.Order; o != nil {
		devs = k.applyOrder(c, orderVersion(o))
	}
	if r := p.Refund; r != nil {
		f := orderFact{key: orderKey(r.Store, r.OrderID)}
		rf := refundFact{id: hash64(r.SourceID, r.MessageID), at: r.Timestamp.UnixMicro()}
		if r.AmountBase.Valid {
			rf.amount, rf.known = toUnits(r.AmountBase.D)
		}
		f.refunds = []refundFact{rf}
		devs = append(devs, k.applyOrder(c, f)...)
	}
	if x := p.Cancel; x != nil {
		k.applyOrder(c, orderFact{key: orderKey(x.Store, x.OrderID), flags: ofCancelled})
	}
	if r := p.Review; r != nil {
		rf := reviewFact{key: r.SourceID + "\x00" + r.ReviewID, st: stamp{at: r.Timestamp.UnixMicro(), seq: r.Seq}}
		if r.Rating.Valid {
			rf.rating, rf.rated = toUnits(r.Rating.D)
		}
		c.mergeReview(rf)
	}
	for _, d := range devs {
		c.recordDeviation(d)
	}

	up := Update{Deviations: devs}
	if c.ordersDirty {
		if err := kv.Set(partKey(pk, partOrders), encodeOrders(c.orders)); err != nil {
			return Update{}, fmt.Errorf("profile %s: save orders: %w", id, err)
		}
		c.sum = summarize(c.orders)
		up.Changed = true
	}
	if b := c.encode(); string(b) != c.raw {
		if err := kv.Set(partKey(pk, partCore), b); err != nil {
			return Update{}, fmt.Errorf("profile %s: save: %w", id, err)
		}
		up.Changed = true
	}
	up.Profile = compute(id, c, &k.parsers)
	return up, nil
}

// applyOrder merges an order fact and judges what it made happen.
func (k *Keeper) applyOrder(c *core, f orderFact) []Deviation {
	wasCounted, hadRefund := false, false
	for i := range c.orders { // binary search is in mergeOrder; this is the "before" view
		if c.orders[i].key == f.key {
			wasCounted, hadRefund = c.orders[i].counted(), len(c.orders[i].refunds) > 0
			break
		}
	}
	i := c.mergeOrder(&f)
	o := &c.orders[i]
	becameCounted := !wasCounted && o.counted()
	firstRefund := !hadRefund && len(o.refunds) > 0
	if !becameCounted && !firstRefund {
		return nil
	}
	return detect(k.cfg.Deviations, c, i, becameCounted, firstRefund)
}

func orderKey(store, orderID string) string { return store + "\x00" + orderID }

// orderVersion is the fact one "Order Completed" or "Order Updated" carries.
func orderVersion(o *store.OrderRow) orderFact {
	at := o.Timestamp.UnixMicro()
	st := stamp{at: at, seq: o.Seq}
	f := orderFact{key: orderKey(o.Store, o.OrderID)}
	if o.Event == segment.OrderUpdated {
		f.flags, f.placedU = ofUpdated, at
	} else {
		f.flags, f.placedC = ofCompleted, at
	}
	if s := o.Status; s == "cancelled" || s == "canceled" {
		f.flags |= ofCancelled
	}
	if o.Total.Valid {
		f.flags |= ofTotal
		f.totalSt = st
		if o.TotalBase.Valid {
			if u, ok := toUnits(o.TotalBase.D); ok {
				f.flags |= ofBase
				f.total = u
			}
		}
	}
	if o.Marketplace != "" {
		f.flags |= ofMarket
		f.market, f.marketSt = o.Marketplace, st
	}
	if len(o.Items) > 0 {
		var n int64
		for _, it := range o.Items {
			n += max(it.Quantity, 0)
		}
		f.flags |= ofItems
		f.items, f.itemsSt = n, st
	}
	return f
}

// applyJSON reads what the message's traits and context say about the
// person: identify traits, context.traits, context.locale,
// context.timezone and context.campaign.
func (k *Keeper) applyJSON(c *core, ev *store.EventRow, st stamp) {
	if len(ev.Context) == 0 && (ev.Type != segment.Identify || len(ev.Traits) == 0) {
		return
	}
	pr := k.parsers.Get()
	defer k.parsers.Put(pr)
	rank := k.rankOf(ev.SourceID)
	take := func(obj *fastjson.Value) {
		o, err := obj.Object()
		if err != nil {
			return
		}
		o.Visit(func(key []byte, v *fastjson.Value) {
			c.traits.merge(traitFact{key: string(key), val: v.MarshalTo(nil), rank: rank, st: st})
		})
	}
	// Top-level traits first: with equal stamps the value merged first stays,
	// so an identify's own traits win over its context.traits.
	if ev.Type == segment.Identify && len(ev.Traits) > 0 {
		if v, err := pr.ParseBytes(ev.Traits); err == nil {
			take(v)
		}
	}
	if len(ev.Context) == 0 {
		return
	}
	cx, err := pr.ParseBytes(ev.Context)
	if err != nil || cx.Type() != fastjson.TypeObject {
		return
	}
	if t := cx.Get("traits"); t != nil && t.Type() == fastjson.TypeObject {
		take(t)
	}
	if s := strings.TrimSpace(string(cx.GetStringBytes("locale"))); s != "" {
		c.locale.merge(register{val: s, st: st, set: true})
	}
	if s := strings.TrimSpace(string(cx.GetStringBytes("timezone"))); s != "" {
		c.timezone.merge(register{val: s, st: st, set: true})
	}
	if cp := cx.Get("campaign"); cp != nil && cp.Type() == fastjson.TypeObject {
		if ch := Channel(string(cp.GetStringBytes("source")), string(cp.GetStringBytes("medium"))); ch != "" {
			c.addChannel(ch)
		}
	}
}

// load reads a profile's core part (the orders only on demand, see
// loadOrders); an absent profile is empty. The stored encoding is kept
// (c.raw, a copy, as the KV may reuse its memory) so that an unchanged core
// is not written back.
func (k *Keeper) load(kv KV, pk []byte, id string) (*core, error) {
	v, err := get(kv, partKey(pk, partCore))
	if err != nil {
		return nil, fmt.Errorf("profile %s: load: %w", id, err)
	}
	c, err := decodeCore(v)
	if err != nil {
		return nil, fmt.Errorf("profile %s: %w", id, err)
	}
	return c, nil
}

// loadOrders reads the orders part into c.
func (k *Keeper) loadOrders(kv KV, c *core, pk []byte, id string) error {
	v, err := get(kv, partKey(pk, partOrders))
	if err != nil {
		return fmt.Errorf("profile %s: load orders: %w", id, err)
	}
	if c.orders, err = decodeOrders(v, getOrders()); err != nil {
		return fmt.Errorf("profile %s: %w", id, err)
	}
	c.ordersLoaded = true
	return nil
}

// Load returns profile id; ok is false (with an empty profile) when the KV
// holds nothing for it.
func (k *Keeper) Load(kv KV, id string) (p *Profile, ok bool, err error) {
	c, err := k.load(kv, profileKey(k.prefix, id), id)
	if err != nil {
		return nil, false, err
	}
	return compute(id, c, &k.parsers), c.raw != "", nil
}

// Merge folds profile from into profile into (an identity merge) and deletes
// from's state. The result is exactly the state a single profile would have
// had with both profiles' messages, in any order: every fact merges by its
// own rule (newest version, earliest time, set union, precedence for
// traits). Merging a profile into itself does nothing.
func (k *Keeper) Merge(kv KV, into, from string) (*Profile, error) {
	if into == from {
		p, _, err := k.Load(kv, into)
		return p, err
	}
	pkI, pkF := profileKey(k.prefix, into), profileKey(k.prefix, from)
	c, err := k.load(kv, pkI, into)
	if err != nil {
		return nil, err
	}
	defer func() { putOrders(c.orders) }()
	fc, err := k.load(kv, pkF, from)
	if err != nil {
		return nil, err
	}
	defer func() { putOrders(fc.orders) }()
	if err := k.loadOrders(kv, c, pkI, into); err != nil {
		return nil, err
	}
	if err := k.loadOrders(kv, fc, pkF, from); err != nil {
		return nil, err
	}
	c.merge(fc)
	if c.ordersDirty {
		if err := kv.Set(partKey(pkI, partOrders), encodeOrders(c.orders)); err != nil {
			return nil, fmt.Errorf("profile %s: merge %s orders: %w", into, from, err)
		}
	}
	if b := c.encode(); string(b) != c.raw {
		if err := kv.Set(partKey(pkI, partCore), b); err != nil {
			return nil, fmt.Errorf("profile %s: merge %s: %w", into, from, err)
		}
	}
	if err := k.Reset(kv, from); err != nil {
		return nil, err
	}
	return compute(into, c, &k.parsers), nil
}

// Reset deletes everything kept for profile id. An unmerge resets the
// profiles it affects and replays their messages; an erasure resets the
// erased person's profile.
func (k *Keeper) Reset(kv KV, id string) error {
	pk := profileKey(k.prefix, id)
	var keys [][]byte
	if err := kv.Iterate(pk, func(key, _ []byte) error {
		keys = append(keys, bytes.Clone(key))
		return nil
	}); err != nil {
		return fmt.Errorf("profile %s: reset: %w", id, err)
	}
	for _, key := range keys {
		if err := kv.Delete(key); err != nil {
			return fmt.Errorf("profile %s: reset: %w", id, err)
		}
	}
	return nil
}
