package realtime

import (
	"encoding/json"
	"hash/maphash"
	"reflect"
	"strconv"
	"testing"
	"time"

	"github.com/govalues/decimal"

	"github.com/tradewind/tradewind/internal/audience"
	"github.com/tradewind/tradewind/internal/profile"
)

func TestMembersEncodingRoundTrips(t *testing.T) {
	m := map[string]time.Time{
		"vip":     time.Date(2026, 11, 22, 15, 4, 5, 123456789, time.UTC),
		"lapsed":  time.Date(1999, 1, 2, 3, 4, 5, 0, time.UTC),
		"a-b_c-1": time.Unix(0, 1).UTC(),
	}
	got, err := decodeMembers(encodeMembers(m))
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != len(m) {
		t.Fatalf("got %d memberships, want %d", len(got), len(m))
	}
	for id, since := range m {
		if !got[id].Equal(since) || got[id].Location() != time.UTC {
			t.Errorf("%s: got %v, want %v", id, got[id], since)
		}
	}
	// State written before the binary form holds JSON; it is still read.
	old, _ := json.Marshal(m)
	if got, err = decodeMembers(old); err != nil || len(got) != len(m) || !got["vip"].Equal(m["vip"]) {
		t.Errorf("JSON memberships: %v, %v", got, err)
	}
	if got, err := decodeMembers(nil); err != nil || len(got) != 0 {
		t.Errorf("no memberships: %v, %v", got, err)
	}
	enc := encodeMembers(m)
	for n := 1; n < len(enc); n++ {
		if _, err := decodeMembers(enc[:n]); err == nil {
			t.Errorf("truncated to %d bytes: no error", n)
		}
	}
}

func TestStateCacheKeepsRecentValuesWithinBudget(t *testing.T) {
	s := newStateCache(100 * (cacheEntryOverhead + 8))
	put := func(k string) { s.put(k, cached{v: []byte(k), ok: true}) }
	for i := range 1000 {
		put(string(rune('a'+i%26)) + string(rune('0'+i/26%10)) + string(rune('0'+i/260)))
	}
	if n := len(s.cur.idx) + len(s.prev.idx); n > 105 {
		t.Errorf("%d entries held, budget is about 100", n)
	}
	put("hot")
	for range 200 {
		if _, ok := s.get("hot"); !ok {
			t.Fatal("a value read over and over was evicted")
		}
		put(time.Now().String())
	}
	s.forget("hot")
	if _, ok := s.get("hot"); ok {
		t.Error("forgotten value still cached")
	}
	// A value handed out stays as it was however much is added after it,
	// and appending to it does not write over its neighbour.
	s = newStateCache(1 << 20)
	s.put("a", cached{v: []byte("1"), ok: true})
	s.put("b", cached{v: []byte("2"), ok: true})
	s.put("gone", cached{})
	a, _ := s.get("a")
	_ = append(a.v, 'x')
	for i := range 5000 {
		s.put(strconv.Itoa(i), cached{v: []byte("some value " + strconv.Itoa(i)), ok: true})
	}
	if b, ok := s.get("b"); !ok || string(b.v) != "2" || string(a.v) != "1" {
		t.Errorf("values changed: a %q, b %q %v", a.v, b.v, ok)
	}
	if e, ok := s.get("gone"); !ok || e.ok {
		t.Errorf("an absent key cached as absent: %v %v", e, ok)
	}
	if e, ok := s.get("empty"); ok {
		t.Errorf("a key never put: %v", e)
	}
	s.put("empty", cached{v: []byte{}, ok: true})
	if e, ok := s.get("empty"); !ok || !e.ok || e.v == nil {
		t.Errorf("present but empty must not read as absent: %v %v", e, ok)
	}
	// Two keys with one hash: the later one holds the slot, the other is a
	// miss (never the other's value).
	s.hash = func(string) uint64 { return 7 }
	s.clear()
	s.put("x", cached{v: []byte("X"), ok: true})
	s.put("y", cached{v: []byte("Y"), ok: true})
	if e, ok := s.get("x"); ok {
		t.Errorf("x read %q through y's slot", e.v)
	}
	if e, ok := s.get("y"); !ok || string(e.v) != "Y" {
		t.Errorf("y: %q %v", e.v, ok)
	}
	s.forget("x") // not cached: y stays
	if _, ok := s.get("y"); !ok {
		t.Error("forgetting x dropped y")
	}
	s.hash = func(k string) uint64 { return maphash.String(s.seed, k) }
	s.clear()

	// A batch's overlay reaches the shared cache only when it commits.
	c := newReadCache(s)
	c.m["k"] = cached{v: []byte("v"), ok: true}
	if _, ok := s.get("k"); ok {
		t.Error("uncommitted value visible in the shared cache")
	}
	c.commit()
	if e, ok := s.get("k"); !ok || string(e.v) != "v" {
		t.Error("committed value not in the shared cache")
	}
	c.reset()
	if _, ok := s.get("k"); ok {
		t.Error("reset left shared values")
	}
}

func TestMembershipMessageBodyIsUnchanged(t *testing.T) {
	p := &parts{segs: map[string]audience.Segment{"vip": {ID: "vip", Name: `Big <spenders> & "friends"`}}}
	now := time.Date(2026, 11, 22, 15, 4, 5, 120000000, time.FixedZone("CET", 3600))
	m := p.membershipMessage("segment_entered", "vip", "p-1", now, "m42")
	// What the engine sent before the body was a struct: journeys and the
	// store read these bytes.
	want, _ := json.Marshal(map[string]any{"type": "segment_entered", "messageId": m.Meta.MessageID,
		"timestamp":  now.UTC().Format(time.RFC3339Nano),
		"properties": map[string]any{"segment_id": "vip", "segment_name": `Big <spenders> & "friends"`, "profile_id": "p-1"}})
	if string(m.Data) != string(want) {
		t.Errorf("body\n%s\nwant\n%s", m.Data, want)
	}
}

func TestAttrOfIsAttrValueOfAttr(t *testing.T) {
	now := time.Date(2026, 11, 22, 12, 0, 0, 0, time.UTC)
	full := &profile.Profile{ID: "p1", FirstSeen: now.Add(-900 * time.Hour), LastSeen: now.Add(-time.Hour),
		Orders: 3, PricedOrders: 2, UnpricedOrders: 1, CancelledOrders: 1, RevenueBase: decimal.MustNew(12345, 2),
		NetRevenueBase: decimal.MustNew(10000, 2), RefundedBase: decimal.MustNew(2345, 2), AOVBase: decimal.MustNew(6172, 2),
		Refunds: 1, RefundedOrders: 1, Marketplaces: []string{"amazon_de", "shopify_eu"}, Channels: []string{"email"},
		Country: "DE", Language: "de", TimeZone: "Europe/Berlin", FirstOrderAt: now.Add(-800 * time.Hour),
		LastOrderAt: now.Add(-50 * time.Hour), OrderIntervalDays: 12.5, Reviews: 2, RatedReviews: 1, RatingAvg: decimal.MustNew(4, 0),
		Deviations: []profile.Deviation{{Metric: "basket", At: now.Add(-2 * time.Hour)}}}
	for _, p := range []*profile.Profile{{ID: "empty"}, full} {
		for name := range baseSchema().Attrs {
			if _, pred := predictionAttrs[name]; pred {
				continue
			}
			got, gotOK := attrOf(p, name, now)
			var want audience.Value
			v, wantOK := p.Attr(name, now)
			if wantOK {
				want, wantOK = attrValue(v)
			}
			if gotOK != wantOK || !reflect.DeepEqual(got, want) {
				t.Errorf("%s of %s: %v %v, want %v %v", name, p.ID, got, gotOK, want, wantOK)
			}
		}
	}
}

// TestStateCacheCollisionIsAMiss: a key updated after the generations turn
// must not answer with its older value once another key with the same
// hash takes its slot in the current generation (found in review).
func TestStateCacheCollisionIsAMiss(t *testing.T) {
	s := newStateCache(1 << 20)
	s.hash = func(k string) uint64 {
		if k == "x" || k == "y" {
			return 7 // x and y collide
		}
		return uint64(len(k))
	}
	s.put("x", cached{v: []byte("old"), ok: true})
	s.prev, s.cur = s.cur, newCacheGen() // the generations turn
	s.put("x", cached{v: []byte("new"), ok: true})
	s.put("y", cached{v: []byte("Y"), ok: true})
	if e, ok := s.get("x"); ok {
		t.Errorf("x answered %q after a collision, want a miss", e.v)
	}
	if e, ok := s.get("y"); !ok || string(e.v) != "Y" {
		t.Errorf("y = %q, %v", e.v, ok)
	}
}
