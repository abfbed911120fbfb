package auth

import (
	"crypto/rand"
	"crypto/subtle"
	"encoding/base64"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"unicode/utf8"

	"golang.org/x/crypto/argon2"
)

// Argon2Params are the cost parameters of argon2id. They are encoded into
// every hash (PHC string format), so they can be raised later: old hashes
// still verify with their own parameters and are re-hashed with the new ones
// at the next successful login.
type Argon2Params struct {
	Memory  uint32 // KiB
	Time    uint32 // passes
	Threads uint8
	SaltLen uint32 // bytes
	KeyLen  uint32 // bytes
}

// DefaultArgon2 follows the OWASP Password Storage Cheat Sheet's first
// argon2id configuration: 19 MiB, 2 passes, 1 lane. It costs about 20–40 ms
// per hash on a current server core, slow enough to make offline guessing
// expensive and cheap enough that a login is not noticeably slow; a single
// lane keeps one login from occupying several cores. Memory per hash is what
// bounds concurrent logins, so the Service caps concurrent hashes.
var DefaultArgon2 = Argon2Params{Memory: 19 * 1024, Time: 2, Threads: 1, SaltLen: 16, KeyLen: 32}

// Limits a PHC string must respect. A stored hash is trusted input, but a
// corrupted or planted one must not make a login allocate gigabytes.
const (
	maxArgonMemory = 1 << 20 // 1 GiB in KiB
	maxArgonTime   = 64
)

// ErrBadHash means a stored password hash is not a PHC argon2id string this
// package can verify.
var ErrBadHash = errors.New("auth: malformed password hash")

var b64 = base64.RawStdEncoding

// HashPassword hashes password with argon2id and a fresh random salt and
// returns it as a PHC string:
//
//	$argon2id$v=19$m=19456,t=2,p=1$<salt>$<key>
//
// with salt and key in unpadded standard base64, as the reference
// implementation and most libraries write it.
func HashPassword(password string, p Argon2Params) (string, error) {
	if p.Memory < 8*uint32(p.Threads) || p.Time < 1 || p.Threads < 1 || p.SaltLen < 8 || p.KeyLen < 16 {
		return "", fmt.Errorf("auth: argon2 parameters %+v below the minimum", p)
	}
	salt := make([]byte, p.SaltLen)
	if _, err := rand.Read(salt); err != nil {
		return "", fmt.Errorf("auth: salt: %w", err)
	}
	key := argon2.IDKey([]byte(password), salt, p.Time, p.Memory, p.Threads, p.KeyLen)
	return fmt.Sprintf("$argon2id$v=%d$m=%d,t=%d,p=%d$%s$%s",
		argon2.Version, p.Memory, p.Time, p.Threads, b64.EncodeToString(salt), b64.EncodeToString(key)), nil
}

// ParsePHC decodes an argon2id PHC string into its parameters, salt and key.
// Params.SaltLen and KeyLen are set from the decoded lengths.
func ParsePHC(encoded string) (Argon2Params, []byte, []byte, error) {
	var p Argon2Params
	parts := strings.Split(encoded, "$")
	if len(parts) != 6 || parts[0] != "" || parts[1] != "argon2id" {
		return p, nil, nil, ErrBadHash
	}
	if parts[2] != "v="+strconv.Itoa(argon2.Version) {
		return p, nil, nil, fmt.Errorf("%w: unsupported version %q", ErrBadHash, parts[2])
	}
	seen := 0
	for _, kv := range strings.Split(parts[3], ",") {
		k, v, ok := strings.Cut(kv, "=")
		if !ok {
			return p, nil, nil, ErrBadHash
		}
		n, err := strconv.ParseUint(v, 10, 32)
		if err != nil {
			return p, nil, nil, fmt.Errorf("%w: parameter %s", ErrBadHash, k)
		}
		switch k {
		case "m":
			p.Memory, seen = uint32(n), seen|1
		case "t":
			p.Time, seen = uint32(n), seen|2
		case "p":
			if n > 255 {
				return p, nil, nil, fmt.Errorf("%w: parameter p", ErrBadHash)
			}
			p.Threads, seen = uint8(n), seen|4
		default:
			return p, nil, nil, fmt.Errorf("%w: unknown parameter %s", ErrBadHash, k)
		}
	}
	if seen != 7 || p.Threads < 1 || p.Time < 1 || p.Time > maxArgonTime ||
		p.Memory < 8*uint32(p.Threads) || p.Memory > maxArgonMemory {
		return p, nil, nil, fmt.Errorf("%w: parameters out of range", ErrBadHash)
	}
	salt, err := b64.DecodeString(parts[4])
	if err != nil || len(salt) < 8 || len(salt) > 64 {
		return p, nil, nil, fmt.Errorf("%w: salt", ErrBadHash)
	}
	key, err := b64.DecodeString(parts[5])
	if err != nil || len(key) < 16 || len(key) > 128 {
		return p, nil, nil, fmt.Errorf("%w: key", ErrBadHash)
	}
	p.SaltLen, p.KeyLen = uint32(len(salt)), uint32(len(key))
	return p, salt, key, nil
}

// VerifyPassword reports whether password matches the PHC string encoded,
// comparing in constant time. An error means the hash itself is unusable.
func VerifyPassword(encoded, password string) (bool, error) {
	p, salt, key, err := ParsePHC(encoded)
	if err != nil {
		return false, err
	}
	got := argon2.IDKey([]byte(password), salt, p.Time, p.Memory, p.Threads, p.KeyLen)
	return subtle.ConstantTimeCompare(got, key) == 1, nil
}

// NeedsRehash reports whether encoded was made with parameters other than
// want (or cannot be parsed), so a login can upgrade it.
func NeedsRehash(encoded string, want Argon2Params) bool {
	p, _, _, err := ParsePHC(encoded)
	return err != nil || p != want
}

// Password policy. Length is what makes a password strong; composition rules
// mostly make people write passwords down (NIST SP 800-63B), so there are
// none. The upper bound keeps hashing cost predictable and is generous for
// pass-phrases and password managers.
const (
	MinPasswordLen = 10  // characters
	MaxPasswordLen = 256 // characters
)

// CheckPassword applies the password policy for the account email. The
// error names the field, never the value.
func CheckPassword(password, email string) error {
	if !utf8.ValidString(password) {
		return &FieldError{Field: "password", Reason: "is not valid UTF-8"}
	}
	n := utf8.RuneCountInString(password)
	if n < MinPasswordLen {
		return &FieldError{Field: "password", Reason: fmt.Sprintf("must be at least %d characters", MinPasswordLen)}
	}
	if n > MaxPasswordLen {
		return &FieldError{Field: "password", Reason: fmt.Sprintf("must be at most %d characters", MaxPasswordLen)}
	}
	if email != "" && strings.EqualFold(strings.TrimSpace(password), strings.TrimSpace(email)) {
		return &FieldError{Field: "password", Reason: "must not be the e-mail address"}
	}
	return nil
}
