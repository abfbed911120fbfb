package realtime

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/tradewind/tradewind/internal/audience"
	"github.com/tradewind/tradewind/internal/eventlog"
	"github.com/tradewind/tradewind/internal/identity"
	"github.com/tradewind/tradewind/internal/profile"
	"github.com/tradewind/tradewind/internal/store"
	"github.com/tradewind/tradewind/internal/store/keyindex"
)

// TestPrefetchReadsWhatTheChunkReads: with the state cache emptied, a
// chunk of messages from known people finds every record it reads in
// what prefetch read (no read of its own goes to Pebble), and message
// keys repeated within a chunk, or from an earlier one, are still
// recognised.
func TestPrefetchReadsWhatTheChunkReads(t *testing.T) {
	e, err := Open(Config{Dir: t.TempDir(),
		Projector:  &store.Projector{Source: func(string) (store.SourceInfo, bool) { return store.SourceInfo{Store: "s1", Currency: "USD"}, true }},
		SourceInfo: func(string) (string, string) { return "server", "s1" }})
	if err != nil {
		t.Fatal(err)
	}
	defer e.Close()
	now := time.Now().UTC()
	seq := uint64(0)
	msg := func(user, id, event string) eventlog.Delivery {
		seq++
		return eventlog.Delivery{Seq: seq, Type: "track",
			Meta: eventlog.Meta{Source: "src1", MessageID: id, ReceivedAt: now, Timestamp: now},
			Data: fmt.Appendf(nil, `{"type":"track","event":%q,"userId":%q,"messageId":%q}`, event, user, id)}
	}
	var first []eventlog.Delivery
	for i := range 20 {
		first = append(first, msg(fmt.Sprintf("u%d", i), fmt.Sprintf("a%d", i), "Signed Up"))
	}
	ctx := context.Background()
	if err := e.handle(ctx, first); err != nil {
		t.Fatal(err)
	}
	// New people: only the graph's check that each new profile id is free
	// reads Pebble; their profiles' records are known to be absent.
	if r := e.chunk.reads; r != len(first) {
		t.Errorf("a chunk creating %d profiles read %d records from Pebble, want %d", len(first), r, len(first))
	}
	e.cache.clear()

	var second []eventlog.Delivery
	for i := range 20 {
		second = append(second, msg(fmt.Sprintf("u%d", i), fmt.Sprintf("b%d", i), "Viewed"))
	}
	second = append(second, msg("u1", "a1", "Signed Up"), msg("u2", "b2", "Viewed")) // resends
	if err := e.handle(ctx, second); err != nil {
		t.Fatal(err)
	}
	if r := e.chunk.reads; r != 0 {
		t.Errorf("the chunk read %d records from Pebble after prefetch, want 0", r)
	}
	if r := e.pre.dupReads; r != 0 {
		t.Errorf("the chunk read %d message keys itself, want 0", r)
	}
	// The resends were skipped: their keys still name the first messages.
	for _, c := range []struct {
		id  string
		seq uint64
	}{{"a1", 2}, {"b2", 23}} {
		dg := keyindex.Hash("src1", c.id)
		v, closer, err := e.db.Get(append(append([]byte{}, prefKey...), dg[:]...))
		if err != nil {
			t.Fatalf("%s: %v", c.id, err)
		}
		ent, err := keyindex.DecodeEntry(v)
		closer.Close()
		if err != nil || ent.Seq != c.seq {
			t.Errorf("%s's key names message %d (%v), want %d", c.id, ent.Seq, err, c.seq)
		}
	}
	// The flusher reads the changed profiles' records in key order too.
	e.cache.clear()
	c := newReadCache(e.cache)
	out := &store.ProfileBatch{}
	if _, _, err := e.parts.collect(e.db, c, out, nil, 100, 100, nil); err != nil {
		t.Fatal(err)
	}
	if len(out.Profiles) != 20 || c.reads != 0 {
		t.Errorf("collect: %d profiles, %d records read after prefetch; want 20, 0", len(out.Profiles), c.reads)
	}
	e.cache.clear()
	c = newReadCache(e.cache)
	if err := e.parts.recheck(e.db, c, out); err != nil {
		t.Fatal(err)
	}
	if len(out.Profiles) != 20 || c.reads != 0 {
		t.Errorf("recheck: %d profiles, %d records read after prefetch; want 20, 0", len(out.Profiles), c.reads)
	}

	pid, err := e.Lookup(identity.ID{Kind: identity.User, NS: "src1", Value: "u2"})
	if err != nil {
		t.Fatal(err)
	}
	v, err := e.Profile(pid, now)
	if err != nil {
		t.Fatal(err)
	}
	if _, ok := v.Computed[profile.AttrLastSeen]; !ok || v.State != "live" {
		t.Errorf("u2's profile: %+v", v)
	}
}

// TestProfileStateKeyIsTheKeepers: prefetch names the profile state's keys
// itself; they must be the ones the Keeper reads.
func TestProfileStateKeyIsTheKeepers(t *testing.T) {
	k := profile.New(profile.Config{})
	var rec keyRecorder
	if _, _, err := k.Load(&rec, "p_abcdefghijklmnop"); err != nil {
		t.Fatal(err)
	}
	if len(rec.keys) != 1 || prefProfile+string(rec.keys[0]) != profileStateKey("p_abcdefghijklmnop", 'c') {
		t.Errorf("Keeper.Load read %q, prefetch reads %q", rec.keys, profileStateKey("p_abcdefghijklmnop", 'c'))
	}
	_ = audience.KeyPrefix
}
