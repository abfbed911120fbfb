package pii

import (
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/nyaruka/phonenumbers"
)

// Erased is what DecryptJSON and MaskJSON show for a value whose key was
// destroyed.
const Erased = "[erased]"

// Mask shows a decrypted value of a kind to someone who may know that it
// exists and roughly what it is, but not the value (an API role without the
// PII permission): enough to tell two values apart in a list, too little to
// contact or identify anyone.
//
//   - email: first character of the local part and of the domain, and the
//     top-level domain: "jane.doe@example.com" → "j***@e***.com";
//   - phone: country code, the digit count in two groups and the last three
//     digits: "+447700900123" → "+44 ***** **123";
//   - anything else (names, addresses, ids): the first character:
//     "Jane" → "J***".
//
// The empty string stays empty; a value too short to mask is all stars.
func Mask(kind, plaintext string) string {
	if plaintext == "" {
		return ""
	}
	switch kind {
	case KindEmail:
		if addr, ok := emailAddress([]byte(plaintext)); ok {
			return maskEmail(string(addr))
		}
	case KindPhone:
		return maskPhone(plaintext)
	}
	r, n := utf8.DecodeRuneInString(plaintext)
	if n == len(plaintext) || r == utf8.RuneError {
		return "***"
	}
	return plaintext[:n] + "***"
}

func maskEmail(a string) string {
	at := strings.LastIndexByte(a, '@')
	local, domain := a[:at], a[at+1:]
	dot := strings.LastIndexByte(domain, '.')
	return firstRune(local) + "***@" + firstRune(domain[:dot]) + "***" + domain[dot:]
}

func firstRune(s string) string {
	_, n := utf8.DecodeRuneInString(s)
	return s[:n]
}

func maskPhone(p string) string {
	if num, err := phonenumbers.Parse(p, "ZZ"); err == nil {
		nsn := phonenumbers.GetNationalSignificantNumber(num)
		if len(nsn) >= 5 {
			return "+" + strconv.Itoa(int(num.GetCountryCode())) + " " + maskDigits(nsn)
		}
	}
	var d []byte
	for i := 0; i < len(p); i++ {
		if isDigit(p[i]) {
			d = append(d, p[i])
		}
	}
	if len(d) < 5 {
		return "***"
	}
	return maskDigits(string(d))
}

// maskDigits stars all but the last three digits, in two groups.
func maskDigits(d string) string {
	n := len(d)
	head := n / 2
	return strings.Repeat("*", head) + " " + strings.Repeat("*", n-head-3) + d[n-3:]
}
