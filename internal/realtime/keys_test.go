package realtime

import (
	"context"
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/tradewind/tradewind/internal/audience"
	"github.com/tradewind/tradewind/internal/eventlog"
	"github.com/tradewind/tradewind/internal/identity"
	"github.com/tradewind/tradewind/internal/segment"
	"github.com/tradewind/tradewind/internal/store/keyindex"
)

// TestResendAfterLogWindowAppliedOnce: a message sent again after
// JetStream's duplicate window gets a new log sequence; the engine applies
// it once all the same (a segment that counts events must not count it
// twice), and an engine replaying the log from the start decides the same.
// A resend two days later is outside the 24-hour window and counts again,
// as it does in the store.
func TestResendAfterLogWindowAppliedOnce(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	const window = 100 * time.Millisecond
	log, db := openLogAndStore(t, dir, window)
	open := func(name string) *Engine {
		t.Helper()
		e, err := Open(testConfig(dir, name, log, db))
		if err != nil {
			t.Fatal(err)
		}
		return e
	}
	live := open("live")
	for _, s := range []struct{ id, rule string }{
		{"twice", `event "Signed Up" count >= 2 within 30d`},
		{"thrice", `event "Signed Up" count >= 3 within 30d`},
	} {
		r, err := audience.ParseText(s.rule)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := live.SaveSegment(ctx, SegmentDef{ID: s.id, Name: s.id, Rule: audience.FormatJSON(r)}, true, "test"); err != nil {
			t.Fatal(err)
		}
	}
	live.Start(ctx)
	defer live.Close()

	now := time.Now().UTC()
	var last uint64
	var sent []eventlog.Delivery // what was sent, as a consumer reads it
	send := func(msgID string, received time.Time) {
		t.Helper()
		m := eventlog.Message{Type: segment.Track, Meta: eventlog.Meta{Source: "src1", MessageID: msgID,
			ReceivedAt: received, Timestamp: now},
			Data: fmt.Appendf(nil, `{"type":"track","event":"Signed Up","userId":"u1","messageId":%q}`, msgID)}
		acks, err := log.Publish(ctx, []eventlog.Message{m})
		if err != nil {
			t.Fatal(err)
		}
		if acks[0].Duplicate {
			t.Fatalf("%s: JetStream still had it; the test needs a new sequence", msgID)
		}
		last = acks[0].Seq
		sent = append(sent, eventlog.Delivery{Seq: last, Meta: m.Meta})
	}
	// repeated is what Repeated says of each message sent, in order.
	repeated := func(e *Engine) []bool {
		t.Helper()
		var out []bool
		for i := range sent {
			r, err := e.Repeated(&sent[i])
			if err != nil {
				t.Fatal(err)
			}
			out = append(out, r)
		}
		return out
	}
	segments := func(e *Engine) []string {
		t.Helper()
		wctx, cancel := context.WithTimeout(ctx, 30*time.Second)
		defer cancel()
		if err := e.WaitApplied(wctx, last); err != nil {
			t.Fatal(err)
		}
		pid, err := e.Lookup(identity.ID{Kind: identity.User, NS: "src1", Value: "u1"})
		if err != nil {
			t.Fatal(err)
		}
		v, err := e.Profile(pid, e.cfg.Now())
		if err != nil {
			t.Fatal(err)
		}
		var ids []string
		for _, m := range v.Segments {
			ids = append(ids, m.ID)
		}
		return ids
	}

	send("m1", now)
	time.Sleep(3 * window) // past JetStream's window: the resend gets a sequence of its own
	send("m1", now.Add(time.Second))
	send("m2", now.Add(2*time.Second))
	if got := segments(live); !slices.Equal(got, []string{"twice"}) {
		t.Fatalf("after m1, m1 again, m2: segments %v, want [twice] (m1 counted once)", got)
	}
	// The journey engine asks which messages the engine skipped.
	if got := repeated(live); !slices.Equal(got, []bool{false, true, false}) {
		t.Fatalf("Repeated of m1, m1 again, m2: %v, want [false true false]", got)
	}

	// A replay of the log from its start into a fresh state decides the same.
	replay := open("replay")
	replay.Start(ctx)
	defer replay.Close()
	if got := segments(replay); !slices.Equal(got, []string{"twice"}) {
		t.Fatalf("replay: segments %v, want [twice]", got)
	}

	// Three days later the key is outside the window: m1 counts again.
	later := now.Add(72 * time.Hour)
	time.Sleep(3 * window)
	send("m1", later)
	if got := segments(live); !slices.Equal(got, []string{"thrice", "twice"}) {
		t.Fatalf("m1 resent three days later: segments %v, want [thrice twice]", got)
	}
	if got := repeated(live); got[3] {
		t.Fatal("m1 resent three days later, and applied, is reported as skipped")
	}
	// The engine's expiry follows the days it applied, not the clock: m2's
	// key (day of now) can cover nothing any more; m1's was renewed. (The
	// engine's timer may have run the expiry already.)
	if _, err := live.expireKeys(); err != nil {
		t.Fatal(err)
	}
	get := func(id string) (keyindex.Entry, bool) {
		t.Helper()
		dg := keyindex.Hash("src1", id)
		v, closer, err := live.db.Get(append(append([]byte{}, prefKey...), dg[:]...))
		if err != nil {
			return keyindex.Entry{}, false
		}
		defer closer.Close()
		ent, err := keyindex.DecodeEntry(v)
		if err != nil {
			t.Fatal(err)
		}
		return ent, true
	}
	if _, ok := get("m2"); ok {
		t.Fatal("m2's key outlived the window")
	}
	if ent, ok := get("m1"); !ok || ent.Day != keyindex.Day(later) {
		t.Fatalf("m1's key: %+v %v, want one of day %d", ent, ok, keyindex.Day(later))
	}
}
