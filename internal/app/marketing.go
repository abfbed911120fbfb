package app

import (
	"context"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
	"time"

	"github.com/tradewind/tradewind/internal/marketing"
	"github.com/tradewind/tradewind/internal/store/duckdb"
	"github.com/tradewind/tradewind/internal/touch"
)

// ChannelsFile is the channel taxonomy a seller may put in the data
// directory (JSON, see internal/touch.Parse); without it the built-in
// taxonomy applies.
const ChannelsFile = "channels.json"

// marketing is the attribution, ROI, influencer and experiment service
// over the node's store: one per node, as it caches the data it reads —
// until channels.json changes, which a new API server (a restart) picks up
// with a fresh service.
func (a *App) marketing() *marketing.Service {
	a.mktMu.Lock()
	defer a.mktMu.Unlock()
	stamp := ""
	if fi, err := os.Stat(filepath.Join(a.Cfg.DataDir, ChannelsFile)); err == nil {
		stamp = fi.ModTime().String() + "/" + strconv.FormatInt(fi.Size(), 10)
	}
	if a.mkt == nil || stamp != a.mktStamp {
		a.mkt = &marketing.Service{Scan: a.Store.Scan, RefreshTouches: a.refreshTouches, Taxonomy: a.channelTaxonomy(), JetStream: a.Log.JetStream(),
			Bucket: a.bucket("tradewind_experiments"), Now: a.Cfg.Now, Logger: a.Logger, Generation: a.Store.AppliedMessages}
		a.mktStamp = stamp
	}
	return a.mkt
}

// refreshTouches brings the store's touch tables up to date for the
// marketing service.
func (a *App) refreshTouches(ctx context.Context, keySQL string, args []any) error {
	r, err := a.Store.RefreshTouchPoints(ctx, duckdb.TouchKey{SQL: keySQL, Args: args})
	if err == nil && (r.Rebuilt || r.Deletions || r.Elapsed > 5*time.Second) {
		a.Logger.Info("marketing touch points refreshed", "touch_rows_added", r.TouchRows, "rebuilt", r.Rebuilt,
			"deletions", r.Deletions, "identities", r.Identities, "rows", r.Candidates, "elapsed", r.Elapsed.Round(time.Millisecond))
	}
	return err
}

// WarmMarketing reads the dashboard's marketing data in the background
// (after a bulk load, so the page does not wait for it).
func (a *App) WarmMarketing(ctx context.Context) {
	a.wg.Add(1)
	go func() {
		defer a.wg.Done()
		a.marketing().Warm(ctx)
	}()
}

// keepMarketingWarm reads the dashboard's marketing data once the node has
// started, and again before it goes stale while the page is in use (a
// day), so the page seldom waits for it; it returns when ctx ends. The
// first read waits for the end of a bulk load (the demo's, an import):
// read mid-load it covers a sliver of the data and holds the store
// writer's lock while it builds the touch points (seconds on the demo,
// minutes at a million customers).
func (a *App) keepMarketingWarm(ctx context.Context) {
	const retry = 15 * time.Second
	wait := retry
	for first := true; ; {
		select {
		case <-ctx.Done():
			return
		case <-time.After(wait):
		}
		if first && !a.settled() {
			wait = retry
			continue
		}
		wait = a.marketing().CacheTTL() * 4 / 5
		if first || a.marketing().AskedWithin(24*time.Hour) {
			a.marketing().Warm(ctx)
		}
		first = false
	}
}

// channelTaxonomy reads DataDir/channels.json. A file that does not parse
// is logged and the built-in taxonomy used, so a typo costs a report's
// accuracy, not the node's start; GET /v1/channels shows what is in force.
func (a *App) channelTaxonomy() *touch.Taxonomy {
	path := filepath.Join(a.Cfg.DataDir, ChannelsFile)
	b, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return touch.Default()
	}
	if err == nil {
		var t *touch.Taxonomy
		if t, err = touch.Parse(b); err == nil {
			return t
		}
	}
	a.Logger.Error("channel taxonomy not loaded; using the built-in one", "path", path, "err", err)
	return touch.Default()
}
