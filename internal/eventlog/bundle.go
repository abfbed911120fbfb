package eventlog

import (
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"fmt"
	"strconv"
	"strings"

	"github.com/nats-io/nats.go"
)

// Bundles (see position.go for why they exist and how their messages are
// named).
//
// A bundle's body is its messages one after the other, each as
//
//	uvarint index | uvarint len | meta | uvarint len | messageId | uvarint len | body
//
// where index is the message's index within the bundle (lastFrame for the
// last one) — written out, so that a copy of the bundle rewritten by an
// erasure keeps the indices of the messages it still holds — and meta is
// Meta.encode's text. Its headers: Tw-Frames (how many messages it held
// when first written) marks it as a bundle; Nats-Msg-Id is a digest of its
// messages' deduplication keys, so a client's retry of the same request is
// still JetStream's duplicate.
//
// A rewritten copy goes to rewrittenSubject and carries Tw-Replaces: the
// stream sequences of the copies it replaces, the original first. A
// consumer that read any of them passes it over; one that passed over all
// of them (it reached them after they were deleted) reads the copy, at
// positions of the copy's own stream sequence with the same indices, so
// positions still grow in the order it reads. Get and SecureDelete accept
// a position in any copy.
const (
	headerFrames   = "Tw-Frames"
	headerReplaces = "Tw-Replaces"
	// maxBundleBytes bounds a bundle's body: a 500 KB request fits in one.
	maxBundleBytes = 768 << 10
	// rewrittenToken is the subject token between the prefix and the type
	// of a bundle rewritten by an erasure.
	rewrittenToken = "rewritten"
)

// frame is one message of a bundle as read back.
type frame struct {
	idx  uint64
	meta Meta
	data []byte
}

// appendFrame appends one message to a bundle's body.
func appendFrame(b []byte, idx uint64, m *Message) []byte {
	b = binary.AppendUvarint(b, idx)
	meta := m.Meta.encode()
	b = binary.AppendUvarint(b, uint64(len(meta)))
	b = append(b, meta...)
	b = binary.AppendUvarint(b, uint64(len(m.Meta.MessageID)))
	b = append(b, m.Meta.MessageID...)
	b = binary.AppendUvarint(b, uint64(len(m.Data)))
	return append(b, m.Data...)
}

// frameSize is an upper bound of what appendFrame adds for m.
func frameSize(m *Message) int {
	return 4*binary.MaxVarintLen64 + 96 + len(m.Meta.Source) + len(m.Meta.ImportID) + len(m.Meta.MessageID) + len(m.Data)
}

// readFrames decodes a bundle's body. The frames' data alias body.
func readFrames(body []byte, dst []frame) ([]frame, error) {
	for len(body) > 0 {
		idx, n := binary.Uvarint(body)
		if n <= 0 || idx > lastFrame {
			return dst, fmt.Errorf("bad message index in bundle")
		}
		body = body[n:]
		var parts [3][]byte
		for i := range parts {
			l, n := binary.Uvarint(body)
			if n <= 0 || l > uint64(len(body)-n) {
				return dst, fmt.Errorf("bad length in bundle message %d", idx)
			}
			parts[i] = body[n : n+int(l)]
			body = body[n+int(l):]
		}
		meta, err := decodeMeta(string(parts[0]), "")
		if err != nil {
			return dst, err
		}
		meta.MessageID = string(parts[1])
		dst = append(dst, frame{idx: idx, meta: meta, data: parts[2]})
	}
	return dst, nil
}

// bundleID is the Nats-Msg-Id of a bundle: a digest of its messages'
// deduplication keys, in order. It says nothing about the messages (ids
// may be a customer's own values), only whether a bundle is sent again.
func bundleID(msgs []Message) string {
	h := sha256.New()
	var n [binary.MaxVarintLen64]byte
	for i := range msgs {
		m := &msgs[i]
		h.Write(binary.AppendUvarint(n[:0], uint64(len(m.Meta.Source))))
		h.Write([]byte(m.Meta.Source))
		h.Write(binary.AppendUvarint(n[:0], uint64(len(m.Meta.MessageID))))
		h.Write([]byte(m.Meta.MessageID))
	}
	var sum [sha256.Size]byte
	return "bundle/" + hex.EncodeToString(h.Sum(sum[:0])[:16])
}

// bundleMsg builds the JetStream message of a bundle of msgs (all of one
// type).
func (l *Log) bundleMsg(msgs []Message) *nats.Msg {
	size := 0
	for i := range msgs {
		size += frameSize(&msgs[i])
	}
	body := make([]byte, 0, size)
	for i := range msgs {
		idx := uint64(i)
		if i == len(msgs)-1 {
			idx = lastFrame
		}
		body = appendFrame(body, idx, &msgs[i])
	}
	return &nats.Msg{
		Subject: l.Subject(msgs[0].Type),
		Data:    body,
		Header: nats.Header{
			headerMsgID:  []string{bundleID(msgs)},
			headerFrames: []string{strconv.Itoa(len(msgs))},
		},
	}
}

// rewrittenSubject is where a rewritten bundle of msgType goes.
func (l *Log) rewrittenSubject(msgType string) string {
	return l.cfg.SubjectPrefix + "." + rewrittenToken + "." + msgType
}

// isRewritten reports whether subj is a rewritten bundle's subject.
func (l *Log) isRewritten(subj string) bool {
	p := l.cfg.SubjectPrefix
	return len(subj) > len(p)+len(rewrittenToken)+2 && strings.HasPrefix(subj, p) &&
		subj[len(p)] == '.' && strings.HasPrefix(subj[len(p)+1:], rewrittenToken+".")
}

// splitRuns cuts msgs into the runs that become one JetStream message each:
// consecutive messages of one type, at most MaxFrames of them and maxBytes
// of body. The log keeps the request's order.
func splitRuns(msgs []Message, maxBytes int) [][2]int {
	var runs [][2]int
	start, size := 0, 0
	for i := range msgs {
		s := frameSize(&msgs[i])
		if i > start && (msgs[i].Type != msgs[start].Type || i-start == MaxFrames || size+s > maxBytes) {
			runs = append(runs, [2]int{start, i})
			start, size = i, 0
		}
		size += s
	}
	if len(msgs) > start {
		runs = append(runs, [2]int{start, len(msgs)})
	}
	return runs
}
