package app

import (
	"context"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"sync"
	"testing"
	"time"
)

// fakeClock is a settable clock for segment time windows.
type fakeClock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *fakeClock) Now() time.Time  { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *fakeClock) Set(t time.Time) { c.mu.Lock(); c.t = t; c.mu.Unlock() }

// waitProfile polls GET /v1/profiles?… until the answer satisfies ok.
func (n *node) waitProfile(query string, ok func(map[string]any) bool) map[string]any {
	n.t.Helper()
	deadline := time.Now().Add(60 * time.Second)
	var m map[string]any
	for time.Now().Before(deadline) {
		var code int
		code, m = n.admin("GET", "/v1/profiles?"+query, nil)
		if code == 200 && ok(m) {
			return m
		}
		time.Sleep(20 * time.Millisecond)
	}
	n.t.Fatalf("profile %s: %v", query, m)
	return nil
}

// TestProfilesAcrossChannels follows one shopper across a site and a
// marketplace: the same e-mail merges the two profiles, computed traits add
// up in the base currency, a segment with an event window takes her in and
// lets her go when the window passes, the batch SQL of the segment agrees,
// and an admin's unmerge splits the profile again.
func TestProfilesAcrossChannels(t *testing.T) {
	clock := &fakeClock{t: time.Date(2026, 5, 10, 12, 0, 0, 0, time.UTC)}
	dir := t.TempDir()
	n := openNode(t, Config{DataDir: dir, BaseCurrency: "EUR", Now: clock.Now})
	web, webKey := n.createSource("Site", "EUR")
	amzID, amzKey := n.createSource("Amazon DE", "EUR")
	send := func(key, path, body string) {
		t.Helper()
		if code, m := n.do("POST", path, basic(key), []byte(body), nil); code != 200 {
			t.Fatalf("%s: %d %v", path, code, m)
		}
	}
	at := func(d int) string { return clock.Now().AddDate(0, 0, d).Format(time.RFC3339) }
	send(webKey, "/v1/identify", `{"userId":"w-1","anonymousId":"dev-1","messageId":"i1","timestamp":"`+at(-20)+`","traits":{"email":"Lena.K@example.com","country":"DE","plan":"gold"}}`)
	send(webKey, "/v1/track", `{"userId":"w-1","messageId":"o1","event":"Order Completed","timestamp":"`+at(-20)+`","properties":{"order_id":"W-1","total":"40.00","currency":"EUR"}}`)
	send(amzKey, "/v1/track", `{"userId":"a-9","messageId":"o2","event":"Order Completed","timestamp":"`+at(-5)+`","properties":{"order_id":"A-7","total":"19.90","currency":"EUR","marketplace":"amazon_de"}}`)
	send(amzKey, "/v1/identify", `{"userId":"a-9","messageId":"i2","timestamp":"`+at(-4)+`","traits":{"email":"lena.k@EXAMPLE.com"}}`)

	p := n.waitProfile("email=LENA.K@example.com", func(m map[string]any) bool {
		c, _ := m["computed"].(map[string]any)
		return c != nil && c["orders"] == float64(2)
	})
	c := p["computed"].(map[string]any)
	if c["revenue_base"] != "59.9" && c["revenue_base"] != "59.90" && c["revenue_base"] != "59.9000" {
		t.Errorf("revenue_base %v", c["revenue_base"])
	}
	if ids := p["identities"].([]any); len(ids) < 4 {
		t.Errorf("identities %v", ids)
	}
	pid := p["profile_id"].(string)
	// Found by any identifier, exact match.
	if q := n.waitProfile("user_id=a-9&source="+url.QueryEscape(amzID), func(map[string]any) bool { return true }); q == nil {
		t.Fatal("lookup by user id")
	}

	// A segment with an event window: two orders within 30 days.
	code, m := n.admin("POST", "/v1/segments", map[string]any{"name": "Repeat buyers 30d",
		"rule_text": `orders >= 2 and event "Order Completed" count >= 2 within 30d`})
	if code != 201 {
		t.Fatalf("create segment: %d %v", code, m)
	}
	seg := m["id"].(string)
	// A trait key becomes part of the batch SQL: anything but a plain name
	// is refused.
	if code, m := n.admin("POST", "/v1/segments", map[string]any{"name": "Injected",
		"rule_text": `"traits.x') OR true OR ('" = "a"`}); code != 400 || m["field"] != "rule" {
		t.Fatalf("segment with a hostile trait key: %d %v", code, m)
	}
	waitMember := func(want bool) {
		t.Helper()
		for deadline := time.Now().Add(60 * time.Second); time.Now().Before(deadline); time.Sleep(20 * time.Millisecond) {
			_, m := n.admin("GET", "/v1/profiles/"+pid, nil)
			in := false
			for _, s := range m["segments"].([]any) {
				in = in || s.(map[string]any)["segment_id"] == seg
			}
			if in == want {
				return
			}
		}
		t.Fatalf("membership of %s in %s never became %v", pid, seg, want)
	}
	waitMember(true)
	// The batch side agrees.
	batch := n.batchMembers(seg, clock.Now())
	if !slices.Equal(batch, []string{pid}) {
		t.Fatalf("batch members %v, real-time %s", batch, pid)
	}
	n.waitCount(fmt.Sprintf("SELECT count(*) FROM events WHERE type = 'segment_entered' AND profile_id = '%s'", pid), 1)

	// Eleven days later the first order left the window: she exits, by the
	// timer, with no new event.
	clock.Set(clock.Now().AddDate(0, 0, 11))
	if err := n.a.Profiles.Tick(context.Background(), clock.Now()); err != nil {
		t.Fatal(err)
	}
	waitMember(false)
	n.waitCount(fmt.Sprintf("SELECT count(*) FROM events WHERE type = 'segment_exited' AND profile_id = '%s'", pid), 1)
	if batch := n.batchMembers(seg, clock.Now()); len(batch) != 0 {
		t.Fatalf("batch members after the window: %v", batch)
	}

	// The merge log explains the merge; undoing it splits the profile.
	code, m = n.admin("GET", "/v1/identity/merges?profile="+pid, nil)
	merges, _ := m["merges"].([]any)
	if code != 200 || len(merges) != 1 {
		t.Fatalf("merges: %d %v", code, m)
	}
	mg := merges[0].(map[string]any)
	if reason, _ := mg["reason"].(string); reason == "" {
		t.Fatalf("merge without a reason: %v", mg)
	}
	code, m = n.admin("POST", "/v1/identity/merges/"+mg["id"].(string)+"/undo", nil)
	if code != 200 {
		t.Fatalf("unmerge: %d %v", code, m)
	}
	web1 := n.waitProfile("user_id=w-1&source="+web, func(m map[string]any) bool {
		return m["computed"].(map[string]any)["orders"] == float64(1)
	})
	amz := n.waitProfile("user_id=a-9&source="+amzID, func(m map[string]any) bool {
		return m["computed"].(map[string]any)["orders"] == float64(1)
	})
	if web1["profile_id"] == amz["profile_id"] {
		t.Fatal("unmerge left one profile")
	}
	// Messages follow their profile in SQL too.
	n.waitCount("SELECT count(DISTINCT profile_id) FROM orders WHERE order_id IN ('W-1', 'A-7')", 2)

	// The unmerge is in the log: a replay from scratch keeps them apart.
	n.srv.Close()
	n.a.Close()
	if err := os.RemoveAll(filepath.Join(dir, "profiles")); err != nil {
		t.Fatal(err)
	}
	n = openNode(t, Config{DataDir: dir, BaseCurrency: "EUR", Now: clock.Now})
	r1 := n.waitProfile("user_id=w-1&source="+web, func(m map[string]any) bool {
		return m["computed"].(map[string]any)["orders"] == float64(1)
	})
	r2 := n.waitProfile("user_id=a-9&source="+amzID, func(m map[string]any) bool {
		return m["computed"].(map[string]any)["orders"] == float64(1)
	})
	if r1["profile_id"] == r2["profile_id"] || r1["profile_id"] != web1["profile_id"] || r2["profile_id"] != amz["profile_id"] {
		t.Fatalf("after a replay: %v and %v, before: %v and %v", r1["profile_id"], r2["profile_id"], web1["profile_id"], amz["profile_id"])
	}
}

// batchMembers evaluates a saved segment in SQL over the store at now.
func (n *node) batchMembers(seg string, now time.Time) []string {
	n.t.Helper()
	ctx := context.Background()
	if err := n.a.Profiles.Flush(ctx); err != nil {
		n.t.Fatal(err)
	}
	q, args, err := n.a.Profiles.SegmentSQL(seg, now)
	if err != nil {
		n.t.Fatal(err)
	}
	var out []string
	if err := n.a.Store.Scan(ctx, q, args, func(row []any) error {
		out = append(out, row[0].(string))
		return nil
	}); err != nil {
		n.t.Fatal(err)
	}
	slices.Sort(out)
	return out
}
