package duckdb

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strconv"
	"strings"

	"github.com/tradewind/tradewind/internal/store"
)

// personTables are the tables that hold rows of a person, with the condition
// that selects them from the staged identities (tmp_users, tmp_anons) or the
// person's message sequences (tmp_seqs). Order items, refunds and
// cancellations belong to the person's orders.
var personTables = []struct{ table, where string }{ // table: where the rows are; exported under the name users know (events, orders)
	{"event_rows", "(source_id, user_id) IN (SELECT source_id, user_id FROM tmp_users) OR anonymous_id IN (SELECT anonymous_id FROM tmp_anons)"},
	{"order_rows", "(source_id, user_id) IN (SELECT source_id, user_id FROM tmp_users) OR anonymous_id IN (SELECT anonymous_id FROM tmp_anons)"},
	{"order_items", "(store, order_id) IN (SELECT store, order_id FROM tmp_orders)"},
	{"refunds", "(store, order_id) IN (SELECT store, order_id FROM tmp_orders)"},
	{"cancellations", "(store, order_id) IN (SELECT store, order_id FROM tmp_orders)"},
	{"customers", "(source_id, user_id) IN (SELECT source_id, user_id FROM tmp_users) OR anonymous_id IN (SELECT anonymous_id FROM tmp_anons)"},
	{"reviews", "seq IN (SELECT seq FROM tmp_seqs)"},
	{"identifier_tokens", "(source_id, user_id) IN (SELECT source_id, user_id FROM tmp_users) OR anonymous_id IN (SELECT anonymous_id FROM tmp_anons)"},
	{"consent", "(source_id, user_id) IN (SELECT source_id, user_id FROM tmp_users) OR anonymous_id IN (SELECT anonymous_id FROM tmp_anons)"},
	{"profiles", "profile_id IN (SELECT profile_id FROM tmp_profiles)"},
	{"profile_identities", "profile_id IN (SELECT profile_id FROM tmp_profiles)"},
	{"segment_members", "profile_id IN (SELECT profile_id FROM tmp_profiles)"},
	// Predictions are profiling (GDPR art. 22): exported with the rest, and
	// erased with it.
	{"customer_predictions", "profile_id IN (SELECT profile_id FROM tmp_profiles)"},
	{"identity_merges", "into_profile IN (SELECT profile_id FROM tmp_profiles) OR from_profile IN (SELECT profile_id FROM tmp_profiles)"},
	{"identity_conflicts", "profile_a IN (SELECT profile_id FROM tmp_profiles) OR profile_b IN (SELECT profile_id FROM tmp_profiles)"},
	{"profile_users", "profile_id IN (SELECT profile_id FROM tmp_profiles)"},
	{"profile_anons", "profile_id IN (SELECT profile_id FROM tmp_profiles)"},
}

// publicName is the name users know a person table by: events and orders
// are views over event_rows and order_rows.
func publicName(table string) string {
	switch table {
	case "event_rows":
		return "events"
	case "order_rows":
		return "orders"
	}
	return table
}

// FindPerson implements store.PersonStore. It reads one snapshot of the
// store (one transaction) in rounds, and each round asks only about what
// the previous one added: identifier_tokens for the new tokens, event_rows
// for the new identities — by user_id, then by anonymous_id: a filter on
// one column runs inside DuckDB's scan, where an OR across two columns
// reads and compares both for every row, three to six times as long on a
// large table — and identifier_tokens again for the tokens on the messages
// just found, by their log sequence (every table is appended in log order,
// so DuckDB's zone maps skip all but the row groups that hold them; a
// token row's sequence is its message's, whose event row is the person's).
// It stops when a round adds nothing, and returns with the person the
// sequences of their messages and the applied sequence it read at, so that
// ErasePerson needs no scan of its own for them.
func (s *DB) FindPerson(ctx context.Context, q store.PersonQuery, limit int) (*store.Person, error) {
	f := newPersonFinder(q)
	c, err := s.db.Conn(ctx)
	if err != nil {
		return nil, err
	}
	defer c.Close()
	if _, err := c.ExecContext(ctx, "BEGIN TRANSACTION"); err != nil {
		return nil, fmt.Errorf("store: find person: %w", err)
	}
	defer func() { _, _ = c.ExecContext(context.Background(), "ROLLBACK") }()
	asOf, err := appliedOn(ctx, c)
	if err != nil {
		return nil, err
	}
	for round := 0; round <= 20; round++ {
		toks, users, anons := f.next()
		if len(toks)+len(users)+len(anons) == 0 {
			break
		}
		if err := f.byTokens(ctx, c, toks); err != nil {
			return nil, err
		}
		// A junk identifier may link thousands: refuse before looking
		// them all up.
		if len(f.users)+len(f.anons) > limit {
			return nil, &store.ErrTooManyIdentities{Limit: limit}
		}
		seqs, err := f.events(ctx, c, users, anons, 0)
		if err != nil {
			return nil, err
		}
		if err := f.tokensOf(ctx, c, seqs); err != nil {
			return nil, err
		}
		if len(f.users)+len(f.anons) > limit {
			return nil, &store.ErrTooManyIdentities{Limit: limit}
		}
	}
	p := f.person()
	p.Found = &store.Found{AsOf: asOf, Seqs: f.sortedSeqs()}
	return p, nil
}

// appliedOn reads the store's applied log sequence on c (in c's
// transaction, if any).
func appliedOn(ctx context.Context, c *sql.Conn) (uint64, error) {
	var v string
	err := c.QueryRowContext(ctx, "SELECT value FROM tw_state WHERE key = 'applied_seq'").Scan(&v)
	if errors.Is(err, sql.ErrNoRows) {
		return 0, nil
	}
	if err != nil {
		return 0, fmt.Errorf("store: read applied sequence: %w", err)
	}
	return strconv.ParseUint(v, 10, 64)
}

// personFinder collects a person's identities, tokens and message
// sequences, remembering which of them were looked up already.
type personFinder struct {
	users     map[store.Identity]bool // value: looked up
	anySource map[string]bool         // userIds asked for without a source
	anons     map[string]bool
	tokens    map[store.KindToken]bool
	seqs      map[uint64]bool
}

func newPersonFinder(q store.PersonQuery) *personFinder {
	f := &personFinder{users: map[store.Identity]bool{}, anySource: map[string]bool{}, anons: map[string]bool{},
		tokens: map[store.KindToken]bool{}, seqs: map[uint64]bool{}}
	for _, u := range q.UserIDs {
		if u.SourceID == "" {
			f.anySource[u.UserID] = false
		} else {
			f.users[store.Identity{SourceID: u.SourceID, UserID: u.UserID}] = false
		}
	}
	for _, a := range q.AnonymousIDs {
		f.anons[a] = false
	}
	for _, t := range q.Tokens {
		f.tokens[t] = false
	}
	return f
}

// newFinderOf starts from a person already found (ErasePerson looking for
// rows that landed since): everything is looked up.
func newFinderOf(p *store.Person) *personFinder {
	f := newPersonFinder(store.PersonQuery{})
	for _, id := range p.Identities {
		f.add(id.SourceID, id.UserID, id.AnonymousID, "")
	}
	f.next()
	return f
}

// next returns what was not looked up yet, and marks it looked up. userIds
// without a source are looked up by userId alone.
func (f *personFinder) next() (toks []store.KindToken, users []string, anons []string) {
	for t, done := range f.tokens {
		if !done {
			toks = append(toks, t)
			f.tokens[t] = true
		}
	}
	for u, done := range f.users {
		if !done {
			users = append(users, u.UserID)
			f.users[u] = true
		}
	}
	for u, done := range f.anySource {
		if !done {
			users = append(users, u)
			f.anySource[u] = true
		}
	}
	for a, done := range f.anons {
		if !done {
			anons = append(anons, a)
			f.anons[a] = true
		}
	}
	return toks, users, anons
}

// add records the identities of one row (a message's userId in its
// source, anonymousId, previousId).
func (f *personFinder) add(src, uid, aid, prev string) {
	if uid != "" {
		if _, ok := f.users[store.Identity{SourceID: src, UserID: uid}]; !ok {
			f.users[store.Identity{SourceID: src, UserID: uid}] = false
		}
	}
	if aid != "" {
		if _, ok := f.anons[aid]; !ok {
			f.anons[aid] = false
		}
	}
	if prev != "" {
		// previousId is the sender's earlier id: a userId or an
		// anonymousId, the spec does not say which.
		f.add(src, prev, prev, "")
	}
}

// has tells whether a row's sender identity is one of the person's.
func (f *personFinder) has(src, uid, aid string) bool {
	if uid != "" {
		if _, ok := f.users[store.Identity{SourceID: src, UserID: uid}]; ok {
			return true
		}
		if _, ok := f.anySource[uid]; ok {
			return true
		}
	}
	_, ok := f.anons[aid]
	return aid != "" && ok
}

// byTokens adds the identities that carried one of toks.
func (f *personFinder) byTokens(ctx context.Context, c *sql.Conn, toks []store.KindToken) error {
	if len(toks) == 0 {
		return nil
	}
	vals := make([]string, len(toks))
	for i, t := range toks {
		vals[i] = t.Token
	}
	return eachRow(ctx, c, "SELECT kind, token, source_id, user_id, anonymous_id FROM identifier_tokens WHERE token IN ("+strList(vals)+")",
		func(v []sql.NullString) {
			if _, ok := f.tokens[store.KindToken{Kind: v[0].String, Token: v[1].String}]; ok {
				f.add(v[2].String, v[3].String, v[4].String, "")
			}
		})
}

// events adds the event rows of the given userIds and anonymousIds (with a
// sequence above since) that are the person's, and their identities; it
// returns the sequences it had not seen.
func (f *personFinder) events(ctx context.Context, c *sql.Conn, users, anons []string, since uint64) ([]uint64, error) {
	var fresh []uint64
	scan := func(col string, vals []string) error {
		if len(vals) == 0 {
			return nil
		}
		q := "SELECT seq, source_id, user_id, anonymous_id, previous_id FROM event_rows WHERE " + col + " IN (" + strList(vals) + ")"
		if since > 0 {
			q += " AND seq > " + strconv.FormatUint(since, 10)
		}
		return eachRow(ctx, c, q, func(v []sql.NullString) {
			if !f.has(v[1].String, v[2].String, v[3].String) {
				return // the userId in another source
			}
			seq, _ := strconv.ParseUint(v[0].String, 10, 64)
			if !f.seqs[seq] {
				f.seqs[seq] = true
				fresh = append(fresh, seq)
			}
			f.add(v[1].String, v[2].String, v[3].String, v[4].String)
		})
	}
	if err := scan("user_id", users); err != nil {
		return nil, err
	}
	return fresh, scan("anonymous_id", anons)
}

// tokensOf adds the tokens the messages at seqs carried.
func (f *personFinder) tokensOf(ctx context.Context, c *sql.Conn, seqs []uint64) error {
	for len(seqs) > 0 {
		n := min(len(seqs), seqChunk)
		err := eachRow(ctx, c, "SELECT kind, token, source_id, user_id, anonymous_id FROM identifier_tokens WHERE seq IN ("+seqList(seqs[:n])+")",
			func(v []sql.NullString) {
				if !f.has(v[2].String, v[3].String, v[4].String) {
					return
				}
				t := store.KindToken{Kind: v[0].String, Token: v[1].String}
				if _, ok := f.tokens[t]; !ok {
					f.tokens[t] = false
				}
			})
		if err != nil {
			return err
		}
		seqs = seqs[n:]
	}
	return nil
}

func (f *personFinder) person() *store.Person {
	p := &store.Person{}
	for u := range f.users {
		p.Identities = append(p.Identities, u)
	}
	for a := range f.anons {
		p.Identities = append(p.Identities, store.Identity{AnonymousID: a})
	}
	for t := range f.tokens {
		p.Tokens = append(p.Tokens, t)
	}
	return p
}

func (f *personFinder) sortedSeqs() []uint64 {
	out := make([]uint64, 0, len(f.seqs))
	for seq := range f.seqs {
		out = append(out, seq)
	}
	slices.Sort(out)
	return out
}

// seqChunk bounds the sequences of one IN list.
const seqChunk = 1000

// seqList writes sequences as an SQL list. Literal values, not
// parameters: DuckDB checks a literal IN list against each row group's
// zone map and skips the row groups that hold none of them.
func seqList(seqs []uint64) string {
	var b strings.Builder
	for i, s := range seqs {
		if i > 0 {
			b.WriteByte(',')
		}
		b.WriteString(strconv.FormatUint(s, 10))
	}
	return b.String()
}

// strList writes strings as a list of SQL string literals.
func strList(vals []string) string {
	var b strings.Builder
	for i, v := range vals {
		if i > 0 {
			b.WriteByte(',')
		}
		b.WriteString(lit(v))
	}
	return b.String()
}

// lit is s as an SQL string literal: quotes doubled (DuckDB gives
// backslashes no meaning in them).
func lit(s string) string { return "'" + strings.ReplaceAll(s, "'", "''") + "'" }

// identityValues lists the person's userIds (of any source) and
// anonymousIds.
func (f *personFinder) identityValues() (users, anons []string) {
	for u := range f.users {
		users = append(users, u.UserID)
	}
	for u := range f.anySource {
		users = append(users, u)
	}
	for a := range f.anons {
		anons = append(anons, a)
	}
	return users, anons
}

// eachRow runs q on c and calls fn with each row's values as strings.
func eachRow(ctx context.Context, c *sql.Conn, q string, fn func(v []sql.NullString)) error {
	rows, err := c.QueryContext(ctx, q)
	if err != nil {
		return fmt.Errorf("store: find person: %w", err)
	}
	defer rows.Close()
	cols, err := rows.Columns()
	if err != nil {
		return err
	}
	v := make([]sql.NullString, len(cols))
	ptrs := make([]any, len(cols))
	for i := range v {
		ptrs[i] = &v[i]
	}
	for rows.Next() {
		if err := rows.Scan(ptrs...); err != nil {
			return err
		}
		fn(v)
	}
	return rows.Err()
}

// identityCondition is an events/tokens filter for the identities.
func identityCondition(users map[store.Identity]bool, anySource, anons map[string]bool) (string, []any) {
	var cond []string
	var args []any
	for u := range users {
		cond = append(cond, "(source_id = ? AND user_id = ?)")
		args = append(args, u.SourceID, u.UserID)
	}
	for u := range anySource {
		cond = append(cond, "user_id = ?")
		args = append(args, u)
	}
	if len(anons) > 0 {
		ph := make([]string, 0, len(anons))
		for a := range anons {
			ph = append(ph, "?")
			args = append(args, a)
		}
		cond = append(cond, "anonymous_id IN ("+strings.Join(ph, ",")+")")
	}
	return strings.Join(cond, " OR "), args
}

func scanIdentities(ctx context.Context, c *sql.Conn, q string, args []any, users map[store.Identity]bool, anons map[string]bool) error {
	rows, err := c.QueryContext(ctx, q, args...)
	if err != nil {
		return fmt.Errorf("store: find person: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var src string
		var uid, aid sql.NullString
		if err := rows.Scan(&src, &uid, &aid); err != nil {
			return err
		}
		if uid.String != "" {
			users[store.Identity{SourceID: src, UserID: uid.String}] = true
		}
		if aid.String != "" {
			anons[aid.String] = true
		}
	}
	return rows.Err()
}

// stagePerson fills the temporary tables the person conditions of the
// given person tables read (every table when none is given). The
// identities are always staged; the person's message sequences, orders and
// profiles only when a table needs them: the sequences take a scan of
// every event row on two columns (most of a consent read's time at
// 1,000,000 customers, bench/dashboard), which the consent table, read
// on every customer page, does not need.
func (s *DB) stagePerson(ctx context.Context, c *sql.Conn, p *store.Person, tables []string) error {
	var users, anons [][]driver.Value
	for _, id := range p.Identities {
		if id.UserID != "" {
			users = append(users, []driver.Value{id.SourceID, id.UserID})
		}
		if id.AnonymousID != "" {
			anons = append(anons, []driver.Value{id.AnonymousID})
		}
	}
	for _, t := range []struct {
		name, shape string
		rows        [][]driver.Value
	}{
		{"tmp_users", "SELECT source_id, user_id FROM event_rows", users},
		{"tmp_anons", "SELECT anonymous_id FROM event_rows", anons},
	} {
		if err := s.stage(ctx, c, t.name, t.shape, t.rows); err != nil {
			return err
		}
	}
	need := personNeeds(tables)
	for _, q := range []struct{ name, sql string }{
		{"tmp_seqs", "SELECT seq FROM event_rows WHERE " + personTables[0].where},
		{"tmp_orders", "SELECT store, order_id FROM order_rows WHERE " + personTables[1].where},
		{"tmp_profiles", `SELECT profile_id FROM profile_users WHERE (source_id, user_id) IN (SELECT source_id, user_id FROM tmp_users)
			UNION SELECT profile_id FROM profile_anons WHERE anonymous_id IN (SELECT anonymous_id FROM tmp_anons)`},
	} {
		if !need[q.name] {
			continue
		}
		if _, err := c.ExecContext(ctx, "CREATE OR REPLACE TEMP TABLE "+q.name+" AS "+q.sql); err != nil {
			return fmt.Errorf("store: stage person: %w", err)
		}
	}
	return nil
}

// personNeeds says which of the staged person tables beyond the
// identities (tmp_seqs, tmp_orders, tmp_profiles) the conditions of the
// given person tables read (of every table when none is given).
func personNeeds(tables []string) map[string]bool {
	need := map[string]bool{}
	for _, t := range personTables {
		if len(tables) == 0 || slices.Contains(tables, publicName(t.table)) {
			for _, tmp := range []string{"tmp_seqs", "tmp_orders", "tmp_profiles"} {
				need[tmp] = need[tmp] || strings.Contains(t.where, tmp)
			}
		}
	}
	return need
}

// identitiesCTE writes the person's identities as the common table
// expressions tmp_users and tmp_anons, which the person conditions read
// like the staged tables of the same names.
func identitiesCTE(p *store.Person) string {
	var users, anons []string
	for _, id := range p.Identities {
		if id.UserID != "" {
			users = append(users, "("+lit(id.SourceID)+", "+lit(id.UserID)+")")
		}
		if id.AnonymousID != "" {
			anons = append(anons, "("+lit(id.AnonymousID)+")")
		}
	}
	u := "SELECT NULL::VARCHAR AS source_id, NULL::VARCHAR AS user_id WHERE false"
	if len(users) > 0 {
		u = "SELECT * FROM (VALUES " + strings.Join(users, ", ") + ") v(source_id, user_id)"
	}
	a := "SELECT NULL::VARCHAR AS anonymous_id WHERE false"
	if len(anons) > 0 {
		a = "SELECT * FROM (VALUES " + strings.Join(anons, ", ") + ") v(anonymous_id)"
	}
	return "WITH tmp_users AS (" + u + "), tmp_anons AS (" + a + ")\n"
}

// PersonData implements store.PersonStore. Tables whose rows are found by
// the person's identities alone (the consent a customer page reads) are
// read on a connection of their own, with the identities written into
// the query: no writer's lock, which a long write (a bulk load, the first
// refresh of a derived table) may hold for seconds. The others are read
// from tables staged on the writer's connection, under its lock.
func (s *DB) PersonData(ctx context.Context, p *store.Person, tables ...string) (map[string]*store.Result, error) {
	need := personNeeds(tables)
	if !need["tmp_seqs"] && !need["tmp_orders"] && !need["tmp_profiles"] {
		c, err := s.db.Conn(ctx)
		if err != nil {
			return nil, err
		}
		defer c.Close()
		return readPersonTables(ctx, c, identitiesCTE(p), tables)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	c := s.wconn
	// The staged identities, sequences, orders and profiles name the
	// person: they go with the request (whatever its context says).
	defer func() { _ = dropTemporary(context.Background(), c) }()
	if err := s.stagePerson(ctx, c, p, tables); err != nil {
		return nil, err
	}
	return readPersonTables(ctx, c, "", tables)
}

// readPersonTables reads the person's rows of the given person tables (every one
// when none is given) on c, where tmp_users, tmp_anons and the staging
// they need are tables or, in with, common table expressions.
func readPersonTables(ctx context.Context, c *sql.Conn, with string, tables []string) (map[string]*store.Result, error) {
	out := map[string]*store.Result{}
	for _, t := range personTables {
		if len(tables) > 0 && !slices.Contains(tables, publicName(t.table)) {
			continue
		}
		res, err := collect(ctx, c, with+`SELECT * FROM `+t.table+` WHERE `+t.where+` ORDER BY ALL`, 0)
		if err != nil {
			return nil, fmt.Errorf("store: read %s of person: %w", t.table, err)
		}
		out[publicName(t.table)] = res
	}
	return out, nil
}

// ErasePerson implements store.PersonStore. It runs under the writer's lock,
// so no batch lands between finding the rows and deleting them, and it
// names the rows so that DuckDB scans as little as it can:
//
//   - the rows of the person's messages (event_rows, identifier_tokens,
//     reviews, touch_rows, touch_points) by log sequence: the ones
//     FindPerson saw, and those that landed since (event_rows above
//     FindPerson's sequence, which the zone maps find in the newest row
//     groups alone);
//   - the rows kept per sender identity (orders, customers, consent) by
//     customer_id, the userId else the anonymousId, one column filtered
//     inside the scan, then checked against the person's identities;
//     order items, refunds and cancellations by the orders' ids; the
//     orders' aggregates per identity (order_idents and its days) by the
//     identity's number;
//   - the profile tables by the person's profile ids.
func (s *DB) ErasePerson(ctx context.Context, p *store.Person) (*store.Erased, error) {
	out := &store.Erased{Rows: map[string]int64{}}
	err := s.writeTx(ctx, "erasure", func(c *sql.Conn) error {
		have, err := tableSet(ctx, c)
		if err != nil {
			return err
		}
		f := newFinderOf(p)
		var since uint64
		if p.Found != nil {
			since = p.Found.AsOf
			for _, seq := range p.Found.Seqs {
				f.seqs[seq] = true
			}
		}
		users, anons := f.identityValues()
		if _, err := f.events(ctx, c, users, anons, since); err != nil {
			return err
		}
		// Messages that landed since may link one more identity.
		users, anons = f.identityValues()
		out.Seqs = f.sortedSeqs()
		del := func(table, where string) error {
			if !have[table] {
				return nil
			}
			res, err := c.ExecContext(ctx, "DELETE FROM "+table+" WHERE "+where)
			if err != nil {
				return fmt.Errorf("store: erase %s rows: %w", table, err)
			}
			n, _ := res.RowsAffected()
			out.Rows[publicName(table)] += n
			return nil
		}
		for _, t := range []string{"event_rows", "identifier_tokens", "reviews", "touch_rows", "touch_points"} {
			for seqs := out.Seqs; len(seqs) > 0; {
				n := min(len(seqs), seqChunk)
				if err := del(t, "seq IN ("+seqList(seqs[:n])+")"); err != nil {
					return err
				}
				seqs = seqs[n:]
			}
		}
		ids := slices.Concat(users, anons)
		if len(ids) == 0 {
			return nil
		}
		mine := "customer_id IN (" + strList(ids) + ") AND " + f.condition()
		var orderIDs, orderKeys []string
		if err := eachRow(ctx, c, "SELECT store, order_id FROM order_rows WHERE "+mine, func(v []sql.NullString) {
			orderIDs = append(orderIDs, v[1].String)
			orderKeys = append(orderKeys, "(store = "+lit(v[0].String)+" AND order_id = "+lit(v[1].String)+")")
		}); err != nil {
			return err
		}
		for _, t := range []string{"order_rows", "customers", "consent"} {
			if err := del(t, mine); err != nil {
				return err
			}
		}
		if len(orderIDs) > 0 {
			where := "order_id IN (" + strList(orderIDs) + ") AND (" + strings.Join(orderKeys, " OR ") + ")"
			for _, t := range []string{"order_items", "refunds", "cancellations"} {
				if err := del(t, where); err != nil {
					return err
				}
			}
		}
		// The orders pre-aggregated per sender identity (migration 008):
		// the identity's row names the person.
		if have["order_idents"] {
			var idents []string
			keep := func(v []sql.NullString) {
				if f.has(v[1].String, v[2].String, v[3].String) {
					idents = append(idents, v[0].String)
				}
			}
			for _, q := range []struct {
				col  string
				vals []string
			}{{"user_id", users}, {"anonymous_id", anons}} {
				if len(q.vals) == 0 {
					continue
				}
				if err := eachRow(ctx, c, "SELECT ident_id, source_id, user_id, anonymous_id FROM order_idents WHERE "+q.col+" IN ("+strList(q.vals)+")", keep); err != nil {
					return err
				}
			}
			if len(idents) > 0 {
				in := "ident_id IN (" + strings.Join(idents, ",") + ")"
				for _, t := range []string{"order_days", "order_market_days", "order_refund_days", "order_idents"} {
					if err := del(t, in); err != nil {
						return err
					}
				}
			}
		}
		// The events counted per sender identity and day (migration 013):
		// the identity's rows go, and the next refresh compares every day
		// with its rows, for a deleted row counted under another identity
		// (another person's user id with this person's anonymous id).
		if have["event_days"] {
			var pairs []string
			if len(users) > 0 {
				if err := eachRow(ctx, c, "SELECT DISTINCT source_id, user_id FROM event_days WHERE user_id IN ("+strList(users)+")", func(v []sql.NullString) {
					if f.has(v[0].String, v[1].String, "") {
						pairs = append(pairs, "(source_id = "+lit(v[0].String)+" AND user_id = "+lit(v[1].String)+")")
					}
				}); err != nil {
					return err
				}
			}
			if len(pairs) > 0 {
				if err := del("event_days", strings.Join(pairs, " OR ")); err != nil {
					return err
				}
			}
			if len(anons) > 0 {
				if err := del("event_days", "user_id IS NULL AND anonymous_id IN ("+strList(anons)+")"); err != nil {
					return err
				}
			}
			if _, err := c.ExecContext(ctx, "UPDATE event_days_state SET full_check = true"); err != nil {
				return fmt.Errorf("store: erase event days: %w", err)
			}
		}
		var pids []string
		if len(users) > 0 {
			if err := eachRow(ctx, c, "SELECT profile_id, source_id, user_id FROM profile_users WHERE user_id IN ("+strList(users)+")", func(v []sql.NullString) {
				if f.has(v[1].String, v[2].String, "") {
					pids = append(pids, v[0].String)
				}
			}); err != nil {
				return err
			}
		}
		if len(anons) > 0 {
			if err := eachRow(ctx, c, "SELECT profile_id FROM profile_anons WHERE anonymous_id IN ("+strList(anons)+")", func(v []sql.NullString) {
				pids = append(pids, v[0].String)
			}); err != nil {
				return err
			}
		}
		if len(pids) == 0 {
			return nil
		}
		slices.Sort(pids)
		in := " IN (" + strList(slices.Compact(pids)) + ")"
		for _, t := range []struct{ table, col string }{
			{"profiles", "profile_id"}, {"profile_identities", "profile_id"}, {"segment_members", "profile_id"},
			// Predictions are profiling (GDPR art. 22): erased with the rest.
			{"customer_predictions", "profile_id"},
			{"identity_merges", "into_profile"}, {"identity_merges", "from_profile"},
			{"identity_conflicts", "profile_a"}, {"identity_conflicts", "profile_b"},
			{"profile_users", "profile_id"}, {"profile_anons", "profile_id"},
		} {
			if err := del(t.table, t.col+in); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// condition is an SQL filter that holds for rows of the person's sender
// identities (source_id, user_id, anonymous_id columns).
func (f *personFinder) condition() string {
	var cond []string
	for u := range f.users {
		cond = append(cond, "(source_id = "+lit(u.SourceID)+" AND user_id = "+lit(u.UserID)+")")
	}
	if len(f.anySource) > 0 {
		cond = append(cond, "user_id IN ("+strList(slices.Collect(maps.Keys(f.anySource)))+")")
	}
	if len(f.anons) > 0 {
		cond = append(cond, "anonymous_id IN ("+strList(slices.Collect(maps.Keys(f.anons)))+")")
	}
	if len(cond) == 0 {
		return "false"
	}
	return "(" + strings.Join(cond, " OR ") + ")"
}

// tableSet lists the store's tables (person tables added by later
// migrations may be absent from an older store).
func tableSet(ctx context.Context, c *sql.Conn) (map[string]bool, error) {
	out := map[string]bool{}
	err := eachRow(ctx, c, "SELECT table_name FROM duckdb_tables() WHERE NOT temporary", func(v []sql.NullString) { out[v[0].String] = true })
	return out, err
}

// collect runs a query of tradewind's own on c and reads all of its rows
// (maxRows 0: no cap) into a Result of driver values, as Query does.
func collect(ctx context.Context, c *sql.Conn, q string, maxRows int, args ...any) (*store.Result, error) {
	rows, err := c.QueryContext(ctx, q, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	cols, err := rows.Columns()
	if err != nil {
		return nil, err
	}
	res := &store.Result{Columns: cols, Rows: [][]any{}}
	if ct, err := rows.ColumnTypes(); err == nil {
		for _, t := range ct {
			res.Types = append(res.Types, t.DatabaseTypeName())
		}
	}
	for rows.Next() {
		if maxRows > 0 && len(res.Rows) == maxRows {
			res.Truncated = true
			break
		}
		row := make([]any, len(cols))
		ptrs := make([]any, len(cols))
		for i := range row {
			ptrs[i] = &row[i]
		}
		if err := rows.Scan(ptrs...); err != nil {
			return nil, err
		}
		res.Rows = append(res.Rows, row)
	}
	return res, rows.Err()
}

// EachIdentity implements store.PersonStore: first every identity of the
// events table (with an empty token), then every token with the identity
// that carried it.
func (s *DB) EachIdentity(ctx context.Context, fn func(id store.Identity, tok store.KindToken) error) error {
	c, err := s.db.Conn(ctx)
	if err != nil {
		return err
	}
	defer c.Close()
	for _, q := range []string{
		`SELECT DISTINCT source_id, user_id, anonymous_id, NULL, NULL FROM event_rows`,
		`SELECT DISTINCT source_id, user_id, anonymous_id, kind, token FROM identifier_tokens`,
	} {
		rows, err := c.QueryContext(ctx, q)
		if err != nil {
			return fmt.Errorf("store: identities: %w", err)
		}
		for rows.Next() {
			var src string
			var uid, aid, kind, tok sql.NullString
			if err := rows.Scan(&src, &uid, &aid, &kind, &tok); err != nil {
				rows.Close()
				return err
			}
			if err := fn(store.Identity{SourceID: src, UserID: uid.String, AnonymousID: aid.String},
				store.KindToken{Kind: kind.String, Token: tok.String}); err != nil {
				rows.Close()
				return err
			}
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return err
		}
	}
	return nil
}

// SenderSeqs returns, in order, the log sequences of the messages sent by
// the given identities (userIds with their source, anonymousIds): the
// messages to reprocess when a profile is rebuilt.
func (s *DB) SenderSeqs(ctx context.Context, ids []store.Identity) ([]uint64, error) {
	users, anons := map[store.Identity]bool{}, map[string]bool{}
	for _, id := range ids {
		if id.UserID != "" {
			users[store.Identity{SourceID: id.SourceID, UserID: id.UserID}] = true
		} else if id.AnonymousID != "" {
			anons[id.AnonymousID] = true
		}
	}
	cond, args := identityCondition(users, nil, anons)
	if cond == "" {
		return nil, nil
	}
	rows, err := s.db.QueryContext(ctx, "SELECT seq FROM event_rows WHERE "+cond+" ORDER BY seq", args...)
	if err != nil {
		return nil, fmt.Errorf("store: sender messages: %w", err)
	}
	defer rows.Close()
	var out []uint64
	for rows.Next() {
		var seq uint64
		if err := rows.Scan(&seq); err != nil {
			return nil, err
		}
		out = append(out, seq)
	}
	return out, rows.Err()
}
