package duckdb

import (
	"context"
	"slices"
	"strings"
	"testing"

	"github.com/tradewind/tradewind/internal/store"
)

// TestJSONColumnsListed: appendText stages exactly the JSON columns of the
// schema as text; a JSON column it did not know of would reach the
// appender as bytes (stored as a base64 string).
func TestJSONColumnsListed(t *testing.T) {
	s := openStore(t, t.TempDir())
	defer s.Close()
	got := map[string][]string{}
	err := s.Scan(context.Background(), `SELECT table_name, column_name FROM duckdb_columns()
		WHERE data_type = 'JSON' AND NOT internal AND database_name = current_database() ORDER BY table_name, column_index`, nil,
		func(row []any) error {
			got[row[0].(string)] = append(got[row[0].(string)], row[1].(string))
			return nil
		})
	if err != nil {
		t.Fatal(err)
	}
	for _, table := range []string{"event_rows", "order_rows", "refunds", "cancellations", "reviews", "ad_spend",
		"customers", "identifier_tokens", "consent"} {
		if !slices.Equal(got[table], jsonColumns[table]) {
			t.Errorf("%s: JSON columns %v, jsonColumns has %v", table, got[table], jsonColumns[table])
		}
	}
}

// TestJSONStoredAsSent: the JSON objects of messages, orders (a new row
// and an update) and customers (an update merging traits) are stored as
// JSON a query can read, whatever their spacing and characters.
func TestJSONStoredAsSent(t *testing.T) {
	s := openStore(t, t.TempDir())
	defer s.Close()
	ctx := context.Background()
	f := newFeeder()
	order := func(id, status string) string {
		return `{"userId":"u1", "event":"Order Completed", "properties": {"order_id":"1001", "total":"30.10", "currency":"EUR",
			"status":"` + status + `", "note":"<b>Tom & Jerry</b> \u00e9\n", "products":[{"product_id":"p1","price":12.5}]}}`
	}
	batch := []store.Projected{
		f.msg("identify", "s1", "m1", `{"userId":"u1","traits":{"email":"a@example.com", "plan":"gold"}}`, 0),
		f.msg("track", "s1", "m2", order("1001", "paid"), 0),
	}
	if _, err := s.Apply(ctx, batch); err != nil {
		t.Fatal(err)
	}
	batch = []store.Projected{
		f.msg("identify", "s1", "m3", `{"userId":"u1","traits":{"city":"Köln"}}`, 0),
		f.msg("track", "s1", "m4", order("1001", "shipped"), 0),
	}
	if _, err := s.Apply(ctx, batch); err != nil {
		t.Fatal(err)
	}
	// The batches' staging copies are gone with them (an erasure does not
	// reach the writer's temporary tables): no temporary table is left.
	var staged string
	if err := s.wconn.QueryRowContext(ctx, `SELECT coalesce(string_agg(table_name, ', '), '') FROM duckdb_tables() WHERE temporary`).Scan(&staged); err != nil {
		t.Fatal(err)
	}
	if staged != "" {
		t.Errorf("staging tables left in the writer's connection after its batches: %s", staged)
	}
	for q, want := range map[string]string{
		`SELECT properties->>'note' FROM event_rows WHERE message_id = 'm2'`:                      "<b>Tom & Jerry</b> é\n",
		`SELECT properties->'products'->0->>'product_id' FROM event_rows WHERE message_id = 'm2'`: "p1",
		`SELECT properties->>'status' || '/' || status FROM order_rows WHERE order_id = '1001'`:   "shipped/shipped",
		`SELECT json_type(properties) FROM order_rows`:                                            "OBJECT",
		`SELECT (traits->>'plan') || '/' || (traits->>'city') FROM customers`:                     "gold/Köln",
		`SELECT typeof(properties) FROM event_rows LIMIT 1`:                                       "JSON",
	} {
		res, err := s.Query(ctx, q, 10)
		if err != nil {
			t.Fatalf("%s: %v", q, err)
		}
		if len(res.Rows) != 1 || res.Rows[0][0] != want {
			t.Errorf("%s: %v, want %q", strings.Join(strings.Fields(q), " "), res.Rows, want)
		}
	}
}
