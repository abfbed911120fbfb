// Command pprofsum summarises a tradewind server CPU profile by component.
// It reads the text of `go tool pprof -traces BINARY PROFILE` on standard
// input and attributes each sampled stack to the first component whose rule
// matches one of its frames (rules in priority order below), so every sample
// counts once:
//
//	go tool pprof -traces /tmp/twbench cpu.pprof | go run ./bench/pprofsum
//
// An allocation profile works too (values in bytes; the GC rule then matches
// nothing, and the shares say which component allocates):
//
//	go tool pprof -traces -sample_index=alloc_space /tmp/twbench allocs.pprof | go run ./bench/pprofsum
package main

import (
	"bufio"
	"fmt"
	"os"
	"slices"
	"strconv"
	"strings"
	"time"
)

type rule struct {
	name  string
	match []string // any frame containing any of these
}

// Priority order: GC work first (it runs inside whichever goroutine
// allocates), then the innermost subsystems before the ones that call them.
var rules = []rule{
	{"GC (mark workers, assists, write barriers, sweep)", []string{"runtime.gcBgMarkWorker", "runtime.gcAssistAlloc", "runtime.wbBufFlush", "runtime.bgsweep", "runtime.bgscavenge", "runtime.sweepone", "runtime.gcStart", "runtime.markroot"}},
	// The real-time profile engine (HEAD since the profiles work) reads the
	// log too and keeps its own Pebble state: before the key index rule, so
	// that its Pebble work is not counted as the store writer's.
	{"profile engine (internal/realtime: identity, profiles, segments, its Pebble, flush)", []string{"internal/realtime"}},
	{"privacy: seal high-tier fields, data keys, tokens (pii, keystore)", []string{"internal/privacy"}},
	{"key index (pebble)", []string{"internal/store/keyindex", "cockroachdb/pebble"}},
	{"store writer: projection", []string{"internal/store.(*Projector)"}},
	{"query API (visibility probe, metrics)", []string{"internal/api.(*Server).query", "promhttp", "prometheus"}},
	{"DuckDB append/commit (cgo, appender)", []string{"duckdb-go", "internal/store/duckdb."}},
	{"store writer: consume/decode from JetStream", []string{"internal/store.(*Writer)", "eventlog.(*Log).Consume", "eventlog.toDelivery"}},
	{"JetStream server (stream store, dedup, delivery)", []string{"nats-server/v2/server"}},
	{"JetStream publish, client side (nats.go)", []string{"nats-io/nats.go", "eventlog.(*Log).Publish"}},
	{"HTTP + ingest validation", []string{"internal/ingest", "net/http", "internal/segment", "valyala/fastjson"}},
	{"C threads without Go frames (DuckDB workers, libc)", nil},
	{"Go scheduler, netpoll, other runtime", []string{"runtime."}},
}

// details are sub-lines shown under a component: the samples of that
// component whose stack contains the pattern.
var details = map[string][][2]string{
	"HTTP + ingest validation": {
		{"fastjson parse", "fastjson.(*Parser).Parse"},
		{"segment.Validate", "segment.Validate"},
		{"read body", "ingest.readBody"},
		{"re-encode (MarshalTo)", "fastjson.(*Value).MarshalTo"},
		{"network syscalls", "syscall"},
	},
	"privacy: seal high-tier fields, data keys, tokens (pii, keystore)": {
		{"walk and classify (Encrypt)", "pii.(*Encryptor).Encrypt"},
		{"  of which AES-GCM seal", "crypto/internal/fips140/aes/gcm"},
		{"  of which blind index (HMAC)", "pii.BlindIndex"},
		{"  of which phone normalisation", "phonenumbers"},
		{"data keys (KeyFor: create, wrap, write)", "keystore.(*Store).KeyFor"},
		{"store side: envelope tokens (TokenOf)", "privacy.TokenOf"},
	},
	"profile engine (internal/realtime: identity, profiles, segments, its Pebble, flush)": {
		{"identity resolution (internal/identity)", "internal/identity."},
		{"profile state and computed traits (internal/profile)", "internal/profile."},
		{"segment evaluation (internal/audience, segments.go)", "internal/audience."},
		{"Pebble (engine state: reads, batch commits, compactions)", "cockroachdb/pebble"},
		{"JSON (decode/encode of messages and state)", "encoding/json"},
		{"fastjson", "valyala/fastjson"},
		{"flush to the store (DuckDB)", "duckdb"},
		{"consume from JetStream (nats.go)", "nats-io/nats.go"},
	},
	"GC (mark workers, assists, write barriers, sweep)": {
		{"background mark", "runtime.gcBgMarkWorker"},
		{"assists in allocating goroutines", "runtime.gcAssistAlloc"},
		{"write-barrier buffer flushes", "runtime.wbBufFlush"},
	},
	"DuckDB append/commit (cgo, appender)": {
		{"appender rows (AppendRow)", "Appender).AppendRow"},
		{"appender flush/close", "Appender).CloseWithCancel"},
		{"SQL statements of the commit (staging, COMMIT)", "database/sql.(*Conn).ExecContext"},
	},
	"key index (pebble)": {
		{"lookups (Get)", "keyindex.(*Index).Get"},
		{"writes (batch commit, WAL)", "pebble/v2.(*DB).commitWrite"},
		{"compactions/flushes", "pebble/v2.(*DB).compact"},
	},
	"JetStream server (stream store, dedup, delivery)": {
		{"stream: store published messages", "stream).processJetStreamMsgWithBatch"},
		{"  of which file store writes (pwrite)", "msgBlock).writeAt"},
		{"client connections: parse, route, acks", "client).readLoop"},
		{"consumer: gather and deliver to the writer", "consumer).loopAndGatherMsgs"},
	},
}

func main() {
	sc := bufio.NewScanner(os.Stdin)
	sc.Buffer(make([]byte, 1<<20), 1<<24)
	var header []string
	var total float64
	sums := map[string]float64{}
	detail := map[string]float64{}
	var val float64
	unit := "CPU s"
	var frames []string
	flush := func() {
		if val == 0 {
			return
		}
		c := classify(frames)
		sums[c] += val
		total += val
		for _, d := range details[c] {
			for _, f := range frames {
				if strings.Contains(f, d[1]) {
					detail[c+"\x00"+d[0]] += val
					break
				}
			}
		}
		val, frames = 0, frames[:0]
	}
	started := false
	for sc.Scan() {
		line := sc.Text()
		if strings.HasPrefix(line, "-----------+") {
			flush()
			started = true
			continue
		}
		if !started {
			if strings.HasPrefix(line, "Duration:") || strings.HasPrefix(line, "Time:") {
				header = append(header, line)
			}
			continue
		}
		f := strings.Fields(line)
		if len(f) == 0 {
			continue
		}
		if strings.HasSuffix(f[0], ":") { // a label line ("stream: …")
			continue
		}
		if v, u, ok := parseValue(f[0]); ok && len(f) >= 2 && val == 0 {
			val, unit = v, u
			frames = append(frames, f[1])
			continue
		}
		frames = append(frames, f[0])
	}
	flush()
	if total == 0 {
		fmt.Fprintln(os.Stderr, "pprofsum: no samples read (expected `go tool pprof -traces` output)")
		os.Exit(1)
	}
	for _, h := range header {
		fmt.Println(h)
	}
	type kv struct {
		k string
		v float64
	}
	var out []kv
	for k, v := range sums {
		out = append(out, kv{k, v})
	}
	slices.SortFunc(out, func(a, b kv) int {
		if a.v > b.v {
			return -1
		}
		if a.v < b.v {
			return 1
		}
		return 0
	})
	fmt.Printf("%-52s %8s %6s\n", "component", unit, "share")
	for _, e := range out {
		fmt.Printf("%-52s %8.2f %5.1f%%\n", e.k, e.v, 100*e.v/total)
		for _, d := range details[e.k] {
			if v := detail[e.k+"\x00"+d[0]]; v > 0 {
				fmt.Printf("    %-48s %8.2f %5.1f%%\n", d[0], v, 100*v/total)
			}
		}
	}
	fmt.Printf("%-52s %8.2f\n", "total", total)
}

func classify(frames []string) string {
	goFrames := false
	for _, f := range frames {
		if !strings.HasPrefix(f, "[") && f != "runtime._ExternalCode" {
			goFrames = true
			break
		}
	}
	if !goFrames {
		return "C threads without Go frames (DuckDB workers, libc)"
	}
	for _, r := range rules {
		for _, f := range frames {
			for _, m := range r.match {
				if strings.Contains(f, m) {
					return r.name
				}
			}
		}
	}
	return "other"
}

// parseValue reads a sample value: a duration (CPU seconds) or a size
// (bytes, reported in MB).
func parseValue(s string) (float64, string, bool) {
	if d, err := time.ParseDuration(s); err == nil {
		return d.Seconds(), "CPU s", true
	}
	for _, u := range []struct {
		suffix string
		mult   float64
	}{{"GB", 1e3}, {"MB", 1}, {"kB", 1e-3}, {"B", 1e-6}} {
		if num, ok := strings.CutSuffix(s, u.suffix); ok {
			if v, err := strconv.ParseFloat(num, 64); err == nil {
				return v * u.mult, "MB", true
			}
		}
	}
	return 0, "", false
}
