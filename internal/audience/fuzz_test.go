package audience

import (
	"testing"
)

var fuzzSeeds = []string{
	`country = "DE" and orders >= 3 and not in segment "churned" and event "Order Completed" where marketplace = "amazon_de" count >= 2 within 90d`,
	`a in ["DE", "AT"] or b not in [1, 2.5] or c between -30d and +7d`,
	`not (a = 1 and b = 2) or (c exists and d not exists)`,
	`page "Pricing" where path starts_with "/p", "x y.z" contains "q" count between 1 and 3 within 12h`,
	`screen count = 0`,
	`"and" = true and a != false`,
	`a = 1e3 and b = -0.001 and c = "\u00e9\n"`,
}

// checkRoundTrip asserts that a parsed tree prints canonically and reads
// back equal, in both forms.
func checkRoundTrip(t *testing.T, r Rule) {
	t.Helper()
	text := Format(r)
	r2, err := ParseText(text)
	if err != nil {
		t.Fatalf("Format gave %q, which does not parse: %v", text, err)
	}
	if !Equal(r, r2) {
		t.Fatalf("text round trip changed the tree: %q → %q", text, Format(r2))
	}
	if again := Format(r2); again != text {
		t.Fatalf("Format not stable: %q then %q", text, again)
	}
	j := FormatJSON(r)
	r3, err := ParseJSON(j)
	if err != nil {
		t.Fatalf("FormatJSON gave %s, which does not parse: %v", j, err)
	}
	if !Equal(r, r3) {
		t.Fatalf("JSON round trip changed the tree: %s → %s", j, FormatJSON(r3))
	}
}

// FuzzParseText: whatever ParseText accepts, Format prints so that it
// reads back as the same tree, and so does FormatJSON.
func FuzzParseText(f *testing.F) {
	for _, s := range fuzzSeeds {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, src string) {
		r, err := ParseText(src)
		if err != nil {
			if _, ok := err.(*SyntaxError); !ok {
				t.Fatalf("%q: error of type %T: %v", src, err, err)
			}
			return
		}
		checkRoundTrip(t, r)
	})
}

// FuzzParseJSON: whatever ParseJSON accepts round-trips the same way.
func FuzzParseJSON(f *testing.F) {
	for _, s := range fuzzSeeds {
		r, err := ParseText(s)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(string(FormatJSON(r)))
	}
	f.Add(`{"or":[{"and":[{"type":"page","name":"","where":[{"property":"a","op":"in","value":["x",1e2]}]}]}]}`)
	f.Fuzz(func(t *testing.T, src string) {
		r, err := ParseJSON([]byte(src))
		if err != nil {
			if _, ok := err.(*RuleError); !ok {
				t.Fatalf("%q: error of type %T: %v", src, err, err)
			}
			return
		}
		checkRoundTrip(t, r)
	})
}
