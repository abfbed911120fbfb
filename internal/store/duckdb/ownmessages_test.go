package duckdb

import (
	"context"
	"testing"

	"github.com/tradewind/tradewind/internal/store"
)

// TestRefreshOwnMessages: each of the node's own messages that names a
// profile is recorded once with that profile, as the events view gives
// it; senders' messages and own messages naming none are not; a refresh
// resumes after the last position it read.
func TestRefreshOwnMessages(t *testing.T) {
	s := openStore(t, t.TempDir())
	defer s.Close()
	ctx := context.Background()
	f := newFeeder()
	batch := []store.Projected{
		f.msg("segment_entered", "_tradewind", "o1", `{"properties":{"profile_id":"p1","segment_id":"vip"}}`, 0),
		f.msg("track", "s1", "m2", `{"userId":"u1","event":"Viewed","properties":{"profile_id":"p9"}}`, 0),
		f.msg("alert_raised", "_tradewind", "o2", `{"properties":{"alert_id":"a1"}}`, 0),
		f.msg("segment_exited", "_tradewind", "o3", `{"properties":{"profile_id":"p2"}}`, 0),
	}
	if _, err := s.Apply(ctx, batch); err != nil {
		t.Fatal(err)
	}
	if n, err := s.RefreshOwnMessages(ctx); err != nil || n != 2 {
		t.Fatalf("first refresh added %d (%v), want the two messages naming a profile", n, err)
	}
	if n, err := s.RefreshOwnMessages(ctx); err != nil || n != 0 {
		t.Fatalf("a second refresh with nothing new added %d (%v)", n, err)
	}
	if _, err := s.Apply(ctx, []store.Projected{f.msg("segment_entered", "_tradewind", "o4", `{"properties":{"profile_id":"p1"}}`, 0)}); err != nil {
		t.Fatal(err)
	}
	if n, err := s.RefreshOwnMessages(ctx); err != nil || n != 1 {
		t.Fatalf("refresh after a new message added %d (%v), want 1", n, err)
	}
	if got := count(t, s, `SELECT count(*) FROM own_message_profiles o JOIN events e USING (seq)
		WHERE e.source_id = '_tradewind' AND e.profile_id = o.profile_id`); got != 3 {
		t.Fatalf("%d recorded messages name the events view's profile, want 3", got)
	}
	if got := count(t, s, "SELECT count(*) FROM own_message_profiles"); got != 3 {
		t.Fatalf("own_message_profiles holds %d rows, want 3", got)
	}
}
