package ingest

import (
	"github.com/prometheus/client_golang/prometheus"
)

// Metrics counts what ingest did, per source id (a server-made token, never
// personal data).
type Metrics struct {
	Accepted   *prometheus.CounterVec
	Rejected   *prometheus.CounterVec
	Duplicates *prometheus.CounterVec
	Suppressed *prometheus.CounterVec
	Overloaded prometheus.Counter
}

// NewMetrics registers ingest's metrics with reg.
func NewMetrics(reg prometheus.Registerer) *Metrics {
	m := &Metrics{
		Accepted: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "tradewind_ingest_accepted_total", Help: "Messages the event log stored.",
		}, []string{"source"}),
		Rejected: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "tradewind_ingest_rejected_total", Help: "Messages refused by validation.",
		}, []string{"source"}),
		Duplicates: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "tradewind_ingest_duplicates_total", Help: "Messages the event log already had (its window).",
		}, []string{"source"}),
		Suppressed: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "tradewind_ingest_suppressed_total", Help: "Messages of erased people dropped at ingest.",
		}, []string{"source"}),
		Overloaded: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "tradewind_ingest_overloaded_total", Help: "Requests answered 429 under overload.",
		}),
	}
	reg.MustRegister(m.Accepted, m.Rejected, m.Duplicates, m.Suppressed, m.Overloaded)
	return m
}

func (m *Metrics) count(src string, out []Outcome) {
	var acc, rej, dup, sup float64
	for _, o := range out {
		switch {
		case o.Err != nil:
			rej++
		case o.Suppressed:
			sup++
		case o.Duplicate:
			dup++
		default:
			acc++
		}
	}
	if acc > 0 {
		m.Accepted.WithLabelValues(src).Add(acc)
	}
	if rej > 0 {
		m.Rejected.WithLabelValues(src).Add(rej)
	}
	if dup > 0 {
		m.Duplicates.WithLabelValues(src).Add(dup)
	}
	if sup > 0 {
		m.Suppressed.WithLabelValues(src).Add(sup)
	}
}
