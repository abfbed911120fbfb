package duckdb

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"fmt"

	"github.com/tradewind/tradewind/internal/store"
)

// ApplyProfiles writes a batch of the real-time engine's state in one
// transaction: profiles with their identity mappings and memberships are
// replaced as a whole, merges upserted, conflicts appended. It shares the
// writer's lock and connection with the store writer, so the two never
// write at once.
func (s *DB) ApplyProfiles(ctx context.Context, b *store.ProfileBatch) error {
	return s.writeTx(ctx, "profiles", func(c *sql.Conn) error {
		// Every profile the batch touches: its old rows go.
		var touched [][]driver.Value
		for _, p := range b.Profiles {
			touched = append(touched, []driver.Value{p.ProfileID})
		}
		for _, id := range b.Removed {
			touched = append(touched, []driver.Value{id})
		}
		if len(touched) > 0 {
			if err := s.stage(ctx, c, "stg_profile_ids", "SELECT profile_id FROM profiles", touched); err != nil {
				return err
			}
			for _, t := range []string{"profiles", "profile_identities", "profile_users", "profile_anons", "segment_members"} {
				if _, err := c.ExecContext(ctx, "DELETE FROM "+t+" WHERE profile_id IN (SELECT profile_id FROM stg_profile_ids)"); err != nil {
					return fmt.Errorf("store: replace %s: %w", t, err)
				}
			}
		}
		var profiles, idents, users, anons [][]driver.Value
		for _, p := range b.Profiles {
			profiles = append(profiles, []driver.Value{p.ProfileID, nullTime(p.UpdatedAt), nullTime(p.FirstSeen),
				nullTime(p.LastSeen), p.Orders, p.PricedOrders, p.UnpricedOrders, p.CancelledOrders,
				dec4(p.RevenueBase), dec4(p.NetRevenueBase), dec4(p.RefundedBase), dec4(p.AOVBase),
				p.Refunds, p.RefundedOrders, stringList(p.Marketplaces), stringList(p.Channels), null(p.Country),
				null(p.Language), null(p.TimeZone), nullTime(p.FirstOrderAt), nullTime(p.LastOrderAt),
				floatPtr(p.OrderIntervalDays), p.Reviews, dec4(p.RatingAvg), nullTime(p.LastDeviationAt),
				stringList(p.DeviationMetrics), int32(p.Identities), nullJSON(p.Traits), nullJSON(p.Deviations)})
		}
		for _, id := range b.Identities {
			idents = append(idents, []driver.Value{id.Kind, id.NS, id.Value, id.ProfileID})
			switch id.Kind {
			case "user":
				users = append(users, []driver.Value{id.NS, id.Value, id.ProfileID})
			case "anon":
				anons = append(anons, []driver.Value{id.Value, id.ProfileID})
			}
		}
		for _, a := range []struct {
			table string
			rows  [][]driver.Value
		}{{"profiles", profiles}, {"profile_identities", idents}, {"profile_users", users}, {"profile_anons", anons}} {
			if err := s.appendRows(c, "", a.table, a.rows); err != nil {
				return err
			}
		}
		if len(b.Merges) > 0 {
			var rows [][]driver.Value
			for _, m := range b.Merges {
				rows = append(rows, []driver.Value{m.MergeID, m.Seq, null(m.MessageID), m.At, m.Into, m.From, m.Reason, nullTime(m.UndoneAt), null(m.UndoneBy)})
			}
			if err := s.stage(ctx, c, "stg_merges", "SELECT * FROM identity_merges", rows); err != nil {
				return err
			}
			if _, err := c.ExecContext(ctx, "DELETE FROM identity_merges WHERE merge_id IN (SELECT merge_id FROM stg_merges)"); err != nil {
				return fmt.Errorf("store: merges: %w", err)
			}
			if _, err := c.ExecContext(ctx, "INSERT INTO identity_merges SELECT * FROM stg_merges"); err != nil {
				return fmt.Errorf("store: merges: %w", err)
			}
		}
		var conflicts [][]driver.Value
		for _, cf := range b.Conflicts {
			conflicts = append(conflicts, []driver.Value{cf.Seq, null(cf.MessageID), cf.At, null(cf.ProfileA), null(cf.ProfileB), null(cf.Kind), null(cf.NS), cf.Reason})
		}
		if err := s.appendRows(c, "", "identity_conflicts", conflicts); err != nil {
			return err
		}
		var members [][]driver.Value
		for _, m := range b.Members {
			members = append(members, []driver.Value{m.SegmentID, m.ProfileID, m.Since})
		}
		if err := s.appendRows(c, "", "segment_members", members); err != nil {
			return err
		}
		return nil
	})
}

func stringList(l []string) driver.Value {
	if l == nil {
		return []string{}
	}
	return l
}

func floatPtr(f *float64) driver.Value {
	if f == nil {
		return nil
	}
	return *f
}
