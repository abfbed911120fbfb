package demo

import "strconv"

// jw appends JSON to a byte slice. Messages are written by hand, not with
// encoding/json, because a few million of them must render in seconds and
// the key order must be fixed for byte-identical output. Commas are
// tracked with one flag: a value sets it, a key or an opening brace
// clears it.
type jw struct {
	b     []byte
	comma bool
}

func (w *jw) pre() {
	if w.comma {
		w.b = append(w.b, ',')
	}
}

func (w *jw) key(k string) {
	w.pre()
	w.b = append(w.b, '"')
	w.b = append(w.b, k...)
	w.b = append(w.b, '"', ':')
	w.comma = false
}

func (w *jw) open()   { w.pre(); w.b = append(w.b, '{'); w.comma = false }
func (w *jw) close()  { w.b = append(w.b, '}'); w.comma = true }
func (w *jw) openA()  { w.pre(); w.b = append(w.b, '['); w.comma = false }
func (w *jw) closeA() { w.b = append(w.b, ']'); w.comma = true }

// obj opens an object under key k.
func (w *jw) obj(k string) { w.key(k); w.b = append(w.b, '{'); w.comma = false }

func (w *jw) str(k, v string) {
	w.key(k)
	w.b = appendJSONString(w.b, v)
	w.comma = true
}

// strNE writes k only when v is not empty.
func (w *jw) strNE(k, v string) {
	if v != "" {
		w.str(k, v)
	}
}

func (w *jw) int(k string, v int64) {
	w.key(k)
	w.b = strconv.AppendInt(w.b, v, 10)
	w.comma = true
}

func (w *jw) bool(k string, v bool) {
	w.key(k)
	w.b = strconv.AppendBool(w.b, v)
	w.comma = true
}

// money writes minor units as a JSON number with the currency's decimals.
func (w *jw) money(k string, v int64, c *currency) {
	w.key(k)
	w.b = appendMoney(w.b, v, c.exp)
	w.comma = true
}

// raw writes pre-rendered bytes under k.
func (w *jw) raw(k string, v []byte) {
	w.key(k)
	w.b = append(w.b, v...)
	w.comma = true
}

// appendMoney formats minor units exactly: 2990 with exp 2 is 29.90.
func appendMoney(b []byte, v int64, exp int) []byte {
	if exp == 0 {
		return strconv.AppendInt(b, v, 10)
	}
	if v < 0 {
		b = append(b, '-')
		v = -v
	}
	div := int64(1)
	for i := 0; i < exp; i++ {
		div *= 10
	}
	b = strconv.AppendInt(b, v/div, 10)
	b = append(b, '.')
	return appendPadded(b, uint64(v%div), exp)
}

// appendTime formats Unix milliseconds as RFC 3339 UTC with milliseconds.
func appendTime(b []byte, ms int64) []byte {
	days := unixDay(ms)
	rem := ms - days*msPerDay
	y, m, d := civil(days)
	b = appendPadded(b, uint64(y), 4)
	b = append(b, '-')
	b = appendPadded(b, uint64(m), 2)
	b = append(b, '-')
	b = appendPadded(b, uint64(d), 2)
	b = append(b, 'T')
	b = appendPadded(b, uint64(rem/msPerHour), 2)
	b = append(b, ':')
	b = appendPadded(b, uint64(rem%msPerHour/msPerMinute), 2)
	b = append(b, ':')
	b = appendPadded(b, uint64(rem%msPerMinute/1000), 2)
	b = append(b, '.')
	b = appendPadded(b, uint64(rem%1000), 3)
	return append(b, 'Z')
}

// appendDate formats the UTC date of a Unix day number.
func appendDate(b []byte, day int64) []byte {
	y, m, d := civil(day)
	b = appendPadded(b, uint64(y), 4)
	b = append(b, '-')
	b = appendPadded(b, uint64(m), 2)
	b = append(b, '-')
	return appendPadded(b, uint64(d), 2)
}

// civil converts a Unix day number to a proleptic Gregorian date (Howard
// Hinnant's days_from_civil inverse).
func civil(z int64) (y, m, d int64) {
	z += 719468
	era := z / 146097
	if z < 0 && z%146097 != 0 {
		era--
	}
	doe := z - era*146097
	yoe := (doe - doe/1460 + doe/36524 - doe/146096) / 365
	y = yoe + era*400
	doy := doe - (365*yoe + yoe/4 - yoe/100)
	mp := (5*doy + 2) / 153
	d = doy - (153*mp+2)/5 + 1
	if mp < 10 {
		m = mp + 3
	} else {
		m = mp - 9
	}
	if m <= 2 {
		y++
	}
	return y, m, d
}

// appendJSONString quotes s as a JSON string. Non-ASCII text is kept as
// UTF-8; only quotes, backslashes and control characters are escaped.
func appendJSONString(b []byte, s string) []byte {
	b = append(b, '"')
	start := 0
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c >= 0x20 && c != '"' && c != '\\' {
			continue
		}
		b = append(b, s[start:i]...)
		switch c {
		case '"', '\\':
			b = append(b, '\\', c)
		case '\n':
			b = append(b, '\\', 'n')
		case '\t':
			b = append(b, '\\', 't')
		case '\r':
			b = append(b, '\\', 'r')
		default:
			b = append(b, '\\', 'u', '0', '0', hexDigits[c>>4], hexDigits[c&15])
		}
		start = i + 1
	}
	b = append(b, s[start:]...)
	return append(b, '"')
}

// appendQueryEscaped percent-encodes s for a URL query value.
func appendQueryEscaped(b []byte, s string) []byte {
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c >= 'a' && c <= 'z', c >= 'A' && c <= 'Z', c >= '0' && c <= '9', c == '-', c == '_', c == '.', c == '~':
			b = append(b, c)
		case c == ' ':
			b = append(b, '+')
		default:
			b = append(b, '%', "0123456789ABCDEF"[c>>4], "0123456789ABCDEF"[c&15])
		}
	}
	return b
}
