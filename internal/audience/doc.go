// Package audience is tradewind's segment language ("segment" in the
// marketing sense: a named set of profiles): its rules, their JSON and text
// forms, a real-time evaluator that is updated one event at a time, and a
// compiler of the same rules to SQL for batch evaluation. (The name
// internal/segment belongs to the Segment tracking spec.)
//
// The two evaluators exist for different jobs — the profile engine needs a
// membership within microseconds of an event; previews, exports and
// rebuilds need all members of a segment at once — and they must never
// disagree: after a replay of the log, the members the engine holds are
// exactly the members the SQL finds, for the same data and the same clock.
// Every semantic choice below is made once, here, and both sides implement
// it; the tests run both over the same fixtures in a real DuckDB, by hand
// for each edge and by a property-based test over random rules and data.
//
// # Rules
//
// A rule is a tree. Inner nodes are and, or and not; leaves are:
//
//   - a trait condition: a profile attribute (a trait or computed trait)
//     compared with a value;
//   - an event condition: the number of the profile's events of one type
//     and name whose properties match, within a window ending at the clock;
//   - a segment condition: membership of another segment.
//
// # JSON form
//
// The API takes and returns rules as JSON. Every node is an object with
// exactly one of these shapes; unknown keys are errors.
//
//	{"and": [rule, rule, …]}         all hold (one child: the child itself)
//	{"or":  [rule, rule, …]}         at least one holds
//	{"not": rule}                    does not hold
//	{"segment": "seg_vip"}           member of the segment with that id
//	{"trait": "country", "op": "eq", "value": "DE"}
//	{"event": "Order Completed",     track events with this name …
//	 "where": [{"property": "marketplace", "op": "eq", "value": "amazon_de"}],
//	 "count": {"op": "gte", "value": 2},   … counted (default: gte 1) …
//	 "within": "90d"}                      … in the last 90 days (default: all time)
//	{"type": "page", "name": "Pricing", …} page views (name optional: any page)
//	{"type": "screen", "name": "Home", …}  screen views
//
// Operators ("op"): eq, ne, in, not_in, gt, gte, lt, lte, between, contains,
// starts_with, exists, not_exists. Values are JSON strings, numbers (read
// exactly, as decimals: 19.90 is 19.90, never a float), booleans, or lists
// for in, not_in ([…], at least one) and between ([lower, upper],
// inclusive). exists and not_exists take no value. Times are strings: RFC
// 3339 ("2025-06-01T00:00:00Z", any offset) or relative to the clock
// ("-30d", "+7d"; units s, m, h, d, w). Count operators: eq, ne, gt, gte,
// lt, lte, between, with whole numbers from 0 to 100000. Windows: a whole
// number and a unit ("90d", "12h").
//
// Examples:
//
//	{"and": [
//	  {"trait": "country", "op": "in", "value": ["DE", "AT"]},
//	  {"trait": "last_order_at", "op": "lt", "value": "-30d"},
//	  {"not": {"segment": "churned"}},
//	  {"event": "Order Completed", "count": {"op": "eq", "value": 0}, "within": "30d"}]}
//
//	{"or": [
//	  {"trait": "revenue", "op": "between", "value": [100, 499.99]},
//	  {"type": "page", "name": "Pricing", "where": [{"property": "path", "op": "starts_with", "value": "/pricing"}],
//	   "count": {"op": "gte", "value": 3}, "within": "7d"}]}
//
// # Text form
//
// The CLI takes the same rules as text:
//
//	country = "DE" and orders >= 3 and not in segment "churned" and
//	event "Order Completed" where marketplace = "amazon_de" count >= 2 within 90d
//
// The grammar (EBNF; keywords are case-insensitive; an attribute or
// property that is a keyword or not an identifier is written as a quoted
// string):
//
//	rule      = conj { "or" conj } .
//	conj      = unary { "and" unary } .
//	unary     = "not" unary | primary .
//	primary   = "(" rule ")" | "in" "segment" string | event | trait .
//	trait     = ( ident | string ) test .
//	event     = ( "event" string | ( "page" | "screen" ) [ string ] ) { clause } .
//	clause    = "where" prop { "," prop }      (each clause at most once,
//	          | "count" count                   in any order)
//	          | "within" duration .
//	prop      = ( ident { "." ident } | string ) test .
//	test      = cmp value
//	          | ( "contains" | "starts_with" ) value
//	          | [ "not" ] "in" list
//	          | "between" value "and" value
//	          | [ "not" ] "exists" .
//	count     = cmp integer | "between" integer "and" integer .
//	cmp       = "=" | "!=" | ">" | ">=" | "<" | "<=" .
//	list      = "[" value { "," value } "]" .
//	value     = string | number | reltime | "true" | "false" .
//	ident     = ( letter | "_" ) { letter | digit | "_" } .
//	string    = a JSON string literal .
//	number    = a JSON number literal .
//	integer   = digit { digit } .
//	duration  = digit { digit } unit .
//	reltime   = ( "+" | "-" ) digit { digit } unit .   (a string value: "-30d")
//	unit      = "s" | "m" | "h" | "d" | "w" .
//
// Precedence is not, then and, then or; parentheses group. The where list
// is separated by commas so that "and" after a property condition always
// ends the event condition. Reserved words: and, or, not, in, segment,
// event, page, screen, where, count, within, between, contains,
// starts_with, exists, true, false.
//
// ParseJSON and ParseText build the same tree; Format and FormatJSON print
// it canonically (lower-case keywords, parentheses only where the tree
// needs them, the default count and zero values left out, windows in the
// largest whole unit of d, h, m, s), and each parses back to an equal tree
// (the fuzz tests check both directions). Syntax errors say the line and
// column and what was expected; validation errors name the JSON path of the
// condition (RuleError).
//
// # Types and operators
//
// Schema.Validate checks a rule against the attributes the caller declares:
//
//	String      eq ne in not_in gt gte lt lte between contains starts_with
//	Number      eq ne in not_in gt gte lt lte between
//	Decimal     eq ne in not_in gt gte lt lte between
//	Bool        eq ne
//	Time        eq ne gt gte lt lte between        (RFC 3339 or relative values)
//	StringList  contains (has the element) in (has one of) not_in (has none of)
//	every type  exists not_exists
//
// Unknown attributes, operators a type does not take, and values of the
// wrong kind are refused with a message naming the condition.
//
// # Semantics
//
// Missing values. An attribute that is absent, null, or of a kind that does
// not fit its type is missing. A missing attribute makes every comparison
// false — it is neither equal nor unequal to anything, in no list and in
// none — except not_exists, which is true. Conditions are therefore
// two-valued, and not is an exact complement: `country != "DE"` excludes
// profiles without a country, `not country = "DE"` includes them. (The SQL
// wraps each comparison in coalesce(…, false) to get the same logic out of
// SQL's three-valued one.)
//
// Strings compare byte by byte (UTF-8, case-sensitive): "de" ≠ "DE", and
// ordering is by code point. contains and starts_with are case-sensitive;
// every string contains "".
//
// Numbers are exact decimals of up to 19 significant digits: 19.9 = 19.90,
// and 0.1 + 0.2 questions never arise. Number and Decimal columns are
// compared with the value cast to the narrowest DECIMAL that holds it.
//
// Times are instants at microsecond precision in UTC, the precision of the
// store; anything finer is truncated on both sides. A relative value is the
// clock plus the offset: `last_order_at < -30d` holds when the last order
// is strictly before now−30 days.
//
// Events. An event condition counts the profile's events of its type
// (track, page, screen) whose name equals the condition's exactly (for
// page and screen, any name if none is given) and whose properties satisfy
// every where-condition. With a window of length d, an event at time t
// counts at clock now when now−d < t ≤ now: an event exactly d old has
// left the window (so it leaves at the instant t+d, which is when the
// timer fires), and an event at the clock counts. Without a window every
// event with t ≤ now counts. Events stamped after the clock do not count
// until the clock reaches them. `count = 0` (or not event …) is "did not
// do it in the window".
//
// Properties. A where-condition's property is a dotted path into the
// event's properties object ("product.category"); each part is an object
// key (never an array index), keys containing dots cannot be addressed,
// and of duplicate keys the first counts. A property that is absent, JSON
// null, or whose properties are not an object is missing (the rules above
// apply). The value's kind decides the comparison, with no conversions:
//
//   - a string value compares only with a JSON string (the number 5 is not
//     "5", the string "19.99" is not 19.99); contains also matches a JSON
//     array that has the string as an element;
//   - a number value compares only with a JSON number. A JSON integer is
//     read exactly; any other number is read as DuckDB reads it, as an
//     IEEE double in its shortest form (so money with up to 15 significant
//     digits is exact as written), then rounded half away from zero to 19
//     decimal places; a number with more than 19 integer digits is not
//     comparable (every comparison false, exists true);
//   - a boolean value compares only with JSON true and false.
//
// Segments. `in segment "x"` is segment x's membership at the same clock.
// References may nest; cycles are refused.
//
// # Real-time evaluation
//
// Engine holds the compiled segments (Set). OnEvent records an event in
// the per-profile state of every event condition it matches; Evaluate
// returns the memberships of all segments for a profile, and the next
// instant at which one could change with time alone (an event entering or
// leaving a window, a relative time passing an attribute's value), for the
// caller's timer; Apply does both for one event. Merge combines the state
// of two profiles that identity resolution joined; Forget deletes one.
//
// The state of a profile is one KV value (KeyPrefix + profile id). For
// each distinct condition — type, name, where, window, and k, the smallest
// count at which its comparison stops changing (1 for "ever" or "count =
// 0", 3 for "count >= 3") — it keeps only the timestamps that can still
// decide it: for all time, the k earliest; for a window, the k newest that
// are still in it, plus any stamped after the clock. (A count capped at k
// decides the condition, and as the clock moves on, older events leave the
// window first.) Memory per profile is therefore bounded by the rules, not
// by how active the person is (give or take the events since its last
// evaluation). Timestamps are delta-encoded varints, one to
// five bytes each. Segments that share a condition share its state, and a
// condition no segment uses any more is dropped at the next write.
//
// Each condition's state remembers the highest log sequence number it has
// applied, so redelivered events are not counted twice, and adding a
// segment is safe: replay the log (or the part its windows need) through
// OnEvent, and only the new conditions take the events in. Evaluate drops
// the timestamps a window no longer needs once they are a good part of the
// state, and records the clock it did so at (the watermark): a later
// evaluation at an earlier clock gets ErrClockBehind instead of a wrong
// answer, and events too old to enter a window at any allowed clock are
// not stored.
//
// # Batch evaluation in SQL
//
// Engine.SQL compiles a segment to one query over a profiles relation and
// an events relation (see Tables): a CTE per distinct event condition
// counting events per profile in the window, and a WHERE clause that tests
// the profile row's attributes and its membership in those counts. Rule
// values always travel as parameters ($1, $2, …); times as RFC 3339 text
// with an offset cast to TIMESTAMPTZ, so the session's time zone never
// matters. PreviewSQL counts the members of an unsaved rule. The package
// does not import a database driver; the tests use DuckDB.
package audience
