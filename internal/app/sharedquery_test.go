package app

import (
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/tradewind/tradewind/internal/testlog"
)

// TestSharedQueryAnswers: POST /v1/query/shared answers like /v1/query,
// serves the same answer to the next asker instead of querying again, asks
// again once the store has grown by more than 5%, and refuses bad SQL
// naming the field.
func TestSharedQueryAnswers(t *testing.T) {
	n := openNode(t, Config{DataDir: t.TempDir()})
	_, key := n.createSource("shop", "EUR")
	send := func(from, to int) {
		var msgs []string
		for i := from; i < to; i++ {
			msgs = append(msgs, fmt.Sprintf(`{"type":"track","userId":"u%d","event":"Viewed","messageId":"m%d"}`, i, i))
		}
		if code, m := n.do("POST", "/v1/batch", basic(key), []byte(`{"batch":[`+strings.Join(msgs, ",")+`]}`), nil); code != 200 {
			t.Fatalf("batch: %d %v", code, m)
		}
	}
	shared := func(sql string) (int, map[string]any) {
		b, _ := json.Marshal(map[string]string{"sql": sql})
		return n.do("POST", "/v1/query/shared", "Bearer "+n.token, b, nil)
	}
	const q = "SELECT count(*) AS n FROM events WHERE event = 'Viewed'"
	send(0, 20)
	n.waitCount(q, 20)
	code, first := shared(q)
	if code != 200 || first["rows"].([]any)[0].([]any)[0] != float64(20) || first["computed_at"] == nil {
		t.Fatalf("first answer: %d %v", code, first)
	}
	send(20, 21) // under 5% of the store's messages: the answer stands
	n.waitCount(q, 21)
	if _, again := shared(q); again["computed_at"] != first["computed_at"] || again["rows"].([]any)[0].([]any)[0] != float64(20) {
		t.Fatalf("the second asker got %v, want the first answer %v", again, first)
	}
	send(21, 40) // the store grew by far more than 5%: asked again
	n.waitCount(q, 40)
	if _, later := shared(q); later["rows"].([]any)[0].([]any)[0] != float64(40) {
		t.Fatalf("after the store grew: %v, want 40", later)
	}
	if code, m := shared("SELEKT 1"); code != 400 || m["field"] != "sql" {
		t.Fatalf("bad SQL: %d %v", code, m)
	}
	if code, m := shared(" "); code != 400 || m["field"] != "sql" {
		t.Fatalf("empty SQL: %d %v", code, m)
	}
}

// TestWarmUpOnlyWhenServing: Open starts no dashboard warm-up (the
// one-shot commands and the tests do not pay for it); StartServing does.
func TestWarmUpOnlyWhenServing(t *testing.T) {
	var log lines
	n := openNode(t, Config{DataDir: t.TempDir(),
		Logger: slog.New(slog.NewTextHandler(io.MultiWriter(&log, testlog.Writer(t)), nil))})
	// Time for a warm-up of the empty store to run, had Open started one.
	_, key := n.createSource("shop", "EUR")
	if code, m := n.do("POST", "/v1/track", basic(key), []byte(`{"type":"track","userId":"u1","event":"Viewed","messageId":"m1"}`), nil); code != 200 {
		t.Fatalf("track: %d %v", code, m)
	}
	n.waitCount("SELECT count(*) FROM events", 1)
	if log.has("dashboard warm-up") {
		t.Fatal("Open started the dashboard warm-up")
	}
	n.a.StartServing()
	for deadline := time.Now().Add(30 * time.Second); !log.has("dashboard warm-up done"); time.Sleep(20 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatal("StartServing did not warm the dashboard up")
		}
	}
}

// lines keeps a log's output for a test to search.
type lines struct {
	mu sync.Mutex
	b  strings.Builder
}

func (l *lines) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lines) has(s string) bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	return strings.Contains(l.b.String(), s)
}
