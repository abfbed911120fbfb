package duckdb

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/tradewind/tradewind/internal/eventlog"
	"github.com/tradewind/tradewind/internal/store"
)

// BenchmarkWriter measures the store writer alone: projecting and applying
// batches of 5,000 track events of about 400 bytes, as the Segment Node SDK
// sends them. b.N counts events.
func BenchmarkWriter(b *testing.B) {
	s, err := Open(context.Background(), Config{Dir: b.TempDir(), BaseCurrency: "USD"})
	if err != nil {
		b.Fatal(err)
	}
	defer s.Close()
	pr := &store.Projector{Source: func(string) (store.SourceInfo, bool) { return store.SourceInfo{Store: "s"}, true }}
	now := time.Now().UTC()
	const batch = 5000
	ds := make([]eventlog.Delivery, batch)
	ps := make([]store.Projected, batch)
	seq := uint64(0)
	b.ResetTimer()
	for done := 0; done < b.N; done += batch {
		for i := range ds {
			seq++
			ds[i] = eventlog.Delivery{Seq: seq, Type: "track", Meta: eventlog.Meta{Source: "src", MessageID: fmt.Sprintf("m-%d", seq), ReceivedAt: now, Timestamp: now},
				Data: []byte(fmt.Sprintf(`{"type":"track","event":"Product Viewed","userId":"user-%d","messageId":"m-%d","timestamp":"2026-11-22T03:00:00.123Z",`+
					`"properties":{"product_id":"sku-%d","name":"Merino crew sweater","price":79.9,"currency":"EUR","category":"Knitwear"},`+
					`"context":{"library":{"name":"@segment/analytics-node","version":"2.1.0"}},"integrations":{},"_metadata":{"jsRuntime":"node"}}`, seq%50000, seq, seq%120))}
		}
		for i, d := range ds {
			ps[i] = pr.Project(d)
		}
		if _, err := s.Apply(context.Background(), ps); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "events/s")
}
