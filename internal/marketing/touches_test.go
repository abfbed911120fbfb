package marketing

import (
	"context"
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/tradewind/tradewind/internal/store/duckdb"
	"github.com/tradewind/tradewind/internal/touch"
)

// referenceTouchSQL is how touches were read before touch_points: every
// touch row of the period cut into sessions per profile on each read. The
// store's touch points must give exactly its touches.
const referenceTouchSQL = `
WITH m AS (
  SELECT unnest([%[2]s]::VARCHAR[]) AS ev
), n AS (
  SELECT t.seq, coalesce(u.profile_id, a.profile_id) AS profile_id, t."timestamp" AS ts, CASE
      WHEN t.event IN (SELECT ev FROM m) THEN 'E|' || t.event || '|' || coalesce(t.mail_campaign, '')
      WHEN t.campaign_source IS NOT NULL OR t.campaign_medium IS NOT NULL OR t.campaign_name IS NOT NULL
        THEN 'U|' || coalesce(t.campaign_source, '') || '|' || coalesce(t.campaign_medium, '') || '|' || coalesce(t.campaign_name, '')
      %[1]s
    END AS key
  FROM touch_rows t
  LEFT JOIN profile_users u ON u.source_id = t.source_id AND u.user_id = t.user_id
  LEFT JOIN profile_anons a ON a.anonymous_id = CASE WHEN t.user_id IS NULL THEN t.anonymous_id END
  WHERE t."timestamp" >= ? AND t."timestamp" < ?
    AND coalesce(u.profile_id, a.profile_id) IS NOT NULL
), s AS (
  -- In microseconds: arithmetic on TIMESTAMPTZ goes through the time zone
  -- calendar and cost more than the rest of the query.
  SELECT seq, profile_id, ts, key, prev IS NULL OR epoch_us(ts) - prev > 1800000000 AS first
  FROM (SELECT *, lag(epoch_us(ts)) OVER (PARTITION BY profile_id ORDER BY ts) AS prev FROM n)
), f AS (
  -- Only session starts and keyed events can be touches. Every start is
  -- kept, so numbering sessions over these rows alone numbers them as
  -- over all rows.
  SELECT *, sum(first::INTEGER) OVER (PARTITION BY profile_id ORDER BY ts ROWS UNBOUNDED PRECEDING) AS sid
  FROM s WHERE first OR key IS NOT NULL
), r AS (
  SELECT seq, profile_id, key, first, row_number() OVER (PARTITION BY profile_id, sid, key ORDER BY ts) AS rk,
    max(CASE WHEN key IS NOT NULL THEN 1 ELSE 0 END) OVER (PARTITION BY profile_id, sid) AS keyed
  FROM f
)
SELECT r.profile_id, t."timestamp", coalesce(t.campaign_source, ''), coalesce(t.campaign_medium, ''),
  CASE WHEN r.key LIKE 'E|%%' THEN coalesce(t.mail_campaign, '') ELSE coalesce(t.campaign_name, '') END,
  coalesce(t.campaign_content, ''), coalesce(t.page_url, ''), coalesce(t.page_referrer, ''), coalesce(t.app_name, ''),
  CASE WHEN r.key LIKE 'E|%%' THEN t.event ELSE '' END
FROM r JOIN touch_rows t ON t.seq = r.seq
WHERE (r.key IS NOT NULL AND r.rk = 1) OR (r.keyed = 0 AND r.first)
ORDER BY r.profile_id, t."timestamp"`

// referenceTouches reads every profile's touches of [start, to) with
// referenceTouchSQL.
func referenceTouches(t *testing.T, s *duckdb.DB, tax *touch.Taxonomy, start, to time.Time) map[string][]Touchpoint {
	t.Helper()
	mail := make([]string, len(tax.EmailEvents))
	args := []any{}
	for i, ev := range tax.EmailEvents {
		mail[i] = "?"
		args = append(args, ev)
	}
	var clicks strings.Builder
	for _, c := range tax.ClickIDParams() {
		clicks.WriteString("WHEN contains(t.page_url, ?) OR contains(t.page_url, ?) THEN ? ")
		args = append(args, "?"+c+"=", "&"+c+"=", "C|"+c)
	}
	args = append(args, start, to)
	out := map[string][]Touchpoint{}
	err := s.Scan(context.Background(), fmt.Sprintf(referenceTouchSQL, clicks.String(), strings.Join(mail, ", ")), args, func(r []any) error {
		x := touch.Touch{Source: r[2].(string), Medium: r[3].(string), Campaign: r[4].(string), Content: r[5].(string),
			URL: r[6].(string), Referrer: r[7].(string), App: r[8].(string), Event: r[9].(string)}
		id := r[0].(string)
		out[id] = append(out[id], Touchpoint{At: r[1].(time.Time), Channel: tax.Classify(x),
			Campaign: strings.ToLower(strings.TrimSpace(x.Campaign)), Content: x.Content})
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// TestTouchesFromTouchPoints: the touches Load reads from the store's
// touch points are exactly those of cutting the period's touch rows into
// sessions per profile (referenceTouchSQL) — for periods that cut
// sessions at both ends, profiles whose identities' sessions interleave,
// merges and unmerges of the identity mapping (no refresh needed), new
// and late rows, and deleted rows, each followed by a refresh.
func TestTouchesFromTouchPoints(t *testing.T) {
	ctx := context.Background()
	s, err := duckdb.Open(ctx, duckdb.Config{Dir: t.TempDir(), BaseCurrency: "USD"})
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
	tax := touch.Default()
	rng := rand.New(rand.NewPCG(7, 8))
	base := time.Date(2026, 5, 1, 0, 0, 0, 0, time.UTC)
	type ident struct{ src, user, anon string }
	var idents []ident
	for i := range 10 {
		idents = append(idents, ident{"web", fmt.Sprintf("u%d", i), fmt.Sprintf("d%d", i)})
	}
	for i := range 10 {
		idents = append(idents, ident{"app", "", fmt.Sprintf("a%d", i)})
	}
	idents = append(idents, ident{"app", "u1", ""}, ident{"web", "", ""})
	// p1 has a user and two devices whose sessions interleave; p4 a user
	// in two sources; u9 and a9 map to no profile.
	exec(`INSERT INTO profile_users VALUES ('web', 'u1', 'p1'), ('web', 'u2', 'p2'), ('app', 'u1', 'p4'), ('web', 'u4', 'p4'),
		('web', 'u0', 'p0'), ('web', 'u3', 'p3'), ('web', 'u5', 'p5'), ('web', 'u6', 'p6'), ('web', 'u7', 'p7'), ('web', 'u8', 'p8')`)
	exec(`INSERT INTO profile_anons VALUES ('a1', 'p1'), ('a2', 'p1'), ('a3', 'p13'), ('a4', 'p14'), ('a5', 'p15'), ('a6', 'p16'),
		('a7', 'p17'), ('a8', 'p18'), ('a0', 'p10'), ('d2', 'p2')`)
	seq := 0
	used := map[time.Time]bool{}
	next := map[int]time.Time{}
	row := func(i int, at time.Time) {
		for used[at] { // no two rows at one time: the reference orders ties arbitrarily
			at = at.Add(time.Microsecond)
		}
		used[at] = true
		seq++
		id := idents[i]
		var user, anon any
		if id.user != "" {
			user = id.user
		}
		if id.anon != "" && (id.user == "" || rng.IntN(3) == 0) {
			anon = id.anon
		}
		var src, med, name, content, url, ref, app, event, mailc any
		url = "https://shop.example/p/" + fmt.Sprint(seq)
		switch rng.IntN(10) {
		case 0:
			src, med, name = []string{"google", "facebook", "tiktok", "newsletter"}[rng.IntN(4)], []string{"cpc", "social", "email", "influencer"}[rng.IntN(4)], fmt.Sprintf("Camp%d", rng.IntN(3))
			content = "ad"
		case 1:
			url = fmt.Sprintf("https://shop.example/?x=1&%s=%d", []string{"gclid", "fbclid", "ttclid"}[rng.IntN(3)], seq)
		case 2:
			event, mailc = "Email Clicked", fmt.Sprintf("mail%d", rng.IntN(2))
		case 3:
			event = "Product Viewed"
		case 4:
			ref = []string{"https://www.google.com/", "https://instagram.com/x", "https://blog.example/post", "https://shop.example/"}[rng.IntN(4)]
		case 5:
			app = "TikTok"
		}
		exec(`INSERT INTO touch_rows VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
			seq, id.src, user, anon, at, event, src, med, name, content, url, ref, app, mailc)
	}
	burst := func(n int) {
		for range n {
			i := rng.IntN(len(idents))
			at, ok := next[i]
			if !ok {
				at = base.Add(time.Duration(rng.IntN(72*60)) * time.Minute)
			}
			gap := time.Duration(1+rng.IntN(20)) * time.Minute
			switch rng.IntN(8) {
			case 0:
				gap = time.Duration(31+rng.IntN(3000)) * time.Minute
			case 1:
				gap = 30 * time.Minute
			}
			next[i] = at.Add(gap + time.Duration(rng.IntN(60))*time.Second)
			row(i, at)
		}
	}
	late := func(n int) {
		for range n {
			row(rng.IntN(len(idents)), base.Add(time.Duration(rng.IntN(72*60*60))*time.Second))
		}
	}
	refresh := func() {
		t.Helper()
		q, args := KeySQL(tax)
		if _, err := s.RefreshTouchPoints(ctx, duckdb.TouchKey{SQL: q, Args: args}); err != nil {
			t.Fatal(err)
		}
	}
	scan := s.Scan
	compare := func(what string) {
		t.Helper()
		periods := [][2]time.Time{{base.Add(-time.Hour), base.AddDate(0, 1, 0)}}
		for range 6 {
			from := base.Add(time.Duration(rng.IntN(72*60)) * time.Minute)
			periods = append(periods, [2]time.Time{from, from.Add(time.Duration(60+rng.IntN(48*60)) * time.Minute)})
		}
		total := 0
		for _, p := range periods {
			const lookback = 6 * time.Hour
			d, err := Load(ctx, scan, tax, p[0], p[1], lookback)
			if err != nil {
				t.Fatalf("%s: %v", what, err)
			}
			want := referenceTouches(t, s, tax, p[0].Add(-lookback), p[1])
			got := map[string][]Touchpoint{}
			var ids []string
			for _, pr := range d.Profiles {
				if len(pr.Touches) > 0 {
					got[pr.ID] = pr.Touches
					ids = append(ids, pr.ID)
				}
			}
			if !slices.IsSorted(ids) {
				t.Fatalf("%s: profiles with touches out of order: %v", what, ids)
			}
			for id, w := range want {
				total += len(w)
				if !slices.Equal(got[id], w) {
					t.Fatalf("%s, period %v: %s's touches\n%v\nwant\n%v", what, p, id, got[id], w)
				}
			}
			if len(got) != len(want) {
				t.Fatalf("%s, period %v: touches of %d profiles, want %d", what, p, len(got), len(want))
			}
		}
		if total < 100 {
			t.Fatalf("%s: only %d touches compared", what, total)
		}
	}
	burst(1500)
	refresh()
	compare("first build")
	touchPart = 200 // read in parts by profile id
	defer func() { touchPart = 400_000 }()
	if qs, err := TouchQueries(ctx, scan, tax, base.Add(-time.Hour), base.AddDate(0, 1, 0)); err != nil || len(qs) < 3 {
		t.Fatalf("%d parts (%v), want several", len(qs), err)
	}
	compare("in parts")
	// A merge and an unmerge need no refresh.
	exec(`UPDATE profile_anons SET profile_id = 'p1' WHERE anonymous_id = 'a3'`)
	exec(`UPDATE profile_users SET profile_id = 'p9' WHERE user_id = 'u4'`)
	compare("after a merge and an unmerge")
	for round := range 3 {
		burst(200)
		late(20)
		refresh()
		compare(fmt.Sprintf("new rows, round %d", round))
	}
	// Rows deleted (as an erasure or retention deletes them).
	exec(`DELETE FROM touch_rows WHERE user_id = 'u2' OR anonymous_id = 'a4' OR seq % 17 = 0`)
	refresh()
	compare("after deletions")
}
