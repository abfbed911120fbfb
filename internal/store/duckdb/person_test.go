package duckdb

import (
	"context"
	"errors"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/tradewind/tradewind/internal/store"
)

// personFeeder projects test messages whose "tw1.<kind>.<token>" strings
// stand for encrypted identifiers (the blind-index token in clear).
func personFeeder() *feeder {
	f := newFeeder()
	f.pr.TokenOf = func(s string) (string, string, bool) {
		parts := strings.SplitN(s, ".", 3)
		return parts[1], parts[2], len(parts) == 3
	}
	return f
}

// personRows counts the rows of every person table that hold one of the
// erased person's identities, orders or profile, and order days left
// without their identity.
const personRows = `SELECT
	(SELECT count(*) FROM event_rows WHERE (source_id = 's1' AND user_id IN ('u1', 'u2')) OR anonymous_id = 'a1')
	+ (SELECT count(*) FROM identifier_tokens WHERE (source_id = 's1' AND user_id IN ('u1', 'u2')) OR anonymous_id = 'a1')
	+ (SELECT count(*) FROM order_rows WHERE order_id = 'o1')
	+ (SELECT count(*) FROM order_items WHERE order_id = 'o1')
	+ (SELECT count(*) FROM refunds WHERE order_id = 'o1')
	+ (SELECT count(*) FROM customers WHERE (source_id = 's1' AND user_id IN ('u1', 'u2')) OR anonymous_id = 'a1')
	+ (SELECT count(*) FROM consent WHERE anonymous_id = 'a1')
	+ (SELECT count(*) FROM profiles WHERE profile_id = 'p_a')
	+ (SELECT count(*) FROM profile_identities WHERE profile_id = 'p_a')
	+ (SELECT count(*) FROM profile_users WHERE profile_id = 'p_a')
	+ (SELECT count(*) FROM profile_anons WHERE profile_id = 'p_a')
	+ (SELECT count(*) FROM segment_members WHERE profile_id = 'p_a')
	+ (SELECT count(*) FROM order_idents WHERE source_id = 's1' AND user_id = 'u1')
	+ (SELECT count(*) FROM order_days WHERE ident_id IN (SELECT ident_id FROM order_idents WHERE source_id = 's1' AND user_id = 'u1'))
	+ (SELECT count(*) FROM order_days d WHERE NOT EXISTS (SELECT 1 FROM order_idents i WHERE i.ident_id = d.ident_id))
	+ (SELECT count(*) FROM event_days WHERE (source_id = 's1' AND user_id IN ('u1', 'u2')) OR anonymous_id = 'a1')`

// others counts the rows that are not the person's: the same userId in
// another source, another customer and their profile.
const others = `SELECT
	(SELECT count(*) FROM event_rows WHERE user_id = 'u9' OR (user_id = 'u1' AND source_id <> 's1'))
	+ (SELECT count(*) FROM identifier_tokens WHERE user_id = 'u9')
	+ (SELECT count(*) FROM order_rows WHERE order_id = 'o9')
	+ (SELECT count(*) FROM order_items WHERE order_id = 'o9')
	+ (SELECT count(*) FROM customers WHERE user_id = 'u9' OR (user_id = 'u1' AND source_id <> 's1'))
	+ (SELECT count(*) FROM profiles WHERE profile_id = 'p_o')
	+ (SELECT count(*) FROM profile_users WHERE profile_id = 'p_o')
	+ (SELECT count(*) FROM order_idents WHERE user_id = 'u9')
	+ (SELECT count(*) FROM order_days WHERE ident_id IN (SELECT ident_id FROM order_idents WHERE user_id = 'u9'))
	+ (SELECT count(*) FROM event_days WHERE user_id = 'u9' OR (user_id = 'u1' AND source_id <> 's1'))`

// seedPerson stores the person (u1 and a1 on one identify, u2 linked
// through a shared phone, an order with items and a refund, consent, a
// profile) and the others; it returns the next feeder.
func seedPerson(t *testing.T, s *DB) *feeder {
	t.Helper()
	ctx := context.Background()
	f := personFeeder()
	batch := []store.Projected{
		f.msg("identify", "s1", "m1", `{"userId":"u1","anonymousId":"a1","traits":{"email":"tw1.email.E1","phone":"tw1.phone.P1"}}`, 0),
		f.msg("page", "s1", "m2", `{"anonymousId":"a1","name":"Home","context":{"consent":{"categoryPreferences":{"Analytics":true}}}}`, 0),
		f.msg("track", "s1", "m3", `{"userId":"u1","event":"Order Completed","properties":{"order_id":"o1","total":30,"currency":"EUR","products":[{"product_id":"p1","price":10,"quantity":3}]}}`, 0),
		f.msg("identify", "s1", "m4", `{"userId":"u2","traits":{"phone":"tw1.phone.P1"}}`, 0),
		f.msg("track", "s1", "m5", `{"userId":"u1","event":"Order Refunded","properties":{"order_id":"o1","total":10,"currency":"EUR"}}`, 0),
		// Not the person: u1 of another source, u9 with their own order.
		f.msg("identify", "s2", "m6", `{"userId":"u1","traits":{"email":"tw1.email.OTHER"}}`, 0),
		f.msg("identify", "s1", "m7", `{"userId":"u9","traits":{"email":"tw1.email.E9"}}`, 0),
		f.msg("track", "s1", "m8", `{"userId":"u9","event":"Order Completed","properties":{"order_id":"o9","total":5,"currency":"EUR","products":[{"product_id":"p1","price":5,"quantity":1}]}}`, 0),
	}
	if _, err := s.Apply(ctx, batch); err != nil {
		t.Fatal(err)
	}
	if err := s.ApplyProfiles(ctx, &store.ProfileBatch{
		Profiles: []store.ProfileRow{{ProfileID: "p_a", Identities: 3}, {ProfileID: "p_o", Identities: 1}},
		Identities: []store.IdentityRow{{Kind: "user", NS: "s1", Value: "u1", ProfileID: "p_a"}, {Kind: "anon", Value: "a1", ProfileID: "p_a"},
			{Kind: "email", Value: "E1", ProfileID: "p_a"}, {Kind: "user", NS: "s1", Value: "u9", ProfileID: "p_o"}},
		Members: []store.MemberRow{{SegmentID: "seg", ProfileID: "p_a", Since: t0}},
	}); err != nil {
		t.Fatal(err)
	}
	if _, err := s.RefreshOrderDays(ctx); err != nil {
		t.Fatal(err)
	}
	if _, err := s.RefreshEventDays(ctx); err != nil {
		t.Fatal(err)
	}
	// 23, and three event days: a1's page, u1's two tracks.
	if n := count(t, s, personRows); n != 26 {
		t.Fatalf("the person's rows before erasure: %d, want 26", n)
	}
	return f
}

// TestErasePersonBySequence finds a person through a token, links the
// identity that shares their phone, and erases every row of theirs by the
// sequences FindPerson found, including a message that landed between
// FindPerson and ErasePerson (which only the search above FindPerson's
// sequence finds), and nothing of anyone else.
func TestErasePersonBySequence(t *testing.T) {
	ctx := context.Background()
	s := openStore(t, t.TempDir())
	defer s.Close()
	f := seedPerson(t, s)
	before := count(t, s, others)

	p, err := s.FindPerson(ctx, store.PersonQuery{Tokens: []store.KindToken{{Kind: "email", Token: "E1"}}}, 100)
	if err != nil {
		t.Fatal(err)
	}
	ids := map[store.Identity]bool{}
	for _, id := range p.Identities {
		ids[id] = true
	}
	want := []store.Identity{{SourceID: "s1", UserID: "u1"}, {AnonymousID: "a1"}, {SourceID: "s1", UserID: "u2"}}
	if len(ids) != len(want) {
		t.Fatalf("identities %v, want %v", p.Identities, want)
	}
	for _, id := range want {
		if !ids[id] {
			t.Fatalf("identities %v lack %v", p.Identities, id)
		}
	}
	if len(p.Tokens) != 2 {
		t.Fatalf("tokens %v, want E1 and P1", p.Tokens)
	}
	if p.Found == nil || p.Found.AsOf != 8 || !slices.Equal(p.Found.Seqs, []uint64{1, 2, 3, 4, 5}) {
		t.Fatalf("found %+v, want sequences 1–5 as of 8", p.Found)
	}

	// A message of the person lands after FindPerson.
	if _, err := s.Apply(ctx, []store.Projected{f.msg("page", "s1", "m9", `{"anonymousId":"a1","name":"Late"}`, 0)}); err != nil {
		t.Fatal(err)
	}
	er, err := s.ErasePerson(ctx, p)
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(er.Seqs, []uint64{1, 2, 3, 4, 5, 9}) {
		t.Fatalf("erased sequences %v, want 1–5 and 9", er.Seqs)
	}
	if er.Rows["events"] != 6 || er.Rows["orders"] != 1 || er.Rows["order_items"] != 1 || er.Rows["refunds"] != 1 ||
		er.Rows["profiles"] != 1 || er.Rows["profile_identities"] != 3 {
		t.Fatalf("rows deleted %v", er.Rows)
	}
	if n := count(t, s, personRows); n != 0 {
		t.Fatalf("%d rows of the person left", n)
	}
	if n := count(t, s, others); n != before {
		t.Fatalf("others' rows: %d, want %d", n, before)
	}
	// The order days, refreshed after the erasure, do not bring it back.
	if _, err := s.RefreshOrderDays(ctx); err != nil {
		t.Fatal(err)
	}
	if n := count(t, s, personRows); n != 0 {
		t.Fatalf("%d rows of the person after refreshing the order days", n)
	}
	// Nothing is found any more.
	p, err = s.FindPerson(ctx, store.PersonQuery{Tokens: []store.KindToken{{Kind: "email", Token: "E1"}}}, 100)
	if err != nil || len(p.Identities) != 0 {
		t.Fatalf("after erasure: %+v, %v", p, err)
	}
}

// TestErasePersonWithoutFind erases a person given by hand (no Found): the
// store looks for their rows itself.
func TestErasePersonWithoutFind(t *testing.T) {
	ctx := context.Background()
	s := openStore(t, t.TempDir())
	defer s.Close()
	seedPerson(t, s)
	before := count(t, s, others)
	er, err := s.ErasePerson(ctx, &store.Person{Identities: []store.Identity{
		{SourceID: "s1", UserID: "u1"}, {AnonymousID: "a1"}, {SourceID: "s1", UserID: "u2"}}})
	if err != nil {
		t.Fatal(err)
	}
	if len(er.Seqs) != 5 {
		t.Fatalf("erased sequences %v", er.Seqs)
	}
	if n := count(t, s, personRows); n != 0 {
		t.Fatalf("%d rows of the person left", n)
	}
	if n := count(t, s, others); n != before {
		t.Fatalf("others' rows: %d, want %d", n, before)
	}
}

// TestFindPersonByUserIDInAnySource follows a userId asked for without a
// source to every source that has it, and a quote in an identifier stays a
// value.
func TestFindPersonByUserIDInAnySource(t *testing.T) {
	ctx := context.Background()
	s := openStore(t, t.TempDir())
	defer s.Close()
	seedPerson(t, s)
	p, err := s.FindPerson(ctx, store.PersonQuery{UserIDs: []store.Identity{{UserID: "u1"}}}, 100)
	if err != nil {
		t.Fatal(err)
	}
	var srcs []string
	for _, id := range p.Identities {
		if id.UserID == "u1" {
			srcs = append(srcs, id.SourceID)
		}
	}
	slices.Sort(srcs)
	if !slices.Equal(srcs, []string{"s1", "s2"}) {
		t.Fatalf("u1 found in %v, want s1 and s2 (%+v)", srcs, p.Identities)
	}
	p, err = s.FindPerson(ctx, store.PersonQuery{UserIDs: []store.Identity{{SourceID: "s1", UserID: "x' OR '1'='1"}}}, 100)
	if err != nil || len(p.Identities) != 1 {
		t.Fatalf("a quoted userId: %+v, %v", p, err)
	}
}

// TestFindPersonRefusesAJunkIdentifier refuses an identifier that links
// more identities than the limit.
func TestFindPersonRefusesAJunkIdentifier(t *testing.T) {
	ctx := context.Background()
	s := openStore(t, t.TempDir())
	defer s.Close()
	f := personFeeder()
	var batch []store.Projected
	for _, u := range []string{"j1", "j2", "j3", "j4"} {
		batch = append(batch, f.msg("identify", "s1", "m-"+u, `{"userId":"`+u+`","traits":{"email":"tw1.email.JUNK"}}`, 0))
	}
	if _, err := s.Apply(ctx, batch); err != nil {
		t.Fatal(err)
	}
	q := store.PersonQuery{Tokens: []store.KindToken{{Kind: "email", Token: "JUNK"}}}
	var tooMany *store.ErrTooManyIdentities
	if _, err := s.FindPerson(ctx, q, 3); !errors.As(err, &tooMany) {
		t.Fatalf("4 identities with limit 3: %v", err)
	}
	if p, err := s.FindPerson(ctx, q, 4); err != nil || len(p.Identities) != 4 {
		t.Fatalf("limit 4: %+v, %v", p, err)
	}
}

// TestPersonDataOfSomeTables: reading some of a person's tables (the
// consent of a customer page) answers what the full export answers for
// them, also right after another person's export left its staging
// behind; the consent is read while a long write holds the writer's lock.
func TestPersonDataOfSomeTables(t *testing.T) {
	s := openStore(t, t.TempDir())
	defer s.Close()
	seedPerson(t, s)
	ctx := context.Background()
	find := func(uid string) *store.Person {
		p, err := s.FindPerson(ctx, store.PersonQuery{UserIDs: []store.Identity{{SourceID: "s1", UserID: uid}}}, 100)
		if err != nil {
			t.Fatal(err)
		}
		return p
	}
	person, other := find("u1"), find("u9")
	all, err := s.PersonData(ctx, person)
	if err != nil {
		t.Fatal(err)
	}
	if len(all["consent"].Rows) == 0 || len(all["order_items"].Rows) == 0 || len(all["reviews"].Rows) != 0 {
		t.Fatalf("the person's export: consent %v, order items %v", all["consent"].Rows, all["order_items"].Rows)
	}
	if _, err := s.PersonData(ctx, other); err != nil {
		t.Fatal(err)
	}
	for _, tables := range [][]string{{"consent"}, {"events", "customers", "identifier_tokens"}, {"order_items", "profiles"}, {"reviews"}} {
		some, err := s.PersonData(ctx, person, tables...)
		if err != nil {
			t.Fatal(err)
		}
		if len(some) != len(tables) {
			t.Fatalf("PersonData(%v) answered %d tables", tables, len(some))
		}
		for _, tb := range tables {
			if !reflect.DeepEqual(some[tb].Rows, all[tb].Rows) {
				t.Errorf("%s of the person alone: %v, in the full export: %v", tb, some[tb].Rows, all[tb].Rows)
			}
		}
	}
	// Nothing that names the person stays staged in the writer's
	// connection after the requests.
	var staged string
	if err := s.wconn.QueryRowContext(ctx, `SELECT coalesce(string_agg(table_name, ', '), '') FROM duckdb_tables() WHERE temporary`).Scan(&staged); err != nil {
		t.Fatal(err)
	}
	if staged != "" {
		t.Errorf("the person's staging left in the writer's connection: %s", staged)
	}
	s.mu.Lock() // a long write
	done := make(chan error, 1)
	go func() {
		_, err := s.PersonData(ctx, person, "consent")
		done <- err
	}()
	select {
	case err := <-done:
		if err != nil {
			t.Fatal(err)
		}
	case <-time.After(10 * time.Second):
		t.Error("the consent read waited for the writer's lock")
	}
	s.mu.Unlock()
}
