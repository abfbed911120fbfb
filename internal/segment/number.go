package segment

import (
	"errors"
	"strconv"
	"strings"

	"github.com/govalues/decimal"
)

// parseExponent parses a number in exponent form (1.5e3, 25E-2) exactly, by
// moving the decimal point in the text instead of going through float64.
func parseExponent(s string) (decimal.Decimal, error) {
	i := strings.IndexAny(s, "eE")
	if i < 0 {
		return decimal.Decimal{}, errors.New("not a number")
	}
	exp, err := strconv.Atoi(s[i+1:])
	if err != nil || exp > 30 || exp < -30 {
		return decimal.Decimal{}, errors.New("exponent out of range")
	}
	mant := s[:i]
	neg := strings.HasPrefix(mant, "-")
	mant = strings.TrimPrefix(mant, "-")
	intPart, frac, _ := strings.Cut(mant, ".")
	digits := intPart + frac
	point := len(intPart) + exp // position of the decimal point in digits
	switch {
	case point <= 0:
		digits = "0." + strings.Repeat("0", -point) + digits
	case point >= len(digits):
		digits += strings.Repeat("0", point-len(digits))
	default:
		digits = digits[:point] + "." + digits[point:]
	}
	if neg {
		digits = "-" + digits
	}
	return decimal.Parse(digits)
}
