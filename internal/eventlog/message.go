package eventlog

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
)

// Header names on log messages. Nats-Msg-Id is JetStream's own.
const (
	headerMsgID = "Nats-Msg-Id"
	headerMeta  = "Tw-Meta"
)

// Flags qualify a message.
type Flags uint8

const (
	// FlagGeneratedID marks a messageId the server generated because the
	// sender gave none.
	FlagGeneratedID Flags = 1 << iota
	// FlagPermanentKey asks the store to remember the message's key forever,
	// not only for the live deduplication window: imported rows carry it, so a
	// file imported again next month still adds nothing.
	FlagPermanentKey
)

// Meta is what the server adds to a message when it accepts it. It travels in
// one compact header so that consumers decode it without parsing the body.
type Meta struct {
	Source     string    // id of the source the message came from
	MessageID  string    // the message's messageId (the sender's, or generated)
	ReceivedAt time.Time // when the server received it
	Timestamp  time.Time // event time, corrected for the sender's clock skew
	SentAt     time.Time // when the sender sent it (the message's or its batch's sentAt); zero if not given
	ImportID   string    // id of the bulk import that produced it, if any
	Flags      Flags
}

// encode writes meta as
// "v2;source;receivedNanos;timestampNanos;sentAtNanos;flags;importID" (sentAt
// 0 when absent). Source and import ids are server-made tokens without ';';
// the message id is carried by Nats-Msg-Id.
func (m Meta) encode() string {
	var b strings.Builder
	b.Grow(80)
	b.WriteString("v2;")
	b.WriteString(m.Source)
	b.WriteByte(';')
	b.WriteString(strconv.FormatInt(m.ReceivedAt.UnixNano(), 10))
	b.WriteByte(';')
	b.WriteString(strconv.FormatInt(m.Timestamp.UnixNano(), 10))
	b.WriteByte(';')
	if !m.SentAt.IsZero() {
		b.WriteString(strconv.FormatInt(m.SentAt.UnixNano(), 10))
	} else {
		b.WriteByte('0')
	}
	b.WriteByte(';')
	b.WriteString(strconv.FormatUint(uint64(m.Flags), 10))
	b.WriteByte(';')
	b.WriteString(m.ImportID)
	return b.String()
}

// decodeMeta reads v2 and the older v1 (without sentAt), so messages
// written before an upgrade stay readable.
func decodeMeta(s, msgID string) (Meta, error) {
	var parts []string
	switch {
	case strings.HasPrefix(s, "v2;"):
		parts = strings.SplitN(s, ";", 7)
	case strings.HasPrefix(s, "v1;"):
		p := strings.SplitN(s, ";", 6)
		if len(p) == 6 {
			parts = []string{p[0], p[1], p[2], p[3], "0", p[4], p[5]}
		}
	}
	if len(parts) != 7 {
		return Meta{}, fmt.Errorf("eventlog: bad %s header %q", headerMeta, s)
	}
	recv, err1 := strconv.ParseInt(parts[2], 10, 64)
	ts, err2 := strconv.ParseInt(parts[3], 10, 64)
	sent, err3 := strconv.ParseInt(parts[4], 10, 64)
	fl, err4 := strconv.ParseUint(parts[5], 10, 8)
	if err := errors.Join(err1, err2, err3, err4); err != nil {
		return Meta{}, fmt.Errorf("eventlog: bad %s header %q: %w", headerMeta, s, err)
	}
	m := Meta{
		Source:     parts[1],
		ReceivedAt: time.Unix(0, recv).UTC(),
		Timestamp:  time.Unix(0, ts).UTC(),
		Flags:      Flags(fl),
		ImportID:   parts[6],
	}
	if sent != 0 {
		m.SentAt = time.Unix(0, sent).UTC()
	}
	// Nats-Msg-Id is "source/messageId": the dedup key is (source, messageId).
	if i := strings.IndexByte(msgID, '/'); i >= 0 {
		m.MessageID = msgID[i+1:]
	} else {
		m.MessageID = msgID
	}
	return m, nil
}

// DedupID is the JetStream message id of a message: its deduplication key
// (source, messageId) in one string.
func DedupID(source, messageID string) string { return source + "/" + messageID }

// Message is one message to publish.
type Message struct {
	Type string // message type; the subject's last token
	Meta Meta
	Data []byte // the message body, as the sender sent it (JSON)
}

// Ack is JetStream's answer for one published message.
type Ack struct {
	Seq       uint64 // the message's position (position.go)
	Duplicate bool   // JetStream had it already within its duplicate window
}

// ErrUnavailable wraps failures to get an acknowledgement from the log: the
// caller must not report the message as accepted.
var ErrUnavailable = errors.New("event log unavailable")

// Publish sends msgs and waits until JetStream has stored every one of them
// (or found it a duplicate). Only then may the caller acknowledge them to
// their sender. The acks are in the order of msgs.
func (l *Log) Publish(ctx context.Context, msgs []Message) ([]Ack, error) {
	p, err := l.PublishAsync(msgs)
	if err != nil {
		return nil, err
	}
	return p.Wait(ctx)
}

// Pending is a set of published messages whose acknowledgements have not
// been collected yet.
type Pending struct {
	futures []jetstream.PubAckFuture
	// runs[i] is the range of messages futures[i] carries.
	runs [][2]int
}

// stallWait is how long a publish waits for room among the acknowledgements
// in flight (made once: an option per message was an allocation per message).
var stallWait = jetstream.WithStallWait(5 * time.Second)

// PublishAsync sends msgs without waiting for their acknowledgements, so a
// caller can send the next set meanwhile; messages keep the order of the
// calls. Collect the acknowledgements with Wait before reporting anything as
// accepted. Each message is a JetStream message of its own, deduplicated by
// JetStream on its (source, messageId) within the duplicate window: for
// messages whose retries must be JetStream's duplicates one by one, such as
// the profile engine's.
func (l *Log) PublishAsync(msgs []Message) (*Pending, error) {
	runs := make([][2]int, len(msgs))
	for i := range runs {
		runs[i] = [2]int{i, i + 1}
	}
	return l.publishRuns(msgs, runs)
}

// PublishBundled is PublishAsync for a request's or an import chunk's
// messages: each run of consecutive messages of one type is stored as one
// bundle (position.go), so JetStream's work is per run, not per message.
// A retry of the same messages is a JetStream duplicate as a whole; a
// message sent again in other company is left to the store's and the
// engine's deduplication by (source, messageId), as a resend after the
// duplicate window always was.
func (l *Log) PublishBundled(msgs []Message) (*Pending, error) {
	return l.publishRuns(msgs, splitRuns(msgs, l.maxBundle))
}

// publishRuns sends each run of msgs as one JetStream message: a message
// on its own, or a bundle.
func (l *Log) publishRuns(msgs []Message, runs [][2]int) (*Pending, error) {
	p := &Pending{futures: make([]jetstream.PubAckFuture, len(runs)), runs: runs}
	for i, r := range runs {
		nm := l.singleMsg(&msgs[r[0]])
		if r[1]-r[0] > 1 {
			nm = l.bundleMsg(msgs[r[0]:r[1]])
		}
		f, err := l.js.PublishMsgAsync(nm, stallWait)
		if err != nil {
			return nil, fmt.Errorf("%w: publish messages %d–%d of %d: %v", ErrUnavailable, r[0]+1, r[1], len(msgs), err)
		}
		p.futures[i] = f
	}
	return p, nil
}

// singleMsg is the JetStream message of one message on its own.
func (l *Log) singleMsg(m *Message) *nats.Msg {
	return &nats.Msg{
		Subject: l.Subject(m.Type),
		Data:    m.Data,
		Header: nats.Header{
			headerMsgID: []string{DedupID(m.Meta.Source, m.Meta.MessageID)},
			headerMeta:  []string{m.Meta.encode()},
		},
	}
}

// ackIdle is how long Wait waits for the next acknowledgement before it
// gives the log up as unavailable.
const ackIdle = 10 * time.Second

// Wait collects the acknowledgements, in the order the messages were sent.
// It gives up when the log has acknowledged nothing for ackIdle, not when
// the whole set took longer: a bulk import's chunks of thousands of
// messages, acknowledged steadily on a machine busy with other work, took
// more than 10 s in all and failed the import although the log never
// stalled.
func (p *Pending) Wait(ctx context.Context) ([]Ack, error) {
	n := len(p.futures)
	total := 0 // messages: the runs cover them in order
	if n > 0 {
		total = p.runs[n-1][1]
	}
	acks := make([]Ack, total)
	timeout := time.NewTimer(ackIdle)
	defer timeout.Stop()
	for i, f := range p.futures {
		select {
		case pa := <-f.Ok():
			// New messages are always past where positions start, so a
			// message on its own is at position(seq, 0, 1), EndPos(seq).
			r := p.runs[i]
			for j := r[0]; j < r[1]; j++ {
				acks[j] = Ack{Seq: position(pa.Sequence, j-r[0], r[1]-r[0]), Duplicate: pa.Duplicate}
			}
		case err := <-f.Err():
			return nil, fmt.Errorf("%w: message %d of %d: %v", ErrUnavailable, i+1, n, err)
		case <-ctx.Done():
			return nil, fmt.Errorf("%w: %v", ErrUnavailable, ctx.Err())
		case <-timeout.C:
			return nil, fmt.Errorf("%w: no acknowledgement within %v (%d of %d acknowledged)", ErrUnavailable, ackIdle, i, n)
		}
		timeout.Reset(ackIdle)
	}
	return acks, nil
}

// Delivery is one message read from the log.
type Delivery struct {
	Seq  uint64 // the message's position (position.go)
	Type string
	Meta Meta
	Data []byte
}

// ConsumeConfig configures a durable batch consumer.
type ConsumeConfig struct {
	// Durable is the consumer's name; its position survives restarts.
	Durable string
	// MaxBatch is the most messages handed to the handler at once.
	MaxBatch int
	// MaxWait is how long a batch may wait to fill up after its first message.
	MaxWait time.Duration
	// StartSeq, when not zero, (re)creates the consumer to start after this
	// sequence: used after a restore, when the store knows where it stands.
	StartSeq uint64
}

// Handler processes a batch of deliveries in log order. When it returns nil
// the whole batch is acknowledged; an error stops Consume with that error and
// the batch is delivered again to the next consumer.
type Handler func(ctx context.Context, batch []Delivery) error

// Consume delivers the stream to h in batches until ctx ends or h fails. A
// bundle is delivered whole, as one Delivery per message, within one batch;
// cfg.StartSeq is a position, and the consumer starts at the JetStream
// message that holds it.
func (l *Log) Consume(ctx context.Context, cfg ConsumeConfig, h Handler) error {
	if cfg.MaxBatch <= 0 {
		cfg.MaxBatch = 1000
	}
	if cfg.MaxWait <= 0 {
		cfg.MaxWait = 50 * time.Millisecond
	}
	ccfg := jetstream.ConsumerConfig{
		Durable:       cfg.Durable,
		AckPolicy:     jetstream.AckAllPolicy,
		AckWait:       2 * time.Minute,
		MaxAckPending: 4 * cfg.MaxBatch,
		DeliverPolicy: jetstream.DeliverAllPolicy,
		MaxDeliver:    -1,
	}
	var g gaps
	if cfg.StartSeq > 0 {
		start := startStreamSeq(cfg.StartSeq)
		ccfg.DeliverPolicy = jetstream.DeliverByStartSequencePolicy
		ccfg.OptStartSeq = start
		g.prev = start - 1
		// The start position of an existing consumer cannot change: recreate.
		_ = l.js.DeleteConsumer(ctx, l.cfg.Stream, cfg.Durable)
	}
	cons, err := l.js.CreateOrUpdateConsumer(ctx, l.cfg.Stream, ccfg)
	if err != nil {
		return fmt.Errorf("eventlog: consumer %s: %w", cfg.Durable, err)
	}
	if info := cons.CachedInfo(); cfg.StartSeq == 0 && info.Delivered.Consumer > 0 {
		// A consumer that has read before resumes after its acknowledged
		// floor. (A new one has read nothing: its floor is only where the
		// stream begins, and every gap before it is one it passed over.)
		g.prev = info.AckFloor.Stream
	}
	// Two batches ready, counted in messages and bounded in bytes: 2 ×
	// MaxBatch bundles of a hundred messages each would hold hundreds of
	// MB on the heap (the collector then ran at the memory limit without
	// pause). The byte bound stays above the largest bundle.
	iter, err := cons.Messages(jetstream.PullMaxMessagesWithBytesLimit(2*cfg.MaxBatch, max(4<<20, 2*cfg.MaxBatch<<10)))
	if err != nil {
		return fmt.Errorf("eventlog: consumer %s: %w", cfg.Durable, err)
	}
	defer iter.Stop()

	msgs := make(chan jetstream.Msg, cfg.MaxBatch)
	errc := make(chan error, 1)
	go func() {
		for {
			m, err := iter.Next()
			if err != nil {
				errc <- err
				close(msgs)
				return
			}
			select {
			case msgs <- m:
			case <-ctx.Done():
				close(msgs)
				return
			}
		}
	}()

	batch := make([]Delivery, 0, cfg.MaxBatch)
	var frames []frame
	for {
		batch = batch[:0]
		var last jetstream.Msg
		// Block for the first message, then fill until full or MaxWait.
		select {
		case <-ctx.Done():
			return ctx.Err()
		case m, ok := <-msgs:
			if !ok {
				return l.consumeErr(ctx, errc)
			}
			if batch, frames, err = l.appendDeliveries(batch, frames, m, &g); err != nil {
				return err
			}
			last = m
		}
		deadline := time.NewTimer(cfg.MaxWait)
	fill:
		for len(batch) < cfg.MaxBatch {
			select {
			case m, ok := <-msgs:
				if !ok {
					break fill
				}
				if batch, frames, err = l.appendDeliveries(batch, frames, m, &g); err != nil {
					deadline.Stop()
					return err
				}
				last = m
			case <-deadline.C:
				break fill
			}
		}
		deadline.Stop()
		if len(batch) > 0 {
			if err := h(ctx, batch); err != nil {
				return err
			}
		}
		if err := last.Ack(); err != nil {
			md, _ := last.Metadata()
			seq := uint64(0)
			if md != nil {
				seq = md.Sequence.Stream
			}
			return fmt.Errorf("eventlog: ack up to stream sequence %d: %w", seq, err)
		}
	}
}

// startStreamSeq is the stream sequence a consumer asked to start at
// position pos begins with: the JetStream message holding pos, or the next
// one when pos is the first position after a whole JetStream message.
func startStreamSeq(pos uint64) uint64 {
	if pos <= 1 {
		return 1
	}
	prev := pos - 1
	if idx, bundled := frameIndex(prev); bundled && idx != lastFrame {
		// prev is inside a bundle: that bundle was not applied whole (never
		// the case for Consume's own consumers); deliver it again.
		return StreamSeq(prev)
	}
	return nextStreamSeq(prev)
}

// gaps remembers which stream sequences a consumer passed over because they
// held nothing (deleted, erased, purged) during one Consume: a bundle an
// erasure rewrote (SecureDelete) is delivered again only to a consumer
// that passed its original over, never to one that had read it.
type gaps struct {
	prev   uint64      // the last stream sequence seen
	ranges [][2]uint64 // passed-over ranges, newest last, at most maxGaps
}

const maxGaps = 4096

func (g *gaps) see(seq uint64) {
	if seq > g.prev+1 {
		if len(g.ranges) == maxGaps {
			g.ranges = append(g.ranges[:0], g.ranges[1:]...)
		}
		g.ranges = append(g.ranges, [2]uint64{g.prev + 1, seq - 1})
	}
	if seq > g.prev {
		g.prev = seq
	}
}

func (g *gaps) passedOver(seq uint64) bool {
	for _, r := range g.ranges {
		if seq >= r[0] && seq <= r[1] {
			return true
		}
	}
	return false
}

// appendDeliveries appends the deliveries of JetStream message m to batch.
func (l *Log) appendDeliveries(batch []Delivery, frames []frame, m jetstream.Msg, g *gaps) ([]Delivery, []frame, error) {
	md, err := m.Metadata()
	if err != nil {
		return batch, frames, fmt.Errorf("eventlog: message metadata: %w", err)
	}
	seq := md.Sequence.Stream
	g.see(seq)
	subj := m.Subject()
	typ := msgType(subj)
	h := m.Headers()
	if h.Get(headerFrames) == "" {
		meta, err := decodeMeta(h.Get(headerMeta), h.Get(headerMsgID))
		if err != nil {
			return batch, frames, fmt.Errorf("eventlog: message %d: %w", seq, err)
		}
		return append(batch, Delivery{Seq: l.EndPos(seq), Type: typ, Meta: meta, Data: m.Data()}), frames, nil
	}
	if l.isRewritten(subj) {
		chain, err := replaced(h.Get(headerReplaces))
		if err != nil {
			return batch, frames, fmt.Errorf("eventlog: message %d: %w", seq, err)
		}
		for _, c := range chain {
			if !g.passedOver(c) {
				return batch, frames, nil // this consumer read an earlier copy
			}
		}
	}
	frames, err = readFrames(m.Data(), frames[:0])
	if err != nil {
		return batch, frames, fmt.Errorf("eventlog: message %d: %w", seq, err)
	}
	for _, f := range frames {
		batch = append(batch, Delivery{Seq: at(seq, f.idx), Type: typ, Meta: f.meta, Data: f.data})
	}
	return batch, frames, nil
}

func (l *Log) consumeErr(ctx context.Context, errc chan error) error {
	if ctx.Err() != nil {
		return ctx.Err()
	}
	select {
	case err := <-errc:
		return fmt.Errorf("eventlog: consume: %w", err)
	default:
		return errors.New("eventlog: consume: message iterator stopped")
	}
}

// Get reads the message at position pos directly (for the rare reprocessing
// of a few messages, such as rebuilding a profile that split). ok is false
// when the log holds no message there (deleted, erased, purged).
func (l *Log) Get(ctx context.Context, pos uint64) (d Delivery, ok bool, err error) {
	seq := StreamSeq(pos)
	m, ok, err := l.getMsg(ctx, seq)
	if !ok || err != nil {
		return Delivery{}, false, err
	}
	idx, bundled := frameIndex(pos)
	if !bundled || m.Header.Get(headerFrames) == "" {
		if bundled && idx != lastFrame {
			return Delivery{}, false, nil
		}
		meta, err := decodeMeta(m.Header.Get(headerMeta), m.Header.Get(headerMsgID))
		if err != nil {
			return Delivery{}, false, fmt.Errorf("eventlog: message %d: %w", seq, err)
		}
		return Delivery{Seq: pos, Type: msgType(m.Subject), Meta: meta, Data: m.Data}, true, nil
	}
	frames, err := readFrames(m.Data, nil)
	if err != nil {
		return Delivery{}, false, fmt.Errorf("eventlog: message %d: %w", m.Sequence, err)
	}
	for _, f := range frames {
		if f.idx == idx {
			return Delivery{Seq: pos, Type: msgType(m.Subject), Meta: f.meta, Data: f.data}, true, nil
		}
	}
	return Delivery{}, false, nil
}

// getMsg reads the JetStream message at stream sequence seq or, if an
// erasure rewrote the bundle there, its rewritten copy.
func (l *Log) getMsg(ctx context.Context, seq uint64) (*jetstream.RawStreamMsg, bool, error) {
	m, err := l.stream.GetMsg(ctx, seq)
	if isNoMessage(err) {
		if seq < l.posFrom {
			return nil, false, nil
		}
		return l.findRewrite(ctx, seq)
	}
	if err != nil {
		return nil, false, fmt.Errorf("eventlog: get message %d: %w", seq, err)
	}
	return m, true, nil
}

// findRewrite finds the rewritten copy of a bundle that replaces the copy
// that was at stream sequence seq: rewrites are rare, so it walks the
// rewritten subjects from seq on.
func (l *Log) findRewrite(ctx context.Context, seq uint64) (*jetstream.RawStreamMsg, bool, error) {
	subj := l.cfg.SubjectPrefix + "." + rewrittenToken + ".*"
	for from := seq + 1; ; {
		m, err := l.stream.GetMsg(ctx, from, jetstream.WithGetMsgSubject(subj))
		if isNoMessage(err) {
			return nil, false, nil
		}
		if err != nil {
			return nil, false, fmt.Errorf("eventlog: look for a rewrite of message %d: %w", seq, err)
		}
		chain, err := replaced(m.Header.Get(headerReplaces))
		if err != nil {
			return nil, false, fmt.Errorf("eventlog: message %d: %w", m.Sequence, err)
		}
		if slices.Contains(chain, seq) {
			return m, true, nil
		}
		from = m.Sequence + 1
	}
}

// replaced reads a rewrite's Tw-Replaces header: the stream sequences of
// the copies it replaces, the original first.
func replaced(h string) ([]uint64, error) {
	var out []uint64
	for f := range strings.SplitSeq(h, ",") {
		seq, err := strconv.ParseUint(f, 10, 64)
		if err != nil || seq == 0 {
			return nil, fmt.Errorf("bad %s header %q", headerReplaces, h)
		}
		out = append(out, seq)
	}
	return out, nil
}
