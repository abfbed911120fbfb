package duckdb

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	duckdb "github.com/duckdb/duckdb-go/v2"

	"github.com/tradewind/tradewind/internal/eventlog"
	"github.com/tradewind/tradewind/internal/segment"
	"github.com/tradewind/tradewind/internal/store"
	"github.com/tradewind/tradewind/internal/store/keyindex"
)

// batchWriter holds one Apply call's state.
type batchWriter struct {
	s       *DB
	applied uint64 // committed sequence before this batch
	keys    *keyindex.Batch
	seen    map[keyindex.Digest]keyindex.Entry // message keys of this batch
	exists  map[keyindex.Digest]bool           // row keys known in this batch: true once inserted

	events    [][]driver.Value
	orders    [][]driver.Value
	items     [][]driver.Value
	refunds   [][]driver.Value
	cancels   [][]driver.Value
	reviews   [][]driver.Value
	adSpend   [][]driver.Value
	customers [][]driver.Value
	tokens    [][]driver.Value
	consents  [][]driver.Value
	// Later versions of rows that exist, applied in rounds so that several
	// versions of one row in one batch are applied in log order.
	orderUpdates    [][][]driver.Value
	customerUpdates [][][]driver.Value
	adSpendUpdates  [][][]driver.Value
	itemReplaces    [][]driver.Value // items of updated orders that carry products
	replacedItems   map[keyindex.Digest]bool

	used       map[string]map[keyindex.Digest]int // update rounds used per kind and key
	quarantine []store.QuarantineEntry
	tallies    map[string]*store.Tally
}

// Apply implements store.Store. The batch is written in one transaction with
// the new applied sequence, so a crash leaves the store at the old or the new
// sequence and a redelivered batch is skipped message by message.
func (s *DB) Apply(ctx context.Context, batch []store.Projected) (store.ApplyResult, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	var res store.ApplyResult
	w := &batchWriter{s: s, applied: s.applied, keys: s.keys.NewBatch(),
		seen: map[keyindex.Digest]keyindex.Entry{}, exists: map[keyindex.Digest]bool{},
		replacedItems: map[keyindex.Digest]bool{}, tallies: map[string]*store.Tally{}}
	last := s.applied
	var applied uint64 // messages of the batch after the applied position
	for i := range batch {
		p := &batch[i]
		seq := p.Delivery.Seq
		if seq <= s.applied {
			res.Skipped++
			continue
		}
		last = seq
		applied++
		imp := p.Delivery.Meta.ImportID
		if p.Err != nil {
			res.Rejected++
			w.tally(imp).Rejected++
			w.reject(p, p.Err)
			continue
		}
		if p.Suppressed {
			res.Suppressed++
			continue
		}
		if p.Expired {
			res.Expired++
			continue
		}
		dup, err := w.duplicate(p.Delivery)
		if err != nil {
			w.keys.Discard()
			return res, err
		}
		if dup {
			res.Duplicates++
			w.tally(imp).Duplicates++
			continue
		}
		if err := w.add(p); err != nil {
			w.keys.Discard()
			return res, err
		}
		res.Stored++
		w.tally(imp).Stored++
	}
	if last == s.applied {
		w.keys.Discard()
		return res, nil
	}
	if err := w.commit(ctx, last, applied); err != nil {
		w.keys.Discard()
		return store.ApplyResult{}, err
	}
	w.keys.SetApplied(last)
	if err := w.keys.Commit(s.cfg.SyncIndex); err != nil {
		// The store committed; the index is repaired from it at the next start.
		s.log.Error("key index commit failed; it will be rebuilt at restart", "err", err)
	}
	s.applied = last
	s.messages += applied
	return res, nil
}

func (w *batchWriter) tally(importID string) *store.Tally {
	if importID == "" {
		return &store.Tally{}
	}
	t := w.tallies[importID]
	if t == nil {
		t = &store.Tally{}
		w.tallies[importID] = t
	}
	return t
}

func (w *batchWriter) reject(p *store.Projected, err error) {
	field, reason := "message", err.Error()
	var fe *segment.FieldError
	if errors.As(err, &fe) {
		field, reason = fe.Field, fe.Reason
	}
	w.quarantine = append(w.quarantine, store.QuarantineEntry{
		At: time.Now().UTC(), SourceID: p.Delivery.Meta.Source, Origin: "writer",
		ImportID: p.Delivery.Meta.ImportID, Index: -1, Field: field, Reason: reason, Seq: p.Delivery.Seq,
	})
}

// valid reports whether an index entry made by seq is a fact of the store:
// committed before this batch, or made by this very message (a redelivery).
func (w *batchWriter) valid(entrySeq, seq uint64) bool {
	return entrySeq <= w.applied || entrySeq == seq
}

// duplicate reports whether the store already holds a message with the same
// (source, messageId): among imported messages (kept forever), or among live
// messages received the same or the previous UTC day (the 24-hour window
// Segment promises; older live keys expire) — earlier in this batch or
// before it. The rule (keyindex.Entry.Covers) is the profile engine's too,
// within a batch as across batches, so that both count the same messages
// even when a batch spans days (a rebuild from an old log).
func (w *batchWriter) duplicate(d eventlog.Delivery) (bool, error) {
	dg := keyindex.Hash(d.Meta.Source, d.Meta.MessageID)
	day := keyindex.Day(d.Meta.ReceivedAt)
	if e, ok := w.seen[dg]; ok && e.Covers(day) {
		return true, nil
	}
	e, ok, err := w.s.keys.Get(keyindex.Message, dg)
	if err != nil {
		return false, err
	}
	if ok && w.valid(e.Seq, d.Seq) && e.Seq != d.Seq && e.Covers(day) {
		w.seen[dg] = e
		return true, nil
	}
	ent := keyindex.Entry{Seq: d.Seq, Day: day, Permanent: d.Meta.Flags&eventlog.FlagPermanentKey != 0}
	w.seen[dg] = ent
	w.keys.Put(keyindex.Message, dg, ent)
	w.s.keyDay.Note(day)
	return false, nil
}

// rowExists reports whether a row with key dg is in the store or was
// inserted earlier in this batch, and records it as existing from now on.
func (w *batchWriter) rowExists(k keyindex.Kind, dg keyindex.Digest, seq uint64) (bool, error) {
	if w.exists[dg] {
		return true, nil
	}
	w.exists[dg] = true
	e, ok, err := w.s.keys.Get(k, dg)
	if err != nil {
		return false, err
	}
	if ok && e.Seq <= w.applied {
		return true, nil
	}
	w.keys.Put(k, dg, keyindex.Entry{Seq: seq, Permanent: true})
	return false, nil
}

// round appends a row to the first round in which its key has no update yet.
func round(rounds [][][]driver.Value, used map[keyindex.Digest]int, dg keyindex.Digest, row []driver.Value) [][][]driver.Value {
	r := used[dg]
	used[dg] = r + 1
	for len(rounds) <= r {
		rounds = append(rounds, nil)
	}
	rounds[r] = append(rounds[r], row)
	return rounds
}

func (w *batchWriter) add(p *store.Projected) error {
	base := w.s.cfg.BaseCurrency
	if e := p.Event; e != nil {
		w.events = append(w.events, []driver.Value{e.Seq, e.MessageID, e.SourceID, e.Type, null(e.Event),
			null(e.UserID), null(e.AnonymousID), null(e.Name), null(e.GroupID), null(e.PreviousID),
			e.Timestamp, nullTime(e.OriginalTimestamp), nullTime(e.SentAt), e.ReceivedAt,
			rawJSON(e.Properties), rawJSON(e.Traits), rawJSON(e.Context), rawJSON(e.Integrations), null(e.ImportID)})
	}
	if o := p.Order; o != nil {
		dg := keyindex.Hash(o.Store, o.OrderID)
		exists, err := w.rowExists(keyindex.Order, dg, o.Seq)
		if err != nil {
			return err
		}
		row := []driver.Value{o.Store, o.OrderID, o.SourceID, null(o.CustomerID), null(o.UserID), null(o.AnonID),
			o.Timestamp, o.Currency, dec4(o.Total), dec4(o.Revenue), dec4(o.Subtotal), dec4(o.Tax),
			dec4(o.Shipping), dec4(o.Discount), null(o.Coupon), o.Status, null(o.Marketplace), base,
			dec4(o.TotalBase), nullDate(o.FXRateDate), nil, o.Timestamp, o.MessageID, o.Seq, o.Seq, rawJSON(o.Properties)}
		if !exists {
			w.orders = append(w.orders, row)
		} else {
			w.orderUpdates = round(w.orderUpdates, w.roundsUsed("o"), dg, row)
		}
		if len(o.Items) > 0 {
			if exists && !w.replacedItems[dg] {
				w.replacedItems[dg] = true
				w.itemReplaces = append(w.itemReplaces, []driver.Value{o.Store, o.OrderID})
			}
			for _, it := range o.Items {
				w.items = append(w.items, []driver.Value{o.Store, o.OrderID, int32(it.Position), null(it.ProductID),
					null(it.SKU), null(it.Name), null(it.Category), null(it.Brand), null(it.Variant),
					dec4(it.Price), it.Quantity, o.Currency, o.Seq})
			}
		}
	}
	if r := p.Refund; r != nil {
		w.refunds = append(w.refunds, []driver.Value{r.Store, r.OrderID, r.SourceID, r.MessageID, r.Timestamp,
			r.Currency, dec4(r.Amount), base, dec4(r.AmountBase), nullDate(r.FXRateDate), null(r.Reason), r.Seq})
	}
	if c := p.Cancel; c != nil {
		w.cancels = append(w.cancels, []driver.Value{c.Store, c.OrderID, c.SourceID, c.MessageID, c.Timestamp, null(c.Reason), c.Seq})
	}
	if r := p.Review; r != nil {
		var lang, label, topics, score driver.Value
		if sc := r.Score; sc != nil {
			lang, label, topics, score = null(sc.Language), null(sc.Sentiment), stringList(sc.Topics), sc.Score
		}
		w.reviews = append(w.reviews, []driver.Value{r.SourceID, r.MessageID, r.ReviewID, null(r.ProductID),
			null(r.CustomerID), dec4(r.Rating), null(r.Title), null(r.Body), null(r.Language), r.Timestamp,
			rawJSON(r.Properties), r.Seq, lang, label, score, topics})
	}
	if a := p.AdSpend; a != nil {
		dg := keyindex.Hash("ad_spend", a.SourceID, a.Date.Format(time.DateOnly), a.Channel, a.Campaign)
		exists, err := w.rowExists(keyindex.Order, dg, a.Seq)
		if err != nil {
			return err
		}
		row := []driver.Value{a.SourceID, a.Date, a.Channel, a.Campaign, null(a.Marketplace), a.Currency,
			dec4(a.Spend), base, dec4(a.SpendBase), nullDate(a.FXRateDate), a.Impressions, a.Clicks, a.MessageID, a.Seq}
		if !exists {
			w.adSpend = append(w.adSpend, row)
		} else {
			w.adSpendUpdates = round(w.adSpendUpdates, w.roundsUsed("a"), dg, row)
		}
	}
	for _, t := range p.Tokens {
		w.tokens = append(w.tokens, []driver.Value{t.Seq, t.SourceID, null(t.UserID), null(t.AnonymousID), t.Kind, t.Token, null(t.Path)})
	}
	for _, c := range p.Consents {
		w.consents = append(w.consents, []driver.Value{c.Seq, c.MessageID, c.SourceID, null(c.CustomerID),
			null(c.UserID), null(c.AnonymousID), c.Purpose, c.Granted, null(c.LawfulBasis), c.Origin, null(c.Proof), c.Timestamp})
	}
	if c := p.Customer; c != nil && c.CustomerID != "" {
		dg := keyindex.Hash(c.SourceID, c.CustomerID)
		exists, err := w.rowExists(keyindex.Customer, dg, c.Seq)
		if err != nil {
			return err
		}
		row := []driver.Value{c.SourceID, c.CustomerID, null(c.UserID), null(c.AnonID), null(c.Email), null(c.Phone),
			null(c.FirstName), null(c.LastName), null(c.Name), null(c.Country), null(c.City), null(c.Language),
			nullTime(c.CreatedAt), c.Timestamp, c.Timestamp, rawJSON(c.Traits), c.Seq}
		if !exists {
			w.customers = append(w.customers, row)
		} else {
			w.customerUpdates = round(w.customerUpdates, w.roundsUsed("c"), dg, row)
		}
	}
	return nil
}

func (w *batchWriter) roundsUsed(kind string) map[keyindex.Digest]int {
	if w.used == nil {
		w.used = map[string]map[keyindex.Digest]int{}
	}
	m := w.used[kind]
	if m == nil {
		m = map[keyindex.Digest]int{}
		w.used[kind] = m
	}
	return m
}

func (w *batchWriter) commit(ctx context.Context, last, messages uint64) (err error) {
	c := w.s.wconn
	if _, err := c.ExecContext(ctx, "BEGIN TRANSACTION"); err != nil {
		return fmt.Errorf("store: begin: %w", err)
	}
	defer func() {
		if err != nil {
			_, _ = c.ExecContext(context.Background(), "ROLLBACK")
		}
	}()
	appends := []struct {
		table string
		rows  [][]driver.Value
	}{
		{"event_rows", w.events}, {"order_rows", w.orders}, {"refunds", w.refunds}, {"cancellations", w.cancels},
		{"reviews", w.reviews}, {"ad_spend", w.adSpend}, {"customers", w.customers},
		{"identifier_tokens", w.tokens}, {"consent", w.consents},
	}
	for _, a := range appends {
		if err := w.s.appendText(ctx, c, a.table, a.rows); err != nil {
			return err
		}
	}
	if len(w.itemReplaces) > 0 {
		if err := w.s.stage(ctx, c, "stg_item_keys", "SELECT store, order_id FROM order_items", w.itemReplaces); err != nil {
			return err
		}
		if _, err := c.ExecContext(ctx, `DELETE FROM order_items WHERE (store, order_id) IN (SELECT store, order_id FROM stg_item_keys)`); err != nil {
			return fmt.Errorf("store: replace order items: %w", err)
		}
	}
	if err := w.s.appendRows(c, "", "order_items", w.items); err != nil {
		return err
	}
	for _, rows := range w.orderUpdates {
		if err := w.s.stage(ctx, c, "stg_orders", textShape("order_rows"), rows); err != nil {
			return err
		}
		if _, err := c.ExecContext(ctx, updateOrdersSQL); err != nil {
			return fmt.Errorf("store: update orders: %w", err)
		}
	}
	for _, rows := range w.customerUpdates {
		if err := w.s.stage(ctx, c, "stg_customers", textShape("customers"), rows); err != nil {
			return err
		}
		if _, err := c.ExecContext(ctx, updateCustomersSQL); err != nil {
			return fmt.Errorf("store: update customers: %w", err)
		}
	}
	for _, rows := range w.adSpendUpdates {
		if err := w.s.stage(ctx, c, "stg_ad_spend", "SELECT * FROM ad_spend", rows); err != nil {
			return err
		}
		if _, err := c.ExecContext(ctx, updateAdSpendSQL); err != nil {
			return fmt.Errorf("store: update ad spend: %w", err)
		}
	}
	if len(w.cancels) > 0 {
		if err := w.s.stage(ctx, c, "stg_cancels", "SELECT * FROM cancellations", w.cancels); err != nil {
			return err
		}
		if _, err := c.ExecContext(ctx, cancelOrdersSQL); err != nil {
			return fmt.Errorf("store: cancel orders: %w", err)
		}
	}
	if err := w.s.appendRows(c, "", "quarantine", quarantineRows(w.quarantine)); err != nil {
		return err
	}
	for id, t := range w.tallies {
		if _, err := c.ExecContext(ctx, `INSERT INTO import_tallies VALUES (?, ?, ?, ?)
			ON CONFLICT (import_id) DO UPDATE SET stored = stored + excluded.stored,
			duplicates = duplicates + excluded.duplicates, rejected = rejected + excluded.rejected`,
			id, t.Stored, t.Duplicates, t.Rejected); err != nil {
			return fmt.Errorf("store: import tally: %w", err)
		}
	}
	if err := dropTemporary(ctx, c); err != nil {
		return err
	}
	if _, err := c.ExecContext(ctx, `INSERT INTO tw_state VALUES ('applied_seq', ?)
		ON CONFLICT (key) DO UPDATE SET value = excluded.value`, strconv.FormatUint(last, 10)); err != nil {
		return fmt.Errorf("store: applied sequence: %w", err)
	}
	if _, err := c.ExecContext(ctx, `INSERT INTO tw_state VALUES ('applied_messages', ?)
		ON CONFLICT (key) DO UPDATE SET value = CAST(CAST(tw_state.value AS UBIGINT) + CAST(excluded.value AS UBIGINT) AS VARCHAR)`,
		strconv.FormatUint(messages, 10)); err != nil {
		return fmt.Errorf("store: applied messages: %w", err)
	}
	if _, err := c.ExecContext(ctx, "COMMIT"); err != nil {
		return fmt.Errorf("store: commit: %w", err)
	}
	return nil
}

// A later version of an order replaces the row's fields only if it is not
// older than the version the row shows; absent amounts keep the old ones.
const updateOrdersSQL = `
UPDATE order_rows AS o SET
    source_id = s.source_id,
    customer_id = coalesce(s.customer_id, o.customer_id),
    user_id = coalesce(s.user_id, o.user_id),
    anonymous_id = coalesce(s.anonymous_id, o.anonymous_id),
    currency = s.currency,
    total = coalesce(s.total, o.total),
    revenue = coalesce(s.revenue, o.revenue),
    subtotal = coalesce(s.subtotal, o.subtotal),
    tax = coalesce(s.tax, o.tax),
    shipping = coalesce(s.shipping, o.shipping),
    discount = coalesce(s.discount, o.discount),
    coupon = coalesce(s.coupon, o.coupon),
    status = CASE WHEN o.status = 'cancelled' THEN o.status ELSE s.status END,
    marketplace = coalesce(s.marketplace, o.marketplace),
    total_base = CASE WHEN s.total IS NULL THEN o.total_base ELSE s.total_base END,
    fx_rate_date = CASE WHEN s.total IS NULL THEN o.fx_rate_date ELSE s.fx_rate_date END,
    updated_at = s.updated_at,
    message_id = s.message_id,
    seq = s.seq,
    properties = coalesce(s.properties, o.properties)
FROM stg_orders s
WHERE o.store = s.store AND o.order_id = s.order_id AND s.updated_at >= o.updated_at`

const updateCustomersSQL = `
UPDATE customers AS c SET
    user_id = coalesce(s.user_id, c.user_id),
    anonymous_id = coalesce(s.anonymous_id, c.anonymous_id),
    email = CASE WHEN s.updated_at >= c.updated_at THEN coalesce(s.email, c.email) ELSE coalesce(c.email, s.email) END,
    phone = CASE WHEN s.updated_at >= c.updated_at THEN coalesce(s.phone, c.phone) ELSE coalesce(c.phone, s.phone) END,
    first_name = CASE WHEN s.updated_at >= c.updated_at THEN coalesce(s.first_name, c.first_name) ELSE coalesce(c.first_name, s.first_name) END,
    last_name = CASE WHEN s.updated_at >= c.updated_at THEN coalesce(s.last_name, c.last_name) ELSE coalesce(c.last_name, s.last_name) END,
    name = CASE WHEN s.updated_at >= c.updated_at THEN coalesce(s.name, c.name) ELSE coalesce(c.name, s.name) END,
    country = CASE WHEN s.updated_at >= c.updated_at THEN coalesce(s.country, c.country) ELSE coalesce(c.country, s.country) END,
    city = CASE WHEN s.updated_at >= c.updated_at THEN coalesce(s.city, c.city) ELSE coalesce(c.city, s.city) END,
    language = CASE WHEN s.updated_at >= c.updated_at THEN coalesce(s.language, c.language) ELSE coalesce(c.language, s.language) END,
    created_at = coalesce(least(c.created_at, s.created_at), c.created_at, s.created_at),
    first_seen = least(c.first_seen, s.first_seen),
    updated_at = greatest(c.updated_at, s.updated_at),
    traits = CASE WHEN s.updated_at >= c.updated_at
        THEN json_merge_patch(coalesce(c.traits, '{}'), coalesce(s.traits, '{}'))
        ELSE json_merge_patch(coalesce(s.traits, '{}'), coalesce(c.traits, '{}')) END,
    seq = s.seq
FROM stg_customers s
WHERE c.source_id = s.source_id AND c.customer_id = s.customer_id`

const updateAdSpendSQL = `
UPDATE ad_spend AS a SET
    marketplace = s.marketplace, currency = s.currency, spend = s.spend, spend_base = s.spend_base,
    fx_rate_date = s.fx_rate_date, impressions = s.impressions, clicks = s.clicks,
    message_id = s.message_id, seq = s.seq
FROM stg_ad_spend s
WHERE a.source_id = s.source_id AND a.date = s.date AND a.channel = s.channel AND a.campaign = s.campaign`

const cancelOrdersSQL = `
UPDATE order_rows AS o SET status = 'cancelled', cancelled_at = s."timestamp"
FROM stg_cancels s
WHERE o.store = s.store AND o.order_id = s.order_id`

// stage fills a temporary table shaped like query's result with rows.
func (s *DB) stage(ctx context.Context, c *sql.Conn, table, shape string, rows [][]driver.Value) error {
	if _, err := c.ExecContext(ctx, "CREATE OR REPLACE TEMP TABLE "+table+" AS "+shape+" LIMIT 0"); err != nil {
		return fmt.Errorf("store: stage %s: %w", table, err)
	}
	return s.appendRows(c, "temp", table, rows)
}

// jsonColumns are the JSON columns of the tables the store writer fills
// (a test holds the list to the schema). Their values are the messages'
// raw JSON objects (rawJSON).
var jsonColumns = map[string][]string{
	"event_rows": {"properties", "traits", "context", "integrations"},
	"order_rows": {"properties"},
	"reviews":    {"properties"},
	"customers":  {"traits"},
}

// textShape is the shape of table's rows with its JSON columns as VARCHAR,
// as a query for stage.
func textShape(table string) string {
	cols := jsonColumns[table]
	if len(cols) == 0 {
		return "SELECT * FROM " + table
	}
	parts := make([]string, len(cols))
	for i, c := range cols {
		parts[i] = c + "::VARCHAR AS " + c
	}
	return "SELECT * REPLACE (" + strings.Join(parts, ", ") + ") FROM " + table
}

// appendText appends rows to table; a table with JSON columns gets them
// through a staging table whose JSON columns are VARCHAR, and DuckDB casts
// (and so validates) the text as it copies the rows over. The appender
// passes every value of a JSON column through json.Marshal (reflection and
// a compaction of the text): 5.7 of the 131 CPU-s of a 1,000,000-row
// import, and 0.75 GB of its allocations.
func (s *DB) appendText(ctx context.Context, c *sql.Conn, table string, rows [][]driver.Value) error {
	if len(jsonColumns[table]) == 0 {
		return s.appendRows(c, "", table, rows)
	}
	if len(rows) == 0 {
		return nil
	}
	stg := "stg_text_" + table
	if err := s.stage(ctx, c, stg, textShape(table), rows); err != nil {
		return err
	}
	if _, err := c.ExecContext(ctx, "INSERT INTO "+table+" SELECT * FROM "+stg); err != nil {
		return fmt.Errorf("store: insert into %s: %w", table, err)
	}
	return nil
}

// appendRows appends rows through DuckDB's appender, inside the writer's
// open transaction.
func (s *DB) appendRows(c *sql.Conn, catalog, table string, rows [][]driver.Value) error {
	if len(rows) == 0 {
		return nil
	}
	return c.Raw(func(dc any) error {
		a, err := duckdb.NewAppender(dc.(driver.Conn), catalog, "main", table)
		if err != nil {
			return fmt.Errorf("store: appender %s: %w", table, err)
		}
		for i, r := range rows {
			if err := a.AppendRow(r...); err != nil {
				a.Close()
				return fmt.Errorf("store: append to %s, row %d: %w", table, i, err)
			}
		}
		if err := a.Close(); err != nil {
			return fmt.Errorf("store: flush %s: %w", table, err)
		}
		return nil
	})
}

func quarantineRows(q []store.QuarantineEntry) [][]driver.Value {
	rows := make([][]driver.Value, len(q))
	for i, e := range q {
		var seq driver.Value
		if e.Seq > 0 {
			seq = e.Seq
		}
		var line, index driver.Value
		if e.Line > 0 {
			line = e.Line
		}
		if e.Index >= 0 {
			index = int32(e.Index)
		}
		rows[i] = []driver.Value{e.At, null(e.SourceID), e.Origin, null(e.ImportID), line, index, null(e.Field), e.Reason, seq}
	}
	return rows
}

func null(s string) driver.Value {
	if s == "" {
		return nil
	}
	return s
}

// rawJSON passes raw JSON as bytes, for the VARCHAR staging columns of
// appendText (a JSON column of the appender would encode bytes as a
// base64 string: use nullJSON there).
func rawJSON(b []byte) driver.Value {
	if len(b) == 0 {
		return nil
	}
	return b
}

// nullJSON passes raw JSON as json.RawMessage: the appender JSON-encodes
// what it gets, and a RawMessage encodes as itself (a string would become a
// JSON string).
func nullJSON(b []byte) driver.Value {
	if len(b) == 0 {
		return nil
	}
	return json.RawMessage(b)
}

func nullTime(t time.Time) driver.Value {
	if t.IsZero() {
		return nil
	}
	return t
}

func nullDate(t time.Time) driver.Value {
	if t.IsZero() {
		return nil
	}
	return t
}

// dec4 gives a DECIMAL(18,4) to the appender as its unscaled int64, which is
// exact and skips any conversion. Amounts were rounded to 4 places and range
// checked by the projector.
func dec4(n store.NullDecimal) driver.Value {
	if !n.Valid {
		return nil
	}
	whole, frac, ok := n.D.Round(4).Int64(4)
	if !ok {
		return nil
	}
	return whole*10000 + frac
}
