package btyd

import (
	"math/rand/v2"
	"reflect"
	"testing"
)

// TestCompressByKeysGroupsAsTheSort checks that the integer keys group a
// data set exactly as sorting the histories does: the same groups, weights,
// value indexes and runs.
func TestCompressByKeysGroupsAsTheSort(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	cs := make([]Customer, 20000)
	for i := range cs {
		T := float64(rng.IntN(300)) / 7
		c := Customer{T: T}
		if rng.IntN(3) > 0 {
			c.X = float64(1 + rng.IntN(40))
			c.Tx = float64(rng.IntN(int(T*7)+1)) / 7
		}
		cs[i] = c
	}
	got, ok := compressByKeys(cs)
	if !ok {
		t.Fatal("whole-day data did not fit the keys")
	}
	// The sort, as compress does it without keys.
	want := compressSorted(cs)
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("keys: %d groups %d runs %d values; sort: %d groups %d runs %d values", len(got.groups), len(got.runs), len(got.vals),
			len(want.groups), len(want.runs), len(want.vals))
	}
	cs[5].X = 1.5
	if _, ok := compressByKeys(cs); ok {
		t.Fatal("a fractional x fitted the keys")
	}
}
