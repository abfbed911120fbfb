package realtime

import (
	"context"
	"fmt"
	"slices"
	"time"

	"github.com/cockroachdb/pebble/v2"

	"github.com/tradewind/tradewind/internal/eventlog"
	"github.com/tradewind/tradewind/internal/identity"
	"github.com/tradewind/tradewind/internal/store"
)

// queue adds a message for the batch being processed to publish.
func (e *Engine) queue(m eventlog.Message) { e.pending = append(e.pending, m) }

// rebuildLater notes profiles that split: their traits and segment state
// are recomputed from their messages at the end of the batch.
func (e *Engine) rebuildLater(splits []identity.Split) {
	for _, s := range splits {
		e.splits = append(e.splits, s.Profile)
		e.splits = append(e.splits, s.New...)
	}
}

// sourceKind is the kind of a source (shopify, amazon, …), for trait
// precedence by kind.
func (e *Engine) sourceKind(source string) string {
	if e.cfg.SourceInfo != nil {
		k, _ := e.cfg.SourceInfo(source)
		return k
	}
	return ""
}

// storeOf is the store (marketplace account) of a source: the namespace of
// its platform ids.
func (e *Engine) storeOf(source string) string {
	if e.cfg.SourceInfo != nil {
		if _, st := e.cfg.SourceInfo(source); st != "" {
			return st
		}
	}
	return source
}

// namespaceSources are the source ids a user identifier's namespace stands
// for (one source, or every source of a shared user-id space), for the
// store's sender → profile mapping; other kinds keep their namespace.
func (e *Engine) namespaceSources(id identity.ID) []string {
	if id.Kind != identity.User {
		return []string{id.NS}
	}
	var out []string
	for src, space := range e.cfg.SharedUserSpaces {
		if space == id.NS {
			out = append(out, src)
		}
	}
	if len(out) == 0 {
		return []string{id.NS}
	}
	slices.Sort(out)
	return out
}

// rebuild recomputes profiles from their messages: after a split (or an
// unmerge) the state folded into one profile must be divided, which only
// the messages themselves can tell. It resets the profiles' traits and
// segment state, finds their senders' messages in the store (waiting for
// the store to hold everything up to upTo), and applies each again to the
// profile the graph now gives it. Returns the profiles rebuilt.
func (e *Engine) rebuild(ctx context.Context, b *pebble.Batch, pids []string, upTo uint64, now time.Time) ([]string, error) {
	if e.cfg.RebuildStore == nil {
		return nil, nil
	}
	slices.Sort(pids)
	pids = slices.Compact(pids)
	kvI, kvP, kvA := view(b, b, prefIdentity), view(b, b, prefProfile), view(b, b, prefAudience)
	want := map[string]bool{}
	var senders []store.Identity
	for _, pid := range pids {
		want[pid] = true
		if err := e.parts.keeper.Reset(kvP, pid); err != nil {
			return nil, err
		}
		if err := e.parts.aud.Forget(kvA, pid); err != nil {
			return nil, err
		}
		ids, err := e.parts.graph.Identities(kvI, pid)
		if err != nil {
			continue // gone since
		}
		for _, id := range ids {
			switch id.Kind {
			case identity.User:
				for _, src := range e.namespaceSources(id) {
					senders = append(senders, store.Identity{SourceID: src, UserID: id.Value})
				}
			case identity.Anon:
				senders = append(senders, store.Identity{AnonymousID: id.Value})
			}
		}
	}
	// The store applies the log on its own; the messages up to this batch
	// must be in it before it is asked for them.
	wctx, cancel := context.WithTimeout(ctx, time.Minute)
	defer cancel()
	for {
		applied, err := e.cfg.RebuildStore.AppliedSeq(wctx)
		if err != nil {
			return nil, err
		}
		if applied >= upTo {
			break
		}
		select {
		case <-wctx.Done():
			return nil, fmt.Errorf("realtime: rebuild waits for the store: %w", wctx.Err())
		case <-time.After(10 * time.Millisecond):
		}
	}
	seqs, err := e.cfg.RebuildStore.SenderSeqs(ctx, senders)
	if err != nil {
		return nil, err
	}
	for _, seq := range seqs {
		d, ok, err := e.cfg.Log.Get(ctx, seq)
		if err != nil {
			return nil, err
		}
		if !ok {
			continue
		}
		p := e.cfg.Projector.Project(d)
		if p.Err != nil || p.Suppressed || p.Expired || p.Event == nil {
			continue
		}
		pid, ok, err := e.parts.graph.Locate(kvI, e.observation(&p, e.storeOf))
		if err != nil {
			return nil, err
		}
		if !ok || !want[pid] {
			continue
		}
		if _, err := e.parts.keeper.Apply(kvP, pid, &p); err != nil {
			return nil, err
		}
		if err := e.parts.onEvent(kvA, pid, &p); err != nil {
			return nil, err
		}
	}
	for _, pid := range pids {
		if err := e.parts.dirty(b, nil, pid); err != nil {
			return nil, err
		}
	}
	return pids, nil
}
