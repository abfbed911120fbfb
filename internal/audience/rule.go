package audience

import (
	"time"

	"github.com/govalues/decimal"
)

// Rule is one node of a segment rule: And, Or, Not, TraitCond, EventCond or
// InSegment. The set is closed (the method is unexported) so that every
// consumer — the evaluator, the SQL compiler, the printers — can be
// exhaustive and agree on what a rule can say.
type Rule interface {
	isRule()
}

// And holds when every child holds. It has at least two children in a tree
// that ParseJSON or ParseText returned: one child is the child itself.
type And []Rule

// Or holds when at least one child holds.
type Or []Rule

// Not holds when its child does not. Conditions are two-valued (a missing
// value makes a comparison false, never "unknown"), so Not is an exact
// complement in both the Go evaluator and the SQL.
type Not struct {
	Rule Rule
}

// TraitCond compares a profile attribute (a trait or a computed trait) with
// a literal. Value is the zero Literal for exists and not_exists, a list of
// two for between and a list for in and not_in.
type TraitCond struct {
	Attr  string
	Op    Op
	Value Literal
}

// EventCond counts the profile's events of one type and name whose
// properties match Where, within a window that ends at the clock.
type EventCond struct {
	// Type is EventTrack, EventPage or EventScreen.
	Type string
	// Name is the track event's name, or the page or screen name; for
	// pages and screens "" means any.
	Name string
	// Where lists property conditions that must all hold.
	Where []PropCond
	// Count compares the number of matching events; the zero value means
	// "at least once".
	Count CountCond
	// Within is the window length, counted back from the clock: events at
	// t with now−Within < t ≤ now count. Zero means all time (t ≤ now).
	Within time.Duration
}

// InSegment holds when the profile is a member of the segment with this ID
// (evaluated at the same clock).
type InSegment struct {
	ID string
}

// PropCond compares one event property. Property is a dotted path into the
// properties object ("product.category"); the literal's kind decides how
// the property is compared (see the package documentation).
type PropCond struct {
	Property string
	Op       Op
	Value    Literal
}

// CountCond compares an event count: Count Op Value, or Value ≤ count ≤
// Upper for between.
type CountCond struct {
	Op    Op
	Value int64
	Upper int64
}

func (And) isRule()       {}
func (Or) isRule()        {}
func (Not) isRule()       {}
func (TraitCond) isRule() {}
func (EventCond) isRule() {}
func (InSegment) isRule() {}

// Event types an EventCond can count.
const (
	EventTrack  = "track"
	EventPage   = "page"
	EventScreen = "screen"
)

// Op is a comparison operator. The names are the JSON form.
type Op string

// The operators. Which apply to which attribute type is in the package
// documentation; Schema.Validate enforces it.
const (
	OpEq         Op = "eq"
	OpNe         Op = "ne"
	OpIn         Op = "in"
	OpNotIn      Op = "not_in"
	OpGt         Op = "gt"
	OpGte        Op = "gte"
	OpLt         Op = "lt"
	OpLte        Op = "lte"
	OpBetween    Op = "between"
	OpContains   Op = "contains"
	OpStartsWith Op = "starts_with"
	OpExists     Op = "exists"
	OpNotExists  Op = "not_exists"
)

// allOps lists the operators in the order error messages name them.
var allOps = []Op{OpEq, OpNe, OpIn, OpNotIn, OpGt, OpGte, OpLt, OpLte, OpBetween, OpContains, OpStartsWith, OpExists, OpNotExists}

// countOps are the operators a CountCond may use.
var countOps = []Op{OpEq, OpNe, OpGt, OpGte, OpLt, OpLte, OpBetween}

func knownOp(op Op, among []Op) bool {
	for _, o := range among {
		if o == op {
			return true
		}
	}
	return false
}

// normCount returns c with the zero value spelled out, so that "absent" and
// "count >= 1" are one tree.
func normCount(c CountCond) CountCond {
	if c.Op == "" {
		return CountCond{Op: OpGte, Value: 1}
	}
	if c.Op != OpBetween {
		c.Upper = 0
	}
	return c
}

// LitKind is the kind of a Literal.
type LitKind uint8

// Literal kinds. Times are written as strings (RFC 3339, or a relative time
// such as "-30d") and read as times where the attribute is a Time.
const (
	LitNone LitKind = iota
	LitString
	LitNumber
	LitBool
	LitList
)

// Literal is a constant in a rule: a string, an exact decimal number, a
// boolean or a list of literals.
type Literal struct {
	Kind LitKind
	Str  string
	Num  decimal.Decimal
	Bool bool
	List []Literal
}

// StringLit returns a string literal.
func StringLit(s string) Literal { return Literal{Kind: LitString, Str: s} }

// NumberLit returns a number literal.
func NumberLit(d decimal.Decimal) Literal { return Literal{Kind: LitNumber, Num: d} }

// IntLit returns an integer number literal.
func IntLit(i int64) Literal { return Literal{Kind: LitNumber, Num: decimal.MustNew(i, 0)} }

// BoolLit returns a boolean literal.
func BoolLit(b bool) Literal { return Literal{Kind: LitBool, Bool: b} }

// ListLit returns a list literal.
func ListLit(items ...Literal) Literal { return Literal{Kind: LitList, List: items} }

// Equal reports whether two rules are the same tree. Numbers are equal when
// they are written the same (19.90 and 19.9 differ as trees, though they
// compare equal as values): the tree is what the user wrote.
func Equal(a, b Rule) bool {
	switch a := a.(type) {
	case And:
		b, ok := b.(And)
		return ok && equalRules(a, b)
	case Or:
		b, ok := b.(Or)
		return ok && equalRules(a, b)
	case Not:
		b, ok := b.(Not)
		return ok && Equal(a.Rule, b.Rule)
	case TraitCond:
		b, ok := b.(TraitCond)
		return ok && a.Attr == b.Attr && a.Op == b.Op && equalLit(a.Value, b.Value)
	case EventCond:
		b, ok := b.(EventCond)
		if !ok || eventType(a.Type) != eventType(b.Type) || a.Name != b.Name || a.Within != b.Within || normCount(a.Count) != normCount(b.Count) || len(a.Where) != len(b.Where) {
			return false
		}
		for i := range a.Where {
			x, y := a.Where[i], b.Where[i]
			if x.Property != y.Property || x.Op != y.Op || !equalLit(x.Value, y.Value) {
				return false
			}
		}
		return true
	case InSegment:
		b, ok := b.(InSegment)
		return ok && a == b
	}
	return a == nil && b == nil
}

// eventType reads an empty type as track, as the compiler does.
func eventType(t string) string {
	if t == "" {
		return EventTrack
	}
	return t
}

func equalRules(a, b []Rule) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if !Equal(a[i], b[i]) {
			return false
		}
	}
	return true
}

func equalLit(a, b Literal) bool {
	if a.Kind != b.Kind {
		return false
	}
	switch a.Kind {
	case LitString:
		return a.Str == b.Str
	case LitNumber:
		return a.Num.String() == b.Num.String()
	case LitBool:
		return a.Bool == b.Bool
	case LitList:
		if len(a.List) != len(b.List) {
			return false
		}
		for i := range a.List {
			if !equalLit(a.List[i], b.List[i]) {
				return false
			}
		}
	}
	return true
}

// Segment is a named rule. ID is what InSegment refers to and what
// memberships are keyed by; Version is the caller's revision counter, kept
// so that messages about membership can say which definition decided it.
type Segment struct {
	ID      string
	Name    string
	Rule    Rule
	Version int
}
