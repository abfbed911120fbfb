package eventlog

import (
	"testing"
	"time"
)

// FuzzReadFrames: a bundle's body read back from the log never panics,
// whatever its bytes, and a body written by appendFrame reads back as
// written.
func FuzzReadFrames(f *testing.F) {
	now := time.Unix(1700000000, 0).UTC()
	m := Message{Type: "track", Meta: Meta{Source: "s", MessageID: "m-1", ReceivedAt: now, Timestamp: now}, Data: []byte(`{"event":"x"}`)}
	f.Add(appendFrame(appendFrame(nil, 0, &m), lastFrame, &m), "m-1", []byte(`{}`))
	f.Add([]byte{0xff, 0xff, 0xff}, "", []byte(nil))
	f.Fuzz(func(t *testing.T, body []byte, id string, data []byte) {
		_, _ = readFrames(body, nil)
		in := Message{Type: "track", Meta: Meta{Source: "src", MessageID: id, ReceivedAt: now, Timestamp: now.Add(-time.Second)}, Data: data}
		frames, err := readFrames(appendFrame(nil, 7, &in), nil)
		if err != nil || len(frames) != 1 {
			t.Fatalf("round trip: %v, %d frames", err, len(frames))
		}
		got := frames[0]
		if got.idx != 7 || got.meta.MessageID != id || got.meta.Source != "src" || string(got.data) != string(data) ||
			!got.meta.Timestamp.Equal(in.Meta.Timestamp) {
			t.Fatalf("round trip: %+v", got)
		}
	})
}
