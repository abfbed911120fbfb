package realtime

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/tradewind/tradewind/internal/eventlog"
	"github.com/tradewind/tradewind/internal/identity"
	"github.com/tradewind/tradewind/internal/store"
)

// TestRecheckDropsProfilesMergedSinceTheyWereRead: the flusher reads
// changed profiles in steps, releasing the engine's lock between them. A
// profile read in an early step and merged away before the last must go to
// the store as removed: its markers are cleared with the batch, so a row
// written for it would stay for good.
func TestRecheckDropsProfilesMergedSinceTheyWereRead(t *testing.T) {
	e, err := Open(Config{Dir: t.TempDir(), Projector: &store.Projector{
		Source: func(string) (store.SourceInfo, bool) { return store.SourceInfo{}, false }}})
	if err != nil {
		t.Fatal(err)
	}
	defer e.db.Close()
	at := time.Date(2026, 11, 22, 12, 0, 0, 0, time.UTC)
	seq := uint64(0)
	deliver := func(body string) {
		t.Helper()
		seq++
		d := eventlog.Delivery{Seq: seq, Type: "track", Meta: eventlog.Meta{Source: "src", MessageID: fmt.Sprintf("m%d", seq),
			ReceivedAt: at, Timestamp: at}, Data: []byte(body)}
		if err := e.handle(context.Background(), []eventlog.Delivery{d}); err != nil {
			t.Fatal(err)
		}
	}
	deliver(`{"type":"track","event":"Viewed","anonymousId":"a1","messageId":"m1","timestamp":"2026-11-22T12:00:00Z"}`)
	deliver(`{"type":"track","event":"Viewed","anonymousId":"a2","messageId":"m2","timestamp":"2026-11-22T12:00:00Z"}`)
	p1, _ := e.Lookup(identity.ID{Kind: identity.Anon, Value: "a1"})
	p2, _ := e.Lookup(identity.ID{Kind: identity.Anon, Value: "a2"})
	if p1 == "" || p2 == "" || p1 == p2 {
		t.Fatalf("profiles %q and %q", p1, p2)
	}
	// An early step reads both as live.
	e.mu.Lock()
	out := &store.ProfileBatch{}
	_, _, err = e.parts.collect(e.db, newReadCache(e.cache), out, nil, 10, 10, nil)
	e.mu.Unlock()
	if err != nil || len(out.Profiles) != 2 {
		t.Fatalf("collected %d profiles, %v", len(out.Profiles), err)
	}
	// Then a message links them: one is merged into the other.
	deliver(`{"type":"track","event":"Viewed","userId":"u","anonymousId":"a1","messageId":"m3","timestamp":"2026-11-22T12:00:00Z"}`)
	deliver(`{"type":"track","event":"Viewed","userId":"u","anonymousId":"a2","messageId":"m4","timestamp":"2026-11-22T12:00:00Z"}`)
	survivor, _ := e.Lookup(identity.ID{Kind: identity.Anon, Value: "a2"})
	gone := p1
	if survivor == p1 {
		gone = p2
	}
	e.mu.Lock()
	err = e.parts.recheck(e.db, newReadCache(e.cache), out)
	e.mu.Unlock()
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range out.Profiles {
		if r.ProfileID == gone {
			t.Errorf("profile %s, merged away, is still written", gone)
		}
	}
	for _, r := range out.Identities {
		if r.ProfileID == gone {
			t.Errorf("an identity of %s, merged away, is still written", gone)
		}
	}
	removed := false
	for _, id := range out.Removed {
		removed = removed || id == gone
	}
	if !removed || len(out.Profiles) != 1 {
		t.Errorf("removed %v, profiles %d; want %s removed and the survivor kept", out.Removed, len(out.Profiles), gone)
	}
}
