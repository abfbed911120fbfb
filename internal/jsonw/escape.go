package jsonw

import "unicode/utf8"

// hexDigits are the digits of a \u00XX escape.
const hexDigits = "0123456789abcdef"

// plain[c] is true for the bytes a JSON string holds as they are and that
// are whole characters: ASCII but for the control characters, '"' and '\'.
var plain = func() (t [256]bool) {
	for c := 0x20; c < utf8.RuneSelf; c++ {
		t[c] = c != '"' && c != '\\'
	}
	return t
}()

// quote writes a comma if one is due, then s as a quoted JSON string: see
// the package documentation for what is escaped and what is replaced. It
// only ever appends to w.b in place (w.b = append(w.b, …)), which the
// compiler turns into a length update unless the slice must grow: that
// spares a pointer write, and its write barrier while the garbage
// collector marks, on every string.
func (w *Writer) quote(s string) {
	if w.comma {
		w.b = append(w.b, ',', '"')
	} else {
		w.b = append(w.b, '"')
	}
	// Most strings need no escaping: check that eight bytes at a time, with
	// words that may overlap for strings of four bytes or more.
	n := len(s)
	ok := true
	switch {
	case n < 4:
		for i := 0; i < n; i++ {
			ok = ok && plain[s[i]]
		}
	case n <= 8:
		lo, hi := s[:4], s[n-4:]
		ok = plainWord(uint64(lo[0]) | uint64(lo[1])<<8 | uint64(lo[2])<<16 | uint64(lo[3])<<24 |
			uint64(hi[0])<<32 | uint64(hi[1])<<40 | uint64(hi[2])<<48 | uint64(hi[3])<<56)
	default:
		for i := 0; i < n-8 && ok; i += 8 {
			ok = plainWord(word(s, i))
		}
		ok = ok && plainWord(word(s, n-8))
	}
	if ok {
		w.b = append(w.b, s...)
	} else {
		w.quoteRest(s, skipPlain(s, 0))
	}
	w.b = append(w.b, '"')
}

// quoteRest writes s, but for its quotes, from s[i], the first byte that is
// not plain (see plain); s[:i] is plain.
func (w *Writer) quoteRest(s string, i int) {
	start := 0 // s[start:i] is yet to be copied
	for i < len(s) {
		if c := s[i]; c < utf8.RuneSelf {
			w.b = append(w.b, s[start:i]...)
			switch c {
			case '"', '\\':
				w.b = append(w.b, '\\', c)
			case '\n':
				w.b = append(w.b, '\\', 'n')
			case '\r':
				w.b = append(w.b, '\\', 'r')
			case '\t':
				w.b = append(w.b, '\\', 't')
			default:
				w.b = append(w.b, '\\', 'u', '0', '0', hexDigits[c>>4], hexDigits[c&0xf])
			}
			i++
			start = i
		}
		// A run of non-ASCII characters. The common two- and three-byte
		// sequences are checked here (a lead byte that allows any
		// continuation bytes, and as many of those), the rest by utf8.
		for i < len(s) && s[i] >= utf8.RuneSelf {
			c := s[i]
			switch {
			case c >= 0xc2 && c < 0xe0 && i+1 < len(s) && s[i+1]&0xc0 == 0x80:
				i += 2
			case c > 0xe0 && c < 0xf0 && c != 0xed && i+2 < len(s) && s[i+1]&0xc0 == 0x80 && s[i+2]&0xc0 == 0x80:
				i += 3
			default:
				if r, n := utf8.DecodeRuneInString(s[i:]); r != utf8.RuneError || n > 1 {
					i += n
					continue
				}
				w.b = append(w.b, s[start:i]...)
				w.b = append(w.b, "\ufffd"...)
				i++
				start = i
			}
		}
		// A run of plain ASCII: byte by byte while it is short, as it
		// mostly is between non-ASCII letters, then a word at a time.
		for n := 0; i < len(s) && plain[s[i]]; n++ {
			i++
			if n == 16 {
				i = skipPlain(s, i)
				break
			}
		}
	}
	w.b = append(w.b, s[start:]...)
}

// skipPlain returns the index of the first byte at or after i that is not
// plain (see plain), or len(s).
func skipPlain(s string, i int) int {
	for i+8 <= len(s) && plainWord(word(s, i)) {
		i += 8
	}
	for i < len(s) && plain[s[i]] {
		i++
	}
	return i
}

// word returns the eight bytes at s[i] as a little-endian word.
func word(s string, i int) uint64 {
	t := s[i : i+8]
	return uint64(t[0]) | uint64(t[1])<<8 | uint64(t[2])<<16 | uint64(t[3])<<24 |
		uint64(t[4])<<32 | uint64(t[5])<<40 | uint64(t[6])<<48 | uint64(t[7])<<56
}

// plainWord reports whether all eight bytes of x are plain (see plain). A
// byte's high bit ends up set if the byte is 0x80 or more, below 0x20 (the
// borrow of x-0x20), '"' or '\' (the borrow of x^c-1 where that byte is
// zero). A borrow can also set the bit of a byte above one that is truly
// set, which cannot turn a false into a true.
func plainWord(x uint64) bool {
	const ones, highs = 0x0101010101010101, 0x8080808080808080
	return (x|(x-0x20*ones)|(x^'"'*ones-ones)|(x^'\\'*ones-ones))&highs == 0
}
