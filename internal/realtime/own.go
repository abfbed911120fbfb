package realtime

import (
	"context"
	"slices"
	"sync"
	"time"

	"github.com/tradewind/tradewind/internal/eventlog"
	"github.com/tradewind/tradewind/internal/segment"
)

// consumedTypes are the message types the engine's consumer reads: all but
// the engine's own segment memberships and deviations, which only it
// publishes and which change nothing it holds. With 50 live segments they
// were about one message in two of the log; JetStream now skips them on its
// side instead of handing each to the engine to be skipped here. Its own
// unmerges (they change state) and the monitors' alerts stay delivered.
// A new message type must be added here for the engine to see it.
var consumedTypes = []string{
	segment.Identify, segment.Track, segment.Page, segment.Screen, segment.Group, segment.Alias,
	segment.AdSpend, segment.Consent, segment.IdentityUnmerge, segment.AlertRaised,
}

// ownType reports whether t is one of the engine's own types that its
// consumer does not read.
func ownType(t string) bool {
	return t == segment.SegmentEntered || t == segment.SegmentExited || t == segment.ProfileDeviation
}

// publish sends the engine's own messages and waits until the log stored
// them, remembering their sequences for Applied.
func (e *Engine) publish(ctx context.Context, out []eventlog.Message) error {
	if len(out) == 0 {
		return nil
	}
	acks, err := e.cfg.Log.Publish(ctx, out)
	if err != nil {
		return err
	}
	seqs := make([]uint64, 0, len(acks))
	for i, a := range acks {
		if ownType(out[i].Type) {
			seqs = append(seqs, a.Seq)
		}
	}
	e.own.add(seqs, e.applied.Load())
	return nil
}

// ownSeqs are log sequences of the engine's own messages that lie above
// the last message the engine processed, in ascending order.
type ownSeqs struct {
	mu   sync.Mutex
	seqs []uint64
}

// add records seqs and forgets those at or below applied.
func (o *ownSeqs) add(seqs []uint64, applied uint64) {
	o.mu.Lock()
	defer o.mu.Unlock()
	o.prune(applied)
	for _, s := range seqs {
		if s > applied {
			o.seqs = append(o.seqs, s)
		}
	}
	if !slices.IsSorted(o.seqs) {
		slices.Sort(o.seqs)
	}
	o.seqs = slices.Compact(o.seqs)
}

// after is the highest sequence s ≥ applied such that every sequence in
// (applied, s] is one of the engine's own messages: the engine is current
// up to s.
func (o *ownSeqs) after(applied uint64) uint64 {
	o.mu.Lock()
	defer o.mu.Unlock()
	o.prune(applied)
	for _, s := range o.seqs {
		if s != applied+1 {
			break
		}
		applied = s
	}
	return applied
}

func (o *ownSeqs) prune(applied uint64) {
	i := 0
	for i < len(o.seqs) && o.seqs[i] <= applied {
		i++
	}
	if i > 0 {
		o.seqs = append(o.seqs[:0], o.seqs[i:]...)
	}
}

// tailLoop learns, while the engine is idle, that the messages after the
// last one it was handed are all of types it does not read (its own, from
// this process or an earlier one, such as the tail of a log it replays):
// then it is current to the log's end, which WaitApplied and Applied must
// see although no delivery tells them.
//
// It asks only once the consumer has been idle for a tick: while messages
// arrive, the applied position moves by itself, and the two requests would
// be spent for nothing.
func (e *Engine) tailLoop(ctx context.Context) {
	t := time.NewTicker(50 * time.Millisecond)
	defer t.Stop()
	seen := e.applied.Load()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		if a := e.applied.Load(); a != seen {
			seen = a
			continue
		}
		if upTo, ok, err := e.cfg.Log.CaughtUp(ctx, e.cfg.Durable); err == nil && ok && upTo > e.tail.Load() {
			e.tail.Store(upTo)
		}
	}
}
