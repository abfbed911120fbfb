package realtime

import (
	"bytes"
	"errors"
	"fmt"
	"sync/atomic"

	"github.com/cockroachdb/pebble/v2"

	"github.com/tradewind/tradewind/internal/eventlog"
	"github.com/tradewind/tradewind/internal/store/keyindex"
)

// The engine's message keys: e/key/<keyindex digest of (source, messageId)>
// → keyindex.Entry. JetStream drops a resent message only within its short
// duplicate window, and the store drops the rest by its key index; the
// engine keeps its own keys beside its state so that a message resent
// later is not applied twice (a segment's event count would count it
// twice, and batch evaluation, which reads the store, would disagree with
// real time). They commit with the state and its log position, so a
// replay from the log makes the same decisions, and they follow the
// store's rule (keyindex.Entry.Covers): imported keys forever, live ones
// for a day after the day of receipt.
var prefKey = []byte("e/key/")

// duplicate reports whether d repeats a message the engine applied (its
// key covers d's day) and otherwise records d's key in b. The caller holds
// e.mu. Server-generated message ids are unique and not recorded.
func (e *Engine) duplicate(b *pebble.Batch, d *eventlog.Delivery) (bool, error) {
	var k [32]byte
	key, day, ok := messageKey(k[:0], d)
	if !ok {
		return false, nil
	}
	v, known := e.pre.dup[string(key)] // read by prefetch, or written earlier in the chunk
	if !known {
		e.pre.dupReads++
		raw, closer, err := b.Get(key)
		switch {
		case err == nil:
			v = cached{v: bytes.Clone(raw), ok: true}
			closer.Close()
		case !errors.Is(err, pebble.ErrNotFound):
			return false, err
		}
	}
	if v.ok {
		ent, err := keyindex.DecodeEntry(v.v)
		if err != nil {
			return false, fmt.Errorf("realtime: message key: %w", err)
		}
		if ent.Seq != d.Seq && ent.Covers(day) {
			return true, nil
		}
	}
	ent := keyindex.Entry{Seq: d.Seq, Day: day, Permanent: d.Meta.Flags&eventlog.FlagPermanentKey != 0}
	enc := ent.Encode()
	if err := b.Set(key, enc, nil); err != nil {
		return false, err
	}
	if e.pre.dup != nil {
		e.pre.dup[string(key)] = cached{v: enc, ok: true}
	}
	e.keyDay.Note(day)
	return false, nil
}

// messageKey appends d's key to buf, with d's day of receipt; ok is false
// for a message whose id the server generated (unique, never recorded).
func messageKey(buf []byte, d *eventlog.Delivery) (key []byte, day uint32, ok bool) {
	if d.Meta.Flags&eventlog.FlagGeneratedID != 0 || d.Meta.MessageID == "" {
		return nil, 0, false
	}
	dg := keyindex.Hash(d.Meta.Source, d.Meta.MessageID)
	return append(append(buf, prefKey...), dg[:]...), keyindex.Day(d.Meta.ReceivedAt), true
}

// Repeated reports whether the engine skipped d, once it has applied it
// (WaitApplied), as a resend of a message it applied earlier: the key
// names an earlier message whose day covers d's. Other consumers of the
// log that act on events (the journey engine) ask it so that a resend
// past JetStream's duplicate window does not act twice. A key that
// expired since, or was replaced by a later message's after d's window,
// answers false: those are resends the engine applied too, or ones
// decided more than a day ago.
func (e *Engine) Repeated(d *eventlog.Delivery) (bool, error) {
	var k [32]byte
	key, day, ok := messageKey(k[:0], d)
	if !ok {
		return false, nil
	}
	v, closer, err := e.db.Get(key)
	if errors.Is(err, pebble.ErrNotFound) {
		return false, nil
	}
	if err != nil {
		return false, err
	}
	defer closer.Close()
	ent, err := keyindex.DecodeEntry(v)
	if err != nil {
		return false, fmt.Errorf("realtime: message key: %w", err)
	}
	return ent.Seq < d.Seq && ent.Covers(day), nil
}

// expireKeys deletes the live message keys that can no longer cover a
// message, judged by the latest day of receipt the engine applied (not
// the clock), so that a replay of an old log expires what the live engine
// did and keeps its decisions. It runs when that day has moved on.
func (e *Engine) expireKeys() (int, error) {
	latest := e.keyDay.Day()
	if latest <= e.keysExpiredAt.Load() {
		return 0, nil
	}
	n, err := keyindex.ExpireLive(e.db, prefKey, latest, func() func() {
		e.mu.Lock()
		return e.mu.Unlock
	})
	if err == nil {
		e.keysExpiredAt.Store(latest)
	}
	return n, err
}

// keyDays are the engine's latest day of receipt and the day its key
// expiry last ran for.
type keyDays struct {
	keyDay        keyindex.LatestDay
	keysExpiredAt atomic.Uint32
}
