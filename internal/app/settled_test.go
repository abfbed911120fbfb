package app

import "testing"

// TestBulkGrowth: a load into a small store and a large bulk load count;
// live traffic into a large store and a log that did not move do not.
func TestBulkGrowth(t *testing.T) {
	for _, c := range []struct {
		prev, last uint64
		bulk       bool
	}{
		// bytes, at ~400 per event
		{0, 24_000_000, true},             // the demo's first minute
		{800_000_000, 860_000_000, true},  // an import into a large store
		{800_000_000, 824_000_000, false}, // 1,000 events/s of live traffic
		{20_000_000, 22_000_000, false},   // a small shop's minute
		{40_000_000, 40_000_000, false},   // nothing new
		{40_000_000, 36_000_000, false},   // purged
	} {
		if got := bulkGrowth(c.prev, c.last); got != c.bulk {
			t.Errorf("bulkGrowth(%d, %d) = %v, want %v", c.prev, c.last, got, c.bulk)
		}
	}
}
