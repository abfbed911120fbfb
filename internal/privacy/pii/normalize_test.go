package pii

import (
	"strings"
	"testing"
)

func TestNormalizeEmail(t *testing.T) {
	for _, tt := range []struct {
		in, want string
		ok       bool
	}{
		{"Jane.Doe@Example.com", "jane.doe@example.com", true},
		{"  jane@example.com\n", "jane@example.com", true},
		{"jane@example.com.", "jane@example.com", true},
		{"Jane Doe <Jane@Example.com>", "jane@example.com", true},
		// Gmail ignores dots and +tags; googlemail is gmail.
		{"Jane.Doe+orders@gmail.com", "janedoe@gmail.com", true},
		{"j.a.n.e.d.o.e@GoogleMail.com", "janedoe@gmail.com", true},
		{"janedoe@gmail.com", "janedoe@gmail.com", true},
		// +tags only at the providers known to use them; dots stay.
		{"jane.doe+shop@outlook.com", "jane.doe@outlook.com", true},
		{"jane+shop@hotmail.co.uk", "jane@hotmail.co.uk", true},
		{"jane+shop@icloud.com", "jane@icloud.com", true},
		{"jane+shop@me.com", "jane@me.com", true},
		{"jane+shop@proton.me", "jane@proton.me", true},
		{"jane+shop@example.com", "jane+shop@example.com", true},
		{"jane.doe@example.com", "jane.doe@example.com", true},
		// Yahoo's "-keyword" addresses are left as they are.
		{"base-keyword@yahoo.com", "base-keyword@yahoo.com", true},
		// Not emails.
		{"jane", "", false},
		{"jane@", "", false},
		{"@example.com", "", false},
		{"jane@example", "", false},
		{"jane doe@example.com", "", false},
		{"jane@@example.com", "", false},
		{"jane..doe@example.com", "", false},
	} {
		got, ok := NormalizeEmail(tt.in)
		if got != tt.want || ok != tt.ok {
			t.Errorf("NormalizeEmail(%q) = %q, %v; want %q, %v", tt.in, got, ok, tt.want, tt.ok)
		}
	}
}

func TestNormalizePhone(t *testing.T) {
	for _, tt := range []struct {
		in, region, want string
		ok               bool
	}{
		// National numbers in their region.
		{"07700 900123", "GB", "+447700900123", true},
		{"020 7946 0958", "gb", "+442079460958", true},
		{"030 12345678", "DE", "+493012345678", true},
		{"0151 23456789", "DE", "+4915123456789", true},
		{"(415) 555-2671", "US", "+14155552671", true},
		{"415.555.2671", "US", "+14155552671", true},
		{"090-1234-5678", "JP", "+819012345678", true},
		{"03-1234-5678", "JP", "+81312345678", true},
		{"138 0013 8000", "CN", "+8613800138000", true},
		{"010 1234 5678", "CN", "+861012345678", true},
		// International numbers in any region, or none.
		{"+44 7700 900123", "", "+447700900123", true},
		{"+44 (0)7700 900123", "DE", "+447700900123", true},
		{"0044 7700 900123", "DE", "+447700900123", true},
		{"+1 415 555 2671", "JP", "+14155552671", true},
		{"+86 138 0013 8000", "", "+8613800138000", true},
		// Not phone numbers.
		{"07700 900123", "", "", false}, // national, no region
		{"12", "GB", "", false},
		{"hello", "GB", "", false},
		{"", "GB", "", false},
		{strings.Repeat("1", 80), "GB", "", false},
	} {
		got, ok := NormalizePhone(tt.in, tt.region)
		if got != tt.want || ok != tt.ok {
			t.Errorf("NormalizePhone(%q, %q) = %q, %v; want %q, %v", tt.in, tt.region, got, ok, tt.want, tt.ok)
		}
	}
}

func TestBlindIndexAndSuppression(t *testing.T) {
	k := testIndexKey
	a := BlindIndex(k, KindEmail, "jane@example.com")
	if len(a) != TokenLen || strings.ContainsAny(string(a), "+/=.") {
		t.Fatalf("token %q is not 22 base64url characters", a)
	}
	if a != BlindIndex(k, KindEmail, "jane@example.com") {
		t.Error("blind index is not deterministic")
	}
	if a == BlindIndex(k, KindPhone, "jane@example.com") {
		t.Error("kind is not part of the index")
	}
	if a == BlindIndex([]byte("another key, another installation"), KindEmail, "jane@example.com") {
		t.Error("key is not part of the index")
	}
	// Gmail variants meet on one token.
	n1, _ := NormalizeEmail("Jane.Doe+x@googlemail.com")
	n2, _ := NormalizeEmail("janedoe@gmail.com")
	if BlindIndex(k, KindEmail, n1) != BlindIndex(k, KindEmail, n2) {
		t.Error("normalised variants differ")
	}
	s := SuppressionHash(k, KindEmail, "jane@example.com")
	if s == SuppressionHash(k, KindPhone, "jane@example.com") {
		t.Error("suppression hash ignores the kind")
	}
	if string(s[:16]) == string(mustDecodeToken(t, a)) {
		t.Error("suppression hash equals the blind index")
	}
	if s == ([32]byte{}) {
		t.Error("zero suppression hash")
	}
}

func TestSubject(t *testing.T) {
	if got := Subject("web", "u1", "a1"); got != "u:web:u1" {
		t.Error(got)
	}
	if got := Subject("web", "", "a1"); got != "a:a1" {
		t.Error(got)
	}
}
