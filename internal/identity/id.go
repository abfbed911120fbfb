package identity

import (
	"crypto/sha256"
	"encoding/binary"
	"errors"
	"fmt"
	"strings"
	"unicode/utf8"
)

// Kinds of identifier that the graph treats specially. Every other kind
// (lower_snake_case: "amazon_buyer", "shopify_customer", "tiktok_user",
// "ebay_user", …) is a platform id: strong and namespaced, like User.
const (
	// User is a source's userId, namespaced by the source (or by the shared
	// user-id space the source belongs to, Config.SharedUserSpaces): one
	// profile holds at most one per namespace.
	User = "user"
	// Anon is an anonymousId: generated per device or browser, so global
	// (no namespace). A device two accounts log into is shared.
	Anon = "anon"
	// Email is the blind-index token of a normalised e-mail address (the
	// privacy layer normalises and tokenises before the graph sees it).
	Email = "email"
	// Phone is the blind-index token of a phone number in E.164 form.
	Phone = "phone"
)

// ID is one identifier. NS is the namespace: the source id (or shared
// user-id space) for User and platform kinds, "" for Anon, Email and Phone,
// whose values are global. For Email and Phone, Value is the blind-index
// token, never the address or number.
type ID struct {
	Kind  string `json:"kind"`         // User, Anon, Email, Phone or a platform kind
	NS    string `json:"ns,omitempty"` // namespace of strong kinds; "" for weak ones
	Value string `json:"value"`        // the id; for Email and Phone the blind-index token
}

// maxValueLen bounds an identifier's value: longer values are garbage (a
// serialised object sent as a userId) and would bloat every key they are in.
const maxValueLen = 512

// ErrInvalidKind is returned for an identifier whose kind is not
// lower_snake_case: kinds come from the engine's code, not from senders, so
// a bad one is a bug to surface, not data to skip.
var ErrInvalidKind = errors.New("identity: invalid identifier kind")

// validKind reports whether k is lower_snake_case of at most 32 bytes.
func validKind(k string) bool {
	if k == "" || len(k) > 32 || k[0] < 'a' || k[0] > 'z' {
		return false
	}
	for i := 0; i < len(k); i++ {
		c := k[i]
		if !(c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '_') {
			return false
		}
	}
	return true
}

// weakIndex numbers the weak kinds (the ones a profile may hold several of,
// unnamespaced); -1 for strong kinds.
func weakIndex(kind string) int {
	switch kind {
	case Anon:
		return 0
	case Email:
		return 1
	case Phone:
		return 2
	}
	return -1
}

var weakKinds = [3]string{Anon, Email, Phone}

// strong reports whether a kind is unique per namespace in a profile (User
// and platform ids): two different values in one namespace are two people.
func strong(kind string) bool { return weakIndex(kind) < 0 }

// builtinJunk are placeholder values that SDKs and shop systems send when
// they have no real id. Linking on them would fuse every visitor who sent
// one. Compared trimmed and lower-cased, for raw kinds (User, Anon and
// platform ids); Email and Phone arrive as tokens, so their junk values
// ("test@test.com") are tokenised by the caller into Config.Blocklist.
var builtinJunk = map[string]bool{
	"": true, "null": true, "nil": true, "none": true, "undefined": true,
	"0": true, "-1": true, "unknown": true, "anonymous": true, "anon": true,
	"guest": true, "test": true, "testing": true, "n/a": true, "na": true,
	"-": true, "false": true, "true": true, "nan": true, "[object object]": true,
	"user": true, "customer": true, "default": true, "noname": true,
	"00000000-0000-0000-0000-000000000000": true,
}

// junkValue reports whether a raw value is a placeholder: one of the
// built-in junk values, made only of zeros, dashes and spaces, too long, or
// not UTF-8.
func junkValue(v string) bool {
	if len(v) > maxValueLen || !utf8.ValidString(v) {
		return true
	}
	t := strings.ToLower(strings.TrimSpace(v))
	if builtinJunk[t] {
		return true
	}
	return strings.Trim(t, "0- ") == ""
}

// hkey is the 128-bit digest of an identifier: the fixed-length key under
// which the graph stores it, so that keys do not grow with the value.
type hkey [16]byte

// hashID digests an identifier; parts are length-prefixed so that
// ("ab","c") and ("a","bc") differ.
func hashID(id ID) hkey {
	h := sha256.New()
	var n [binary.MaxVarintLen64]byte
	h.Write([]byte("tradewind/identity/v1\x00"))
	for _, p := range [3]string{id.Kind, id.NS, id.Value} {
		h.Write(n[:binary.PutUvarint(n[:], uint64(len(p)))])
		h.Write([]byte(p))
	}
	var sum [32]byte
	var k hkey
	copy(k[:], h.Sum(sum[:0]))
	return k
}

// nsHash digests a strong kind and namespace into the 32-bit group of a
// witness (see idRec).
func nsHash(kind, ns string) uint32 {
	s := sha256.Sum256([]byte("tradewind/identity/ns\x00" + kind + "\x00" + ns))
	return binary.BigEndian.Uint32(s[:4])
}

// Masked shows an identifier in a log line, a merge reason or an error
// without its value: tokens are shortened to their first 6 characters
// (a token is not personal data, but a whole one is a search key), raw ids
// to their first and last two characters ("ab…e9"), which is enough to
// tell two apart in a review and too little to find anyone.
func Masked(id ID) string {
	switch id.Kind {
	case Email, Phone:
		return id.Kind + " token " + shorten(id.Value, 6)
	case Anon:
		return "anonymousId " + maskValue(id.Value)
	case User:
		return "userId " + maskValue(id.Value) + " of " + id.NS
	}
	return id.Kind + " " + maskValue(id.Value) + " of " + id.NS
}

func shorten(s string, n int) string {
	if utf8.RuneCountInString(s) <= n {
		return s
	}
	r := []rune(s)
	return string(r[:n]) + "…"
}

// maskValue keeps the first and last two characters of values of at least
// 8 characters; shorter ones are too easy to guess from four characters.
func maskValue(s string) string {
	r := []rune(s)
	if len(r) < 8 {
		return "…"
	}
	return string(r[:2]) + "…" + string(r[len(r)-2:])
}

// kindName is how a kind reads in a sentence ("two userIds of web").
func kindName(kind string) string {
	switch kind {
	case User:
		return "userId"
	case Anon:
		return "anonymousId"
	case Email:
		return "email token"
	case Phone:
		return "phone token"
	}
	return kind
}

// String is the masked form: an ID is often logged, and its value must not
// be.
func (id ID) String() string { return Masked(id) }

func errorf(format string, args ...any) error {
	return fmt.Errorf("identity: "+format, args...)
}
