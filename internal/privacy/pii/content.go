package pii

import "bytes"

// Content rules: whatever a field is called, a string that is an email
// address, an international phone number, a payment card number or an IBAN
// is High. Each check rejects ordinary values on their first bytes, so they
// cost next to nothing on strings that are none of these; none allocates.

// contentKind tells what a string is by its content alone: KindEmail,
// KindPhone, KindPII (card number, IBAN) or "" (nothing personal).
// digitsToo is false for identifier-like fields, whose digit strings are
// order numbers and barcodes far more often than card numbers.
func contentKind(s []byte, digitsToo bool) string {
	s = trimSpace(s)
	if len(s) < 6 {
		return ""
	}
	switch c := s[0]; {
	case c == '+':
		if isIntlPhone(s) {
			return KindPhone
		}
	case digitsToo && isDigit(c):
		if isCardNumber(s) {
			return KindPII
		}
	case digitsToo && (isUpper(c) || isLower(c)) && isIBAN(s):
		return KindPII
	}
	if indexByte(s, '@') >= 0 {
		if _, ok := emailAddress(s); ok {
			return KindEmail
		}
	}
	return ""
}

func trimSpace(s []byte) []byte {
	for len(s) > 0 && (s[0] == ' ' || s[0] == '\t' || s[0] == '\n' || s[0] == '\r') {
		s = s[1:]
	}
	for len(s) > 0 && (s[len(s)-1] == ' ' || s[len(s)-1] == '\t' || s[len(s)-1] == '\n' || s[len(s)-1] == '\r') {
		s = s[:len(s)-1]
	}
	return s
}

func indexByte(s []byte, c byte) int { return bytes.IndexByte(s, c) }

// emailAddress returns the address of s if s is an email address, or a
// display form "Jane Doe <jane@example.com>". It is deliberately strict in
// shape (one "@", a dotted domain, an alphabetic top-level domain) so that
// handles ("@jane"), version strings ("v1@2.3") and git remotes are not
// addresses, and it refuses image file names ("logo@2x.png"), which look
// exactly like addresses.
func emailAddress(s []byte) ([]byte, bool) {
	s = trimSpace(s)
	if n := len(s); n > 0 && s[n-1] == '>' {
		lt := -1
		for i := n - 2; i >= 0; i-- {
			if s[i] == '<' {
				lt = i
				break
			}
		}
		if lt < 0 {
			return nil, false
		}
		s = s[lt+1 : n-1]
	}
	if len(s) < 6 || len(s) > 254 {
		return nil, false
	}
	at := -1
	for i, c := range s {
		if c == '@' {
			if at >= 0 {
				return nil, false
			}
			at = i
		}
	}
	if at < 1 || at > 64 {
		return nil, false
	}
	local, domain := s[:at], s[at+1:]
	if local[0] == '.' || local[len(local)-1] == '.' {
		return nil, false
	}
	for i, c := range local {
		switch {
		case isLower(c), isUpper(c), isDigit(c), c >= 0x80:
		case c == '.':
			if local[i-1] == '.' {
				return nil, false
			}
		default:
			if !isAtext(c) {
				return nil, false
			}
		}
	}
	if n := len(domain); n > 0 && domain[n-1] == '.' {
		domain = domain[:n-1] // a fully qualified name
	}
	labels, start := 0, 0
	for i := 0; i <= len(domain); i++ {
		if i < len(domain) && domain[i] != '.' {
			c := domain[i]
			if !isLower(c) && !isUpper(c) && !isDigit(c) && c != '-' && c < 0x80 {
				return nil, false
			}
			continue
		}
		label := domain[start:i]
		if len(label) == 0 || len(label) > 63 || label[0] == '-' || label[len(label)-1] == '-' {
			return nil, false
		}
		labels++
		start = i + 1
	}
	if labels < 2 || !isTLD(domain) {
		return nil, false
	}
	return s, true
}

// isTLD checks the last label of domain: two or more letters, a punycode
// label, or another script; not an image file extension.
func isTLD(domain []byte) bool {
	dot := len(domain) - 1
	for dot >= 0 && domain[dot] != '.' {
		dot--
	}
	tld := domain[dot+1:]
	if len(tld) < 2 {
		return false
	}
	if len(tld) > 4 && (tld[0] == 'x' || tld[0] == 'X') && (tld[1] == 'n' || tld[1] == 'N') && tld[2] == '-' && tld[3] == '-' {
		return true
	}
	for _, c := range tld {
		if !isLower(c) && !isUpper(c) && c < 0x80 {
			return false
		}
	}
	var low [5]byte
	if len(tld) <= len(low) {
		for i, c := range tld {
			if isUpper(c) {
				c += 'a' - 'A'
			}
			low[i] = c
		}
		switch string(low[:len(tld)]) {
		case "png", "jpg", "jpeg", "gif", "webp", "svg", "bmp", "ico", "tif", "tiff", "avif", "heic":
			return false
		}
	}
	return true
}

// isAtext reports the RFC 5322 atext punctuation allowed in a local part.
func isAtext(c byte) bool {
	switch c {
	case '!', '#', '$', '%', '&', '\'', '*', '+', '/', '=', '?', '^', '_', '`', '{', '|', '}', '~', '-':
		return true
	}
	return false
}

// isIntlPhone reports whether s is a phone number in international format:
// "+", then 8 to 15 digits (E.164 allows at most 15), the first not 0 (no
// country code starts with 0), with spaces, dashes, dots or parentheses
// between them. A lone dot is a decimal point ("+1234567.89"), not a
// separator.
func isIntlPhone(s []byte) bool {
	if len(s) < 9 || len(s) > 32 || s[0] != '+' {
		return false
	}
	digits, dots := 0, 0
	for _, c := range s[1:] {
		switch {
		case isDigit(c):
			if digits == 0 && c == '0' {
				return false
			}
			digits++
		case c == '.':
			dots++
		case c == ' ' || c == '-' || c == '(' || c == ')':
		default:
			return false
		}
	}
	return digits >= 8 && digits <= 15 && dots != 1
}

// isCardNumber reports whether s is a payment card number: digits, possibly
// grouped with spaces or dashes, whose issuer prefix and length match a card
// scheme and whose Luhn check digit is right.
//
// The scheme table is what keeps order numbers, barcodes and timestamps out:
// epoch times start with 1, no scheme does; EAN-13/JAN barcodes (13 digits,
// often starting 40–49) would pass a bare 13–19-digit Luhn test one time in
// ten, so 13-digit numbers are not accepted at all (Visa stopped issuing
// them decades ago), and 12–15-digit lengths only for Amex (15) and Diners
// Club International (14).
func isCardNumber(s []byte) bool {
	if len(s) < 14 || len(s) > 19+6 {
		return false
	}
	var d [19]byte
	n := 0
	for i, c := range s {
		switch {
		case isDigit(c):
			if n == len(d) {
				return false
			}
			d[n] = c - '0'
			n++
		case c == ' ' || c == '-':
			if i == 0 || i == len(s)-1 || !isDigit(s[i-1]) {
				return false
			}
		default:
			return false
		}
	}
	if n < 14 || !cardScheme(d[:n]) {
		return false
	}
	return luhn(d[:n])
}

// cardScheme checks the issuer identification number against the schemes'
// prefixes and lengths.
func cardScheme(d []byte) bool {
	n := len(d)
	p2 := int(d[0])*10 + int(d[1])
	p3 := p2*10 + int(d[2])
	p4 := p3*10 + int(d[3])
	long := n >= 16 // 16–19 digits
	switch {
	case d[0] == 4: // Visa
		return n == 16 || n == 19
	case p2 >= 51 && p2 <= 55, p4 >= 2221 && p4 <= 2720: // Mastercard
		return n == 16
	case p2 == 34 || p2 == 37: // American Express
		return n == 15
	case p2 == 36: // Diners Club International
		return n == 14 || long
	case p3 >= 300 && p3 <= 305, p2 == 38, p2 == 39: // Diners Club
		return long
	case p4 >= 3528 && p4 <= 3589: // JCB
		return long
	case p4 >= 2200 && p4 <= 2204: // Mir
		return long
	case d[0] == 6: // Discover, UnionPay, RuPay, Maestro, Troy
		return long
	case p2 == 50, p2 >= 56 && p2 <= 58: // Maestro
		return long
	}
	return false
}

// luhn checks the Luhn (mod 10) check digit of d, one digit per byte.
func luhn(d []byte) bool {
	sum := 0
	double := false
	for i := len(d) - 1; i >= 0; i-- {
		x := int(d[i])
		if double {
			x *= 2
			if x > 9 {
				x -= 9
			}
		}
		sum += x
		double = !double
	}
	return sum%10 == 0
}

// ibanLengths is the length of an IBAN per country (SWIFT IBAN registry),
// indexed by the country code's letters.
var ibanLengths = func() (t [26 * 26]uint8) {
	for cc, n := range map[string]uint8{
		"AD": 24, "AE": 23, "AL": 28, "AT": 20, "AZ": 28, "BA": 20, "BE": 16, "BG": 22, "BH": 22, "BI": 27,
		"BR": 29, "BY": 28, "CH": 21, "CR": 22, "CY": 28, "CZ": 24, "DE": 22, "DJ": 27, "DK": 18, "DO": 28,
		"EE": 20, "EG": 29, "ES": 24, "FI": 18, "FK": 18, "FO": 18, "FR": 27, "GB": 22, "GE": 22, "GI": 23,
		"GL": 18, "GR": 27, "GT": 28, "HN": 28, "HR": 21, "HU": 28, "IE": 22, "IL": 23, "IQ": 23, "IS": 26,
		"IT": 27, "JO": 30, "KW": 30, "KZ": 20, "LB": 28, "LC": 32, "LI": 21, "LT": 20, "LU": 20, "LV": 21,
		"LY": 25, "MC": 27, "MD": 24, "ME": 22, "MK": 19, "MN": 20, "MR": 27, "MT": 31, "MU": 30, "NI": 28,
		"NL": 18, "NO": 15, "OM": 23, "PK": 24, "PL": 28, "PS": 29, "PT": 25, "QA": 29, "RO": 24, "RS": 22,
		"RU": 33, "SA": 24, "SC": 31, "SD": 18, "SE": 24, "SI": 19, "SK": 24, "SM": 27, "SO": 23, "ST": 25,
		"SV": 28, "TL": 23, "TN": 24, "TR": 26, "UA": 29, "VA": 22, "VG": 24, "XK": 20, "YE": 30,
	} {
		t[int(cc[0]-'A')*26+int(cc[1]-'A')] = n
	}
	return t
}()

// isIBAN reports whether s is an IBAN: a registered country code, two check
// digits, the country's length (spaces between groups allowed), and a
// correct ISO 7064 mod-97 checksum.
func isIBAN(s []byte) bool {
	if len(s) < 15 || len(s) > 34+8 {
		return false
	}
	upper := func(c byte) byte {
		if isLower(c) {
			return c - ('a' - 'A')
		}
		return c
	}
	c0, c1 := upper(s[0]), upper(s[1])
	if !isUpper(c0) || !isUpper(c1) || !isDigit(s[2]) || !isDigit(s[3]) {
		return false
	}
	want := int(ibanLengths[int(c0-'A')*26+int(c1-'A')])
	if want == 0 {
		return false
	}
	var b [34]byte
	n := 0
	for i, c := range s {
		if c == ' ' {
			if i == len(s)-1 || s[i-1] == ' ' {
				return false
			}
			continue
		}
		c = upper(c)
		if !isUpper(c) && !isDigit(c) {
			return false
		}
		if n == want {
			return false
		}
		b[n] = c
		n++
	}
	if n != want {
		return false
	}
	// Move the first four characters to the end; letters count as 10–35.
	rem := 0
	for i := 0; i < n; i++ {
		c := b[(i+4)%n]
		if isDigit(c) {
			rem = (rem*10 + int(c-'0')) % 97
		} else {
			rem = (rem*100 + int(c-'A') + 10) % 97
		}
	}
	return rem == 1
}
