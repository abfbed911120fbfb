package app

import (
	"bytes"
	"context"

	"github.com/tradewind/tradewind/internal/demo"
	"github.com/tradewind/tradewind/internal/store"
)

// LoadDemoReviews sends only the demo seller's reviews (the "Product
// Reviewed" messages of its sources) through ingest and waits until the
// store has them: the demo's review texts and ratings in every language
// without the weight of its orders and sessions, for the voice-of-the-
// customer tests and the bench/voc figures (seconds for the default
// 50,000 people, where the whole demo takes many minutes). Reviews keep
// their order_id, but the orders are not loaded.
func (a *App) LoadDemoReviews(ctx context.Context, cfg demo.Config) (demo.Stats, error) {
	stats, last, _, err := a.sendDemo(ctx, cfg, func(msg []byte) bool {
		return bytes.Contains(msg, []byte(`"Product Reviewed"`))
	}, nil)
	if err != nil {
		return stats, err
	}
	return stats, store.WaitApplied(ctx, a.Store, last)
}
