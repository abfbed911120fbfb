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
}

// CouponLink is a discount code's campaign.
type CouponLink struct {
	Channel  string `json:"channel"`
	Campaign string `json:"campaign"`
	Learnt   bool   `json:"learnt"`
	Orders   int    `json:"orders"`
}

// touchSQL reads one row per touch: events cut into sessions (a gap over
// 30 minutes), then the first event of each distinct campaign key (UTM
// parameters, e-mail event or click id) in a session, or the session's
// first event (its landing page: URL, referrer, app) when the session has
// no key. It reads touch_rows, where the store keeps the few context fields
// of each visit taken out of the JSON once (parsing every event's context
// on every read was most of the read's time), and joins the current
// identity mapping as the events view does. Picking first rows by
// row_number keeps the wide rows out of any aggregate. %[1]s is one CASE
// branch per click id of the taxonomy (the first it lists that the URL
// carries as a query parameter; plain substring tests, as a regular
// expression over every visit's URL was half of the query's time), %[2]s
// the e-mail event placeholders.
const touchSQL = `
WITH m AS (
  SELECT unnest([%[2]s]::VARCHAR[]) AS ev
), n AS (
  SELECT t.seq, coalesce(u.profile_id, a.profile_id) AS profile_id, t."timestamp" AS ts, CASE
      WHEN t.event IN (SELECT ev FROM m) THEN 'E|' || t.event || '|' || coalesce(t.mail_campaign, '')
      WHEN t.campaign_source IS NOT NULL OR t.campaign_medium IS NOT NULL OR t.campaign_name IS NOT NULL
        THEN 'U|' || coalesce(t.campaign_source, '') || '|' || coalesce(t.campaign_medium, '') || '|' || coalesce(t.campaign_name, '')
      %[1]s
    END AS key
  FROM touch_rows t
  LEFT JOIN profile_users u ON u.source_id = t.source_id AND u.user_id = t.user_id
  LEFT JOIN profile_anons a ON a.anonymous_id = CASE WHEN t.user_id IS NULL THEN t.anonymous_id END
  WHERE t."timestamp" >= ? AND t."timestamp" < ?
    AND coalesce(u.profile_id, a.profile_id) IS NOT NULL
), s AS (
  -- In microseconds: arithmetic on TIMESTAMPTZ goes through the time zone
  -- calendar and cost more than the rest of the query.
  SELECT seq, profile_id, ts, key, prev IS NULL OR epoch_us(ts) - prev > 1800000000 AS first
  FROM (SELECT *, lag(epoch_us(ts)) OVER (PARTITION BY profile_id ORDER BY ts) AS prev FROM n)
), f AS (
  -- Only session starts and keyed events can be touches. Every start is
  -- kept, so numbering sessions over these rows alone numbers them as
  -- over all rows.
  SELECT *, sum(first::INTEGER) OVER (PARTITION BY profile_id ORDER BY ts ROWS UNBOUNDED PRECEDING) AS sid
  FROM s WHERE first OR key IS NOT NULL
), r AS (
  SELECT seq, profile_id, key, first, row_number() OVER (PARTITION BY profile_id, sid, key ORDER BY ts) AS rk,
    max(CASE WHEN key IS NOT NULL THEN 1 ELSE 0 END) OVER (PARTITION BY profile_id, sid) AS keyed
  FROM f
)
SELECT r.profile_id, t."timestamp", coalesce(t.campaign_source, ''), coalesce(t.campaign_medium, ''),
  CASE WHEN r.key LIKE 'E|%%' THEN coalesce(t.mail_campaign, '') ELSE coalesce(t.campaign_name, '') END,
  coalesce(t.campaign_content, ''), coalesce(t.page_url, ''), coalesce(t.page_referrer, ''), coalesce(t.app_name, ''),
  CASE WHEN r.key LIKE 'E|%%' THEN t.event ELSE '' END
FROM r JOIN touch_rows t ON t.seq = r.seq
WHERE (r.key IS NOT NULL AND r.rk = 1) OR (r.keyed = 0 AND r.first)
ORDER BY r.profile_id, t."timestamp"`

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
	// Placeholders in the order they stand in touchSQL: the e-mail
	// events, the click ids, the period.
	mail := make([]string, len(tax.EmailEvents))
	args := []any{}
	for i, ev := range tax.EmailEvents {
		mail[i] = "?"
		args = append(args, ev)
	}
	if len(mail) == 0 {
		mail = []string{"NULL"}
	}
	var clicks strings.Builder
	for _, c := range tax.ClickIDParams() {
		clicks.WriteString("WHEN contains(t.page_url, ?) OR contains(t.page_url, ?) THEN ? ")
		args = append(args, "?"+c+"=", "&"+c+"=", "C|"+c)
	}
	args = append(args, start, to)
	q := fmt.Sprintf(touchSQL, clicks.String(), strings.Join(mail, ", "))
	err := scan(ctx, q, args, func(r []any) error {
		p := prof(r[0].(string))
		x := touch.Touch{Source: r[2].(string), Medium: r[3].(string), Campaign: r[4].(string), Content: r[5].(string),
			URL: r[6].(string), Referrer: r[7].(string), App: r[8].(string), Event: r[9].(string)}
		p.Touches = append(p.Touches, Touchpoint{At: r[1].(time.Time), Channel: tax.Classify(x),
			Campaign: strings.ToLower(strings.TrimSpace(x.Campaign)), Content: x.Content})
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("marketing: touches: %w", err)
	}
	err = scan(ctx, orderSQL, []any{start, to}, func(r []any) error {
		p := prof(r[0].(string))
		p.Orders = append(p.Orders, Order{At: r[1].(time.Time), Value: r[2].(float64), Priced: r[3].(bool),
			Marketplace: r[4].(string), Coupon: r[5].(string), Rank: int(r[6].(int64))})
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

// Journey is one journey: the touches (indices into its profile's
// Touches, or a coupon touch) and its outcome.
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
			var path []Touchpoint
			for ; ti < len(p.Touches) && !p.Touches[ti].At.After(o.At); ti++ {
				t := p.Touches[ti]
				if t.At.Before(lo) || !prev.IsZero() && !t.At.After(prev) {
					continue
				}
				path = append(path, t)
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
		out = append(out, Journey{Profile: pi, Path: slices.Clone(rest), At: last})
	}
	return out
}

// week is the Monday (UTC) starting t's ISO week.
func week(t time.Time) string {
	t = t.UTC()
	wd := (int(t.Weekday()) + 6) % 7
	return time.Date(t.Year(), t.Month(), t.Day()-wd, 0, 0, 0, 0, time.UTC).Format(time.DateOnly)
}
