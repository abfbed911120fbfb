package duckdb

import (
	"context"
	"testing"
	"time"

	"github.com/govalues/decimal"

	"github.com/tradewind/tradewind/internal/store"
)

// TestApplyProfiles replaces profiles and their identities, moves
// memberships, and keeps merges upserted by id; the events view names each
// row's current profile through the mapping.
func TestApplyProfiles(t *testing.T) {
	ctx := context.Background()
	s := openStore(t, t.TempDir())
	at := time.Date(2026, 3, 1, 10, 0, 0, 0, time.UTC)
	rev := store.NullDecimal{D: decimal.MustParse("59.90"), Valid: true}
	iv := 12.5
	b := &store.ProfileBatch{
		Profiles: []store.ProfileRow{{ProfileID: "p_a", UpdatedAt: at, FirstSeen: at, LastSeen: at, Orders: 1,
			RevenueBase: rev, NetRevenueBase: rev, AOVBase: rev, Marketplaces: []string{"amazon_de", "shopify_eu"}, Country: "DE",
			OrderIntervalDays: &iv, Identities: 2, Traits: []byte(`{"plan":"gold"}`)}},
		Identities: []store.IdentityRow{{Kind: "user", NS: "web", Value: "u1", ProfileID: "p_a"}, {Kind: "anon", Value: "a1", ProfileID: "p_a"}},
		Merges:     []store.MergeRow{{MergeID: "m1", Seq: 3, At: at, Into: "p_a", From: "p_b", Reason: "anon a1 seen with user u1"}},
		Members:    []store.MemberRow{{SegmentID: "seg_vip", ProfileID: "p_a", Since: at}},
	}
	if err := s.ApplyProfiles(ctx, b); err != nil {
		t.Fatal(err)
	}
	if n := count(t, s, "SELECT count(*) FROM profiles WHERE profile_id = 'p_a' AND list_contains(marketplaces, 'amazon_de') AND revenue_base = 59.90"); n != 1 {
		t.Fatalf("profiles: %d", n)
	}
	if n := count(t, s, "SELECT count(*) FROM profile_users WHERE source_id = 'web' AND user_id = 'u1' AND profile_id = 'p_a'"); n != 1 {
		t.Fatalf("profile_users: %d", n)
	}
	// A second batch: p_a is replaced (one identity fewer), the merge is
	// undone, p_c appears and takes the membership.
	b2 := &store.ProfileBatch{
		Profiles:   []store.ProfileRow{{ProfileID: "p_a", Identities: 1}, {ProfileID: "p_c", Identities: 1}},
		Identities: []store.IdentityRow{{Kind: "user", NS: "web", Value: "u1", ProfileID: "p_a"}, {Kind: "anon", Value: "a1", ProfileID: "p_c"}},
		Merges:     []store.MergeRow{{MergeID: "m1", Seq: 3, At: at, Into: "p_a", From: "p_b", Reason: "anon a1 seen with user u1", UndoneAt: at.Add(time.Hour), UndoneBy: "admin"}},
		Members:    []store.MemberRow{{SegmentID: "seg_vip", ProfileID: "p_c", Since: at}},
	}
	if err := s.ApplyProfiles(ctx, b2); err != nil {
		t.Fatal(err)
	}
	for q, want := range map[string]int64{
		"SELECT count(*) FROM profiles":                                                       2,
		"SELECT count(*) FROM profile_identities WHERE profile_id = 'p_a'":                    1,
		"SELECT count(*) FROM profile_anons WHERE anonymous_id = 'a1' AND profile_id = 'p_c'": 1,
		"SELECT count(*) FROM identity_merges WHERE undone_by = 'admin'":                      1,
		"SELECT count(*) FROM identity_merges":                                                1,
		"SELECT count(*) FROM segment_members WHERE profile_id = 'p_c'":                       1,
		"SELECT count(*) FROM segment_members":                                                1,
	} {
		if n := count(t, s, q); n != want {
			t.Errorf("%s = %d, want %d", q, n, want)
		}
	}
	// Removing a profile drops its rows and memberships.
	if err := s.ApplyProfiles(ctx, &store.ProfileBatch{Removed: []string{"p_c"}}); err != nil {
		t.Fatal(err)
	}
	if n := count(t, s, "SELECT count(*) FROM segment_members") + count(t, s, "SELECT count(*) FROM profile_anons"); n != 0 {
		t.Errorf("removed profile left %d rows", n)
	}
}
