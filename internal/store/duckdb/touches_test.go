package duckdb

import (
	"context"
	"testing"
	"time"

	"github.com/tradewind/tradewind/internal/store"
)

// TestRefreshTouches: the touch fields come out of the context once, for
// visits and tracks of senders only; the refresh resumes where it stopped
// and adds nothing twice; retention deletes the touch rows of the events
// it deletes.
func TestRefreshTouches(t *testing.T) {
	s := openStore(t, t.TempDir())
	defer s.Close()
	ctx := context.Background()
	f := newFeeder()
	page := `{"anonymousId":"a1","context":{"campaign":{"source":"google","medium":"cpc","name":"Spring","content":"ad1"},"page":{"url":"https://shop.example/?gclid=x","referrer":"https://www.google.com/"}}}`
	mail := `{"userId":"u1","event":"Email Clicked","properties":{"campaign_name":"welcome"},"context":{"app":{"name":"Mail"}}}`
	batch := []store.Projected{
		f.msg("page", "s1", "m1", page, 0),
		f.msg("identify", "s1", "m2", `{"userId":"u1","traits":{"plan":"gold"}}`, 0),
		f.msg("track", "s1", "m3", mail, 0),
		f.msg("track", "_tradewind", "m4", `{"userId":"p1","event":"Segment Entered","properties":{"profile_id":"p1"}}`, 0),
	}
	if _, err := s.Apply(ctx, batch); err != nil {
		t.Fatal(err)
	}
	n, err := s.RefreshTouches(ctx)
	if err != nil || n != 2 {
		t.Fatalf("first refresh added %d rows (%v), want the page and the sender's track", n, err)
	}
	res, err := s.Query(ctx, `SELECT campaign_source, campaign_medium, campaign_name, campaign_content, page_url, page_referrer,
		coalesce(app_name, ''), coalesce(mail_campaign, '') FROM touch_rows ORDER BY seq`, 10)
	if err != nil {
		t.Fatal(err)
	}
	want := []any{"google", "cpc", "Spring", "ad1", "https://shop.example/?gclid=x", "https://www.google.com/", "", ""}
	for i, v := range want {
		if res.Rows[0][i] != v {
			t.Fatalf("page's touch row %v, want %v", res.Rows[0], want)
		}
	}
	if res.Rows[1][6] != "Mail" || res.Rows[1][7] != "welcome" {
		t.Fatalf("e-mail track's touch row %v", res.Rows[1])
	}
	if n, err := s.RefreshTouches(ctx); err != nil || n != 0 {
		t.Fatalf("a second refresh with nothing new added %d (%v)", n, err)
	}

	// A newer event; retention then deletes every event before it, and
	// their touch rows with them.
	later := t0.Add(48 * time.Hour)
	p := f.msg("page", "s1", "m5", `{"anonymousId":"a2","context":{"page":{"url":"https://shop.example/b"}}}`, 0)
	p.Event.Timestamp = later
	if _, err := s.Apply(ctx, []store.Projected{p}); err != nil {
		t.Fatal(err)
	}
	if _, _, err := s.DeleteBefore(ctx, "events", "", "", t0.Add(time.Hour)); err != nil {
		t.Fatal(err)
	}
	if got := count(t, s, "SELECT count(*) FROM touch_rows"); got != 0 {
		t.Fatalf("retention left %d touch rows of deleted events", got)
	}
	if n, err := s.RefreshTouches(ctx); err != nil || n != 1 {
		t.Fatalf("refresh after retention added %d (%v), want only the new page", n, err)
	}
	if got := count(t, s, "SELECT count(*) FROM touch_rows WHERE seq = 5"); got != 1 {
		t.Fatalf("new page's touch rows: %d", got)
	}
}
