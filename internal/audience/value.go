package audience

import (
	"time"

	"github.com/govalues/decimal"
)

// Type is the type of a profile attribute, as the schema declares it.
type Type uint8

// Attribute types. Number and Decimal are both compared as exact decimals;
// they differ in what the column usually holds (counts versus money), which
// matters to the SQL side only (see Tables).
const (
	String Type = iota + 1
	Number
	Decimal
	Bool
	Time
	StringList
)

// String returns the type's name as error messages use it.
func (t Type) String() string {
	switch t {
	case String:
		return "string"
	case Number:
		return "number"
	case Decimal:
		return "decimal"
	case Bool:
		return "bool"
	case Time:
		return "time"
	case StringList:
		return "string list"
	}
	return "unknown type"
}

// Schema is what the caller knows about profile attributes: their names and
// types. Rules are validated against it so that a typo or a type mismatch is
// refused when the segment is saved, not silently matched by nobody.
type Schema struct {
	Attrs map[string]Type
}

// Kind is the kind of a Value.
type Kind uint8

// Value kinds. KindNull is the zero Value: a present attribute whose value
// is null, treated exactly like a missing one.
const (
	KindNull Kind = iota
	KindString
	KindNumber
	KindBool
	KindTime
	KindList
)

// Value is an attribute value of a profile. Times are kept in microseconds
// since the Unix epoch, UTC: that is the precision of the SQL store, and
// keeping the same precision here is what makes both sides agree at the
// edges.
type Value struct {
	kind Kind
	s    string
	n    decimal.Decimal
	b    bool
	t    int64
	list []string
}

// StringValue returns a string value.
func StringValue(s string) Value { return Value{kind: KindString, s: s} }

// NumberValue returns an exact decimal value.
func NumberValue(d decimal.Decimal) Value { return Value{kind: KindNumber, n: d} }

// IntValue returns an integer value.
func IntValue(i int64) Value { return Value{kind: KindNumber, n: decimal.MustNew(i, 0)} }

// BoolValue returns a boolean value.
func BoolValue(b bool) Value { return Value{kind: KindBool, b: b} }

// TimeValue returns a time value, truncated to the microsecond.
func TimeValue(t time.Time) Value { return Value{kind: KindTime, t: t.UnixMicro()} }

// ListValue returns a list-of-strings value. The slice is kept, not copied.
func ListValue(items []string) Value { return Value{kind: KindList, list: items} }

// Kind returns the value's kind.
func (v Value) Kind() Kind { return v.kind }

// Str returns a string value ("" for other kinds).
func (v Value) Str() string { return v.s }

// Num returns a number value (zero for other kinds).
func (v Value) Num() decimal.Decimal { return v.n }

// Bool returns a boolean value (false for other kinds).
func (v Value) Bool() bool { return v.b }

// Time returns a time value in UTC (the zero time for other kinds).
func (v Value) Time() time.Time {
	if v.kind != KindTime {
		return time.Time{}
	}
	return time.UnixMicro(v.t).UTC()
}

// List returns a list value (nil for other kinds).
func (v Value) List() []string { return v.list }

// Profile gives the evaluator a profile's attributes: traits and computed
// traits, as the profile engine holds them. ok is false for an attribute
// the profile does not have.
type Profile interface {
	Attr(name string) (Value, bool)
}

// Attrs is a Profile held in a map, for tests and simple callers.
type Attrs map[string]Value

// Attr implements Profile.
func (a Attrs) Attr(name string) (Value, bool) {
	v, ok := a[name]
	return v, ok
}

// fits reports whether a value of kind k can be an attribute of type t; a
// value that does not fit is treated as missing, the way a NULL column is.
func fits(k Kind, t Type) bool {
	switch t {
	case String:
		return k == KindString
	case Number, Decimal:
		return k == KindNumber
	case Bool:
		return k == KindBool
	case Time:
		return k == KindTime
	case StringList:
		return k == KindList
	}
	return false
}
