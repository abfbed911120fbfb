package audience

import (
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/tradewind/tradewind/internal/jsonw"
)

// SyntaxError is a mistake in the text form: where (byte offset, and line
// and column counted in characters from 1) and what was expected.
type SyntaxError struct {
	Offset int
	Line   int
	Column int
	Msg    string
}

// Error returns "line:column: message".
func (e *SyntaxError) Error() string {
	return fmt.Sprintf("%d:%d: %s", e.Line, e.Column, e.Msg)
}

type tokKind uint8

const (
	tEOF tokKind = iota
	tIdent
	tString
	tNumber
	tDuration // 90d: a window
	tRelTime  // -30d: a time relative to the clock
	tOp       // = != > >= < <=
	tLParen
	tRParen
	tLBrack
	tRBrack
	tComma
	tDot
)

type token struct {
	kind tokKind
	text string // source text; for tString the decoded string
	pos  int
}

// keywords are reserved in the text form; an attribute or property with
// one of these names is written as a quoted string. They are matched
// without regard to case.
var keywords = map[string]bool{
	"and": true, "or": true, "not": true, "in": true, "segment": true,
	"event": true, "page": true, "screen": true, "where": true, "count": true,
	"within": true, "between": true, "contains": true, "starts_with": true,
	"exists": true, "true": true, "false": true,
}

type parser struct {
	src  string
	toks []token
	i    int
}

// ParseText reads a rule in the text form (grammar in the package
// documentation). Errors give the line and column and say what was
// expected.
func ParseText(src string) (Rule, error) {
	p := &parser{src: src}
	if err := p.lex(); err != nil {
		return nil, err
	}
	r, err := p.parseOr()
	if err != nil {
		return nil, err
	}
	if t := p.peek(); t.kind != tEOF {
		return nil, p.errAt(t, "expected and, or or the end of the rule, found %s", describe(t))
	}
	return r, nil
}

func (p *parser) errAt(t token, format string, args ...any) error {
	return p.errPos(t.pos, fmt.Sprintf(format, args...))
}

func (p *parser) errPos(pos int, msg string) error {
	line, col := 1, 1
	for _, r := range p.src[:pos] {
		if r == '\n' {
			line++
			col = 1
		} else {
			col++
		}
	}
	return &SyntaxError{Offset: pos, Line: line, Column: col, Msg: msg}
}

func describe(t token) string {
	switch t.kind {
	case tEOF:
		return "the end of the rule"
	case tString:
		return "the string " + string(jsonw.AppendString(nil, t.text))
	case tIdent:
		if keywords[strings.ToLower(t.text)] {
			return "the keyword " + strconv.Quote(strings.ToLower(t.text))
		}
		return "the name " + strconv.Quote(t.text)
	case tNumber:
		return "the number " + t.text
	case tDuration, tRelTime:
		return "the duration " + t.text
	}
	return strconv.Quote(t.text)
}

func isIdentStart(c byte) bool {
	return c == '_' || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z')
}

func isIdentChar(c byte) bool { return isIdentStart(c) || (c >= '0' && c <= '9') }

func isDigit(c byte) bool { return c >= '0' && c <= '9' }

func isUnit(c byte) bool { return c == 's' || c == 'm' || c == 'h' || c == 'd' || c == 'w' }

func (p *parser) lex() error {
	s := p.src
	if !utf8.ValidString(s) {
		for i := 0; i < len(s); {
			r, size := utf8.DecodeRuneInString(s[i:])
			if r == utf8.RuneError && size == 1 {
				return p.errPos(i, "invalid UTF-8")
			}
			i += size
		}
	}
	for i := 0; i < len(s); {
		c := s[i]
		switch {
		case c == ' ' || c == '\t' || c == '\n' || c == '\r':
			i++
		case c == '(':
			p.toks = append(p.toks, token{tLParen, "(", i})
			i++
		case c == ')':
			p.toks = append(p.toks, token{tRParen, ")", i})
			i++
		case c == '[':
			p.toks = append(p.toks, token{tLBrack, "[", i})
			i++
		case c == ']':
			p.toks = append(p.toks, token{tRBrack, "]", i})
			i++
		case c == ',':
			p.toks = append(p.toks, token{tComma, ",", i})
			i++
		case c == '.':
			p.toks = append(p.toks, token{tDot, ".", i})
			i++
		case c == '=':
			p.toks = append(p.toks, token{tOp, "=", i})
			i++
		case c == '!':
			if i+1 < len(s) && s[i+1] == '=' {
				p.toks = append(p.toks, token{tOp, "!=", i})
				i += 2
			} else {
				return p.errPos(i, `unexpected "!" (did you mean "!=" or "not"?)`)
			}
		case c == '<' || c == '>':
			if i+1 < len(s) && s[i+1] == '=' {
				p.toks = append(p.toks, token{tOp, s[i : i+2], i})
				i += 2
			} else {
				p.toks = append(p.toks, token{tOp, s[i : i+1], i})
				i++
			}
		case c == '"':
			j := i + 1
			for j < len(s) && s[j] != '"' {
				if s[j] == '\\' {
					j++
				}
				j++
			}
			if j >= len(s) {
				return p.errPos(i, "string not closed: expected a closing \"")
			}
			var str string
			if err := json.Unmarshal([]byte(s[i:j+1]), &str); err != nil {
				return p.errPos(i, "invalid string: escapes are those of JSON (\\\", \\\\, \\n, \\t, \\uXXXX), and control characters must be escaped")
			}
			p.toks = append(p.toks, token{tString, str, i})
			i = j + 1
		case isDigit(c) || ((c == '-' || c == '+') && i+1 < len(s) && isDigit(s[i+1])):
			t, n, err := p.lexNumber(i)
			if err != nil {
				return err
			}
			p.toks = append(p.toks, t)
			i = n
		case isIdentStart(c):
			j := i
			for j < len(s) && isIdentChar(s[j]) {
				j++
			}
			p.toks = append(p.toks, token{tIdent, s[i:j], i})
			i = j
		default:
			r, _ := utf8.DecodeRuneInString(s[i:])
			return p.errPos(i, fmt.Sprintf("unexpected character %q", r))
		}
	}
	p.toks = append(p.toks, token{tEOF, "", len(s)})
	return nil
}

// lexNumber reads a number (JSON syntax), a duration (90d) or a relative
// time (-30d, +7d).
func (p *parser) lexNumber(i int) (token, int, error) {
	s := p.src
	j := i
	signed := s[j] == '-' || s[j] == '+'
	if signed {
		j++
	}
	for j < len(s) && isDigit(s[j]) {
		j++
	}
	if j < len(s) && isUnit(s[j]) && (j+1 == len(s) || !isIdentChar(s[j+1])) {
		if signed {
			return token{tRelTime, s[i : j+1], i}, j + 1, nil
		}
		return token{tDuration, s[i : j+1], i}, j + 1, nil
	}
	if s[i] == '+' {
		return token{}, 0, p.errPos(i, "a number has no + sign; a relative time needs a unit, as in +7d")
	}
	if j < len(s) && s[j] == '.' {
		j++
		if j >= len(s) || !isDigit(s[j]) {
			return token{}, 0, p.errPos(j, "expected digits after the decimal point")
		}
		for j < len(s) && isDigit(s[j]) {
			j++
		}
	}
	if j < len(s) && (s[j] == 'e' || s[j] == 'E') {
		j++
		if j < len(s) && (s[j] == '+' || s[j] == '-') {
			j++
		}
		if j >= len(s) || !isDigit(s[j]) {
			return token{}, 0, p.errPos(j, "expected digits in the exponent")
		}
		for j < len(s) && isDigit(s[j]) {
			j++
		}
	}
	if j < len(s) && isIdentChar(s[j]) {
		return token{}, 0, p.errPos(j, fmt.Sprintf("unexpected %q after the number %s (durations end in s, m, h, d or w, as in 90d)", s[j], s[i:j]))
	}
	return token{tNumber, s[i:j], i}, j, nil
}

func (p *parser) peek() token { return p.toks[p.i] }

func (p *parser) next() token {
	t := p.toks[p.i]
	if t.kind != tEOF {
		p.i++
	}
	return t
}

// isKw reports whether t is the keyword kw.
func isKw(t token, kw string) bool {
	return t.kind == tIdent && strings.EqualFold(t.text, kw)
}

func (p *parser) acceptKw(kw string) bool {
	if isKw(p.peek(), kw) {
		p.i++
		return true
	}
	return false
}

func (p *parser) parseOr() (Rule, error) {
	first, err := p.parseAnd()
	if err != nil {
		return nil, err
	}
	kids := []Rule{first}
	for p.acceptKw("or") {
		r, err := p.parseAnd()
		if err != nil {
			return nil, err
		}
		kids = append(kids, r)
	}
	if len(kids) == 1 {
		return first, nil
	}
	return Or(kids), nil
}

func (p *parser) parseAnd() (Rule, error) {
	first, err := p.parseUnary()
	if err != nil {
		return nil, err
	}
	kids := []Rule{first}
	for p.acceptKw("and") {
		r, err := p.parseUnary()
		if err != nil {
			return nil, err
		}
		kids = append(kids, r)
	}
	if len(kids) == 1 {
		return first, nil
	}
	return And(kids), nil
}

func (p *parser) parseUnary() (Rule, error) {
	if p.acceptKw("not") {
		r, err := p.parseUnary()
		if err != nil {
			return nil, err
		}
		return Not{Rule: r}, nil
	}
	return p.parsePrimary()
}

func (p *parser) parsePrimary() (Rule, error) {
	t := p.peek()
	switch {
	case t.kind == tLParen:
		p.next()
		r, err := p.parseOr()
		if err != nil {
			return nil, err
		}
		if c := p.next(); c.kind != tRParen {
			return nil, p.errAt(c, "expected ) to close the ( at %s, found %s", p.where(t), describe(c))
		}
		return r, nil
	case isKw(t, "in"):
		p.next()
		if s := p.next(); !isKw(s, "segment") {
			return nil, p.errAt(s, `expected "segment" after "in" (as in: in segment "vip"), found %s`, describe(s))
		}
		id := p.next()
		if id.kind != tString {
			return nil, p.errAt(id, "expected the segment id as a quoted string, found %s", describe(id))
		}
		return InSegment{ID: id.text}, nil
	case isKw(t, "event"):
		p.next()
		name := p.next()
		if name.kind != tString {
			return nil, p.errAt(name, `expected the event name as a quoted string (as in: event "Order Completed"), found %s`, describe(name))
		}
		if name.text == "" {
			return nil, p.errAt(name, "the event name is empty")
		}
		return p.parseEventTail(EventCond{Type: EventTrack, Name: name.text})
	case isKw(t, "page"), isKw(t, "screen"):
		p.next()
		ev := EventCond{Type: strings.ToLower(t.text)}
		if n := p.peek(); n.kind == tString {
			p.next()
			ev.Name = n.text
		}
		return p.parseEventTail(ev)
	case t.kind == tString || (t.kind == tIdent && !keywords[strings.ToLower(t.text)]):
		p.next()
		op, val, err := p.parseTest(t.text)
		if err != nil {
			return nil, err
		}
		return TraitCond{Attr: t.text, Op: op, Value: val}, nil
	}
	return nil, p.errAt(t, `expected a condition (an attribute comparison, event, page, screen, in segment, not or "("), found %s`, describe(t))
}

func (p *parser) where(t token) string {
	e := p.errPos(t.pos, "").(*SyntaxError)
	return fmt.Sprintf("%d:%d", e.Line, e.Column)
}

func (p *parser) parseEventTail(ev EventCond) (Rule, error) {
	ev.Count = CountCond{Op: OpGte, Value: 1}
	seen := map[string]bool{}
	for {
		t := p.peek()
		kw := ""
		for _, k := range []string{"where", "count", "within"} {
			if isKw(t, k) {
				kw = k
			}
		}
		if kw == "" {
			return ev, nil
		}
		if seen[kw] {
			return nil, p.errAt(t, "%s given twice for one event", kw)
		}
		seen[kw] = true
		p.next()
		switch kw {
		case "where":
			for {
				pt := p.next()
				path, err := p.parseProperty(pt)
				if err != nil {
					return nil, err
				}
				op, val, err := p.parseTest(path)
				if err != nil {
					return nil, err
				}
				ev.Where = append(ev.Where, PropCond{Property: path, Op: op, Value: val})
				if p.peek().kind != tComma {
					break
				}
				p.next()
			}
		case "count":
			c, err := p.parseCount()
			if err != nil {
				return nil, err
			}
			ev.Count = c
		case "within":
			d := p.next()
			if d.kind != tDuration {
				return nil, p.errAt(d, "expected a duration after within, such as 90d, 12h or 2w, found %s", describe(d))
			}
			dur, err := parseDuration(d.text)
			if err != nil {
				return nil, p.errAt(d, "%s", err.Error())
			}
			if dur == 0 {
				return nil, p.errAt(d, "a window must be longer than zero")
			}
			ev.Within = dur
		}
	}
}

// parseProperty reads a property path: names joined by dots, or one quoted
// string for names that are not plain identifiers.
func (p *parser) parseProperty(t token) (string, error) {
	if t.kind == tString {
		return t.text, nil
	}
	if t.kind != tIdent || keywords[strings.ToLower(t.text)] {
		return "", p.errAt(t, "expected a property name after where (quote names that are keywords or have spaces), found %s", describe(t))
	}
	path := t.text
	for p.peek().kind == tDot {
		p.next()
		n := p.next()
		if n.kind != tIdent {
			return "", p.errAt(n, "expected a property name after the dot, found %s", describe(n))
		}
		path += "." + n.text
	}
	return path, nil
}

func (p *parser) parseCount() (CountCond, error) {
	t := p.next()
	var c CountCond
	switch {
	case isKw(t, "between"):
		lo, err := p.parseInt()
		if err != nil {
			return c, err
		}
		if a := p.next(); !isKw(a, "and") {
			return c, p.errAt(a, "expected and between the two counts, found %s", describe(a))
		}
		hi, err := p.parseInt()
		if err != nil {
			return c, err
		}
		c = CountCond{Op: OpBetween, Value: lo, Upper: hi}
	case t.kind == tOp:
		n, err := p.parseInt()
		if err != nil {
			return c, err
		}
		c = CountCond{Op: opFromSymbol[t.text], Value: n}
	default:
		return c, p.errAt(t, "expected a comparison after count (=, !=, >, >=, <, <= or between), found %s", describe(t))
	}
	if err := checkCount(c); err != nil {
		return c, p.errAt(t, "%s", err.Error())
	}
	return c, nil
}

func (p *parser) parseInt() (int64, error) {
	t := p.next()
	if t.kind != tNumber {
		return 0, p.errAt(t, "expected a whole number, found %s", describe(t))
	}
	n, err := strconv.ParseInt(t.text, 10, 64)
	if err != nil || n < 0 || n > maxCount {
		return 0, p.errAt(t, "expected a whole number from 0 to %d, found %s", maxCount, t.text)
	}
	return n, nil
}

var opFromSymbol = map[string]Op{"=": OpEq, "!=": OpNe, ">": OpGt, ">=": OpGte, "<": OpLt, "<=": OpLte}

var symbolFromOp = map[Op]string{OpEq: "=", OpNe: "!=", OpGt: ">", OpGte: ">=", OpLt: "<", OpLte: "<="}

// parseTest reads the operator and value after an attribute or property.
func (p *parser) parseTest(subject string) (Op, Literal, error) {
	t := p.next()
	switch {
	case t.kind == tOp:
		v, err := p.parseValue()
		return opFromSymbol[t.text], v, err
	case isKw(t, "contains"):
		v, err := p.parseValue()
		return OpContains, v, err
	case isKw(t, "starts_with"):
		v, err := p.parseValue()
		return OpStartsWith, v, err
	case isKw(t, "exists"):
		return OpExists, Literal{}, nil
	case isKw(t, "in"):
		v, err := p.parseList()
		return OpIn, v, err
	case isKw(t, "between"):
		lo, err := p.parseValue()
		if err != nil {
			return "", Literal{}, err
		}
		if a := p.next(); !isKw(a, "and") {
			return "", Literal{}, p.errAt(a, "expected and between the two bounds, found %s", describe(a))
		}
		hi, err := p.parseValue()
		return OpBetween, ListLit(lo, hi), err
	case isKw(t, "not"):
		n := p.next()
		if isKw(n, "in") {
			v, err := p.parseList()
			return OpNotIn, v, err
		}
		if isKw(n, "exists") {
			return OpNotExists, Literal{}, nil
		}
		return "", Literal{}, p.errAt(n, `expected "in" or "exists" after "not", found %s`, describe(n))
	}
	return "", Literal{}, p.errAt(t, "expected an operator after %s (=, !=, >, >=, <, <=, in, not in, between, contains, starts_with, exists or not exists), found %s",
		string(jsonw.AppendString(nil, subject)), describe(t))
}

func (p *parser) parseList() (Literal, error) {
	t := p.next()
	if t.kind != tLBrack {
		return Literal{}, p.errAt(t, `expected a list in brackets, as in ["DE", "AT"], found %s`, describe(t))
	}
	var items []Literal
	for {
		v, err := p.parseValue()
		if err != nil {
			return Literal{}, err
		}
		items = append(items, v)
		c := p.next()
		if c.kind == tRBrack {
			return ListLit(items...), nil
		}
		if c.kind != tComma {
			return Literal{}, p.errAt(c, "expected , or ] in the list, found %s", describe(c))
		}
	}
}

func (p *parser) parseValue() (Literal, error) {
	t := p.next()
	switch {
	case t.kind == tString:
		return StringLit(t.text), nil
	case t.kind == tRelTime:
		return StringLit(t.text), nil
	case t.kind == tNumber:
		d, err := parseNumber(t.text)
		if err != nil {
			return Literal{}, p.errAt(t, "%s", err.Error())
		}
		return NumberLit(d), nil
	case isKw(t, "true"):
		return BoolLit(true), nil
	case isKw(t, "false"):
		return BoolLit(false), nil
	case t.kind == tDuration:
		return Literal{}, p.errAt(t, "a relative time needs a sign: -%s for %s ago, +%s for %s ahead", t.text, t.text, t.text, t.text)
	case t.kind == tLBrack:
		return Literal{}, p.errAt(t, "a list is only a value for in and not in")
	}
	return Literal{}, p.errAt(t, `expected a value (a "string", a number, true, false or a relative time such as -30d), found %s`, describe(t))
}

// Format writes a rule in the canonical text form: keywords in lower case,
// parentheses only where the tree needs them, the default count left out.
// ParseText of the result gives an equal tree.
func Format(r Rule) string {
	var b strings.Builder
	formatRule(&b, r)
	return b.String()
}

func formatRule(b *strings.Builder, r Rule) {
	switch r := r.(type) {
	case Or:
		for i, k := range r {
			if i > 0 {
				b.WriteString(" or ")
			}
			_, isOr := k.(Or)
			formatParen(b, k, isOr)
		}
	case And:
		for i, k := range r {
			if i > 0 {
				b.WriteString(" and ")
			}
			formatParen(b, k, isCompound(k))
		}
	case Not:
		b.WriteString("not ")
		formatParen(b, r.Rule, isCompound(r.Rule))
	case InSegment:
		b.WriteString("in segment ")
		b.Write(jsonw.AppendString(nil, r.ID))
	case TraitCond:
		b.WriteString(formatName(r.Attr, false))
		formatTest(b, r.Op, r.Value)
	case EventCond:
		switch r.Type {
		case EventPage, EventScreen:
			b.WriteString(r.Type)
			if r.Name != "" {
				b.WriteByte(' ')
				b.Write(jsonw.AppendString(nil, r.Name))
			}
		default:
			b.WriteString("event ")
			b.Write(jsonw.AppendString(nil, r.Name))
		}
		for i, w := range r.Where {
			if i == 0 {
				b.WriteString(" where ")
			} else {
				b.WriteString(", ")
			}
			b.WriteString(formatName(w.Property, true))
			formatTest(b, w.Op, w.Value)
		}
		if c := normCount(r.Count); c != (CountCond{Op: OpGte, Value: 1}) {
			b.WriteString(" count ")
			if c.Op == OpBetween {
				fmt.Fprintf(b, "between %d and %d", c.Value, c.Upper)
			} else {
				fmt.Fprintf(b, "%s %d", symbolFromOp[c.Op], c.Value)
			}
		}
		if r.Within != 0 {
			b.WriteString(" within ")
			b.WriteString(formatDuration(r.Within))
		}
	default:
		b.WriteString("<nil>")
	}
}

func isCompound(r Rule) bool {
	switch r.(type) {
	case And, Or:
		return true
	}
	return false
}

func formatParen(b *strings.Builder, r Rule, paren bool) {
	if paren {
		b.WriteByte('(')
	}
	formatRule(b, r)
	if paren {
		b.WriteByte(')')
	}
}

func isIdent(s string) bool {
	if s == "" || !isIdentStart(s[0]) {
		return false
	}
	for i := 1; i < len(s); i++ {
		if !isIdentChar(s[i]) {
			return false
		}
	}
	return !keywords[strings.ToLower(s)]
}

// formatName writes an attribute or property name bare when it can be read
// back bare, quoted otherwise.
func formatName(s string, dotted bool) string {
	if dotted {
		parts := strings.Split(s, ".")
		ok := true
		for _, p := range parts {
			ok = ok && isIdent(p)
		}
		if ok {
			return s
		}
	} else if isIdent(s) {
		return s
	}
	return string(jsonw.AppendString(nil, s))
}

func formatTest(b *strings.Builder, op Op, v Literal) {
	switch op {
	case OpExists:
		b.WriteString(" exists")
		return
	case OpNotExists:
		b.WriteString(" not exists")
		return
	case OpIn:
		b.WriteString(" in ")
	case OpNotIn:
		b.WriteString(" not in ")
	case OpContains:
		b.WriteString(" contains ")
	case OpStartsWith:
		b.WriteString(" starts_with ")
	case OpBetween:
		b.WriteString(" between ")
		if v.Kind == LitList && len(v.List) == 2 {
			formatLit(b, v.List[0])
			b.WriteString(" and ")
			formatLit(b, v.List[1])
			return
		}
	default:
		if s, ok := symbolFromOp[op]; ok {
			b.WriteString(" " + s + " ")
		} else {
			b.WriteString(" " + string(op) + " ")
		}
	}
	formatLit(b, v)
}

// isRelTime reports whether s is written like a relative time (-30d), which
// the text form prints without quotes.
func isRelTime(s string) bool {
	if len(s) < 3 || (s[0] != '-' && s[0] != '+') || !isUnit(s[len(s)-1]) {
		return false
	}
	for i := 1; i < len(s)-1; i++ {
		if !isDigit(s[i]) {
			return false
		}
	}
	return true
}

func formatLit(b *strings.Builder, v Literal) {
	switch v.Kind {
	case LitString:
		if isRelTime(v.Str) {
			b.WriteString(v.Str)
		} else {
			b.Write(jsonw.AppendString(nil, v.Str))
		}
	case LitNumber:
		b.WriteString(v.Num.String())
	case LitBool:
		b.WriteString(strconv.FormatBool(v.Bool))
	case LitList:
		b.WriteByte('[')
		for i, e := range v.List {
			if i > 0 {
				b.WriteString(", ")
			}
			formatLit(b, e)
		}
		b.WriteByte(']')
	default:
		b.WriteString("null")
	}
}
