package pii

import (
	"encoding/base64"
	"errors"
	"strconv"
	"strings"
	"testing"
)

func mustDecodeToken(t *testing.T, tok Token) []byte {
	t.Helper()
	b, err := base64.RawURLEncoding.DecodeString(string(tok))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// sealFor seals value for path under subject's key.
func sealFor(t *testing.T, keys *memKeys, subject, kind string, token Token, path, value string, isJSON bool) string {
	t.Helper()
	id, a, err := keys.KeyFor(subject)
	if err != nil {
		t.Fatal(err)
	}
	return string(seal(nil, a, id, kind, token, []byte(path), []byte(value), isJSON))
}

func TestEnvelopeRoundTrip(t *testing.T) {
	keys := newMemKeys()
	for i := 0; i < 40; i++ { // key ids beyond one base-36 digit
		keys.KeyFor("filler" + strconv.Itoa(i))
	}
	tok := BlindIndex(testIndexKey, KindEmail, "jane@example.com")
	env := sealFor(t, keys, "u:web:1", KindEmail, tok, "traits.email", "jane@example.com", false)
	if !strings.HasPrefix(env, "tw1.email.14."+string(tok)+".") {
		t.Fatalf("envelope %q", env)
	}
	if strings.Contains(env, "jane") {
		t.Fatal("plaintext in the envelope")
	}
	if !IsEnvelope(env) {
		t.Fatal("IsEnvelope false")
	}
	e, err := ParseEnvelope(env)
	if err != nil {
		t.Fatal(err)
	}
	if e.Kind != KindEmail || e.KeyID != 40 || e.Token != tok || e.String() != env {
		t.Fatalf("parsed %+v", e)
	}
	got, err := Decrypt(keys, "traits.email", env)
	if err != nil || got != "jane@example.com" {
		t.Fatalf("Decrypt = %q, %v", got, err)
	}
	plain, kind, err := Open(keys, env)
	if err != nil || plain != "jane@example.com" || kind != KindEmail {
		t.Fatalf("Open = %q, %q, %v", plain, kind, err)
	}
	// Every envelope is different (random nonce), even of the same value.
	if env == sealFor(t, keys, "u:web:1", KindEmail, tok, "traits.email", "jane@example.com", false) {
		t.Error("two envelopes of one value are equal")
	}
	// Unicode, empty token, long values.
	long := strings.Repeat("日本語 ", 2000)
	env2 := sealFor(t, keys, "u:web:1", KindPII, "", "properties.note", long, false)
	if got, err := Decrypt(keys, "properties.note", env2); err != nil || got != long {
		t.Fatalf("long value: %v", err)
	}
}

func TestEnvelopeBinding(t *testing.T) {
	keys := newMemKeys()
	tok := BlindIndex(testIndexKey, KindEmail, "jane@example.com")
	env := sealFor(t, keys, "u:web:1", KindEmail, tok, "traits.email", "jane@example.com", false)
	sealFor(t, keys, "u:web:2", KindPII, "", "traits.name", "John", false) // key 1

	// Moved to another field: authentic, but refused.
	if _, err := Decrypt(keys, "context.traits.email", env); !errors.Is(err, ErrWrongField) {
		t.Errorf("moved field: %v", err)
	}
	if _, err := Decrypt(keys, "traits.email.0", env); !errors.Is(err, ErrWrongField) {
		t.Errorf("moved field: %v", err)
	}
	e, _ := ParseEnvelope(env)
	edit := func(f func(*Envelope)) string {
		c := e
		c.Sealed = append([]byte(nil), e.Sealed...)
		f(&c)
		return c.String()
	}
	for name, bad := range map[string]string{
		"other key id":   edit(func(c *Envelope) { c.KeyID = 1 }),
		"other kind":     edit(func(c *Envelope) { c.Kind = KindPII }),
		"other token":    edit(func(c *Envelope) { c.Token = BlindIndex(testIndexKey, KindEmail, "john@example.com") }),
		"no token":       edit(func(c *Envelope) { c.Token = "" }),
		"flipped bit":    edit(func(c *Envelope) { c.Sealed[len(c.Sealed)-20] ^= 1 }),
		"flipped nonce":  edit(func(c *Envelope) { c.Sealed[0] ^= 0x80 }),
		"flipped tag":    edit(func(c *Envelope) { c.Sealed[len(c.Sealed)-1] ^= 1 }),
		"truncated":      edit(func(c *Envelope) { c.Sealed = c.Sealed[:len(c.Sealed)-4] }),
		"swapped halves": edit(func(c *Envelope) { c.Sealed = append(c.Sealed[12:], c.Sealed[:12]...) }),
	} {
		_, err := Decrypt(keys, "traits.email", bad)
		if !errors.Is(err, ErrTampered) {
			t.Errorf("%s: %v", name, err)
		}
		if err != nil && strings.Contains(err.Error(), "jane") {
			t.Errorf("%s: error holds the value: %v", name, err)
		}
	}
	// Not an envelope at all.
	for _, s := range []string{"", "jane@example.com", "tw1.", "tw1.email.0..", env[:len(env)-1] + "!", strings.Replace(env, "tw1.", "tw2.", 1)} {
		if _, err := Decrypt(keys, "traits.email", s); !errors.Is(err, ErrNotEnvelope) {
			t.Errorf("%q: %v", s, err)
		}
	}
	// Unknown key: the key store's error, with the path.
	unknown := edit(func(c *Envelope) { c.KeyID = 99 })
	if _, err := Decrypt(keys, "traits.email", unknown); err == nil || !strings.Contains(err.Error(), "traits.email") {
		t.Errorf("unknown key: %v", err)
	}
	// Destroyed key: the key store's error, unchanged for errors.Is.
	keys.destroy("u:web:1")
	_, err := Decrypt(keys, "traits.email", env)
	if !errors.Is(err, errDestroyed) || !strings.Contains(err.Error(), "traits.email") {
		t.Errorf("destroyed key: %v", err)
	}
}

func TestParseEnvelopeSyntax(t *testing.T) {
	keys := newMemKeys()
	env := sealFor(t, keys, "s", KindPII, "", "p", "v", false)
	payload := env[strings.LastIndexByte(env, '.')+1:]
	tok := string(BlindIndex(testIndexKey, KindEmail, "x@example.com"))
	for _, tt := range []struct {
		s  string
		ok bool
	}{
		{env, true},
		{"tw1.pii.0." + tok + "." + payload, true},
		{"tw1.pii.zzzzzzzzzzzzz." + "." + payload, false},    // over 64 bits
		{"tw1.pii.3w5e11264sgsf." + "." + payload, true},     // max uint64
		{"tw1.pii.3w5e11264sgsg." + "." + payload, false},    // max uint64 + 1
		{"tw1.pii.00." + "." + payload, false},               // leading zero
		{"tw1.pii.A." + "." + payload, false},                // upper case id
		{"tw1.PII.0." + "." + payload, false},                // upper case kind
		{"tw1..0." + "." + payload, false},                   // no kind
		{"tw1.abcdefghijklmnopq.0.." + payload, false},       // kind too long
		{"tw1.pii.0." + tok[:21] + "." + payload, false},     // short token
		{"tw1.pii.0." + tok[:21] + "B." + payload, false},    // non-canonical token
		{"tw1.pii.0.." + payload[:10], false},                // payload too short
		{"tw1.pii.0.." + payload + "=", false},               // padding
		{"tw1.pii.0.." + payload + "a", len(payload)%4 == 3}, // canonical only when the length becomes 0 mod 4
		{"tw1.pii.0..." + payload, false},
		{"tw1.pii.0." + payload, false},
	} {
		_, err := ParseEnvelope(tt.s)
		if (err == nil) != tt.ok || IsEnvelope(tt.s) != tt.ok {
			t.Errorf("ParseEnvelope(%q): err %v, IsEnvelope %v; want ok %v", tt.s, err, IsEnvelope(tt.s), tt.ok)
		}
	}
	if e, err := ParseEnvelope("tw1.pii.3w5e11264sgsf.." + payload); err != nil || e.KeyID != ^uint64(0) {
		t.Errorf("max key id: %+v %v", e, err)
	}
}

func TestMask(t *testing.T) {
	for _, tt := range []struct {
		kind, in, want string
	}{
		{KindEmail, "jane.doe@example.com", "j***@e***.com"},
		{KindEmail, "Jane <jane@mail.example.co.uk>", "j***@m***.uk"},
		{KindEmail, "not an email", "n***"},
		{KindPhone, "+447700900123", "+44 ***** **123"},
		{KindPhone, "+14155552671", "+1 ***** **671"},
		{KindPhone, "+8613800138000", "+86 ***** ***000"},
		{KindPhone, "07700 900123", "***** ***123"},
		{KindPhone, "12", "***"},
		{KindPII, "Jane", "J***"},
		{KindPII, "Élodie", "É***"},
		{KindPII, "张伟", "张***"},
		{KindPII, "J", "***"},
		{KindPII, "", ""},
		{"unknown", "221B Baker Street", "2***"},
	} {
		if got := Mask(tt.kind, tt.in); got != tt.want {
			t.Errorf("Mask(%q, %q) = %q, want %q", tt.kind, tt.in, got, tt.want)
		}
	}
}
