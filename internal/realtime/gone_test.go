package realtime

import (
	"bytes"
	"testing"
	"time"

	"github.com/tradewind/tradewind/internal/store"
)

// TestGoneMarkerRemarkedDuringFlushSurvives: a profile marked for removal
// again after the flusher read its marker keeps the marker when the flush
// clears what it flushed, so the second removal reaches the store too.
func TestGoneMarkerRemarkedDuringFlushSurvives(t *testing.T) {
	e, err := Open(Config{Dir: t.TempDir(), Projector: &store.Projector{
		Source: func(string) (store.SourceInfo, bool) { return store.SourceInfo{}, false }}})
	if err != nil {
		t.Fatal(err)
	}
	defer e.db.Close()
	key := []byte(string(prefGone) + "p1")
	mark := func() []byte {
		t.Helper()
		b := e.db.NewIndexedBatch()
		if err := e.parts.gone(b, newReadCache(e.cache), "p1"); err != nil {
			t.Fatal(err)
		}
		if err := b.Commit(nil); err != nil {
			t.Fatal(err)
		}
		v, closer, err := e.db.Get(key)
		if err != nil {
			t.Fatal(err)
		}
		defer closer.Close()
		return bytes.Clone(v)
	}
	read := mark() // what a flush read
	time.Sleep(time.Microsecond)
	mark() // removed again while that flush ran
	e.mu.Lock()
	err = e.clearMarkers([]marker{{key: key, val: read}})
	e.mu.Unlock()
	if err != nil {
		t.Fatal(err)
	}
	if _, closer, err := e.db.Get(key); err != nil {
		t.Fatalf("the second removal's marker was cleared: %v", err)
	} else {
		closer.Close()
	}
	// Without a new mark the flushed marker goes.
	read = mark()
	e.mu.Lock()
	err = e.clearMarkers([]marker{{key: key, val: read}})
	e.mu.Unlock()
	if _, closer, gerr := e.db.Get(key); err != nil || gerr == nil {
		if gerr == nil {
			closer.Close()
		}
		t.Fatalf("a flushed marker stayed (%v)", err)
	}
}
