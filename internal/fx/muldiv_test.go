package fx

import (
	"math"
	"math/big"
	"math/rand/v2"
	"testing"
)

// mulDivRat is the specification of mulDiv: a·b/c·10^exp as an exact
// fraction, rounded half to even.
func mulDivRat(a, b, c uint64, exp int) (int64, bool) {
	n := new(big.Int).Mul(new(big.Int).SetUint64(a), new(big.Int).SetUint64(b))
	d := new(big.Int).SetUint64(c)
	p := new(big.Int).Exp(big.NewInt(10), big.NewInt(int64(max(exp, -exp))), nil)
	if exp >= 0 {
		n.Mul(n, p)
	} else {
		d.Mul(d, p)
	}
	x := new(big.Rat).SetFrac(n, d)
	f := new(big.Rat).SetInt(new(big.Int).Quo(n, d)) // floor: all positive
	q := f.Num()
	frac := new(big.Rat).Sub(x, f)
	if c := frac.Cmp(big.NewRat(1, 2)); c > 0 || c == 0 && q.Bit(0) == 1 {
		q.Add(q, big.NewInt(1))
	}
	if !q.IsInt64() {
		return 0, false
	}
	return q.Int64(), true
}

func testMulDiv(t *testing.T, a, b, c uint64, exp int) {
	if c == 0 || exp < -40 || exp > 40 {
		return
	}
	want, wantOK := mulDivRat(a, b, c, exp)
	if got, ok := mulDivBig(a, b, c, exp); got != want || ok != wantOK {
		t.Fatalf("mulDivBig(%d, %d, %d, %d) = %d, %v; want %d, %v", a, b, c, exp, got, ok, want, wantOK)
	}
	if got, ok, fits := mulDiv128(a, b, c, exp); fits && (got != want || ok != wantOK) {
		t.Fatalf("mulDiv128(%d, %d, %d, %d) = %d, %v; want %d, %v", a, b, c, exp, got, ok, want, wantOK)
	}
}

// TestMulDiv checks both implementations against exact rational arithmetic,
// on edge cases and on random operands of every size.
func TestMulDiv(t *testing.T) {
	edges := []struct {
		a, b, c uint64
		exp     int
	}{
		{1, 1, 2, 0},                  // 0.5 → 0
		{3, 1, 2, 0},                  // 1.5 → 2
		{5, 1, 2, 0},                  // 2.5 → 2
		{1, 1, 3, 0},                  // 0.33… → 0
		{2, 1, 3, 0},                  // 0.66… → 1
		{math.MaxInt64, 1, 1, 0},      // the largest result
		{math.MaxInt64, 2, 2, 0},      // needs the 128-bit product
		{math.MaxUint64, 1, 2, 0},     // 2^63 - 0.5 → 2^63: out of range
		{math.MaxUint64 - 2, 1, 2, 0}, // 2^63 - 1.5 → 2^63 - 2
		{math.MaxUint64, math.MaxUint64, math.MaxUint64, 0},
		{math.MaxUint64, math.MaxUint64, 3, 0}, // quotient beyond 64 bits
		{1<<64 - 1, 1<<64 - 1, 1<<63 + 1, 0},
		{12345, 11684, 18675, 0},         // 12345 JPY → USD
		{37035000000000000, 1, 3, -17},   // an exact tie at 0.12345: even
		{3703500000000000001, 1, 3, -15}, // just above a tie
		{1, 1, 1, 40}, {1, 1, 1, -40},
		{999999999999999999, 999999999999999999, 7, -19},
	}
	for _, e := range edges {
		testMulDiv(t, e.a, e.b, e.c, e.exp)
	}
	r := rand.New(rand.NewPCG(1, 2))
	operand := func() uint64 { return r.Uint64() >> r.IntN(64) } // any number of bits
	for range 100000 {
		testMulDiv(t, operand(), operand(), operand()|1, r.IntN(81)-40)
	}
}

func FuzzMulDiv(f *testing.F) {
	f.Add(uint64(12345), uint64(11684), uint64(18675), 0)
	f.Add(uint64(3703500000000000001), uint64(1), uint64(3), -15)
	f.Fuzz(func(t *testing.T, a, b, c uint64, exp int) { testMulDiv(t, a, b, c, exp) })
}
