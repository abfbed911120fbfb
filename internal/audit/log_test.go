package audit

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"reflect"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"
	"unicode/utf8"
)

func TestAppendAndVerify(t *testing.T) {
	fx := newFixture(t, testKey)
	entries := fx.appendN(20)
	for i, e := range entries {
		if e.Seq != uint64(i+1) {
			t.Fatalf("entry %d has seq %d", i, e.Seq)
		}
		wantPrev := zeroHash
		if i > 0 {
			wantPrev = entries[i-1].Hash
		}
		if e.Prev != wantPrev || !validHash(e.Hash) {
			t.Fatalf("entry %d: prev %s hash %s", e.Seq, e.Prev, e.Hash)
		}
		if e.Time.Location() != time.UTC || e.Time.IsZero() {
			t.Fatalf("entry %d time %v", e.Seq, e.Time)
		}
	}
	fi, err := os.Stat(fx.path)
	if err != nil {
		t.Fatal(err)
	}
	if fi.Mode().Perm() != 0o600 {
		t.Fatalf("log mode %v, want 0600", fi.Mode().Perm())
	}

	rep := fx.verify()
	if !rep.OK || rep.Entries != 20 || rep.HeadSeq != 20 || rep.HeadHash != entries[19].Hash || rep.CheckpointSeq != 20 {
		t.Fatalf("report %+v", rep)
	}
	live, err := fx.log.Verify(context.Background())
	if err != nil || !live.OK || live.Entries != 20 {
		t.Fatalf("Log.Verify: %+v, %v", live, err)
	}
	if h := fx.log.Health(); !h.OK || h.Seq != 20 || h.Hash != entries[19].Hash {
		t.Fatalf("health %+v", h)
	}

	// What Append returns is what Search reads back.
	got, err := fx.log.Search(context.Background(), Filter{Limit: 1000})
	if err != nil {
		t.Fatal(err)
	}
	slices.Reverse(got)
	if !reflect.DeepEqual(got, entries) {
		t.Fatalf("search returned\n%+v\nwant\n%+v", got[0], entries[0])
	}
}

// TestCanonicalEncoding checks the documented format by hand, as an
// outside verifier would.
func TestCanonicalEncoding(t *testing.T) {
	fx := newFixture(t, nil)
	e, err := fx.log.Append(context.Background(), Entry{
		Actor: "u1", Action: "auth.login", Outcome: OutcomeOK,
		Detail: map[string]any{"b": 1, "a": []any{"x", true, nil}},
	})
	if err != nil {
		t.Fatal(err)
	}
	line := fx.lines()[0]
	want := `{"seq":1,"time":"` + e.Time.Format(time.RFC3339Nano) + `","actor":"u1","actor_email":"","actor_kind":"","role":"",` +
		`"action":"auth.login","target":"","outcome":"ok","ip":"","user_agent":"","detail":{"a":["x",true,null],"b":1},` +
		`"prev":"` + zeroHash + `","hash":"` + e.Hash + `"}`
	if line != want {
		t.Fatalf("line\n%s\nwant\n%s", line, want)
	}
	if rehash(line, nil) != line {
		t.Fatal("the hash is not SHA-256 of the line without its hash member")
	}
	fx2 := newFixture(t, testKey)
	fx2.appendN(1)
	l2 := fx2.lines()[0]
	if rehash(l2, testKey) != l2 || rehash(l2, nil) == l2 {
		t.Fatal("with a key the hash is not HMAC-SHA256")
	}
}

func TestTampering(t *testing.T) {
	type tc struct {
		name   string
		key    []byte
		tamper func(fx *fixture, lines []string)
		want   []string // problem kinds, in order
		seq    uint64   // Seq of the first problem
		line   int      // Line of the first problem
	}
	edit := func(lines []string, i int, from, to string) {
		if !strings.Contains(lines[i], from) {
			panic("no " + from + " in " + lines[i])
		}
		lines[i] = strings.Replace(lines[i], from, to, 1)
	}
	cases := []tc{
		{
			name: "edited field",
			key:  testKey,
			tamper: func(fx *fixture, l []string) {
				edit(l, 4, `"actor":"u5"`, `"actor":"u9"`)
				fx.writeLines(l, false)
			},
			want: []string{KindEdited}, seq: 5, line: 5,
		},
		{
			name: "edited and rehashed without key",
			key:  nil,
			tamper: func(fx *fixture, l []string) {
				edit(l, 4, `"outcome":"ok"`, `"outcome":"denied"`)
				l[4] = rehash(l[4], nil)
				fx.writeLines(l, false)
			},
			want: []string{KindEdited}, seq: 5, line: 5,
		},
		{
			name: "removed middle line",
			key:  testKey,
			tamper: func(fx *fixture, l []string) {
				fx.writeLines(slices.Delete(l, 4, 5), false)
			},
			want: []string{KindRemoved}, seq: 5, line: 5,
		},
		{
			name: "removed three middle lines",
			key:  testKey,
			tamper: func(fx *fixture, l []string) {
				fx.writeLines(slices.Delete(l, 3, 6), false)
			},
			want: []string{KindRemoved}, seq: 4, line: 4,
		},
		{
			name: "swapped adjacent lines",
			key:  testKey,
			tamper: func(fx *fixture, l []string) {
				l[4], l[5] = l[5], l[4]
				fx.writeLines(l, false)
			},
			want: []string{KindReordered}, seq: 6, line: 5,
		},
		{
			name: "swapped distant lines",
			key:  testKey,
			tamper: func(fx *fixture, l []string) {
				l[2], l[6] = l[6], l[2]
				fx.writeLines(l, false)
			},
			want: []string{KindReordered, KindReordered},
			seq:  7, line: 3,
		},
		{
			name: "swapped first two lines",
			key:  testKey,
			tamper: func(fx *fixture, l []string) {
				l[0], l[1] = l[1], l[0]
				fx.writeLines(l, false)
			},
			want: []string{KindReordered}, seq: 2, line: 1,
		},
		{
			name: "swapped last two lines",
			key:  testKey,
			tamper: func(fx *fixture, l []string) {
				l[8], l[9] = l[9], l[8]
				fx.writeLines(l, false)
			},
			want: []string{KindReordered}, seq: 10, line: 9,
		},
		{
			name: "line moved far later",
			key:  testKey,
			tamper: func(fx *fixture, l []string) {
				moved := l[2]
				l = slices.Delete(l, 2, 3)
				l = slices.Insert(l, 7, moved)
				fx.writeLines(l, false)
			},
			want: []string{KindReordered}, seq: 3, line: 8,
		},
		{
			name: "last lines dropped",
			key:  testKey,
			tamper: func(fx *fixture, l []string) {
				fx.writeLines(l[:7], false)
			},
			want: []string{KindTruncated}, seq: 8, line: 0,
		},
		{
			name: "last line cut in half",
			key:  testKey,
			tamper: func(fx *fixture, l []string) {
				l[9] = l[9][:len(l[9])/2]
				fx.writeLines(l, true)
			},
			want: []string{KindMalformed, KindTruncated}, seq: 10, line: 10,
		},
		{
			name: "garbage line in the middle",
			key:  testKey,
			tamper: func(fx *fixture, l []string) {
				l = slices.Insert(l, 5, "this is not json")
				fx.writeLines(l, false)
			},
			want: []string{KindMalformed}, seq: 0, line: 6,
		},
		{
			name: "checkpoint deleted",
			key:  testKey,
			tamper: func(fx *fixture, l []string) {
				if err := os.Remove(fx.cp.Path); err != nil {
					panic(err)
				}
			},
			want: []string{KindCheckpointMissing},
		},
		{
			name: "line replayed",
			key:  testKey,
			tamper: func(fx *fixture, l []string) {
				fx.writeLines(slices.Insert(l, 6, l[2]), false)
			},
			want: []string{KindInserted}, seq: 3, line: 7,
		},
		{
			name: "forged line before its namesake",
			key:  nil, // without a key the forger can compute a valid hash
			tamper: func(fx *fixture, l []string) {
				forged := strings.Replace(l[4], `"actor":"u5"`, `"actor":"mallory"`, 1)
				forged = rehash(forged, nil)
				fx.writeLines(slices.Insert(l, 4, forged), false)
			},
			want: []string{KindInserted}, seq: 5, line: 5,
		},
		{
			name: "forged line with an absurd seq",
			key:  testKey,
			tamper: func(fx *fixture, l []string) {
				forged := strings.Replace(l[4], `{"seq":5,`, `{"seq":1000,`, 1)
				fx.writeLines(slices.Insert(l, 4, forged), false)
			},
			want: []string{KindEdited, KindInserted}, seq: 1000, line: 5,
		},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			fx := newFixture(t, c.key)
			fx.appendN(10)
			fx.close()
			c.tamper(fx, fx.lines())
			rep := fx.verify()
			if rep.OK {
				t.Fatalf("tampering not detected: %+v", rep)
			}
			if got := kinds(rep.Problems); !slices.Equal(got, c.want) {
				t.Fatalf("problems %v, want %v:\n%+v", got, c.want, rep.Problems)
			}
			if p := rep.Problems[0]; c.seq != 0 && (p.Seq != c.seq || p.Line != c.line) {
				t.Fatalf("first problem at seq %d line %d, want seq %d line %d: %+v", p.Seq, p.Line, c.seq, c.line, p)
			}
			for _, p := range rep.Problems {
				if p.Detail == "" || strings.Contains(p.Detail, "u5") || strings.Contains(p.Detail, "mallory") {
					t.Fatalf("problem detail %q is empty or quotes an entry", p.Detail)
				}
			}
		})
	}
}

func TestHMACDefeatsRecomputedChain(t *testing.T) {
	fx := newFixture(t, testKey)
	fx.appendN(10)
	fx.close()
	lines := fx.lines()
	// The attacker changes an entry and recomputes the whole chain and the
	// checkpoint, but does not have the key.
	lines[3] = strings.Replace(lines[3], `"actor":"u4"`, `"actor":"u7"`, 1)
	forged := rechain(lines, nil)
	fx.writeLines(forged, false)
	var last struct {
		Seq  uint64 `json:"seq"`
		Hash string `json:"hash"`
	}
	json.Unmarshal([]byte(forged[9]), &last)
	if err := fx.cp.Save(last.Seq, last.Hash); err != nil {
		t.Fatal(err)
	}

	if rep, _ := Verify(fx.path, fx.cp, nil); !rep.OK {
		t.Fatalf("the forged chain should verify without the key (that is the point of the key): %+v", rep.Problems)
	}
	rep := fx.verify()
	if rep.OK || !hasKind(rep.Problems, KindEdited) {
		t.Fatalf("recomputed chain not detected with the key: %+v", rep)
	}
	// A guessed key is no better.
	fx.writeLines(rechain(lines, []byte("guess")), false)
	if rep := fx.verify(); rep.OK {
		t.Fatal("chain recomputed with a wrong key verifies")
	}
}

func TestConcurrentAppends(t *testing.T) {
	fx := newFixture(t, testKey)
	const workers, each = 16, 40
	var wg sync.WaitGroup
	seqs := make(chan uint64, workers*each)
	for w := range workers {
		wg.Go(func() {
			for i := range each {
				e, err := fx.log.Append(context.Background(), Entry{
					Actor: fmt.Sprintf("w%d", w), Action: "query.sql", Outcome: OutcomeOK,
					Detail: map[string]any{"i": i},
				})
				if err != nil {
					t.Error(err)
					return
				}
				seqs <- e.Seq
			}
		})
	}
	wg.Wait()
	close(seqs)
	seen := map[uint64]bool{}
	for s := range seqs {
		if seen[s] {
			t.Fatalf("seq %d given twice", s)
		}
		seen[s] = true
	}
	for s := uint64(1); s <= workers*each; s++ {
		if !seen[s] {
			t.Fatalf("seq %d missing", s)
		}
	}
	if rep := fx.verify(); !rep.OK || rep.Entries != workers*each {
		t.Fatalf("report %+v", rep)
	}
}

func TestReopenContinuesChain(t *testing.T) {
	fx := newFixture(t, testKey)
	first := fx.appendN(5)
	if _, err := Open(fx.path, fx.cp, Options{Key: testKey}); !errors.Is(err, ErrLocked) {
		t.Fatalf("second Open of an open log: %v, want ErrLocked", err)
	}
	fx.close()
	fx.open()
	if h := fx.log.Health(); !h.OK || h.Seq != 5 {
		t.Fatalf("health after reopen %+v", h)
	}
	next := fx.appendN(1)[0]
	if next.Seq != 6 || next.Prev != first[4].Hash {
		t.Fatalf("after reopen seq %d prev %s, want 6 after %s", next.Seq, next.Prev, first[4].Hash)
	}
	if !next.Time.After(first[4].Time) {
		t.Fatal("time went backwards")
	}
	if rep := fx.verify(); !rep.OK || rep.Entries != 6 {
		t.Fatalf("report %+v", rep)
	}
}

func TestOpenAfterTruncation(t *testing.T) {
	fx := newFixture(t, testKey)
	entries := fx.appendN(10)
	fx.close()
	fx.writeLines(fx.lines()[:7], false)

	fx.open()
	h := fx.log.Health()
	if h.OK || len(h.Problems) != 1 || h.Problems[0].Kind != KindTruncated || h.Problems[0].Seq != 8 {
		t.Fatalf("health %+v", h)
	}
	// The integrity entry continues from the checkpoint.
	rec, err := fx.log.Search(context.Background(), Filter{Action: ActionIntegrity})
	if err != nil || len(rec) != 1 {
		t.Fatalf("integrity entries %+v, %v", rec, err)
	}
	if rec[0].Seq != 11 || rec[0].Prev != entries[9].Hash || rec[0].Detail["kind"] != KindTruncated || rec[0].Outcome != OutcomeFailed {
		t.Fatalf("integrity entry %+v", rec[0])
	}
	fx.appendN(2)

	// Restarting again does not forget: the gap stays in the chain.
	fx.close()
	fx.open()
	if h := fx.log.Health(); !h.OK {
		t.Fatalf("a second restart found new problems: %+v", h)
	}
	rep := fx.verify()
	if rep.OK || !slices.Equal(kinds(rep.Problems), []string{KindTruncated}) || rep.Problems[0].Seq != 8 {
		t.Fatalf("report %+v", rep)
	}
	if len(rep.Recorded) != 1 || rep.Recorded[0].Kind != KindTruncated || rep.Recorded[0].Seq != 11 {
		t.Fatalf("recorded %+v", rep.Recorded)
	}
	if rep.HeadSeq != 13 {
		t.Fatalf("head %d", rep.HeadSeq)
	}
}

func TestOpenRepairsTornTail(t *testing.T) {
	t.Run("incomplete entry", func(t *testing.T) {
		fx := newFixture(t, testKey)
		fx.appendN(5)
		fx.close()
		lines := fx.lines()
		lines[4] = lines[4][:40]
		fx.writeLines(lines, true)

		fx.open()
		h := fx.log.Health()
		if got := kinds(h.Problems); !slices.Equal(got, []string{KindTruncated, KindMalformed}) {
			t.Fatalf("health problems %v: %+v", got, h.Problems)
		}
		fx.appendN(1)
		rep := fx.verify()
		// The cut entry is gone for good, and that stays visible.
		if rep.OK || !slices.Equal(kinds(rep.Problems), []string{KindTruncated}) || rep.Problems[0].Seq != 5 {
			t.Fatalf("report %+v", rep)
		}
		if len(rep.Recorded) != 2 {
			t.Fatalf("recorded %+v", rep.Recorded)
		}
	})
	t.Run("newline missing", func(t *testing.T) {
		fx := newFixture(t, testKey)
		fx.appendN(5)
		fx.close()
		fx.writeLines(fx.lines(), true)
		fx.open()
		if h := fx.log.Health(); !h.OK {
			t.Fatalf("health %+v", h)
		}
		fx.appendN(1)
		if rep := fx.verify(); !rep.OK || rep.Entries != 6 {
			t.Fatalf("report %+v", rep)
		}
	})
}

func TestOpenWithoutCheckpoint(t *testing.T) {
	fx := newFixture(t, testKey)
	fx.appendN(3)
	fx.close()
	os.Remove(fx.cp.Path)
	fx.open()
	h := fx.log.Health()
	if h.OK || !slices.Equal(kinds(h.Problems), []string{KindCheckpointMissing}) {
		t.Fatalf("health %+v", h)
	}
	// The checkpoint is back and the log is whole; the incident is kept.
	rep := fx.verify()
	if !rep.OK || rep.CheckpointSeq != 4 || len(rep.Recorded) != 1 || rep.Recorded[0].Kind != KindCheckpointMissing {
		t.Fatalf("report %+v", rep)
	}
}

func TestOpenDetectsWrongKey(t *testing.T) {
	fx := newFixture(t, testKey)
	fx.appendN(3)
	fx.close()
	fx.key = []byte("another key entirely, 32 bytes!!")
	fx.open()
	if h := fx.log.Health(); h.OK || !hasKind(h.Problems, KindEdited) {
		t.Fatalf("health %+v", h)
	}
}

func TestOpenWithCheckpointBehind(t *testing.T) {
	fx := newFixture(t, testKey)
	entries := fx.appendN(5)
	fx.close()
	// A crash between the sync and the checkpoint save.
	if err := fx.cp.Save(4, entries[3].Hash); err != nil {
		t.Fatal(err)
	}
	fx.open()
	if h := fx.log.Health(); !h.OK {
		t.Fatalf("health %+v", h)
	}
	seq, hash, _, _ := fx.cp.Load()
	if seq != 5 || hash != entries[4].Hash {
		t.Fatalf("checkpoint not brought up to date: %d %s", seq, hash)
	}
}

func TestInvalidEntries(t *testing.T) {
	fx := newFixture(t, nil)
	for _, e := range []Entry{
		{Action: "auth.login", Outcome: OutcomeOK},
		{Actor: "u1", Action: "login", Outcome: OutcomeOK},
		{Actor: "u1", Action: "Auth.Login", Outcome: OutcomeOK},
		{Actor: "u1", Action: "auth..login", Outcome: OutcomeOK},
		{Actor: "u1", Action: "auth.login", Outcome: "success"},
		{Actor: "u1", Action: "auth.login"},
	} {
		if _, err := fx.log.Append(context.Background(), e); !errors.Is(err, ErrInvalidEntry) {
			t.Errorf("Append(%+v) = %v, want ErrInvalidEntry", e, err)
		}
	}
	if h := fx.log.Health(); h.Seq != 0 {
		t.Fatalf("invalid entries were written: %+v", h)
	}
}

func TestAppendNormalizes(t *testing.T) {
	fx := newFixture(t, nil)
	type point struct{ B, A int }
	e, err := fx.log.Append(context.Background(), Entry{
		Actor:     "u1",
		Action:    "privacy.export",
		Outcome:   OutcomeOK,
		UserAgent: strings.Repeat("Mozilla/5.0 ", 100),
		Seq:       99, // ignored
		Hash:      "forged",
		Detail: map[string]any{
			"id":    uint64(18446744073709551615),
			"point": point{B: 2, A: 1},
			"ratio": 0.25,
			"bad":   "\xff\xfe",
		},
	})
	if err != nil {
		t.Fatal(err)
	}
	if e.Seq != 1 || len(e.UserAgent) > maxUserAgent || !strings.HasSuffix(e.UserAgent, "…") {
		t.Fatalf("entry %+v", e)
	}
	if e.Detail["id"] != json.Number("18446744073709551615") {
		t.Fatalf("large id lost digits: %#v", e.Detail["id"])
	}
	if bad, _ := e.Detail["bad"].(string); !utf8.ValidString(bad) {
		t.Fatalf("invalid UTF-8 kept: %q", e.Detail["bad"])
	}
	got, _ := fx.log.Search(context.Background(), Filter{})
	if !reflect.DeepEqual(got[0], e) {
		t.Fatalf("read back\n%+v\nwant\n%+v", got[0], e)
	}

	big, err := fx.log.Append(context.Background(), Entry{
		Actor: "u1", Action: "config.change", Outcome: OutcomeOK,
		Detail: map[string]any{"blob": strings.Repeat("x", 10000)},
	})
	if err != nil || big.Detail["_truncated_bytes"] == nil {
		t.Fatalf("oversize detail: %+v, %v", big.Detail, err)
	}
	odd, err := fx.log.Append(context.Background(), Entry{
		Actor: "u1", Action: "config.change", Outcome: OutcomeOK,
		Detail: map[string]any{"f": func() {}},
	})
	if err != nil || odd.Detail["_unencodable"] != true {
		t.Fatalf("unencodable detail: %+v, %v", odd.Detail, err)
	}
	if rep := fx.verify(); !rep.OK {
		t.Fatalf("report %+v", rep)
	}
}

func TestTimeNeverGoesBackwards(t *testing.T) {
	dir := t.TempDir()
	times := []time.Time{
		time.Date(2026, 1, 1, 12, 0, 0, 0, time.UTC),
		time.Date(2026, 1, 1, 11, 0, 0, 0, time.UTC), // the clock was set back
		time.Date(2026, 1, 1, 13, 30, 0, 0, time.FixedZone("CET", 3600)),
	}
	i := 0
	l, err := Open(dir+"/a.log", nil, Options{Now: func() time.Time { t := times[i]; i++; return t }})
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	var got []time.Time
	for range times {
		e, err := l.Append(context.Background(), Entry{Actor: "system", Action: "backup.run", Outcome: OutcomeOK})
		if err != nil {
			t.Fatal(err)
		}
		got = append(got, e.Time)
	}
	if !got[1].Equal(got[0]) || !got[2].Equal(times[2]) || got[2].Location() != time.UTC {
		t.Fatalf("times %v", got)
	}
}

// failingCheckpointer fails its saves while fail is set.
type failingCheckpointer struct {
	FileCheckpointer
	mu   sync.Mutex
	fail bool
}

func (c *failingCheckpointer) Save(seq uint64, hash string) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.fail {
		return errors.New("checkpoint store unavailable")
	}
	return c.FileCheckpointer.Save(seq, hash)
}

func TestCheckpointFailureIsReportedNotFatal(t *testing.T) {
	dir := t.TempDir()
	cp := &failingCheckpointer{FileCheckpointer: FileCheckpointer{Path: dir + "/cp"}, fail: true}
	l, err := Open(dir+"/a.log", cp, Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	if _, err := l.Append(context.Background(), Entry{Actor: "u1", Action: "auth.login", Outcome: OutcomeOK}); err != nil {
		t.Fatalf("Append failed because of the checkpoint: %v", err)
	}
	if h := l.Health(); h.OK || h.CheckpointError == "" {
		t.Fatalf("health %+v", h)
	}
	cp.mu.Lock()
	cp.fail = false
	cp.mu.Unlock()
	if _, err := l.Append(context.Background(), Entry{Actor: "u1", Action: "auth.logout", Outcome: OutcomeOK}); err != nil {
		t.Fatal(err)
	}
	if h := l.Health(); !h.OK {
		t.Fatalf("health after recovery %+v", h)
	}
}

func TestClosed(t *testing.T) {
	fx := newFixture(t, nil)
	fx.close()
	l, err := Open(fx.path, fx.cp, Options{})
	if err != nil {
		t.Fatal(err)
	}
	l.Close()
	if err := l.Close(); err != nil {
		t.Fatalf("second Close: %v", err)
	}
	if _, err := l.Append(context.Background(), Entry{Actor: "u1", Action: "auth.login", Outcome: OutcomeOK}); !errors.Is(err, ErrClosed) {
		t.Fatalf("Append after Close: %v", err)
	}
	if _, err := l.Search(context.Background(), Filter{}); !errors.Is(err, ErrClosed) {
		t.Fatalf("Search after Close: %v", err)
	}
}

func TestVerifyMissingFile(t *testing.T) {
	dir := t.TempDir()
	if _, err := Verify(dir+"/none.log", FileCheckpointer{Path: dir + "/cp"}, nil); err == nil {
		t.Fatal("a missing log without a checkpoint should be an error")
	}
	cp := FileCheckpointer{Path: dir + "/cp"}
	cp.Save(42, strings.Repeat("a", 64))
	rep, err := Verify(dir+"/none.log", cp, nil)
	if err != nil || rep.OK || !slices.Equal(kinds(rep.Problems), []string{KindTruncated}) {
		t.Fatalf("deleted log: %+v, %v", rep, err)
	}
	// Open then starts a new file that continues from the checkpoint.
	l, err := Open(dir+"/none.log", cp, Options{})
	if err != nil {
		t.Fatal(err)
	}
	e, err := l.Append(context.Background(), Entry{Actor: "u1", Action: "auth.login", Outcome: OutcomeOK})
	l.Close()
	if err != nil || e.Seq != 44 {
		t.Fatalf("append after loss: seq %d, %v", e.Seq, err)
	}
	rep, _ = Verify(dir+"/none.log", cp, nil)
	if !slices.Equal(kinds(rep.Problems), []string{KindTruncated}) || rep.Problems[0].Seq != 1 {
		t.Fatalf("report %+v", rep)
	}
}

func TestAppendContextCanceled(t *testing.T) {
	fx := newFixture(t, nil)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := fx.log.Append(ctx, Entry{Actor: "u1", Action: "auth.login", Outcome: OutcomeOK}); !errors.Is(err, context.Canceled) {
		t.Fatalf("err %v", err)
	}
}

// TestFastLineMatchesDecode checks that reading fields from the writer's
// layout gives what decoding the JSON gives.
func TestFastLineMatchesDecode(t *testing.T) {
	fx := newFixture(t, testKey)
	fx.appendN(3)
	fx.log.Append(context.Background(), Entry{
		Actor: `we"ird\actor`, Action: "config.change", Target: `"action":"x"`, Outcome: OutcomeDenied,
		Detail: map[string]any{"action": `,"action":"auth.login"`},
	})
	h := newHasher(testKey)
	for _, l := range fx.lines() {
		open, _, ok := splitLine([]byte(l))
		if !ok {
			t.Fatal("splitLine")
		}
		fast, ok := fastLine(open)
		if !ok {
			t.Fatalf("fastLine refused %s", l)
		}
		var slow lineInfo
		if err := json.Unmarshal([]byte(l), &slow); err != nil {
			t.Fatal(err)
		}
		if fast.Seq != slow.Seq || !fast.Time.Equal(slow.Time) || fast.Action != slow.Action || fast.Prev != slow.Prev {
			t.Fatalf("fast %+v, slow %+v", fast, slow)
		}
		if info, err := parseLine([]byte(l), h); err != nil || !info.hashOK || info.Hash != slow.Hash {
			t.Fatalf("parseLine %+v %v", info, err)
		}
	}
}
