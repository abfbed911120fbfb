package audience

import (
	"strconv"
	"strings"

	"github.com/govalues/decimal"
	"github.com/valyala/fastjson"
)

// propKind is what a property path leads to in an event's properties.
type propKind uint8

const (
	propMissing propKind = iota // absent, JSON null, or properties not an object
	propString
	propNumber // a JSON number that is comparable (see jsonNumber)
	propBadNumber
	propBool
	propArray
	propObject
)

// lookupProp follows path through nested objects, as DuckDB's
// json_extract does with '$."a"."b"': only objects are descended (a
// segment "0" is a key, never an array index), and of duplicate keys the
// first wins.
func lookupProp(root *fastjson.Value, path []string) *fastjson.Value {
	v := root
	for _, k := range path {
		if v == nil || v.Type() != fastjson.TypeObject {
			return nil
		}
		o, _ := v.Object()
		// Visit, not Get: Get may find a later plain "key" before an earlier
		// escaped "k\u0065y", and DuckDB takes the first after unescaping.
		var found *fastjson.Value
		o.Visit(func(key []byte, x *fastjson.Value) {
			if found == nil && string(key) == k {
				found = x
			}
		})
		v = found
	}
	return v
}

func kindOf(v *fastjson.Value) propKind {
	if v == nil {
		return propMissing
	}
	switch v.Type() {
	case fastjson.TypeString:
		return propString
	case fastjson.TypeNumber:
		return propNumber
	case fastjson.TypeTrue, fastjson.TypeFalse:
		return propBool
	case fastjson.TypeArray:
		return propArray
	case fastjson.TypeObject:
		return propObject
	}
	return propMissing
}

// jsonNumber gives the exact value the SQL side compares for a JSON number
// whose source text is raw, and whether it is comparable at all.
//
// DuckDB reads a JSON integer as a 64-bit integer, or keeps its digits when
// it does not fit, and any other number as an IEEE double written back in
// its shortest round-trip form; the SQL then casts that text to
// DECIMAL(38,19). This function does the same: integers exactly, other
// numbers through float64 and the shortest decimal that reads back as the
// same float64, rounded half away from zero to 19 decimal places as
// DuckDB's cast rounds; more than 19 integer digits, or an infinite value,
// is not comparable (the cast fails, and the SQL's TRY_CAST gives NULL).
// Money with up to 15 significant digits, which is all real money, is
// therefore compared exactly as written.
func jsonNumber(raw string) (decimal.Decimal, bool) {
	if raw == "" {
		return decimal.Decimal{}, false
	}
	if !strings.ContainsAny(raw, ".eE") {
		digits := strings.TrimLeft(strings.TrimPrefix(raw, "-"), "0")
		if len(digits) > decimal.MaxPrec {
			return decimal.Decimal{}, false
		}
		d, err := decimal.Parse(raw)
		return d, err == nil
	}
	f, err := strconv.ParseFloat(raw, 64)
	if err != nil {
		return decimal.Decimal{}, false // ±Inf, or not a number at all
	}
	s := strconv.FormatFloat(f, 'f', -1, 64)
	neg := strings.HasPrefix(s, "-")
	s = strings.TrimPrefix(s, "-")
	intPart, frac, _ := strings.Cut(s, ".")
	if len(strings.TrimLeft(intPart, "0")) > decimal.MaxPrec {
		return decimal.Decimal{}, false
	}
	if len(frac) > decimal.MaxScale {
		up := frac[decimal.MaxScale] >= '5'
		frac = frac[:decimal.MaxScale]
		if up {
			intPart, frac = increment(intPart, frac)
		}
	}
	frac = strings.TrimRight(frac, "0")
	text := intPart
	if frac != "" {
		text += "." + frac
	}
	if neg {
		text = "-" + text
	}
	d, err := decimal.Parse(text)
	return d, err == nil
}

// increment adds one unit in the last place of intPart.frac, carrying.
func increment(intPart, frac string) (string, string) {
	b := []byte(intPart + frac)
	i := len(b) - 1
	for ; i >= 0; i-- {
		if b[i] == '9' {
			b[i] = '0'
			continue
		}
		b[i]++
		break
	}
	if i < 0 {
		b = append([]byte{'1'}, b...)
	}
	n := len(b) - len(frac)
	return string(b[:n]), string(b[n:])
}
