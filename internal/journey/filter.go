package journey

import (
	"encoding/json"
	"strconv"
	"strings"
	"time"

	"github.com/valyala/fastjson"

	"github.com/tradewind/tradewind/internal/sendtime"
)

// filtersHold says whether an event's properties pass every filter.
func filtersHold(fs []Filter, props []byte) bool {
	if len(fs) == 0 {
		return true
	}
	var obj map[string]any
	if len(props) > 0 {
		if fastjson.ValidateBytes(props) != nil || json.Unmarshal(props, &obj) != nil {
			return false
		}
	}
	for _, f := range fs {
		v, ok := lookup(obj, f.Property)
		if !compare(v, ok, f.Op, f.Value) {
			return false
		}
	}
	return true
}

// lookup reads a property by name or dotted path.
func lookup(obj map[string]any, path string) (any, bool) {
	if v, ok := obj[path]; ok {
		return v, true
	}
	cur := any(obj)
	for _, part := range strings.Split(path, ".") {
		m, ok := cur.(map[string]any)
		if !ok {
			return nil, false
		}
		if cur, ok = m[part]; !ok {
			return nil, false
		}
	}
	return cur, true
}

// compare applies an operator; a missing value fails every test but
// "!=" against a value.
func compare(v any, present bool, op string, want any) bool {
	if op == "exists" {
		return present && v != nil
	}
	if !present || v == nil {
		return op == "!="
	}
	if op == "contains" {
		return strings.Contains(strings.ToLower(toString(v)), strings.ToLower(toString(want)))
	}
	a, aok := toNumber(v)
	b, bok := toNumber(want)
	if aok && bok {
		switch op {
		case "=":
			return a == b
		case "!=":
			return a != b
		case ">":
			return a > b
		case ">=":
			return a >= b
		case "<":
			return a < b
		case "<=":
			return a <= b
		}
		return false
	}
	x, y := toString(v), toString(want)
	switch op {
	case "=":
		return strings.EqualFold(x, y)
	case "!=":
		return !strings.EqualFold(x, y)
	case ">":
		return x > y
	case ">=":
		return x >= y
	case "<":
		return x < y
	case "<=":
		return x <= y
	}
	return false
}

func toNumber(v any) (float64, bool) {
	switch x := v.(type) {
	case float64:
		return x, true
	case int:
		return float64(x), true
	case int64:
		return float64(x), true
	case json.Number:
		f, err := x.Float64()
		return f, err == nil
	case string:
		// Money arrives as exact decimal text.
		f, err := strconv.ParseFloat(strings.TrimSpace(x), 64)
		return f, err == nil
	}
	return 0, false
}

func toString(v any) string {
	switch x := v.(type) {
	case string:
		return x
	case nil:
		return ""
	case bool:
		return strconv.FormatBool(x)
	case float64:
		return strconv.FormatFloat(x, 'f', -1, 64)
	}
	b, _ := json.Marshal(v)
	return string(b)
}

// personZone is a person's time zone: theirs, else their country's, else UTC.
func personZone(p *Person) *time.Location {
	if p.TimeZone != "" {
		if loc, err := time.LoadLocation(p.TimeZone); err == nil {
			return loc
		}
	}
	if p.Country != "" {
		if loc := sendtime.ZoneFor(p.Country); loc != nil {
			return loc
		}
	}
	return time.UTC
}
