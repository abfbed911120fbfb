package realtime

import (
	"context"
	"fmt"
	"math/rand/v2"
	"testing"
	"time"

	"github.com/tradewind/tradewind/internal/audience"
	"github.com/tradewind/tradewind/internal/store/duckdb"
)

// TestPreviewOverEventDays: a rule's count over the store's event-day
// counts (as a preview reads them at the store's state) is the count over
// the events themselves —
// right after a refresh, with rows newer than the refresh, and while the
// counts' state says they may not match the rows (a refresh half done,
// deletions not yet checked), when they must not be read at all.
func TestPreviewOverEventDays(t *testing.T) {
	ctx := context.Background()
	s, err := duckdb.Open(ctx, duckdb.Config{Dir: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	db := s.SQL()
	exec := func(q string, args ...any) {
		t.Helper()
		if _, err := db.ExecContext(ctx, q, args...); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
	}
	now := time.Date(2026, 6, 30, 15, 4, 5, 0, time.UTC)
	exec(`INSERT INTO profile_users VALUES ('web', 'u1', 'p1'), ('web', 'u2', 'p2'), ('app', 'u1', 'p3'), ('web', 'u4', 'p4')`)
	exec(`INSERT INTO profile_anons VALUES ('a1', 'p1'), ('a5', 'p5')`)
	for _, p := range []string{"p1", "p2", "p3", "p4", "p5"} {
		exec(`INSERT INTO profiles (profile_id) VALUES (?)`, p)
	}
	type ident struct{ src, user, anon string }
	idents := []ident{{"web", "u1", ""}, {"web", "", "a1"}, {"web", "u2", "a1"}, {"app", "u1", ""}, {"web", "u4", ""}, {"web", "", "a5"}, {"web", "u9", ""}}
	kinds := []struct{ typ, event, name string }{{"track", "Order Completed", ""}, {"track", "Product Viewed", ""}, {"page", "", "Home"}, {"screen", "", "Cart"}}
	rng := rand.New(rand.NewPCG(5, 6))
	seq := 0
	add := func(n int) {
		t.Helper()
		for range n {
			seq++
			id, k := idents[rng.IntN(len(idents))], kinds[rng.IntN(len(kinds))]
			at := now.Add(-time.Duration(rng.Int64N(int64(40 * 24 * time.Hour))))
			null := func(v string) any {
				if v == "" {
					return nil
				}
				return v
			}
			exec(`INSERT INTO event_rows (seq, message_id, source_id, type, event, user_id, anonymous_id, name, "timestamp", received_at)
				VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`, seq, fmt.Sprint("m", seq), id.src, k.typ, null(k.event), null(id.user), null(id.anon), null(k.name), at, now)
		}
	}
	rules := []string{
		`event "Order Completed" count >= 3 within 20d`,
		`event "Product Viewed" count between 2 and 6 within 35d`,
		`page "Home" count >= 4`,
		`screen count < 3 within 10d`,
		`page count >= 1 within 36h`, // no whole day inside: the events alone
		`event "Order Completed" where total exists`,
	}
	aud := audience.New(audience.Schema{})
	count := func(r audience.Rule, days *audience.DayCounts) int64 {
		t.Helper()
		q, args, err := aud.PreviewSQL(r, now, tables(now, nil, false, days))
		if err != nil {
			t.Fatal(err)
		}
		var n int64
		if err := db.QueryRowContext(ctx, q, args...).Scan(&n); err != nil {
			t.Fatalf("%v\n%s", err, q)
		}
		return n
	}
	// days is what a preview reads at the state the store has now.
	days := func() *audience.DayCounts {
		t.Helper()
		st, err := readDayState(ctx, s.Scan)
		if err != nil {
			t.Fatal(err)
		}
		return st.counts()
	}
	check := func(what string) {
		t.Helper()
		some := false
		for _, text := range rules {
			r, err := audience.ParseText(text)
			if err != nil {
				t.Fatal(err)
			}
			want, got := count(r, nil), count(r, days())
			if got != want {
				t.Errorf("%s: %s counts %d over the day counts, %d over the events", what, text, got, want)
			}
			some = some || want > 0
		}
		if !some {
			t.Fatalf("%s: every rule counts nobody: the test's data is wrong", what)
		}
	}
	add(120)
	if _, err := s.RefreshEventDays(ctx); err != nil {
		t.Fatal(err)
	}
	check("after a refresh")
	add(40)
	check("with rows newer than the refresh")
	if _, err := s.RefreshEventDays(ctx); err != nil {
		t.Fatal(err)
	}
	// Counts that do not match their rows must not be read while the state
	// says so.
	exec(`UPDATE event_days SET n = n + 1`)
	exec(`UPDATE event_days_state SET busy = true`)
	check("while a refresh is half done")
	exec(`UPDATE event_days_state SET busy = false, full_check = true`)
	check("with deletions not checked")
	exec(`UPDATE event_days_state SET full_check = false`)
	changed := false
	for _, text := range rules {
		r, _ := audience.ParseText(text)
		changed = changed || count(r, days()) != count(r, nil)
	}
	if !changed {
		t.Fatal("wrong day counts marked usable changed no count: the rules do not read them")
	}
}
