package demo

import (
	"strconv"

	"github.com/tradewind/tradewind/internal/jsonw"
)

// Messages are written with jsonw, not encoding/json, because a few
// million of them must render in seconds and the key order must be fixed
// for byte-identical output. The helpers here write the demo's own value
// formats: money in a currency's minor units and Unix-millisecond times.

// header writes the members every message starts with: type, messageId
// (message seq of stream, see ids.messageID) and timestamp.
func (g *gen) header(w *jsonw.Writer, typ string, stream, seq uint32, ms int64) {
	w.Key("type").String(typ)
	var id [36]byte
	w.Key("messageId").StringBytes(g.ids.messageID(id[:0], stream, seq))
	putTime(w, "timestamp", ms)
}

// putMoney writes the member k: minor units v of currency c as an exact
// decimal number.
func putMoney(w *jsonw.Writer, k string, v int64, c *currency) {
	var tmp [24]byte
	w.Key(k).Number(appendMoney(tmp[:0], v, c.exp))
}

// putTime writes the member k: Unix milliseconds ms as an RFC 3339 string.
func putTime(w *jsonw.Writer, k string, ms int64) {
	var tmp [32]byte
	w.Key(k).StringBytes(appendTime(tmp[:0], ms))
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
