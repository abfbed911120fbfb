package identity

import (
	"fmt"
	"math/rand/v2"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/cockroachdb/pebble/v2"
)

// benchProfiles is the number of profiles loaded before BenchmarkObserve
// measures: the size the real-time engine must handle.
const benchProfiles = 1_000_000

// benchState is loaded once per process: every b.N round of the benchmark
// continues on the same graph.
var benchState struct {
	once sync.Once
	e    *env
	seq  uint64
	load time.Duration
	// loadCPU is the process CPU time of loading.
	loadCPU time.Duration
}

type benchTB struct{ testing.TB }

// Cleanup keeps the database open for the later rounds.
func (benchTB) Cleanup(func()) {}

func benchID(kind string, i int) ID {
	switch kind {
	case Anon:
		return ID{Kind: Anon, Value: fmt.Sprintf("%08x-7d1c-4a8e-9b1f-%012x", i, i*7919)}
	case User:
		return ID{Kind: User, NS: "web", Value: fmt.Sprintf("u%09d", i)}
	case Email:
		return ID{Kind: Email, Value: fmt.Sprintf("bi%020d", i)}
	}
	return ID{Kind: "shopify_customer", NS: "shopify_eu", Value: fmt.Sprintf("gid-%010d", i)}
}

// loadBench creates benchProfiles profiles through Observe: each person
// first seen on a device, a third of them identified with a userId and an
// email, some of those also shop customers.
func loadBench(b *testing.B) {
	s := &benchState
	s.once.Do(func() {
		e := newEnv(benchTB{b}, Config{})
		e.commitEvery = 0
		start, cpu0 := time.Now(), cpuTime()
		for i := range benchProfiles {
			ids := []ID{benchID(Anon, i)}
			if i%3 == 0 {
				ids = append(ids, benchID(User, i), benchID(Email, i))
				if i%9 == 0 {
					ids = append(ids, benchID("shop", i))
				}
			}
			s.seq++
			if _, err := e.g.Observe(e.kv, Observation{Seq: s.seq, Source: "web", IDs: ids}); err != nil {
				b.Fatal(err)
			}
			if s.seq%2000 == 0 {
				e.commit()
			}
		}
		e.commit()
		s.e, s.load = e, time.Since(start)
		s.loadCPU = cpuTime() - cpu0
	})
	if s.e == nil {
		b.Fatal("loading failed")
	}
}

// BenchmarkObserve measures Observe against 1,000,000 loaded profiles with
// the mix a live site sends: mostly events of known anonymous visitors,
// some of logged-in users (userId and anonymousId), some identifies with
// an email (a few linking a new device or merging two profiles), and new
// visitors. The batch is committed every 1,000 observations, as the
// engine commits with its progress. Run it on one core:
//
//	go test -run '^$' -bench Observe -benchtime 200000x -cpu 1 ./internal/identity/
func BenchmarkObserve(b *testing.B) {
	loadBench(b)
	s := &benchState
	e := s.e
	b.Logf("%d profiles loaded in %v, %v CPU (%.0f observations per CPU second)", benchProfiles, s.load.Round(time.Millisecond), s.loadCPU.Round(time.Millisecond), float64(benchProfiles)/s.loadCPU.Seconds())
	rng := rand.New(rand.NewPCG(s.seq, 42))
	fresh := benchProfiles + int(s.seq)
	b.ReportAllocs()
	b.ResetTimer()
	start, cpu0 := time.Now(), cpuTime()
	for n := 0; n < b.N; n++ {
		k := rng.IntN(benchProfiles)
		var ids []ID
		switch x := rng.IntN(1000); {
		case x < 800: // a known visitor's page view or event
			ids = []ID{benchID(Anon, k)}
		case x < 920: // a logged-in user's event
			k -= k % 3
			ids = []ID{benchID(User, k), benchID(Anon, k)}
		case x < 960: // an identify with an email
			k -= k % 3
			ids = []ID{benchID(User, k), benchID(Anon, k), benchID(Email, k)}
		case x < 975: // a known user on a new device
			k -= k % 3
			fresh++
			ids = []ID{benchID(User, k), benchID(Anon, fresh)}
		case x < 985: // an anonymous visitor gives a known user's email: merge
			k = k - k%3 + 1
			j := rng.IntN(benchProfiles)
			j -= j % 3
			ids = []ID{benchID(Anon, k%benchProfiles), benchID(Email, j)}
		default: // a new visitor
			fresh++
			ids = []ID{benchID(Anon, fresh)}
		}
		s.seq++
		if _, err := e.g.Observe(e.kv, Observation{Seq: s.seq, Source: "web", IDs: ids}); err != nil {
			b.Fatal(err)
		}
		if s.seq%1000 == 0 {
			if err := e.b.Commit(pebble.NoSync); err != nil {
				b.Fatal(err)
			}
			e.b.Close()
			e.begin()
		}
	}
	b.ReportMetric(float64(b.N)/time.Since(start).Seconds(), "obs/s")
	// The machine may be shared: the process's CPU time (this goroutine
	// and Pebble's flushes and compactions) per observation says what one
	// core sustains, whatever else runs.
	cpu := cpuTime() - cpu0
	b.ReportMetric(float64(cpu.Nanoseconds())/float64(b.N), "cpu-ns/op")
	b.ReportMetric(float64(b.N)/cpu.Seconds(), "obs/cpu-s")
}

// cpuTime is the CPU time the process has used (user and system).
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
