package profile

import (
	"slices"
	"time"
)

// Attribute names of the computed traits, as segment rules address them.
// Attrs documents each one's Go type; an attribute whose value is unknown
// (no orders yet, no country) is absent from the map rather than zero, so
// that a rule can tell "not set" from 0 or "".
const (
	AttrFirstSeen          = "first_seen"            // time.Time
	AttrLastSeen           = "last_seen"             // time.Time
	AttrDaysSinceLastSeen  = "days_since_last_seen"  // int64, as of the read's clock
	AttrOrders             = "orders"                // int64: orders not cancelled
	AttrPricedOrders       = "priced_orders"         // int64
	AttrUnpricedOrders     = "unpriced_orders"       // int64
	AttrCancelledOrders    = "cancelled_orders"      // int64
	AttrRevenueBase        = "revenue_base"          // decimal.Decimal: gross
	AttrNetRevenueBase     = "net_revenue_base"      // decimal.Decimal: gross − refunds
	AttrRefundedBase       = "refunded_base"         // decimal.Decimal
	AttrAOVBase            = "aov_base"              // decimal.Decimal (absent without priced orders)
	AttrRefunds            = "refunds"               // int64: refund messages
	AttrRefundedOrders     = "refunded_orders"       // int64
	AttrMarketplaces       = "marketplaces"          // []string, sorted
	AttrChannels           = "channels"              // []string, sorted
	AttrCountry            = "country"               // string
	AttrLanguage           = "language"              // string
	AttrTimeZone           = "timezone"              // string
	AttrFirstOrderAt       = "first_order_at"        // time.Time
	AttrLastOrderAt        = "last_order_at"         // time.Time
	AttrDaysSinceLastOrder = "days_since_last_order" // int64, as of the read's clock
	AttrOrderIntervalDays  = "order_interval_days"   // float64: median gap
	AttrReviews            = "reviews"               // int64
	AttrRatingAvg          = "rating_avg"            // decimal.Decimal (absent without ratings)
	AttrLastDeviationAt    = "last_deviation_at"     // time.Time
	AttrDeviationMetrics   = "deviation_metrics"     // []string: metrics with a recorded deviation, sorted
)

// attrNames are every computed trait, in the order Attrs fills its map.
var attrNames = []string{AttrFirstSeen, AttrLastSeen, AttrDaysSinceLastSeen, AttrOrders, AttrPricedOrders,
	AttrUnpricedOrders, AttrCancelledOrders, AttrRevenueBase, AttrNetRevenueBase, AttrRefundedBase, AttrAOVBase,
	AttrRefunds, AttrRefundedOrders, AttrMarketplaces, AttrChannels, AttrCountry, AttrLanguage, AttrTimeZone,
	AttrFirstOrderAt, AttrLastOrderAt, AttrDaysSinceLastOrder, AttrOrderIntervalDays, AttrReviews, AttrRatingAvg,
	AttrLastDeviationAt, AttrDeviationMetrics}

// Attrs returns the computed traits by attribute name (the Attr
// constants), with now as the clock for the "days since" attributes. Counts
// are int64, amounts decimal.Decimal in the base currency, times time.Time
// in UTC, lists []string (a fresh copy the caller may keep). Traits are not
// included: they are in Traits, as raw JSON, for rules on "traits.<key>".
func (p *Profile) Attrs(now time.Time) map[string]any {
	a := make(map[string]any, len(attrNames))
	for _, name := range attrNames {
		if v, ok := p.Attr(name, now); ok {
			if l, isList := v.([]string); isList {
				v = slices.Clone(l)
			}
			a[name] = v
		}
	}
	return a
}

// Attr returns one computed trait as Attrs has it, without building the
// map: segment evaluation reads a few attributes of every profile a
// message touches. A list shares the profile's memory (the caller must not
// modify it).
func (p *Profile) Attr(name string, now time.Time) (any, bool) {
	switch name {
	case AttrFirstSeen:
		return p.FirstSeen, !p.FirstSeen.IsZero()
	case AttrLastSeen:
		return p.LastSeen, !p.FirstSeen.IsZero()
	case AttrDaysSinceLastSeen:
		if p.FirstSeen.IsZero() {
			return nil, false
		}
		if d, ok := p.DaysSinceLastSeen(now); ok {
			return d, true
		}
		return nil, false
	case AttrOrders:
		return int64(p.Orders), true
	case AttrPricedOrders:
		return int64(p.PricedOrders), true
	case AttrUnpricedOrders:
		return int64(p.UnpricedOrders), true
	case AttrCancelledOrders:
		return int64(p.CancelledOrders), true
	case AttrRevenueBase:
		return p.RevenueBase, true
	case AttrNetRevenueBase:
		return p.NetRevenueBase, true
	case AttrRefundedBase:
		return p.RefundedBase, true
	case AttrAOVBase:
		return p.AOVBase, p.PricedOrders > 0
	case AttrRefunds:
		return int64(p.Refunds), true
	case AttrRefundedOrders:
		return int64(p.RefundedOrders), true
	case AttrMarketplaces:
		return nonNil(p.Marketplaces), true
	case AttrChannels:
		return nonNil(p.Channels), true
	case AttrCountry:
		return p.Country, p.Country != ""
	case AttrLanguage:
		return p.Language, p.Language != ""
	case AttrTimeZone:
		return p.TimeZone, p.TimeZone != ""
	case AttrFirstOrderAt:
		return p.FirstOrderAt, p.Orders > 0
	case AttrLastOrderAt:
		return p.LastOrderAt, p.Orders > 0
	case AttrDaysSinceLastOrder:
		if p.Orders <= 0 {
			return nil, false
		}
		d, _ := p.DaysSinceLastOrder(now)
		return d, true
	case AttrOrderIntervalDays:
		return p.OrderIntervalDays, p.HasOrderInterval()
	case AttrReviews:
		return int64(p.Reviews), true
	case AttrRatingAvg:
		return p.RatingAvg, p.RatedReviews > 0
	case AttrLastDeviationAt, AttrDeviationMetrics:
		if len(p.Deviations) == 0 {
			return nil, false
		}
		var last time.Time
		metrics := make([]string, 0, len(p.Deviations))
		for _, d := range p.Deviations {
			metrics = append(metrics, d.Metric)
			if d.At.After(last) {
				last = d.At
			}
		}
		if name == AttrLastDeviationAt {
			return last, true
		}
		return metrics, true
	}
	return nil, false
}

func nonNil(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}
