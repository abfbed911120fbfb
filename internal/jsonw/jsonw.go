// Package jsonw writes JSON objects and arrays by appending to a byte slice,
// in the order the caller writes them and without allocating beyond the
// slice's growth. It is for hot paths that produce many small messages of a
// fixed shape, where encoding/json's reflection and map ordering would cost
// time or make the output depend on more than the calls made.
//
// A Writer tracks one thing: whether the next key or value needs a
// separating comma. The caller is responsible for the structure: a key only
// directly inside an object, exactly one value after each key, and every
// BeginObject and BeginArray matched by its End. Within those rules the
// output is valid JSON (RFC 8259) whatever strings, keys and numbers it is
// given:
//
//   - Strings and keys are escaped: '"' and '\' with a backslash; of the
//     control characters U+0000 to U+001F, newline, carriage return and tab
//     as \n, \r and \t, all others as \u00XX in lower-case hex (backspace
//     and form feed too: \u0008, \u000c).
//   - Every other valid UTF-8 sequence is copied as it is, U+007F, U+2028
//     and U+2029 included: RFC 8259 allows them in strings, and ECMAScript
//     has allowed them in string literals since ES2019, so they are not
//     escaped as encoding/json escapes them for older JavaScript and HTML.
//   - Invalid UTF-8 is replaced: each byte that utf8.DecodeRune reports as
//     (RuneError, 1) becomes U+FFFD, as with encoding/json (which writes it
//     as the escape \ufffd). So a string always decodes to valid UTF-8, and
//     valid UTF-8 decodes to exactly itself.
//   - Numbers are written from their text (Number), so an exact decimal
//     such as 29.90 stays exactly as it was; the text is checked against
//     the JSON number grammar. Int writes integers.
//   - Raw writes pre-encoded JSON as it is: it is the one method whose
//     validity the caller vouches for.
package jsonw

import (
	"strconv"
	"unsafe"
)

// Writer appends JSON to a byte slice. The zero value is ready to use and
// writes to a new slice; Reset chooses the slice. A Writer is not safe for
// concurrent use.
type Writer struct {
	b     []byte
	comma bool // the next key or value needs a ',' before it
}

// Reset starts a new document that is appended to b: b's contents are kept
// and the first key or value gets no comma. Reset(w.Bytes()[:0]) reuses the
// Writer's buffer.
func (w *Writer) Reset(b []byte) {
	w.b = b
	w.comma = false
}

// Bytes returns the buffer: what it held at Reset followed by all that was
// written since. The slice is the Writer's own, valid until the next write
// or Reset; copy it to keep it.
func (w *Writer) Bytes() []byte { return w.b }

// sep writes the comma that separates this key or value from the previous
// one, if there is one.
func (w *Writer) sep() {
	if w.comma {
		w.b = append(w.b, ',')
	}
}

// Key writes the member name k (escaped) and a colon, and returns w so that
// the member's value can follow on the same line: w.Key("id").String(id).
func (w *Writer) Key(k string) *Writer {
	w.quote(k)
	w.b = append(w.b, ':')
	w.comma = false
	return w
}

// BeginObject writes '{' as a value.
func (w *Writer) BeginObject() { w.begin('{') }

// EndObject writes the '}' that ends the innermost open object.
func (w *Writer) EndObject() { w.end('}') }

// BeginArray writes '[' as a value.
func (w *Writer) BeginArray() { w.begin('[') }

// EndArray writes the ']' that ends the innermost open array.
func (w *Writer) EndArray() { w.end(']') }

// begin writes the bracket that opens an object or array as a value.
func (w *Writer) begin(bracket byte) {
	w.sep()
	w.b = append(w.b, bracket)
	w.comma = false
}

// end writes the bracket that closes an object or array: it ends a value.
func (w *Writer) end(bracket byte) {
	w.b = append(w.b, bracket)
	w.comma = true
}

// String writes s as a JSON string, escaped as the package documentation
// describes.
func (w *Writer) String(s string) {
	w.quote(s)
	w.comma = true
}

// StringBytes is String for text held in a byte slice. It reads s during
// the call only, and does not keep it.
func (w *Writer) StringBytes(s []byte) {
	// A string that shares s's bytes rather than a copy. That is sound
	// because quote only reads it and keeps nothing: the string does not
	// outlive this call, during which the bytes do not change (unless the
	// caller races with itself).
	w.quote(unsafe.String(unsafe.SliceData(s), len(s)))
	w.comma = true
}

// AppendString appends s to dst as a quoted JSON string, escaped as a
// Writer escapes strings (see the package documentation), and returns the
// extended slice: for code that quotes single strings without a Writer —
// a rule's text form, a value rewritten inside a document.
func AppendString(dst []byte, s string) []byte {
	w := Writer{b: dst}
	w.quote(s)
	return w.b
}

// AppendStringBytes is AppendString for text held in a byte slice; like
// StringBytes it reads s during the call only.
func AppendStringBytes(dst []byte, s []byte) []byte {
	return AppendString(dst, unsafe.String(unsafe.SliceData(s), len(s)))
}

// Number writes text, which must be a JSON number (an optional '-', an
// integer part without leading zeros, then an optional fraction and
// exponent), exactly as it is: no digit is lost or rounded. Number panics
// if text is anything else, because writing it would make the output
// invalid; callers pass text they have already parsed or formatted.
func (w *Writer) Number(text []byte) {
	if !validNumber(text) {
		notANumber(text)
	}
	w.sep()
	w.b = append(w.b, text...)
	w.comma = true
}

// notANumber panics for Number; it is a function of its own to keep the
// building of the message out of Number's path.
func notANumber(text []byte) {
	panic("jsonw: Number: not a JSON number: " + strconv.Quote(string(text)))
}

// Int writes n in decimal.
func (w *Writer) Int(n int64) {
	w.sep()
	w.b = strconv.AppendInt(w.b, n, 10)
	w.comma = true
}

// Bool writes true or false.
func (w *Writer) Bool(v bool) {
	w.sep()
	w.b = strconv.AppendBool(w.b, v)
	w.comma = true
}

// Null writes null.
func (w *Writer) Null() {
	w.sep()
	w.b = append(w.b, "null"...)
	w.comma = true
}

// Raw writes v, which must be one complete JSON value, as it is. Raw does
// not check v: it is for values already encoded and known to be valid.
func (w *Writer) Raw(v []byte) {
	w.sep()
	w.b = append(w.b, v...)
	w.comma = true
}

// OptString writes the member k: v, unless v is empty, when it writes
// nothing.
func (w *Writer) OptString(k, v string) {
	if v != "" {
		w.Key(k).String(v)
	}
}

// OptStringBytes writes the member k: v as a string, unless v is empty,
// when it writes nothing.
func (w *Writer) OptStringBytes(k string, v []byte) {
	if len(v) > 0 {
		w.Key(k).StringBytes(v)
	}
}

// OptNumber writes the member k: v as a number (see Number), unless v is
// empty, when it writes nothing.
func (w *Writer) OptNumber(k string, v []byte) {
	if len(v) > 0 {
		w.Key(k).Number(v)
	}
}

// validNumber reports whether s is a JSON number (RFC 8259 section 6).
func validNumber(s []byte) bool {
	i := 0
	if len(s) > 0 && s[0] == '-' {
		i++
	}
	switch {
	case i == len(s):
		return false
	case s[i] == '0':
		i++
	case s[i]-'1' < 9:
		i = digits(s, i+1)
	default:
		return false
	}
	if i < len(s) && s[i] == '.' {
		j := digits(s, i+1)
		if j == i+1 {
			return false
		}
		i = j
	}
	if i < len(s) && s[i]|0x20 == 'e' {
		i++
		if i < len(s) && (s[i] == '+' || s[i] == '-') {
			i++
		}
		j := digits(s, i)
		if j == i {
			return false
		}
		i = j
	}
	return i == len(s)
}

// digits returns the index of the first byte at or after i that is not an
// ASCII digit.
func digits(s []byte, i int) int {
	for i < len(s) && s[i]-'0' < 10 {
		i++
	}
	return i
}
