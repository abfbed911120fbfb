package audit

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"
)

var testKey = []byte("0123456789abcdef0123456789abcdef")

// clock is an injected clock that advances one second per reading.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func newClock() *clock {
	return &clock{t: time.Date(2026, 3, 1, 9, 0, 0, 0, time.UTC)}
}

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(time.Second)
	return c.t
}

// fixture is a log in a temporary directory with its checkpoint beside it.
type fixture struct {
	t     *testing.T
	dir   string
	path  string
	cp    FileCheckpointer
	key   []byte
	clock *clock
	log   *Log
}

func newFixture(t *testing.T, key []byte) *fixture {
	t.Helper()
	dir := t.TempDir()
	fx := &fixture{
		t:     t,
		dir:   dir,
		path:  filepath.Join(dir, "audit.log"),
		cp:    FileCheckpointer{Path: filepath.Join(dir, "audit.checkpoint")},
		key:   key,
		clock: newClock(),
	}
	fx.open()
	t.Cleanup(func() {
		if fx.log != nil {
			fx.log.Close()
		}
	})
	return fx
}

func (fx *fixture) open() *Log {
	fx.t.Helper()
	l, err := Open(fx.path, fx.cp, Options{Key: fx.key, Now: fx.clock.Now})
	if err != nil {
		fx.t.Fatalf("Open: %v", err)
	}
	fx.log = l
	return l
}

func (fx *fixture) close() {
	fx.t.Helper()
	if err := fx.log.Close(); err != nil {
		fx.t.Fatalf("Close: %v", err)
	}
	fx.log = nil
}

// appendN appends n entries by actors u1, u2, … and returns them.
func (fx *fixture) appendN(n int) []Entry {
	fx.t.Helper()
	var out []Entry
	for i := 1; i <= n; i++ {
		e, err := fx.log.Append(context.Background(), Entry{
			Actor:     fmt.Sprintf("u%d", i),
			ActorKind: "user",
			Role:      "analyst",
			Action:    "query.sql",
			Target:    fmt.Sprintf("report-%d", i),
			Outcome:   OutcomeOK,
			IP:        "203.0.113.7",
			UserAgent: "tradewind-cli/1.0",
			Detail:    map[string]any{"rows": i * 10},
		})
		if err != nil {
			fx.t.Fatalf("Append %d: %v", i, err)
		}
		out = append(out, e)
	}
	return out
}

func (fx *fixture) verify() Report {
	fx.t.Helper()
	rep, err := Verify(fx.path, fx.cp, fx.key)
	if err != nil {
		fx.t.Fatalf("Verify: %v", err)
	}
	return rep
}

func (fx *fixture) lines() []string {
	fx.t.Helper()
	b, err := os.ReadFile(fx.path)
	if err != nil {
		fx.t.Fatal(err)
	}
	s := strings.TrimSuffix(string(b), "\n")
	if s == "" {
		return nil
	}
	return strings.Split(s, "\n")
}

// writeLines replaces the file's content with lines, each ended by a
// newline unless noFinalNewline.
func (fx *fixture) writeLines(lines []string, noFinalNewline bool) {
	fx.t.Helper()
	s := strings.Join(lines, "\n")
	if !noFinalNewline && len(lines) > 0 {
		s += "\n"
	}
	if err := os.WriteFile(fx.path, []byte(s), 0o600); err != nil {
		fx.t.Fatal(err)
	}
}

// rehash recomputes a line's hash after it was edited, as an attacker with
// key (nil: plain SHA-256) would.
func rehash(line string, key []byte) string {
	open := line[:len(line)-hashTailLen]
	var sum []byte
	if len(key) > 0 {
		m := hmac.New(sha256.New, key)
		m.Write([]byte(open + "}"))
		sum = m.Sum(nil)
	} else {
		s := sha256.Sum256([]byte(open + "}"))
		sum = s[:]
	}
	return open + hashSuffix + hex.EncodeToString(sum) + `"}`
}

// rechain rewrites the prev links and hashes of lines from the first on,
// as an attacker rewriting the whole chain would.
func rechain(lines []string, key []byte) []string {
	out := slices.Clone(lines)
	prev := zeroHash
	for i, l := range out {
		var e struct {
			Prev string `json:"prev"`
		}
		if err := json.Unmarshal([]byte(l), &e); err != nil {
			panic(err)
		}
		l = strings.Replace(l, `"prev":"`+e.Prev+`"`, `"prev":"`+prev+`"`, 1)
		l = rehash(l, key)
		out[i] = l
		var h struct {
			Hash string `json:"hash"`
		}
		json.Unmarshal([]byte(l), &h)
		prev = h.Hash
	}
	return out
}

// kinds returns the problem kinds in order.
func kinds(ps []Problem) []string {
	var out []string
	for _, p := range ps {
		out = append(out, p.Kind)
	}
	return out
}

func hasKind(ps []Problem, kind string) bool {
	return slices.Contains(kinds(ps), kind)
}
