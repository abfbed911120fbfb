package audit

import (
	"regexp"
	"strings"
	"unicode/utf8"
)

// MaskEmail masks an email address so that a person reading the audit log
// can tell two addresses apart roughly ("j***@e***.com" is not
// "m***@g***.com") without learning either: the first character of the local
// part, the first character of the domain name and the top-level domain are
// kept. "jane.doe@example.com" becomes "j***@e***.com". A string that is
// not an email address becomes "***"; the empty string stays empty.
func MaskEmail(s string) string {
	if s == "" {
		return ""
	}
	at := strings.LastIndexByte(s, '@')
	if at <= 0 || at == len(s)-1 {
		return "***"
	}
	local, domain := s[:at], s[at+1:]
	name, tld := domain, ""
	if dot := strings.LastIndexByte(domain, '.'); dot > 0 {
		name, tld = domain[:dot], domain[dot:]
	}
	return firstRune(local) + "***@" + firstRune(name) + "***" + tld
}

// MaskPhone masks a phone number down to its last two digits, keeping a
// leading '+' so that the reader still sees it was an international number:
// "+44 20 7946 0958" becomes "+***58". Two digits are enough to tell numbers
// apart in an investigation and too few to call anyone. A string with fewer
// than seven digits is not a plausible phone number and becomes "***"; the
// empty string stays empty.
func MaskPhone(s string) string {
	if s == "" {
		return ""
	}
	var last [2]byte
	n := 0
	for i := 0; i < len(s); i++ {
		if isDigit(s[i]) {
			last[0], last[1] = last[1], s[i]
			n++
		}
	}
	if n < 7 {
		return "***"
	}
	prefix := ""
	if strings.HasPrefix(strings.TrimSpace(s), "+") {
		prefix = "+"
	}
	return prefix + "***" + string(last[:])
}

// emailPattern finds email addresses in free text. It is deliberately broad
// in the local part: a false positive costs a few characters of audit
// detail, a false negative leaks an address.
var emailPattern = regexp.MustCompile(`[A-Za-z0-9._%+\-]+@[A-Za-z0-9\-]+(?:\.[A-Za-z0-9\-]+)*\.[A-Za-z]{2,}`)

// ScrubString masks every email address and phone number found in free
// text, leaving the rest as it is: "refund for jane@example.com, +1 415 555
// 2671" becomes "refund for j***@e***.com, +***71". Append applies it to
// Target and to every string and key in Detail.
//
// It is a safety net, not a guarantee: callers are expected to pass masked
// details. Email addresses are found by pattern. Phone numbers are found by
// heuristics chosen so that identifiers, amounts, dates, times and IP
// addresses are left alone:
//
//   - '+' and 7 to 15 digits, with spaces, '-', '.', '(' or ')' between
//     them: an international number;
//   - 9 to 12 digits in at least two groups of two or more digits separated
//     by spaces, '-', '(' or ')' (or by '.' at least twice): a national
//     number such as "(415) 555-2671" or "020 7946 0958", unless it reads
//     as a date ("2024-05-01 …"), is followed by ':' (a time) or is four
//     dot-separated groups of at most three digits (an IPv4 address);
//   - an unbroken run of 11 digits starting with 13–19 (a mainland China
//     mobile number) or of 10 or 11 digits starting with 0 (a national
//     number with its trunk prefix).
//
// A number that is part of a longer ASCII word ("a456-426614174000",
// "id12345678") is never taken for a phone number. ScrubString is idempotent: masked
// values are not masked again.
func ScrubString(s string) string {
	if s == "" {
		return s
	}
	if strings.IndexByte(s, '@') >= 0 {
		s = emailPattern.ReplaceAllStringFunc(s, MaskEmail)
	}
	return scrubPhones(s)
}

// scrubPhones replaces the phone numbers ScrubString describes.
func scrubPhones(s string) string {
	var b strings.Builder
	copied := 0 // s[:copied] is already in b
	for i := 0; i < len(s); {
		c := s[i]
		if !(c == '+' || c == '(' || isDigit(c)) {
			i++
			continue
		}
		if i > 0 && isWordByte(s[i-1]) {
			// Inside a word or number: skip the rest of this token.
			i = skipToken(s, i)
			continue
		}
		end, ok := phoneAt(s, i)
		if !ok {
			i = skipToken(s, i)
			continue
		}
		if b.Len() == 0 {
			b.Grow(len(s))
		}
		b.WriteString(s[copied:i])
		b.WriteString(MaskPhone(s[i:end]))
		copied, i = end, end
	}
	if copied == 0 {
		return s
	}
	b.WriteString(s[copied:])
	return b.String()
}

// skipToken returns the index after the run of digits, letters and phone
// separators that starts at i, so that a rejected candidate is not tried
// again from each of its digits.
func skipToken(s string, i int) int {
	i++
	for i < len(s) && (isWordByte(s[i]) || isPhoneSep(s[i])) {
		i++
	}
	return i
}

// phoneAt reports whether a phone number (as ScrubString defines it) starts
// at s[i], and where it ends.
func phoneAt(s string, i int) (end int, ok bool) {
	start := i
	plus := s[i] == '+'
	if plus {
		i++
		if i >= len(s) || !(isDigit(s[i]) || s[i] == '(') {
			return 0, false
		}
	}
	var groups []int // digits per group
	var seps []byte  // the separators seen, in order (one per gap)
	digits := 0
	run := 0 // consecutive separator bytes
	lastDigit := -1
	for i < len(s) {
		c := s[i]
		switch {
		case isDigit(c):
			if len(groups) == 0 || run > 0 {
				groups = append(groups, 0)
			}
			groups[len(groups)-1]++
			digits++
			run = 0
			lastDigit = i
		case isPhoneSep(c):
			run++
			if run > 2 {
				goto done
			}
			if run == 1 && len(groups) > 0 {
				seps = append(seps, c)
			}
		default:
			goto done
		}
		i++
	}
done:
	if lastDigit < 0 {
		return 0, false
	}
	end = lastDigit + 1 // trailing separators are not part of the number
	if end < len(s) && isWordByte(s[end]) {
		return 0, false
	}
	if next := nextNonSpace(s, end); next == ':' {
		return 0, false // a time of day such as "2024-05-01 10:30"
	}
	if plus {
		return end, digits >= 7 && digits <= 15
	}
	text := s[start:end]
	if len(groups) == 1 {
		g := text
		if digits == 11 && g[0] == '1' && g[1] >= '3' && g[1] <= '9' {
			return end, true
		}
		if (digits == 10 || digits == 11) && g[0] == '0' {
			return end, true
		}
		return 0, false
	}
	if digits < 9 || digits > 12 {
		return 0, false
	}
	for _, g := range groups {
		if g < 2 {
			return 0, false
		}
	}
	dots := 0
	for _, c := range seps {
		if c == '.' {
			dots++
		}
	}
	if dots > 0 && dots < 2 {
		return 0, false // a decimal number such as "1234567.89"
	}
	if dots == len(seps) && len(groups) == 4 && groups[0] <= 3 && groups[1] <= 3 && groups[2] <= 3 && groups[3] <= 3 {
		return 0, false // an IPv4 address
	}
	if len(groups) >= 3 && groups[0] == 4 && groups[1] == 2 && groups[2] == 2 && (text[:2] == "19" || text[:2] == "20") {
		return 0, false // a date
	}
	return end, true
}

// nextNonSpace returns the first byte at or after i that is not a space, or
// 0 at the end of s.
func nextNonSpace(s string, i int) byte {
	for i < len(s) && s[i] == ' ' {
		i++
	}
	if i < len(s) {
		return s[i]
	}
	return 0
}

func isDigit(c byte) bool { return c >= '0' && c <= '9' }

func isPhoneSep(c byte) bool { return c == ' ' || c == '-' || c == '.' || c == '(' || c == ')' }

// isWordByte reports whether c continues an identifier-like token: an ASCII
// letter, digit or underscore. Non-ASCII text is not a word byte, because
// Chinese and Japanese text glue numbers to words ("手机13812345678") and
// those numbers must still be found.
func isWordByte(c byte) bool {
	return isDigit(c) || c == '_' || (c|0x20 >= 'a' && c|0x20 <= 'z')
}

// firstRune returns the first character of s, or "" for an empty s.
func firstRune(s string) string {
	_, n := utf8.DecodeRuneInString(s)
	return s[:n]
}
