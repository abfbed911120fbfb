package pii

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
)

// Identifier kinds: envelope kinds (KindEmail, KindPhone, KindPII) and the
// kinds of suppression-list entries (all but KindPII).
const (
	// KindEmail is an email address, blind-indexed on NormalizeEmail's form.
	KindEmail = "email"
	// KindPhone is a phone number, blind-indexed on NormalizePhone's form.
	KindPhone = "phone"
	// KindPII is any other High value: encrypted, not indexed.
	KindPII = "pii"
	// KindUser is a user id; its suppression value is source + ":" + userId,
	// so that the same id in two sources is two people.
	KindUser = "user"
	// KindAnonymous is an anonymous id (device or browser generated, hence
	// global).
	KindAnonymous = "anonymous"
)

// Token is a blind index: a keyed hash of a normalised identifier, printable
// (base64url without padding, 22 characters), so that an encrypted email or
// phone can still be found by equality without decrypting anything.
type Token string

// TokenLen is the length of a Token's text.
const TokenLen = 22

// Domain-separation prefixes: the same index key computes blind indexes and
// suppression hashes, and neither may ever equal the other.
const (
	blindPrefix    = "tradewind/blind-index/v1\x00"
	suppressPrefix = "tradewind/suppression/v1\x00"
)

// BlindIndex returns the blind index of an identifier of a kind ("email",
// "phone"), already normalised (NormalizeEmail, NormalizePhone):
// HMAC-SHA256 under indexKey of the kind and the value, truncated to 16
// bytes. 128 bits keep accidental collisions out of reach (the birthday
// bound is 2^64 identifiers) at half the size of the full hash in every
// index and envelope; truncating an HMAC is as safe as its length (RFC 2104
// §5). The kind is hashed in, so an email and a phone that happened to be
// the same string get different tokens.
//
// A blind index reveals equality, by design, and no more to whoever lacks
// indexKey; to whoever holds it, guessing a low-entropy identifier is
// cheap, so indexKey is as secret as the data keys. indexKey should be 32
// random bytes.
func BlindIndex(indexKey []byte, kind string, normalized string) Token {
	sum := keyedHash(indexKey, blindPrefix, kind, normalized)
	return Token(base64.RawURLEncoding.EncodeToString(sum[:16]))
}

// SuppressionHash returns the suppression-list entry of an erased
// identifier: HMAC-SHA256 under indexKey, with a domain-separation prefix
// different from BlindIndex's, of the kind (KindEmail, KindPhone, KindUser,
// KindAnonymous) and the normalised value. It is a different value from the
// identifier's blind index, so the suppression list cannot be joined to the
// blind indexes of the store, and the full 32 bytes are kept since the list
// is small and a collision would drop an innocent person's events.
func SuppressionHash(indexKey []byte, kind, normalized string) [32]byte {
	return keyedHash(indexKey, suppressPrefix, kind, normalized)
}

func keyedHash(key []byte, prefix, kind, value string) [32]byte {
	m := hmac.New(sha256.New, key)
	m.Write([]byte(prefix))
	m.Write([]byte(kind))
	m.Write([]byte{0})
	m.Write([]byte(value))
	var out [32]byte
	m.Sum(out[:0])
	return out
}

// Subject names the sender identity a message's data key belongs to:
// "u:" + sourceID + ":" + userID when the message has a user id (user ids
// are the source's own, so the source qualifies them), else
// "a:" + anonymousID (anonymous ids are random per device, so global).
// Ingest guarantees one of the two ids.
func Subject(sourceID, userID, anonymousID string) string {
	if userID != "" {
		return "u:" + sourceID + ":" + userID
	}
	return "a:" + anonymousID
}
