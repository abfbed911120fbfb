package btyd

import (
	"cmp"
	"math/rand/v2"
	"reflect"
	"slices"
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

// TestRadixSortSorts checks radixSort against slices.Sort at key widths
// that end inside a digit, on one, and at 64 bits.
func TestRadixSortSorts(t *testing.T) {
	rng := rand.New(rand.NewPCG(5, 6))
	for _, width := range []int{1, 11, 22, 50, 64} {
		keys := make([]uint64, 30000)
		for i := range keys {
			keys[i] = rng.Uint64() >> (64 - width)
			if i%7 == 0 && i > 0 {
				keys[i] = keys[i-1] // repeats
			}
		}
		want := slices.Clone(keys)
		slices.Sort(want)
		radixSort(keys, width)
		if !slices.Equal(keys, want) {
			t.Errorf("width %d: not sorted as slices.Sort sorts", width)
		}
	}
}

// TestByWholeXSortsAsTheStableSort checks Gamma-Gamma's counting sort
// against the stable comparison sort it stands in for.
func TestByWholeXSortsAsTheStableSort(t *testing.T) {
	rng := rand.New(rand.NewPCG(7, 8))
	xs := make([]float64, 5000)
	for i := range xs {
		xs[i] = float64(1 + rng.IntN(60))
	}
	want := make([]int, len(xs))
	for i := range want {
		want[i] = i
	}
	slices.SortStableFunc(want, func(a, b int) int { return cmp.Compare(xs[a], xs[b]) })
	if got := byWholeX(xs); !slices.Equal(got, want) {
		t.Error("the counting sort's order differs from the stable sort's")
	}
	xs[9] = 2.5
	if byWholeX(xs) != nil {
		t.Error("a fractional x was counted")
	}
}
