package profile

import (
	"bytes"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/govalues/decimal"

	"github.com/tradewind/tradewind/internal/segment"
	"github.com/tradewind/tradewind/internal/store"
)

// memKV is a KV over a map, for tests: it copies what it stores, as a
// Pebble batch does, and hands out a reused buffer from Get, as an adapter
// may, so tests catch a Keeper that keeps Get's memory.
type memKV struct {
	m      map[string][]byte
	getBuf []byte
}

func newMemKV() *memKV { return &memKV{m: map[string][]byte{}} }

func (kv *memKV) Get(k []byte) ([]byte, error) {
	v, ok := kv.m[string(k)]
	if !ok {
		return nil, ErrNotFound
	}
	kv.getBuf = append(kv.getBuf[:0], v...)
	return kv.getBuf, nil
}

func (kv *memKV) Set(k, v []byte) error {
	kv.m[string(k)] = bytes.Clone(v)
	return nil
}

func (kv *memKV) Delete(k []byte) error {
	delete(kv.m, string(k))
	return nil
}

func (kv *memKV) Iterate(prefix []byte, fn func(k, v []byte) error) error {
	var keys []string
	for k := range kv.m {
		if strings.HasPrefix(k, string(prefix)) {
			keys = append(keys, k)
		}
	}
	sort.Strings(keys)
	for _, k := range keys {
		if err := fn([]byte(k), kv.m[k]); err != nil {
			return err
		}
	}
	return nil
}

// state returns the stored bytes of every part of profile id.
func (kv *memKV) state(k *Keeper, id string) map[byte]string {
	out := map[byte]string{}
	pk := profileKey(k.prefix, id)
	for key, v := range kv.m {
		if strings.HasPrefix(key, string(pk)) && len(key) == len(pk)+1 {
			out[key[len(pk)]] = string(v)
		}
	}
	return out
}

var t0 = time.Date(2025, 3, 1, 10, 0, 0, 0, time.UTC)

func day(n int) time.Time { return t0.AddDate(0, 0, n) }

func amt(s string) store.NullDecimal {
	if s == "" {
		return store.NullDecimal{}
	}
	return store.NullDecimal{D: decimal.MustParse(s), Valid: true}
}

// msg builds projected messages with increasing log sequences.
type msg struct{ seq uint64 }

func (m *msg) event(typ, name, src string, at time.Time) *store.EventRow {
	m.seq++
	return &store.EventRow{Seq: m.seq, MessageID: "m" + itoa(m.seq), SourceID: src, Type: typ, Event: name, Timestamp: at}
}

func itoa(n uint64) string {
	var b [20]byte
	i := len(b)
	for {
		i--
		b[i] = byte('0' + n%10)
		n /= 10
		if n == 0 {
			return string(b[i:])
		}
	}
}

func (m *msg) page(at time.Time, context string) *store.Projected {
	ev := m.event(segment.Page, "", "web", at)
	if context != "" {
		ev.Context = []byte(context)
	}
	return &store.Projected{Event: ev}
}

func (m *msg) identify(src string, at time.Time, traits, context string) *store.Projected {
	ev := m.event(segment.Identify, "", src, at)
	if traits != "" {
		ev.Traits = []byte(traits)
	}
	if context != "" {
		ev.Context = []byte(context)
	}
	return &store.Projected{Event: ev}
}

// order is an "Order Completed" (or Updated) in store "shop" with a base
// total (total = base: the tests' base currency is the order currency).
func (m *msg) order(event, id string, at time.Time, total, market string, units ...int64) *store.Projected {
	ev := m.event(segment.Track, event, "shop-src", at)
	o := &store.OrderRow{Seq: ev.Seq, Store: "shop", OrderID: id, SourceID: ev.SourceID, MessageID: ev.MessageID,
		Event: event, Timestamp: at, Currency: "EUR", Total: amt(total), TotalBase: amt(total), Status: "completed",
		Marketplace: market}
	for i, u := range units {
		o.Items = append(o.Items, store.ItemRow{Position: i, Quantity: u})
	}
	return &store.Projected{Event: ev, Order: o}
}

func (m *msg) completed(id string, at time.Time, total string) *store.Projected {
	return m.order(segment.OrderCompleted, id, at, total, "shopify_eu")
}

func (m *msg) refund(id string, at time.Time, amount string) *store.Projected {
	ev := m.event(segment.Track, segment.OrderRefunded, "shop-src", at)
	return &store.Projected{Event: ev, Refund: &store.RefundRow{Seq: ev.Seq, Store: "shop", OrderID: id, SourceID: ev.SourceID,
		MessageID: ev.MessageID, Timestamp: at, Currency: "EUR", Amount: amt(amount), AmountBase: amt(amount)}}
}

func (m *msg) cancel(id string, at time.Time) *store.Projected {
	ev := m.event(segment.Track, segment.OrderCancelled, "shop-src", at)
	return &store.Projected{Event: ev, Cancel: &store.CancelRow{Seq: ev.Seq, Store: "shop", OrderID: id, SourceID: ev.SourceID,
		MessageID: ev.MessageID, Timestamp: at}}
}

func (m *msg) review(id string, at time.Time, rating string) *store.Projected {
	ev := m.event(segment.Track, segment.ProductReviewed, "reviews", at)
	return &store.Projected{Event: ev, Review: &store.ReviewRow{Seq: ev.Seq, SourceID: ev.SourceID, MessageID: ev.MessageID,
		ReviewID: id, Rating: amt(rating), Timestamp: at}}
}

func apply(t testing.TB, k *Keeper, kv KV, id string, ps ...*store.Projected) Update {
	t.Helper()
	var up Update
	for _, p := range ps {
		var err error
		up, err = k.Apply(kv, id, p)
		if err != nil {
			t.Fatal(err)
		}
	}
	return up
}

func wantDec(t *testing.T, name string, got decimal.Decimal, want string) {
	t.Helper()
	if got.Cmp(decimal.MustParse(want)) != 0 {
		t.Errorf("%s = %s, want %s", name, got, want)
	}
}
