package duckdb_test

import (
	"context"
	"fmt"
	"math/rand/v2"
	"slices"
	"testing"
	"time"

	"github.com/tradewind/tradewind/internal/store"
	"github.com/tradewind/tradewind/internal/store/duckdb"
)

// TestEventDaysFollowTheEvents checks that event_days holds exactly the
// track, page and screen rows of event_rows up to the sequence a refresh
// returns, counted per sender identity (the events view's: the user id
// with its source, else the anonymous id), type, name and UTC day — after
// the first refresh, after new rows on old and new days (a refresh
// aggregates their days again), after an erasure (the person's rows go
// in its own transaction) and after retention deleted old rows (the next
// refresh finds the days that no longer add up).
func TestEventDaysFollowTheEvents(t *testing.T) {
	ctx := context.Background()
	s, err := duckdb.Open(ctx, duckdb.Config{Dir: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	db := s.SQL()
	rng := rand.New(rand.NewPCG(3, 4))
	seq := uint64(0)
	t0 := time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC)
	type ident struct{ src, user, anon string }
	idents := []ident{{"web", "u1", ""}, {"web", "u1", "a9"}, {"app", "u1", ""}, {"web", "", "a1"}, {"web", "u2", "a2"}, {"web", "", "a3"}}
	types := []struct{ typ, event, name string }{
		{"track", "Order Completed", ""}, {"track", "Product Viewed", ""}, {"page", "", "Home"}, {"page", "", ""},
		{"screen", "", "Cart"}, {"identify", "", ""}, {"alias", "", ""}}
	add := func(n int, days int) {
		t.Helper()
		for range n {
			seq++
			id := idents[rng.IntN(len(idents))]
			ty := types[rng.IntN(len(types))]
			// Times at every hour: UTC days, whatever the session's zone.
			at := t0.Add(time.Duration(rng.Int64N(int64(days) * int64(24*time.Hour))))
			null := func(v string) any {
				if v == "" {
					return nil
				}
				return v
			}
			if _, err := db.ExecContext(ctx, `INSERT INTO event_rows (seq, message_id, source_id, type, event, user_id, anonymous_id, name, "timestamp", received_at)
				VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`, seq, fmt.Sprint("m", seq), id.src, ty.typ, null(ty.event), null(id.user), null(id.anon), null(ty.name), at, at); err != nil {
				t.Fatal(err)
			}
		}
	}
	// want is event_days as it must be: the rows aggregated directly.
	const want = `SELECT source_id, user_id, CASE WHEN user_id IS NULL THEN anonymous_id END, type,
		CASE WHEN type = 'track' THEN event ELSE name END, strftime(timezone('UTC', "timestamp"), '%Y-%m-%d'), count(*)
		FROM event_rows WHERE type IN ('track', 'page', 'screen') GROUP BY ALL ORDER BY ALL`
	const have = `SELECT source_id, user_id, anonymous_id, type, name, strftime(day, '%Y-%m-%d'), sum(n)
		FROM event_days GROUP BY ALL ORDER BY ALL`
	rows := func(q string) []string {
		t.Helper()
		var out []string
		err := s.Scan(ctx, q, nil, func(row []any) error {
			out = append(out, fmt.Sprint(row...))
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
		return out
	}
	check := func(what string) {
		t.Helper()
		got, err := s.RefreshEventDays(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if got != seq {
			t.Errorf("%s: the refresh counts up to %d, want %d", what, got, seq)
		}
		if w, h := rows(want), rows(have); !slices.Equal(w, h) {
			t.Fatalf("%s: event_days\n%v\nwant\n%v", what, h, w)
		}
	}
	check("empty")
	add(400, 30)
	check("first refresh")
	if n := len(rows(have)); n < 100 {
		t.Fatalf("only %d event days: the test's data is too thin", n)
	}
	// A refresh with nothing new changes nothing.
	check("nothing new")
	add(50, 40) // old days and ten new ones
	check("new rows")
	// An erasure removes the person's counts at once, and a row counted
	// under another identity is found by the next refresh's full check.
	if _, err := s.ErasePerson(ctx, &store.Person{Identities: []store.Identity{{SourceID: "web", UserID: "u2"}, {AnonymousID: "a2"}, {AnonymousID: "a9"}}}); err != nil {
		t.Fatal(err)
	}
	var left int
	if err := db.QueryRowContext(ctx, `SELECT count(*) FROM event_days WHERE user_id = 'u2' OR anonymous_id IN ('a2', 'a9')`).Scan(&left); err != nil {
		t.Fatal(err)
	}
	if left != 0 {
		t.Fatalf("%d event days of the erased person left before a refresh", left)
	}
	check("erasure")
	if _, _, err := s.DeleteBefore(ctx, "events", "", "", t0.AddDate(0, 0, 10).Add(7*time.Hour)); err != nil {
		t.Fatal(err)
	}
	check("retention")
}
