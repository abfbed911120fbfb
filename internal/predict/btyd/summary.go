package btyd

import (
	"cmp"
	"errors"
	"fmt"
	"math"
	"slices"
	"time"
)

// Period is the models' time unit.
type Period string

// The time units: a day, or a week of seven days counted from each
// customer's first purchase (BTYD's convention, not calendar weeks).
const (
	Day  Period = "day"
	Week Period = "week"
)

// Days is the unit's length in days.
func (p Period) Days() float64 {
	if p == Week {
		return 7
	}
	return 1
}

// ParsePeriod accepts "day" or "week".
func ParsePeriod(s string) (Period, error) {
	switch Period(s) {
	case Day, Week:
		return Period(s), nil
	}
	return "", fmt.Errorf("period %q: want day or week", s)
}

// Transaction is one purchase: who, when, and (NaN when unknown) how much.
type Transaction struct {
	Customer string
	Time     time.Time
	Amount   float64
}

// Summary is a transaction log reduced to the models' terms: for each
// customer with a purchase on or before the calibration end, their
// calibration history and what they did in the holdout after it.
type Summary struct {
	IDs       []string
	Customers []Customer
	// First is each customer's first purchase day.
	First []time.Time
	// HoldoutTimes are each customer's purchase days after the calibration
	// end (same-day purchases merged), in periods since the end; nil when
	// none.
	HoldoutTimes [][]float64
	// HoldoutSpend is each customer's spend in the holdout.
	HoldoutSpend []float64
	// HoldoutCounts and HoldoutDaily stand in for HoldoutTimes when a
	// summary comes from a database (which sends counts, not every
	// purchase): purchase days per customer, and in all per offset.
	HoldoutCounts []float64
	HoldoutDaily  []DayCount
	// CalibrationEnd is the last day of the calibration period; Holdout the
	// holdout's length in periods (0 when no transaction follows it).
	CalibrationEnd time.Time
	Holdout        float64
	Period         Period
	// HasAmounts says whether every transaction carried an amount.
	HasAmounts bool
	// Transactions is how many were read, PurchaseDays how many remained
	// after merging each customer's same-day purchases.
	Transactions, PurchaseDays int
}

// DayNumber counts days since the Unix epoch of t's calendar date in its
// own location: a purchase belongs to the day the shop recorded it on.
func DayNumber(t time.Time) int64 {
	y, m, d := t.Date()
	return time.Date(y, m, d, 0, 0, 0, 0, time.UTC).Unix() / 86400
}

// History is a transaction log merged per customer and day: the one
// reduction every model here starts from.
type History struct {
	IDs []string
	// Days are each customer's purchase days (days since the Unix epoch,
	// ascending, one per day); Spend the day's total amount.
	Days  [][]int64
	Spend [][]float64
	// HasAmounts says whether every transaction carried an amount.
	HasAmounts bool
	// Transactions is how many were merged; Last the latest day.
	Transactions int
	Last         int64
}

// NewHistory merges each customer's purchases on the same day into one (as
// the literature does).
func NewHistory(txs []Transaction) (*History, error) {
	if len(txs) == 0 {
		return nil, errors.New("no transactions")
	}
	type day struct {
		cust   int32
		day    int64
		amount float64
	}
	ids := map[string]int32{}
	h := &History{HasAmounts: true, Transactions: len(txs), Last: math.MinInt64}
	days := make([]day, 0, len(txs))
	prev, pi := "", int32(-1)
	for _, t := range txs {
		// Logs usually list a customer's purchases together: the map is
		// asked only when the customer changes.
		i := pi
		if pi < 0 || t.Customer != prev {
			var ok bool
			i, ok = ids[t.Customer]
			if !ok {
				i = int32(len(h.IDs))
				ids[t.Customer] = i
				h.IDs = append(h.IDs, t.Customer)
			}
			prev, pi = t.Customer, i
		}
		a := t.Amount
		if math.IsNaN(a) {
			h.HasAmounts = false
			a = 0
		}
		d := DayNumber(t.Time)
		h.Last = max(h.Last, d)
		days = append(days, day{i, d, a})
	}
	slices.SortFunc(days, func(a, b day) int {
		if c := cmp.Compare(a.cust, b.cust); c != 0 {
			return c
		}
		return cmp.Compare(a.day, b.day)
	})
	h.Days = make([][]int64, len(h.IDs))
	h.Spend = make([][]float64, len(h.IDs))
	// Every customer's days and spends are slices of two shared arrays
	// (capped, so an append to one cannot overwrite the next).
	allDays := make([]int64, 0, len(days))
	allSpend := make([]float64, 0, len(days))
	for i := 0; i < len(days); {
		c := days[i].cust
		lo := len(allDays)
		for i < len(days) && days[i].cust == c {
			d, amt := days[i].day, days[i].amount
			i++
			for i < len(days) && days[i].cust == c && days[i].day == d {
				amt += days[i].amount
				i++
			}
			allDays = append(allDays, d)
			allSpend = append(allSpend, amt)
		}
		hi := len(allDays)
		h.Days[c], h.Spend[c] = allDays[lo:hi:hi], allSpend[lo:hi:hi]
	}
	return h, nil
}

// Summarize merges same-day purchases and measures x, t_x and T up to and
// including the calibration end day; purchases after it form the holdout,
// up to the observation end (the zero time: the last purchase day).
func Summarize(txs []Transaction, calibrationEnd, observationEnd time.Time, period Period) (*Summary, error) {
	h, err := NewHistory(txs)
	if err != nil {
		return nil, err
	}
	return h.Summarize(DayNumber(calibrationEnd), observationEnd, period)
}

// Summarize measures every customer who bought by calEnd (a day number).
func (h *History) Summarize(calEnd int64, observationEnd time.Time, period Period) (*Summary, error) {
	obsEnd := h.Last
	if !observationEnd.IsZero() {
		obsEnd = DayNumber(observationEnd)
	}
	unit := period.Days()
	s := &Summary{
		CalibrationEnd: time.Unix(calEnd*86400, 0).UTC(),
		Period:         period,
		HasAmounts:     h.HasAmounts,
		Transactions:   h.Transactions,
		IDs:            make([]string, 0, len(h.Days)),
		Customers:      make([]Customer, 0, len(h.Days)),
		First:          make([]time.Time, 0, len(h.Days)),
		HoldoutTimes:   make([][]float64, 0, len(h.Days)),
		HoldoutSpend:   make([]float64, 0, len(h.Days)),
	}
	if obsEnd > calEnd {
		s.Holdout = float64(obsEnd-calEnd) / unit
	}
	for i, ds := range h.Days {
		s.PurchaseDays += len(ds)
		first := ds[0]
		if first > calEnd {
			continue // acquired after the calibration period: nothing to score
		}
		var x, lastCal, repeatSpend, holdSpend float64
		var hold []float64
		for j, d := range ds[1:] {
			amt := h.Spend[i][j+1]
			switch {
			case d > obsEnd:
			case d > calEnd:
				hold = append(hold, float64(d-calEnd)/unit)
				holdSpend += amt
			default:
				x++
				lastCal = float64(d-first) / unit
				repeatSpend += amt
			}
		}
		c := Customer{X: x, Tx: lastCal, T: float64(calEnd-first) / unit}
		if x > 0 {
			c.Monetary = repeatSpend / x
		}
		s.IDs = append(s.IDs, h.IDs[i])
		s.Customers = append(s.Customers, c)
		s.First = append(s.First, time.Unix(first*86400, 0).UTC())
		s.HoldoutTimes = append(s.HoldoutTimes, hold)
		s.HoldoutSpend = append(s.HoldoutSpend, holdSpend)
	}
	if len(s.Customers) == 0 {
		return nil, fmt.Errorf("no customer bought on or before the calibration end %s", s.CalibrationEnd.Format(time.DateOnly))
	}
	return s, nil
}

// DayCount is the number of purchases at a holdout offset (in periods).
type DayCount struct {
	Offset, Count float64
}

// holdoutCount is customer i's purchases in the holdout.
func (s *Summary) holdoutCount(i int) float64 {
	if s.HoldoutTimes != nil {
		return float64(len(s.HoldoutTimes[i]))
	}
	if s.HoldoutCounts != nil {
		return s.HoldoutCounts[i]
	}
	return 0
}

// RepeatCustomers counts customers with at least one repeat purchase.
func (s *Summary) RepeatCustomers() int {
	n := 0
	for _, c := range s.Customers {
		if c.X > 0 {
			n++
		}
	}
	return n
}
