// Package ingest accepts data: the Segment-compatible HTTP tracking API, shop
// webhooks and bulk files all end here, in Service.Accept, which validates
// each message, publishes the valid ones to the event log and reports, per
// message, whether the log stored it, already had it, or why it was refused.
//
// A message is validated on its parsed form but forwarded as the bytes the
// sender sent (re-encoded only when the server must change it: a batch-level
// context to merge, a write key to strip), so the hot path never builds a
// message twice.
package ingest

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/valyala/fastjson"

	"github.com/tradewind/tradewind/internal/eventlog"
	"github.com/tradewind/tradewind/internal/segment"
	"github.com/tradewind/tradewind/internal/source"
)

// MaxMessageBytes and MaxRequestBytes are the Segment API's limits, applied
// after decompression.
const (
	MaxMessageBytes = 32 << 10
	MaxRequestBytes = 500 << 10
)

// Publisher is the part of the event log ingest needs.
type Publisher interface {
	PublishBundled(msgs []eventlog.Message) (*eventlog.Pending, error)
}

// Guard protects personal data on its way into the log (the privacy
// service implements it): it encrypts a message's high-tier fields in place
// (changed), or says the message belongs to an erased person and must be
// dropped (suppressed). An error is the server's failure, not the message's.
type Guard interface {
	Protect(v *fastjson.Value, src source.Source, arena *fastjson.Arena) (changed, suppressed bool, err error)
}

// Service validates and publishes messages.
type Service struct {
	Log     Publisher
	Metrics *Metrics
	// Guard, if set, sees every valid message before it is published.
	Guard Guard
	// Now is the clock; nil is time.Now.
	Now func() time.Time

	parsers fastjson.ParserPool
	arenas  fastjson.ArenaPool
}

// Item is one message to accept.
type Item struct {
	// Value is the parsed message, Raw its bytes as sent (nil: encode Value).
	Value *fastjson.Value
	Raw   []byte
	// Type forces the message type (the endpoint's); "" reads it from the
	// message.
	Type string
	// MessageID replaces the message's own id (importers make deterministic
	// ids from natural keys).
	MessageID string
}

// Options apply to all items of one Accept call.
type Options struct {
	BatchSentAt  time.Time
	BatchContext *fastjson.Value // merged into each message's context
	ImportID     string
	// Permanent asks the store to remember the messages' keys forever.
	Permanent bool
	// Internal allows tradewind's own types (ad_spend, consent) that the public API
	// refuses.
	Internal bool
}

// Outcome is what happened to one item.
type Outcome struct {
	Seq       uint64
	Duplicate bool
	// Suppressed: the message belongs to an erased person; it was dropped
	// (and counted), and the sender is told it was accepted, as Segment's
	// suppression does, so SDKs do not retry it.
	Suppressed bool
	// Err is a *segment.FieldError for a refused message.
	Err error
}

// Accept validates items, publishes the valid ones and waits until the log
// has stored them. It returns an error (and nothing is acknowledged) only
// when the log could not take them; refused messages are in the outcomes.
func (s *Service) Accept(ctx context.Context, src source.Source, items []Item, opts Options) ([]Outcome, error) {
	sub, err := s.Submit(src, items, opts)
	if err != nil {
		return nil, err
	}
	return sub.Wait(ctx)
}

// Submission is an Accept whose acknowledgements are still to be collected.
type Submission struct {
	s      *Service
	src    string
	out    []Outcome
	idx    []int
	waiter *eventlog.Pending
}

// Submit validates items and sends the valid ones without waiting for the
// log: a bulk importer submits the next chunk while the previous one is
// acknowledged, and the log keeps them in order. Wait reports the outcomes.
func (s *Service) Submit(src source.Source, items []Item, opts Options) (*Submission, error) {
	now := time.Now
	if s.Now != nil {
		now = s.Now
	}
	received := now().UTC()
	sub := &Submission{s: s, src: src.ID, out: make([]Outcome, len(items)), idx: make([]int, 0, len(items))}
	msgs := make([]eventlog.Message, 0, len(items))
	arena := s.arenas.Get()
	defer s.arenas.Put(arena)
	for i := range items {
		m, err := s.prepare(&items[i], src, received, opts, arena)
		var fe *segment.FieldError
		switch {
		case err == errSuppressed:
			sub.out[i].Suppressed = true
			continue
		case errors.As(err, &fe):
			sub.out[i].Err = err
			continue
		case err != nil:
			return nil, err
		}
		msgs = append(msgs, m)
		sub.idx = append(sub.idx, i)
	}
	if len(msgs) > 0 {
		// A request's messages go to the log as bundles: JetStream's work
		// is then per request, not per message (eventlog/position.go).
		w, err := s.Log.PublishBundled(msgs)
		if err != nil {
			return nil, err
		}
		sub.waiter = w
	}
	return sub, nil
}

// Wait collects the log's acknowledgements and returns the outcome of every
// item of the submission.
func (sub *Submission) Wait(ctx context.Context) ([]Outcome, error) {
	if sub.waiter != nil {
		acks, err := sub.waiter.Wait(ctx)
		if err != nil {
			return nil, err
		}
		for j, a := range acks {
			sub.out[sub.idx[j]] = Outcome{Seq: a.Seq, Duplicate: a.Duplicate}
		}
	}
	if sub.s.Metrics != nil {
		sub.s.Metrics.count(sub.src, sub.out)
	}
	return sub.out, nil
}

func (s *Service) prepare(it *Item, src source.Source, received time.Time, opts Options, arena *fastjson.Arena) (eventlog.Message, error) {
	v := it.Value
	if v == nil {
		p := s.parsers.Get()
		defer s.parsers.Put(p)
		var err error
		if v, err = p.ParseBytes(it.Raw); err != nil {
			return eventlog.Message{}, &segment.FieldError{Field: "message", Reason: "is not valid JSON"}
		}
	}
	if v.Type() != fastjson.TypeObject {
		return eventlog.Message{}, &segment.FieldError{Field: "message", Reason: "must be a JSON object"}
	}
	typ := it.Type
	if typ == "" {
		typ = string(v.GetStringBytes("type"))
		if typ == "" {
			return eventlog.Message{}, &segment.FieldError{Field: "type", Reason: "is required"}
		}
	}
	if !segment.IsType(typ) && !(opts.Internal && (typ == segment.AdSpend || typ == segment.Consent)) {
		return eventlog.Message{}, &segment.FieldError{Field: "type", Reason: "is not a known message type"}
	}
	times, err := segment.Validate(v, typ)
	if err != nil {
		return eventlog.Message{}, err
	}
	raw := it.Raw
	if s.Guard != nil {
		changed, suppressed, err := s.Guard.Protect(v, src, arena)
		if err != nil {
			return eventlog.Message{}, fmt.Errorf("ingest: protect personal data: %w", err)
		}
		if suppressed {
			return eventlog.Message{}, errSuppressed
		}
		if changed {
			raw = nil
		}
	}
	// The server changes the message only where it must: a write key never
	// enters the log, and a batch's context becomes each message's.
	if v.Exists("writeKey") {
		v.Del("writeKey")
		raw = nil
	}
	if opts.BatchContext != nil && opts.BatchContext.Type() == fastjson.TypeObject {
		mergeContext(v, opts.BatchContext, arena)
		raw = nil
	}
	if raw == nil {
		raw = v.MarshalTo(nil)
	}
	// fastjson's parser tolerates what JSON does not: NaN and Infinity,
	// numbers such as +1 or 1.2.3, and raw control characters inside
	// strings. The store's JSON columns would keep the first kind (DuckDB
	// reads NaN and Infinity) and answer them as nothing, so the message is
	// checked strictly here: its numbers and structure by fastjson's
	// validator (no allocation), control characters, rare, by encoding/json
	// only when such a byte is there. The reason never quotes the message.
	if fastjson.ValidateBytes(raw) != nil {
		return eventlog.Message{}, &segment.FieldError{Field: "message", Reason: "is not valid JSON (NaN, Infinity or a malformed number?)"}
	}
	if hasControlByte(raw) && !json.Valid(raw) {
		return eventlog.Message{}, &segment.FieldError{Field: "message", Reason: "is not valid JSON (a control character inside a string?)"}
	}
	if len(raw) > MaxMessageBytes {
		return eventlog.Message{}, &segment.FieldError{Field: "message", Reason: fmt.Sprintf("larger than %d KB", MaxMessageBytes>>10)}
	}
	meta := eventlog.Meta{
		Source:     src.ID,
		MessageID:  it.MessageID,
		ReceivedAt: received,
		Timestamp:  segment.EventTime(times, opts.BatchSentAt, received),
		SentAt:     times.SentAt,
		ImportID:   opts.ImportID,
	}
	if meta.SentAt.IsZero() {
		meta.SentAt = opts.BatchSentAt
	}
	if meta.MessageID == "" {
		meta.MessageID = segment.ID(v, "messageId")
	}
	if meta.MessageID == "" {
		meta.MessageID = newMessageID()
		meta.Flags |= eventlog.FlagGeneratedID
	}
	if opts.Permanent {
		meta.Flags |= eventlog.FlagPermanentKey
	}
	return eventlog.Message{Type: typ, Meta: meta, Data: raw}, nil
}

// errSuppressed marks a message of an erased person.
var errSuppressed = errors.New("suppressed")

func hasControlByte(b []byte) bool {
	for _, c := range b {
		if c < 0x20 && c != '\t' && c != '\n' && c != '\r' {
			return true
		}
	}
	return bytes.IndexByte(b, '\n') >= 0 || bytes.IndexByte(b, '\t') >= 0 || bytes.IndexByte(b, '\r') >= 0
}

// mergeContext adds the batch context's keys that the message's own context
// lacks: the message's own values win, as its own sentAt does.
func mergeContext(v, batchCtx *fastjson.Value, arena *fastjson.Arena) {
	mc := v.Get("context")
	if mc == nil || mc.Type() != fastjson.TypeObject {
		mc = arena.NewObject()
		v.Set("context", mc)
	}
	o, _ := batchCtx.Object()
	o.Visit(func(k []byte, bv *fastjson.Value) {
		if mc.Get(string(k)) == nil {
			mc.Set(string(k), bv)
		}
	})
}

// newMessageID makes a random UUID-shaped id for a message that has none.
func newMessageID() string {
	var b [16]byte
	_, _ = rand.Read(b[:])
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	h := hex.EncodeToString(b[:])
	return h[:8] + "-" + h[8:12] + "-" + h[12:16] + "-" + h[16:20] + "-" + h[20:]
}

// FieldErr extracts the field and reason of a refusal.
func FieldErr(err error) (field, reason string) {
	var fe *segment.FieldError
	if errors.As(err, &fe) {
		return fe.Field, fe.Reason
	}
	return "message", err.Error()
}
