package eventlog

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
)

// mixedMessages is a request's messages: runs of two types.
func mixedMessages(source string, types ...string) []Message {
	now := time.Now().UTC().Truncate(time.Microsecond)
	msgs := make([]Message, len(types))
	for i, typ := range types {
		msgs[i] = Message{Type: typ,
			Meta: Meta{Source: source, MessageID: fmt.Sprintf("%s-%d", typ, i), ReceivedAt: now, Timestamp: now.Add(-time.Duration(i) * time.Second)},
			Data: []byte(fmt.Sprintf(`{"type":%q,"n":%d}`, typ, i))}
	}
	return msgs
}

func publishBundled(t *testing.T, l *Log, msgs []Message) []Ack {
	t.Helper()
	p, err := l.PublishBundled(msgs)
	if err != nil {
		t.Fatal(err)
	}
	acks, err := p.Wait(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	return acks
}

// consumeAll reads the log with durable until it has n deliveries.
func consumeAll(t *testing.T, l *Log, durable string, start uint64, n int) []Delivery {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	var got []Delivery
	err := l.Consume(ctx, ConsumeConfig{Durable: durable, MaxBatch: 4, MaxWait: 10 * time.Millisecond, StartSeq: start},
		func(_ context.Context, b []Delivery) error {
			for _, d := range b {
				d.Data = append([]byte(nil), d.Data...)
				got = append(got, d)
			}
			if len(got) >= n {
				cancel()
			}
			return nil
		})
	if len(got) != n || err != context.Canceled {
		t.Fatalf("consumer %s: %d deliveries (want %d), ended with %v", durable, len(got), n, err)
	}
	return got
}

func TestBundlesKeepEachMessage(t *testing.T) {
	ctx := context.Background()
	l := openTestLog(t)
	types := []string{"track", "track", "track", "track", "track", "identify", "identify", "identify", "track"}
	msgs := mixedMessages("s1", types...)
	acks := publishBundled(t, l, msgs)
	info, _ := l.stream.Info(ctx)
	if info.State.Msgs != 3 {
		t.Fatalf("%d JetStream messages, want 3 (two bundles and a single message)", info.State.Msgs)
	}
	for i, a := range acks {
		if a.Duplicate || (i > 0 && a.Seq <= acks[i-1].Seq) {
			t.Fatalf("ack %d = %+v after %+v: positions must grow", i, a, acks[max(i-1, 0)])
		}
	}
	if StreamSeq(acks[0].Seq) != StreamSeq(acks[4].Seq) || StreamSeq(acks[4].Seq) == StreamSeq(acks[5].Seq) {
		t.Fatalf("positions %v do not follow the runs", acks)
	}
	if last, err := l.LastSeq(ctx); err != nil || last != acks[8].Seq {
		t.Fatalf("LastSeq = %d, %v; want %d", last, err, acks[8].Seq)
	}
	got := consumeAll(t, l, "c", 0, len(msgs))
	for i, d := range got {
		m := msgs[i]
		if d.Seq != acks[i].Seq || d.Type != m.Type || d.Meta.MessageID != m.Meta.MessageID || d.Meta.Source != "s1" ||
			!d.Meta.Timestamp.Equal(m.Meta.Timestamp) || string(d.Data) != string(m.Data) {
			t.Fatalf("delivery %d = %+v, want %+v at %d", i, d, m, acks[i].Seq)
		}
		g, ok, err := l.Get(ctx, d.Seq)
		if err != nil || !ok || g.Meta.MessageID != m.Meta.MessageID || string(g.Data) != string(m.Data) {
			t.Fatalf("Get(%d) = %+v %v %v", d.Seq, g, ok, err)
		}
	}
	// A position no message holds.
	if _, ok, err := l.Get(ctx, acks[0].Seq+100); ok || err != nil {
		t.Fatalf("Get of a missing position: %v %v", ok, err)
	}
	// The same request again is JetStream's duplicate, at the same positions.
	again := publishBundled(t, l, msgs)
	for i, a := range again {
		if !a.Duplicate || a.Seq != acks[i].Seq {
			t.Fatalf("resent %d: %+v, want duplicate at %d", i, a, acks[i].Seq)
		}
	}
	// A consumer asked to start after the first bundle starts at the next
	// JetStream message.
	rest := consumeAll(t, l, "from", acks[4].Seq+1, 4)
	if rest[0].Seq != acks[5].Seq {
		t.Fatalf("started at %d, want %d", rest[0].Seq, acks[5].Seq)
	}
}

func TestBundleLimits(t *testing.T) {
	msgs := testMessages(2*MaxFrames+10, "s")
	runs := splitRuns(msgs, 1<<30)
	if len(runs) != 3 || runs[0] != [2]int{0, MaxFrames} || runs[2][1] != len(msgs) {
		t.Fatalf("runs by count: %v", runs)
	}
	big := make([]byte, 100<<10)
	for i := range msgs[:20] {
		msgs[i].Data = big
	}
	runs = splitRuns(msgs[:20], 512<<10)
	for _, r := range runs {
		size := 0
		for i := r[0]; i < r[1]; i++ {
			size += frameSize(&msgs[i])
		}
		if size > 512<<10 {
			t.Fatalf("run %v holds %d bytes", r, size)
		}
	}
	if len(runs) < 4 {
		t.Fatalf("runs by size: %v", runs)
	}
	// And the log takes a full request's worth.
	l := openTestLog(t)
	acks := publishBundled(t, l, msgs[:20])
	if len(acks) != 20 {
		t.Fatal(len(acks))
	}
}

func TestSecureDeleteRewritesABundle(t *testing.T) {
	ctx := context.Background()
	l := openTestLog(t)
	msgs := mixedMessages("s", "track", "track", "track", "track", "track", "track")
	acks := publishBundled(t, l, msgs)
	after := publishBundled(t, l, mixedMessages("s2", "page", "page"))
	orig := StreamSeq(acks[0].Seq)
	// A consumer that read the bundle before the erasure.
	consumeAll(t, l, "early", 0, 8)

	n, err := l.SecureDelete(ctx, []uint64{acks[1].Seq, acks[5].Seq})
	if err != nil || n != 2 {
		t.Fatalf("SecureDelete = %d, %v", n, err)
	}
	if _, err := l.stream.GetMsg(ctx, orig); err == nil {
		t.Fatal("the original bundle is still in the stream")
	}
	for i, a := range acks {
		d, ok, err := l.Get(ctx, a.Seq)
		want := i != 1 && i != 5
		if err != nil || ok != want || (ok && d.Meta.MessageID != msgs[i].Meta.MessageID) {
			t.Fatalf("Get(message %d) = %+v %v %v, want found %v", i, d, ok, err, want)
		}
	}
	if last, err := l.LastSeq(ctx); err != nil || last != after[1].Seq {
		t.Fatalf("LastSeq after a rewrite = %d, %v; want %d (the rewrite is not new)", last, err, after[1].Seq)
	}
	// The early consumer does not read the kept messages again; only what
	// comes next.
	next := publishBundled(t, l, mixedMessages("s3", "track"))
	got := consumeAll(t, l, "early", 0, 1)
	if got[0].Seq != next[0].Seq {
		t.Fatalf("early consumer got %+v, want only the new message", got[0])
	}
	// A consumer that starts now reads the kept messages where the copy
	// stands in the stream, so positions still grow as it reads; the
	// positions it holds lead to the same messages.
	got = consumeAll(t, l, "late", 0, 2+4+1)
	wantIDs := []string{"page-0", "page-1", "track-0", "track-2", "track-3", "track-4", "track-0"}
	for i, d := range got {
		if d.Meta.MessageID != wantIDs[i] || (i > 0 && d.Seq <= got[i-1].Seq) {
			t.Fatalf("late consumer: delivery %d = %s at %d (after %d), want %s", i, d.Meta.MessageID, d.Seq, got[max(i-1, 0)].Seq, wantIDs[i])
		}
		if g, ok, err := l.Get(ctx, d.Seq); !ok || err != nil || g.Meta.MessageID != d.Meta.MessageID {
			t.Fatalf("Get(%d) of the late consumer's delivery %d: %+v %v %v", d.Seq, i, g, ok, err)
		}
	}
	late := got[2:6]
	// Erasing from the rewrite rewrites it again; erasing the rest leaves
	// nothing.
	if n, err := l.SecureDelete(ctx, []uint64{acks[0].Seq}); err != nil || n != 1 {
		t.Fatalf("second erasure = %d, %v", n, err)
	}
	// Either copy's position finds what is left; the late consumer's
	// position of the erased message finds nothing.
	if _, ok, _ := l.Get(ctx, late[0].Seq); ok {
		t.Fatal("an erased message is readable at the late consumer's position")
	}
	if d, ok, err := l.Get(ctx, late[1].Seq); !ok || err != nil || d.Meta.MessageID != msgs[2].Meta.MessageID {
		t.Fatalf("after the second rewrite, at the late position: %+v %v %v", d, ok, err)
	}
	// A consumer that read the first copy passes the second over; one that
	// starts now reads three messages of it.
	next2 := publishBundled(t, l, mixedMessages("s4", "page"))
	if got := consumeAll(t, l, "late", 0, 1); got[0].Seq != next2[0].Seq {
		t.Fatalf("late consumer read %+v again", got[0])
	}
	got = consumeAll(t, l, "later", 0, 2+3+2)
	if got[3].Meta.MessageID != "track-2" || got[5].Meta.MessageID != "track-4" || got[5].Meta.Source != "s" {
		t.Fatalf("later consumer: %+v", got)
	}
	if d, ok, err := l.Get(ctx, acks[4].Seq); !ok || err != nil || d.Meta.MessageID != msgs[4].Meta.MessageID {
		t.Fatalf("after the second rewrite: %+v %v %v", d, ok, err)
	}
	if n, err := l.SecureDelete(ctx, []uint64{acks[2].Seq, late[2].Seq, acks[4].Seq, acks[1].Seq}); err != nil || n != 3 {
		t.Fatalf("erasing the rest = %d, %v", n, err)
	}
	info, err := l.stream.Info(ctx, jetstream.WithSubjectFilter(l.rewrittenSubject(">")))
	if err != nil || len(info.State.Subjects) != 0 {
		t.Fatalf("rewrites left: %v %v", info.State.Subjects, err)
	}
	for _, a := range acks {
		if _, ok, _ := l.Get(ctx, a.Seq); ok {
			t.Fatalf("position %d still readable", a.Seq)
		}
	}
}

func TestPurgeBeforeTakesRewrites(t *testing.T) {
	ctx := context.Background()
	l := openTestLog(t)
	old := publishBundled(t, l, mixedMessages("s", "track", "track", "track"))
	if _, err := l.SecureDelete(ctx, []uint64{old[0].Seq}); err != nil {
		t.Fatal(err)
	}
	keep := publishBundled(t, l, mixedMessages("s", "track", "track"))
	if err := l.PurgeBefore(ctx, "track", keep[0].Seq); err != nil {
		t.Fatal(err)
	}
	if _, ok, _ := l.Get(ctx, old[1].Seq); ok {
		t.Fatal("a purged bundle's rewrite is still readable")
	}
	for _, a := range keep {
		if _, ok, err := l.Get(ctx, a.Seq); !ok || err != nil {
			t.Fatalf("kept message %d: %v %v", a.Seq, ok, err)
		}
	}
}

// A stream written by a version without bundles: its messages keep their
// stream sequences as positions, and later ones come after them.
func TestPositionsOfAnOlderStream(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	l, err := Open(ctx, Config{Dir: dir})
	if err != nil {
		t.Fatal(err)
	}
	// Make it look older: no metadata, three messages as they were written.
	cfg := l.stream.CachedInfo().Config
	cfg.Metadata = nil
	if _, err := l.js.UpdateStream(ctx, cfg); err != nil {
		t.Fatal(err)
	}
	now := time.Now().UTC()
	for i := range 3 {
		m := Message{Type: "track", Meta: Meta{Source: "s", MessageID: fmt.Sprint("old-", i), ReceivedAt: now, Timestamp: now}, Data: []byte(`{}`)}
		nm := l.singleMsg(&m)
		nm.Header.Set(headerMeta, strings.Replace(nm.Header.Get(headerMeta), "v2;", "v2;", 1))
		if _, err := l.js.PublishMsg(ctx, &nats.Msg{Subject: nm.Subject, Data: nm.Data, Header: nm.Header}); err != nil {
			t.Fatal(err)
		}
	}
	l.Close()

	for range 2 { // the second open must find the same start
		l, err = Open(ctx, Config{Dir: dir})
		if err != nil {
			t.Fatal(err)
		}
		if l.posFrom != 4 {
			t.Fatalf("bundled positions from %d, want 4", l.posFrom)
		}
		if last, _ := l.LastSeq(ctx); last != 3 && last < posBase {
			t.Fatalf("LastSeq = %d", last)
		}
		l.Close()
	}
	l, err = Open(ctx, Config{Dir: dir})
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	acks := publishBundled(t, l, mixedMessages("s", "track", "track"))
	got := consumeAll(t, l, "c", 0, 5)
	want := []uint64{1, 2, 3, acks[0].Seq, acks[1].Seq}
	for i, d := range got {
		if d.Seq != want[i] {
			t.Fatalf("delivery %d at %d, want %d", i, d.Seq, want[i])
		}
	}
	if d, ok, err := l.Get(ctx, 2); !ok || err != nil || d.Meta.MessageID != "old-1" {
		t.Fatalf("Get(2) = %+v %v %v", d, ok, err)
	}
	if n, err := l.SecureDelete(ctx, []uint64{2}); n != 1 || err != nil {
		t.Fatalf("SecureDelete of an older message = %d, %v", n, err)
	}
	// Resuming after the older messages starts at the first bundle.
	rest := consumeAll(t, l, "from", 4, 2)
	if rest[0].Seq != acks[0].Seq {
		t.Fatalf("resumed at %d", rest[0].Seq)
	}
}
