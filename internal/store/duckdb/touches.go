package duckdb

import (
	"context"
	"database/sql"
	"fmt"
	"slices"
	"time"
)

// touchChunk is how many event rows one refresh transaction reads. The
// refresh holds the writer's lock (an erasure must not run between its
// read of event_rows and its insert, or it would put back the erased
// person's rows), so a first refresh over a large store goes in short
// steps: an erasure or the store writer waits for one step, not for the
// whole. On the demo store a step takes ~0.36 s and the whole first
// refresh of 2.1 M messages 15 s (6 s in 250,000-position steps, but an
// erasure then took 1.5 s instead of 0.3 behind one in bench/erasure).
const touchChunk = 50_000

// refreshTouchesSQL copies the touch fields of the event rows in a range of
// sequences into touch_rows (one parse of the context per event, ever).
const refreshTouchesSQL = `
INSERT INTO touch_rows
SELECT seq, source_id, user_id, anonymous_id, "timestamp", event,
  c[1], c[2], c[3], c[4], c[5], c[6], c[7],
  CASE WHEN type = 'track' THEN json_extract_string(properties, '$.campaign_name') END
FROM (
  SELECT *, json_extract_string(context, ['$.campaign.source', '$.campaign.medium', '$.campaign.name',
    '$.campaign.content', '$.page.url', '$.page.referrer', '$.app.name']) AS c
  FROM event_rows
  WHERE seq > ? AND seq <= ? AND type IN ('page', 'screen', 'track') AND source_id <> '_tradewind'
)`

// RefreshTouches brings touch_rows up to the store's applied position and
// returns how many rows it added. Event rows are never updated and arrive
// in sequence order, so each is read once; the refreshed position is kept
// in touch_state.
func (s *DB) RefreshTouches(ctx context.Context) (int64, error) {
	return s.refreshFromPosition(ctx, "touches", "touch_state", touchChunk, refreshTouchesSQL)
}

// TouchKey is the SQL expression that gives a row of touch_rows (alias t)
// its campaign key — NULL when the row carries none — with the arguments
// of its placeholders. The marketing analyses build it from their channel
// taxonomy (which e-mail events and click ids count); touch_points is
// rebuilt when it changes.
type TouchKey struct {
	SQL  string
	Args []any
}

func (k TouchKey) fingerprint() string {
	return k.SQL + "\x00" + fmt.Sprintf("%q", k.Args)
}

// TouchPointsRefresh says what RefreshTouchPoints did.
type TouchPointsRefresh struct {
	// TouchRows were added to touch_rows first.
	TouchRows int64
	// Rebuilt: touch_points was built from every touch row (the first
	// time, or under a new key).
	Rebuilt bool
	// Deletions: touch rows had gone (erasure, retention) or appeared
	// below the read position, and the identities whose counts no longer
	// matched were recomputed whole.
	Deletions bool
	// Identities whose sessions were recomputed (all of them on a rebuild
	// are not counted).
	Identities int64
	// Candidates is how many rows touch_points holds afterwards.
	Candidates int64
	Elapsed    time.Duration
}

// touchIdentity is a touch row's sender identity as touch_points keys it
// (and as the events view maps it to a profile): a source's userId, else
// the anonymousId alone. Rows without either (which map to no profile)
// are kept too, as one identity, so that every touch row is counted.
const touchIdentity = `CASE WHEN t.user_id IS NULL THEN '' ELSE t.source_id END AS source_id, t.user_id,
    CASE WHEN t.user_id IS NULL THEN t.anonymous_id END AS anonymous_id`

// touchIdentityJoin matches touch rows (t) with a table of identities (x).
const touchIdentityJoin = `x.source_id = (CASE WHEN t.user_id IS NULL THEN '' ELSE t.source_id END)
    AND x.user_id IS NOT DISTINCT FROM t.user_id
    AND x.anonymous_id IS NOT DISTINCT FROM (CASE WHEN t.user_id IS NULL THEN t.anonymous_id END)`

// touchPointsSQL computes touch_points rows from touch rows, without
// their wide fields, into tp_new: %[1]s is the key expression, %[2]s joins
// (and %[3]s filters) the rows to read. Within an identity rows are
// ordered by time, then sequence (ties of a timestamp go to the earlier
// message). touchPointsWideSQL then joins the wide fields back, once for
// all the statements of a rebuild (a join per statement read every wide
// column of touch_rows again).
const touchPointsSQL = `
INSERT INTO tp_new
WITH r AS (
  SELECT t.seq, ` + touchIdentity + `, t."timestamp" AS ts, %[1]s AS key
  FROM touch_rows t %[2]s
  WHERE t.seq <= ? %[3]s
), s AS (
  -- In microseconds: TIMESTAMPTZ arithmetic goes through the calendar.
  SELECT *, coalesce(epoch_us(ts) - lag(epoch_us(ts)) OVER (PARTITION BY source_id, user_id, anonymous_id ORDER BY ts, seq) > 1800000000, true) AS first
  FROM r
), g AS (
  SELECT *, sum(first::INTEGER) OVER (PARTITION BY source_id, user_id, anonymous_id ORDER BY ts, seq ROWS UNBOUNDED PRECEDING) AS sid
  FROM s
), sess AS (
  -- Each session's bounds and its rows' count and hash sum: an aggregate,
  -- not windows over every row (a third of a rebuild's time).
  SELECT source_id, user_id, anonymous_id, sid, min(ts) AS s_start, max(ts) AS s_end, count(*) AS n, sum(hash(seq)) AS hs
  FROM g GROUP BY ALL
), k AS (
  -- The first row of each key in a session (a keyed session start among
  -- them), and the sessions' starts without a key.
  SELECT seq, source_id, user_id, anonymous_id, sid, ts, key, first FROM (
    SELECT *, row_number() OVER (PARTITION BY source_id, user_id, anonymous_id, sid, key ORDER BY ts, seq) AS rk
    FROM g WHERE key IS NOT NULL)
  WHERE rk = 1
  UNION ALL
  SELECT seq, source_id, user_id, anonymous_id, sid, ts, key, first FROM g WHERE first AND key IS NULL
)
SELECT k.source_id, k.user_id, k.anonymous_id, x.s_start, x.s_end, CASE WHEN k.first THEN x.n END, CASE WHEN k.first THEN x.hs END,
  k.seq, k.ts, k.key, k.first
FROM k JOIN sess x ON x.source_id = k.source_id AND x.user_id IS NOT DISTINCT FROM k.user_id
  AND x.anonymous_id IS NOT DISTINCT FROM k.anonymous_id AND x.sid = k.sid`

// touchPointsWideSQL adds tp_new's rows to touch_points with their wide
// fields.
const touchPointsWideSQL = `
INSERT INTO touch_points
SELECT n.*, t.campaign_source, t.campaign_medium, t.campaign_name, t.campaign_content,
  t.page_url, t.page_referrer, t.app_name, t.event, t.mail_campaign
FROM tp_new n JOIN touch_rows t ON t.seq = n.seq`

// newIdentitiesSQL adds to tp_redo the identities with touch rows in
// sequences ($1, $2] that it does not hold yet, each from the earliest of
// its sessions that its earliest new row can join or bridge (one ending
// 30 minutes or less before it, or any later), else from that row. The
// joins are on the identity alone and the time test is the aggregate's
// filter: with the test in the join's condition (one expression over both
// sides) DuckDB planned a nested-loop join, every new identity against
// every session — over ten minutes on both cores for the 974,092 new
// identities of bench/dashboard's 1,000,000-customer store, 6 s this way.
const newIdentitiesSQL = `INSERT INTO tp_redo
SELECT n.source_id, n.user_id, n.anonymous_id,
  least(n.mn, coalesce(min(p.s_start) FILTER (WHERE epoch_us(n.mn) - epoch_us(p.s_end) <= 1800000000), n.mn))
FROM (SELECT ` + touchIdentity + `, min(t."timestamp") AS mn FROM touch_rows t
      WHERE seq > $1 AND seq <= $2 GROUP BY ALL) n
ANTI JOIN tp_redo x ON x.source_id = n.source_id AND x.user_id IS NOT DISTINCT FROM n.user_id
  AND x.anonymous_id IS NOT DISTINCT FROM n.anonymous_id
LEFT JOIN touch_points p ON p.source_id = n.source_id AND p.user_id IS NOT DISTINCT FROM n.user_id
  AND p.anonymous_id IS NOT DISTINCT FROM n.anonymous_id
GROUP BY n.source_id, n.user_id, n.anonymous_id, n.mn`

// touchPointsBucket bounds the touch rows one statement of a rebuild, or
// of a refresh that recomputes many identities, sessionises (by a hash of
// the identity), so that the first build of a large store, or a store
// grown by a bulk copy, stays within DuckDB's memory limit.
var touchPointsBucket int64 = 2_000_000

// RefreshTouchPoints brings touch_rows (RefreshTouches) and then
// touch_points (migration 012) up to date, and returns what it did.
//
// touch_points holds, per sender identity and session, the rows that can
// become touches. The refresh reads the touch rows above the last sequence
// it read; an identity with such rows has its sessions recomputed from the
// first one they can change (the earliest session ending less than 30
// minutes before its earliest new row — rows may arrive late — or the new
// rows themselves). Rows deleted since (an erasure, retention) are found
// by comparing the count and the sum of hash(seq) of touch_rows with those
// the sessions recorded; the identities that differ are recomputed whole.
// A different key (a taxonomy with other e-mail events or click ids)
// rebuilds the table. It runs in one transaction under the writer's lock,
// so no erasure lands between a read of touch_rows and the insert.
func (s *DB) RefreshTouchPoints(ctx context.Context, key TouchKey) (TouchPointsRefresh, error) {
	start := time.Now()
	var r TouchPointsRefresh
	n, err := s.RefreshTouches(ctx)
	r.TouchRows = n
	if err != nil {
		return r, err
	}
	want := key.fingerprint()
	err = s.writeTx(ctx, "touch points", func(c *sql.Conn) error {
		exec := func(what, q string, args ...any) (int64, error) {
			res, err := c.ExecContext(ctx, q, args...)
			if err != nil {
				return 0, fmt.Errorf("store: touch points: %s: %w", what, err)
			}
			n, _ := res.RowsAffected()
			return n, nil
		}
		var have string
		var pos, top uint64
		if err := c.QueryRowContext(ctx, "SELECT key, seq, (SELECT coalesce(max(seq), 0) FROM touch_rows) FROM touch_points_state").Scan(&have, &pos, &top); err != nil {
			return fmt.Errorf("store: touch points state: %w", err)
		}
		if _, err := exec("new rows", `CREATE OR REPLACE TEMP TABLE tp_new AS
			SELECT source_id, user_id, anonymous_id, s_start, s_end, s_rows, s_hash, seq, "timestamp", key, first FROM touch_points LIMIT 0`); err != nil {
			return err
		}
		defer func() { _, _ = c.ExecContext(context.WithoutCancel(ctx), "DROP TABLE IF EXISTS tp_new") }()
		computed := false
		// candidates computes the sessions of the touch rows that join
		// and where select (rows of them), in statements of about
		// touchPointsBucket rows each, by a hash of the identity: one
		// statement over a large store's rows spilled gigabytes to disk.
		candidates := func(rows int64, join, where string, args ...any) error {
			computed = true
			buckets := max(1, (rows+touchPointsBucket-1)/touchPointsBucket)
			for b := range buckets {
				cond := where
				if buckets > 1 {
					cond += fmt.Sprintf(` AND hash(CASE WHEN t.user_id IS NULL THEN '' ELSE t.source_id END, t.user_id,
						CASE WHEN t.user_id IS NULL THEN t.anonymous_id END) %% %d = %d`, buckets, b)
				}
				q := fmt.Sprintf(touchPointsSQL, key.SQL, join, cond)
				if _, err := exec("sessions", q, append(append(slices.Clone(key.Args), top), args...)...); err != nil {
					return err
				}
			}
			return nil
		}
		if have != want {
			r.Rebuilt = true
			if _, err := exec("clear", "DELETE FROM touch_points"); err != nil {
				return err
			}
			var rows int64
			if err := c.QueryRowContext(ctx, "SELECT count(*) FROM touch_rows").Scan(&rows); err != nil {
				return fmt.Errorf("store: touch points: %w", err)
			}
			if err := candidates(rows, "", ""); err != nil {
				return err
			}
		} else {
			if _, err := exec("redo table", `CREATE OR REPLACE TEMP TABLE tp_redo (source_id VARCHAR, user_id VARCHAR, anonymous_id VARCHAR, since TIMESTAMPTZ)`); err != nil {
				return err
			}
			// Rows gone (or come) below the read position: the counts and
			// hash sums of touch_rows no longer match the sessions'.
			var same bool
			if err := c.QueryRowContext(ctx, `SELECT
				(SELECT (count(*), coalesce(sum(hash(seq)), 0)) FROM touch_rows WHERE seq <= ?)
				= (SELECT (coalesce(sum(s_rows), 0), coalesce(sum(s_hash), 0)) FROM touch_points)`, pos).Scan(&same); err != nil {
				return fmt.Errorf("store: touch points: counts: %w", err)
			}
			if !same {
				r.Deletions = true
				if _, err := exec("changed identities", `INSERT INTO tp_redo
					SELECT coalesce(a.source_id, b.source_id), coalesce(a.user_id, b.user_id), coalesce(a.anonymous_id, b.anonymous_id), NULL
					FROM (SELECT `+touchIdentity+`, count(*) AS n, sum(hash(seq)) AS h FROM touch_rows t
					      WHERE seq <= ? GROUP BY ALL) a
					FULL JOIN (SELECT source_id, user_id, anonymous_id, sum(s_rows) AS n, sum(s_hash) AS h FROM touch_points GROUP BY ALL) b
					  ON a.source_id = b.source_id AND a.user_id IS NOT DISTINCT FROM b.user_id AND a.anonymous_id IS NOT DISTINCT FROM b.anonymous_id
					WHERE a.n IS DISTINCT FROM b.n OR a.h IS DISTINCT FROM b.h`, pos); err != nil {
					return err
				}
			}
			if top > pos {
				// Identities with new rows: from the earliest session their
				// earliest new row can join or bridge, else from it.
				if _, err := exec("new identities", newIdentitiesSQL, pos, top); err != nil {
					return err
				}
			}
			var ids int64
			var since sql.NullTime
			var whole bool
			if err := c.QueryRowContext(ctx, "SELECT count(*), min(since), coalesce(bool_or(since IS NULL), false) FROM tp_redo").Scan(&ids, &since, &whole); err != nil {
				return fmt.Errorf("store: touch points: %w", err)
			}
			r.Identities = ids
			if ids > 0 {
				if _, err := exec("drop sessions", `DELETE FROM touch_points p USING tp_redo x
					WHERE p.source_id = x.source_id AND p.user_id IS NOT DISTINCT FROM x.user_id AND p.anonymous_id IS NOT DISTINCT FROM x.anonymous_id
					  AND (x.since IS NULL OR p.s_start >= x.since)`); err != nil {
					return err
				}
				from := time.Time{}
				if !whole && since.Valid {
					from = since.Time
				}
				// The time bound lets the scan skip old row groups.
				join, where := "JOIN tp_redo x ON "+touchIdentityJoin, `AND (x.since IS NULL OR t."timestamp" >= x.since) AND t."timestamp" >= ?`
				var rows int64
				if err := c.QueryRowContext(ctx, "SELECT count(*) FROM touch_rows t "+join+" WHERE t.seq <= ? "+where, top, from).Scan(&rows); err != nil {
					return fmt.Errorf("store: touch points: rows to redo: %w", err)
				}
				if err := candidates(rows, join, where, from); err != nil {
					return err
				}
			}
		}
		if computed {
			if _, err := exec("wide fields", touchPointsWideSQL); err != nil {
				return err
			}
		}
		if _, err := exec("state", "UPDATE touch_points_state SET key = ?, seq = ?", want, top); err != nil {
			return err
		}
		return c.QueryRowContext(ctx, "SELECT count(*) FROM touch_points").Scan(&r.Candidates)
	})
	r.Elapsed = time.Since(start)
	return r, err
}
