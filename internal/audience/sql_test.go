package audience

import (
	"database/sql"
	"encoding/json"
	"fmt"
	"slices"
	"sort"
	"strings"
	"testing"
	"time"

	_ "github.com/duckdb/duckdb-go/v2"
	"github.com/govalues/decimal"
)

// The SQL side runs in a real embedded DuckDB over the same fixture the Go
// evaluator sees; every test here compares the two.

type fxProfile struct {
	id    string
	attrs Attrs
}

type fixture struct {
	profiles []fxProfile
	events   []Event
}

var testTables = Tables{
	Profiles: "profiles",
	Attrs: map[string]string{
		"country": "country", "email": "email", "orders": "orders", "revenue": "revenue",
		"vip": "vip", "last_order_at": "last_order_at", "marketplaces": "marketplaces",
	},
	Events: "events",
}

// dayTables are testTables with day counts (event_days, a view made by
// openDB) that hold two thirds of the events; the others are their Fresh
// ones, read from the events, as a store's newest rows are.
var dayTables = func() Tables {
	t := testTables
	t.Days = &DayCounts{Table: "event_days", Fresh: `hash(profile_id, "timestamp") % 3 = 0`}
	return t
}()

// openDB opens an in-memory DuckDB with the fixture tables. The session time
// zone is Asia/Kathmandu (UTC+05:45) on purpose: the SQL must mean the same
// instants whatever the session's zone.
func openDB(t testing.TB) *sql.DB {
	t.Helper()
	db, err := sql.Open("duckdb", "")
	if err != nil {
		t.Fatal(err)
	}
	db.SetMaxOpenConns(1) // settings are per connection
	t.Cleanup(func() { db.Close() })
	for _, q := range []string{
		`SET TimeZone = 'Asia/Kathmandu'`,
		`CREATE TABLE profiles (profile_id VARCHAR, country VARCHAR, email VARCHAR, orders BIGINT, revenue DECIMAL(18,4),
			vip BOOLEAN, last_order_at TIMESTAMPTZ, marketplaces VARCHAR[])`,
		`CREATE TABLE events (profile_id VARCHAR, type VARCHAR, event VARCHAR, name VARCHAR, properties JSON, "timestamp" TIMESTAMPTZ)`,
		`CREATE VIEW event_days AS SELECT profile_id, type, CASE WHEN type = 'track' THEN event ELSE name END AS name,
			CAST(timezone('UTC', "timestamp") AS DATE) AS day, count(*) AS n
			FROM events WHERE hash(profile_id, "timestamp") % 3 <> 0 GROUP BY ALL`,
	} {
		if _, err := db.Exec(q); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
	}
	return db
}

// load replaces the tables' rows with the fixture's.
func (fx *fixture) load(t testing.TB, db *sql.DB) {
	t.Helper()
	tx, err := db.Begin()
	if err != nil {
		t.Fatal(err)
	}
	defer tx.Rollback()
	for _, q := range []string{`DELETE FROM profiles`, `DELETE FROM events`} {
		if _, err := tx.Exec(q); err != nil {
			t.Fatal(err)
		}
	}
	ps, err := tx.Prepare(`INSERT INTO profiles VALUES (?, ?, ?, CAST(? AS BIGINT), CAST(? AS DECIMAL(18,4)), ?, ?, CAST(CAST(? AS JSON) AS VARCHAR[]))`)
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range fx.profiles {
		args := []any{p.id}
		for _, a := range []string{"country", "email", "orders", "revenue", "vip", "last_order_at", "marketplaces"} {
			v, ok := p.attrs[a]
			if !ok || v.Kind() == KindNull {
				args = append(args, nil)
				continue
			}
			switch v.Kind() {
			case KindString:
				args = append(args, v.Str())
			case KindNumber:
				args = append(args, v.Num().String())
			case KindBool:
				args = append(args, v.Bool())
			case KindTime:
				args = append(args, v.Time())
			case KindList:
				b, _ := json.Marshal(append([]string{}, v.List()...))
				args = append(args, string(b))
			}
		}
		if _, err := ps.Exec(args...); err != nil {
			t.Fatalf("profile %s: %v", p.id, err)
		}
	}
	// Events go in batches of many rows per statement: a statement costs far
	// more than a row.
	const batch = 500
	for i := 0; i < len(fx.events); i += batch {
		evs := fx.events[i:min(i+batch, len(fx.events))]
		var q strings.Builder
		q.WriteString(`INSERT INTO events VALUES `)
		args := make([]any, 0, 6*len(evs))
		for j, e := range evs {
			if j > 0 {
				q.WriteString(", ")
			}
			q.WriteString(`(?, ?, ?, ?, CAST(? AS JSON), ?)`)
			var event, name, props any
			if e.Type == EventTrack {
				event = e.Name
			} else {
				name = e.Name
			}
			if len(e.Props) > 0 {
				props = string(e.Props)
			}
			args = append(args, e.Profile, e.Type, event, name, props, e.At)
		}
		if _, err := tx.Exec(q.String(), args...); err != nil {
			t.Fatalf("events: %v", err)
		}
	}
	if err := tx.Commit(); err != nil {
		t.Fatal(err)
	}
}

// sqlMembers runs the engine's query for one segment, and fails the test
// when the query that reads the day counts (dayTables) lists other
// members.
func sqlMembers(t testing.TB, db *sql.DB, e *Engine, seg string, now time.Time) []string {
	t.Helper()
	ids := sqlMembersOf(t, db, e, seg, now, testTables)
	if days := sqlMembersOf(t, db, e, seg, now, dayTables); !slices.Equal(days, ids) {
		t.Errorf("segment %s at %s: the query over the day counts lists %v, over the events %v", seg, now.UTC().Format(time.RFC3339Nano), days, ids)
	}
	return ids
}

// sqlMembersOf runs the engine's query for one segment over tables tt.
func sqlMembersOf(t testing.TB, db *sql.DB, e *Engine, seg string, now time.Time, tt Tables) []string {
	t.Helper()
	q, args, err := e.SQL(seg, now, tt)
	if err != nil {
		t.Fatal(err)
	}
	rows, err := db.Query(q, args...)
	if err != nil {
		t.Fatalf("%v\n%s\n%v", err, q, args)
	}
	defer rows.Close()
	var ids []string
	for rows.Next() {
		var id string
		if err := rows.Scan(&id); err != nil {
			t.Fatal(err)
		}
		ids = append(ids, id)
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	sort.Strings(ids)
	return ids
}

// goMembers evaluates every fixture profile in Go; the state must already
// hold the events.
func goMembers(t testing.TB, e *Engine, kv KV, fx *fixture, now time.Time) (map[string][]string, map[string]time.Time) {
	t.Helper()
	out := map[string][]string{}
	next := map[string]time.Time{}
	for _, s := range e.Segments() {
		out[s.ID] = nil
	}
	for i, p := range fx.profiles {
		// Every other profile through EvaluateFunc, the profile engine's
		// call: both must agree with the SQL.
		var m map[string]bool
		var n time.Time
		var err error
		if i%2 == 0 {
			m, n, err = e.Evaluate(kv, p.id, p.attrs, now)
		} else {
			m = map[string]bool{}
			n, err = e.EvaluateFunc(kv, p.id, p.attrs, now, func(id string, in bool) { m[id] = in })
		}
		if err != nil {
			t.Fatal(err)
		}
		next[p.id] = n
		for id, in := range m {
			if in {
				out[id] = append(out[id], p.id)
			}
		}
	}
	for id := range out {
		sort.Strings(out[id])
	}
	return out, next
}

var semNow = time.Date(2026, time.March, 31, 12, 0, 0, 0, time.UTC)

func semFixture() *fixture {
	now := semNow
	tm := func(d time.Duration) Value { return TimeValue(now.Add(d)) }
	dec := func(s string) Value { return NumberValue(decimal.MustParse(s)) }
	fx := &fixture{profiles: []fxProfile{
		{"anna", Attrs{"country": StringValue("DE"), "email": StringValue("anna@example.com"), "orders": IntValue(5), "revenue": dec("199.99"),
			"vip": BoolValue(true), "last_order_at": tm(-10 * day), "marketplaces": ListValue([]string{"amazon_de", "shopify_eu"})}},
		{"ben", Attrs{"country": StringValue("de"), "email": StringValue(""), "orders": IntValue(0), "revenue": dec("0"),
			"vip": BoolValue(false), "last_order_at": tm(-30 * day), "marketplaces": ListValue([]string{})}},
		{"cleo", Attrs{}},
		{"dara", Attrs{"country": StringValue("Österreich"), "orders": IntValue(3), "revenue": dec("19.9"),
			"last_order_at": tm(-30*day - time.Microsecond), "marketplaces": ListValue([]string{"amazon_de"})}},
		{"emil", Attrs{"country": StringValue("DE"), "email": StringValue("Emil@Example.com"), "orders": IntValue(1),
			"revenue": dec("12345678901234.5678"), "vip": BoolValue(true), "last_order_at": tm(day)}},
		{"fay", Attrs{"country": StringValue("FR"), "orders": IntValue(2), "revenue": dec("-5.5"), "marketplaces": ListValue([]string{"amazon_us"})}},
	}}
	oc := "Order Completed"
	add := func(p, typ, name string, at time.Duration, props string) {
		e := Event{Profile: p, Type: typ, Name: name, At: now.Add(at), Seq: uint64(len(fx.events) + 1)}
		if props != "" {
			e.Props = []byte(props)
		}
		fx.events = append(fx.events, e)
	}
	add("anna", "track", oc, -90*day, `{"marketplace":"amazon_de","total":19.99}`)
	add("anna", "track", oc, -90*day+time.Microsecond, `{"marketplace":"amazon_de","total":19.990}`)
	add("anna", "track", oc, -day, `{"marketplace":"shopify_eu","total":"250.00","tags":["sale","gift"]}`)
	add("ben", "track", oc, 0, `{"marketplace":"amazon_de","total":1e2}`)
	add("ben", "track", oc, time.Microsecond, `{"marketplace":"amazon_de","total":100}`)
	add("cleo", "page", "Pricing", -2*day, `{"path":"/pricing","referrer":null}`)
	add("cleo", "page", "Pricing", -3*day, `{"path":"/Pricing"}`)
	add("cleo", "screen", "Home", -time.Hour, ``)
	add("dara", "track", oc, -5*day, `{"marketplace":"amazon_de","total":19.9,"product":{"category":"tents"},"odd key":1,"it's":"yes","tax_included":true}`)
	add("dara", "track", "Product Viewed", -5*day, `{"product":{"category":"tents"}}`)
	add("dara", "track", "Odd", -5*day, `{"a[0]":1,"$x":"y","**":true,"*":false,"é":"ü","a b":{"c d":2},"k\u0065y":"v","key":"w","list":[0],"n":-0.0}`)
	add("emil", "track", oc, -200*day, `{"marketplace":null,"total":9223372036854775808}`)
	add("emil", "track", oc, -100*day, `{"total":99999999999999999999,"tags":"sale"}`)
	add("fay", "track", "Order Refunded", -day, `{"total":-5.5}`)
	add("fay", "track", oc, -40*day, `{"marketplace":"AMAZON_DE","total":0.1}`)
	return fx
}

// TestSemantics: each rule's members, as the package documentation defines
// them, from both the Go evaluator and the SQL in DuckDB.
func TestSemantics(t *testing.T) {
	cases := []struct{ rule, want string }{
		{`country = "DE"`, "anna emil"},
		{`country != "DE"`, "ben dara fay"},
		{`not country = "DE"`, "ben cleo dara fay"},
		{`country in ["DE", "de"]`, "anna ben emil"},
		{`country not in ["DE"]`, "ben dara fay"},
		{`country > "E"`, "ben dara fay"}, // bytewise: "de" and "Ö…" sort after "E"
		{`country starts_with "D"`, "anna emil"},
		{`country contains "e"`, "ben dara"},
		{`email contains ""`, "anna ben emil"},
		{`email exists`, "anna ben emil"},
		{`email not exists`, "cleo dara fay"},
		{`orders >= 3`, "anna dara"},
		{`orders between 1 and 3`, "dara emil fay"},
		{`orders = 0`, "ben"},
		{`orders in [0, 5]`, "anna ben"},
		{`revenue = 19.90`, "dara"},
		{`revenue > 12345678901234.5677`, "emil"},
		{`revenue < 0`, "fay"},
		{`revenue in [0, 199.99]`, "anna ben"},
		{`revenue != 0`, "anna dara emil fay"},
		{`vip = true`, "anna emil"},
		{`vip != true`, "ben"},
		{`not vip = true`, "ben cleo dara fay"},
		{`last_order_at < -30d`, "dara"}, // ben's is exactly 30 days old: not before
		{`last_order_at <= -30d`, "ben dara"},
		{`last_order_at > "2026-03-31T12:00:00Z"`, "emil"},
		{`last_order_at between -30d and +0d`, "anna ben"},
		{`last_order_at = "2026-03-01T17:45:00+05:45"`, "ben"}, // the same instant as now−30d
		{`last_order_at < "2026-03-21T12:00:00.000001Z"`, "anna ben dara"},
		{`marketplaces contains "amazon_de"`, "anna dara"},
		{`marketplaces in ["amazon_us", "shopify_eu"]`, "anna fay"},
		{`marketplaces not in ["amazon_de"]`, "ben fay"}, // an empty list has none of them
		{`event "Order Completed" within 90d`, "anna ben dara fay"},
		{`event "Order Completed" count >= 2 within 90d`, "anna"}, // exactly 90 days old is out; at the clock is in
		{`event "Order Completed" count = 0 within 90d`, "cleo emil"},
		{`not event "Order Completed" within 90d`, "cleo emil"},
		{`event "Order Completed" count >= 3`, "anna"}, // ben's second order is after the clock
		{`event "Order Completed" count = 2`, "emil"},
		{`event "Order Completed" count < 2`, "ben cleo dara fay"},
		{`event "Order Completed" where marketplace = "amazon_de"`, "anna ben dara"},
		{`event "Order Completed" where total = 19.99`, "anna"},
		{`event "Order Completed" where total = 19.99 count >= 2`, "anna"},
		{`event "Order Completed" where total = 19.99 count >= 2 within 90d`, ""},
		{`event "Order Completed" where total >= 100`, "ben emil"}, // "250.00" is a string, not a number
		{`event "Order Completed" where total > 9223372036854775807`, "emil"},
		{`event "Order Completed" where total = "250.00"`, "anna"},
		{`event "Order Completed" where total != 19.99`, "ben dara emil fay"},
		{`event "Order Completed" where tags contains "sale"`, "anna emil"},
		{`event "Order Completed" where marketplace not exists`, "emil"},
		{`event "Order Completed" where marketplace exists`, "anna ben dara fay"},
		{`event "Order Completed" where product.category = "tents"`, "dara"},
		{`event "Order Completed" where "odd key" = 1, "it's" = "yes", tax_included = true`, "dara"},
		{`event "Order Completed" where tax_included != true`, ""},
		{`event "Order Completed" where total = 0.1`, "fay"},
		{`event "Order Completed" where total between 19.9 and 19.99 count between 1 and 2`, "anna dara"},
		{`event "Order Completed" where marketplace > "amazon", marketplace < "b"`, "anna ben dara"},
		{`event "Order Completed" where marketplace in ["shopify_eu", "x"], tags exists`, "anna"},
		{`event "Order Completed" where marketplace starts_with "AMAZON"`, "fay"},
		{`event "Order Refunded" where total < 0`, "fay"},
		{`event "Odd" where "a[0]" = 1, "$x" = "y", "**" = true, "é" = "ü", "a b.c d" = 2, key = "v", n = 0`, "dara"},
		{`event "Odd" where "list.0" exists`, ""}, // a path part is a key, never an array index
		{`event "Product Viewed" where product.category in ["tents", "bags"]`, "dara"},
		{`page "Pricing"`, "cleo"},
		{`page "Pricing" where path = "/pricing"`, "cleo"},
		{`page count >= 2 within 3d`, ""}, // the older view is exactly 3 days old
		{`page count >= 2 within 4d`, "cleo"},
		{`page where referrer exists`, ""},
		{`page where referrer not exists count = 2`, "cleo"},
		{`screen`, "cleo"},
		{`screen "Pricing"`, ""},
		{`in segment "de" and in segment "buyer90"`, "anna"},
		{`in segment "de" and not in segment "buyer90"`, "emil"},
		{`not (in segment "de" or in segment "buyer90")`, "cleo"},
		{`country = "DE" or orders >= 2 and not vip = true`, "anna dara emil fay"},
	}
	segs := []Segment{
		{ID: "de", Rule: TraitCond{Attr: "country", Op: OpEq, Value: StringLit("DE")}},
		{ID: "buyer90", Rule: EventCond{Type: EventTrack, Name: "Order Completed", Within: 90 * day}},
	}
	for i, c := range cases {
		r, err := ParseText(c.rule)
		if err != nil {
			t.Fatalf("%s: %v", c.rule, err)
		}
		segs = append(segs, Segment{ID: fmt.Sprintf("r%02d", i), Rule: r})
	}
	e := New(testSchema)
	if err := e.Set(segs); err != nil {
		t.Fatal(err)
	}
	fx := semFixture()
	db := openDB(t)
	fx.load(t, db)
	kv := &MemKV{}
	for _, ev := range fx.events {
		if err := e.OnEvent(kv, ev); err != nil {
			t.Fatal(err)
		}
	}
	goM, _ := goMembers(t, e, kv, fx, semNow)
	for i, c := range cases {
		id := fmt.Sprintf("r%02d", i)
		want := strings.Fields(c.want)
		sqlM := sqlMembers(t, db, e, id, semNow)
		if !slices.Equal(goM[id], want) || !slices.Equal(sqlM, want) {
			t.Errorf("%s\n   Go  %v\n   SQL %v\n   want %v", c.rule, goM[id], sqlM, want)
		}
	}
	// Preview counts what SQL lists.
	r, _ := ParseText(`in segment "de" or event "Order Completed" where marketplace = "amazon_de"`)
	q, args, err := e.PreviewSQL(r, semNow, testTables)
	if err != nil {
		t.Fatal(err)
	}
	var n int
	if err := db.QueryRow(q, args...).Scan(&n); err != nil {
		t.Fatal(err)
	}
	if n != 4 { // anna, ben, dara, emil
		t.Fatalf("preview counted %d", n)
	}
	if _, _, err := e.PreviewSQL(TraitCond{Attr: "nope", Op: OpExists}, semNow, testTables); err == nil {
		t.Fatal("preview of an invalid rule")
	}
	if _, _, err := e.SQL("nope", semNow, testTables); err == nil {
		t.Fatal("SQL of an unknown segment")
	}
	if _, _, err := e.SQL("r00", semNow, Tables{Profiles: "profiles", Events: "events"}); err == nil {
		t.Fatal("SQL without a column for the attribute")
	}
}

// TestSQLShape: the query text is stable and readable (a change here is a
// change to what every caller runs).
func TestSQLShape(t *testing.T) {
	e := New(testSchema)
	r, err := ParseText(`country = "DE" and event "Order Completed" where marketplace = "amazon_de" count >= 2 within 90d and not event "Order Completed" within 90d where total > 1000`)
	if err != nil {
		t.Fatal(err)
	}
	if err := e.Set([]Segment{{ID: "s", Rule: r}}); err != nil {
		t.Fatal(err)
	}
	q, args, err := e.SQL("s", semNow, testTables)
	if err != nil {
		t.Fatal(err)
	}
	want := `WITH c0 AS (
  SELECT profile_id AS pid, count(*) AS n
  FROM events
  WHERE profile_id IS NOT NULL
    AND type = 'track'
    AND event = CAST('Order Completed' AS VARCHAR)
    AND coalesce(json_type(properties, '$."marketplace"') = 'VARCHAR' AND json_extract_string(properties, '$."marketplace"') = CAST('amazon_de' AS VARCHAR), false)
    AND "timestamp" > CAST('2025-12-31T12:00:00.000000Z' AS TIMESTAMPTZ)
    AND "timestamp" <= CAST('2026-03-31T12:00:00.000000Z' AS TIMESTAMPTZ)
  GROUP BY profile_id),
c1 AS (
  SELECT profile_id AS pid, count(*) AS n
  FROM events
  WHERE profile_id IS NOT NULL
    AND type = 'track'
    AND event = CAST('Order Completed' AS VARCHAR)
    AND coalesce(json_type(properties, '$."total"') IN ('BIGINT', 'UBIGINT', 'HUGEINT', 'UHUGEINT', 'DOUBLE') AND TRY_CAST(json_extract_string(properties, '$."total"') AS DECIMAL(38,19)) > CAST('1000' AS DECIMAL(4,0)), false)
    AND "timestamp" > CAST('2025-12-31T12:00:00.000000Z' AS TIMESTAMPTZ)
    AND "timestamp" <= CAST('2026-03-31T12:00:00.000000Z' AS TIMESTAMPTZ)
  GROUP BY profile_id)
SELECT p.profile_id AS profile_id
FROM profiles AS p
WHERE p.profile_id IS NOT NULL
  AND (coalesce((country) = CAST('DE' AS VARCHAR), false) AND (p.profile_id IN (SELECT pid FROM c0 WHERE n >= 2)) AND (NOT (p.profile_id IN (SELECT pid FROM c1 WHERE n >= 1))))`
	if q != want {
		t.Errorf("query:\n%s", q)
	}
	if len(args) != 0 {
		t.Errorf("args %v: every value fits a literal", args)
	}

	// A quote is doubled inside its literal; a value a literal cannot
	// carry (a NUL byte) is a parameter.
	r, err = ParseText(`country = "it's" or country = "a\u0000b"`)
	if err != nil {
		t.Fatal(err)
	}
	q, args, err = e.PreviewSQL(r, semNow, testTables)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(q, `CAST('it''s' AS VARCHAR)`) || !strings.Contains(q, `CAST($1 AS VARCHAR)`) || fmt.Sprint(args) != fmt.Sprint([]any{"a\x00b"}) {
		t.Errorf("query %s, args %q", q, args)
	}
}
