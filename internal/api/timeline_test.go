package api

import (
	"context"
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/tradewind/tradewind/internal/eventlog"
	"github.com/tradewind/tradewind/internal/store"
	"github.com/tradewind/tradewind/internal/store/duckdb"
)

// storeBackend is a Backend whose reads go to a real store; the other
// methods are not called by the handlers under test.
type storeBackend struct {
	Backend
	db *duckdb.DB
}

func (b storeBackend) QueryArgs(ctx context.Context, q string, args []any) (*store.Result, error) {
	return b.db.QueryArgs(ctx, q, args)
}

// openStore opens an empty store, closed at the test's end.
func openStore(t *testing.T) *duckdb.DB {
	t.Helper()
	db, err := duckdb.Open(context.Background(), duckdb.Config{Dir: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

// TestTimelineIsTheEventsView: a profile's timeline, read by its
// identities and by the table of the profiles the node's own messages
// name, holds exactly the events view's rows of that profile, newest
// first, page by page — also for own messages that arrive after a read,
// and the same as the read that parses every own message's JSON.
func TestTimelineIsTheEventsView(t *testing.T) {
	ctx := context.Background()
	db := openStore(t)
	t0 := time.Date(2026, 3, 2, 10, 0, 0, 0, time.UTC)
	var seq uint64
	pr := store.Projector{Source: func(string) (store.SourceInfo, bool) { return store.SourceInfo{}, false }}
	msg := func(typ, src, body string) store.Projected {
		seq++
		return pr.Project(eventlog.Delivery{Seq: seq, Type: typ, Data: []byte(body), Meta: eventlog.Meta{Source: src,
			MessageID: fmt.Sprint("m", seq), ReceivedAt: t0, Timestamp: t0.Add(time.Duration(seq%5) * time.Minute)}})
	}
	var batch []store.Projected
	for i := range 6 {
		batch = append(batch,
			msg("track", "web", `{"userId":"u1","event":"Product Viewed"}`),
			msg("page", "web", `{"anonymousId":"a1"}`),
			msg("track", "web", `{"userId":"u2","event":"Product Viewed"}`),
			msg("segment_entered", "_tradewind", `{"properties":{"profile_id":"p1","segment_id":"s`+fmt.Sprint(i)+`"}}`),
			msg("segment_entered", "_tradewind", `{"properties":{"profile_id":"p2"}}`),
			// Names p1 in its text but p10 is the profile: not p1's.
			msg("segment_entered", "_tradewind", `{"properties":{"profile_id":"p10","note":"p1"}}`),
			msg("alert_raised", "_tradewind", `{"properties":{"alert":"x"}}`),
			// u1 of another source is another person: p2.
			msg("track", "app", `{"userId":"u1","event":"Product Viewed"}`),
			// Values a literal carries with a doubled quote, and one it
			// cannot carry (a NUL byte), which goes as a parameter.
			msg("track", "web", `{"userId":"o'neil","event":"Product Viewed"}`),
			msg("track", "web", `{"userId":"n\u0000ul","event":"Product Viewed"}`))
	}
	if _, err := db.Apply(ctx, batch); err != nil {
		t.Fatal(err)
	}
	err := db.ApplyProfiles(ctx, &store.ProfileBatch{
		Profiles: []store.ProfileRow{{ProfileID: "p1", UpdatedAt: t0, FirstSeen: t0, LastSeen: t0},
			{ProfileID: "p2", UpdatedAt: t0, FirstSeen: t0, LastSeen: t0}},
		Identities: []store.IdentityRow{{Kind: "user", NS: "web", Value: "u1", ProfileID: "p1"},
			{Kind: "anon", Value: "a1", ProfileID: "p1"}, {Kind: "user", NS: "web", Value: "u2", ProfileID: "p2"},
			{Kind: "user", NS: "app", Value: "u1", ProfileID: "p2"},
			{Kind: "user", NS: "web", Value: "o'neil", ProfileID: "p3"}, {Kind: "user", NS: "web", Value: "n\x00ul", ProfileID: "p3"}}})
	if err != nil {
		t.Fatal(err)
	}
	be := storeBackend{db: db}
	// seqs is the first column of an answer: the rows' log sequences.
	seqs := func(res *store.Result, err error) []uint64 {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
		var out []uint64
		for _, r := range res.Rows {
			out = append(out, r[0].(uint64))
		}
		return out
	}
	view := func(pid string) []uint64 {
		return seqs(db.QueryArgs(ctx, `SELECT seq FROM events WHERE profile_id = ? ORDER BY "timestamp" DESC, seq DESC`, []any{pid}))
	}
	// A page: the rows before a log sequence, newest first, limit 5.
	read := func(s *Server, pid string, before uint64) []uint64 {
		return seqs(s.timeline(ctx, pid, before, 5))
	}
	lookup := &Server{Backend: be, OwnMessages: db.RefreshOwnMessages}
	scan := &Server{Backend: be}
	check := func() {
		t.Helper()
		for _, pid := range []string{"p1", "p2", "p10", "p3"} {
			all := view(pid)
			for _, before := range []uint64{1<<63 - 1, 20, 9} {
				var want []uint64
				for _, q := range all {
					if q < before && len(want) < 5 {
						want = append(want, q)
					}
				}
				for name, s := range map[string]*Server{"lookup": lookup, "scan": scan} {
					if got := read(s, pid, before); !slices.Equal(got, want) {
						t.Errorf("%s timeline of %s before %d: %v, want the events view's %v", name, pid, before, got, want)
					}
				}
			}
		}
	}
	check()
	// Own messages that land after the first read are found by the next.
	if _, err := db.Apply(ctx, []store.Projected{
		msg("segment_exited", "_tradewind", `{"properties":{"profile_id":"p1"}}`),
		msg("track", "web", `{"userId":"u1","event":"Order Completed"}`)}); err != nil {
		t.Fatal(err)
	}
	check()
	if n := len(view("p1")); n != 6*3+2 {
		t.Fatalf("p1 has %d rows in the events view, want 20 (the test's data is wrong)", n)
	}
	if n2, n3 := len(view("p2")), len(view("p3")); n2 != 6*3 || n3 != 6*2 {
		t.Fatalf("p2 and p3 have %d and %d rows in the events view, want 18 and 12 (the test's data is wrong)", n2, n3)
	}
}
