package eventlog

import (
	"context"
	"fmt"
	"strconv"

	"github.com/nats-io/nats.go/jetstream"
)

// Positions.
//
// A log message may be a bundle: the messages of one request (or one
// chunk of an import) of one type, stored as one JetStream message, because
// JetStream's work is per stored message (its index, duplicate id,
// acknowledgement and a delivery to each consumer) and at tens of thousands
// of events a second that work was a quarter of the server's CPU. Everything
// above this package still sees one Delivery per message, and names it by
// its position: a number that grows with the log, unique per message, which
// the store, the profile engine and the journeys keep where they used to keep
// the stream sequence.
//
// A message stored by an older version (before the stream's metadata names
// positionsFromKey) keeps its stream sequence as its position. From that
// stream sequence on, message i of the JetStream message at sequence s has
// position posBase + s<<frameBits + i, except the last message of every
// JetStream message, which takes the index lastFrame: so "everything of
// stream sequence s" ends at the same position whatever s holds, and a
// reader that has applied s's last message has applied EndPos(s).
// posBase puts every such position above every stream sequence an older
// store holds, and keeps positions below 2^53, the largest integer a
// browser's JSON reads exactly, while s < 2^40.
const (
	frameBits = 12
	// MaxFrames is the most messages one bundle holds.
	MaxFrames = 1 << frameBits
	lastFrame = MaxFrames - 1
	posBase   = uint64(1) << 52
	// positionsFromKey is the stream metadata key holding the first stream
	// sequence whose messages have posBase positions.
	positionsFromKey = "tradewind_positions_from"
)

// position is the position of message i of n in the JetStream message at
// stream sequence seq (from the positioned part of the stream).
func position(seq uint64, i, n int) uint64 {
	idx := uint64(i)
	if i == n-1 {
		idx = lastFrame
	}
	return at(seq, idx)
}

// at is the position of index idx in the JetStream message at stream
// sequence seq (from the positioned part of the stream).
func at(seq, idx uint64) uint64 { return posBase | seq<<frameBits | idx }

// EndPos is the position of the last message held by the JetStream message
// at stream sequence seq.
func (l *Log) EndPos(seq uint64) uint64 {
	if seq == 0 || seq < l.posFrom {
		return seq
	}
	return at(seq, lastFrame)
}

// StreamSeq is the stream sequence of the JetStream message that holds the
// message at pos.
func StreamSeq(pos uint64) uint64 {
	if pos < posBase {
		return pos
	}
	return (pos &^ posBase) >> frameBits
}

// frameIndex is the index of pos within its JetStream message (lastFrame for
// the last one); ok is false for a position of an older store, which is a
// whole JetStream message.
func frameIndex(pos uint64) (idx uint64, ok bool) {
	if pos < posBase {
		return 0, false
	}
	return pos & lastFrame, true
}

// nextStreamSeq is the stream sequence a consumer resumes from after it has
// applied every message up to pos: bundles are applied whole, so the one
// after pos's.
func nextStreamSeq(pos uint64) uint64 {
	if pos == 0 {
		return 0
	}
	return StreamSeq(pos) + 1
}

// markPositions records, once per stream, the stream sequence from which
// messages have posBase positions: the next one for a stream that has
// messages of an older version, 1 for a new one. Later opens find it.
func (l *Log) markPositions(ctx context.Context, st jetstream.Stream) error {
	info := st.CachedInfo()
	if v, ok := info.Config.Metadata[positionsFromKey]; ok {
		from, err := strconv.ParseUint(v, 10, 64)
		if err != nil {
			return fmt.Errorf("eventlog: stream %s: metadata %s=%q is not a sequence", l.cfg.Stream, positionsFromKey, v)
		}
		l.posFrom = from
		return nil
	}
	from := info.State.LastSeq + 1
	cfg := info.Config
	md := make(map[string]string, len(cfg.Metadata)+1)
	for k, v := range cfg.Metadata {
		md[k] = v
	}
	md[positionsFromKey] = strconv.FormatUint(from, 10)
	cfg.Metadata = md
	if _, err := l.js.UpdateStream(ctx, cfg); err != nil {
		return fmt.Errorf("eventlog: stream %s: record where bundled positions start: %w", l.cfg.Stream, err)
	}
	l.posFrom = from
	return nil
}
