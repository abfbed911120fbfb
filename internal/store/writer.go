package store

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"sync/atomic"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/tradewind/tradewind/internal/eventlog"
)

// Writer is the store writer: it consumes the event log in batches and
// applies them to the store, at least once, idempotently.
type Writer struct {
	Log       *eventlog.Log
	Store     Store
	Projector *Projector
	Logger    *slog.Logger
	Metrics   *WriterMetrics
	// MaxBatch and MaxWait bound a batch: larger batches write faster, a
	// short wait keeps an event queryable within a second. The default
	// (DefaultMaxBatch) is small enough for the messages the log holds
	// ready for the writer to stay a small part of the Go heap.
	MaxBatch int
	MaxWait  time.Duration

	// lag is Lag's value, in nanoseconds.
	lag atomic.Int64
}

// Lag says how far behind the log the writer was when it last applied a
// batch: the age of the batch's newest message if the batch was full
// (more was waiting), else 0. Work that can wait (the profile engine)
// gives way while it is large, so that events stay queryable within a
// second when the cores are short.
func (w *Writer) Lag() time.Duration { return time.Duration(w.lag.Load()) }

// DefaultMaxBatch is the writer's batch limit. The log's consumer keeps up
// to two batches ready besides the one being projected and the one being
// written, so the limit sets how much of the Go heap the writer holds
// while it is behind (a bulk import, a catch-up): at 5,000 that was ~20,000
// messages, a large part of the ~360 MB live heap of a 1,000,000-row
// import, which at the 448 MiB memory limit made the collector run ~640
// times. At 2,000 (with the profile engine's deliveries at 1,000) the
// import ran 255 collections and the collector's CPU fell from 61 to 20 s
// in a pair of runs, while the writer's DuckDB work did not grow
// (bench/ingest/README.md). At 20,000
// events/s live, batches are cut by MaxWait at about this size anyway.
const DefaultMaxBatch = 2000

// BulkMaxBatch is the writer's batch limit for a process that loads in
// bulk with a raised Go memory limit (app.Config.BulkBatches): there the
// larger batches save commits and cost no collections.
const BulkMaxBatch = 5000

// WriterMetrics are the writer's Prometheus metrics.
type WriterMetrics struct {
	BatchSeconds   prometheus.Histogram
	VisibleSeconds prometheus.Histogram
	Stored         prometheus.Counter
	Duplicates     prometheus.Counter
	Rejected       prometheus.Counter
	Suppressed     prometheus.Counter
	Applied        prometheus.Gauge
}

// NewWriterMetrics registers the writer's metrics.
func NewWriterMetrics(reg prometheus.Registerer) *WriterMetrics {
	m := &WriterMetrics{
		BatchSeconds: prometheus.NewHistogram(prometheus.HistogramOpts{
			Name: "tradewind_store_write_seconds", Help: "Time to write one batch to the store.",
			Buckets: prometheus.ExponentialBuckets(0.001, 2, 14),
		}),
		VisibleSeconds: prometheus.NewHistogram(prometheus.HistogramOpts{
			Name: "tradewind_store_visible_seconds", Help: "Time from a message's receipt to its commit in the store.",
			Buckets: prometheus.ExponentialBuckets(0.005, 2, 12),
		}),
		Stored:     prometheus.NewCounter(prometheus.CounterOpts{Name: "tradewind_store_stored_total", Help: "Messages written to the store."}),
		Duplicates: prometheus.NewCounter(prometheus.CounterOpts{Name: "tradewind_store_duplicates_total", Help: "Messages the store already had (the long deduplication window)."}),
		Rejected:   prometheus.NewCounter(prometheus.CounterOpts{Name: "tradewind_store_rejected_total", Help: "Messages the writer could not read (quarantined)."}),
		Suppressed: prometheus.NewCounter(prometheus.CounterOpts{Name: "tradewind_store_suppressed_total", Help: "Messages of erased people the writer dropped (replays, messages in flight at erasure)."}),
		Applied:    prometheus.NewGauge(prometheus.GaugeOpts{Name: "tradewind_store_applied_sequence", Help: "Event log sequence the store is complete up to."}),
	}
	reg.MustRegister(m.BatchSeconds, m.VisibleSeconds, m.Stored, m.Duplicates, m.Rejected, m.Suppressed, m.Applied)
	return m
}

// Run consumes until ctx ends. Failures restart consumption from the store's
// applied sequence after a pause, so nothing is skipped and nothing applied
// twice.
//
// Reading and projecting a batch overlaps with writing the previous one: the
// store's commit waits on the disk, and the projection of the next batch
// uses that time. Acknowledging a batch to JetStream before the store has it
// is safe because every (re)start reads from the store's own applied
// sequence, not from the consumer's acknowledged position.
func (w *Writer) Run(ctx context.Context) error {
	if w.MaxBatch == 0 {
		w.MaxBatch = DefaultMaxBatch
	}
	if w.MaxWait == 0 {
		w.MaxWait = 100 * time.Millisecond
	}
	backoff := 500 * time.Millisecond
	for {
		applied, err := w.Store.AppliedSeq(ctx)
		if err == nil {
			err = w.consume(ctx, applied+1)
		}
		if ctx.Err() != nil {
			return nil
		}
		w.Logger.Error("store writer stopped; restarting", "err", err, "in", backoff)
		select {
		case <-ctx.Done():
			return nil
		case <-time.After(backoff):
		}
		if backoff < 10*time.Second {
			backoff *= 2
		}
	}
}

// consume runs one consumption from start until an error: this goroutine
// reads and projects, a second one applies.
func (w *Writer) consume(ctx context.Context, start uint64) error {
	cctx, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)
	batches := make(chan []Projected, 1)
	applied := make(chan struct{})
	go func() {
		defer close(applied)
		for b := range batches {
			if err := w.apply(cctx, b); err != nil {
				cancel(err)
				return
			}
		}
	}()
	err := w.Log.Consume(cctx, eventlog.ConsumeConfig{
		Durable: "store-writer", MaxBatch: w.MaxBatch, MaxWait: w.MaxWait, StartSeq: start,
	}, func(ctx context.Context, batch []eventlog.Delivery) error {
		projected := make([]Projected, len(batch))
		for i, d := range batch {
			projected[i] = w.Projector.Project(d)
		}
		select {
		case batches <- projected:
			return nil
		case <-ctx.Done():
			return context.Cause(ctx)
		}
	})
	close(batches)
	<-applied
	if cause := context.Cause(cctx); cause != nil && !errors.Is(cause, context.Canceled) {
		return cause
	}
	return err
}

func (w *Writer) apply(ctx context.Context, projected []Projected) error {
	start := time.Now()
	res, err := w.Store.Apply(ctx, projected)
	if err != nil {
		if ctx.Err() != nil {
			return err
		}
		// One message the store cannot take must not stop the log: find it
		// by writing one at a time and quarantine it.
		w.Logger.Warn("batch write failed; isolating the failing message", "messages", len(projected), "error_class", errorClass(err))
		res, err = w.isolate(ctx, projected)
		if err != nil {
			return err
		}
	}
	if last := projected[len(projected)-1].Delivery; len(projected) >= w.MaxBatch {
		w.lag.Store(int64(time.Since(last.Meta.ReceivedAt)))
	} else {
		w.lag.Store(0)
	}
	if m := w.Metrics; m != nil {
		m.BatchSeconds.Observe(time.Since(start).Seconds())
		m.Stored.Add(float64(res.Stored))
		m.Duplicates.Add(float64(res.Duplicates))
		m.Rejected.Add(float64(res.Rejected))
		m.Suppressed.Add(float64(res.Suppressed))
		m.Applied.Set(float64(projected[len(projected)-1].Delivery.Seq))
		now := time.Now()
		for _, p := range projected {
			m.VisibleSeconds.Observe(now.Sub(p.Delivery.Meta.ReceivedAt).Seconds())
		}
	}
	return nil
}

func (w *Writer) isolate(ctx context.Context, projected []Projected) (ApplyResult, error) {
	var total ApplyResult
	for i := range projected {
		res, err := w.Store.Apply(ctx, projected[i:i+1])
		if err != nil {
			if ctx.Err() != nil {
				return total, err
			}
			p := projected[i]
			// The engine's message may quote the offending value, which may
			// be personal data: only its class goes to the log and quarantine.
			class := errorClass(err)
			w.Logger.Error("message quarantined by the store writer", "seq", p.Delivery.Seq, "source", p.Delivery.Meta.Source, "error_class", class)
			p.Err = fmt.Errorf("the store could not write it (%s)", class)
			if res, err = w.Store.Apply(ctx, []Projected{p}); err != nil {
				return total, err
			}
		}
		total.Stored += res.Stored
		total.Duplicates += res.Duplicates
		total.Skipped += res.Skipped
		total.Rejected += res.Rejected
		total.Suppressed += res.Suppressed
	}
	return total, nil
}

// errorClass keeps the kind of an engine error ("Conversion Error"), not its
// text.
func errorClass(err error) string {
	msg := err.Error()
	if i := strings.LastIndex(msg, "Error:"); i >= 0 {
		start := strings.LastIndexAny(msg[:i], ":\n") + 1
		return strings.TrimSpace(msg[start : i+len("Error")])
	}
	return "engine error"
}

// WaitApplied blocks until the store has applied the log up to seq.
func WaitApplied(ctx context.Context, st Store, seq uint64) error {
	t := time.NewTicker(20 * time.Millisecond)
	defer t.Stop()
	for {
		applied, err := st.AppliedSeq(ctx)
		if err != nil {
			return err
		}
		if applied >= seq {
			return nil
		}
		select {
		case <-ctx.Done():
			return errors.Join(fmt.Errorf("store at sequence %d, waiting for %d", applied, seq), ctx.Err())
		case <-t.C:
		}
	}
}
