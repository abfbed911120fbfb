package pii

import (
	"strings"

	"github.com/nyaruka/phonenumbers"
)

// NormalizeEmail returns the canonical form of an email address for blind
// indexing, and false if s is not an email address. It trims space, takes
// the address out of a display form ("Jane <jane@example.com>"), lower-cases
// the whole address (no provider treats local parts case-sensitively, though
// the RFC allows it) and drops a trailing dot of the domain. Then, for the
// providers known to deliver variants of an address to the same mailbox:
//
//   - gmail.com and googlemail.com: dots in the local part are ignored, a
//     "+tag" is dropped, and googlemail.com becomes gmail.com;
//   - Outlook/Hotmail/Live/MSN, iCloud (icloud.com, me.com, mac.com),
//     Fastmail, Proton and Yandex: a "+tag" is dropped. Dots are kept:
//     these providers treat them as part of the name.
//
// Yahoo is left alone on purpose: its disposable addresses
// ("base-keyword@yahoo.com") hang off a separately chosen base name, not the
// account's address, so stripping "-keyword" would produce an address that
// is someone else's or nobody's. me.com and mac.com are not mapped to
// icloud.com, because only older accounts have all three. Other domains
// keep their "+" and dots: for an unknown provider they may be significant.
// Internationalised domains are compared as written (lower-cased), not
// converted to punycode.
//
// Search by email is an exact match on this form: two spellings that
// normalise differently are different identifiers.
func NormalizeEmail(s string) (string, bool) {
	addr, ok := emailAddress([]byte(s))
	if !ok {
		return "", false
	}
	a := strings.ToLower(string(addr))
	at := strings.LastIndexByte(a, '@')
	local, domain := a[:at], strings.TrimSuffix(a[at+1:], ".")
	switch domain {
	case "gmail.com", "googlemail.com":
		domain = "gmail.com"
		local = dropTag(local)
		local = strings.ReplaceAll(local, ".", "")
		if local == "" {
			return "", false
		}
	default:
		if plusTagDomains[domain] {
			local = dropTag(local)
		}
	}
	return local + "@" + domain, true
}

// dropTag removes a "+tag" from a local part, unless nothing would be left.
func dropTag(local string) string {
	if i := strings.IndexByte(local, '+'); i > 0 {
		return local[:i]
	}
	return local
}

// plusTagDomains are the providers (besides Gmail) that deliver
// "name+tag@" to "name@".
var plusTagDomains = map[string]bool{
	"outlook.com": true, "hotmail.com": true, "live.com": true, "msn.com": true,
	"outlook.fr": true, "outlook.de": true, "outlook.jp": true, "outlook.es": true, "outlook.it": true,
	"hotmail.co.uk": true, "hotmail.fr": true, "hotmail.de": true, "hotmail.it": true, "hotmail.es": true,
	"live.co.uk": true, "live.fr": true, "live.de": true, "live.nl": true,
	"icloud.com": true, "me.com": true, "mac.com": true,
	"fastmail.com": true, "fastmail.fm": true,
	"protonmail.com": true, "proton.me": true, "pm.me": true,
	"yandex.ru": true, "yandex.com": true,
}

// NormalizePhone returns a phone number in E.164 form ("+447700900123") for
// blind indexing, and false if s is not a phone number. A number without a
// country code is read as a number of defaultRegion (ISO 3166-1 alpha-2,
// such as "GB"; "" accepts international numbers only). A number is
// accepted when its length is possible for its country; it need not fall in
// a range the numbering plan has already allocated, since the library's
// plan lags the real one and a number in a newly opened range still deserves
// protection. Search by phone is an exact match on this form.
func NormalizePhone(s, defaultRegion string) (string, bool) {
	s = strings.TrimSpace(s)
	if s == "" || len(s) > 64 {
		return "", false
	}
	region := strings.ToUpper(strings.TrimSpace(defaultRegion))
	if region == "" {
		region = "ZZ"
	}
	num, err := phonenumbers.Parse(s, region)
	if err != nil || !phonenumbers.IsPossibleNumber(num) {
		return "", false
	}
	return phonenumbers.Format(num, phonenumbers.E164), true
}
