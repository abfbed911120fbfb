package records

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"strconv"
	"strings"
	"time"

	"github.com/govalues/decimal"
)

// trimSpace trims ASCII spaces and tabs and a non-breaking space (as Excel
// sometimes leaves) from both ends.
func trimSpace(b []byte) []byte {
	for len(b) > 0 {
		switch {
		case b[0] == ' ' || b[0] == '\t':
			b = b[1:]
		case len(b) >= 2 && b[0] == 0xC2 && b[1] == 0xA0:
			b = b[2:]
		default:
			goto right
		}
	}
right:
	for len(b) > 0 {
		n := len(b)
		switch {
		case b[n-1] == ' ' || b[n-1] == '\t':
			b = b[:n-1]
		case n >= 2 && b[n-2] == 0xC2 && b[n-1] == 0xA0:
			b = b[:n-2]
		default:
			return b
		}
	}
	return b
}

// allBlank reports whether every field is empty after trimSpace.
func allBlank(fields [][]byte) bool {
	for _, f := range fields {
		if len(trimSpace(f)) > 0 {
			return false
		}
	}
	return true
}

// parseAmount parses an exact decimal amount: optional sign, digits, optional
// '.' and digits. With decimalComma a single ',' (and no '.') is the decimal
// separator. Exponents, thousands separators, currency symbols and more than
// 19 significant digits are rejected. The reason never quotes the value.
func parseAmount(s []byte, decimalComma bool) (decimal.Decimal, string) {
	var buf [40]byte
	if decimalComma && bytes.IndexByte(s, ',') >= 0 && bytes.IndexByte(s, '.') < 0 {
		if len(s) > len(buf) {
			return decimal.Decimal{}, "is not a decimal number"
		}
		n := copy(buf[:], s)
		for i := 0; i < n; i++ {
			if buf[i] == ',' {
				buf[i] = '.'
			}
		}
		s = buf[:n]
	}
	i := 0
	if i < len(s) && (s[i] == '-' || s[i] == '+') {
		i++
	}
	digits, sig, frac := 0, 0, 0
	dot := false
	for ; i < len(s); i++ {
		c := s[i]
		switch {
		case c >= '0' && c <= '9':
			digits++
			if sig > 0 || c != '0' || dot {
				sig++
			}
			if dot {
				frac++
			}
		case c == '.' && !dot:
			dot = true
		default:
			return decimal.Decimal{}, "is not a decimal number (use digits with '.' as the decimal separator, no thousands separators or currency symbols)"
		}
	}
	if digits == 0 {
		return decimal.Decimal{}, "is not a decimal number"
	}
	if sig > decimal.MaxPrec || frac > decimal.MaxScale {
		return decimal.Decimal{}, "has more than 19 significant digits"
	}
	d, err := decimal.Parse(string(s))
	if err != nil {
		return decimal.Decimal{}, "is not a decimal number"
	}
	return d, ""
}

// addExact adds without any rounding; ok is false on overflow.
func addExact(a, b decimal.Decimal) (decimal.Decimal, bool) {
	sc := max(a.Scale(), b.Scale())
	s, err := a.AddExact(b, sc)
	return s, err == nil
}

// parseCount parses a non-negative whole number (quantity, clicks, …).
// A fractional part of zeros ("2.0") is accepted.
func parseCount(s []byte, decimalComma bool) (int64, string) {
	d, reason := parseAmount(s, decimalComma)
	if reason != "" {
		return 0, "is not a whole number"
	}
	if d.IsNeg() {
		return 0, "is negative"
	}
	if !d.IsInt() {
		return 0, "is not a whole number"
	}
	w, _, ok := d.Int64(0)
	if !ok {
		return 0, "is too large"
	}
	return w, ""
}

// ParseTime accepts RFC 3339 (with Z or an offset), YYYY-MM-DD,
// "YYYY-MM-DD HH:MM[:SS[.fff]]" and the same with 'T', optionally followed by
// Z, UTC, or an offset written ±HH, ±HHMM or ±HH:MM, with or without a space
// before it (Shopify writes "2024-03-05 14:22:11 +0100"). A time without a
// zone is UTC.
func ParseTime(s []byte) (time.Time, bool) {
	if len(s) < 10 || s[4] != '-' || s[7] != '-' {
		return time.Time{}, false
	}
	y, ok1 := atoiN(s[0:4])
	mo, ok2 := atoiN(s[5:7])
	d, ok3 := atoiN(s[8:10])
	if !ok1 || !ok2 || !ok3 || mo < 1 || mo > 12 || d < 1 || d > daysIn(time.Month(mo), y) {
		return time.Time{}, false
	}
	if len(s) == 10 {
		return time.Date(y, time.Month(mo), d, 0, 0, 0, 0, time.UTC), true
	}
	if s[10] != ' ' && s[10] != 'T' && s[10] != 't' {
		return time.Time{}, false
	}
	r := s[11:]
	if len(r) < 5 || r[2] != ':' {
		return time.Time{}, false
	}
	hh, ok1 := atoiN(r[0:2])
	mm, ok2 := atoiN(r[3:5])
	if !ok1 || !ok2 || hh > 23 || mm > 59 {
		return time.Time{}, false
	}
	r = r[5:]
	ss, ns := 0, 0
	if len(r) >= 3 && r[0] == ':' {
		var ok bool
		ss, ok = atoiN(r[1:3])
		if !ok || ss > 59 {
			return time.Time{}, false
		}
		r = r[3:]
		if len(r) >= 2 && (r[0] == '.' || r[0] == ',') {
			j := 1
			for j < len(r) && r[j] >= '0' && r[j] <= '9' {
				j++
			}
			if j == 1 || j > 10 {
				return time.Time{}, false
			}
			f, _ := atoiN(r[1:j])
			for k := j - 1; k < 9; k++ {
				f *= 10
			}
			ns = f
			r = r[j:]
		}
	}
	if len(r) > 0 && r[0] == ' ' {
		r = r[1:]
	}
	off := 0
	switch {
	case len(r) == 0, string(r) == "Z", string(r) == "z", string(r) == "UTC", string(r) == "GMT":
	case r[0] == '+' || r[0] == '-':
		var oh, om int
		var ok bool
		switch {
		case len(r) == 3:
			oh, ok = atoiN(r[1:3])
		case len(r) == 5:
			oh, ok = atoiN(r[1:3])
			if ok {
				om, ok = atoiN(r[3:5])
			}
		case len(r) == 6 && r[3] == ':':
			oh, ok = atoiN(r[1:3])
			if ok {
				om, ok = atoiN(r[4:6])
			}
		}
		if !ok || oh > 23 || om > 59 {
			return time.Time{}, false
		}
		off = oh*3600 + om*60
		if r[0] == '-' {
			off = -off
		}
	default:
		return time.Time{}, false
	}
	t := time.Date(y, time.Month(mo), d, hh, mm, ss, ns, time.UTC)
	return t.Add(-time.Duration(off) * time.Second), true
}

// parseDate accepts YYYY-MM-DD only.
func parseDate(s []byte) (time.Time, bool) {
	if len(s) != 10 {
		return time.Time{}, false
	}
	return ParseTime(s)
}

func atoiN(b []byte) (int, bool) {
	n := 0
	for _, c := range b {
		if c < '0' || c > '9' {
			return 0, false
		}
		n = n*10 + int(c-'0')
	}
	return n, true
}

func daysIn(m time.Month, y int) int {
	switch m {
	case time.February:
		if y%4 == 0 && (y%100 != 0 || y%400 == 0) {
			return 29
		}
		return 28
	case time.April, time.June, time.September, time.November:
		return 30
	}
	return 31
}

// appendTime appends t in UTC as RFC 3339 with as many fractional digits as
// needed.
func appendTime(b []byte, t time.Time) []byte {
	return t.UTC().AppendFormat(b, time.RFC3339Nano)
}

// normCurrency upper-cases a currency code and checks it against ISO 4217.
func normCurrency(s []byte) ([3]byte, bool) {
	var c [3]byte
	if len(s) != 3 {
		return c, false
	}
	for i := 0; i < 3; i++ {
		x := s[i]
		if x >= 'a' && x <= 'z' {
			x -= 'a' - 'A'
		}
		if x < 'A' || x > 'Z' {
			return c, false
		}
		c[i] = x
	}
	_, ok := isoCurrencies[string(c[:])]
	return c, ok
}

// isoCurrencies holds the ISO 4217 alphabetic codes accepted as currencies:
// the current list plus a few recently withdrawn codes that appear in
// historical order data (HRK, LTL, LVL, EEK, SKK, SLL, ZWL, VEF, MRO, STD).
var isoCurrencies = func() map[string]struct{} {
	const codes = "AED AFN ALL AMD ANG AOA ARS AUD AWG AZN BAM BBD BDT BGN BHD BIF BMD BND BOB BOV " +
		"BRL BSD BTN BWP BYN BZD CAD CDF CHE CHF CHW CLF CLP CNY COP COU CRC CUC CUP CVE CZK DJF " +
		"DKK DOP DZD EGP ERN ETB EUR FJD FKP GBP GEL GHS GIP GMD GNF GTQ GYD HKD HNL HTG HUF IDR " +
		"ILS INR IQD IRR ISK JMD JOD JPY KES KGS KHR KMF KPW KRW KWD KYD KZT LAK LBP LKR LRD LSL " +
		"LYD MAD MDL MGA MKD MMK MNT MOP MRU MUR MVR MWK MXN MXV MYR MZN NAD NGN NIO NOK NPR NZD " +
		"OMR PAB PEN PGK PHP PKR PLN PYG QAR RON RSD RUB RWF SAR SBD SCR SDG SEK SGD SHP SLE SOS " +
		"SRD SSP STN SVC SYP SZL THB TJS TMT TND TOP TRY TTD TWD TZS UAH UGX USD USN UYI UYU UYW " +
		"UZS VED VES VND VUV WST XAF XCD XCG XDR XOF XPF YER ZAR ZMW ZWG " +
		"HRK LTL LVL EEK SKK SLL ZWL VEF MRO STD"
	m := make(map[string]struct{})
	for _, c := range strings.Fields(codes) {
		m[c] = struct{}{}
	}
	return m
}()

// looksLikeEmail is a deliberately loose check: something@something.
func looksLikeEmail(s []byte) bool {
	at := bytes.IndexByte(s, '@')
	return at > 0 && at < len(s)-1 && bytes.IndexByte(s[at+1:], '@') < 0 && bytes.IndexAny(s, " \t,;<>") < 0
}

// hashID returns prefix + the first 32 hex digits of SHA-256(value): a stable
// identifier that does not reveal a personal value.
func hashID(prefix string, value []byte) string {
	sum := sha256.Sum256(value)
	return prefix + hex.EncodeToString(sum[:16])
}

// normName normalises a header or mapping column name for matching:
// lower case, trimmed, runs of spaces, '-', '.', '/' become '_'.
func normName(s string) string {
	s = strings.TrimSpace(strings.TrimPrefix(s, "\ufeff"))
	var b strings.Builder
	b.Grow(len(s))
	us := false
	for _, r := range strings.ToLower(s) {
		switch r {
		case ' ', '-', '.', '/', '_', '\t':
			if !us && b.Len() > 0 {
				b.WriteByte('_')
				us = true
			}
			continue
		}
		b.WriteRune(r)
		us = false
	}
	return strings.TrimSuffix(b.String(), "_")
}

// normalize validates v (already trimmed, not empty) as typ and appends its
// normalised text to dst. The reason, when not "", completes a sentence
// "<field> <reason>" and never quotes the value.
func normalize(dst []byte, typ valType, v []byte, decComma bool) ([]byte, string) {
	switch typ {
	case vMoney, vDiscount:
		d, reason := parseAmount(v, decComma)
		if reason != "" {
			return dst, reason
		}
		if d.IsNeg() {
			if typ == vMoney {
				return dst, "is negative"
			}
			d = d.Neg()
		}
		out, _ := d.AppendText(dst)
		return out, ""
	case vCount:
		n, reason := parseCount(v, decComma)
		if reason != "" {
			return dst, reason
		}
		return strconv.AppendInt(dst, n, 10), ""
	case vTime:
		t, ok := ParseTime(v)
		if !ok {
			return dst, "is not a recognised date/time (use RFC 3339, YYYY-MM-DD or YYYY-MM-DD HH:MM:SS)"
		}
		return appendTime(dst, t), ""
	case vDate:
		if _, ok := parseDate(v); !ok {
			return dst, "is not a date in the form YYYY-MM-DD"
		}
		return append(dst, v...), ""
	case vCurrency:
		c, ok := normCurrency(v)
		if !ok {
			return dst, "is not an ISO 4217 currency code"
		}
		return append(dst, c[:]...), ""
	case vEmail:
		if !looksLikeEmail(v) {
			return dst, "is not an e-mail address"
		}
		return append(dst, v...), ""
	case vRating:
		d, reason := parseAmount(v, decComma)
		if reason != "" {
			return dst, "is not a number"
		}
		if d.Cmp(decimal.MustNew(1, 0)) < 0 || d.Cmp(decimal.MustNew(5, 0)) > 0 {
			return dst, "is outside 1–5"
		}
		out, _ := d.AppendText(dst)
		return out, ""
	}
	return append(dst, v...), ""
}
