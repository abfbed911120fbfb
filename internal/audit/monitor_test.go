package audit

import (
	"slices"
	"testing"
	"time"
)

func day(n int) time.Time {
	return time.Date(2026, 4, 1, 12, 0, 0, 0, time.UTC).AddDate(0, 0, n)
}

func TestAccessMonitorNewActorFloor(t *testing.T) {
	m := NewAccessMonitor(MonitorConfig{})
	if a := m.Record("u1", 999, day(0)); a != nil {
		t.Fatalf("alert below the floor: %+v", a)
	}
	a := m.Record("u1", 2, day(0))
	if a == nil || a.Count != 1001 || a.Threshold != DefaultFloor || a.Day != "2026-04-01" || a.Actor != "u1" || a.Reason == "" {
		t.Fatalf("alert %+v", a)
	}
	if a := m.Record("u1", 5000, day(0)); a != nil {
		t.Fatalf("second alert the same day: %+v", a)
	}
	if a := m.Record("u2", 500, day(0)); a != nil {
		t.Fatalf("another actor alerted: %+v", a)
	}
}

func TestAccessMonitorBaseline(t *testing.T) {
	m := NewAccessMonitor(MonitorConfig{})
	for d := range 10 {
		if a := m.Record("u1", 500, day(d)); a != nil {
			t.Fatalf("day %d: %+v", d, a)
		}
	}
	// Baseline 500: the threshold is 5000.
	if a := m.Record("u1", 4999, day(10)); a != nil {
		t.Fatalf("alert at 4999: %+v", a)
	}
	a := m.Record("u1", 2, day(10))
	if a == nil || a.Threshold != 5000 || a.Baseline < 499 || a.Baseline > 501 {
		t.Fatalf("alert %+v", a)
	}
	// A huge alerting day raises the baseline only as if it had read its
	// threshold: 0.3×5000 + 0.7×500 = 1850.
	m.Record("u1", 994_999, day(10))
	if a := m.Record("u1", 18_501, day(11)); a == nil || a.Threshold != 18_500 {
		t.Fatalf("next day %+v", a)
	}
	// Two counts on either side of midnight UTC are different days.
	m2 := NewAccessMonitor(MonitorConfig{})
	late := time.Date(2026, 4, 1, 23, 59, 0, 0, time.UTC)
	m2.Record("u1", 900, late)
	if a := m2.Record("u1", 900, late.Add(2*time.Minute)); a != nil {
		t.Fatalf("counts of two days added up: %+v", a)
	}
}

func TestAccessMonitorCeilingAndIdle(t *testing.T) {
	m := NewAccessMonitor(MonitorConfig{})
	// A bulk job alerts on its first days, then is learned.
	var alerts []int
	for d := range 5 {
		if m.Record("bulk", 50_000, day(d)) != nil {
			alerts = append(alerts, d)
		}
	}
	if !slices.Equal(alerts, []int{0, 1, 2}) {
		t.Fatalf("bulk job alerted on days %v", alerts)
	}
	// 10× its baseline would be over 300 000; the ceiling caps it.
	a := m.Record("bulk", 100_001, day(5))
	if a == nil || a.Threshold != DefaultCeiling {
		t.Fatalf("ceiling: %+v", a)
	}
	// After a month without reads the baseline has decayed to the floor.
	m.Record("u1", 5000, day(0))
	if a := m.Record("u1", 1500, day(40)); a == nil || a.Threshold != DefaultFloor {
		t.Fatalf("after idle: %+v", a)
	}
	// A negative ceiling disables it; custom multiplier and floor apply.
	m3 := NewAccessMonitor(MonitorConfig{Floor: 200_000, Ceiling: -1})
	if a := m3.Record("u1", 150_000, day(0)); a != nil {
		t.Fatalf("disabled ceiling: %+v", a)
	}
	if a := m3.Record("u1", 50_001, day(0)); a == nil || a.Threshold != 200_000 {
		t.Fatalf("custom floor: %+v", a)
	}
	m4 := NewAccessMonitor(MonitorConfig{Multiplier: 3, Floor: 100})
	for d := range 5 {
		m4.Record("u1", 50, day(d))
	}
	if a := m4.Record("u1", 151, day(5)); a == nil || a.Threshold != 150 {
		t.Fatalf("custom multiplier: %+v", a)
	}
}

func TestAccessMonitorState(t *testing.T) {
	m := NewAccessMonitor(MonitorConfig{})
	for d := range 5 {
		m.Record("u1", 300, day(d))
	}
	if a := m.Record("u2", 2000, day(4)); a == nil {
		t.Fatal("no alert")
	}
	b, err := m.MarshalState()
	if err != nil {
		t.Fatal(err)
	}
	r := NewAccessMonitor(MonitorConfig{})
	if err := r.UnmarshalState(b); err != nil {
		t.Fatal(err)
	}
	if a := r.Record("u2", 10, day(4)); a != nil {
		t.Fatalf("restored monitor alerted twice the same day: %+v", a)
	}
	if a := r.Record("u1", 3001, day(5)); a == nil || a.Threshold != 3000 {
		t.Fatalf("restored baseline: %+v", a)
	}
	if err := r.UnmarshalState([]byte(`{"version":2}`)); err == nil {
		t.Fatal("unknown version accepted")
	}
}
