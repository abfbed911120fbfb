package profile

import (
	"math"
	"testing"
	"time"

	"github.com/tradewind/tradewind/internal/segment"
)

func TestWelford(t *testing.T) {
	xs := []float64{2, 4, 4, 4, 5, 5, 7, 9}
	var w, a, b Welford
	for i, x := range xs {
		w.Add(x)
		if i < 3 {
			a.Add(x)
		} else {
			b.Add(x)
		}
	}
	// Mean 5; squared deviations 9+1+1+1+0+0+4+16 = 32; sample variance 32/7.
	if w.N != 8 || !near(w.Mean, 5) || !near(w.Var(), 32.0/7) || !near(w.SD(), math.Sqrt(32.0/7)) {
		t.Fatalf("welford %+v var %v", w, w.Var())
	}
	a.Merge(b)
	if a.N != w.N || !near(a.Mean, w.Mean) || !near(a.M2, w.M2) {
		t.Errorf("merged %+v, want %+v", a, w)
	}
	var e Welford
	if e.Var() != 0 || e.SD() != 0 {
		t.Error("empty series has variance")
	}
}

func TestCheck(t *testing.T) {
	var c DeviationConfig
	var h Welford
	for _, x := range []float64{10, 12, 8} {
		h.Add(x)
	}
	if _, ok := c.Check(MetricBasketValue, h, 1000); ok {
		t.Error("judged with 3 observations (minimum 4)")
	}
	h.Add(10) // mean 10, sample var (0+4+4+0)/3 = 8/3, SD 1.633; floor 0.1*10 = 1
	d, ok := c.Check(MetricBasketValue, h, 14)
	sd := math.Sqrt(8.0 / 3)
	if !ok || !near(d.Mean, 10) || !near(d.SD, sd) || !near(d.Z, 4/sd) || d.N != 4 {
		t.Fatalf("deviation %+v ok %v", d, ok)
	}
	if _, ok := c.Check(MetricBasketValue, h, 10+1.999*sd); ok {
		t.Error("z below the threshold flagged")
	}
	// A perfectly regular history uses the floor: z = (9-7)/1.
	var g Welford
	for range 4 {
		g.Add(7)
	}
	if _, ok := c.Check(MetricOrderInterval, g, 9); ok {
		t.Error("z = 2 flagged")
	}
	if d, ok := c.Check(MetricOrderInterval, g, 3); !ok || d.Z != -4 {
		t.Errorf("early order: %+v %v", d, ok)
	}
	custom := DeviationConfig{MinHistory: 2, Threshold: 3, Floors: map[string]Floor{MetricOrderInterval: {Abs: 2}}}
	if d, ok := custom.Check(MetricOrderInterval, g, 14); !ok || d.SD != 2 || d.Z != 3.5 {
		t.Errorf("custom config: %+v %v", d, ok)
	}
}

// Five weekly orders of about €20, then one ten days later and a refund.
func TestDetect(t *testing.T) {
	k, kv, m := New(Config{}), newMemKV(), &msg{}
	totals := []string{"20", "22", "18", "20", "20"}
	for i, tot := range totals {
		up := apply(t, k, kv, "p", m.order(segment.OrderCompleted, "o"+itoa(uint64(i)), day(7*i), tot, "m", 2))
		if len(up.Deviations) > 0 {
			t.Fatalf("order %d: deviation with short history: %+v", i, up.Deviations)
		}
	}
	// Gaps 7,7,7,7: mean 7, SD 0 -> floor 1; new gap 10: z = 3.
	// Totals: mean 20, sample var (0+4+4+0+0)/4 = 2, SD 1.414 < floor 2: z(21) = 0.5.
	// Units: all 2, floor 1: z(2) = 0.
	up := apply(t, k, kv, "p", m.order(segment.OrderCompleted, "o5", day(38), "21", "m", 2))
	if len(up.Deviations) != 1 {
		t.Fatalf("deviations %+v", up.Deviations)
	}
	d := up.Deviations[0]
	want := Deviation{Metric: MetricOrderInterval, Value: 10, Mean: 7, SD: 1, Z: 3, N: 4, At: day(38), Store: "shop", OrderID: "o5"}
	if d != want {
		t.Errorf("interval deviation %+v, want %+v", d, want)
	}
	if len(up.Profile.Deviations) != 1 || up.Profile.Deviations[0] != want {
		t.Errorf("profile deviations %+v", up.Profile.Deviations)
	}
	// Redelivery: the order is already counted, nothing new is judged.
	if up := apply(t, k, kv, "p", m.order(segment.OrderCompleted, "o5", day(38), "21", "m", 2)); len(up.Deviations) != 0 {
		t.Errorf("redelivery judged again: %+v", up.Deviations)
	}
	// A first refund after a spotless history: share 1, history 6 zeros,
	// floor 0.1 -> z = 10.
	up = apply(t, k, kv, "p", m.refund("o5", day(40), "21"))
	if len(up.Deviations) != 1 || up.Deviations[0].Metric != MetricReturnRate || up.Deviations[0].Z != 10 ||
		up.Deviations[0].N != 5 || !up.Deviations[0].At.Equal(day(40)) {
		t.Fatalf("return deviation %+v", up.Deviations)
	}
	// A second refund of the same order is not a new observation.
	if up := apply(t, k, kv, "p", m.refund("o5", day(41), "1")); len(up.Deviations) != 0 {
		t.Errorf("second refund judged: %+v", up.Deviations)
	}
	// A large basket with many units, next day: gap 1 vs gaps 7,7,7,7,10
	// (mean 7.6, sample var (4*0.36+5.76)/4 = 1.8, SD 1.342): z = -6.6/1.342.
	up = apply(t, k, kv, "p", m.order(segment.OrderCompleted, "o6", day(39), "200", "m", 9))
	got := map[string]Deviation{}
	for _, d := range up.Deviations {
		got[d.Metric] = d
	}
	if d := got[MetricOrderInterval]; !near(d.Mean, 7.6) || !near(d.SD, math.Sqrt(1.8)) || !near(d.Z, -6.6/math.Sqrt(1.8)) {
		t.Errorf("interval %+v", d)
	}
	// Totals 20,22,18,20,20,21: mean 20.1667, squared deviations sum 10.8333,
	// sample SD 1.472 < floor 2.0167: z = (200-20.1667)/2.0167 = 89.17.
	mean := 121.0 / 6
	if d := got[MetricBasketValue]; !near(d.Mean, mean) || !near(d.SD, 0.1*mean) || !near(d.Z, (200-mean)/(0.1*mean)) {
		t.Errorf("basket %+v", d)
	}
	if d := got[MetricBasketItems]; d.Value != 9 || d.Mean != 2 || d.SD != 1 || d.Z != 7 {
		t.Errorf("items %+v", d)
	}
	// An old order arriving late is history, not new behaviour.
	if up := apply(t, k, kv, "p", m.order(segment.OrderCompleted, "old", day(-100), "5000", "m", 50)); len(up.Deviations) != 0 {
		t.Errorf("late old order judged: %+v", up.Deviations)
	}
}

func TestOverdue(t *testing.T) {
	k, kv, m := New(Config{}), newMemKV(), &msg{}
	for i := range 5 {
		apply(t, k, kv, "p", m.completed("o"+itoa(uint64(i)), day(7*i), "10"))
	}
	p, _, _ := k.Load(kv, "p")
	var c DeviationConfig
	// Last order day 28; gaps 7,7,7,7 (SD floor 1).
	if _, ok := p.Overdue(day(31), c); ok {
		t.Error("3 days is not overdue")
	}
	if _, ok := p.Overdue(day(37), c); ok {
		t.Error("9 days (z = 2) is not beyond the threshold")
	}
	now := day(40).Add(3 * time.Hour)
	d, ok := p.Overdue(now, c)
	if !ok || d.Value != 12 || d.Z != 5 || !d.At.Equal(now) {
		t.Errorf("overdue %+v %v", d, ok)
	}
	if _, ok := (&Profile{}).Overdue(now, c); ok {
		t.Error("a profile without orders is overdue")
	}
}
