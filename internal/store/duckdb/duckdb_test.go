package duckdb

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/govalues/decimal"

	"github.com/tradewind/tradewind/internal/eventlog"
	"github.com/tradewind/tradewind/internal/store"
)

var t0 = time.Date(2026, 3, 2, 10, 0, 0, 0, time.UTC)

func openStore(t *testing.T, dir string) *DB {
	t.Helper()
	s, err := Open(context.Background(), Config{Dir: dir, BaseCurrency: "USD"})
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// eurToUSD converts at a fixed 1.1 for tests, dated the day before.
func eurToUSD(a decimal.Decimal, cur string, day time.Time) (decimal.Decimal, time.Time, bool) {
	if cur == "USD" {
		return a, day, true
	}
	if cur != "EUR" {
		return decimal.Decimal{}, time.Time{}, false
	}
	b, _ := a.Mul(decimal.MustParse("1.1"))
	return b.Round(4), day.AddDate(0, 0, -1).Truncate(24 * time.Hour), true
}

type feeder struct {
	pr  store.Projector
	seq uint64
}

func newFeeder() *feeder {
	return &feeder{pr: store.Projector{
		Source: func(id string) (store.SourceInfo, bool) {
			return store.SourceInfo{Store: "shop-" + id, Currency: "EUR", Marketplace: "shopify_eu"}, true
		},
		ToBase: eurToUSD,
	}}
}

func (f *feeder) msg(typ, src, id, body string, flags eventlog.Flags) store.Projected {
	f.seq++
	return f.pr.Project(eventlog.Delivery{Seq: f.seq, Type: typ, Data: []byte(body),
		Meta: eventlog.Meta{Source: src, MessageID: id, ReceivedAt: t0, Timestamp: t0, Flags: flags}})
}

func count(t *testing.T, s *DB, q string) int64 {
	t.Helper()
	res, err := s.Query(context.Background(), q, 10)
	if err != nil {
		t.Fatalf("%s: %v", q, err)
	}
	return toInt64(res.Rows[0][0])
}

func TestApplyProjectsDeduplicatesAndUpdates(t *testing.T) {
	dir := t.TempDir()
	s := openStore(t, dir)
	ctx := context.Background()
	f := newFeeder()
	order := `{"userId":"u1","event":"Order Completed","properties":{"order_id":"1001","total":"30.10","revenue":25,"tax":5.1,"currency":"EUR","products":[{"product_id":"p1","price":12.5,"quantity":2}]}}`
	batch := []store.Projected{
		f.msg("identify", "s1", "m1", `{"userId":"u1","traits":{"email":"a@example.com","plan":"gold"}}`, 0),
		f.msg("track", "s1", "m2", order, 0),
		f.msg("track", "s1", "m2", order, 0),                                           // same messageId again: a duplicate
		f.msg("track", "s2", "m2", `{"anonymousId":"a9","event":"Product Viewed"}`, 0), // same id, other source: new
	}
	res, err := s.Apply(ctx, batch)
	if err != nil {
		t.Fatal(err)
	}
	if res.Stored != 3 || res.Duplicates != 1 {
		t.Fatalf("apply = %+v, want 3 stored, 1 duplicate", res)
	}
	// A redelivery of the same batch is skipped entirely.
	if res, err = s.Apply(ctx, batch); err != nil || res.Skipped != 4 || res.Stored != 0 {
		t.Fatalf("redelivery = %+v, %v", res, err)
	}
	// A later version of the order updates it; a resend in a later batch is a duplicate.
	res, err = s.Apply(ctx, []store.Projected{
		f.msg("track", "s1", "m3", `{"userId":"u1","event":"Order Updated","timestamp":"2026-03-02T11:00:00Z","properties":{"order_id":"1001","total":40,"currency":"EUR","products":[{"product_id":"p2","price":40,"quantity":1}]}}`, 0),
		f.msg("track", "s1", "m2", order, 0),
		f.msg("identify", "s1", "m4", `{"userId":"u1","traits":{"phone":"+4915550000000"}}`, 0),
	})
	if err != nil || res.Stored != 2 || res.Duplicates != 1 {
		t.Fatalf("second batch = %+v, %v", res, err)
	}
	// Every message applied counts once, duplicates too; the redelivery
	// does not.
	if n := s.AppliedMessages(); n != 7 {
		t.Fatalf("applied messages = %d, want 7", n)
	}
	if n := count(t, s, "SELECT CAST(value AS BIGINT) FROM tw_state WHERE key = 'applied_messages'"); n != 7 {
		t.Fatalf("applied messages kept = %d, want 7", n)
	}
	if n := count(t, s, "SELECT count(*) FROM events"); n != 5 {
		t.Fatalf("events = %d, want 5", n)
	}
	if n := count(t, s, "SELECT count(*) FROM orders"); n != 1 {
		t.Fatalf("orders = %d, want 1", n)
	}
	r, err := s.Query(ctx, "SELECT CAST(total AS VARCHAR), CAST(total_base AS VARCHAR), (SELECT count(*) FROM order_items), (SELECT product_id FROM order_items) FROM orders", 10)
	if err != nil {
		t.Fatal(err)
	}
	if got := fmt.Sprint(r.Rows[0]); got != "[40.0000 44.0000 1 p2]" {
		t.Fatalf("order after update = %s", got)
	}
	r, err = s.Query(ctx, "SELECT email, phone, traits->>'plan' FROM customers", 10)
	if err != nil {
		t.Fatal(err)
	}
	if got := fmt.Sprint(r.Rows[0]); got != "[a@example.com +4915550000000 gold]" {
		t.Fatalf("customer = %s", got)
	}
	s.Close()

	// After a restart, and with the key index lost, duplicates are still found.
	if err := os.RemoveAll(filepath.Join(dir, "keys")); err != nil {
		t.Fatal(err)
	}
	s = openStore(t, dir)
	defer s.Close()
	res, err = s.Apply(ctx, []store.Projected{f.msg("track", "s1", "m2", order, 0)})
	if err != nil || res.Duplicates != 1 {
		t.Fatalf("after restart = %+v, %v", res, err)
	}
	if n := s.AppliedMessages(); n != 8 {
		t.Fatalf("applied messages after a restart = %d, want 8", n)
	}
}

func TestQueryIsReadOnlyAndSandboxed(t *testing.T) {
	s := openStore(t, t.TempDir())
	defer s.Close()
	ctx := context.Background()
	secret := filepath.Join(t.TempDir(), "secret.txt")
	os.WriteFile(secret, []byte("token"), 0o600)
	refused := []string{
		"DELETE FROM events",
		"INSERT INTO tw_state VALUES ('x','y')",
		"DROP TABLE events",
		"CREATE TABLE x (a INT)",
		"SET threads=8",
		"SET enable_external_access=true",
		"ATTACH '" + filepath.Join(t.TempDir(), "other.db") + "' AS other",
		"INSTALL httpfs",
		"LOAD httpfs",
		"COPY events TO '" + filepath.Join(t.TempDir(), "out.csv") + "'",
		"SELECT * FROM read_csv('" + secret + "')",
		"SELECT * FROM read_text('" + secret + "')",
		"SELECT getenv('HOME')",
		"SELECT 1; DROP TABLE event_rows",
		"SELECT 1; DROP VIEW events",
		"PRAGMA enable_external_access",
		"CALL pragma_version()",
	}
	for _, q := range refused {
		if _, err := s.Query(ctx, q, 10); err == nil {
			t.Errorf("%q was allowed", q)
		}
	}
	if n := count(t, s, "SELECT count(*) FROM duckdb_tables() WHERE table_name = 'event_rows'") + count(t, s, "SELECT count(*) FROM duckdb_views() WHERE view_name = 'events'"); n != 2 {
		t.Fatal("events table gone")
	}
	res, err := s.Query(ctx, "SELECT * FROM range(100)", 10)
	if err != nil || len(res.Rows) != 10 || !res.Truncated {
		t.Fatalf("row cap: %d rows, truncated=%v, %v", len(res.Rows), res != nil && res.Truncated, err)
	}
	if _, err := s.Query(ctx, "SELEC 1", 10); !errors.As(err, new(*QueryError)) {
		t.Fatalf("syntax error = %v, want QueryError", err)
	}
}

// TestMigrationFromPreviousSchema opens a database that has only the first
// migration, with data in it, and checks the upgrade keeps the data.
func TestMigrationFromPreviousSchema(t *testing.T) {
	ms, err := Migrations()
	if err != nil || len(ms) < 2 {
		t.Fatalf("migrations: %v, %d", err, len(ms))
	}
	dir := t.TempDir()
	prev := ms[:len(ms)-1]
	if err := createWithMigrations(dir, prev); err != nil {
		t.Fatal(err)
	}
	s := openStore(t, dir)
	defer s.Close()
	if n := count(t, s, "SELECT count(*) FROM orders_net"); n != 1 {
		t.Fatalf("orders_net rows = %d, want 1", n)
	}
	if n := count(t, s, fmt.Sprintf("SELECT max(version) FROM schema_migrations")); int(n) != ms[len(ms)-1].Version {
		t.Fatalf("schema version %d", n)
	}
	if !strings.Contains(ms[0].SQL, "CREATE TABLE events") {
		t.Fatal("first migration lost the events table")
	}
}

func toInt64(v any) int64 {
	switch n := v.(type) {
	case int64:
		return n
	case int32:
		return int64(n)
	case uint64:
		return int64(n)
	}
	panic(fmt.Sprintf("not an integer: %T", v))
}

// TestKeysFollowTheDaysKept: the store decides duplicates by the same rule
// as the profile engine (keyindex.Entry.Covers) within a batch as across
// batches, and forgets keys by the latest day of receipt it kept, not by
// the clock — so a rebuild over an old log (here messages of March, read
// in November) decides what the live store did.
func TestKeysFollowTheDaysKept(t *testing.T) {
	s := openStore(t, t.TempDir())
	defer s.Close()
	ctx := context.Background()
	f := newFeeder()
	at := func(id string, received time.Time) store.Projected {
		f.seq++
		return f.pr.Project(eventlog.Delivery{Seq: f.seq, Type: "track", Data: []byte(`{"userId":"u1","event":"Signed Up"}`),
			Meta: eventlog.Meta{Source: "s1", MessageID: id, ReceivedAt: received, Timestamp: received}})
	}
	// One batch spanning days: a resend an hour later is a duplicate, one
	// three days later is a new message.
	res, err := s.Apply(ctx, []store.Projected{at("a", t0), at("a", t0.Add(time.Hour)), at("a", t0.Add(72*time.Hour))})
	if err != nil || res.Stored != 2 || res.Duplicates != 1 {
		t.Fatalf("batch over three days = %+v, %v; want 2 stored, 1 duplicate", res, err)
	}
	// Expiry judged by the days kept (t0 + 3 days) keeps the key of t0 + 3
	// days; by the clock (months later) it would drop it.
	if _, err := s.expireKeysOnce(); err != nil {
		t.Fatal(err)
	}
	res, err = s.Apply(ctx, []store.Projected{at("a", t0.Add(73*time.Hour))})
	if err != nil || res.Duplicates != 1 {
		t.Fatalf("resend an hour after the kept one, after expiry = %+v, %v; want a duplicate", res, err)
	}
	// Once the store has kept messages three days later, that key goes.
	if _, err := s.Apply(ctx, []store.Projected{at("b", t0.Add(6*24*time.Hour))}); err != nil {
		t.Fatal(err)
	}
	if n, err := s.expireKeysOnce(); err != nil || n == 0 {
		t.Fatalf("expiry after days moved on: %d keys, %v", n, err)
	}
}

// TestCheckpointWhenQuiet: once writes pause, the WAL they left is folded
// into the database file without waiting for checkpoint_threshold.
func TestCheckpointWhenQuiet(t *testing.T) {
	every, min := quietCheckpointEvery, quietCheckpointMin
	quietCheckpointEvery, quietCheckpointMin = 20*time.Millisecond, 1
	t.Cleanup(func() { quietCheckpointEvery, quietCheckpointMin = every, min })
	dir := t.TempDir()
	s := openStore(t, dir)
	defer s.Close()
	wal := filepath.Join(dir, FileName+".wal")
	walSize := func() int64 {
		fi, err := os.Stat(wal)
		if err != nil {
			return 0
		}
		return fi.Size()
	}
	for i := range 3 {
		if err := s.SaveSource(context.Background(), store.SourceRow{ID: fmt.Sprintf("src%d", i), Name: "shop", Kind: "http",
			Store: "shop", Currency: "EUR", CreatedAt: t0}); err != nil {
			t.Fatal(err)
		}
	}
	deadline := time.Now().Add(10 * time.Second)
	for walSize() > 0 {
		if time.Now().After(deadline) {
			t.Fatalf("the WAL still holds %d bytes after the writes paused", walSize())
		}
		time.Sleep(10 * time.Millisecond)
	}
	var n int
	if err := s.SQL().QueryRow("SELECT count(*) FROM sources").Scan(&n); err != nil || n != 3 {
		t.Fatalf("sources after the checkpoint: %d, %v", n, err)
	}
}
