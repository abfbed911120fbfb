package fx

import (
	"errors"
	"fmt"
)

// ErrInvalidCurrency reports a currency code that is not three ASCII letters.
var ErrInvalidCurrency = errors.New("fx: invalid currency code")

// Currency is an ISO 4217 alphabetic currency code, such as "USD".
// Functions of this package accept codes in any case.
type Currency string

// eur is the base of the ECB rates, quoted in no file because it is 1.
var eur = [3]byte{'E', 'U', 'R'}

// ParseCurrency returns s in upper case if it is three ASCII letters.
// It does not require s to be a known code, so that codes withdrawn
// (the ECB history quotes CYP, MTL …) or introduced since this package was
// written still parse; use [Currency.MinorUnits] to check a code is known.
func ParseCurrency(s string) (Currency, error) {
	k, err := Currency(s).key()
	if err != nil {
		return "", err
	}
	if s == string(k[:]) {
		return Currency(s), nil // no allocation for the usual, upper-case code
	}
	return Currency(k[:]), nil
}

// key returns c in upper case as a fixed-size map key, which, unlike a new
// string, costs no allocation.
func (c Currency) key() ([3]byte, error) {
	var k [3]byte
	if len(c) != 3 {
		return k, fmt.Errorf("%w %q", ErrInvalidCurrency, string(c))
	}
	for i := range 3 {
		b := c[i]
		if 'a' <= b && b <= 'z' {
			b -= 'a' - 'A'
		}
		if b < 'A' || 'Z' < b {
			return k, fmt.Errorf("%w %q", ErrInvalidCurrency, string(c))
		}
		k[i] = b
	}
	return k, nil
}

// MinorUnits returns the number of decimal places of the currency's minor
// unit (USD 2, JPY 0, BHD 3), and false if c is not a known ISO 4217 code or
// has no minor unit (gold, XAU). Use it to display an amount or to check
// that an amount has no more places than its currency allows.
func (c Currency) MinorUnits() (int, bool) {
	k, err := c.key()
	if err != nil {
		return 0, false
	}
	n, ok := minorUnits[string(k[:])]
	return int(n), ok
}

// minorUnits maps ISO 4217 codes to their minor units.
//
// Source: ISO 4217 "list one" (current currencies) as published by SIX, the
// standard's maintenance agency, with its amendments to 2025 (XCG, ZWG);
// cross-checked against the currency data of OpenJDK 25. It also keeps
// codes the standard has withdrawn but the ECB history still quotes (CYP,
// EEK, HRK, LTL, LVL, MTL, ROL, SIT, SKK, TRL), with the minor units OpenJDK
// records for them, so that historic amounts display correctly. Codes
// without a minor unit (XAU, XDR, XXX …) are left out.
var minorUnits = map[string]uint8{
	"AED": 2, "AFN": 2, "ALL": 2, "AMD": 2, "ANG": 2, "AOA": 2, "ARS": 2, "AUD": 2,
	"AWG": 2, "AZN": 2, "BAM": 2, "BBD": 2, "BDT": 2, "BGN": 2, "BHD": 3, "BIF": 0,
	"BMD": 2, "BND": 2, "BOB": 2, "BOV": 2, "BRL": 2, "BSD": 2, "BTN": 2, "BWP": 2,
	"BYN": 2, "BZD": 2, "CAD": 2, "CDF": 2, "CHE": 2, "CHF": 2, "CHW": 2, "CLF": 4,
	"CLP": 0, "CNY": 2, "COP": 2, "COU": 2, "CRC": 2, "CUC": 2, "CUP": 2, "CVE": 2,
	"CZK": 2, "DJF": 0, "DKK": 2, "DOP": 2, "DZD": 2, "EGP": 2, "ERN": 2, "ETB": 2,
	"EUR": 2, "FJD": 2, "FKP": 2, "GBP": 2, "GEL": 2, "GHS": 2, "GIP": 2, "GMD": 2,
	"GNF": 0, "GTQ": 2, "GYD": 2, "HKD": 2, "HNL": 2, "HTG": 2, "HUF": 2, "IDR": 2,
	"ILS": 2, "INR": 2, "IQD": 3, "IRR": 2, "ISK": 0, "JMD": 2, "JOD": 3, "JPY": 0,
	"KES": 2, "KGS": 2, "KHR": 2, "KMF": 0, "KPW": 2, "KRW": 0, "KWD": 3, "KYD": 2,
	"KZT": 2, "LAK": 2, "LBP": 2, "LKR": 2, "LRD": 2, "LSL": 2, "LYD": 3, "MAD": 2,
	"MDL": 2, "MGA": 2, "MKD": 2, "MMK": 2, "MNT": 2, "MOP": 2, "MRU": 2, "MUR": 2,
	"MVR": 2, "MWK": 2, "MXN": 2, "MXV": 2, "MYR": 2, "MZN": 2, "NAD": 2, "NGN": 2,
	"NIO": 2, "NOK": 2, "NPR": 2, "NZD": 2, "OMR": 3, "PAB": 2, "PEN": 2, "PGK": 2,
	"PHP": 2, "PKR": 2, "PLN": 2, "PYG": 0, "QAR": 2, "RON": 2, "RSD": 2, "RUB": 2,
	"RWF": 0, "SAR": 2, "SBD": 2, "SCR": 2, "SDG": 2, "SEK": 2, "SGD": 2, "SHP": 2,
	"SLE": 2, "SLL": 2, "SOS": 2, "SRD": 2, "SSP": 2, "STN": 2, "SVC": 2, "SYP": 2,
	"SZL": 2, "THB": 2, "TJS": 2, "TMT": 2, "TND": 3, "TOP": 2, "TRY": 2, "TTD": 2,
	"TWD": 2, "TZS": 2, "UAH": 2, "UGX": 0, "USD": 2, "USN": 2, "UYI": 0, "UYU": 2,
	"UYW": 4, "UZS": 2, "VED": 2, "VES": 2, "VND": 0, "VUV": 0, "WST": 2, "XAF": 0,
	"XCD": 2, "XCG": 2, "XOF": 0, "XPF": 0, "YER": 2, "ZAR": 2, "ZMW": 2, "ZWG": 2,
	"ZWL": 2,

	// Withdrawn, quoted in the ECB history.
	"CYP": 2, "EEK": 2, "HRK": 2, "LTL": 2, "LVL": 2, "MTL": 2, "ROL": 0, "SIT": 2,
	"SKK": 2, "TRL": 0,
}
