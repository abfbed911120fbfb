package profile

import (
	"fmt"
	"hash/fnv"
	"math"
	"math/bits"
	"time"

	"github.com/govalues/decimal"
)

// Amounts are kept as int64 counts of 1e-4 of the base currency: the
// store's DECIMAL(18,4) and the fx package's conversion scale, so every
// amount the store holds is represented exactly, sums are exact integer
// additions, and a profile's state stays small. The read model turns them
// back into decimals.
const moneyScale = 4

// toUnits converts an amount into 1e-4 units, rounding half to even beyond
// four places (amounts from the projector never have more); ok is false
// when the amount is too large for int64 units.
func toUnits(d decimal.Decimal) (int64, bool) {
	whole, frac, ok := d.Round(moneyScale).Int64(moneyScale)
	if !ok {
		return 0, false
	}
	hi, lo := bits.Mul64(uint64(abs64(whole)), 10_000)
	if hi != 0 || lo > math.MaxInt64 {
		return 0, false
	}
	u := int64(lo)
	if whole < 0 {
		u = -u
	}
	if s, ok := addMoney(u, frac); ok {
		return s, true
	}
	return 0, false
}

func abs64(v int64) int64 {
	if v < 0 {
		return -v
	}
	return v
}

// addMoney adds two amounts; on overflow it saturates and reports !ok, so a
// read model shows a bound rather than a wrapped number (no real profile
// comes near 9.2e14 in the base currency).
func addMoney(a, b int64) (int64, bool) {
	s := a + b
	if (a >= 0) == (b >= 0) && (s >= 0) != (a >= 0) {
		if a >= 0 {
			return math.MaxInt64, false
		}
		return math.MinInt64, false
	}
	return s, true
}

// units2dec is the decimal of an amount in 1e-4 units.
func units2dec(u int64) decimal.Decimal {
	d, err := decimal.New(u, moneyScale)
	if err != nil { // unreachable: any int64 fits in 19 digits
		panic(err)
	}
	return d
}

// quoUnits is a/b rounded half to even to four places, for averages.
func quoUnits(sum int64, n int64) decimal.Decimal {
	if n == 0 {
		return decimal.Decimal{}
	}
	q, err := units2dec(sum).Quo(decimal.MustNew(n, 0))
	if err != nil {
		return decimal.Decimal{}
	}
	return q.Round(moneyScale)
}

func microTime(us int64) time.Time { return time.UnixMicro(us).UTC() }

const microsPerDay = 86_400_000_000

// dayOf is the UTC calendar day number of a time in µs: order days and
// recency are counted in UTC, as the store keeps time, so that the SQL jobs
// (RFM) and the real-time traits count the same days.
func dayOf(us int64) int64 {
	d := us / microsPerDay
	if us%microsPerDay < 0 {
		d--
	}
	return d
}

// hash64 identifies a message or key compactly (FNV-1a over the parts with
// a separator); 64 bits make a collision among one profile's refunds
// vanishingly unlikely.
func hash64(parts ...string) uint64 {
	h := fnv.New64a()
	for _, p := range parts {
		h.Write([]byte(p))
		h.Write([]byte{0})
	}
	return h.Sum64()
}

func errUnknownVersion(v byte) error {
	return fmt.Errorf("profile: state format version %d is not known to this build", v)
}
