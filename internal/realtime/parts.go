package realtime

import (
	"bytes"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/cockroachdb/pebble/v2"
	"github.com/govalues/decimal"

	"github.com/tradewind/tradewind/internal/audience"
	"github.com/tradewind/tradewind/internal/eventlog"
	"github.com/tradewind/tradewind/internal/identity"
	"github.com/tradewind/tradewind/internal/profile"
	"github.com/tradewind/tradewind/internal/segment"
	"github.com/tradewind/tradewind/internal/store"
)

// engineSource is the source of the engine's own messages.
const engineSource = segment.EngineSource

// Key prefixes of the parts' state in the engine's Pebble.
const (
	prefIdentity = "i/"
	prefProfile  = "p/"
	prefAudience = "a/"
	prefMember   = "e/member/" // e/member/<profile> → JSON map segment id → since
)

// parts are the engine's three state machines and what connects them.
type parts struct {
	e      *Engine
	graph  *identity.Graph
	keeper *profile.Keeper
	aud    *audience.Engine
	schema audience.Schema
	segs   map[string]audience.Segment
	// daysSince is set when a rule uses a "days since" attribute: those
	// change at every UTC midnight, which the segment state's own timers
	// do not foresee.
	daysSince bool
	// preds is set when a rule reads a prediction: only then does an
	// evaluation read the profile's predictions.
	preds bool
}

func newParts(e *Engine) (*parts, error) {
	p := &parts{e: e,
		graph:  identity.New(identity.Config{SharedUserSpaces: e.cfg.SharedUserSpaces, Blocklist: e.cfg.Blocklist}),
		keeper: profile.New(profile.Config{SourcePrecedence: e.cfg.SourcePrecedence, SourceKind: e.sourceKind}),
		segs:   map[string]audience.Segment{},
	}
	if err := p.graph.Err(); err != nil {
		return nil, err
	}
	p.schema = baseSchema()
	p.aud = audience.New(p.schema)
	return p, nil
}

// baseSchema is the computed traits segment rules may use.
func baseSchema() audience.Schema {
	s := audience.Schema{Attrs: map[string]audience.Type{
		profile.AttrFirstSeen: audience.Time, profile.AttrLastSeen: audience.Time,
		profile.AttrDaysSinceLastSeen: audience.Number, profile.AttrOrders: audience.Number,
		profile.AttrPricedOrders: audience.Number, profile.AttrUnpricedOrders: audience.Number,
		profile.AttrCancelledOrders: audience.Number, profile.AttrRevenueBase: audience.Decimal,
		profile.AttrNetRevenueBase: audience.Decimal, profile.AttrRefundedBase: audience.Decimal,
		profile.AttrAOVBase: audience.Decimal, profile.AttrRefunds: audience.Number,
		profile.AttrRefundedOrders: audience.Number, profile.AttrMarketplaces: audience.StringList,
		profile.AttrChannels: audience.StringList, profile.AttrCountry: audience.String,
		profile.AttrLanguage: audience.String, profile.AttrTimeZone: audience.String,
		profile.AttrFirstOrderAt: audience.Time, profile.AttrLastOrderAt: audience.Time,
		profile.AttrDaysSinceLastOrder: audience.Number, profile.AttrOrderIntervalDays: audience.Number,
		profile.AttrReviews: audience.Number, profile.AttrRatingAvg: audience.Decimal,
		profile.AttrLastDeviationAt: audience.Time, profile.AttrDeviationMetrics: audience.StringList,
	}}
	for name, t := range predictionAttrs {
		s.Attrs[name] = t
	}
	return s
}

// attrValue turns a computed trait into a segment value.
func attrValue(v any) (audience.Value, bool) {
	switch x := v.(type) {
	case string:
		return audience.StringValue(x), true
	case int64:
		return audience.IntValue(x), true
	case int:
		return audience.IntValue(int64(x)), true
	case float64:
		d, err := decimal.NewFromFloat64(x)
		if err != nil {
			return audience.Value{}, false
		}
		return audience.NumberValue(d), true
	case decimal.Decimal:
		return audience.NumberValue(x), true
	case time.Time:
		return audience.TimeValue(x), true
	case []string:
		return audience.ListValue(x), true
	case bool:
		return audience.BoolValue(x), true
	}
	return audience.Value{}, false
}

// profileAttrs is a profile as segment rules see it: computed traits (read
// one at a time from the profile, without building Attrs' map),
// predictions, and trait keys as "traits.<key>" (compared as strings).
type profileAttrs struct {
	prof  *profile.Profile
	now   time.Time
	preds map[string]any // nil without predictions
}

func (p profileAttrs) Attr(name string) (audience.Value, bool) {
	if k, ok := strings.CutPrefix(name, "traits."); ok {
		raw, ok := p.prof.Traits[k]
		if !ok {
			return audience.Value{}, false
		}
		var s string
		if json.Unmarshal(raw, &s) == nil {
			return audience.StringValue(s), true
		}
		var f json.Number
		if json.Unmarshal(raw, &f) == nil {
			return audience.StringValue(f.String()), true
		}
		return audience.Value{}, false
	}
	if v, ok := p.preds[name]; ok {
		return attrValue(v)
	}
	if _, ok := predictionAttrs[name]; ok {
		return audience.Value{}, false
	}
	return attrOf(p.prof, name, p.now)
}

// noStrings is the empty list an attribute without items has.
var noStrings = []string{}

// attrOf is attrValue(p.Attr(name, now)) for the attributes rules use
// most, without boxing each value into an interface first (an allocation
// per attribute read, and rules read several for every message); the rest
// go through Attr. A test holds the two equal for every attribute.
func attrOf(p *profile.Profile, name string, now time.Time) (audience.Value, bool) {
	switch name {
	case profile.AttrFirstSeen, profile.AttrLastSeen:
		if p.FirstSeen.IsZero() {
			return audience.Value{}, false
		}
		if name == profile.AttrFirstSeen {
			return audience.TimeValue(p.FirstSeen), true
		}
		return audience.TimeValue(p.LastSeen), true
	case profile.AttrOrders:
		return audience.IntValue(int64(p.Orders)), true
	case profile.AttrPricedOrders:
		return audience.IntValue(int64(p.PricedOrders)), true
	case profile.AttrRevenueBase:
		return audience.NumberValue(p.RevenueBase), true
	case profile.AttrNetRevenueBase:
		return audience.NumberValue(p.NetRevenueBase), true
	case profile.AttrAOVBase:
		if p.PricedOrders <= 0 {
			return audience.Value{}, false
		}
		return audience.NumberValue(p.AOVBase), true
	case profile.AttrMarketplaces:
		if p.Marketplaces == nil {
			return audience.ListValue(noStrings), true
		}
		return audience.ListValue(p.Marketplaces), true
	case profile.AttrCountry, profile.AttrLanguage:
		v := p.Country
		if name == profile.AttrLanguage {
			v = p.Language
		}
		if v == "" {
			return audience.Value{}, false
		}
		return audience.StringValue(v), true
	case profile.AttrLastOrderAt:
		if p.Orders <= 0 {
			return audience.Value{}, false
		}
		return audience.TimeValue(p.LastOrderAt), true
	}
	v, ok := p.Attr(name, now)
	if !ok {
		return audience.Value{}, false
	}
	return attrValue(v)
}

// apply folds one projected message into the graph, the profile and the
// segment state, returning the message's profile ("" for a message whose
// identifiers are all junk). c (which may be nil) caches the batch's state;
// obs is the message's observation (nil: made from pr).
func (p *parts) apply(b *pebble.Batch, c *readCache, pr *store.Projected, obs *identity.Observation, now time.Time) (string, error) {
	kvI, kvP, kvA := cachedView(b, c, prefIdentity), cachedView(b, c, prefProfile), cachedView(b, c, prefAudience)
	if obs == nil {
		o := p.e.observation(pr, p.e.storeOf)
		obs = &o
	}
	res, err := p.graph.Observe(kvI, *obs)
	if err != nil {
		return "", err
	}
	if res.Created && c != nil {
		p.e.noState(c, res.Profile)
	}
	for _, m := range res.Merges {
		if c != nil {
			delete(c.profiles, m.Into)
			delete(c.profiles, m.From)
		}
		if _, err := p.keeper.Merge(kvP, m.Into, m.From); err != nil {
			return "", err
		}
		if err := p.aud.Merge(kvA, m.Into, m.From); err != nil {
			return "", err
		}
		if err := p.mark(b, prefMerge, m.ID, m); err != nil {
			return "", err
		}
	}
	for _, from := range res.Previous {
		if err := p.gone(b, c, from); err != nil {
			return "", err
		}
	}
	for i, cf := range res.Conflicts {
		if err := p.mark(b, prefConfl, fmt.Sprintf("%020d/%04d", cf.Seq, i), cf); err != nil {
			return "", err
		}
	}
	if len(res.Splits) > 0 {
		// The rare split: what the profiles hold is recomputed from their
		// messages (below, after this message is applied to its profile).
		p.e.rebuildLater(res.Splits)
	}
	for _, id := range res.Changed {
		if err := p.dirty(b, c, id); err != nil {
			return "", err
		}
	}
	pid := res.Profile
	if pid == "" {
		return "", nil
	}
	upd, err := p.keeper.Apply(kvP, pid, pr)
	if err != nil {
		return "", err
	}
	if c != nil {
		c.profiles[pid] = upd.Profile
	}
	if err := p.onEvent(kvA, pid, pr); err != nil {
		return "", err
	}
	for _, d := range upd.Deviations {
		p.e.queue(deviationMessage(pid, d, pr.Event.Seq))
	}
	return pid, p.dirty(b, c, pid)
}

// onEvent records a message for the segment conditions that count events.
func (p *parts) onEvent(kvA batchKV, pid string, pr *store.Projected) error {
	ev := pr.Event
	name := ev.Event
	if ev.Type == segment.Page || ev.Type == segment.Screen {
		name = ev.Name
	}
	return p.aud.OnEvent(kvA, audience.Event{Profile: pid, Type: ev.Type, Name: name, Props: ev.Properties,
		At: ev.Timestamp, Seq: ev.Seq})
}

// evaluate re-evaluates a profile's segments at now and returns the
// messages for the memberships that changed; cause makes their ids
// deterministic (the message or timer that caused the change). c (which
// may be nil) caches the batch's state.
func (p *parts) evaluate(b *pebble.Batch, c *readCache, pid string, now time.Time, cause string) ([]eventlog.Message, error) {
	kvP, kvA := cachedView(b, c, prefProfile), cachedView(b, c, prefAudience)
	var prof *profile.Profile
	ok := false
	if len(p.segs) > 0 || p.daysSince {
		// Without segments only the memberships the profile still has
		// (none, unless segments were just deleted) matter: no need to
		// read and compute the profile.
		if c != nil {
			prof, ok = c.profiles[pid]
		}
		if !ok {
			var err error
			if prof, ok, err = p.keeper.Load(kvP, pid); err != nil {
				return nil, err
			}
		}
	}
	kvM := cachedView(b, c, prefMember)
	old, err := readMembers(kvM, pid)
	if err != nil {
		return nil, err
	}
	var out []eventlog.Message
	cur := make(map[string]time.Time, len(old)+2)
	member := func(id string, in bool) {
		if !in {
			return
		}
		if since, was := old[id]; was {
			cur[id] = since
			return
		}
		cur[id] = now.UTC()
		out = append(out, p.membershipMessage(segment.SegmentEntered, id, pid, now, cause))
	}
	var next time.Time
	if ok && len(p.segs) > 0 {
		pa := profileAttrs{prof: prof, now: now}
		if p.preds {
			if pa.preds, err = loadPrediction(cachedView(b, c, prefPrediction), pid); err != nil {
				return nil, err
			}
		}
		if next, err = p.aud.EvaluateFunc(kvA, pid, pa, now, member); err != nil {
			return nil, err
		}
	}
	if p.daysSince && ok && !prof.LastSeen.IsZero() {
		midnight := now.UTC().Truncate(24 * time.Hour).Add(24 * time.Hour)
		if next.IsZero() || midnight.Before(next) {
			next = midnight
		}
	}
	if err := p.setTimer(b, c, pid, next); err != nil {
		return nil, err
	}
	for id := range old {
		if _, still := cur[id]; !still {
			out = append(out, p.membershipMessage(segment.SegmentExited, id, pid, now, cause))
		}
	}
	if len(out) == 0 {
		return nil, nil
	}
	if err := setMembers(kvM, pid, cur); err != nil {
		return nil, err
	}
	return out, p.dirty(b, c, pid)
}

// membershipMessage is a segment_entered or segment_exited message. Its id
// is derived from the segment, the profile, the change and its cause, so a
// replay that makes the same change sends a message the log and the store
// already have.
func (p *parts) membershipMessage(typ, segID, pid string, now time.Time, cause string) eventlog.Message {
	sum := sha256.Sum256([]byte(typ + "\x00" + segID + "\x00" + pid + "\x00" + cause))
	id := "seg-" + hex.EncodeToString(sum[:12])
	body, _ := json.Marshal(membershipBody{Type: typ, MessageID: id, Timestamp: now.UTC().Format(time.RFC3339Nano),
		Properties: membershipProps{SegmentID: segID, SegmentName: p.segs[segID].Name, ProfileID: pid}})
	return eventlog.Message{Type: typ, Meta: eventlog.Meta{Source: engineSource, MessageID: id, ReceivedAt: now.UTC(),
		Timestamp: now.UTC(), Flags: eventlog.FlagPermanentKey}, Data: body}
}

// membershipBody is a membership message's JSON, its fields in the order
// json.Marshal gives a map's keys (sorted), so the bytes are those the
// engine always sent; a struct encodes several times faster than a map.
type membershipBody struct {
	MessageID  string          `json:"messageId"`
	Properties membershipProps `json:"properties"`
	Timestamp  string          `json:"timestamp"`
	Type       string          `json:"type"`
}

type membershipProps struct {
	ProfileID   string `json:"profile_id"`
	SegmentID   string `json:"segment_id"`
	SegmentName string `json:"segment_name"`
}

// deviationMessage reports a person's behaviour departing from their own
// history.
func deviationMessage(pid string, d profile.Deviation, seq uint64) eventlog.Message {
	sum := sha256.Sum256([]byte(fmt.Sprintf("dev\x00%s\x00%s\x00%d", pid, d.Metric, seq)))
	id := "dev-" + hex.EncodeToString(sum[:12])
	body, _ := json.Marshal(map[string]any{"type": segment.ProfileDeviation, "messageId": id,
		"timestamp": d.At.UTC().Format(time.RFC3339Nano), "properties": map[string]any{"profile_id": pid, "deviation": d}})
	return eventlog.Message{Type: segment.ProfileDeviation, Meta: eventlog.Meta{Source: engineSource, MessageID: id,
		ReceivedAt: time.Now().UTC(), Timestamp: d.At.UTC(), Flags: eventlog.FlagPermanentKey}, Data: body}
}

// members reads a profile's memberships (segment id → since) from r (a
// snapshot: the API, the flush).
func (p *parts) members(r pebble.Reader, pid string) (map[string]time.Time, error) {
	return readMembers(view(r, nil, prefMember), pid)
}

// readMembers reads a profile's memberships through kv.
func readMembers(kv batchKV, pid string) (map[string]time.Time, error) {
	v, err := kv.Get([]byte(pid))
	if err != nil {
		return nil, err
	}
	m, err := decodeMembers(v)
	if err != nil {
		return nil, fmt.Errorf("realtime: memberships of %s: %w", pid, err)
	}
	return m, nil
}

func setMembers(kv batchKV, pid string, m map[string]time.Time) error {
	if len(m) == 0 {
		return kv.Delete([]byte(pid))
	}
	return kv.Set([]byte(pid), encodeMembers(m))
}

// membersV1 begins the binary form of a profile's memberships: a count,
// then per segment its id (length-prefixed) and since (Unix nanoseconds,
// UTC). Memberships are read and written for every message that changes
// one, and JSON with RFC 3339 times cost several times as much; state
// written before holds JSON, which starts with '{' and is still read.
const membersV1 = 1

func encodeMembers(m map[string]time.Time) []byte {
	n := 1 + binary.MaxVarintLen64
	for id := range m {
		n += len(id) + 2*binary.MaxVarintLen64
	}
	b := make([]byte, 0, n)
	b = append(b, membersV1)
	b = binary.AppendUvarint(b, uint64(len(m)))
	for id, since := range m {
		b = binary.AppendUvarint(b, uint64(len(id)))
		b = append(b, id...)
		b = binary.AppendVarint(b, since.UnixNano())
	}
	return b
}

var errMembers = errors.New("corrupt memberships")

func decodeMembers(v []byte) (map[string]time.Time, error) {
	if len(v) == 0 {
		return map[string]time.Time{}, nil
	}
	if v[0] == '{' {
		out := map[string]time.Time{}
		if err := json.Unmarshal(v, &out); err != nil {
			return nil, err
		}
		return out, nil
	}
	if v[0] != membersV1 {
		return nil, errMembers
	}
	v = v[1:]
	n, k := binary.Uvarint(v)
	if k <= 0 || n > uint64(len(v)) {
		return nil, errMembers
	}
	v = v[k:]
	out := make(map[string]time.Time, n)
	for range n {
		l, k := binary.Uvarint(v)
		if k <= 0 || l > uint64(len(v)-k) {
			return nil, errMembers
		}
		id := string(v[k : k+int(l)])
		v = v[k+int(l):]
		ns, k2 := binary.Varint(v)
		if k2 <= 0 {
			return nil, errMembers
		}
		v = v[k2:]
		out[id] = time.Unix(0, ns).UTC()
	}
	if len(v) != 0 {
		return nil, errMembers
	}
	return out, nil
}

// setTimer schedules the profile's next evaluation (none for a zero time).
// The profile's timer is read through the cache and left alone when it is
// already set for at: most evaluations find the same next change.
func (p *parts) setTimer(b *pebble.Batch, c *readCache, pid string, at time.Time) error {
	kvT := cachedView(b, c, string(prefTimerP))
	var t [8]byte
	if !at.IsZero() {
		binary.BigEndian.PutUint64(t[:], uint64(at.UnixNano()))
	}
	v, err := kvT.Get([]byte(pid))
	if err != nil {
		return err
	}
	if v != nil {
		if !at.IsZero() && string(v) == string(t[:]) {
			return nil
		}
		old := append(append([]byte{}, prefTimer...), v...)
		if err := b.Delete(append(old, pid...), nil); err != nil {
			return err
		}
	}
	if at.IsZero() {
		if v == nil {
			return nil
		}
		return kvT.Delete([]byte(pid))
	}
	if err := b.Set(append(append(append([]byte{}, prefTimer...), t[:]...), pid...), nil, nil); err != nil {
		return err
	}
	return kvT.Set([]byte(pid), t[:])
}

// dirty marks a profile for the next flush to the store (once per batch
// with a cache c).
func (p *parts) dirty(b *pebble.Batch, c *readCache, pid string) error {
	if c != nil {
		if c.dirtied[pid] {
			return nil
		}
		c.dirtied[pid] = true
	}
	var v [8]byte
	binary.BigEndian.PutUint64(v[:], uint64(time.Now().UnixNano()))
	return b.Set([]byte(string(prefDirty)+pid), v[:], nil)
}

// gone marks a profile (merged away, forgotten) for removal from the store.
func (p *parts) gone(b *pebble.Batch, c *readCache, pid string) error {
	if err := cachedView(b, c, prefMember).Delete([]byte(pid)); err != nil {
		return err
	}
	if err := p.setTimer(b, c, pid, time.Time{}); err != nil {
		return err
	}
	// A time, not a constant: the flusher clears the markers it flushed
	// only when they still hold what it read, so a profile removed again
	// while a flush ran (merged, unmerged, merged) keeps its marker.
	var v [8]byte
	binary.BigEndian.PutUint64(v[:], uint64(time.Now().UnixNano()))
	return b.Set([]byte(string(prefGone)+pid), v[:], nil)
}

// mark queues a record (merge, conflict) for the next flush.
func (p *parts) mark(b *pebble.Batch, prefix []byte, id string, v any) error {
	raw, err := json.Marshal(v)
	if err != nil {
		return err
	}
	return b.Set([]byte(string(prefix)+id), raw, nil)
}

// collect adds queued changes to out: the changed profiles after the
// marker key after (nil: from the first) until done holds step markers,
// then, once they are all in, the removed profiles, merges and conflicts
// until it holds total. It returns the markers to clear once out is
// written and, when it stopped at step among the changed profiles, the key
// to continue after (nil when it got past them). r is the committed state
// (the caller holds the engine's lock) read through c.
func (p *parts) collect(r pebble.Reader, c *readCache, out *store.ProfileBatch, done []marker, step, total int, after []byte) ([]marker, []byte, error) {
	max := step
	var next []byte
	scan := func(prefix []byte, fn func(k, v []byte) error) error {
		lo := prefix
		if after != nil && bytes.HasPrefix(after, prefix) {
			lo = append(bytes.Clone(after), 0)
		}
		it, err := r.NewIter(&pebble.IterOptions{LowerBound: lo, UpperBound: prefixEnd(prefix)})
		if err != nil {
			return err
		}
		var got []marker
		ok := it.First()
		for ; ok && len(done)+len(got) < max; ok = it.Next() {
			got = append(got, marker{bytes.Clone(it.Key()), bytes.Clone(it.Value())})
		}
		err = it.Error()
		it.Close()
		if err != nil {
			return err
		}
		if bytes.Equal(prefix, prefDirty) && c != nil {
			// Their records, read in key order before fn reads them one
			// by one (prefetch.go).
			if err := p.e.prefetchProfiles(r, c, got); err != nil {
				return err
			}
		}
		for _, m := range got {
			if err := fn(m.key, m.val); err != nil {
				return err
			}
			done = append(done, m)
		}
		if ok && bytes.Equal(prefix, prefDirty) {
			next = done[len(done)-1].key
		}
		return nil
	}
	kvI, kvP := batchKV{b: r, prefix: []byte(prefIdentity), c: c}, batchKV{b: r, prefix: []byte(prefProfile), c: c}
	kvM := batchKV{b: r, prefix: []byte(prefMember), c: c}
	err := scan(prefDirty, func(k, _ []byte) error {
		pid := string(k[len(prefDirty):])
		prof, ok, err := p.keeper.Load(kvP, pid)
		if err != nil {
			return err
		}
		info, err := p.graph.Profile(kvI, pid)
		if err != nil || info.State == "merged" || !ok {
			out.Removed = append(out.Removed, pid)
			return nil
		}
		ids, err := p.graph.Identities(kvI, pid)
		if err != nil {
			return err
		}
		row := profileRow(prof)
		row.Identities = len(ids)
		out.Profiles = append(out.Profiles, row)
		for _, id := range ids {
			for _, ns := range p.e.namespaceSources(id) {
				out.Identities = append(out.Identities, store.IdentityRow{Kind: id.Kind, NS: ns, Value: id.Value, ProfileID: pid})
			}
		}
		mem, err := readMembers(kvM, pid)
		if err != nil {
			return err
		}
		for seg, since := range mem {
			out.Members = append(out.Members, store.MemberRow{SegmentID: seg, ProfileID: pid, Since: since})
		}
		return nil
	})
	if err == nil && next != nil {
		return done, next, nil // more changed profiles: the rest waits
	}
	max = total
	if err == nil {
		err = scan(prefGone, func(k, _ []byte) error {
			out.Removed = append(out.Removed, string(k[len(prefGone):]))
			return nil
		})
	}
	if err == nil {
		err = scan(prefMerge, func(_, v []byte) error {
			var m identity.Merge
			if err := json.Unmarshal(v, &m); err != nil {
				return err
			}
			row := store.MergeRow{MergeID: m.ID, MessageID: m.MessageID, Seq: m.Seq, At: m.At, Into: m.Into, From: m.From, Reason: m.Reason}
			if m.UndoneAt != nil {
				row.UndoneAt, row.UndoneBy = *m.UndoneAt, m.UndoneBy
			}
			out.Merges = append(out.Merges, row)
			return nil
		})
	}
	if err == nil {
		err = scan(prefConfl, func(_, v []byte) error {
			var c identity.Conflict
			if err := json.Unmarshal(v, &c); err != nil {
				return err
			}
			out.Conflicts = append(out.Conflicts, store.ConflictRow{Seq: c.Seq, MessageID: c.MessageID, At: c.At,
				ProfileA: c.Profiles[0], ProfileB: c.Profiles[1], Kind: c.Kind, NS: c.NS, Reason: c.Reason})
			return nil
		})
	}
	if err != nil {
		return nil, nil, err
	}
	return done, nil, nil
}

// recheck drops from out the profiles that are no longer live (merged away
// or erased since they were read) and lists them as removed instead, with
// their identities and memberships: the flush reads changes in steps, and
// only the last step's are current when the batch is written.
func (p *parts) recheck(r pebble.Reader, c *readCache, out *store.ProfileBatch) error {
	kvI := batchKV{b: r, prefix: []byte(prefIdentity), c: c}
	if c != nil {
		// Their identity records, in key order (prefetch.go): thousands of
		// profiles read in earlier steps, which the cache may have lost.
		if err := p.e.prefetchIdentities(r, c, out.Profiles); err != nil {
			return err
		}
	}
	dead := map[string]bool{}
	for _, row := range out.Profiles {
		info, err := p.graph.Profile(kvI, row.ProfileID)
		if errors.Is(err, identity.ErrNotFound) || err == nil && info.State == "merged" {
			dead[row.ProfileID] = true
		} else if err != nil {
			return err
		}
	}
	if len(dead) == 0 {
		return nil
	}
	out.Profiles = slices.DeleteFunc(out.Profiles, func(r store.ProfileRow) bool { return dead[r.ProfileID] })
	out.Identities = slices.DeleteFunc(out.Identities, func(r store.IdentityRow) bool { return dead[r.ProfileID] })
	out.Members = slices.DeleteFunc(out.Members, func(r store.MemberRow) bool { return dead[r.ProfileID] })
	for pid := range dead {
		out.Removed = append(out.Removed, pid)
	}
	return nil
}

// profileRow turns a profile into its store row.
func profileRow(p *profile.Profile) store.ProfileRow {
	dec := func(d decimal.Decimal, ok bool) store.NullDecimal { return store.NullDecimal{D: d, Valid: ok} }
	r := store.ProfileRow{ProfileID: p.ID, UpdatedAt: time.Now().UTC(), FirstSeen: p.FirstSeen, LastSeen: p.LastSeen,
		Orders: int64(p.Orders), PricedOrders: int64(p.PricedOrders), UnpricedOrders: int64(p.UnpricedOrders),
		CancelledOrders: int64(p.CancelledOrders), RevenueBase: dec(p.RevenueBase, true),
		NetRevenueBase: dec(p.NetRevenueBase, true), RefundedBase: dec(p.RefundedBase, true),
		AOVBase: dec(p.AOVBase, p.PricedOrders > 0), Refunds: int64(p.Refunds), RefundedOrders: int64(p.RefundedOrders),
		Marketplaces: p.Marketplaces, Channels: p.Channels, Country: p.Country, Language: p.Language, TimeZone: p.TimeZone,
		Reviews: int64(p.Reviews), RatingAvg: dec(p.RatingAvg, p.RatedReviews > 0)}
	if p.Orders > 0 {
		r.FirstOrderAt, r.LastOrderAt = p.FirstOrderAt, p.LastOrderAt
	}
	if p.HasOrderInterval() {
		iv := p.OrderIntervalDays
		r.OrderIntervalDays = &iv
	}
	if len(p.Deviations) > 0 {
		for _, d := range p.Deviations {
			r.DeviationMetrics = append(r.DeviationMetrics, d.Metric)
			if d.At.After(r.LastDeviationAt) {
				r.LastDeviationAt = d.At
			}
		}
		sort.Strings(r.DeviationMetrics)
		r.Deviations, _ = json.Marshal(p.Deviations)
	}
	if len(p.Traits) > 0 {
		r.Traits, _ = json.Marshal(p.Traits)
	}
	return r
}
