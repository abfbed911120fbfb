package profile

import (
	"math"
	"time"

	"github.com/tradewind/tradewind/internal/profile/cluster"
)

// BehaviourFeatures describes the columns BehaviourRow fills, for
// clustering customers by behaviour (package cluster): orders, average
// basket, days since the last order, usual interval, refund rate and review
// rate, then the share of orders in each of marketplaces. labels gives
// marketplaces their display names in descriptions ("tiktok_shop_uk" →
// "TikTok Shop UK"); a marketplace without a label is named by its id.
// Counts, amounts and days are clustered on a log scale (Feature.Log):
// they are heavy-tailed.
func BehaviourFeatures(marketplaces []string, labels map[string]string) []cluster.Feature {
	fs := []cluster.Feature{
		{Name: AttrOrders, High: "buy often", Low: "buy rarely", Log: true},
		{Name: AttrAOVBase, High: "large baskets", Low: "small baskets", Log: true},
		{Name: AttrDaysSinceLastOrder, High: "lapsed", Low: "bought recently", Log: true},
		{Name: AttrOrderIntervalDays, High: "long gaps between orders", Low: "reorder quickly", Log: true},
		{Name: "refund_rate", High: "return a lot", Low: "rarely return"},
		{Name: "review_rate", High: "review often", Low: "rarely review"},
	}
	for _, m := range marketplaces {
		label := labels[m]
		if label == "" {
			label = m
		}
		// No words for a low share: with few marketplaces, "seldom on A" is
		// only the echo of "mostly B" and would crowd out real traits.
		fs = append(fs, cluster.Feature{Name: "share_" + m, High: "mostly " + label})
	}
	return fs
}

// BehaviourRow is p's row for BehaviourFeatures(marketplaces, …), as of now,
// and false for a profile without orders (behaviour means buying; such
// profiles are left out of clustering). The order interval is NaN for a
// customer with one order day (the clustering imputes it); the refund rate
// is refunded orders over orders; the review rate reviews over orders. The
// average basket is NaN when no order has a base amount.
func BehaviourRow(p *Profile, now time.Time, marketplaces []string) ([]float64, bool) {
	if p.Orders == 0 {
		return nil, false
	}
	orders := float64(p.Orders)
	aov := math.NaN() // unknown without a priced order
	if p.PricedOrders > 0 {
		aov, _ = p.AOVBase.Float64()
	}
	days, _ := p.DaysSinceLastOrder(now)
	interval := math.NaN()
	if p.HasOrderInterval() {
		interval = p.OrderIntervalDays
	}
	row := make([]float64, 0, 6+len(marketplaces))
	row = append(row, orders, aov, float64(days), interval,
		float64(p.RefundedOrders)/orders, float64(p.Reviews)/orders)
	for _, m := range marketplaces {
		row = append(row, float64(p.OrdersByMarketplace[m])/orders)
	}
	return row, true
}
