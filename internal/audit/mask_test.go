package audit

import (
	"context"
	"os"
	"strings"
	"testing"
)

func TestMaskEmail(t *testing.T) {
	for in, want := range map[string]string{
		"jane.doe@example.com": "j***@e***.com",
		"a@b.co.uk":            "a***@b***.uk",
		"émile@exemple.fr":     "é***@e***.fr",
		"root@localhost":       "r***@l***",
		"not an email":         "***",
		"@example.com":         "***",
		"":                     "",
	} {
		if got := MaskEmail(in); got != want {
			t.Errorf("MaskEmail(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestMaskPhone(t *testing.T) {
	for in, want := range map[string]string{
		"+44 20 7946 0958": "+***58",
		"(415) 555-2671":   "***71",
		"13812345678":      "***78",
		"12345":            "***",
		"":                 "",
	} {
		if got := MaskPhone(in); got != want {
			t.Errorf("MaskPhone(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestScrubString(t *testing.T) {
	for in, want := range map[string]string{
		"refund for jane@example.com, +1 415 555 2671": "refund for j***@e***.com, +***71",
		"call (415) 555-2671 today":                    "call ***71 today",
		"UK 020 7946 0958":                             "UK ***58",
		"手机13812345678":                                "手机***78",
		"tel:+8613812345678":                           "tel:+***78",
		"a.b+tag@mail.example.org wrote":               "a***@m***.org wrote",
		"US 415.555.2671":                              "US ***71",
		// Left alone: not personal data.
		"order 112-1234567-1234567":               "order 112-1234567-1234567",
		"shopify order 5123456789012":             "shopify order 5123456789012",
		"at 2024-05-01 10:30:45":                  "at 2024-05-01 10:30:45",
		"2024-05-01T10:30:45Z":                    "2024-05-01T10:30:45Z",
		"from 192.168.100.200":                    "from 192.168.100.200",
		"id 550e8400-e29b-41d4-a716-446655440000": "id 550e8400-e29b-41d4-a716-446655440000",
		"ts 1714567890 and 1714567890123":         "ts 1714567890 and 1714567890123",
		"amount 1234567.89 EUR":                   "amount 1234567.89 EUR",
		"1 234 567 rows":                          "1 234 567 rows",
		"sku AB12345678901":                       "sku AB12345678901",
		"already j***@e***.com and +***58":        "already j***@e***.com and +***58",
		"":                                        "",
		"plain words only":                        "plain words only",
		"v1.2.3 released":                         "v1.2.3 released",
		"on 2024-05-01 (3 days)":                  "on 2024-05-01 (3 days)",
		"+12":                                     "+12",
		"ratio 0.0000001234":                      "ratio 0.0000001234",
		"segment 12 345 678 901 customers ok":     "segment ***01 customers ok",
		"contact: 0612345678":                     "contact: ***78",
		"x@y":                                     "x@y",
		"mailto:someone@sub.domain.example.com?subject": "mailto:s***@s***.com?subject",
	} {
		got := ScrubString(in)
		if got != want {
			t.Errorf("ScrubString(%q) = %q, want %q", in, got, want)
		}
		if again := ScrubString(got); again != got {
			t.Errorf("ScrubString is not idempotent on %q: %q", got, again)
		}
	}
}

func TestAppendScrubsPersonalData(t *testing.T) {
	fx := newFixture(t, testKey)
	e, err := fx.log.Append(context.Background(), Entry{
		Actor:      "u1",
		ActorEmail: "analyst@seller.example",
		Action:     "privacy.export",
		Target:     "customer jane.doe@example.com",
		Outcome:    OutcomeOK,
		Detail: map[string]any{
			"reason":            "asked by jane.doe@example.com on +44 20 7946 0958",
			"nested":            map[string]any{"cc": []any{"bob@example.org"}},
			"carol@example.net": "as key",
			"count":             3,
		},
	})
	if err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(fx.path)
	if err != nil {
		t.Fatal(err)
	}
	for _, raw := range []string{"jane.doe@example.com", "bob@example.org", "carol@example.net", "7946"} {
		if strings.Contains(string(b), raw) {
			t.Errorf("the log holds %q:\n%s", raw, b)
		}
	}
	if !strings.Contains(string(b), "analyst@seller.example") {
		t.Error("the actor's own email must be kept: it says who acted")
	}
	if e.Target != "customer j***@e***.com" || e.Detail["reason"] != "asked by j***@e***.com on +***58" {
		t.Errorf("entry %+v", e)
	}
	if rep := fx.verify(); !rep.OK {
		t.Fatalf("report %+v", rep)
	}
}
