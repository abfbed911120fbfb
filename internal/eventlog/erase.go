package eventlog

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"sync"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
)

// SecureDelete removes the messages at the positions pos from the log and
// has JetStream overwrite their bytes where they lie in its files: a plain
// delete only marks a message deleted and leaves it readable on disk, which
// an erasure request must not. A message that is already gone counts as
// done.
//
// A bundle that also holds other messages is rewritten: a copy without the
// erased ones, which keeps the others' positions, is stored first (on the
// rewritten subject, with Tw-Replaces naming the original), then the
// original is securely deleted. Consumers that read the original pass the
// copy over; one that had not reached it yet reads the copy instead
// (Consume), and Get finds it. JetStream messages are handled a few at a
// time; it returns how many messages it removed.
func (l *Log) SecureDelete(ctx context.Context, pos []uint64) (int, error) {
	const parallel = 8
	bySeq := map[uint64][]uint64{}
	var order []uint64
	for _, p := range pos {
		seq := StreamSeq(p)
		if _, ok := bySeq[seq]; !ok {
			order = append(order, seq)
		}
		idx, bundled := frameIndex(p)
		if !bundled {
			idx = lastFrame
		}
		bySeq[seq] = append(bySeq[seq], idx)
	}
	var (
		mu      sync.Mutex
		deleted int
		first   error
		wg      sync.WaitGroup
	)
	sem := make(chan struct{}, parallel)
	for _, seq := range order {
		if ctx.Err() != nil {
			break
		}
		sem <- struct{}{}
		wg.Add(1)
		go func(seq uint64, idxs []uint64) {
			defer func() { <-sem; wg.Done() }()
			n, err := l.eraseFrom(ctx, seq, idxs)
			mu.Lock()
			defer mu.Unlock()
			deleted += n
			if err != nil && first == nil {
				first = err
			}
		}(seq, bySeq[seq])
	}
	wg.Wait()
	if first == nil {
		first = ctx.Err()
	}
	return deleted, first
}

// eraseFrom removes the messages with indices idxs from the JetStream
// message at stream sequence seq (or the copy that replaced it). Rewrites
// take turns: two positions of one message, read from two copies, lead to
// the same current copy.
func (l *Log) eraseFrom(ctx context.Context, seq uint64, idxs []uint64) (int, error) {
	if seq >= l.posFrom {
		l.rewriteMu.Lock()
		defer l.rewriteMu.Unlock()
	}
	m, ok, err := l.getMsg(ctx, seq)
	if err != nil || !ok {
		return 0, err
	}
	if m.Header.Get(headerFrames) == "" {
		return l.secureDeleteMsg(ctx, m.Sequence)
	}
	frames, err := readFrames(m.Data, nil)
	if err != nil {
		return 0, fmt.Errorf("eventlog: message %d: %w", m.Sequence, err)
	}
	erase := make(map[uint64]bool, len(idxs))
	for _, i := range idxs {
		erase[i] = true
	}
	var body []byte
	kept, gone := 0, 0
	for _, f := range frames {
		if erase[f.idx] {
			gone++
			continue
		}
		kept++
		body = appendFrame(body, f.idx, &Message{Meta: f.meta, Data: f.data})
	}
	if gone == 0 {
		return 0, nil
	}
	if kept > 0 {
		typ := msgType(m.Subject)
		chain := strconv.FormatUint(m.Sequence, 10)
		if prev := m.Header.Get(headerReplaces); prev != "" {
			chain = prev + "," + chain
		}
		rm := &nats.Msg{Subject: l.rewrittenSubject(typ), Data: body, Header: nats.Header{
			headerFrames:   []string{m.Header.Get(headerFrames)},
			headerReplaces: []string{chain},
		}}
		l.rewrote.Store(true)
		if _, err := l.js.PublishMsg(ctx, rm); err != nil {
			return 0, fmt.Errorf("eventlog: rewrite message %d without the erased messages: %w", seq, err)
		}
	}
	if _, err := l.secureDeleteMsg(ctx, m.Sequence); err != nil {
		return 0, err
	}
	return gone, nil
}

// secureDeleteMsg securely deletes the JetStream message at seq; one that is
// gone already counts as done (0).
func (l *Log) secureDeleteMsg(ctx context.Context, seq uint64) (int, error) {
	err := l.stream.SecureDeleteMsg(ctx, seq)
	switch {
	case err == nil:
		return 1, nil
	case isNoMessage(err):
		return 0, nil
	default:
		return 0, fmt.Errorf("eventlog: secure delete of message %d: %w", seq, err)
	}
}

// isNoMessage recognises JetStream's answers for a sequence (or subject)
// that holds no message (never stored, or deleted before), as the client
// reports them and as the server does.
func isNoMessage(err error) bool {
	if errors.Is(err, jetstream.ErrMsgNotFound) {
		return true
	}
	var apiErr *jetstream.APIError
	return errors.As(err, &apiErr) && (apiErr.ErrorCode == jetstream.JSErrCodeMessageNotFound || apiErr.Code == 404)
}

// PurgeBefore removes every message of msgType stored before position pos,
// for retention: the log keeps a type's messages no longer than the store
// keeps its rows. The JetStream message holding pos stays whole; rewritten
// copies of purged bundles go too.
func (l *Log) PurgeBefore(ctx context.Context, msgType string, pos uint64) error {
	seq := StreamSeq(pos)
	if seq <= 1 {
		return nil
	}
	if err := l.stream.Purge(ctx, jetstream.WithPurgeSubject(l.Subject(msgType)), jetstream.WithPurgeSequence(seq)); err != nil {
		return fmt.Errorf("eventlog: purge %s before %d: %w", msgType, seq, err)
	}
	if !l.rewrote.Load() {
		return nil
	}
	subj := l.rewrittenSubject(msgType)
	for from := uint64(1); ; {
		m, err := l.stream.GetMsg(ctx, from, jetstream.WithGetMsgSubject(subj))
		if isNoMessage(err) {
			return nil
		}
		if err != nil {
			return fmt.Errorf("eventlog: purge rewritten %s before %d: %w", msgType, seq, err)
		}
		if chain, _ := replaced(m.Header.Get(headerReplaces)); len(chain) == 0 || chain[0] < seq {
			if err := l.stream.DeleteMsg(ctx, m.Sequence); err != nil && !isNoMessage(err) {
				return fmt.Errorf("eventlog: purge rewritten %s message %d: %w", msgType, m.Sequence, err)
			}
		}
		from = m.Sequence + 1
	}
}
