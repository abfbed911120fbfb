package duckdb

import (
	"context"
	"fmt"
	"time"

	"github.com/tradewind/tradewind/internal/store/keyindex"
)

// repairKeyIndex makes the key index agree with the store at start. The
// store commits before the index, so after a machine crash the index may lag
// (its unsynced tail lost): the missing keys are re-read from the rows of the
// lagging sequences. An index ahead of the store (the store was restored from
// an older backup) is rebuilt from scratch.
func (s *DB) repairKeyIndex(ctx context.Context) error {
	have, err := s.keys.Applied()
	if err != nil {
		return err
	}
	switch {
	case have == s.applied:
		return nil
	case have > s.applied:
		s.log.Warn("key index is ahead of the store (restored store?); rebuilding it", "index", have, "store", s.applied)
		if err := s.keys.Reset(); err != nil {
			return err
		}
		have = 0
	default:
		s.log.Warn("key index lags the store; repairing it", "index", have, "store", s.applied)
	}
	start := time.Now()
	b := s.keys.NewBatch()
	n := 0
	put := func(k keyindex.Kind, e keyindex.Entry, parts ...string) {
		b.Put(k, keyindex.Hash(parts...), e)
		n++
	}
	queries := []struct {
		sql  string
		scan func(vals []any)
	}{
		{`SELECT source_id, message_id, seq, received_at, import_id IS NOT NULL FROM event_rows
		  WHERE seq > ? AND (import_id IS NOT NULL OR
		  received_at >= (SELECT max(received_at) - INTERVAL 72 HOURS FROM event_rows))`,
			func(v []any) {
				src, id, seq, recv, perm := v[0].(string), v[1].(string), v[2].(uint64), v[3].(time.Time), v[4].(bool)
				put(keyindex.Message, keyindex.Entry{Seq: seq, Day: keyindex.Day(recv), Permanent: perm}, src, id)
			}},
		{`SELECT store, order_id, first_seq FROM order_rows WHERE first_seq > ?`,
			func(v []any) {
				put(keyindex.Order, keyindex.Entry{Seq: v[2].(uint64), Permanent: true}, v[0].(string), v[1].(string))
			}},
		{`SELECT source_id, customer_id, seq FROM customers WHERE seq > ?`,
			func(v []any) {
				put(keyindex.Customer, keyindex.Entry{Seq: v[2].(uint64), Permanent: true}, v[0].(string), v[1].(string))
			}},
		{`SELECT source_id, strftime(date, '%Y-%m-%d'), channel, campaign, seq FROM ad_spend WHERE seq > ?`,
			func(v []any) {
				put(keyindex.Order, keyindex.Entry{Seq: v[4].(uint64), Permanent: true}, "ad_spend", v[0].(string), v[1].(string), v[2].(string), v[3].(string))
			}},
	}
	for _, q := range queries {
		rows, err := s.wconn.QueryContext(ctx, q.sql, have)
		if err != nil {
			b.Discard()
			return fmt.Errorf("store: repair key index: %w", err)
		}
		cols, _ := rows.Columns()
		vals := make([]any, len(cols))
		ptrs := make([]any, len(cols))
		for j := range vals {
			ptrs[j] = &vals[j]
		}
		for rows.Next() {
			if err := rows.Scan(ptrs...); err != nil {
				rows.Close()
				b.Discard()
				return fmt.Errorf("store: repair key index: %w", err)
			}
			q.scan(vals)
		}
		if err := rows.Close(); err != nil {
			b.Discard()
			return err
		}
	}
	b.SetApplied(s.applied)
	if err := b.Commit(true); err != nil {
		return err
	}
	s.log.Info("key index repaired", "keys", n, "took", time.Since(start).Round(time.Millisecond))
	return nil
}
