package audience

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/govalues/decimal"
)

// TestBriefExample: the example from the issue reads as the tree it says,
// and prints back canonically.
func TestBriefExample(t *testing.T) {
	src := `country = "DE" and orders >= 3 and not in segment "churned" and event "Order Completed" where marketplace = "amazon_de" count >= 2 within 90d`
	r, err := ParseText(src)
	if err != nil {
		t.Fatal(err)
	}
	want := And{
		TraitCond{Attr: "country", Op: OpEq, Value: StringLit("DE")},
		TraitCond{Attr: "orders", Op: OpGte, Value: IntLit(3)},
		Not{Rule: InSegment{ID: "churned"}},
		EventCond{Type: EventTrack, Name: "Order Completed",
			Where:  []PropCond{{Property: "marketplace", Op: OpEq, Value: StringLit("amazon_de")}},
			Count:  CountCond{Op: OpGte, Value: 2},
			Within: 90 * 24 * time.Hour},
	}
	if !Equal(r, want) {
		t.Fatalf("got %#v", r)
	}
	if got := Format(r); got != src {
		t.Fatalf("Format:\n got %s\nwant %s", got, src)
	}
	j := `{"and":[{"trait":"country","op":"eq","value":"DE"},{"trait":"orders","op":"gte","value":3},{"not":{"segment":"churned"}},` +
		`{"event":"Order Completed","where":[{"property":"marketplace","op":"eq","value":"amazon_de"}],"count":{"op":"gte","value":2},"within":"90d"}]}`
	if got := string(FormatJSON(r)); got != j {
		t.Fatalf("FormatJSON:\n got %s\nwant %s", got, j)
	}
	r2, err := ParseJSON([]byte(j))
	if err != nil {
		t.Fatal(err)
	}
	if !Equal(r, r2) {
		t.Fatal("JSON and text differ")
	}
}

// TestRoundTrip: text → tree → text is the identity on canonical text, and
// the JSON form of every tree reads back as the same tree.
func TestRoundTrip(t *testing.T) {
	for _, src := range []string{
		`a = 1`,
		`a = -1.50`,
		`a = 0.0000000000000000001`,
		`a != "x\ny\"z\\\u0001é😀"`,
		`a in ["DE", "AT"]`,
		`a not in [1, 2.5]`,
		`a between 1 and 10`,
		`a between -30d and -7d`,
		`a > -30d`,
		`a <= +7d`,
		`a < "2025-01-01T00:00:00Z"`,
		`a contains "x"`,
		`a starts_with ""`,
		`a exists`,
		`a not exists`,
		`a = true or b = false`,
		`"event" = 1 and "a b" = 2 and "AND" = 3 and "" exists`,
		`a = 1 and b = 2 or c = 3 and d = 4`,
		`(a = 1 or b = 2) and (c = 3 or d = 4)`,
		`(a = 1 and b = 2) and c = 3`,
		`(a = 1 or b = 2) or c = 3`,
		`not (a = 1 and b = 2)`,
		`not not a = 1`,
		`not (not a = 1 or b = 1)`,
		`in segment "x" or not in segment "y"`,
		`event "Order Completed"`,
		`event "Order Completed" count = 0 within 30d`,
		`event "X" count between 2 and 5`,
		`event "X" count != 3 within 12h`,
		`event "X" where a.b.c = 1, "odd key" exists, total > 99.99, tags contains "sale", ok = true within 1s`,
		`event "X" where "count" = 1`,
		`page`,
		`page "Pricing" within 7d`,
		`screen where path starts_with "/shop"`,
		`page where x in ["a"] count >= 3`,
		`a = 1 and page and b = 2`,
	} {
		r, err := ParseText(src)
		if err != nil {
			t.Errorf("%s: %v", src, err)
			continue
		}
		if got := Format(r); got != src {
			t.Errorf("not canonical:\n src %s\n got %s", src, got)
		}
		r2, err := ParseJSON(FormatJSON(r))
		if err != nil {
			t.Errorf("%s: JSON %s: %v", src, FormatJSON(r), err)
			continue
		}
		if !Equal(r, r2) {
			t.Errorf("%s: JSON round trip gives %s", src, Format(r2))
		}
	}
}

// TestTextNormalises: non-canonical spellings read as the canonical tree.
func TestTextNormalises(t *testing.T) {
	for src, want := range map[string]string{
		`A = 1 AND B = 2 Or C = 3`: `A = 1 and B = 2 or C = 3`,
		`((a = 1))`:                `a = 1`,
		`event "X" within 90d count >= 2 where a = 1`:       `event "X" where a = 1 count >= 2 within 90d`,
		`event "X" count >= 1`:                              `event "X"`,
		`event "X" within 2w`:                               `event "X" within 14d`,
		`event "X" within 48h`:                              `event "X" within 2d`,
		`event "X" within 120s`:                             `event "X" within 2m`,
		`a = 1e3`:                                           `a = 1000`,
		`a = 1.5E-3`:                                        `a = 0.0015`,
		`a = "-30d"`:                                        `a = -30d`,
		"a\n=\t1":                                           `a = 1`,
		`page "" count >= 2`:                                `page count >= 2`,
		`not in segment "a" and not in segment "b"`:         `not in segment "a" and not in segment "b"`,
		`a = "\u0041"`:                                      `a = "A"`,
		`event "X" where a = 1 , b = 2`:                     `event "X" where a = 1, b = 2`,
		`event "X" where a.b = 1 and event "Y"`:             `event "X" where a.b = 1 and event "Y"`,
		`"country" = "DE"`:                                  `country = "DE"`,
		`event "X" where "a" = 1`:                           `event "X" where a = 1`,
		`event "X" where "a.b" = 1`:                         `event "X" where a.b = 1`,
		`a between 1 and 2 and b between 3 and 4`:           `a between 1 and 2 and b between 3 and 4`,
		`event "X" count between 1 and 2 and a = 1`:         `event "X" count between 1 and 2 and a = 1`,
		`event "X" where a between 1 and 2 count = 0`:       `event "X" where a between 1 and 2 count = 0`,
		`event "X" where t contains "a", u not exists`:      `event "X" where t contains "a", u not exists`,
		`event "X" where t not in ["a"], u exists or a = 1`: `event "X" where t not in ["a"], u exists or a = 1`,
	} {
		r, err := ParseText(src)
		if err != nil {
			t.Errorf("%s: %v", src, err)
			continue
		}
		if got := Format(r); got != want {
			t.Errorf("%s:\n got %s\nwant %s", src, got, want)
		}
	}
}

// TestTextErrors: mistakes are reported at their position with what was
// expected.
func TestTextErrors(t *testing.T) {
	for src, want := range map[string]string{
		``:                                `1:1: expected a condition`,
		`country =`:                       `1:10: expected a value (a "string", a number, true, false or a relative time such as -30d), found the end of the rule`,
		`country = "DE" and`:              `1:19: expected a condition`,
		`country "DE"`:                    `1:9: expected an operator after "country"`,
		`country = DE`:                    `1:11: expected a value`,
		`country == "DE"`:                 `1:10: expected a value`,
		`(a = 1`:                          `1:7: expected ) to close the ( at 1:1, found the end of the rule`,
		`a = 1)`:                          `1:6: expected and, or or the end of the rule, found ")"`,
		`a = 1 b = 2`:                     `1:7: expected and, or or the end of the rule, found the name "b"`,
		"a = 1 and\n  b = \"x":            `2:7: string not closed`,
		`a = 30d`:                         `1:5: a relative time needs a sign: -30d for 30d ago`,
		`a = +5`:                          `1:5: a number has no + sign`,
		`a = 5x`:                          `1:6: unexpected 'x' after the number 5`,
		`a in "x"`:                        `1:6: expected a list in brackets`,
		`a = ["x"]`:                       `1:5: a list is only a value for in and not in`,
		`a in []`:                         `1:7: expected a value`,
		`a not = 1`:                       `1:7: expected "in" or "exists" after "not"`,
		`in "x"`:                          `1:4: expected "segment" after "in"`,
		`in segment x`:                    `1:12: expected the segment id as a quoted string`,
		`event X`:                         `1:7: expected the event name as a quoted string`,
		`event "X" within 90`:             `1:18: expected a duration after within`,
		`event "X" within 0d`:             `1:18: a window must be longer than zero`,
		`event "X" within 99999999d`:      `1:18: "99999999d" is longer than 100 years`,
		`event "X" count 2`:               `1:17: expected a comparison after count`,
		`event "X" count >= -1`:           `1:20: expected a whole number`,
		`event "X" count >= 1.5`:          `1:20: expected a whole number from 0 to 100000, found 1.5`,
		`event "X" count between 5 and 2`: `1:17: between 5 and 2: the lower bound is above the upper`,
		`event "X" within 1d within 2d`:   `1:21: within given twice for one event`,
		`event "X" where`:                 `1:16: expected a property name after where`,
		`event "X" where count = 1`:       `1:17: expected a property name after where`,
		`event "X" where a. = 1`:          `1:20: expected a property name after the dot`,
		`and = 1`:                         `1:1: expected a condition`,
		`a ! b`:                           `1:3: unexpected "!"`,
		`a = 1 & b = 2`:                   `1:7: unexpected character '&'`,
		`a = "\x"`:                        `1:5: invalid string`,
		`a = 12345678901234567890`:        `1:5: number 12345678901234567890 has more than 19 significant digits`,
		`a = 1.00000000000000000001`:      `1:5: number 1.00000000000000000001 has more than 19 significant digits`,
		`a = 1e-20`:                       `1:5: number 1e-20 has more than 19 decimal places`,
		"a = \"\xff\"":                    `1:6: invalid UTF-8`,
		`a between 1 or 2`:                `1:13: expected and between the two bounds`,
		`a = 1.`:                          `1:7: expected digits after the decimal point`,
	} {
		_, err := ParseText(src)
		var se *SyntaxError
		if !errors.As(err, &se) {
			t.Errorf("%q: got %v, want a SyntaxError", src, err)
			continue
		}
		if !strings.HasPrefix(err.Error(), want) {
			t.Errorf("%q:\n got %v\nwant %s…", src, err, want)
		}
	}
}

// TestJSONErrors: JSON mistakes name the path of the offending field.
func TestJSONErrors(t *testing.T) {
	for src, want := range map[string]string{
		`[]`:         `a condition must be an object, not a list`,
		`{}`:         `a condition needs one of the keys`,
		`{"and":[]}`: `and: needs at least one condition`,
		`{"and":{}}`: `and: must be a list of conditions`,
		`{"and":[{"trait":"a","op":"eq","value":1}, 5]}`:       `and[1]: a condition must be an object, not a number`,
		`{"trait":"a","op":"equals","value":1}`:                `op: unknown operator "equals"`,
		`{"trait":"a","op":"eq"}`:                              `value: eq needs a value`,
		`{"trait":"a","op":"exists","value":1}`:                `value: exists takes no value`,
		`{"trait":"a","op":"in","value":1}`:                    `value: in needs a list of values`,
		`{"trait":"a","op":"in","value":[]}`:                   `value: in needs at least one value`,
		`{"trait":"a","op":"between","value":[1]}`:             `value: between needs a list of two values`,
		`{"trait":"a","op":"eq","value":[1]}`:                  `value: eq needs a single value, not a list`,
		`{"trait":"a","op":"in","value":[[1]]}`:                `value[0]: lists do not nest`,
		`{"trait":"a","op":"eq","value":null}`:                 `value: null is not a value`,
		`{"trait":"a","op":"eq","value":{}}`:                   `value: must be a string, number, boolean or list, not an object`,
		`{"trait":"a","op":"eq","value":1,"x":1}`:              `unknown key "x" here`,
		`{"trait":"a","segment":"b"}`:                          `a condition has one of and, or, not, trait, segment or event; this one has both trait and segment`,
		`{"event":"X","witin":"90d"}`:                          `unknown key "witin" here`,
		`{"event":"X","within":"90"}`:                          `within: "90" is not a duration`,
		`{"event":"X","within":"0d"}`:                          `within: a window must be longer than zero`,
		`{"event":""}`:                                         `event: must be the event's name`,
		`{"event":"X","name":"Y"}`:                             `name: a track event is named by "event"`,
		`{"type":"page","event":"Y"}`:                          `event: a page is named by "name"`,
		`{"type":"identify"}`:                                  `type: must be track, page or screen`,
		`{"event":"X","count":{"op":"gte","value":-1}}`:        `count.value: must be a whole number from 0 to 100000`,
		`{"event":"X","count":{"op":"gte","value":1.5}}`:       `count.value: must be a whole number`,
		`{"event":"X","count":{"op":"between","value":[3,1]}}`: `count: between 3 and 1: the lower bound is above the upper`,
		`{"event":"X","count":{"op":"contains","value":1}}`:    `count.op: must be one of eq, ne, gt, gte, lt, lte, between`,
		`{"event":"X","where":[{"property":"a","op":"eq"}]}`:   `where[0].value: eq needs a value`,
		`{"not":{"or":[{"segment":1}]}}`:                       `not.or[0].segment: must be a segment id`,
		`{"trait":"a","op":"eq","value":1e400}`:                `value: number 1e400 is out of range`,
		`{"trait":"a"`:                                         `invalid JSON`,
		`{"segment":"a"} {}`:                                   `invalid JSON: more than one value`,
	} {
		_, err := ParseJSON([]byte(src))
		var re *RuleError
		if !errors.As(err, &re) {
			t.Errorf("%s: got %v, want a RuleError", src, err)
			continue
		}
		if !strings.HasPrefix(err.Error(), want) {
			t.Errorf("%s:\n got %v\nwant %s…", src, err, want)
		}
	}
}

// TestJSONNormalises: a one-child and/or is its child; count defaults.
func TestJSONNormalises(t *testing.T) {
	r, err := ParseJSON([]byte(`{"or":[{"and":[{"event":"X","count":{"op":"gte","value":1}}]}]}`))
	if err != nil {
		t.Fatal(err)
	}
	if got := string(FormatJSON(r)); got != `{"event":"X"}` {
		t.Fatal(got)
	}
	r, err = ParseJSON([]byte(`{"type":"track","event":"X","within":"2w"}`))
	if err != nil {
		t.Fatal(err)
	}
	if got := string(FormatJSON(r)); got != `{"event":"X","within":"14d"}` {
		t.Fatal(got)
	}
	r, err = ParseJSON([]byte(`{"type":"page","name":"","where":[{"property":"a","op":"exists"}]}`))
	if err != nil {
		t.Fatal(err)
	}
	if got := Format(r); got != `page where a exists` {
		t.Fatal(got)
	}
}

// TestSegmentJSON: a segment round-trips with its rule.
func TestSegmentJSON(t *testing.T) {
	s := Segment{ID: "vip", Name: "VIP", Version: 3, Rule: Or{TraitCond{Attr: "a", Op: OpEq, Value: NumberLit(decimal.MustParse("1.50"))}, InSegment{ID: "x"}}}
	b, err := s.MarshalJSON()
	if err != nil {
		t.Fatal(err)
	}
	var s2 Segment
	if err := s2.UnmarshalJSON(b); err != nil {
		t.Fatal(err)
	}
	if s2.ID != s.ID || s2.Name != s.Name || s2.Version != s.Version || !Equal(s.Rule, s2.Rule) {
		t.Fatalf("%s → %+v", b, s2)
	}
	err = s2.UnmarshalJSON([]byte(`{"id":"a","rule":{"and":[{"x":1}]}}`))
	if err == nil || !strings.HasPrefix(err.Error(), "rule.and[0]: ") {
		t.Fatal(err)
	}
}

var testSchema = Schema{Attrs: map[string]Type{
	"country":       String,
	"email":         String,
	"orders":        Number,
	"revenue":       Decimal,
	"vip":           Bool,
	"last_order_at": Time,
	"marketplaces":  StringList,
}}

// TestValidate: unknown attributes and type mismatches are refused with a
// message that names the condition and what is wrong.
func TestValidate(t *testing.T) {
	ok := []string{
		`country = "DE" and orders >= 3 and revenue between 10.5 and 99.99`,
		`country in ["DE", "AT"] or country starts_with "D" or country > "A"`,
		`vip = true and vip != false`,
		`last_order_at < -30d and last_order_at > "2024-01-01T00:00:00+02:00"`,
		`last_order_at between -90d and "2030-01-01T00:00:00Z"`,
		`marketplaces contains "amazon_de" and marketplaces in ["a", "b"] and marketplaces not exists`,
		`event "X" where a = 1, b = "x", c = true, d in [1, 2], e between "a" and "b", f contains "x", g exists`,
		`in segment "anything"`,
	}
	for _, src := range ok {
		r, err := ParseText(src)
		if err != nil {
			t.Fatal(err)
		}
		if err := testSchema.Validate(r); err != nil {
			t.Errorf("%s: %v", src, err)
		}
	}
	bad := map[string]string{
		`contry = "DE"`:               `contry = "DE": unknown attribute "contry" (did you mean "country"?)`,
		`zzz = 1`:                     `zzz = 1: unknown attribute "zzz"`,
		`country = 3`:                 `country = 3: country is a string attribute; 3 is a number`,
		`orders = "3"`:                `orders = "3": orders is a number attribute; "3" is a string`,
		`orders in [1, "2"]`:          `orders in [1, "2"]: orders is a number attribute; "2" is a string`,
		`vip > true`:                  `vip > true: vip is a bool attribute, which takes eq, ne, exists, not_exists, not gt`,
		`orders contains 1`:           `orders contains 1: orders is a number attribute, which takes`,
		`last_order_at < "yesterday"`: `last_order_at < "yesterday": last_order_at is a time attribute: "yesterday" is neither an RFC 3339 time`,
		`last_order_at < 5`:           `last_order_at < 5: last_order_at is a time attribute; 5 is a number`,
		`marketplaces = "a"`:          `marketplaces = "a": marketplaces is a string list attribute, which takes contains, in, not_in, exists, not_exists, not eq`,
		`country = "DE" and (orders = 1 or revenue = "x")`: `and[1].or[1]: revenue = "x": revenue is a decimal attribute`,
		`event "X" where a > true`:                         `where[0]: a > true: gt does not take a boolean`,
		`event "X" where a contains 1`:                     `where[0]: a contains 1: contains does not take a number`,
		`event "X" where a in [1, "x"]`:                    `where[0]: a in [1, "x"]: the values must all be of one kind`,
		`event "X" where "a..b" = 1`:                       `where[0]: "a..b" = 1: property path "a..b" has an empty part`,
		`event "X" where "a\"b" = 1`:                       `where[0]: "a\"b" = 1: property name "a\"b" has a character that is not allowed`,
		`not "" exists`:                                    `not: "" exists: unknown attribute ""`,
	}
	for src, want := range bad {
		r, err := ParseText(src)
		if err != nil {
			t.Fatalf("%s: %v", src, err)
		}
		err = testSchema.Validate(r)
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("%s:\n got %v\nwant …%s…", src, err, want)
		}
	}
	// Trees built in Go get the same checks the parsers do.
	for _, r := range []Rule{
		And{}, Or{}, Not{}, nil,
		EventCond{Name: "X", Within: time.Millisecond},
		EventCond{Type: "identify", Name: "X"},
		EventCond{Type: EventTrack},
		EventCond{Name: "X", Count: CountCond{Op: OpBetween, Value: 3, Upper: 1}},
		TraitCond{Attr: "orders", Op: OpIn, Value: IntLit(1)},
		TraitCond{Attr: "orders", Op: "like", Value: IntLit(1)},
		TraitCond{Attr: "orders", Op: OpExists, Value: IntLit(1)},
		InSegment{},
	} {
		if err := testSchema.Validate(r); err == nil {
			t.Errorf("%#v: no error", r)
		}
	}
}

// TestDocExamples: the examples in the package documentation parse, are
// valid, and say in JSON what they say in text.
func TestDocExamples(t *testing.T) {
	for _, j := range []string{
		`{"and": [
		  {"trait": "country", "op": "in", "value": ["DE", "AT"]},
		  {"trait": "last_order_at", "op": "lt", "value": "-30d"},
		  {"not": {"segment": "churned"}},
		  {"event": "Order Completed", "count": {"op": "eq", "value": 0}, "within": "30d"}]}`,
		`{"or": [
		  {"trait": "revenue", "op": "between", "value": [100, 499.99]},
		  {"type": "page", "name": "Pricing", "where": [{"property": "path", "op": "starts_with", "value": "/pricing"}],
		   "count": {"op": "gte", "value": 3}, "within": "7d"}]}`,
		`{"event": "Order Completed",
		 "where": [{"property": "marketplace", "op": "eq", "value": "amazon_de"}],
		 "count": {"op": "gte", "value": 2},
		 "within": "90d"}`,
	} {
		r, err := ParseJSON([]byte(j))
		if err != nil {
			t.Fatalf("%s: %v", j, err)
		}
		if err := testSchema.Validate(r); err != nil {
			t.Fatal(err)
		}
		checkRoundTrip(t, r)
	}
	r, err := ParseText("country = \"DE\" and orders >= 3 and not in segment \"churned\" and\nevent \"Order Completed\" where marketplace = \"amazon_de\" count >= 2 within 90d")
	if err != nil {
		t.Fatal(err)
	}
	if err := testSchema.Validate(r); err != nil {
		t.Fatal(err)
	}
	if !Equal(EventCond{Name: "X"}, EventCond{Type: EventTrack, Name: "X", Count: CountCond{Op: OpGte, Value: 1}}) {
		t.Fatal("an empty type and count are track and at least once")
	}
}
