package records

import (
	"strconv"
	"unicode/utf8"
)

// jw appends JSON to a byte slice. It tracks only whether the next value
// needs a separating comma, which is enough for the fixed shapes written
// here.
type jw struct {
	b     []byte
	comma bool
}

func (w *jw) reset() {
	w.b = w.b[:0]
	w.comma = false
}

func (w *jw) sep() {
	if w.comma {
		w.b = append(w.b, ',')
	}
}

// open writes '{' as a value.
func (w *jw) open() {
	w.sep()
	w.b = append(w.b, '{')
	w.comma = false
}

func (w *jw) close() {
	w.b = append(w.b, '}')
	w.comma = true
}

func (w *jw) openArr() {
	w.sep()
	w.b = append(w.b, '[')
	w.comma = false
}

func (w *jw) closeArr() {
	w.b = append(w.b, ']')
	w.comma = true
}

// key writes "k": ; k must not need escaping unless esc is used.
func (w *jw) key(k string) {
	w.sep()
	w.b = append(w.b, '"')
	w.b = append(w.b, k...)
	w.b = append(w.b, '"', ':')
	w.comma = false
}

// keyEsc writes an arbitrary key with escaping.
func (w *jw) keyEsc(k string) {
	w.sep()
	w.b = appendString(w.b, k)
	w.b = append(w.b, ':')
	w.comma = false
}

func (w *jw) str(s string) {
	w.sep()
	w.b = appendString(w.b, s)
	w.comma = true
}

func (w *jw) strb(s []byte) {
	w.sep()
	w.b = appendString(w.b, s)
	w.comma = true
}

// num writes pre-validated number text.
func (w *jw) num(s []byte) {
	w.sep()
	w.b = append(w.b, s...)
	w.comma = true
}

func (w *jw) int(n int64) {
	w.sep()
	w.b = strconv.AppendInt(w.b, n, 10)
	w.comma = true
}

// kvStr writes "k":"v" when v is not empty.
func (w *jw) kvStr(k string, v []byte) {
	if len(v) > 0 {
		w.key(k)
		w.strb(v)
	}
}

// kvNum writes "k":v when v is not empty.
func (w *jw) kvNum(k string, v []byte) {
	if len(v) > 0 {
		w.key(k)
		w.num(v)
	}
}

const hexDigits = "0123456789abcdef"

// appendString appends s as a JSON string. Invalid UTF-8 is replaced by
// U+FFFD (callers reject it earlier where it matters).
func appendString[S ~string | ~[]byte](b []byte, s S) []byte {
	b = append(b, '"')
	start := 0
	for i := 0; i < len(s); {
		c := s[i]
		if c < utf8.RuneSelf {
			if c >= 0x20 && c != '"' && c != '\\' {
				i++
				continue
			}
			b = append(b, s[start:i]...)
			switch c {
			case '"', '\\':
				b = append(b, '\\', c)
			case '\n':
				b = append(b, '\\', 'n')
			case '\r':
				b = append(b, '\\', 'r')
			case '\t':
				b = append(b, '\\', 't')
			default:
				b = append(b, '\\', 'u', '0', '0', hexDigits[c>>4], hexDigits[c&0xf])
			}
			i++
			start = i
			continue
		}
		var r rune
		var size int
		switch v := any(s).(type) {
		case string:
			r, size = utf8.DecodeRuneInString(v[i:])
		case []byte:
			r, size = utf8.DecodeRune(v[i:])
		default:
			r, size = utf8.DecodeRuneInString(string(s[i:]))
		}
		if r == utf8.RuneError && size == 1 {
			b = append(b, s[start:i]...)
			b = append(b, "\ufffd"...)
			i++
			start = i
			continue
		}
		i += size
	}
	b = append(b, s[start:]...)
	b = append(b, '"')
	return b
}
