package realtime

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/cockroachdb/pebble/v2"
	"github.com/tradewind/tradewind/internal/audience"

	"github.com/tradewind/tradewind/internal/eventlog"
	"github.com/tradewind/tradewind/internal/kvjson"
	"github.com/tradewind/tradewind/internal/profile"
)

// SegmentDef is a saved segment: its rule in both forms and who changed it.
type SegmentDef struct {
	ID          string          `json:"id"`
	Name        string          `json:"name"`
	Description string          `json:"description,omitempty"`
	Rule        json.RawMessage `json:"rule"`
	RuleText    string          `json:"rule_text"`
	Version     int             `json:"version"`
	CreatedAt   time.Time       `json:"created_at"`
	CreatedBy   string          `json:"created_by,omitempty"`
	UpdatedAt   time.Time       `json:"updated_at"`
	UpdatedBy   string          `json:"updated_by,omitempty"`
}

// Segment errors.
var (
	ErrSegmentNotFound = errors.New("segment not found")
	ErrSegmentExists   = errors.New("a segment with that id already exists")
)

// SegmentError names what is wrong with a segment.
type SegmentError struct{ Field, Reason string }

func (e *SegmentError) Error() string { return e.Field + ": " + e.Reason }

var segIDPattern = regexp.MustCompile(`^[a-z0-9][a-z0-9_-]{0,62}$`)

// traitKeyPattern is what a trait key in a rule ("traits.<key>") may be:
// it becomes part of a SQL JSON path, so nothing that could leave it.
var traitKeyPattern = regexp.MustCompile(`^[A-Za-z0-9_][A-Za-z0-9_-]{0,127}$`)

// traitAttrs adds the traits a rule mentions to schema, refusing keys that
// are not plain names.
func traitAttrs(r audience.Rule, schema audience.Schema) error {
	var bad string
	walkRule(r, func(c audience.TraitCond) {
		if k, ok := strings.CutPrefix(c.Attr, "traits."); ok {
			if !traitKeyPattern.MatchString(k) {
				bad = c.Attr
				return
			}
			schema.Attrs[c.Attr] = audience.String
		}
	}, nil)
	if bad != "" {
		return &SegmentError{"rule", fmt.Sprintf("%q: a trait key may hold letters, digits, _ and - only", bad)}
	}
	return nil
}

// traitSQL is the SQL of a trait attribute: its value as text, as the
// real-time side compares it.
func traitSQL(key string) string {
	return "json_extract_string(traits, '$.\"" + key + "\"')"
}

// openSegments opens the definitions' key-value bucket: they must outlive
// the engine's state (a replay rebuilds the state, not the definitions) and
// be the same on every node.
func openSegments(ctx context.Context, js jetstream.JetStream, bucket string) (*kvjson.Bucket[SegmentDef], error) {
	b := &kvjson.Bucket[SegmentDef]{JetStream: js, Name: bucket, Description: "tradewind segments", Prefix: "seg."}
	if _, err := b.KV(ctx); err != nil {
		return nil, fmt.Errorf("realtime: segments bucket %s: %w", bucket, err)
	}
	return b, nil
}

// compileDefs turns definitions into segments and the schema they need:
// the computed traits, plus every traits.<key> a rule mentions.
func compileDefs(defs []SegmentDef) ([]audience.Segment, audience.Schema, error) {
	schema := baseSchema()
	var segs []audience.Segment
	for _, d := range defs {
		r, err := audience.ParseJSON(d.Rule)
		if err != nil {
			return nil, schema, fmt.Errorf("segment %s: %w", d.ID, err)
		}
		if err := traitAttrs(r, schema); err != nil {
			return nil, schema, err
		}
		segs = append(segs, audience.Segment{ID: d.ID, Name: d.Name, Rule: r, Version: d.Version})
	}
	return segs, schema, nil
}

// walkRule calls trait and event for the leaves of a rule.
func walkRule(r audience.Rule, trait func(audience.TraitCond), event func(audience.EventCond)) {
	switch x := r.(type) {
	case audience.And:
		for _, c := range x {
			walkRule(c, trait, event)
		}
	case audience.Or:
		for _, c := range x {
			walkRule(c, trait, event)
		}
	case audience.Not:
		walkRule(x.Rule, trait, event)
	case *audience.Not:
		walkRule(x.Rule, trait, event)
	case audience.TraitCond:
		if trait != nil {
			trait(x)
		}
	case *audience.TraitCond:
		if trait != nil {
			trait(*x)
		}
	case audience.EventCond:
		if event != nil {
			event(x)
		}
	case *audience.EventCond:
		if event != nil {
			event(*x)
		}
	}
}

// ParseRule reads a rule in either form: JSON (starting with '{') or the
// text form.
func ParseRule(src string) (audience.Rule, error) {
	src = strings.TrimSpace(src)
	if strings.HasPrefix(src, "{") {
		return audience.ParseJSON([]byte(src))
	}
	return audience.ParseText(src)
}

// SetSegments replaces the engine's segments (at start, and when a node
// sees another node's change).
func (e *Engine) setSegments(defs []SegmentDef) error {
	segs, schema, err := compileDefs(defs)
	if err != nil {
		return err
	}
	aud := audience.New(schema)
	if err := aud.Set(segs); err != nil {
		return err
	}
	e.parts.aud, e.parts.schema = aud, schema
	e.parts.daysSince = false
	for _, sg := range segs {
		walkRule(sg.Rule, func(c audience.TraitCond) {
			if c.Attr == profile.AttrDaysSinceLastOrder || c.Attr == profile.AttrDaysSinceLastSeen {
				e.parts.daysSince = true
			}
		}, nil)
	}
	e.parts.segs = map[string]audience.Segment{}
	e.defs = map[string]SegmentDef{}
	for i, s := range segs {
		e.parts.segs[s.ID] = s
		e.defs[s.ID] = defs[i]
	}
	e.parts.preds = e.parts.usesPredictions()
	return nil
}

// Segments lists the saved segments.
func (e *Engine) Segments() []SegmentDef {
	e.mu.Lock()
	defer e.mu.Unlock()
	out := make([]SegmentDef, 0, len(e.defs))
	for _, d := range e.defs {
		out = append(out, d)
	}
	slices.SortFunc(out, func(a, b SegmentDef) int { return strings.Compare(a.ID, b.ID) })
	return out
}

// Segment returns one saved segment.
func (e *Engine) Segment(id string) (SegmentDef, bool) {
	e.mu.Lock()
	defer e.mu.Unlock()
	d, ok := e.defs[id]
	return d, ok
}

// CheckRule validates a rule against the schema and the saved segments.
func (e *Engine) CheckRule(id string, r audience.Rule) error {
	e.mu.Lock()
	defer e.mu.Unlock()
	defs := e.defsWith(SegmentDef{ID: id, Rule: audience.FormatJSON(r)})
	segs, schema, err := compileDefs(defs)
	if err != nil {
		return err
	}
	return audience.New(schema).Set(segs)
}

func (e *Engine) defsWith(d SegmentDef) []SegmentDef {
	var out []SegmentDef
	for id, old := range e.defs {
		if id != d.ID {
			out = append(out, old)
		}
	}
	if d.ID != "" {
		out = append(out, d)
	}
	slices.SortFunc(out, func(a, b SegmentDef) int { return strings.Compare(a.ID, b.ID) })
	return out
}

// SaveSegment creates (create true) or replaces a segment, brings the
// event history its new conditions need into the engine's state, and
// evaluates every profile against it. by names the principal.
func (e *Engine) SaveSegment(ctx context.Context, d SegmentDef, create bool, by string) (SegmentDef, error) {
	d.Name = strings.TrimSpace(d.Name)
	if d.Name == "" || len(d.Name) > 200 {
		return d, &SegmentError{"name", "is required (at most 200 characters)"}
	}
	if d.ID == "" {
		d.ID = slugID(d.Name)
	}
	if !segIDPattern.MatchString(d.ID) {
		return d, &SegmentError{"id", "must be lower-case letters, digits, _ or - (at most 63)"}
	}
	r, err := audience.ParseJSON(d.Rule)
	if err != nil {
		return d, &SegmentError{"rule", err.Error()}
	}
	d.Rule = audience.FormatJSON(r)
	d.RuleText = audience.Format(r)
	e.mu.Lock()
	old, exists := e.defs[d.ID]
	e.mu.Unlock()
	switch {
	case create && exists:
		return d, ErrSegmentExists
	case !create && !exists:
		return d, ErrSegmentNotFound
	}
	now := e.cfg.Now().UTC()
	if exists {
		d.CreatedAt, d.CreatedBy, d.Version = old.CreatedAt, old.CreatedBy, old.Version+1
	} else {
		d.CreatedAt, d.CreatedBy, d.Version = now, by, 1
	}
	d.UpdatedAt, d.UpdatedBy = now, by
	if err := e.CheckRule(d.ID, r); err != nil {
		return d, &SegmentError{"rule", err.Error()}
	}
	if err := e.segKV.Put(ctx, d.ID, d); err != nil {
		return d, fmt.Errorf("realtime: save segment: %w", err)
	}
	if err := e.applySegments(ctx, r); err != nil {
		return d, err
	}
	return d, nil
}

// DeleteSegment removes a segment; its members exit.
func (e *Engine) DeleteSegment(ctx context.Context, id string) error {
	e.mu.Lock()
	_, ok := e.defs[id]
	e.mu.Unlock()
	if !ok {
		return ErrSegmentNotFound
	}
	if err := e.segKV.Delete(ctx, id); err != nil {
		return fmt.Errorf("realtime: delete segment: %w", err)
	}
	return e.applySegments(ctx, nil)
}

// applySegments loads the saved definitions into the engine; for a new or
// changed rule it first feeds the engine the stored events its event
// conditions count (their state starts empty), then re-evaluates every
// profile so memberships are current without waiting for their next event.
func (e *Engine) applySegments(ctx context.Context, changed audience.Rule) error {
	defs, err := e.segKV.All(ctx)
	if err != nil {
		return err
	}
	e.mu.Lock()
	err = e.setSegments(defs)
	e.mu.Unlock()
	if err != nil {
		return err
	}
	if changed != nil {
		var names []string
		walkRule(changed, nil, func(c audience.EventCond) { names = append(names, c.Name) })
		if len(names) > 0 {
			if err := e.backfill(ctx, names); err != nil {
				return err
			}
		}
	}
	return e.EvaluateAll(ctx)
}

// backfill feeds the engine's segment state the stored events with these
// names (a new condition's history), in log order, up to the engine's
// position: the state counts each event once (it remembers sequences), so
// conditions that already had them are unchanged.
func (e *Engine) backfill(ctx context.Context, names []string) error {
	if e.cfg.Query == nil {
		return nil
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	upTo := e.applied.Load()
	if err := e.waitStore(ctx, upTo); err != nil {
		return err
	}
	// segmentEvents attributes events through the profile mapping the
	// engine writes: it must be current, or history would land on
	// profiles merged away since.
	if err := e.flushLocked(ctx); err != nil {
		return err
	}
	b := e.db.NewIndexedBatch()
	defer b.Close()
	cache := newReadCache(e.cache)
	kvA := cachedView(b, cache, prefAudience)
	err := e.cfg.Query(ctx, `SELECT profile_id, type, coalesce(event, name, ''), CAST(properties AS VARCHAR), "timestamp", seq
		FROM `+segmentEvents+` AS events WHERE profile_id IS NOT NULL AND seq <= ? AND type IN ('track', 'page', 'screen')
		AND coalesce(event, name, '') IN (SELECT unnest(?::VARCHAR[])) ORDER BY seq`,
		[]any{upTo, names}, func(row []any) error {
			pid, _ := row[0].(string)
			typ, _ := row[1].(string)
			name, _ := row[2].(string)
			props, _ := row[3].(string)
			ts, _ := row[4].(time.Time)
			seq, _ := row[5].(uint64)
			var pb []byte
			if props != "" {
				pb = []byte(props)
			}
			return e.parts.aud.OnEvent(kvA, audience.Event{Profile: pid, Type: typ, Name: name, Props: pb, At: ts, Seq: seq})
		})
	if err != nil {
		return fmt.Errorf("realtime: backfill segment history: %w", err)
	}
	if err := b.Commit(pebble.NoSync); err != nil {
		return err
	}
	cache.commit()
	return nil
}

// EvaluateAll re-evaluates every profile the store knows, in chunks, so
// live processing goes on between them.
func (e *Engine) EvaluateAll(ctx context.Context) error {
	if e.cfg.Query == nil {
		return nil
	}
	if err := e.Flush(ctx); err != nil {
		return err
	}
	var ids []string
	if err := e.cfg.Query(ctx, "SELECT profile_id FROM profiles ORDER BY profile_id", nil, func(row []any) error {
		if s, ok := row[0].(string); ok {
			ids = append(ids, s)
		}
		return nil
	}); err != nil {
		return err
	}
	for len(ids) > 0 {
		n := min(len(ids), 2000)
		if err := e.evaluateSome(ctx, ids[:n], "segments"); err != nil {
			return err
		}
		ids = ids[n:]
	}
	return nil
}

// evaluateSome evaluates a few profiles at the engine's clock and publishes
// their membership changes.
func (e *Engine) evaluateSome(ctx context.Context, ids []string, cause string) error {
	e.mu.Lock()
	defer e.mu.Unlock()
	b := e.db.NewIndexedBatch()
	defer b.Close()
	now := e.cfg.Now()
	var out []eventlog.Message
	cache := newReadCache(e.cache)
	for _, pid := range ids {
		msgs, err := e.parts.evaluate(b, cache, pid, now, fmt.Sprintf("%s-%d", cause, now.UnixNano()))
		if err != nil {
			return err
		}
		out = append(out, msgs...)
	}
	if len(out) > 0 {
		if _, err := e.cfg.Log.Publish(ctx, out); err != nil {
			return err
		}
	}
	if err := b.Commit(pebble.NoSync); err != nil {
		return err
	}
	cache.commit()
	return nil
}

// waitStore waits until the store holds the log up to seq.
func (e *Engine) waitStore(ctx context.Context, seq uint64) error {
	if e.cfg.RebuildStore == nil {
		return nil
	}
	wctx, cancel := context.WithTimeout(ctx, 2*time.Minute)
	defer cancel()
	for {
		applied, err := e.cfg.RebuildStore.AppliedSeq(wctx)
		if err != nil {
			return err
		}
		if applied >= seq {
			return nil
		}
		select {
		case <-wctx.Done():
			return fmt.Errorf("realtime: waiting for the store: %w", wctx.Err())
		case <-time.After(10 * time.Millisecond):
		}
	}
}

// slugID makes a segment id from its name.
func slugID(name string) string {
	var b strings.Builder
	dash := false
	for _, r := range strings.ToLower(name) {
		switch {
		case r >= 'a' && r <= 'z' || r >= '0' && r <= '9':
			b.WriteRune(r)
			dash = false
		case !dash && b.Len() > 0:
			b.WriteByte('_')
			dash = true
		}
		if b.Len() >= 60 {
			break
		}
	}
	s := strings.Trim(b.String(), "_")
	if s == "" {
		s = "segment"
	}
	return "seg_" + s
}

// Tables is how the batch side of segments sees the store at clock now: the
// profiles table with one column per attribute of the saved segments, and
// the senders' events (segmentEvents).
func (e *Engine) Tables(now time.Time) audience.Tables {
	e.mu.Lock()
	attrs, preds := e.parts.schema.Attrs, e.parts.preds
	e.mu.Unlock()
	return tables(now, attrs, preds, nil)
}

// tables is the batch side's view of the store at clock now for the
// attributes of schema attrs; predictions says whether a rule in play reads
// a prediction, and only then are the predictions joined: the join reads
// every profile's and every prediction's id (0.1 s of a preview at
// 1,000,000 customers) and DuckDB cannot drop it when no column of it is
// used, not knowing that a profile has at most one prediction row.
func tables(now time.Time, schema map[string]audience.Type, predictions bool, days *audience.DayCounts) audience.Tables {
	clock := "TIMESTAMPTZ '" + now.UTC().Format("2006-01-02 15:04:05.999999") + "+00'"
	attrs := map[string]string{}
	for name := range schema {
		switch name {
		case profile.AttrDaysSinceLastOrder:
			attrs[name] = daysSince("last_order_at", clock)
		case profile.AttrDaysSinceLastSeen:
			attrs[name] = daysSince("last_seen", clock)
		default:
			if k, ok := strings.CutPrefix(name, "traits."); ok {
				attrs[name] = traitSQL(k)
			} else {
				attrs[name] = name
			}
		}
	}
	profiles := "profiles"
	if predictions {
		// Predictions live in their own table, at most one row per profile.
		profiles = `(SELECT f.*, cp.clv, cp.p_alive, cp.expected_purchases, cp.churn_risk, cp.churn_tier
		FROM profiles f LEFT JOIN customer_predictions cp USING (profile_id))`
	}
	return audience.Tables{Profiles: profiles, Attrs: attrs, Events: segmentEvents, Days: days}
}

// EventDaysKeeper is a store that keeps its events counted per sender
// identity and UTC day (migration 013 of the DuckDB store). RefreshEventDays
// brings the counts up to date and returns the log sequence up to which
// every event row is counted.
type EventDaysKeeper interface {
	RefreshEventDays(ctx context.Context) (uint64, error)
}

// eventDays is the day counts as the batch side reads them: each
// identity's rows with its current profile, through the identity mapping
// as segmentEvents joins it — in one join of 64-bit hashes of the
// identities (source and user id, else the anonymous id) rather than two
// joins on strings, as the overview does (web.OverviewKPISQL): at
// 1,000,000 customers the string joins were most of a 90-day rule's time.
// Both sides are hashed in the query, never stored, so DuckDB's hash may
// change between versions. Two of about 2 million identities share a hash
// with odds of about one in ten million; rows without a profile drop out
// as in segmentEvents.
const eventDays = `(SELECT m.profile_id, d.type, d.name, d.day, d.n
	FROM event_days d
	JOIN (SELECT hash(source_id, user_id) AS k, profile_id FROM profile_users
	      UNION ALL SELECT hash(anonymous_id), profile_id FROM profile_anons) m
	  ON m.k = CASE WHEN d.user_id IS NOT NULL THEN hash(d.source_id, d.user_id) ELSE hash(d.anonymous_id) END)`

// dayState is the store's event-day counts' state (migration 013): every
// event row up to seq is counted, and no other, unless stale (a refresh
// half done, or deletions not yet checked).
type dayState struct {
	seq   uint64
	stale bool
}

// readDayState reads the event-day counts' state through query.
func readDayState(ctx context.Context, query func(ctx context.Context, sql string, args []any, fn func(row []any) error) error) (dayState, error) {
	var st dayState
	err := query(ctx, "SELECT refreshed_seq, full_check OR busy FROM event_days_state", nil, func(row []any) error {
		switch v := row[0].(type) {
		case uint64:
			st.seq = v
		case int64:
			st.seq = uint64(v)
		default:
			return fmt.Errorf("realtime: event days state: a sequence of type %T", row[0])
		}
		st.stale, _ = row[1].(bool)
		return nil
	})
	return st, err
}

// counts describes the day counts at state st for a rule's query: nil when
// they may not be read; else the rows above st.seq, as a constant bound,
// come from the events. A query is right only if the state was the same
// when it ran: Preview reads it again after.
func (st dayState) counts() *audience.DayCounts {
	if st.stale {
		return nil
	}
	return &audience.DayCounts{Table: eventDays, Fresh: "seq > " + strconv.FormatUint(st.seq, 10)}
}

// previewDayCounts brings the store's event-day counts up to date, when it
// keeps them, and returns their state; ok is false when it keeps none.
// A count rule then reads the whole days inside its window from them:
// at 1,000,000 customers a 90-day "Order Completed" rule otherwise reads
// 17.5 million event rows.
func (e *Engine) previewDayCounts(ctx context.Context) (dayState, bool, error) {
	k, ok := e.cfg.RebuildStore.(EventDaysKeeper)
	if !ok {
		return dayState{}, false, nil
	}
	if _, err := k.RefreshEventDays(ctx); err != nil {
		return dayState{}, false, err
	}
	st, err := readDayState(ctx, e.cfg.Query)
	return st, err == nil, err
}

// countsEvents reports whether any of rules has an event condition: only
// then does a preview bring the event-day counts up to date (a refresh
// waits for the store writer's lock when events arrived).
func countsEvents(rules ...audience.Rule) bool {
	found := false
	for _, r := range rules {
		walkRule(r, nil, func(audience.EventCond) { found = true })
	}
	return found
}

// readsPredictions reports whether any of rules compares a prediction.
func readsPredictions(rules ...audience.Rule) bool {
	found := false
	for _, r := range rules {
		walkRule(r, func(c audience.TraitCond) {
			if _, ok := predictionAttrs[c.Attr]; ok {
				found = true
			}
		}, nil)
	}
	return found
}

// segmentEvents is what an event condition counts: the events view
// (migration 004) without its last branch, which gives the node's own
// messages (source _tradewind) the profile their JSON names. Those are
// never a track, page or screen (segment.IsEngineType), the only types a
// condition counts, and the engine passes none of them to a segment, so
// the branch never adds to a count; but DuckDB cannot know that, and read
// and parsed the properties of every row a condition's filters keep: 0.7
// of the 1.5 s of a preview at 1,000,000 customers (bench/dashboard).
const segmentEvents = `(SELECT e.*, coalesce(u.profile_id, a.profile_id) AS profile_id
	FROM event_rows e
	LEFT JOIN profile_users u ON u.source_id = e.source_id AND u.user_id = e.user_id
	LEFT JOIN profile_anons a ON a.anonymous_id = CASE WHEN e.user_id IS NULL THEN e.anonymous_id END)`

// daysSince is the SQL of a "days since" attribute: whole UTC days between
// the column's day and the clock's day, never negative — as the profile
// package computes it.
func daysSince(col, clock string) string {
	return "greatest(date_diff('day', CAST(timezone('UTC', " + col + ") AS DATE), CAST(timezone('UTC', " + clock + ") AS DATE)), 0)"
}

// Preview counts the profiles a rule selects at now, before it is saved.
func (e *Engine) Preview(ctx context.Context, r audience.Rule, now time.Time) (int64, error) {
	if e.cfg.Query == nil {
		return 0, errors.New("realtime: no store to count in")
	}
	e.mu.Lock()
	defs := e.defsWith(SegmentDef{})
	e.mu.Unlock()
	segs, schema, err := compileDefs(defs)
	if err != nil {
		return 0, err
	}
	if err := traitAttrs(r, schema); err != nil {
		return 0, err
	}
	aud := audience.New(schema)
	if err := aud.Set(segs); err != nil {
		return 0, err
	}
	// The rule may refer to any saved segment, whose rule is then part of
	// the query.
	rules := []audience.Rule{r}
	for _, sg := range segs {
		rules = append(rules, sg.Rule)
	}
	var (
		st   dayState
		days bool
	)
	if countsEvents(rules...) {
		if st, days, err = e.previewDayCounts(ctx); err != nil {
			return 0, err
		}
	}
	// A query over the day counts is right if their state did not change
	// while it ran (a refresh or an erasure in between): read it again
	// after, and ask again, at last without the counts.
	for try := 0; ; try++ {
		var dc *audience.DayCounts
		if days && try < 2 {
			dc = st.counts()
		}
		q, args, err := aud.PreviewSQL(r, now, tables(now, schema.Attrs, readsPredictions(rules...), dc))
		if err != nil {
			return 0, err
		}
		var n int64
		err = e.cfg.Query(ctx, q, args, func(row []any) error {
			n, _ = row[0].(int64)
			return nil
		})
		if err != nil || dc == nil {
			return n, err
		}
		after, err := readDayState(ctx, e.cfg.Query)
		if err != nil {
			return 0, err
		}
		if after == st {
			return n, nil
		}
		st = after
	}
}

// SegmentSQL is the batch form of a saved segment: a query for its
// members at now over the store.
func (e *Engine) SegmentSQL(id string, now time.Time) (string, []any, error) {
	e.mu.Lock()
	aud := e.parts.aud
	e.mu.Unlock()
	return aud.SQL(id, now, e.Tables(now))
}
