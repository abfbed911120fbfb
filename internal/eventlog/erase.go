package eventlog

import (
	"context"
	"errors"
	"fmt"
	"sync"

	"github.com/nats-io/nats.go/jetstream"
)

// SecureDelete removes the messages at seqs from the stream and has
// JetStream overwrite their bytes where they lie in its files: a plain delete
// only marks a message deleted and leaves it readable on disk, which an
// erasure request must not. A sequence that is already gone counts as done.
// Requests run a few at a time; it returns how many messages it removed.
func (l *Log) SecureDelete(ctx context.Context, seqs []uint64) (int, error) {
	const parallel = 8
	var (
		mu      sync.Mutex
		deleted int
		first   error
		wg      sync.WaitGroup
	)
	sem := make(chan struct{}, parallel)
	for _, seq := range seqs {
		if ctx.Err() != nil {
			break
		}
		sem <- struct{}{}
		wg.Add(1)
		go func(seq uint64) {
			defer func() { <-sem; wg.Done() }()
			err := l.stream.SecureDeleteMsg(ctx, seq)
			mu.Lock()
			defer mu.Unlock()
			switch {
			case err == nil:
				deleted++
			case errors.Is(err, jetstream.ErrMsgNotFound), isNoMessage(err):
			default:
				if first == nil {
					first = fmt.Errorf("eventlog: secure delete of message %d: %w", seq, err)
				}
			}
		}(seq)
	}
	wg.Wait()
	if first == nil {
		first = ctx.Err()
	}
	return deleted, first
}

// isNoMessage recognises JetStream's answer for a sequence that holds no
// message (never stored, or deleted before).
func isNoMessage(err error) bool {
	var apiErr *jetstream.APIError
	return errors.As(err, &apiErr) && (apiErr.ErrorCode == jetstream.JSErrCodeMessageNotFound || apiErr.Code == 404)
}

// PurgeBefore removes every message of msgType stored before sequence seq,
// for retention: the log keeps a type's messages no longer than the store
// keeps its rows.
func (l *Log) PurgeBefore(ctx context.Context, msgType string, seq uint64) error {
	if seq <= 1 {
		return nil
	}
	if err := l.stream.Purge(ctx, jetstream.WithPurgeSubject(l.Subject(msgType)), jetstream.WithPurgeSequence(seq)); err != nil {
		return fmt.Errorf("eventlog: purge %s before %d: %w", msgType, seq, err)
	}
	return nil
}
