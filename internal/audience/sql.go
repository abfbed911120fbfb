package audience

import (
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/govalues/decimal"
	"github.com/tradewind/tradewind/internal/sqltext"
)

// Tables tells the SQL compiler where profiles and events are. The strings
// are inserted into the query as they are: they come from configuration,
// never from users (rule values always travel as parameters).
type Tables struct {
	// Profiles is a table, view or parenthesised subquery with one row per
	// profile; the query names it p.
	Profiles string
	// ID is the expression for the profile id in Profiles; "" means
	// profile_id.
	ID string
	// Attrs maps each attribute a rule may use to its SQL expression over
	// Profiles: a column ("country"), or an expression
	// ("CAST(traits->>'tier' AS VARCHAR)"). Types must fit the schema:
	// VARCHAR for String, an integer or DECIMAL type for Number and Decimal
	// (a DOUBLE column compares as DOUBLE), BOOLEAN, TIMESTAMPTZ (not a
	// TIMESTAMP without zone, which would be read in the session's time
	// zone) and VARCHAR[] for StringList.
	Attrs map[string]string
	// Events is a table or view of events with the columns profile_id,
	// type, event (the track name), name (the page or screen name),
	// properties (JSON) and "timestamp" (TIMESTAMPTZ).
	Events string
	// Days, when set, holds the same events counted per profile and UTC
	// day, read instead of Events for the days a condition without
	// property filters covers whole.
	Days *DayCounts
}

// DayCounts are the events of Tables.Events counted per profile, type,
// name and UTC day: for events a person sends many of a day (page views)
// far fewer rows than the events; for one a day ("Order Completed") about
// as many, but narrow and in (type, name, day) order. The counts may lag
// the events: Fresh selects the events not yet counted.
type DayCounts struct {
	// Table is a table or view with the columns profile_id, type, name
	// (the track's event, or the page's or screen's name), day (DATE, the
	// UTC day of the events' timestamp) and n (how many).
	Table string
	// Fresh is an SQL condition over Tables.Events that holds for exactly
	// the events Table does not count ("seq > 1234", "false"); a constant
	// bound lets DuckDB skip the row groups below it.
	Fresh string
}

// SQL returns a query for the ids (one column, profile_id) of the members
// of segment segID at now, with its parameters in $1, $2… style. It gives
// exactly the members Evaluate gives for every profile in Tables.Profiles
// over the same data and clock; the package documentation says why each
// construct means what the Go side means. Rows are not ordered.
//
// The dialect is DuckDB's: the JSON functions (json_type,
// json_extract_string, json_each) and the list functions are DuckDB's own;
// the rest (CTEs, IN subqueries, CAST, coalesce, strpos, starts_with) is
// also PostgreSQL's.
func (e *Engine) SQL(segID string, now time.Time, t Tables) (string, []any, error) {
	c := e.load()
	i, ok := c.byID[segID]
	if !ok {
		return "", nil, fmt.Errorf("audience: no segment with id %q", segID)
	}
	g := newSQLGen(c, t, now)
	pred, err := g.segment(i)
	if err != nil {
		return "", nil, err
	}
	return g.query("SELECT "+g.id()+" AS profile_id", pred), g.q.Args(), nil
}

// PreviewSQL returns a query for the number of profiles that rule selects
// at now (one row, one column): the count shown before a segment is saved.
// The rule is validated against the schema and may refer to the engine's
// segments.
func (e *Engine) PreviewSQL(rule Rule, now time.Time, t Tables) (string, []any, error) {
	c := e.load()
	cp := &compiler{schema: e.schema, streams: &streamSet{byDesc: map[string]int{}}, resolve: func(id string) (int, bool) {
		j, ok := c.byID[id]
		return j, ok
	}}
	root, err := cp.rule(rule, "")
	if err != nil {
		return "", nil, fmt.Errorf("audience: %w", err)
	}
	g := newSQLGen(c, t, now)
	pred, err := g.node(root)
	if err != nil {
		return "", nil, err
	}
	return g.query("SELECT count(*) AS members", pred), g.q.Args(), nil
}

type sqlGen struct {
	c       *compiled
	t       Tables
	now     int64
	q       sqltext.Query
	ctes    []string
	cteName map[string]string
	segs    map[int]string
}

func newSQLGen(c *compiled, t Tables, now time.Time) *sqlGen {
	return &sqlGen{c: c, t: t, now: now.UnixMicro(), cteName: map[string]string{}, segs: map[int]string{}}
}

func (g *sqlGen) id() string {
	if g.t.ID == "" {
		return "p.profile_id"
	}
	return g.t.ID
}

func (g *sqlGen) query(sel, pred string) string {
	var b strings.Builder
	if len(g.ctes) > 0 {
		b.WriteString("WITH ")
		b.WriteString(strings.Join(g.ctes, ",\n"))
		b.WriteString("\n")
	}
	fmt.Fprintf(&b, "%s\nFROM %s AS p\nWHERE %s IS NOT NULL\n  AND %s", sel, g.t.Profiles, g.id(), pred)
	return b.String()
}

// arg is a string value of the query, written as a SQL literal where
// one can carry it: DuckDB pushes a comparison with a constant into the
// table scan but evaluates one with a parameter row by row, so an event
// rule's count over a million customers' events read every row group
// (sqltext).
func (g *sqlGen) arg(s string) string { return g.q.String(s) }

func (g *sqlGen) str(s string) string { return "CAST(" + g.arg(s) + " AS VARCHAR)" }

// num casts a decimal parameter to the narrowest DECIMAL that holds it
// exactly. Narrow matters: DuckDB widens both sides of a comparison to one
// DECIMAL of at most 38 digits, and a needlessly wide literal could push a
// wide column past that.
func (g *sqlGen) num(d decimal.Decimal) string {
	w := max(d.Prec(), d.Scale(), 1)
	return fmt.Sprintf("CAST(%s AS DECIMAL(%d,%d))", g.arg(d.String()), w, d.Scale())
}

func (g *sqlGen) ts(us int64) string {
	return "CAST(" + g.arg(formatTS(us)) + " AS TIMESTAMPTZ)"
}

// formatTS writes an instant as RFC 3339 in UTC with microseconds: a string
// parameter with an explicit offset means the same instant whatever the
// session's time zone, which a timestamp parameter would not.
func formatTS(us int64) string {
	return time.UnixMicro(us).UTC().Format("2006-01-02T15:04:05.000000Z07:00")
}

func (g *sqlGen) segment(i int) (string, error) {
	if s, ok := g.segs[i]; ok {
		return s, nil
	}
	s, err := g.node(g.c.roots[i])
	if err != nil {
		return "", fmt.Errorf("audience: segment %q: %w", g.c.segs[i].ID, err)
	}
	g.segs[i] = s
	return s, nil
}

func (g *sqlGen) node(n *cnode) (string, error) {
	switch n.kind {
	case nAnd, nOr:
		op := " AND "
		if n.kind == nOr {
			op = " OR "
		}
		parts := make([]string, len(n.kids))
		for i, k := range n.kids {
			s, err := g.node(k)
			if err != nil {
				return "", err
			}
			parts[i] = s
		}
		return "(" + strings.Join(parts, op) + ")", nil
	case nNot:
		s, err := g.node(n.kids[0])
		if err != nil {
			return "", err
		}
		return "(NOT " + s + ")", nil
	case nSeg:
		return g.segment(n.seg)
	case nTrait:
		return g.trait(n.trait)
	case nEvent:
		return g.event(n.ev), nil
	}
	return "", fmt.Errorf("audience: unknown node")
}

// trait compiles a trait condition. Every comparison is wrapped in
// coalesce(…, false): a NULL attribute makes the condition false, never
// unknown, so that NOT is the exact complement it is in Go.
func (g *sqlGen) trait(l *traitLeaf) (string, error) {
	col, ok := g.t.Attrs[l.attr]
	if !ok {
		return "", fmt.Errorf("audience: no column for attribute %q in Tables.Attrs", l.attr)
	}
	x := "(" + col + ")"
	switch l.op {
	case OpExists:
		return "(" + x + " IS NOT NULL)", nil
	case OpNotExists:
		return "(" + x + " IS NULL)", nil
	}
	var ops []string
	switch l.typ {
	case String:
		switch l.op {
		case OpContains:
			return "coalesce(strpos(" + x + ", " + g.str(l.strs[0]) + ") > 0, false)", nil
		case OpStartsWith:
			return "coalesce(starts_with(" + x + ", " + g.str(l.strs[0]) + "), false)", nil
		}
		for _, s := range l.strs {
			ops = append(ops, g.str(s))
		}
	case Number, Decimal:
		for _, d := range l.nums {
			ops = append(ops, g.num(d))
		}
	case Bool:
		b := "false"
		if l.b {
			b = "true"
		}
		ops = []string{b}
	case Time:
		for _, tb := range l.times {
			ops = append(ops, g.ts(tb.resolve(g.now)))
		}
	case StringList:
		if l.op == OpContains {
			return "coalesce(list_contains(" + x + ", " + g.str(l.strs[0]) + "), false)", nil
		}
		for _, s := range l.strs {
			ops = append(ops, g.str(s))
		}
		has := "list_has_any(" + x + ", [" + strings.Join(ops, ", ") + "])"
		if l.op == OpNotIn {
			has = "NOT " + has
		}
		return "coalesce(" + has + ", false)", nil
	}
	return "coalesce(" + comparison(x, l.op, ops) + ", false)", nil
}

// comparison writes x op operands.
func comparison(x string, op Op, ops []string) string {
	switch op {
	case OpEq:
		return x + " = " + ops[0]
	case OpNe:
		return x + " <> " + ops[0]
	case OpGt:
		return x + " > " + ops[0]
	case OpGte:
		return x + " >= " + ops[0]
	case OpLt:
		return x + " < " + ops[0]
	case OpLte:
		return x + " <= " + ops[0]
	case OpBetween:
		return x + " BETWEEN " + ops[0] + " AND " + ops[1]
	case OpIn:
		return x + " IN (" + strings.Join(ops, ", ") + ")"
	case OpNotIn:
		return x + " NOT IN (" + strings.Join(ops, ", ") + ")"
	}
	return "false"
}

// event compiles an event condition to a test of the profile id against a
// CTE of per-profile counts. A profile without matching events has no row
// there, so a count condition that zero satisfies is written as "not among
// the profiles whose count fails it".
func (g *sqlGen) event(l *eventLeaf) string {
	cte := g.cte(l.st, l.window)
	cond := countSQL(l.count)
	if countHolds(l.count, 0) {
		return "(" + g.id() + " NOT IN (SELECT pid FROM " + cte + " WHERE NOT (" + cond + ")))"
	}
	return "(" + g.id() + " IN (SELECT pid FROM " + cte + " WHERE " + cond + "))"
}

func countSQL(c CountCond) string {
	v := strconv.FormatInt(c.Value, 10)
	switch c.Op {
	case OpEq:
		return "n = " + v
	case OpNe:
		return "n <> " + v
	case OpGt:
		return "n > " + v
	case OpGte:
		return "n >= " + v
	case OpLt:
		return "n < " + v
	case OpLte:
		return "n <= " + v
	case OpBetween:
		return "n BETWEEN " + v + " AND " + strconv.FormatInt(c.Upper, 10)
	}
	return "false"
}

// cte returns the name of the CTE counting the stream's events per profile
// in the window (now−window, now], or up to now, adding it on first use.
func (g *sqlGen) cte(s *stream, window int64) string {
	key := s.match + "\x00" + strconv.FormatInt(window, 10)
	if name, ok := g.cteName[key]; ok {
		return name
	}
	name := "c" + strconv.Itoa(len(g.ctes))
	g.cteName[key] = name
	conds := []string{"profile_id IS NOT NULL", "type = '" + s.typ + "'"}
	dayConds := slices.Clone(conds)
	if s.name != "" {
		col := "name"
		if s.typ == EventTrack {
			col = "event"
		}
		conds = append(conds, col+" = "+g.str(s.name))
		dayConds = append(dayConds, "name = "+g.str(s.name))
	}
	for _, p := range s.where {
		conds = append(conds, g.prop(p))
	}
	if window > 0 {
		conds = append(conds, `"timestamp" > `+g.ts(g.now-window))
	}
	conds = append(conds, `"timestamp" <= `+g.ts(g.now))
	days, ok := g.wholeDays(s, window)
	if !ok {
		g.ctes = append(g.ctes, name+" AS (\n  SELECT profile_id AS pid, count(*) AS n\n  FROM "+g.t.Events+"\n  WHERE "+
			strings.Join(conds, "\n    AND ")+"\n  GROUP BY profile_id)")
		return name
	}
	// The whole days inside the window from the day counts; from the
	// events, the rest of the window (its first and last day) and the
	// events the counts do not hold yet — each part its own branch with
	// constant bounds, which DuckDB checks against the row groups' zone
	// maps (an OR across columns it would test row by row).
	dayConds = append(dayConds, "day >= DATE '"+days.first+"'", "day < DATE '"+days.end+"'")
	from := `"timestamp" >= TIMESTAMPTZ '` + days.first + ` 00:00:00+00'`
	to := `"timestamp" < TIMESTAMPTZ '` + days.end + ` 00:00:00+00'`
	parts := []string{"  SELECT profile_id AS pid, n\n  FROM " + g.t.Days.Table + "\n  WHERE " + strings.Join(dayConds, "\n    AND ")}
	events := func(more ...string) {
		parts = append(parts, "  SELECT profile_id, 1\n  FROM "+g.t.Events+"\n  WHERE "+strings.Join(append(slices.Clone(conds), more...), "\n    AND "))
	}
	if window > 0 {
		events("NOT (" + from + ")")
	}
	events("NOT (" + to + ")")
	events(from, to, g.t.Days.Fresh)
	g.ctes = append(g.ctes, name+" AS (\n  SELECT pid, sum(n) AS n FROM (\n"+strings.Join(parts, "\n  UNION ALL\n")+")\n  GROUP BY pid)")
	return name
}

// dayRange is a range of UTC days [first, end) as dates (YYYY-MM-DD).
type dayRange struct{ first, end string }

// wholeDays returns the UTC days that lie whole inside the window
// (now−window, now] (from the beginning when window is 0) and before the
// day of now, when the day counts can answer for them: the stream has no
// property filter (the counts keep no properties) and there is at least
// one such day.
func (g *sqlGen) wholeDays(s *stream, window int64) (dayRange, bool) {
	if g.t.Days == nil || len(s.where) > 0 {
		return dayRange{}, false
	}
	const day = int64(24 * time.Hour / time.Microsecond)
	end := g.now - ((g.now%day)+day)%day     // the start of now's day
	first := int64(-62135596800) * 1_000_000 // 0001-01-01: no lower bound
	if window > 0 {
		lo := g.now - window
		// The first day that starts after lo: lo itself is outside.
		first = lo - ((lo%day)+day)%day + day
	}
	if first >= end {
		return dayRange{}, false
	}
	date := func(us int64) string { return time.UnixMicro(us).UTC().Format(time.DateOnly) }
	return dayRange{date(first), date(end)}, true
}

// jsonPath writes a property path as a DuckDB JSON path literal with every
// key quoted, so that a key is always a key ('$."items"."0"' never indexes
// an array), as lookupProp reads it.
func jsonPath(path []string) string {
	var b strings.Builder
	b.WriteString("'$")
	for _, k := range path {
		b.WriteString(`."`)
		b.WriteString(strings.ReplaceAll(k, "'", "''"))
		b.WriteString(`"`)
	}
	b.WriteString("'")
	return b.String()
}

// numericJSON are the json_type names of JSON numbers.
const numericJSON = "('BIGINT', 'UBIGINT', 'HUGEINT', 'UHUGEINT', 'DOUBLE')"

// prop compiles a where-condition; see propPred.match for the Go side.
func (g *sqlGen) prop(p *propPred) string {
	path := jsonPath(p.path)
	typ := "json_type(properties, " + path + ")"
	present := "coalesce(" + typ + " <> 'NULL', false)"
	switch p.op {
	case OpExists:
		return present
	case OpNotExists:
		return "NOT " + present
	}
	text := "json_extract_string(properties, " + path + ")"
	switch p.kind {
	case LitString:
		switch p.op {
		case OpContains:
			k := g.str(p.strs[0])
			return "coalesce((" + typ + " = 'VARCHAR' AND strpos(" + text + ", " + k + ") > 0) OR (" + typ +
				" = 'ARRAY' AND EXISTS (SELECT 1 FROM json_each(properties, " + path +
				") AS j WHERE j.type = 'VARCHAR' AND json_extract_string(j.value, '$') = " + k + ")), false)"
		case OpStartsWith:
			return "coalesce(" + typ + " = 'VARCHAR' AND starts_with(" + text + ", " + g.str(p.strs[0]) + "), false)"
		}
		ops := make([]string, len(p.strs))
		for i, s := range p.strs {
			ops[i] = g.str(s)
		}
		return "coalesce(" + typ + " = 'VARCHAR' AND " + comparison(text, p.op, ops) + ", false)"
	case LitNumber:
		ops := make([]string, len(p.nums))
		for i, d := range p.nums {
			ops[i] = g.num(d)
		}
		x := "TRY_CAST(" + text + " AS DECIMAL(38,19))"
		return "coalesce(" + typ + " IN " + numericJSON + " AND " + comparison(x, p.op, ops) + ", false)"
	case LitBool:
		want := p.b == (p.op == OpEq)
		return "coalesce(" + typ + " = 'BOOLEAN' AND " + text + " = '" + strconv.FormatBool(want) + "', false)"
	}
	return "false"
}
