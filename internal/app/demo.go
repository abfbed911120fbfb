package app

import (
	"context"
	"errors"
	"fmt"
	"os"

	"github.com/tradewind/tradewind/internal/api"
	"github.com/tradewind/tradewind/internal/demo"
	"github.com/tradewind/tradewind/internal/ingest"
	"github.com/tradewind/tradewind/internal/source"
	"github.com/tradewind/tradewind/internal/store"
)

// DemoReport is what LoadDemo did.
type DemoReport struct {
	Stats demo.Stats
	// FX is the exchange-rate import (nil when the rates file was absent).
	FX *api.FXReport
	// LastSeq is the log sequence of the last demo message.
	LastSeq uint64
}

// LoadDemo generates the synthetic seller and sends every message through
// ingest (the same validation, encryption and event log as the HTTP API),
// after loading the ECB rates from fxFile if it exists; it returns once
// the store has applied everything. progress, if set, hears the count of
// messages sent every few thousand.
func (a *App) LoadDemo(ctx context.Context, cfg demo.Config, fxFile string, progress func(sent uint64)) (*DemoReport, error) {
	rep := &DemoReport{}
	if f, err := os.Open(fxFile); err == nil {
		fxr, err := a.ImportFX(ctx, api.ImportFXRequest{Body: f})
		f.Close()
		if err != nil {
			return nil, fmt.Errorf("exchange rates %s: %w", fxFile, err)
		}
		rep.FX = fxr
	}
	stats, last, total, err := a.sendDemo(ctx, cfg, nil, progress)
	if err != nil {
		return nil, err
	}
	if progress != nil {
		progress(total)
	}
	rep.LastSeq = last
	rep.Stats = stats
	return rep, store.WaitApplied(ctx, a.Store, rep.LastSeq)
}

// sendDemo generates the synthetic seller, creating its sources where
// missing, and sends the messages keep accepts (every one when keep is nil)
// through ingest in chunks of 500 per source. It returns the generator's
// stats, the log sequence of the last message sent and how many were sent;
// progress, if set, hears the count every few thousand.
func (a *App) sendDemo(ctx context.Context, cfg demo.Config, keep func(msg []byte) bool, progress func(sent uint64)) (demo.Stats, uint64, uint64, error) {
	sources := map[string]source.Source{}
	for _, ds := range demo.Sources() {
		src, ok := a.Sources.ByID(ds.Key)
		if !ok {
			var err error
			src, err = a.CreateSource(ctx, source.Source{ID: ds.Key, Name: ds.Name, Kind: ds.Kind, Store: ds.Store,
				Currency: ds.Currency, Marketplace: ds.Marketplace, Country: ds.Country})
			if err != nil && !errors.Is(err, source.ErrExists) {
				return demo.Stats{}, 0, 0, fmt.Errorf("demo source %s: %w", ds.Key, err)
			}
		}
		sources[ds.Key] = src
	}
	pending := map[string][]ingest.Item{}
	var last, total uint64
	flush := func(key string) error {
		items := pending[key]
		if len(items) == 0 {
			return nil
		}
		out, err := a.Ingest.Accept(ctx, sources[key], items, ingest.Options{Internal: true})
		if err != nil {
			return err
		}
		for i, o := range out {
			if o.Err != nil {
				f, r := ingest.FieldErr(o.Err)
				return fmt.Errorf("demo message %d of %s refused: %s %s", i, key, f, r)
			}
			last = max(last, o.Seq)
		}
		total += uint64(len(items))
		pending[key] = items[:0]
		if progress != nil && total%5000 < uint64(len(items)) {
			progress(total)
		}
		return nil
	}
	stats, err := demo.Generate(ctx, cfg, func(key string, msg []byte) error {
		if _, ok := sources[key]; !ok {
			return fmt.Errorf("demo message for unknown source %q", key)
		}
		if keep != nil && !keep(msg) {
			return nil
		}
		pending[key] = append(pending[key], ingest.Item{Raw: msg}) // Generate hands over msg
		if len(pending[key]) >= 500 {
			return flush(key)
		}
		return nil
	})
	if err != nil {
		return stats, 0, 0, err
	}
	for key := range pending {
		if err := flush(key); err != nil {
			return stats, 0, 0, err
		}
	}
	return stats, last, total, nil
}
