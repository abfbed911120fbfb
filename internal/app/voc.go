package app

import (
	"context"
	"encoding/json"
	"time"

	"github.com/tradewind/tradewind/internal/eventlog"
	"github.com/tradewind/tradewind/internal/segment"
	"github.com/tradewind/tradewind/internal/store/duckdb"
	"github.com/tradewind/tradewind/internal/voc"
)

// openVoC sets up the brand-health monitor over the store's scored
// reviews; its alerts go to the alerts table and onto the event log.
func (a *App) openVoC() {
	a.VoC = &voc.Monitor{Scan: a.Store.Scan, Save: a.saveAlerts, Publish: a.publishAlerts,
		Now: a.Cfg.Now, Logger: a.Logger, Every: a.Cfg.VoCEvery, Sellers: a.openSellerModels()}
}

func (a *App) saveAlerts(ctx context.Context, alerts []voc.AlertRow) error {
	rows := make([]duckdb.AlertRow, len(alerts))
	now := a.clock().UTC()
	for i, al := range alerts {
		rows[i] = duckdb.AlertRow{AlertID: al.ID, IncidentID: al.IncidentID, Kind: "voc", Series: al.Series,
			Metric: string(al.Metric), Grade: al.Grade.String(), Status: string(al.Status), Day: al.Day,
			Observed: al.Observed, Expected: al.Expected, Z: al.Z, Count: int64(al.Count), RaisedAt: now,
			Detail: voc.DetailJSON(al)}
	}
	return a.Store.SaveAlerts(ctx, rows)
}

// publishAlerts puts new alerts on the log as the engine's own messages
// (source _tradewind, type alert_raised), for triggers and replay.
func (a *App) publishAlerts(ctx context.Context, alerts []voc.AlertRow) error {
	now := a.clock().UTC()
	msgs := make([]eventlog.Message, len(alerts))
	for i, al := range alerts {
		id := "alert-" + al.ID
		body, _ := json.Marshal(map[string]any{"type": segment.AlertRaised, "messageId": id,
			"timestamp": now.Format(time.RFC3339Nano), "properties": al})
		msgs[i] = eventlog.Message{Type: segment.AlertRaised, Meta: eventlog.Meta{Source: segment.EngineSource,
			MessageID: id, ReceivedAt: now, Timestamp: now, Flags: eventlog.FlagPermanentKey}, Data: body}
	}
	_, err := a.Log.Publish(ctx, msgs)
	return err
}
