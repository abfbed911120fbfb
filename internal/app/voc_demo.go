package app

import (
	"bytes"
	"context"
	"errors"
	"fmt"

	"github.com/tradewind/tradewind/internal/demo"
	"github.com/tradewind/tradewind/internal/ingest"
	"github.com/tradewind/tradewind/internal/source"
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
	srcs := map[string]source.Source{}
	for _, ds := range demo.Sources() {
		src, ok := a.Sources.ByID(ds.Key)
		if !ok {
			var err error
			src, err = a.CreateSource(ctx, source.Source{ID: ds.Key, Name: ds.Name, Kind: ds.Kind, Store: ds.Store,
				Currency: ds.Currency, Marketplace: ds.Marketplace, Country: ds.Country})
			if err != nil && !errors.Is(err, source.ErrExists) {
				return demo.Stats{}, fmt.Errorf("demo source %s: %w", ds.Key, err)
			}
		}
		srcs[ds.Key] = src
	}
	pending := map[string][]ingest.Item{}
	var last uint64
	flush := func(key string) error {
		out, err := a.Ingest.Accept(ctx, srcs[key], pending[key], ingest.Options{Internal: true})
		if err != nil {
			return err
		}
		for i, o := range out {
			if o.Err != nil {
				f, r := ingest.FieldErr(o.Err)
				return fmt.Errorf("demo review %d of %s refused: %s %s", i, key, f, r)
			}
			last = max(last, o.Seq)
		}
		pending[key] = pending[key][:0]
		return nil
	}
	stats, err := demo.Generate(ctx, cfg, func(key string, msg []byte) error {
		if _, ok := srcs[key]; !ok {
			return fmt.Errorf("demo message for unknown source %q", key)
		}
		if !bytes.Contains(msg, []byte(`"Product Reviewed"`)) {
			return nil
		}
		pending[key] = append(pending[key], ingest.Item{Raw: append([]byte(nil), msg...)})
		if len(pending[key]) >= 500 {
			return flush(key)
		}
		return nil
	})
	if err != nil {
		return stats, err
	}
	for key := range pending {
		if err := flush(key); err != nil {
			return stats, err
		}
	}
	return stats, store.WaitApplied(ctx, a.Store, last)
}
