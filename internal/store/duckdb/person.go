package duckdb

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"fmt"
	"slices"
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

// FindPerson implements store.PersonStore. Each round looks up the messages
// and tokens of the identities found so far, and adds the identities and
// tokens they carry, until a round adds nothing.
func (s *DB) FindPerson(ctx context.Context, q store.PersonQuery, limit int) (*store.Person, error) {
	users := map[store.Identity]bool{}
	anySource := map[string]bool{} // userIds asked for without a source
	anons := map[string]bool{}
	tokens := map[store.KindToken]bool{}
	for _, u := range q.UserIDs {
		if u.SourceID == "" {
			anySource[u.UserID] = true
		} else {
			users[store.Identity{SourceID: u.SourceID, UserID: u.UserID}] = true
		}
	}
	for _, a := range q.AnonymousIDs {
		anons[a] = true
	}
	for _, t := range q.Tokens {
		tokens[t] = true
	}
	c, err := s.db.Conn(ctx)
	if err != nil {
		return nil, err
	}
	defer c.Close()
	for round := 0; ; round++ {
		before := len(users) + len(anons) + len(tokens)
		// Identities that carried one of the tokens.
		if len(tokens) > 0 {
			var cond []string
			var args []any
			for t := range tokens {
				cond = append(cond, "(kind = ? AND token = ?)")
				args = append(args, t.Kind, t.Token)
			}
			if err := scanIdentities(ctx, c, "SELECT source_id, user_id, anonymous_id FROM identifier_tokens WHERE "+strings.Join(cond, " OR "), args, users, anons); err != nil {
				return nil, err
			}
		}
		cond, args := identityCondition(users, anySource, anons)
		if cond != "" {
			// Identities seen on the same messages (an identify with both a
			// userId and an anonymousId; an alias's previousId).
			rows, err := c.QueryContext(ctx, `SELECT DISTINCT source_id, user_id, anonymous_id, previous_id FROM event_rows WHERE `+cond, args...)
			if err != nil {
				return nil, fmt.Errorf("store: find person: %w", err)
			}
			for rows.Next() {
				var src string
				var uid, aid, prev sql.NullString
				if err := rows.Scan(&src, &uid, &aid, &prev); err != nil {
					rows.Close()
					return nil, err
				}
				if uid.String != "" {
					users[store.Identity{SourceID: src, UserID: uid.String}] = true
				}
				if aid.String != "" {
					anons[aid.String] = true
				}
				if prev.String != "" {
					// previousId is the sender's earlier id: a userId or an
					// anonymousId, the spec does not say which.
					users[store.Identity{SourceID: src, UserID: prev.String}] = true
					anons[prev.String] = true
				}
			}
			rows.Close()
			if err := rows.Err(); err != nil {
				return nil, err
			}
			cond, args = identityCondition(users, nil, anons)
			trows, err := c.QueryContext(ctx, `SELECT DISTINCT kind, token FROM identifier_tokens WHERE `+cond, args...)
			if err != nil {
				return nil, fmt.Errorf("store: find person tokens: %w", err)
			}
			for trows.Next() {
				var t store.KindToken
				if err := trows.Scan(&t.Kind, &t.Token); err != nil {
					trows.Close()
					return nil, err
				}
				tokens[t] = true
			}
			trows.Close()
			if err := trows.Err(); err != nil {
				return nil, err
			}
		}
		if len(users)+len(anons) > limit {
			return nil, &store.ErrTooManyIdentities{Limit: limit}
		}
		if len(users)+len(anons)+len(tokens) == before && round > 0 {
			break
		}
		if round > 20 {
			break
		}
	}
	p := &store.Person{}
	for u := range users {
		p.Identities = append(p.Identities, u)
	}
	for a := range anons {
		p.Identities = append(p.Identities, store.Identity{AnonymousID: a})
	}
	for t := range tokens {
		p.Tokens = append(p.Tokens, t)
	}
	return p, nil
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

// stagePerson fills the temporary tables the person conditions read.
func (s *DB) stagePerson(ctx context.Context, c *sql.Conn, p *store.Person) error {
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
	for _, q := range []string{
		"CREATE OR REPLACE TEMP TABLE tmp_seqs AS SELECT seq FROM event_rows WHERE " + personTables[0].where,
		"CREATE OR REPLACE TEMP TABLE tmp_orders AS SELECT store, order_id FROM order_rows WHERE " + personTables[1].where,
		`CREATE OR REPLACE TEMP TABLE tmp_profiles AS
			SELECT profile_id FROM profile_users WHERE (source_id, user_id) IN (SELECT source_id, user_id FROM tmp_users)
			UNION SELECT profile_id FROM profile_anons WHERE anonymous_id IN (SELECT anonymous_id FROM tmp_anons)`,
	} {
		if _, err := c.ExecContext(ctx, q); err != nil {
			return fmt.Errorf("store: stage person: %w", err)
		}
	}
	return nil
}

// PersonData implements store.PersonStore.
func (s *DB) PersonData(ctx context.Context, p *store.Person, tables ...string) (map[string]*store.Result, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	c := s.wconn
	if err := s.stagePerson(ctx, c, p); err != nil {
		return nil, err
	}
	out := map[string]*store.Result{}
	for _, t := range personTables {
		if len(tables) > 0 && !slices.Contains(tables, publicName(t.table)) {
			continue
		}
		res, err := collect(ctx, c, `SELECT * FROM `+t.table+` WHERE `+t.where+` ORDER BY ALL`, 0)
		if err != nil {
			return nil, fmt.Errorf("store: read %s of person: %w", t.table, err)
		}
		out[publicName(t.table)] = res
	}
	return out, nil
}

// ErasePerson implements store.PersonStore. It runs under the writer's lock,
// so no batch lands between finding the rows and deleting them.
func (s *DB) ErasePerson(ctx context.Context, p *store.Person) (*store.Erased, error) {
	out := &store.Erased{Rows: map[string]int64{}}
	err := s.writeTx(ctx, "erasure", func(c *sql.Conn) error {
		if err := s.stagePerson(ctx, c, p); err != nil {
			return err
		}
		rows, err := c.QueryContext(ctx, "SELECT seq FROM tmp_seqs ORDER BY seq")
		if err != nil {
			return err
		}
		for rows.Next() {
			var seq uint64
			if err := rows.Scan(&seq); err != nil {
				rows.Close()
				return err
			}
			out.Seqs = append(out.Seqs, seq)
		}
		rows.Close()
		for _, t := range personTables {
			res, err := c.ExecContext(ctx, `DELETE FROM `+t.table+` WHERE `+t.where)
			if err != nil {
				return fmt.Errorf("store: erase %s rows: %w", t.table, err)
			}
			n, _ := res.RowsAffected()
			out.Rows[publicName(t.table)] = n
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return out, nil
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
