package pii

import (
	"crypto/cipher"
	"crypto/rand"
	"encoding/base64"
	"encoding/binary"
	"errors"
	"fmt"
	"strconv"
)

// Keys gives data keys: KeyFor creates the subject's key if needed
// (persisted before it returns); Key finds one by id for decryption.
// Implementations are safe for concurrent use.
type Keys interface {
	KeyFor(subject string) (id uint64, aead cipher.AEAD, err error)
	Key(id uint64) (cipher.AEAD, error)
}

// Errors of envelopes. Returned errors wrap them and name the field's path,
// never its value.
var (
	// ErrNotEnvelope means a string is not an envelope.
	ErrNotEnvelope = errors.New("pii: not an envelope")
	// ErrTampered means an envelope does not authenticate: its ciphertext or
	// header was changed, or its key id was.
	ErrTampered = errors.New("pii: envelope does not authenticate (tampered with, or not sealed under its key)")
	// ErrWrongField means an authentic envelope was sealed for another field
	// than the one it was found in: it was moved.
	ErrWrongField = errors.New("pii: envelope was sealed for another field")
)

// envPrefix starts every envelope; the "1" is the format version.
const envPrefix = "tw1."

// Envelope is a parsed envelope: the string that replaces a High field's
// value in a message,
//
//	tw1.<kind>.<key id, base 36>.<token or empty>.<base64url(nonce ‖ ciphertext)>
//
// A string keeps the JSON type of every string field, so consumers that do
// not decrypt still read a string where they expect one. Kind is KindEmail
// or KindPhone for identifiers (Token is then their blind index, when the
// value normalised) or KindPII; it tells readers how to mask the value
// without decrypting it. The header is in clear because the store and the
// suppression list need it without the key.
//
// The plaintext sealed is a flag byte (1: the value is JSON text, restored
// as JSON; 0: a string), the field's path (uvarint length, bytes) and the
// value. The cipher is the AEAD the key store gives (AES-256-GCM), with a
// random nonce (a subject's key seals few values, far below GCM's random
// nonce limit) and additional data binding the version, kind, key id and
// token, so a header cannot be edited. The path is bound by being sealed:
// Decrypt, given the path where it found the envelope, refuses an envelope
// sealed for another field (moved), while Open, for readers that no longer
// know the path (a store column filled from several message fields), opens
// it anyway.
type Envelope struct {
	Kind  string
	KeyID uint64
	Token Token
	// Sealed is nonce ‖ ciphertext (with the AEAD's tag).
	Sealed []byte
}

// String returns the envelope's text.
func (e Envelope) String() string {
	b := append([]byte(envPrefix), e.Kind...)
	b = append(b, '.')
	b = strconv.AppendUint(b, e.KeyID, 36)
	b = append(b, '.')
	b = append(b, e.Token...)
	b = append(b, '.')
	b = base64.RawURLEncoding.AppendEncode(b, e.Sealed)
	return string(b)
}

// minSealed is the shortest nonce ‖ ciphertext accepted: a 12-byte nonce,
// the flag and path-length bytes, a 16-byte tag.
const minSealed = 12 + 2 + 16

// IsEnvelope reports whether s is an envelope (exactly when ParseEnvelope
// would accept it). It costs a prefix comparison for ordinary strings and
// never allocates.
func IsEnvelope(s string) bool {
	_, ok := scanEnvelope(s)
	return ok
}

// envParts are the offsets of an envelope's parts: s[len(envPrefix):kindEnd]
// is the kind, then the key id up to idEnd, the token up to tokEnd, and the
// payload after tokEnd+1.
type envParts struct {
	kindEnd, idEnd, tokEnd int
	id                     uint64
}

// scanEnvelope checks s's syntax and finds its parts.
func scanEnvelope[T ~string | ~[]byte](s T) (p envParts, ok bool) {
	if len(s) < len(envPrefix) || string(s[:len(envPrefix)]) != envPrefix {
		return p, false
	}
	// Kind: 1–16 lower-case letters.
	i := len(envPrefix)
	for i < len(s) && isLower(s[i]) {
		i++
	}
	if n := i - len(envPrefix); n == 0 || n > 16 || i == len(s) || s[i] != '.' {
		return p, false
	}
	p.kindEnd = i
	// Key id: canonical base 36 (no leading zeros), fits in 64 bits.
	start := i + 1
	for i = start; i < len(s) && (isDigit(s[i]) || isLower(s[i])); i++ {
		v := uint64(s[i] - '0')
		if isLower(s[i]) {
			v = uint64(s[i]-'a') + 10
		}
		if p.id > (^uint64(0)-v)/36 {
			return p, false
		}
		p.id = p.id*36 + v
	}
	if i == start || (i-start > 1 && s[start] == '0') || i == len(s) || s[i] != '.' {
		return p, false
	}
	p.idEnd = i
	// Token: empty or a canonical 16-byte base64url text.
	start = i + 1
	for i = start; i < len(s) && b64val(s[i]) >= 0; i++ {
	}
	if n := i - start; (n != 0 && n != TokenLen) || i == len(s) || s[i] != '.' {
		return p, false
	}
	if i-start == TokenLen && b64val(s[i-1])&0x0f != 0 {
		return p, false
	}
	p.tokEnd = i
	// Payload: canonical unpadded base64url of at least minSealed bytes.
	start = i + 1
	for i = start; i < len(s); i++ {
		if b64val(s[i]) < 0 {
			return p, false
		}
	}
	n := len(s) - start
	if n%4 == 1 || n*6/8 < minSealed {
		return p, false
	}
	switch n % 4 {
	case 2:
		if b64val(s[len(s)-1])&0x0f != 0 {
			return p, false
		}
	case 3:
		if b64val(s[len(s)-1])&0x03 != 0 {
			return p, false
		}
	}
	return p, true
}

// b64val is the value of a base64url character, or -1.
func b64val(c byte) int { return int(b64tab[c]) }

var b64tab = func() (t [256]int8) {
	for i := range t {
		t[i] = -1
	}
	const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
	for i := 0; i < len(alphabet); i++ {
		t[alphabet[i]] = int8(i)
	}
	return t
}()

// ParseEnvelope parses an envelope's text. It checks the syntax only;
// authenticity is checked when the envelope is opened.
func ParseEnvelope(s string) (Envelope, error) {
	p, ok := scanEnvelope(s)
	if !ok {
		return Envelope{}, ErrNotEnvelope
	}
	sealed, err := base64.RawURLEncoding.Strict().DecodeString(s[p.tokEnd+1:])
	if err != nil {
		return Envelope{}, ErrNotEnvelope
	}
	return Envelope{
		Kind:   s[len(envPrefix):p.kindEnd],
		KeyID:  p.id,
		Token:  Token(s[p.idEnd+1 : p.tokEnd]),
		Sealed: sealed,
	}, nil
}

// Flag byte values of the sealed plaintext.
const (
	flagString = 0
	flagJSON   = 1
)

// aad is the additional data of an envelope: everything in its header.
func aad(dst []byte, kind string, id uint64, token Token) []byte {
	dst = append(dst, "tw1\x00"...)
	dst = append(dst, kind...)
	dst = append(dst, 0)
	dst = binary.BigEndian.AppendUint64(dst, id)
	return append(dst, token...)
}

// seal appends the text of an envelope of value, sealed for the field at
// path, to dst.
func seal(dst []byte, a cipher.AEAD, id uint64, kind string, token Token, path []byte, value []byte, isJSON bool) []byte {
	ns := a.NonceSize()
	plain := make([]byte, 0, 1+binary.MaxVarintLen64+len(path)+len(value))
	if isJSON {
		plain = append(plain, flagJSON)
	} else {
		plain = append(plain, flagString)
	}
	plain = binary.AppendUvarint(plain, uint64(len(path)))
	plain = append(plain, path...)
	plain = append(plain, value...)

	sealed := make([]byte, ns, ns+len(plain)+a.Overhead())
	_, _ = rand.Read(sealed) // never fails (crypto/rand crashes the program instead)
	var ad [64]byte
	sealed = a.Seal(sealed, sealed[:ns], plain, aad(ad[:0], kind, id, token))
	clear(plain)

	dst = append(dst, envPrefix...)
	dst = append(dst, kind...)
	dst = append(dst, '.')
	dst = strconv.AppendUint(dst, id, 36)
	dst = append(dst, '.')
	dst = append(dst, token...)
	dst = append(dst, '.')
	return base64.RawURLEncoding.AppendEncode(dst, sealed)
}

// opened is an envelope's content.
type opened struct {
	kind   string
	path   string
	value  string
	isJSON bool
}

// open authenticates and decrypts e with a.
func open(a cipher.AEAD, e Envelope) (opened, error) {
	ns := a.NonceSize()
	if len(e.Sealed) < ns+a.Overhead()+2 {
		return opened{}, ErrTampered
	}
	var ad [64]byte
	plain, err := a.Open(nil, e.Sealed[:ns], e.Sealed[ns:], aad(ad[:0], e.Kind, e.KeyID, e.Token))
	if err != nil {
		return opened{}, ErrTampered
	}
	// Authentic, so well formed unless the sealer was broken.
	if len(plain) < 2 || plain[0] > flagJSON {
		return opened{}, ErrTampered
	}
	n, k := binary.Uvarint(plain[1:])
	if k <= 0 || n > uint64(len(plain)-1-k) {
		return opened{}, ErrTampered
	}
	p := plain[1+k:]
	o := opened{kind: e.Kind, path: string(p[:n]), value: string(p[n:]), isJSON: plain[0] == flagJSON}
	clear(plain)
	return o, nil
}

// openString parses s and opens it with its key from keys.
func openString(keys Keys, s string) (opened, error) {
	e, err := ParseEnvelope(s)
	if err != nil {
		return opened{}, err
	}
	a, err := keyByID(keys, e.KeyID)
	if err != nil {
		return opened{}, err
	}
	return open(a, e)
}

// keyByID asks keys for a key, wrapping its error (a destroyed key's error
// among them) unchanged.
func keyByID(keys Keys, id uint64) (cipher.AEAD, error) {
	if keys == nil {
		return nil, errors.New("pii: no key store")
	}
	a, err := keys.Key(id)
	if err != nil {
		return nil, fmt.Errorf("pii: key %d: %w", id, err)
	}
	if a == nil {
		return nil, fmt.Errorf("pii: key %d: the key store returned no key", id)
	}
	return a, nil
}

// Decrypt opens the envelope s found at path (the field's dotted path in
// its message, as Encrypt sealed it) and returns the value: the string, or,
// for a value that was not a string (a number, an object), its JSON text.
// An envelope sealed for another field fails with ErrWrongField, a changed
// one with ErrTampered; the key store's errors (a destroyed key's among
// them) are wrapped as they are, so errors.Is finds them.
func Decrypt(keys Keys, path, s string) (plaintext string, err error) {
	o, err := openString(keys, s)
	if err != nil {
		return "", fmt.Errorf("pii: %s: %w", path, err)
	}
	if o.path != path {
		return "", fmt.Errorf("pii: %s: %w", path, ErrWrongField)
	}
	return o.value, nil
}

// Open opens the envelope s wherever it is found and returns the value (as
// Decrypt does) and its kind, for Mask. It is for readers that no longer
// know the field an envelope was sealed for, such as a store column filled
// from several message fields; readers that know it use Decrypt, which also
// checks that the envelope was not moved.
func Open(keys Keys, s string) (plaintext, kind string, err error) {
	o, err := openString(keys, s)
	if err != nil {
		return "", "", err
	}
	return o.value, o.kind, nil
}

// isEnvelopeText is IsEnvelope for a parsed JSON string's bytes.
func isEnvelopeText(b []byte) bool {
	_, ok := scanEnvelope(b)
	return ok
}
