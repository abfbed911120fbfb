package app

import "testing"

// TestBulkGrowth: a load into a small store and a large bulk load count;
// live traffic into a large store and a log that did not move do not.
func TestBulkGrowth(t *testing.T) {
	for _, c := range []struct {
		prev, last uint64
		bulk       bool
	}{
		{0, 60_000, true},             // the demo's first minute
		{2_000_000, 2_150_000, true},  // an import into a large store
		{2_000_000, 2_060_000, false}, // 1,000 events/s of live traffic
		{50_000, 55_000, false},       // a small shop's minute
		{100_000, 100_000, false},     // nothing new
		{100_000, 90_000, false},      // purged
	} {
		if got := bulkGrowth(c.prev, c.last); got != c.bulk {
			t.Errorf("bulkGrowth(%d, %d) = %v, want %v", c.prev, c.last, got, c.bulk)
		}
	}
}
