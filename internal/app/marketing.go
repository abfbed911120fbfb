package app

import (
	"errors"
	"io/fs"
	"os"
	"path/filepath"

	"github.com/tradewind/tradewind/internal/marketing"
	"github.com/tradewind/tradewind/internal/touch"
)

// ChannelsFile is the channel taxonomy a seller may put in the data
// directory (JSON, see internal/touch.Parse); without it the built-in
// taxonomy applies.
const ChannelsFile = "channels.json"

// marketing is the attribution, ROI, influencer and experiment service
// over the node's store. It holds no state beyond the experiments bucket's
// handle, so building one per API server is cheap.
func (a *App) marketing() *marketing.Service {
	return &marketing.Service{Scan: a.Store.Scan, Taxonomy: a.channelTaxonomy(), JetStream: a.Log.JetStream(),
		Bucket: a.bucket("tradewind_experiments"), Now: a.Cfg.Now}
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
