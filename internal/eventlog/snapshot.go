package eventlog

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/nats-io/nats.go"
)

// StreamMeta is the stream's configuration and state at snapshot time, as
// JetStream's snapshot API returns it and its restore API takes it back.
type StreamMeta struct {
	Config json.RawMessage `json:"config"`
	State  json.RawMessage `json:"state"`
}

// LastSeq reads the last sequence from the snapshot's state.
func (m StreamMeta) LastSeq() uint64 {
	var st struct {
		LastSeq uint64 `json:"last_seq"`
	}
	_ = json.Unmarshal(m.State, &st)
	return st.LastSeq
}

type apiError struct {
	Error *struct {
		Code        int    `json:"code"`
		Description string `json:"description"`
	} `json:"error,omitempty"`
}

func (e apiError) err() error {
	if e.Error == nil {
		return nil
	}
	return fmt.Errorf("jetstream: %s (%d)", e.Error.Description, e.Error.Code)
}

// Snapshot streams a consistent snapshot of the stream (messages, not
// consumers) to w with JetStream's snapshot API, acknowledging each chunk
// so the server never runs ahead of the writer.
func (l *Log) Snapshot(ctx context.Context, w io.Writer) (StreamMeta, error) {
	var meta StreamMeta
	inbox := nats.NewInbox()
	sub, err := l.nc.SubscribeSync(inbox)
	if err != nil {
		return meta, fmt.Errorf("eventlog: snapshot: %w", err)
	}
	defer sub.Unsubscribe()
	req, _ := json.Marshal(map[string]any{"deliver_subject": inbox, "no_consumers": true, "chunk_size": 256 << 10, "jsck": true})
	resp, err := l.nc.RequestWithContext(ctx, "$JS.API.STREAM.SNAPSHOT."+l.cfg.Stream, req)
	if err != nil {
		return meta, fmt.Errorf("eventlog: snapshot request: %w", err)
	}
	var sr struct {
		apiError
		StreamMeta
	}
	if err := json.Unmarshal(resp.Data, &sr); err != nil {
		return meta, fmt.Errorf("eventlog: snapshot response: %w", err)
	}
	if err := sr.err(); err != nil {
		return meta, fmt.Errorf("eventlog: snapshot: %w", err)
	}
	meta = sr.StreamMeta
	for {
		m, err := sub.NextMsgWithContext(ctx)
		if err != nil {
			return meta, fmt.Errorf("eventlog: snapshot chunk: %w", err)
		}
		if len(m.Data) == 0 {
			// The end: status 204 is success, anything else the reason.
			if st := m.Header.Get("Status"); st != "" && st != "204" {
				return meta, fmt.Errorf("eventlog: snapshot ended with %s %s", st, m.Header.Get("Description"))
			}
			return meta, nil
		}
		if _, err := w.Write(m.Data); err != nil {
			return meta, fmt.Errorf("eventlog: write snapshot: %w", err)
		}
		if m.Reply != "" {
			if err := l.nc.Publish(m.Reply, nil); err != nil {
				return meta, fmt.Errorf("eventlog: ack snapshot chunk: %w", err)
			}
		}
	}
}

// Restore creates the stream from a snapshot made by Snapshot. The stream
// must not exist.
func (l *Log) Restore(ctx context.Context, meta StreamMeta, r io.Reader) error {
	req, _ := json.Marshal(meta)
	resp, err := l.nc.RequestWithContext(ctx, "$JS.API.STREAM.RESTORE."+l.cfg.Stream, req)
	if err != nil {
		return fmt.Errorf("eventlog: restore request: %w", err)
	}
	var rr struct {
		apiError
		DeliverSubject string `json:"deliver_subject"`
	}
	if err := json.Unmarshal(resp.Data, &rr); err != nil {
		return fmt.Errorf("eventlog: restore response: %w", err)
	}
	if err := rr.err(); err != nil {
		return fmt.Errorf("eventlog: restore: %w", err)
	}
	buf := make([]byte, 128<<10)
	for {
		n, rerr := io.ReadFull(r, buf)
		if n > 0 {
			if _, err := l.nc.RequestWithContext(ctx, rr.DeliverSubject, buf[:n]); err != nil {
				return fmt.Errorf("eventlog: restore chunk: %w", err)
			}
		}
		if errors.Is(rerr, io.EOF) || errors.Is(rerr, io.ErrUnexpectedEOF) {
			break
		}
		if rerr != nil {
			return fmt.Errorf("eventlog: read snapshot: %w", rerr)
		}
	}
	// An empty message ends the transfer; the answer says whether the
	// server could restore the stream.
	cctx, cancel := context.WithTimeout(ctx, 5*time.Minute)
	defer cancel()
	resp, err = l.nc.RequestWithContext(cctx, rr.DeliverSubject, nil)
	if err != nil {
		return fmt.Errorf("eventlog: finish restore: %w", err)
	}
	var done apiError
	if err := json.Unmarshal(resp.Data, &done); err != nil {
		return fmt.Errorf("eventlog: restore result %q: %w", strings.TrimSpace(string(resp.Data)), err)
	}
	if err := done.err(); err != nil {
		return fmt.Errorf("eventlog: restore: %w", err)
	}
	return nil
}

// OpenForRestore connects like Open but does not create the stream, so that
// Restore can create it from a snapshot.
func OpenForRestore(ctx context.Context, cfg Config) (*Log, error) {
	cfg.setDefaults()
	return connect(cfg)
}
