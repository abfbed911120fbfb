// Package marketing answers "which marketing works" from the store: it
// reads touchpoints and orders per profile, builds journeys and hands them
// to internal/attribution, turns ad spend into ROAS, CAC and LTV:CAC per
// channel and campaign, ranks influencers by a shrunk conversion rate, and
// analyses A/B tests defined over events with internal/experiment.
//
// # Touchpoints
//
// A touchpoint is one session's way in. The store's events are cut into
// sessions per profile (a gap of more than 30 minutes starts a new one, as
// Google Analytics does), and within a session every distinct campaign
// (UTM source/medium/name), click id or e-mail event is one touch at its
// first event: the repeated page views of a campaign session are one touch,
// not twenty. A session with none of these is one touch classified by its
// landing page's referrer (organic search, social, referral, a
// marketplace's own pages, direct). A discount code that belongs to a
// campaign (configured in the taxonomy, or learnt: a code whose orders
// mostly followed one influencer or affiliate campaign) adds a touch of
// that campaign to an order's journey when none of its visits carried it.
// The channel of each touch comes from the taxonomy (internal/touch).
// SQL in the store does the sessionising and de-duplication; Go does the
// classification and the journeys.
//
// # Journeys
//
// A journey ends in a conversion — one order that is not cancelled, worth
// its base-currency total — and holds the profile's touches within the
// look-back window (default 30 days) before it and after the profile's
// previous order, so no touch is credited twice. An order with no touch in
// that window gets the single touch "direct". The touches of a profile after
// its last order (within the window before the last of them) form a
// non-converting journey. Both kinds are used: the heuristic models and
// Shapley credit converting journeys only, while the Markov chain learns its
// transitions into "null" from the non-converting ones. Repeated touches
// are kept in order (a > b > a); the Markov chain reads consecutive repeats
// as one, as internal/attribution documents.
package marketing

import (
	"context"
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/tradewind/tradewind/internal/touch"
)

// ScanFunc runs one of tradewind's own parameterised reads and calls fn
// with each row (the store's Scan).
type ScanFunc func(ctx context.Context, q string, args []any, fn func(row []any) error) error

// DefaultLookback is the look-back window when none is given.
const DefaultLookback = 30 * 24 * time.Hour

// sessionGap ends a session.
const sessionGap = 30 * time.Minute

// Touchpoint is one touch of a profile.
type Touchpoint struct {
	At       time.Time
	Channel  string
	Campaign string // utm_campaign (lower case), "" for touches without one
	Content  string
	// Coupon marks a touch added for an order's discount code.
	Coupon bool
}

// Order is one order of a profile.
type Order struct {
	At          time.Time
	Value       float64 // total in the base currency; 0 while unpriced
	Priced      bool
	Marketplace string
	Coupon      string
	// Rank is the order's position in the profile's whole history (1: the
	// first order, a new customer).
	Rank int
}

// Profile is one person's touches and orders, each in time order.
type Profile struct {
	ID      string
	Touches []Touchpoint
	Orders  []Order
	// CLV is the predicted lifetime value (NaN without a prediction).
	CLV float64
}

// Data is what the analyses read: every profile with touches or orders in
// the period (and the look-back before it).
type Data struct {
	From, To time.Time
	Lookback time.Duration
	Profiles []Profile
	// Coupons are the discount codes tied to campaigns: configured, or
	// learnt from the data (Learnt true).
	Coupons map[string]CouponLink

	answers answers
}

// journeys are Journeys, built again for each analysis rather than kept
// with the data: an analysis is computed once per read of the data, the
// journeys take about a second at 1,000,000 customers, and kept they were
// another 80 MB of a heap that must stay under the node's Go memory limit
// (448 MiB), or the collector runs without pause while the data is kept.
func (d *Data) journeys() []Journey {
	return d.Journeys()
}

// CouponLink is a discount code's campaign.
type CouponLink struct {
	Channel  string `json:"channel"`
	Campaign string `json:"campaign"`
	Learnt   bool   `json:"learnt"`
	Orders   int    `json:"orders"`
}

// touchSQL reads the rows that can become touches, in time order per
// profile, from touch_points: the store keeps there, per sender identity,
// its events cut into sessions (a gap over 30 minutes) and of each session
// its first event and the first event of each distinct campaign key (UTM
// parameters, e-mail event or click id: %[1]s, the taxonomy's KeySQL),
// with the session's bounds. Sessions the period [$1, $2) cuts (begun
// before its start, or running past its end) are cut again from their
// touch rows inside the period, as a read of the period's events alone
// would — rows up to $3 after the start and from $4 before the end
// (cutSQL's bounds: constants, so that the scan of touch_rows, appended in
// log order, skips the row groups between) — and the rest are read as
// stored. Identities are joined to profiles through the identity mapping
// as it stands, as the events view does, and Load merges the sessions of
// a profile's identities (see sessionMerger); one statement reads the
// profiles with ids in [$5, $6) ($6 NULL: no upper bound), so that a large
// store's candidates are sorted in parts that fit DuckDB's memory. Each
// row: profile, time, its session's end, whether it starts its session,
// its key, and the touch's fields.
const touchSQL = `
WITH w AS (
  SELECT * FROM touch_points WHERE s_end >= $1 AND s_start < $2
), cut AS (
  SELECT DISTINCT source_id, user_id, anonymous_id, s_start, s_end FROM w WHERE s_start < $1 OR s_end >= $2
), tr AS (
  SELECT * FROM touch_rows t
  WHERE ((t."timestamp" >= $1 AND t."timestamp" <= $3) OR (t."timestamp" >= $4 AND t."timestamp" < $2))
    AND t.seq <= (SELECT seq FROM touch_points_state)
), rr AS (
  SELECT t.*, x.source_id AS xs, x.user_id AS xu, x.anonymous_id AS xa, x.s_start AS cs
  FROM tr t JOIN cut x ON x.source_id = t.source_id AND x.user_id = t.user_id AND t."timestamp" BETWEEN x.s_start AND x.s_end
  UNION ALL
  SELECT t.*, x.source_id, x.user_id, x.anonymous_id, x.s_start
  FROM tr t JOIN cut x ON x.anonymous_id = t.anonymous_id AND t.user_id IS NULL AND t."timestamp" BETWEEN x.s_start AND x.s_end
), rk AS (
  SELECT *, %[1]s AS key FROM rr t
), rc AS (
  SELECT *, max("timestamp") OVER (PARTITION BY xs, xu, xa, cs) AS s_end,
    row_number() OVER (PARTITION BY xs, xu, xa, cs ORDER BY "timestamp", seq) = 1 AS first,
    row_number() OVER (PARTITION BY xs, xu, xa, cs, key ORDER BY "timestamp", seq) AS rn
  FROM rk
), c AS (
  SELECT source_id, user_id, anonymous_id, s_end, seq, "timestamp" AS ts, key, first, campaign_source, campaign_medium, campaign_name,
    campaign_content, page_url, page_referrer, app_name, event, mail_campaign
  FROM w WHERE s_start >= $1 AND s_end < $2
  UNION ALL
  SELECT xs, xu, xa, s_end, seq, "timestamp", key, first, campaign_source, campaign_medium, campaign_name,
    campaign_content, page_url, page_referrer, app_name, event, mail_campaign
  FROM rc WHERE first OR (key IS NOT NULL AND rn = 1)
)
SELECT coalesce(u.profile_id, a.profile_id), c.ts, c.s_end, c.first, c.key,
  coalesce(c.campaign_source, ''), coalesce(c.campaign_medium, ''),
  CASE WHEN c.key LIKE 'E|%%' THEN coalesce(c.mail_campaign, '') ELSE coalesce(c.campaign_name, '') END,
  coalesce(c.campaign_content, ''), coalesce(c.page_url, ''), coalesce(c.page_referrer, ''), coalesce(c.app_name, ''),
  CASE WHEN c.key LIKE 'E|%%' THEN c.event ELSE '' END
FROM c
LEFT JOIN profile_users u ON u.source_id = c.source_id AND u.user_id = c.user_id AND u.profile_id >= $5 AND ($6 IS NULL OR u.profile_id < $6)
LEFT JOIN profile_anons a ON a.anonymous_id = c.anonymous_id AND a.profile_id >= $5 AND ($6 IS NULL OR a.profile_id < $6)
WHERE coalesce(u.profile_id, a.profile_id) IS NOT NULL
ORDER BY 1, c.ts, c.seq`

// cutSQL finds how far the sessions that [$1, $2) cuts reach into it: the
// last event of those begun before $1, the first of those running past
// $2 (NULL without any); and how many candidates the period has.
const cutSQL = `
SELECT max(s_end) FILTER (WHERE s_start < $1), min(s_start) FILTER (WHERE s_end >= $2), count(*)
FROM touch_points WHERE s_end >= $1 AND s_start < $2`

// profileSampleSQL samples the profile ids of the identity mapping, to cut
// the profiles into ranges of about equal size.
const profileSampleSQL = `
SELECT profile_id FROM profile_users USING SAMPLE 5000 ROWS
UNION ALL
SELECT profile_id FROM profile_anons USING SAMPLE 5000 ROWS`

// touchPart is how many candidates one statement of the touch read sorts:
// at 600,000 the statements of bench/dashboard's 1,000,000-customer store
// (five) sometimes ran out of DuckDB's default 256 MB, in the node's
// warm-up and in bench/marketing alike, and the warm-up failed.
var touchPart int64 = 400_000

// Query is a statement with its arguments.
type Query struct {
	SQL  string
	Args []any
}

// TouchQueries are the reads of the candidate touches of [start, to), one
// per range of profile ids, in profile order (Load's; benchmarks time
// them alone).
func TouchQueries(ctx context.Context, scan ScanFunc, tax *touch.Taxonomy, start, to time.Time) ([]Query, error) {
	// Without cut sessions the ranges of touch rows read are empty.
	lo, hi := start.Add(-time.Microsecond), to
	var rows int64
	err := scan(ctx, cutSQL, []any{start, to}, func(r []any) error {
		if t, ok := r[0].(time.Time); ok {
			lo = t
		}
		if t, ok := r[1].(time.Time); ok {
			hi = t
		}
		rows = r[2].(int64)
		return nil
	})
	if err != nil {
		return nil, err
	}
	bounds := []any{"", nil}
	if parts := int((rows + touchPart - 1) / touchPart); parts > 1 {
		var ids []string
		if err := scan(ctx, profileSampleSQL, nil, func(r []any) error { ids = append(ids, r[0].(string)); return nil }); err != nil {
			return nil, err
		}
		slices.Sort(ids)
		ids = slices.Compact(ids)
		bounds = []any{""}
		for i := 1; i < parts && len(ids) > 0; i++ {
			if b := ids[i*len(ids)/parts]; b != bounds[len(bounds)-1] {
				bounds = append(bounds, b)
			}
		}
		bounds = append(bounds, nil)
	}
	key, args := KeySQL(tax)
	// $1…$6 are the period, the cut sessions' reach and the profile ids;
	// the key's placeholders follow.
	q := fmt.Sprintf(touchSQL, renumber(key, 7))
	var out []Query
	for i := range len(bounds) - 1 {
		out = append(out, Query{q, append([]any{start, to, lo, hi, bounds[i], bounds[i+1]}, args...)})
	}
	return out, nil
}

// KeySQL is the expression that gives a row of touch_rows (alias t) its
// campaign key under tax, NULL for none, with its arguments: an e-mail
// event, else its UTM parameters, else the first click id of the taxonomy
// that the landing URL carries as a query parameter (plain substring
// tests: a regular expression over every visit's URL was half of the
// sessions' time). The store keeps touch_points with it (and rebuilds the
// table when it changes).
func KeySQL(tax *touch.Taxonomy) (string, []any) {
	var b strings.Builder
	var args []any
	b.WriteString("CASE ")
	if len(tax.EmailEvents) > 0 {
		b.WriteString("WHEN t.event IN (")
		for i, ev := range tax.EmailEvents {
			if i > 0 {
				b.WriteString(", ")
			}
			b.WriteString("?")
			args = append(args, ev)
		}
		b.WriteString(") THEN 'E|' || t.event || '|' || coalesce(t.mail_campaign, '') ")
	}
	b.WriteString(`WHEN t.campaign_source IS NOT NULL OR t.campaign_medium IS NOT NULL OR t.campaign_name IS NOT NULL
    THEN 'U|' || coalesce(t.campaign_source, '') || '|' || coalesce(t.campaign_medium, '') || '|' || coalesce(t.campaign_name, '') `)
	for _, c := range tax.ClickIDParams() {
		b.WriteString("WHEN contains(t.page_url, ?) OR contains(t.page_url, ?) THEN ? ")
		args = append(args, "?"+c+"=", "&"+c+"=", "C|"+c)
	}
	b.WriteString("END")
	return b.String(), args
}

// candidate is a row of touchSQL: a session's first event or the first
// event of a key in it.
type candidate struct {
	at, end time.Time // the row's time; its identity session's last event
	first   bool      // it starts its identity's session
	keyed   bool
	key     string
	touch   touch.Touch
}

// mergeGap ends a session, in microseconds (the store's precision).
const mergeGap = int64(sessionGap / time.Microsecond)

// sessionMerger cuts one profile's candidates (in time order) into the
// profile's sessions and picks their touches. The sessions of the
// profile's identities merge where they overlap or lie 30 minutes or less
// apart — a profile's events, all identities together, have a gap of over
// 30 minutes exactly where no identity's session spans it — so a new
// session starts at an identity session's first event that comes over 30
// minutes after the latest end seen. Within a session each key's first
// event is a touch; a session without keys has one touch, its first event.
type sessionMerger struct {
	open  bool
	end   int64 // latest end of the session's identity sessions (µs)
	keys  map[string]bool
	keyed []candidate
	head  candidate // the session's first event
	// touches are the current profile's touches so far, which take moves
	// into the profile.
	touches []Touchpoint
	// strs interns the touches' campaigns and contents: a few hundred
	// distinct values over millions of touches (62 MB of copies at
	// 1,000,000 customers).
	strs map[string]string
	// block is where take puts the profiles' touches: one allocation for
	// many profiles, each slice exactly as long as its touches (appends
	// per profile left a quarter of the 2.7 M touches' 216 MB unused at
	// 1,000,000 customers, and the collector scanned a million arrays).
	block []Touchpoint
}

func (m *sessionMerger) add(c candidate, tax *touch.Taxonomy) {
	if c.first {
		if !m.open || c.at.UnixMicro()-m.end > mergeGap {
			m.flush(tax)
			m.open, m.end, m.head = true, c.end.UnixMicro(), c
		} else {
			m.end = max(m.end, c.end.UnixMicro())
		}
	}
	if c.keyed {
		if m.keys == nil {
			m.keys = map[string]bool{}
		}
		if !m.keys[c.key] {
			m.keys[c.key] = true
			m.keyed = append(m.keyed, c)
		}
	}
}

// flush adds the open session's touches to the current profile's and
// closes it.
func (m *sessionMerger) flush(tax *touch.Taxonomy) {
	if m.open {
		if len(m.keyed) == 0 {
			m.touches = append(m.touches, m.touchpoint(tax, m.head))
		}
		for _, c := range m.keyed {
			m.touches = append(m.touches, m.touchpoint(tax, c))
		}
	}
	m.open, m.keyed = false, m.keyed[:0]
	clear(m.keys)
}

// take closes the open session and gives p (when not nil) the touches
// added since the last take.
func (m *sessionMerger) take(tax *touch.Taxonomy, p *Profile) {
	m.flush(tax)
	n := len(m.touches)
	switch {
	case p == nil || n == 0:
	case len(p.Touches) > 0: // not expected: a profile's rows come together
		p.Touches = append(slices.Clip(p.Touches), m.touches...)
	default:
		if len(m.block) < n {
			m.block = make([]Touchpoint, max(n, 1<<14))
		}
		p.Touches = append(m.block[:0:n], m.touches...)
		m.block = m.block[n:]
	}
	m.touches = m.touches[:0]
}

func (m *sessionMerger) touchpoint(tax *touch.Taxonomy, c candidate) Touchpoint {
	return Touchpoint{At: c.at, Channel: tax.Classify(c.touch), Campaign: m.intern(strings.ToLower(strings.TrimSpace(c.touch.Campaign))),
		Content: m.intern(c.touch.Content)}
}

func (m *sessionMerger) intern(s string) string {
	if s == "" {
		return ""
	}
	if v, ok := m.strs[s]; ok {
		return v
	}
	if m.strs == nil {
		m.strs = map[string]string{}
	}
	m.strs[s] = s
	return s
}

// renumber turns the ? placeholders of q into $n, $n+1, …, so that q can
// stand in a statement with numbered parameters (q has no ? in literals).
func renumber(q string, n int) string {
	var b strings.Builder
	for _, r := range q {
		if r == '?' {
			b.WriteString("$" + strconv.Itoa(n))
			n++
			continue
		}
		b.WriteRune(r)
	}
	return b.String()
}

// orderSQL reads the orders that are not cancelled, with their rank in
// the profile's whole history.
const orderSQL = `
SELECT profile_id, "timestamp", coalesce(total_base, 0)::DOUBLE, total_base IS NOT NULL,
  coalesce(nullif(marketplace, ''), source_id), upper(trim(coalesce(coupon, ''))), n
FROM (SELECT *, row_number() OVER (PARTITION BY profile_id ORDER BY "timestamp", order_id) AS n
      FROM orders WHERE profile_id IS NOT NULL AND status <> 'cancelled')
WHERE "timestamp" >= ? AND "timestamp" < ?
ORDER BY profile_id, "timestamp"`

// Load reads touches and orders of [from, to) (touches and earlier orders
// from the look-back before from as well, so the first journeys of the
// period are whole) and the predicted lifetime values.
func Load(ctx context.Context, scan ScanFunc, tax *touch.Taxonomy, from, to time.Time, lookback time.Duration) (*Data, error) {
	if lookback <= 0 {
		lookback = DefaultLookback
	}
	if !to.After(from) {
		return nil, fmt.Errorf("marketing: empty period %s..%s", from.Format(time.DateOnly), to.Format(time.DateOnly))
	}
	d := &Data{From: from, To: to, Lookback: lookback}
	byID := map[string]int{}
	prof := func(id string) *Profile {
		i, ok := byID[id]
		if !ok {
			i = len(d.Profiles)
			byID[id] = i
			d.Profiles = append(d.Profiles, Profile{ID: id, CLV: math.NaN()})
		}
		return &d.Profiles[i]
	}
	start := from.Add(-lookback)
	qs, err := TouchQueries(ctx, scan, tax, start, to)
	if err != nil {
		return nil, fmt.Errorf("marketing: touches: %w", err)
	}
	var m sessionMerger
	var cur *Profile
	for _, q := range qs {
		err = scan(ctx, q.SQL, q.Args, func(r []any) error {
			id := r[0].(string)
			if cur == nil || cur.ID != id {
				m.take(tax, cur)
				cur = prof(id)
			}
			k, _ := r[4].(string)
			m.add(candidate{at: r[1].(time.Time), end: r[2].(time.Time), first: r[3].(bool), key: k, keyed: r[4] != nil,
				touch: touch.Touch{Source: r[5].(string), Medium: r[6].(string), Campaign: r[7].(string), Content: r[8].(string),
					URL: r[9].(string), Referrer: r[10].(string), App: r[11].(string), Event: r[12].(string)}}, tax)
			return nil
		})
		if err != nil {
			return nil, fmt.Errorf("marketing: touches: %w", err)
		}
	}
	m.take(tax, cur)
	err = scan(ctx, orderSQL, []any{start, to}, func(r []any) error {
		p := prof(r[0].(string))
		p.Orders = append(p.Orders, Order{At: r[1].(time.Time), Value: r[2].(float64), Priced: r[3].(bool),
			Marketplace: m.intern(r[4].(string)), Coupon: m.intern(r[5].(string)), Rank: int(r[6].(int64))})
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("marketing: orders: %w", err)
	}
	err = scan(ctx, "SELECT profile_id, clv FROM customer_predictions WHERE clv IS NOT NULL", nil, func(r []any) error {
		if i, ok := byID[r[0].(string)]; ok {
			if v, ok := r[1].(float64); ok {
				d.Profiles[i].CLV = v
			}
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("marketing: predictions: %w", err)
	}
	d.linkCoupons(tax)
	return d, nil
}

// linkCoupons decides which discount codes stand for a campaign: the
// taxonomy's, and — for codes it does not list — a code whose orders
// followed one influencer or affiliate campaign's touch at least half of
// the time (and at least twice), since a creator's code is how their
// audience buys even when the link was not clicked.
func (d *Data) linkCoupons(tax *touch.Taxonomy) {
	d.Coupons = map[string]CouponLink{}
	for code, c := range tax.Coupons {
		d.Coupons[code] = CouponLink{Channel: c.Channel, Campaign: strings.ToLower(c.Campaign)}
	}
	type key struct{ code, ch, camp string }
	seen := map[key]int{}
	total := map[string]int{}
	for pi := range d.Profiles {
		p := &d.Profiles[pi]
		for _, o := range p.Orders {
			if o.Coupon == "" {
				continue
			}
			total[o.Coupon]++
			// The last touch before the order.
			var last *Touchpoint
			for ti := range p.Touches {
				if p.Touches[ti].At.After(o.At) {
					break
				}
				last = &p.Touches[ti]
			}
			if last != nil && last.Campaign != "" && !o.At.After(last.At.Add(d.Lookback)) &&
				(last.Channel == touch.Influencer || last.Channel == touch.Affiliate) {
				seen[key{o.Coupon, last.Channel, last.Campaign}]++
			}
		}
	}
	best := map[string]key{}
	for k, n := range seen {
		b, ok := best[k.code]
		if !ok || n > seen[b] || n == seen[b] && k.camp < b.camp {
			best[k.code] = k
		}
	}
	for code, k := range best {
		if _, ok := d.Coupons[code]; ok {
			continue
		}
		if n := seen[k]; n >= 2 && 2*n >= total[code] {
			d.Coupons[code] = CouponLink{Channel: k.ch, Campaign: k.camp, Learnt: true}
		}
	}
	for code, c := range d.Coupons {
		c.Orders = total[code]
		d.Coupons[code] = c
	}
}

// Journey is one journey: the touches (a part of its profile's Touches,
// shared: read it, never write it; or a coupon touch) and its outcome.
type Journey struct {
	Profile int // index into Data.Profiles
	Path    []Touchpoint
	// Converted: the journey ends in Order (index into the profile's
	// Orders); otherwise it is a non-converting journey.
	Converted bool
	Order     int
	At        time.Time // the order's time, or the last touch's
}

// Journeys builds the journeys of the period [From, To): one per order in
// it and one non-converting journey per profile whose touches after its
// last order lie (in part) in it.
func (d *Data) Journeys() []Journey {
	var out []Journey
	for pi := range d.Profiles {
		p := &d.Profiles[pi]
		ti := 0 // first touch not yet used by an earlier order
		var prev time.Time
		for oi, o := range p.Orders {
			lo := o.At.Add(-d.Lookback)
			if !prev.IsZero() && prev.After(lo) {
				lo = prev
			}
			// The path is the touches up to the order that are not before
			// lo nor at or before the previous order: in time order, those
			// skipped come first, so the path is a part of the profile's
			// touches (not a copy: at 1,000,000 customers the copies were
			// a third of the data's memory), capped so that an append
			// copies it.
			var path []Touchpoint
			from, copied := ti, false
			for ; ti < len(p.Touches) && !p.Touches[ti].At.After(o.At); ti++ {
				t := p.Touches[ti]
				if t.At.Before(lo) || !prev.IsZero() && !t.At.After(prev) {
					if ti == from {
						from++
					} else if !copied { // out of order: keep the touches taken so far
						path, copied = slices.Clone(p.Touches[from:ti]), true
					}
					continue
				}
				if copied {
					path = append(path, t)
				}
			}
			if !copied && ti > from {
				path = p.Touches[from:ti:ti]
			}
			prev = o.At
			if o.At.Before(d.From) {
				continue
			}
			if c, ok := d.Coupons[o.Coupon]; ok && o.Coupon != "" &&
				!slices.ContainsFunc(path, func(t Touchpoint) bool { return t.Campaign == c.Campaign }) {
				path = append(path, Touchpoint{At: o.At, Channel: c.Channel, Campaign: c.Campaign, Coupon: true})
			}
			if len(path) == 0 {
				path = []Touchpoint{{At: o.At, Channel: touch.Direct}}
			}
			out = append(out, Journey{Profile: pi, Path: path, Converted: true, Order: oi, At: o.At})
		}
		// Touches after the last order: a journey that has not converted
		// (yet), of the touches within the window before the last one.
		rest := p.Touches[ti:]
		if !prev.IsZero() {
			for len(rest) > 0 && !rest[0].At.After(prev) {
				rest = rest[1:]
			}
		}
		if len(rest) == 0 {
			continue
		}
		last := rest[len(rest)-1].At
		if last.Before(d.From) {
			continue
		}
		lo := last.Add(-d.Lookback)
		for len(rest) > 0 && rest[0].At.Before(lo) {
			rest = rest[1:]
		}
		out = append(out, Journey{Profile: pi, Path: rest[:len(rest):len(rest)], At: last})
	}
	return out
}

// week is the Monday (UTC) starting t's ISO week.
func week(t time.Time) string {
	t = t.UTC()
	wd := (int(t.Weekday()) + 6) % 7
	return time.Date(t.Year(), t.Month(), t.Day()-wd, 0, 0, 0, 0, time.UTC).Format(time.DateOnly)
}
