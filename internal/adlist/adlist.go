// Package adlist writes audience files for ad platforms' customer-list
// uploads (Meta custom audiences from a customer list, Google Ads Customer
// Match): each person's e-mail address and phone number normalised the way
// the platform normalises its own users' data, then SHA-256 hashed, so the
// platform can match them without tradewind handing over the plain values.
//
// Normalisation decides the match rate: the platform compares hashes, and a
// hash of "Jane@Example.com " matches nothing. The rules below follow each
// platform's published guidance, as read when this was written:
//
//   - Meta (Business Help Centre "How to format a customer list", Marketing
//     API "Hashing and normalizing data"): column headers email, phone,
//     country; e-mail trimmed and lower-cased; phone digits only with the
//     country code, no "+", no leading zeros; country as a lower-case ISO
//     3166-1 alpha-2 code; all three SHA-256 hashed.
//   - Google Ads Customer Match ("Format your customer data file"): column
//     headers in English, "Email" and "Phone"; e-mail lower-cased with
//     surrounding spaces removed; phone in E.164 *with* the "+" before
//     hashing; SHA-256. Google's own Customer Match rules do not remove dots
//     from gmail.com addresses: that step appears in Google's enhanced
//     conversions and Campaign Manager 360 guides, not in Customer Match, so
//     it is not applied (a dot-stripped hash would match nothing there).
//     "Country" is only used by Google together with First Name, Last Name
//     and Zip for address matching, which needs names tradewind does not
//     export, so the Google file has no Country column; a row's country is
//     used only to read its phone number.
//
// Neither platform asks for "+tag" removal, so addresses are not rewritten
// beyond case and spaces (unlike privacy/pii's blind-index form, which folds
// Gmail variants together on purpose).
package adlist

import (
	"crypto/sha256"
	"encoding/csv"
	"encoding/hex"
	"fmt"
	"io"
	"strings"
	"unicode"

	"github.com/nyaruka/phonenumbers"
)

// Row is one person to export. Country is an ISO 3166-1 alpha-2 code; it is
// the region a phone number without a country code is read in, and Meta's
// country column.
type Row struct {
	Email   string
	Phone   string
	Country string
}

// Counts says how many rows a writer wrote and how many it skipped because
// they had neither a usable e-mail address nor a usable phone number.
type Counts struct {
	Written int
	Skipped int
}

// Hash returns the lower-case hex SHA-256 of s, the form both platforms take.
func Hash(s string) string {
	sum := sha256.Sum256([]byte(s))
	return hex.EncodeToString(sum[:])
}

// NormalizeEmail trims s and lower-cases it, which is what Meta and Google
// Customer Match both ask for, and reports false when the result is not
// plausibly an address (one '@', a local part, a dotted domain, no spaces or
// control characters). It does not strip dots or "+tags": see the package
// comment.
func NormalizeEmail(s string) (string, bool) {
	e := strings.ToLower(strings.TrimSpace(s))
	if e == "" || len(e) > 254 {
		return "", false
	}
	at := strings.IndexByte(e, '@')
	if at <= 0 || at != strings.LastIndexByte(e, '@') {
		return "", false
	}
	domain := e[at+1:]
	if !strings.Contains(domain, ".") || strings.HasPrefix(domain, ".") || strings.HasSuffix(domain, ".") || strings.Contains(domain, "..") {
		return "", false
	}
	for _, r := range e {
		if unicode.IsSpace(r) || unicode.IsControl(r) || strings.ContainsRune(`<>(),;:"[]\`, r) {
			return "", false
		}
	}
	return e, true
}

// NormalizePhone parses raw as a phone number, reading a number without a
// country code as one of defaultRegion (ISO 3166-1 alpha-2; "" accepts only
// numbers written with "+"), and returns it in E.164 ("+8613800138000").
// Unlike identity matching, the number must be valid for its country, not
// merely of a possible length: read in the wrong region, a number can turn
// into a stranger's valid-looking one, and an ad audience should rather lose
// a row than target someone else.
func NormalizePhone(raw, defaultRegion string) (string, bool) {
	raw = strings.TrimSpace(raw)
	if raw == "" || len(raw) > 64 {
		return "", false
	}
	region := strings.ToUpper(strings.TrimSpace(defaultRegion))
	if region == "" {
		region = "ZZ"
	}
	num, err := phonenumbers.Parse(raw, region)
	if err != nil || !phonenumbers.IsValidNumber(num) {
		return "", false
	}
	return phonenumbers.Format(num, phonenumbers.E164), true
}

// MetaPhone turns an E.164 number into Meta's form: the digits with the
// country code and without the "+".
func MetaPhone(e164 string) string { return strings.TrimPrefix(e164, "+") }

// NormalizeCountry returns s as a lower-case ISO 3166-1 alpha-2 code, the form
// Meta hashes, and false when s is not two ASCII letters.
func NormalizeCountry(s string) (string, bool) {
	c := strings.ToLower(strings.TrimSpace(s))
	if len(c) != 2 || c[0] < 'a' || c[0] > 'z' || c[1] < 'a' || c[1] > 'z' {
		return "", false
	}
	return c, true
}

// normalized is one row's usable values; empty strings for unusable ones.
type normalized struct {
	email, phone, country string
}

func normalize(r Row) (normalized, bool) {
	var n normalized
	n.email, _ = NormalizeEmail(r.Email)
	country, hasCountry := NormalizeCountry(r.Country)
	if r.Phone != "" {
		n.phone, _ = NormalizePhone(r.Phone, strings.ToUpper(country))
	}
	if hasCountry {
		n.country = country
	} else if n.phone != "" {
		// A number with its country code tells us the country.
		if num, err := phonenumbers.Parse(n.phone, "ZZ"); err == nil {
			if rc := phonenumbers.GetRegionCodeForNumber(num); rc != "" && rc != "ZZ" && rc != "001" {
				n.country = strings.ToLower(rc)
			}
		}
	}
	return n, n.email != "" || n.phone != ""
}

// hashOrEmpty hashes s, leaving an empty cell empty: a hash of "" would be a
// value that matches nothing and looks like data.
func hashOrEmpty(s string) string {
	if s == "" {
		return ""
	}
	return Hash(s)
}

// WriteMeta writes rows as a Meta customer-list CSV with the headers email,
// phone and country, every value normalised and hashed. Rows with neither a
// usable e-mail address nor a usable phone number are skipped (a country
// alone matches no one). Errors name the row number, never its values.
func WriteMeta(w io.Writer, rows []Row) (Counts, error) {
	return write(w, []string{"email", "phone", "country"}, rows, func(n normalized) []string {
		phone := ""
		if n.phone != "" {
			phone = Hash(MetaPhone(n.phone))
		}
		return []string{hashOrEmpty(n.email), phone, hashOrEmpty(n.country)}
	})
}

// WriteGoogle writes rows as a Google Ads Customer Match CSV with the headers
// Email and Phone, the e-mail address lower-cased and the phone number in
// E.164 with its "+" before hashing. Rows with neither are skipped.
func WriteGoogle(w io.Writer, rows []Row) (Counts, error) {
	return write(w, []string{"Email", "Phone"}, rows, func(n normalized) []string {
		return []string{hashOrEmpty(n.email), hashOrEmpty(n.phone)}
	})
}

func write(w io.Writer, header []string, rows []Row, cells func(normalized) []string) (Counts, error) {
	var c Counts
	cw := csv.NewWriter(w)
	if err := cw.Write(header); err != nil {
		return c, fmt.Errorf("audience file header: %w", err)
	}
	for i, r := range rows {
		n, ok := normalize(r)
		if !ok {
			c.Skipped++
			continue
		}
		if err := cw.Write(cells(n)); err != nil {
			return c, fmt.Errorf("audience file row %d: %w", i+1, err)
		}
		c.Written++
	}
	cw.Flush()
	if err := cw.Error(); err != nil {
		return c, fmt.Errorf("audience file: %w", err)
	}
	return c, nil
}
