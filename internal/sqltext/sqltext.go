// Package sqltext writes values into the text of a DuckDB query.
//
// DuckDB pushes a comparison with a constant into the table scan — row
// groups skipped by their zone maps, a string compared once per dictionary
// entry — but evaluates a comparison with a prepared parameter row by row
// after the scan. The store's reads over millions of event rows therefore
// write their values as literals. A value a literal cannot carry (a NUL
// byte, which ends the query text at the C boundary, or invalid UTF-8)
// stays a parameter.
package sqltext

import (
	"strconv"
	"strings"
	"unicode/utf8"
)

// Query collects the parameters of one query whose values are written
// with String. The zero value is ready to use.
type Query struct {
	args []any
	idx  map[string]int
}

// String returns s as a SQL string literal (quotes doubled: the standard
// syntax of DuckDB and PostgreSQL, where a backslash is no escape), or,
// when a literal cannot carry it, as a numbered parameter ($1, $2, …;
// an equal value reuses its number) whose value Args returns.
func (q *Query) String(s string) string {
	if lit, ok := Literal(s); ok {
		return lit
	}
	if i, ok := q.idx[s]; ok {
		return "$" + strconv.Itoa(i)
	}
	if q.idx == nil {
		q.idx = map[string]int{}
	}
	q.args = append(q.args, s)
	i := len(q.args)
	q.idx[s] = i
	return "$" + strconv.Itoa(i)
}

// Args returns the parameters the query's text refers to, in number order
// (nil when every value was written as a literal).
func (q *Query) Args() []any { return q.args }

// Literal returns s as a SQL string literal, and false when a literal
// cannot carry it (a NUL byte or invalid UTF-8).
func Literal(s string) (string, bool) {
	if !utf8.ValidString(s) || strings.IndexByte(s, 0) >= 0 {
		return "", false
	}
	return "'" + strings.ReplaceAll(s, "'", "''") + "'", true
}
