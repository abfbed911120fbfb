package profile

import (
	"cmp"
	"math"
	"slices"
	"strings"
	"time"
)

// Welford holds running statistics of a series — count, mean and the sum
// of squared deviations — updated one observation at a time with Welford's
// algorithm, which stays accurate where the naive sum of squares cancels
// catastrophically. The zero value is an empty series.
type Welford struct {
	N    int64   // observations
	Mean float64 // their mean
	M2   float64 // sum of squared deviations from the mean
}

// Add adds one observation.
func (w *Welford) Add(x float64) {
	w.N++
	d := x - w.Mean
	w.Mean += d / float64(w.N)
	w.M2 += d * (x - w.Mean)
}

// Merge adds all observations of o (Chan et al.'s parallel combination), so
// statistics of two series can be combined without their observations.
func (w *Welford) Merge(o Welford) {
	if o.N == 0 {
		return
	}
	if w.N == 0 {
		*w = o
		return
	}
	n := w.N + o.N
	d := o.Mean - w.Mean
	w.Mean += d * float64(o.N) / float64(n)
	w.M2 += o.M2 + d*d*float64(w.N)*float64(o.N)/float64(n)
	w.N = n
}

// Var is the sample variance (dividing by N-1: the history is a sample of
// the person's behaviour), 0 with fewer than two observations.
func (w Welford) Var() float64 {
	if w.N < 2 {
		return 0
	}
	return max(w.M2, 0) / float64(w.N-1)
}

// SD is the sample standard deviation.
func (w Welford) SD() float64 { return math.Sqrt(w.Var()) }

// Deviation metrics: how a person's new observation is compared with their
// own history.
const (
	// MetricOrderInterval is the days between the UTC day of a new order and
	// the person's previous order day (orders on one day are one purchase
	// occasion), against the earlier gaps.
	MetricOrderInterval = "order_interval_days"
	// MetricBasketValue is a new order's total in the base currency against
	// the totals of the person's earlier orders.
	MetricBasketValue = "basket_value_base"
	// MetricBasketItems is a new order's number of units against the earlier
	// orders' (orders whose messages listed products).
	MetricBasketItems = "basket_items"
	// MetricReturnRate is the refunded share of an order (refunded base
	// amount over its total, at most 1; 1 when its total is unknown), observed
	// when its first refund arrives, against the same share of the person's
	// earlier orders (0 for those never refunded).
	MetricReturnRate = "return_rate"
)

// Deviation is an observation that departs from the person's own history
// by more than the threshold, in standard deviations.
type Deviation struct {
	Metric string  `json:"metric"` // one of the Metric constants
	Value  float64 `json:"value"`  // the new observation
	Mean   float64 `json:"mean"`   // mean of the history
	// SD is the standard deviation Z was computed with: the history's
	// sample standard deviation, raised to the metric's floor (see Floor).
	SD float64 `json:"sd"`
	Z  float64 `json:"z"` // (Value - Mean) / SD
	N  int     `json:"n"` // observations in the history
	// At is when the observation happened: the order's time, the refund's
	// time, or the clock of an Overdue check.
	At time.Time `json:"at"`
	// Store and OrderID name the order observed (empty for Overdue).
	Store   string `json:"store,omitempty"`
	OrderID string `json:"order_id,omitempty"`
}

// Floor bounds a metric's standard deviation from below: Abs, or Rel times
// the history's absolute mean, whichever is larger. Without it a perfectly
// regular history (four orders of exactly €20, every 7 days) has SD 0, and
// any change at all — €20.01, 8 days — would be "infinitely" unusual.
type Floor struct {
	Abs float64 // an absolute floor, in the metric's unit
	Rel float64 // a floor relative to |mean|
}

func (f Floor) apply(sd, mean float64) float64 { return max(sd, f.Abs, f.Rel*math.Abs(mean)) }

// DeviationConfig says when an observation is a deviation. The zero value
// uses the defaults.
type DeviationConfig struct {
	// MinHistory is the number of earlier observations needed before any
	// observation is judged (default 4): with fewer, a person has no
	// "usual" behaviour to depart from.
	MinHistory int
	// Threshold is the |z| that must be exceeded (default 2).
	Threshold float64
	// Floors per metric; a metric missing here uses DefaultFloors.
	Floors map[string]Floor
}

// DefaultFloors are the standard-deviation floors: a day of order
// interval, a tenth of the usual basket value, one unit, and a tenth of a
// return (so that a first full return after a spotless history is z = 10).
var DefaultFloors = map[string]Floor{
	MetricOrderInterval: {Abs: 1},
	MetricBasketValue:   {Rel: 0.1},
	MetricBasketItems:   {Abs: 1},
	MetricReturnRate:    {Abs: 0.1},
}

func (c DeviationConfig) minHistory() int {
	if c.MinHistory <= 0 {
		return 4
	}
	return c.MinHistory
}

func (c DeviationConfig) threshold() float64 {
	if c.Threshold <= 0 {
		return 2
	}
	return c.Threshold
}

func (c DeviationConfig) floor(metric string) Floor {
	if f, ok := c.Floors[metric]; ok {
		return f
	}
	return DefaultFloors[metric]
}

// Check judges observation x of metric against history. It reports a
// deviation when the history has at least MinHistory observations and
// |z| > Threshold.
func (c DeviationConfig) Check(metric string, history Welford, x float64) (Deviation, bool) {
	if history.N < int64(c.minHistory()) {
		return Deviation{}, false
	}
	sd := c.floor(metric).apply(history.SD(), history.Mean)
	if !(sd > 0) {
		return Deviation{}, false
	}
	z := (x - history.Mean) / sd
	if math.Abs(z) <= c.threshold() {
		return Deviation{}, false
	}
	return Deviation{Metric: metric, Value: x, Mean: history.Mean, SD: sd, Z: z, N: int(history.N)}, true
}

// Overdue reports whether, as of now, the time since the person's last
// order departs from their usual order interval by more than the threshold
// (late only: an early order is judged when it arrives). Intervals only
// become observations when the next order arrives, so a person who simply
// stops buying would never deviate; the engine's timers call this to flag
// them as time passes.
func (p *Profile) Overdue(now time.Time, c DeviationConfig) (Deviation, bool) {
	days, ok := p.DaysSinceLastOrder(now)
	if !ok {
		return Deviation{}, false
	}
	d, ok := c.Check(MetricOrderInterval, p.Intervals, float64(days))
	if !ok || d.Z <= 0 {
		return Deviation{}, false
	}
	d.At = now.UTC()
	return d, true
}

// detect judges the observations a message made at order i of c: a new
// order (it became counted now: interval, basket value, basket items), and
// a first refund (return rate). Only the person's newest order is judged
// for the first: an older order arriving late (an import, a retry) is
// history, not new behaviour. The histories are recomputed from the order
// facts in time order, so duplicates and out-of-order arrival cannot skew
// them.
func detect(cfg DeviationConfig, c *core, i int, becameCounted, firstRefund bool) []Deviation {
	o := &c.orders[i]
	if !o.counted() {
		return nil
	}
	// The other counted orders, oldest first (key breaks ties, so the float
	// sums run in one order every time).
	others := make([]*orderFact, 0, len(c.orders))
	for j := range c.orders {
		if j != i && c.orders[j].counted() {
			others = append(others, &c.orders[j])
		}
	}
	slices.SortFunc(others, func(a, b *orderFact) int {
		if r := cmp.Compare(a.placed(), b.placed()); r != 0 {
			return r
		}
		return strings.Compare(a.key, b.key)
	})
	at := o.placed()
	store, orderID, _ := strings.Cut(o.key, "\x00")
	var out []Deviation
	emit := func(d Deviation, when int64) {
		d.At, d.Store, d.OrderID = microTime(when), store, orderID
		out = append(out, d)
	}
	if becameCounted && (len(others) == 0 || others[len(others)-1].placed() <= at) {
		// Interval to the previous distinct order day.
		day := dayOf(at)
		var gaps Welford
		prev, have, sameDay := int64(0), false, false
		for _, x := range others {
			d := dayOf(x.placed())
			if d == day {
				sameDay = true
			}
			if have && d != prev {
				gaps.Add(float64(d - prev))
			}
			prev, have = d, true
		}
		if have && !sameDay {
			if d, ok := cfg.Check(MetricOrderInterval, gaps, float64(day-prev)); ok {
				emit(d, at)
			}
		}
		if o.priced() {
			var h Welford
			for _, x := range others {
				if x.priced() {
					h.Add(float64(x.total) / 1e4)
				}
			}
			if d, ok := cfg.Check(MetricBasketValue, h, float64(o.total)/1e4); ok {
				emit(d, at)
			}
		}
		if o.flags&ofItems != 0 && o.items > 0 {
			var h Welford
			for _, x := range others {
				if x.flags&ofItems != 0 && x.items > 0 {
					h.Add(float64(x.items))
				}
			}
			if d, ok := cfg.Check(MetricBasketItems, h, float64(o.items)); ok {
				emit(d, at)
			}
		}
	}
	if firstRefund && len(o.refunds) > 0 {
		var h Welford
		for _, x := range others {
			if x.placed() <= at {
				h.Add(returnShare(x))
			}
		}
		if d, ok := cfg.Check(MetricReturnRate, h, returnShare(o)); ok {
			first := o.refunds[0].at
			for _, r := range o.refunds[1:] {
				first = min(first, r.at)
			}
			emit(d, first)
		}
	}
	return out
}

// returnShare is the refunded part of an order, in [0, 1]: the refunded
// base amount over the total, or 1 for a refunded order whose total is
// unknown or zero.
func returnShare(o *orderFact) float64 {
	if len(o.refunds) == 0 {
		return 0
	}
	if !o.priced() || o.total <= 0 {
		return 1
	}
	r, _ := o.refunded()
	return min(max(float64(r)/float64(o.total), 0), 1)
}
