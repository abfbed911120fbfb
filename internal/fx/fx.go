// Package fx converts money between currencies with the euro foreign
// exchange reference rates of the European Central Bank.
//
// The ECB publishes, for each TARGET business day, how many units of about
// thirty currencies one euro buys. [Parse] reads the files it publishes — the
// full history (eurofxref-hist.zip, or the CSV inside it) and the daily file
// (eurofxref.csv) — into a [Table]. [Table.Convert] converts an amount with
// the rates of the amount's own UTC date; when the ECB published no rate that
// day (a weekend, a TARGET holiday, a date after the newest file, or a
// currency not quoted that day) it uses the nearest earlier date that quotes
// both currencies and reports how stale that rate is, so a caller can decide
// what is too old.
//
// A rate is quoted as units of a currency per 1 EUR; the euro itself is 1
// and appears in no file. Money is exact: rates and amounts are
// [decimal.Decimal], a conversion
// multiplies and divides without loss and rounds once, half to even, to
// [Scale] decimal places.
//
// A Table is immutable, so any number of goroutines may use one without
// locking. Updating is copy-on-write: [Table.Merge] returns a new table, and
// [Live] publishes it atomically to readers, who keep using the table they
// already hold until they next ask.
//
// Source: ECB (https://www.ecb.europa.eu/stats/policy_and_exchange_rates/euro_reference_exchange_rates/).
// The ECB publishes its reference rates for information purposes only.
package fx

import (
	"errors"
	"fmt"
	"iter"
	"maps"
	"math"
	"math/big"
	"math/bits"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/govalues/decimal"
)

// Scale is the number of decimal places of a converted amount. Four places
// keep a sub-cent remainder, so sums of many converted amounts round once,
// at display, instead of accumulating per-order rounding.
const Scale = 4

// ErrNoRate reports that a table cannot convert between two currencies on a
// date: a currency it has no rates for, or a date before its first rate.
// It is expected data, not a failure: callers can record the amount as
// unconverted. Test for it with [errors.Is].
var ErrNoRate = errors.New("fx: no rate")

// Rate is one reference rate: how many units of Currency one euro bought on
// Day. It is the row a store persists; see [Table.Rates] and [NewTable].
type Rate struct {
	Day      time.Time // midnight UTC of the rate's date
	Currency Currency
	Value    decimal.Decimal // units of Currency per 1 EUR; positive
}

// Conversion is the result of [Table.Convert].
type Conversion struct {
	// Amount is the converted amount, rounded half to even to Scale places.
	Amount decimal.Decimal
	// Rate is the cross rate, units of the target currency per unit of the
	// source currency, rounded half to even to 17 or 18 significant digits
	// (fewer below 0.01, as a decimal has at most 19 places), trailing
	// zeros dropped. Amount is computed from the euro rates directly, not
	// from this rounded Rate, so it may differ from amount × Rate in the
	// last place.
	Rate decimal.Decimal
	// RateDate is the date, midnight UTC, whose rates were used.
	RateDate time.Time
	// StaleDays is the number of days from RateDate to the requested UTC
	// date: 0 when the ECB quoted both currencies that day, 1 on a Saturday,
	// 2 on a Sunday, more after holidays or a currency's last quote.
	StaleDays int
}

// Table holds reference rates by date and currency. The zero Table is empty
// and ready to use. A Table never changes once built, so it is safe for
// concurrent use; Merge returns a new one.
type Table struct {
	days   []int32 // every date a source had a row for, ascending
	series map[[3]byte]*series
}

// series holds the rates of one currency, by ascending date.
type series struct {
	days  []int32 // days since 1970-01-01 (UTC)
	rates []decimal.Decimal
}

// at returns the index of the last rate on or before d, or -1.
func (s *series) at(d int32) int {
	i, found := slices.BinarySearch(s.days, d)
	if !found {
		i--
	}
	return i
}

// Convert converts amount from one currency to another with the reference
// rates of day's UTC date: amount × rate(to) / rate(from), both rates quoted
// against the euro, computed exactly and rounded once, half to even, to
// Scale places.
//
// If either currency is not quoted on that date, Convert uses the nearest
// earlier date that quotes both and reports it in RateDate and StaleDays.
// It returns an error wrapping [ErrNoRate] when the table has no rate for a
// currency or no such date. Currency codes may be in any case. Converting a
// currency to itself needs no rate: it returns amount unchanged, rate 1,
// the requested date and no staleness.
func (t *Table) Convert(amount decimal.Decimal, from, to Currency, day time.Time) (Conversion, error) {
	fk, err := from.key()
	if err != nil {
		return Conversion{}, err
	}
	tk, err := to.key()
	if err != nil {
		return Conversion{}, err
	}
	want := dayNumber(day)
	if fk == tk {
		return Conversion{Amount: amount, Rate: decimal.One, RateDate: dayTime(want)}, nil
	}
	fr, tr, on, err := t.pair(fk, tk, want)
	if err != nil {
		return Conversion{}, err
	}

	q, ok := mulDiv(amount.Coef(), tr.Coef(), fr.Coef(), Scale+fr.Scale()-amount.Scale()-tr.Scale())
	if !ok {
		return Conversion{}, fmt.Errorf("fx: converting %s %s to %s: result out of range", amount, code(fk), code(tk))
	}
	amt := decimal.MustNew(q, Scale)
	if amount.IsNeg() {
		amt = amt.Neg()
	}

	// Choose the rate's scale so its coefficient stays below 10^18 (an
	// int64): the cross rate is below 10^hi, so 18-hi places leave
	// 17 or 18 significant digits.
	hi := tr.Prec() - tr.Scale() - fr.Prec() + fr.Scale() + 1
	rs := min(max(18-hi, 0), decimal.MaxScale)
	rq, ok := mulDiv(tr.Coef(), 1, fr.Coef(), rs+fr.Scale()-tr.Scale())
	if !ok {
		return Conversion{}, fmt.Errorf("fx: cross rate %s/%s out of range", code(fk), code(tk))
	}

	return Conversion{
		Amount:    amt,
		Rate:      decimal.MustNew(rq, rs).Trim(0),
		RateDate:  dayTime(int64(on)),
		StaleDays: int(want - int64(on)),
	}, nil
}

// pair returns the rates of two different currencies on the latest date on
// or before want that quotes both.
func (t *Table) pair(from, to [3]byte, want int64) (fr, tr decimal.Decimal, on int32, err error) {
	fs, err := t.lookup(from)
	if err != nil {
		return fr, tr, 0, err
	}
	ts, err := t.lookup(to)
	if err != nil {
		return fr, tr, 0, err
	}
	fr, tr = decimal.One, decimal.One // the euro, which has no series
	d := int32(min(max(want, math.MinInt32), math.MaxInt32))
	// Alternate between the two series, each time moving back to the other's
	// date, until both quote the same date. Usually the first probe agrees.
	for {
		i, j := 0, 0
		if fs != nil {
			if i = fs.at(d); i < 0 {
				break
			}
			d = fs.days[i]
		}
		if ts != nil {
			if j = ts.at(d); j < 0 {
				break
			}
			d = ts.days[j]
		}
		if fs == nil || fs.days[i] == d {
			if fs != nil {
				fr = fs.rates[i]
			}
			if ts != nil {
				tr = ts.rates[j]
			}
			return fr, tr, d, nil
		}
	}
	return fr, tr, 0, fmt.Errorf("%w for %s and %s on or before %s", ErrNoRate, code(from), code(to), dayTime(want).Format(time.DateOnly))
}

// lookup returns the series of a currency; nil for the euro, whose rate is 1.
func (t *Table) lookup(k [3]byte) (*series, error) {
	if k == eur {
		return nil, nil
	}
	s := t.series[k]
	if s == nil {
		return nil, fmt.Errorf("%w for %s", ErrNoRate, code(k))
	}
	return s, nil
}

// Span returns the first and last date of the table, or zero times if it is
// empty. Use last to decide whether a newer daily file is due.
func (t *Table) Span() (first, last time.Time) {
	if len(t.days) == 0 {
		return time.Time{}, time.Time{}
	}
	return dayTime(int64(t.days[0])), dayTime(int64(t.days[len(t.days)-1]))
}

// Currencies returns the codes the table has rates for, sorted. The euro is
// not among them: it is the base, always 1.
func (t *Table) Currencies() []Currency {
	keys := slices.SortedFunc(maps.Keys(t.series), func(a, b [3]byte) int { return slices.Compare(a[:], b[:]) })
	out := make([]Currency, len(keys))
	for i, k := range keys {
		out[i] = Currency(k[:])
	}
	return out
}

// Rates returns every rate in the table, ordered by date and then currency,
// for persisting; [NewTable] builds the same table back from them.
func (t *Table) Rates() iter.Seq[Rate] {
	return func(yield func(Rate) bool) {
		keys := slices.SortedFunc(maps.Keys(t.series), func(a, b [3]byte) int { return slices.Compare(a[:], b[:]) })
		codes := make([]Currency, len(keys))
		for i, k := range keys {
			codes[i] = Currency(k[:])
		}
		next := make([]int, len(keys)) // per currency, the index of its next rate
		for _, d := range t.days {
			day := dayTime(int64(d))
			for c, k := range keys {
				s, i := t.series[k], next[c]
				if i == len(s.days) || s.days[i] != d {
					continue
				}
				next[c]++
				if !yield(Rate{Day: day, Currency: codes[c], Value: s.rates[i]}) {
					return
				}
			}
		}
	}
}

// NewTable builds a table from rates, for example those a store saved from
// [Table.Rates]. Rates may come in any order; of two for the same date and
// currency the later one wins. Day is reduced to its UTC date.
func NewTable(rates iter.Seq[Rate]) (*Table, error) {
	var b builder
	for r := range rates {
		k, err := r.Currency.key()
		if err != nil {
			return nil, err
		}
		if k == eur {
			return nil, fmt.Errorf("fx: rate for EUR on %s: the euro is the base, always 1", r.Day.UTC().Format(time.DateOnly))
		}
		if !r.Value.IsPos() {
			return nil, fmt.Errorf("fx: %s rate on %s: %s is not positive", code(k), r.Day.UTC().Format(time.DateOnly), r.Value)
		}
		d := dayNumber(r.Day)
		if d < math.MinInt32 || d > math.MaxInt32 {
			return nil, fmt.Errorf("fx: %s rate: date %s out of range", code(k), r.Day.UTC())
		}
		b.day(int32(d))
		b.add(int32(d), k, r.Value)
	}
	return b.table(), nil
}

// Merge returns a new table with the rates of t and newer, where newer
// replaces whole dates: for every date newer has a row for, t's rates of
// that date are dropped, even for currencies newer does not quote. This is
// how a daily file or a reloaded history corrects earlier data. Neither
// table changes.
func (t *Table) Merge(newer *Table) *Table {
	var b builder
	replaced := func(d int32) bool {
		_, found := slices.BinarySearch(newer.days, d)
		return found
	}
	for _, d := range t.days {
		if !replaced(d) {
			b.day(d)
		}
	}
	for k, s := range t.series {
		for i, d := range s.days {
			if !replaced(d) {
				b.add(d, k, s.rates[i])
			}
		}
	}
	for _, d := range newer.days {
		b.day(d)
	}
	for k, s := range newer.series {
		for i, d := range s.days {
			b.add(d, k, s.rates[i])
		}
	}
	return b.table()
}

// builder collects rates in any order and builds a Table.
type builder struct {
	days   []int32
	points map[[3]byte][]point
}

type point struct {
	day  int32
	rate decimal.Decimal
}

func (b *builder) day(d int32) { b.days = append(b.days, d) }

func (b *builder) add(d int32, k [3]byte, r decimal.Decimal) {
	if b.points == nil {
		b.points = make(map[[3]byte][]point)
	}
	b.points[k] = append(b.points[k], point{d, r})
}

func (b *builder) table() *Table {
	t := &Table{series: make(map[[3]byte]*series, len(b.points))}
	slices.Sort(b.days)
	t.days = slices.Clip(slices.Compact(b.days))
	byDay := func(a, b point) int { return int(a.day - b.day) }
	for k, ps := range b.points {
		// The ECB history runs newest first; reversing it is much cheaper
		// than a stable sort. Only when strictly descending, so that rates
		// for the same date stay in the order they were added.
		if descending(ps) {
			slices.Reverse(ps)
		}
		// Stable, so that of equal dates the one added last stays last.
		if !slices.IsSortedFunc(ps, byDay) {
			slices.SortStableFunc(ps, byDay)
		}
		s := &series{days: make([]int32, 0, len(ps)), rates: make([]decimal.Decimal, 0, len(ps))}
		for i, p := range ps {
			if i+1 < len(ps) && ps[i+1].day == p.day {
				continue // a later rate for the same date replaces this one
			}
			s.days = append(s.days, p.day)
			s.rates = append(s.rates, p.rate)
		}
		t.series[k] = s
	}
	return t
}

func descending(ps []point) bool {
	for i := 1; i < len(ps); i++ {
		if ps[i-1].day <= ps[i].day {
			return false
		}
	}
	return true
}

// Live holds the table conversions use now, and replaces it copy-on-write:
// Load never blocks and returns an immutable table the caller may keep
// using while Merge or Store publish a newer one. The zero Live holds an
// empty table.
type Live struct {
	mu  sync.Mutex // serialises writers, so concurrent merges are not lost
	cur atomic.Pointer[Table]
}

var empty Table

// Load returns the current table.
func (l *Live) Load() *Table {
	if t := l.cur.Load(); t != nil {
		return t
	}
	return &empty
}

// Store replaces the current table with t.
func (l *Live) Store(t *Table) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.cur.Store(t)
}

// Merge merges newer into the current table (see [Table.Merge]), publishes
// the result and returns it.
func (l *Live) Merge(newer *Table) *Table {
	l.mu.Lock()
	defer l.mu.Unlock()
	t := l.Load().Merge(newer)
	l.cur.Store(t)
	return t
}

// code returns a currency key as a string. Copying it, rather than slicing
// the key, keeps keys on the stack and Convert free of allocations.
func code(k [3]byte) string { return string(k[:]) }

// dayNumber returns the number of days from 1970-01-01 to t's UTC date.
func dayNumber(t time.Time) int64 {
	s := t.Unix()
	d := s / 86400
	if s%86400 < 0 {
		d--
	}
	return d
}

// dayTime returns midnight UTC of a day number.
func dayTime(d int64) time.Time { return time.Unix(d*86400, 0).UTC() }

// mulDiv returns a·b/c·10^exp rounded half to even, and false if it does
// not fit in an int64. It is exact whatever the sizes, so a conversion is
// rounded once, at the end, as if computed with infinite precision.
func mulDiv(a, b, c uint64, exp int) (int64, bool) {
	if q, ok, fits := mulDiv128(a, b, c, exp); fits {
		return q, ok
	}
	return mulDivBig(a, b, c, exp)
}

// mulDiv128 is mulDiv in 128-bit integer arithmetic, several times faster
// than math/big. It covers every conversion of a realistic amount; fits is
// false when an intermediate value would need more than 128 bits.
func mulDiv128(a, b, c uint64, exp int) (q int64, ok, fits bool) {
	hi, lo := bits.Mul64(a, b)
	switch {
	case exp > 0:
		if exp >= len(pow10u) {
			return 0, false, false
		}
		h1, l1 := bits.Mul64(lo, pow10u[exp])
		h2, l2 := bits.Mul64(hi, pow10u[exp])
		var carry uint64
		hi, carry = bits.Add64(h1, l2, 0)
		if h2 != 0 || carry != 0 {
			return 0, false, false
		}
		lo = l1
	case exp < 0:
		if -exp >= len(pow10u) {
			return 0, false, false
		}
		h, l := bits.Mul64(c, pow10u[-exp])
		if h != 0 {
			return 0, false, false
		}
		c = l
	}
	if hi >= c {
		return 0, false, true // the quotient needs more than 64 bits
	}
	u, r := bits.Div64(hi, lo, c)
	if u > math.MaxInt64 {
		return 0, false, true
	}
	// Half to even, comparing r with c-r, as 2r might overflow.
	if r > c-r || r == c-r && u&1 == 1 {
		u++
	}
	if u > math.MaxInt64 {
		return 0, false, true
	}
	return int64(u), true, true
}

// mulDivBig is mulDiv in math/big arithmetic, for any operands.
func mulDivBig(a, b, c uint64, exp int) (int64, bool) {
	s := scratchPool.Get().(*scratch)
	defer scratchPool.Put(s)
	// Keep operands and results apart: big.Int.Mul allocates when they alias.
	x, y, n, d, q, r := &s.x, &s.y, &s.n, &s.d, &s.q, &s.r
	n.Mul(x.SetUint64(a), y.SetUint64(b))
	d.SetUint64(c)
	switch {
	case exp > 0:
		n, x = x.Mul(n, pow10(exp)), n
	case exp < 0:
		d, y = y.Mul(d, pow10(-exp)), d
	}
	q.QuoRem(n, d, r)
	// Round half to even: up if the remainder is more than half the divisor,
	// or exactly half and the quotient odd.
	r.Lsh(r, 1)
	if cmp := r.Cmp(d); cmp > 0 || cmp == 0 && q.Bit(0) == 1 {
		q.Add(q, bigOne)
	}
	if !q.IsInt64() {
		return 0, false
	}
	return q.Int64(), true
}

// scratch holds the big integers of one mulDivBig; pooling them keeps a
// conversion free of allocations.
type scratch struct{ x, y, n, d, q, r big.Int }

var scratchPool = sync.Pool{New: func() any { return new(scratch) }}

// pow10u holds 10^0 … 10^19, the powers of ten that fit in a uint64.
var pow10u = func() (p [20]uint64) {
	p[0] = 1
	for i := 1; i < len(p); i++ {
		p[i] = p[i-1] * 10
	}
	return p
}()

var (
	bigOne = big.NewInt(1)
	// powers holds 10^0 … 10^40, which covers every exponent mulDivBig sees.
	powers = func() []*big.Int {
		p := make([]*big.Int, 2*decimal.MaxScale+3)
		p[0] = big.NewInt(1)
		for i := 1; i < len(p); i++ {
			p[i] = new(big.Int).Mul(p[i-1], big.NewInt(10))
		}
		return p
	}()
)

// pow10 returns 10^n. The result may be shared: never modify it.
func pow10(n int) *big.Int {
	if n < len(powers) {
		return powers[n]
	}
	return new(big.Int).Exp(big.NewInt(10), big.NewInt(int64(n)), nil)
}
