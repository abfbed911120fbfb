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

// Attrs returns the computed traits by attribute name (the Attr
// constants), with now as the clock for the "days since" attributes. Counts
// are int64, amounts decimal.Decimal in the base currency, times time.Time
// in UTC, lists []string (a fresh copy the caller may keep). Traits are not
// included: they are in Traits, as raw JSON, for rules on "traits.<key>".
func (p *Profile) Attrs(now time.Time) map[string]any {
	a := make(map[string]any, 32)
	if !p.FirstSeen.IsZero() {
		a[AttrFirstSeen] = p.FirstSeen
		a[AttrLastSeen] = p.LastSeen
		if d, ok := p.DaysSinceLastSeen(now); ok {
			a[AttrDaysSinceLastSeen] = d
		}
	}
	a[AttrOrders] = int64(p.Orders)
	a[AttrPricedOrders] = int64(p.PricedOrders)
	a[AttrUnpricedOrders] = int64(p.UnpricedOrders)
	a[AttrCancelledOrders] = int64(p.CancelledOrders)
	a[AttrRevenueBase] = p.RevenueBase
	a[AttrNetRevenueBase] = p.NetRevenueBase
	a[AttrRefundedBase] = p.RefundedBase
	if p.PricedOrders > 0 {
		a[AttrAOVBase] = p.AOVBase
	}
	a[AttrRefunds] = int64(p.Refunds)
	a[AttrRefundedOrders] = int64(p.RefundedOrders)
	a[AttrMarketplaces] = slices.Clone(nonNil(p.Marketplaces))
	a[AttrChannels] = slices.Clone(nonNil(p.Channels))
	for k, v := range map[string]string{AttrCountry: p.Country, AttrLanguage: p.Language, AttrTimeZone: p.TimeZone} {
		if v != "" {
			a[k] = v
		}
	}
	if p.Orders > 0 {
		a[AttrFirstOrderAt] = p.FirstOrderAt
		a[AttrLastOrderAt] = p.LastOrderAt
		d, _ := p.DaysSinceLastOrder(now)
		a[AttrDaysSinceLastOrder] = d
	}
	if p.HasOrderInterval() {
		a[AttrOrderIntervalDays] = p.OrderIntervalDays
	}
	a[AttrReviews] = int64(p.Reviews)
	if p.RatedReviews > 0 {
		a[AttrRatingAvg] = p.RatingAvg
	}
	if len(p.Deviations) > 0 {
		var last time.Time
		metrics := make([]string, 0, len(p.Deviations))
		for _, d := range p.Deviations {
			metrics = append(metrics, d.Metric)
			if d.At.After(last) {
				last = d.At
			}
		}
		a[AttrLastDeviationAt] = last
		a[AttrDeviationMetrics] = metrics
	}
	return a
}

func nonNil(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}
