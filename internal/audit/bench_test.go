package audit

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"testing"
	"time"
)

func benchEntry(i int) Entry {
	return Entry{
		Actor:      fmt.Sprintf("u%d", i%50),
		ActorEmail: "analyst@seller.example",
		ActorKind:  "user",
		Role:       "analyst",
		Action:     searchActions[i%len(searchActions)],
		Target:     fmt.Sprintf("segment:%d", i%1000),
		Outcome:    OutcomeOK,
		IP:         "203.0.113.7",
		UserAgent:  "Mozilla/5.0 (Macintosh; Intel Mac OS X 14_5) AppleWebKit/605.1.15",
		Detail:     map[string]any{"rows": i, "sql_hash": "9f86d081884c7d65", "note": "weekly report"},
	}
}

// BenchmarkAppend measures one appender: each entry is synced to disk and
// checkpointed before the next, so this is the latency of an audited
// action's record.
func BenchmarkAppend(b *testing.B) {
	dir := b.TempDir()
	l, err := Open(filepath.Join(dir, "audit.log"), FileCheckpointer{Path: filepath.Join(dir, "cp")}, Options{Key: testKey})
	if err != nil {
		b.Fatal(err)
	}
	defer l.Close()
	ctx := context.Background()
	b.ReportAllocs()
	i := 0
	for b.Loop() {
		if _, err := l.Append(ctx, benchEntry(i)); err != nil {
			b.Fatal(err)
		}
		i++
	}
}

// BenchmarkAppendParallel measures throughput with many appenders, where
// group commit shares each sync among the entries that arrived meanwhile.
func BenchmarkAppendParallel(b *testing.B) {
	dir := b.TempDir()
	l, err := Open(filepath.Join(dir, "audit.log"), FileCheckpointer{Path: filepath.Join(dir, "cp")}, Options{Key: testKey})
	if err != nil {
		b.Fatal(err)
	}
	defer l.Close()
	ctx := context.Background()
	b.ReportAllocs()
	b.SetParallelism(16)
	b.RunParallel(func(pb *testing.PB) {
		i := 0
		for pb.Next() {
			if _, err := l.Append(ctx, benchEntry(i)); err != nil {
				b.Error(err)
				return
			}
			i++
		}
	})
}

// writeSynthetic writes a valid log of n entries directly, without syncs,
// for the read benchmarks.
func writeSynthetic(b *testing.B, path string, n int) {
	b.Helper()
	h := newHasher(testKey)
	prev := zeroHash
	t0 := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	var buf []byte
	for i := range n {
		p, err := prepare(benchEntry(i))
		if err != nil {
			b.Fatal(err)
		}
		buf, prev = appendLine(buf, h, uint64(i+1), t0.Add(time.Duration(i)*time.Second), prev, p.body)
	}
	if err := os.WriteFile(path, buf, 0o600); err != nil {
		b.Fatal(err)
	}
}

const benchLogEntries = 200_000

func BenchmarkSearch(b *testing.B) {
	dir := b.TempDir()
	path := filepath.Join(dir, "audit.log")
	writeSynthetic(b, path, benchLogEntries)
	l, err := Open(path, nil, Options{Key: testKey})
	if err != nil {
		b.Fatal(err)
	}
	defer l.Close()
	ctx := context.Background()
	for name, f := range map[string]Filter{
		"recent":          {Limit: 100},
		"action":          {Action: "privacy.", Limit: 100},
		"rare actor":      {Actor: "u7", Target: "segment:7", Limit: 100},
		"deep page":       {BeforeSeq: 1000, Limit: 100},
		"text, full scan": {Text: "no such text", Limit: 100},
	} {
		b.Run(name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				if _, err := l.Search(ctx, f); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

func BenchmarkVerify(b *testing.B) {
	dir := b.TempDir()
	path := filepath.Join(dir, "audit.log")
	writeSynthetic(b, path, benchLogEntries)
	fi, _ := os.Stat(path)
	b.SetBytes(fi.Size())
	for b.Loop() {
		rep, err := Verify(path, nil, testKey)
		if err != nil || !rep.OK {
			b.Fatalf("%+v %v", rep.Problems, err)
		}
	}
}
