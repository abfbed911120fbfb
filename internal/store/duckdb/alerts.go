package duckdb

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"encoding/json"
	"fmt"
	"time"
)

// AlertRow is one row of the alerts table.
type AlertRow struct {
	AlertID, IncidentID, Kind, Series, Metric, Grade, Status string
	Day                                                      time.Time
	Observed, Expected, Z                                    float64
	Count                                                    int64
	RaisedAt                                                 time.Time
	Detail                                                   json.RawMessage
}

// SaveAlerts upserts alerts by id: a later run of a monitor updates an
// alert's status (an incident closing) and numbers.
func (s *DB) SaveAlerts(ctx context.Context, rows []AlertRow) error {
	if len(rows) == 0 {
		return nil
	}
	ids := make([][]driver.Value, len(rows))
	vals := make([][]driver.Value, len(rows))
	for i, r := range rows {
		ids[i] = []driver.Value{r.AlertID}
		vals[i] = []driver.Value{r.AlertID, r.IncidentID, r.Kind, r.Series, r.Metric, r.Grade, r.Status, r.Day,
			nullFloat(r.Observed), nullFloat(r.Expected), nullFloat(r.Z), r.Count, r.RaisedAt, nullJSON(r.Detail)}
	}
	return s.writeTx(ctx, "alerts", func(c *sql.Conn) error {
		if err := s.stage(ctx, c, "stg_alert_ids", "SELECT alert_id FROM alerts", ids); err != nil {
			return err
		}
		// Keep when each alert was first raised.
		if _, err := c.ExecContext(ctx, `CREATE OR REPLACE TEMP TABLE stg_alert_raised AS
			SELECT alert_id, raised_at FROM alerts WHERE alert_id IN (SELECT alert_id FROM stg_alert_ids)`); err != nil {
			return fmt.Errorf("store: alerts: %w", err)
		}
		if _, err := c.ExecContext(ctx, "DELETE FROM alerts WHERE alert_id IN (SELECT alert_id FROM stg_alert_ids)"); err != nil {
			return fmt.Errorf("store: alerts: %w", err)
		}
		if err := s.appendRows(c, "", "alerts", vals); err != nil {
			return err
		}
		if _, err := c.ExecContext(ctx, `UPDATE alerts SET raised_at = r.raised_at FROM stg_alert_raised r
			WHERE alerts.alert_id = r.alert_id`); err != nil {
			return fmt.Errorf("store: alerts: %w", err)
		}
		return nil
	})
}
