package profile

import (
	"encoding/json"
	"slices"
	"strings"
	"time"

	"github.com/govalues/decimal"
	"github.com/valyala/fastjson"
)

// Profile is the read model of one profile: its traits and every computed
// trait, derived from the persisted facts each time it is read, so it is
// always consistent with them. Times are UTC; a zero time means "never".
// Amounts are in the base currency with four decimal places.
type Profile struct {
	ID string // the profile id the engine gave

	// Traits are the winning value of each trait (see Config.SourcePrecedence),
	// as raw JSON; encrypted values ("tw1." envelopes) are kept as they came.
	Traits map[string]json.RawMessage

	FirstSeen, LastSeen time.Time // earliest and latest event time of any message

	// Orders counts the orders (by store and order id) of which a version
	// is known and which are not cancelled. PricedOrders of them have a
	// base-currency total; UnpricedOrders do not (no exchange rate yet, or
	// no total) and are left out of every amount below.
	Orders, PricedOrders, UnpricedOrders int
	CancelledOrders                      int // orders cancelled (not in Orders)

	// RevenueBase is gross revenue: the sum of the newest total of every
	// priced order. RefundedBase is the sum of the refunds (with a known
	// base amount) of those orders; NetRevenueBase = RevenueBase −
	// RefundedBase. Refunds of cancelled orders are in neither: the order
	// is already out of revenue.
	RevenueBase, RefundedBase, NetRevenueBase decimal.Decimal
	// AOVBase is RevenueBase / PricedOrders, rounded half to even to four
	// places (zero without priced orders).
	AOVBase decimal.Decimal
	// Refunds counts the "Order Refunded" messages of counted orders;
	// RefundedOrders the counted orders with at least one.
	Refunds, RefundedOrders int

	// Marketplaces are the marketplaces of the counted orders, sorted, and
	// OrdersByMarketplace their order counts.
	Marketplaces        []string
	OrdersByMarketplace map[string]int // counted orders per marketplace
	// Channels are the marketing channels (see Channel) the person arrived
	// through, from context.campaign, sorted.
	Channels []string

	// Country (ISO code upper-cased when it is one), Language (primary
	// language subtag, lower-case) and TimeZone (as sent, normally IANA),
	// from traits, else context.locale and context.timezone.
	Country, Language, TimeZone string

	FirstOrderAt, LastOrderAt time.Time // placement times of counted orders
	// OrderDays is the number of distinct UTC days with a counted order.
	OrderDays int
	// OrderIntervalDays is the median gap in days between consecutive
	// distinct order days (needs OrderDays ≥ 2; an even number of gaps
	// averages the middle two), and Intervals the statistics of those gaps.
	OrderIntervalDays float64
	Intervals         Welford // statistics of the gaps, for Overdue

	// Reviews counts reviews (by source and review id); RatedReviews those
	// with a rating, whose mean (four places, half to even) is RatingAvg.
	Reviews, RatedReviews int
	RatingAvg             decimal.Decimal // zero without ratings

	// Deviations holds the newest deviation of each metric, by metric.
	Deviations []Deviation

	// Saturated is set when a sum overflowed (beyond ±9.2e14 in the base
	// currency): the amounts are then bounds, not sums.
	Saturated bool
}

// HasOrderInterval reports whether OrderIntervalDays is known.
func (p *Profile) HasOrderInterval() bool { return p.OrderDays >= 2 }

// DaysSinceLastOrder is the number of UTC calendar days from the last
// order's day to now's (0 on the same day, never negative); ok is false
// without orders. It is computed at read time from the caller's clock, not
// stored, so it is right on any day without an event.
func (p *Profile) DaysSinceLastOrder(now time.Time) (days int64, ok bool) {
	if p.LastOrderAt.IsZero() {
		return 0, false
	}
	return max(dayOf(now.UnixMicro())-dayOf(p.LastOrderAt.UnixMicro()), 0), true
}

// DaysSinceLastSeen is DaysSinceLastOrder for the last message of any kind.
func (p *Profile) DaysSinceLastSeen(now time.Time) (days int64, ok bool) {
	if p.LastSeen.IsZero() {
		return 0, false
	}
	return max(dayOf(now.UnixMicro())-dayOf(p.LastSeen.UnixMicro()), 0), true
}

// compute derives the read model from the state.
func compute(id string, c *core, parsers *fastjson.ParserPool) *Profile {
	ts := c.traits
	p := &Profile{ID: id}
	if len(ts) > 0 {
		p.Traits = make(map[string]json.RawMessage, len(ts))
		for _, t := range ts {
			p.Traits[t.key] = t.val
		}
	}
	if c.seen {
		p.FirstSeen, p.LastSeen = microTime(c.firstSeen), microTime(c.lastSeen)
	}
	sm := &c.sum
	p.Orders, p.PricedOrders, p.UnpricedOrders = int(sm.orders), int(sm.priced), int(sm.unpriced)
	p.CancelledOrders, p.Refunds, p.RefundedOrders = int(sm.cancelled), int(sm.refunds), int(sm.refundedOrders)
	net, ok := addMoney(sm.gross, -sm.refunded)
	p.Saturated = sm.saturated || !ok || sm.refunded == minInt64
	p.RevenueBase, p.RefundedBase, p.NetRevenueBase = units2dec(sm.gross), units2dec(sm.refunded), units2dec(net)
	p.AOVBase = quoUnits(sm.gross, sm.priced)
	if sm.orders > 0 {
		p.FirstOrderAt, p.LastOrderAt = microTime(sm.first), microTime(sm.last)
	}
	if len(sm.markets) > 0 {
		p.Marketplaces = make([]string, len(sm.markets))
		p.OrdersByMarketplace = make(map[string]int, len(sm.markets))
		for i, m := range sm.markets {
			p.Marketplaces[i] = m.market
			p.OrdersByMarketplace[m.market] = int(m.orders)
		}
	}
	p.OrderDays, p.OrderIntervalDays, p.Intervals = int(sm.days), sm.medianGap, sm.gaps

	var ratings int64
	for _, r := range c.reviews {
		p.Reviews++
		if r.rated {
			p.RatedReviews++
			var ok bool
			ratings, ok = addMoney(ratings, r.rating)
			p.Saturated = p.Saturated || !ok
		}
	}
	p.RatingAvg = quoUnits(ratings, int64(p.RatedReviews))

	if len(c.channels) > 0 {
		p.Channels = slices.Clone(c.channels)
	}
	if len(c.devs) > 0 {
		p.Deviations = slices.Clone(c.devs)
	}
	p.Country, p.Language, p.TimeZone = place(c, ts, parsers)
	return p
}

const minInt64 = -1 << 63

// place decides country, language and time zone. An explicit trait wins
// over context hints whatever their times: context.locale is the browser's
// language setting ("en-US" is read by people far from the US), evidence of
// where someone lives only when nothing better is known. Among traits the
// usual precedence applies; among hints the newest wins. Encrypted values
// are skipped: they cannot be read here, by design.
func place(c *core, ts traitSet, parsers *fastjson.ParserPool) (country, language, tz string) {
	pr := parsers.Get()
	defer parsers.Put(pr)
	str := func(key string) string {
		raw, ok := ts.get(key)
		if !ok {
			return ""
		}
		v, err := pr.ParseBytes(raw)
		if err != nil || v.Type() != fastjson.TypeString {
			return ""
		}
		return plain(string(v.GetStringBytes()))
	}
	country = str("country")
	if country == "" {
		if raw, ok := ts.get("address"); ok {
			if v, err := pr.ParseBytes(raw); err == nil && v.Type() == fastjson.TypeObject {
				country = plain(string(v.GetStringBytes("country")))
			}
		}
	}
	lang := str("language")
	if lang == "" {
		lang = str("locale")
	}
	language, _ = splitLocale(lang)
	tz = str("timezone")
	if tz == "" {
		tz = str("timeZone")
	}
	if tz == "" {
		tz = str("time_zone")
	}
	if c.locale.set {
		l, region := splitLocale(c.locale.val)
		if language == "" {
			language = l
		}
		if country == "" {
			country = region
		}
	}
	if tz == "" && c.timezone.set {
		tz = c.timezone.val
	}
	return normCountry(country), language, tz
}

// plain returns s trimmed, or "" for an encrypted envelope.
func plain(s string) string {
	s = strings.TrimSpace(s)
	if strings.HasPrefix(s, "tw1.") {
		return ""
	}
	return s
}

func normCountry(s string) string {
	if len(s) == 2 && isAlpha(s) {
		return strings.ToUpper(s)
	}
	return s
}

// splitLocale reads a BCP 47 tag or POSIX locale ("de-DE", "zh_Hans_CN",
// "en_US.UTF-8") into its primary language subtag, lower-case, and its
// region subtag, upper-case ("" when absent).
func splitLocale(s string) (language, region string) {
	s = strings.TrimSpace(s)
	if i := strings.IndexAny(s, ".@"); i >= 0 {
		s = s[:i]
	}
	parts := strings.FieldsFunc(s, func(r rune) bool { return r == '-' || r == '_' })
	if len(parts) == 0 || !isAlpha(parts[0]) || len(parts[0]) < 2 || len(parts[0]) > 8 {
		return "", ""
	}
	language = strings.ToLower(parts[0])
	for _, p := range parts[1:] {
		if len(p) == 2 && isAlpha(p) {
			region = strings.ToUpper(p)
			break
		}
	}
	return language, region
}

func isAlpha(s string) bool {
	for i := 0; i < len(s); i++ {
		c := s[i] | 0x20
		if c < 'a' || c > 'z' {
			return false
		}
	}
	return s != ""
}
