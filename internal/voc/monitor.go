// Package voc is the voice of the customer in the product: it scores
// review texts as they are stored (language, sentiment, topics — packages
// langid, sentiment, topics) and watches brand health (package health),
// raising graded alerts into the alerts table and onto the event log.
package voc

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"math"
	"sync"
	"time"

	"github.com/tradewind/tradewind/internal/voc/health"
)

// ScanFunc runs one of tradewind's own parameterised reads (the store's
// Scan).
type ScanFunc func(ctx context.Context, q string, args []any, fn func(row []any) error) error

// AlertRow is an alert as the alerts table and the log carry it.
type AlertRow = health.Alert

// Monitor computes the brand-health index over the scored reviews and
// keeps the alerts current: daily, and on demand.
type Monitor struct {
	Scan ScanFunc
	// Save upserts alerts by id (a later run closes an incident).
	Save func(ctx context.Context, alerts []AlertRow) error
	// Publish puts new alerts on the event log (nil publishes none).
	Publish func(ctx context.Context, alerts []AlertRow) error
	Now     func() time.Time
	Logger  *slog.Logger
	// Every is the interval of the scheduled run (0: hourly — reviews
	// arrive all day and an incident should be seen the day it starts;
	// negative: only on demand).
	Every time.Duration
	// Options tune the index and the alert rule.
	Options health.Options
	// Sellers is the node's seller sentiment model (voc train); it hangs
	// here because the monitor is the voice of the customer's handle in
	// the API. Nil: the built-in model only, no training.
	Sellers *SellerModels

	mu sync.Mutex
}

// reviewsSQL reads the scored reviews since a day, with the series keys:
// the marketplace of the reviewed order, the reviewer's country from the
// message's context, the product.
const reviewsSQL = `
SELECT r.review_id, coalesce(r.title, '') || CASE WHEN r.title IS NOT NULL AND r.body IS NOT NULL THEN ' — ' ELSE '' END || coalesce(r.body, ''),
       r."timestamp", coalesce(o.marketplace, ''), coalesce(json_extract_string(e.context, '$.location.country'), ''),
       coalesce(r.product_id, ''), coalesce(CAST(r.rating AS DOUBLE), 0), r.sentiment, coalesce(r.sentiment_score, 0)
FROM reviews r
LEFT JOIN order_rows o ON o.source_id = r.source_id AND o.order_id = json_extract_string(r.properties, '$.order_id')
LEFT JOIN event_rows e ON e.seq = r.seq
WHERE r.sentiment IS NOT NULL AND r."timestamp" >= $1::TIMESTAMPTZ
ORDER BY r."timestamp"`

// Result is what a run found.
type Result struct {
	From, To time.Time
	Texts    int
	Index    []health.DayIndex
	Alerts   []AlertRow
	// New are the alerts first raised by this run.
	New []AlertRow
}

// Run computes the index and alerts over yesterday and today and saves
// them; alerts in that range that were not known are new and published.
func (m *Monitor) Run(ctx context.Context) (*Result, error) {
	return m.RunDays(ctx, 1)
}

// RunDays is Run over the last days days: a backfill finds the incidents
// of a history loaded at once (the demo, an import of old reviews).
func (m *Monitor) RunDays(ctx context.Context, days int) (*Result, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	now := time.Now()
	if m.Now != nil {
		now = m.Now()
	}
	to := now.UTC().Truncate(24 * time.Hour)
	from := to.AddDate(0, 0, -max(days, 1))
	since := from.AddDate(0, 0, -health.LookbackDays(m.Options))
	var texts []health.Text
	err := m.Scan(ctx, reviewsSQL, []any{since}, func(r []any) error {
		t := health.Text{ID: str(r[0]), Text: str(r[1]), Marketplace: str(r[3]), Country: str(r[4]),
			Product: str(r[5]), Label: health.Label(str(r[7]))}
		t.Time, _ = r[2].(time.Time)
		t.Rating, _ = r[6].(float64)
		t.Score, _ = r[8].(float64)
		if math.IsNaN(t.Score) {
			t.Score = 0
		}
		texts = append(texts, t)
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("voc: read reviews: %w", err)
	}
	res := &Result{From: from, To: to, Texts: len(texts)}
	if len(texts) == 0 {
		return res, nil
	}
	hr := health.Run(texts, from, to, m.Options)
	res.Index, res.Alerts = hr.Index, hr.Alerts
	known := map[string]bool{}
	err = m.Scan(ctx, "SELECT alert_id FROM alerts WHERE day >= $1::DATE", []any{from.AddDate(0, 0, -30)}, func(r []any) error {
		known[str(r[0])] = true
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("voc: read alerts: %w", err)
	}
	for _, a := range hr.Alerts {
		if !known[a.ID] && !a.Day.Before(from) {
			res.New = append(res.New, a)
		}
	}
	if len(hr.Alerts) > 0 && m.Save != nil {
		if err := m.Save(ctx, hr.Alerts); err != nil {
			return nil, err
		}
	}
	if len(res.New) > 0 && m.Publish != nil {
		if err := m.Publish(ctx, res.New); err != nil {
			return nil, err
		}
	}
	if m.Logger != nil {
		m.Logger.Info("brand health checked", "texts", len(texts), "alerts", len(hr.Alerts), "new", len(res.New))
	}
	return res, nil
}

// Start runs the monitor on its schedule until ctx ends.
func (m *Monitor) Start(ctx context.Context) {
	every := m.Every
	if every < 0 {
		return
	}
	if every == 0 {
		every = time.Hour
	}
	go func() {
		t := time.NewTimer(2 * time.Minute)
		defer t.Stop()
		for {
			select {
			case <-ctx.Done():
				return
			case <-t.C:
			}
			if _, err := m.Run(ctx); err != nil && ctx.Err() == nil && m.Logger != nil {
				m.Logger.Error("brand health check failed", "err", err)
			}
			t.Reset(every)
		}
	}()
}

func str(v any) string {
	s, _ := v.(string)
	return s
}

// DetailJSON is an alert's full JSON for the alerts table's detail column.
func DetailJSON(a AlertRow) []byte {
	b, _ := json.Marshal(a)
	return b
}
