package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/tradewind/tradewind/bench/machine"
)

// node is a `tradewind serve` child process.
type node struct {
	cmd   *exec.Cmd
	dir   string
	url   string
	token string
	key   string // a source's write key
	http  *http.Client
}

func startNode(bin, dir string, extra []string, env []string) (*node, error) {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, err
	}
	logf, err := os.Create(dir + ".server.log")
	if err != nil {
		return nil, err
	}
	// The receiver is on loopback: the node must be told internal
	// destinations are allowed.
	args := append([]string{"serve", "--data", dir, "--listen", "127.0.0.1:0", "--log-level", "warn", "--webhook-allow-private"}, extra...)
	cmd := exec.Command(bin, args...)
	cmd.Stdout, cmd.Stderr = logf, logf
	cmd.Env = append(os.Environ(), env...)
	if err := cmd.Start(); err != nil {
		return nil, err
	}
	n := &node{cmd: cmd, dir: dir, http: &http.Client{Timeout: 60 * time.Second, Transport: &http.Transport{
		MaxIdleConnsPerHost: 256, MaxConnsPerHost: 256, DisableCompression: true}}}
	exited := make(chan struct{})
	go func() { cmd.Wait(); close(exited) }()
	deadline := time.Now().Add(60 * time.Second)
	for time.Now().Before(deadline) {
		select {
		case <-exited:
			b, _ := os.ReadFile(dir + ".server.log")
			return nil, fmt.Errorf("server exited: %s", b)
		default:
		}
		if b, err := os.ReadFile(filepath.Join(dir, "server.json")); err == nil {
			var s struct {
				URL string `json:"url"`
			}
			if json.Unmarshal(b, &s) == nil && s.URL != "" {
				if resp, err := n.http.Get(s.URL + "/readyz"); err == nil {
					resp.Body.Close()
					if resp.StatusCode == 200 {
						n.url = s.URL
						break
					}
				}
			}
		}
		time.Sleep(100 * time.Millisecond)
	}
	if n.url == "" {
		n.stop()
		return nil, errors.New("server not ready after 60 s")
	}
	tok, err := os.ReadFile(filepath.Join(dir, "admin.token"))
	if err != nil {
		n.stop()
		return nil, err
	}
	n.token = strings.TrimSpace(string(tok))
	return n, nil
}

func (n *node) pid() int { return n.cmd.Process.Pid }

// stop sends SIGTERM and waits up to 60 s, then kills.
func (n *node) stop() {
	if n.cmd.ProcessState != nil {
		return
	}
	_ = n.cmd.Process.Signal(syscall.SIGTERM)
	for range 600 {
		if err := n.cmd.Process.Signal(syscall.Signal(0)); err != nil {
			return
		}
		time.Sleep(100 * time.Millisecond)
	}
	_ = n.cmd.Process.Kill()
}

// admin calls the admin API with the admin token.
func (n *node) admin(method, path string, body any, out any) error {
	var rd io.Reader
	if body != nil {
		b, _ := json.Marshal(body)
		rd = bytes.NewReader(b)
	}
	req, _ := http.NewRequest(method, n.url+path, rd)
	req.Header.Set("Authorization", "Bearer "+n.token)
	req.Header.Set("Content-Type", "application/json")
	resp, err := n.http.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	if resp.StatusCode/100 != 2 {
		return fmt.Errorf("%s %s: %d %s", method, path, resp.StatusCode, b)
	}
	if out != nil {
		return json.Unmarshal(b, out)
	}
	return nil
}

// startServe starts a receiver and a node on *dir (a new /tmp/PREFIX*
// directory when empty, removed by stop unless keep), and sets up and starts
// journey def with the receiver as its destination; stop ends all of it.
func startServe(bin string, dir *string, prefix string, keep bool, def map[string]any, conc int, rate float64) (*receiver, *node, string, func(), error) {
	recv, err := startReceiver()
	if err != nil {
		return nil, nil, "", nil, err
	}
	cleanup, err := dataDir(dir, prefix, keep)
	if err != nil {
		recv.srv.Close()
		return nil, nil, "", nil, err
	}
	n, err := startNode(bin, *dir, nil, nil)
	if err != nil {
		cleanup()
		recv.srv.Close()
		return nil, nil, "", nil, err
	}
	stop := func() { n.stop(); cleanup(); recv.srv.Close() }
	jid, err := n.setup(recv, def, conc, rate)
	if err != nil {
		stop()
		return nil, nil, "", nil, err
	}
	return recv, n, jid, stop, nil
}

// setup creates a source, the webhook destination and the journey, and
// starts it.
func (n *node) setup(recv *receiver, journeyDef map[string]any, concurrency int, rate float64) (string, error) {
	var src struct {
		WriteKey string `json:"write_key"`
	}
	if err := n.admin("POST", "/v1/sources", map[string]any{"name": "Bench", "currency": "EUR"}, &src); err != nil {
		return "", err
	}
	n.key = src.WriteKey
	dest := map[string]any{"name": "bench", "url": recv.url}
	if concurrency > 0 {
		dest["concurrency"] = concurrency
	}
	if rate > 0 {
		dest["rate_per_second"] = rate
	}
	var d struct {
		Secret string `json:"secret"`
	}
	if err := n.admin("POST", "/v1/destinations", dest, &d); err != nil {
		return "", err
	}
	recv.setSecret(d.Secret)
	var j struct {
		ID string `json:"id"`
	}
	if err := n.admin("POST", "/v1/journeys", journeyDef, &j); err != nil {
		return "", err
	}
	if j.ID == "" {
		// The answer may wrap the journey.
		var w map[string]any
		_ = n.admin("GET", "/v1/journeys", nil, &w)
		return "", fmt.Errorf("journey id not found in the answer: %v", w)
	}
	if err := n.admin("POST", "/v1/journeys/"+j.ID+"/start", nil, nil); err != nil {
		return "", err
	}
	return j.ID, nil
}

// post sends a body to /v1/track or /v1/batch with the write key; it
// returns when the server acknowledged it.
func (n *node) post(path string, body []byte) error {
	req, _ := http.NewRequest("POST", n.url+path, bytes.NewReader(body))
	req.SetBasicAuth(n.key, "")
	req.Header.Set("Content-Type", "application/json")
	resp, err := n.http.Do(req)
	if err != nil {
		return err
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 {
		return fmt.Errorf("%s: %d %s", path, resp.StatusCode, b)
	}
	return nil
}

type stats struct {
	Active   int64            `json:"active"`
	Outbox   int              `json:"outbox"`
	Dead     int              `json:"dead"`
	Counters map[string]int64 `json:"counters"`
}

func (n *node) stats(id string) (stats, error) {
	var s stats
	err := n.admin("GET", "/v1/journeys/"+id+"/stats", nil, &s)
	return s, err
}

// cpuProfile fetches a CPU profile of the server over secs seconds.
func (n *node) cpuProfile(secs int, path string) error {
	req, _ := http.NewRequest("GET", fmt.Sprintf("%s/debug/pprof/profile?seconds=%d", n.url, secs), nil)
	req.Header.Set("Authorization", "Bearer "+n.token)
	c := &http.Client{Timeout: time.Duration(secs+60) * time.Second}
	resp, err := c.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if resp.StatusCode != 200 {
		b, _ := io.ReadAll(resp.Body)
		return fmt.Errorf("pprof: %d %s", resp.StatusCode, b)
	}
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	defer f.Close()
	_, err = io.Copy(f, resp.Body)
	return err
}

// goroutines fetches a goroutine dump (debug=1: stacks grouped with counts).
func (n *node) goroutines() (string, error) {
	req, _ := http.NewRequest("GET", n.url+"/debug/pprof/goroutine?debug=1", nil)
	req.Header.Set("Authorization", "Bearer "+n.token)
	resp, err := n.http.Do(req)
	if err != nil {
		return "", err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if resp.StatusCode != 200 {
		return "", fmt.Errorf("goroutine dump: %d %s", resp.StatusCode, b)
	}
	return string(b), err
}

// summariseGoroutines lists the stack groups that pass through
// internal/journey or internal/deliver: count, the frame they wait in, and
// the innermost journey frame.
func summariseGoroutines(txt string) string {
	var out strings.Builder
	for _, g := range strings.Split(txt, "\n\n") {
		lines := strings.Split(strings.TrimSpace(g), "\n")
		if len(lines) < 2 || !strings.Contains(g, "tradewind/internal/journey") && !strings.Contains(g, "tradewind/internal/deliver") {
			continue
		}
		count := strings.Fields(lines[0])[0]
		var frames []string
		for _, l := range lines[1:] {
			f := strings.Fields(l)
			if len(f) >= 3 && f[0] == "#" {
				frames = append(frames, f[2])
			}
		}
		if len(frames) == 0 {
			continue
		}
		inner := ""
		for _, f := range frames {
			if strings.Contains(f, "internal/journey") || strings.Contains(f, "internal/deliver") || strings.Contains(f, "internal/app") {
				inner = f
				break
			}
		}
		short := func(s string) string { return s[strings.LastIndexByte(s, '/')+1:] }
		top := frames[0]
		for _, f := range frames {
			if !strings.HasPrefix(f, "runtime.") && !strings.HasPrefix(f, "internal/sync") {
				top = f
				break
			}
		}
		fmt.Fprintf(&out, "  %4s  %-45s in %s\n", count, short(top), short(inner))
	}
	return out.String()
}

// ---- serve latency ----

func serveLatency(args []string) error {
	fs := flag.NewFlagSet("serve-latency", flag.ExitOnError)
	bin := fs.String("bin", "/tmp/actbench-tw", "tradewind binary")
	dir := fs.String("data", "", "data directory (default: a new /tmp/actbench-* directory, removed at the end)")
	rate := fs.Float64("rate", 1000, "triggering events per second (one /v1/track request each)")
	dur := fs.Duration("duration", 60*time.Second, "measured sending time")
	warm := fs.Duration("warmup", 5*time.Second, "sending at the rate before the measured part (not counted)")
	drain := fs.Duration("drain", 60*time.Second, "how long to wait for the last deliveries")
	workers := fs.Int("workers", 64, "concurrent HTTP senders")
	users := fs.Int("users", 20000, "people the events come from, round robin (0: a new person per event)")
	conc := fs.Int("dest-concurrency", 16, "the destination's concurrency (0: the server's default)")
	destRate := fs.Float64("dest-rate", 5000, "the destination's rate_per_second (0: the server's default, 200/s)")
	profile := fs.String("cpuprofile", "", "write a CPU profile of the server (GET /debug/pprof/profile) over the measured part")
	gdump := fs.String("goroutines", "", "write goroutine dumps (GET /debug/pprof/goroutine?debug=1) taken every 10 s of the measured part to FILE.N, and print where the journey engine's goroutines wait")
	keep := fs.Bool("keep", false, "keep the data directory")
	csvOut := fs.String("samples", "", "write every measured event as CSV: i, due, ack, enqueued, arrival (Unix ns)")
	fs.Parse(args)

	def := map[string]any{
		"name":    "Bench actions",
		"trigger": map[string]any{"type": "event", "event": "Bench Triggered"},
		"steps":   []any{map[string]any{"id": "hook", "type": "webhook", "destination": "bench"}},
		"reentry": map[string]any{"mode": "always"},
	}
	recv, n, jid, stop, err := startServe(*bin, dir, "actbench-serve-", *keep, def, *conc, *destRate)
	if err != nil {
		return err
	}
	defer stop()
	logf("server pid %d at %s, journey %s, destination concurrency %d rate %.0f/s; receiver %s", n.pid(), n.url, jid, *conc, *destRate, recv.url)

	total := int((*warm + *dur).Seconds() * *rate)
	nWarm := int(warm.Seconds() * *rate)
	samples := make([]sample, total)
	run := fmt.Sprintf("%x", time.Now().UnixNano())
	var sendErrs atomic.Int64
	var firstErr atomic.Value
	jobs := make(chan int, total)
	var wg sync.WaitGroup
	for range *workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range jobs {
				user := fmt.Sprintf("u%d", i)
				if *users > 0 {
					user = fmt.Sprintf("u%d", i%*users)
				}
				now := time.Now().UTC()
				body := fmt.Sprintf(`{"userId":%q,"event":"Bench Triggered","messageId":"%s-%d","timestamp":%q,"properties":{"bench_id":"%s-%d","sku":"SKU-%d","value":19.9,"currency":"EUR"},"context":{"library":{"name":"actbench","version":"1"}}}`,
					user, run, i, now.Format(time.RFC3339Nano), run, i, i%500)
				err := n.post("/v1/track", []byte(body))
				samples[i].ack = time.Now()
				samples[i].ok = err == nil
				if err != nil {
					sendErrs.Add(1)
					firstErr.CompareAndSwap(nil, err.Error())
				}
			}
		}()
	}
	var meter *cpuMeter
	var profErr error
	var profWG sync.WaitGroup
	start := time.Now()
	interval := time.Duration(float64(time.Second) / *rate)
	for i := range total {
		due := start.Add(time.Duration(i) * interval)
		if d := time.Until(due); d > 0 {
			time.Sleep(d)
		}
		if *gdump != "" && i > nWarm && (i-nWarm)%int(10**rate) == 0 {
			k := (i - nWarm) / int(10**rate)
			go func() {
				if txt, err := n.goroutines(); err == nil {
					_ = os.WriteFile(fmt.Sprintf("%s.%d", *gdump, k), []byte(txt), 0o644)
					fmt.Printf("goroutine dump %d (%.0f s into the measured part): where journey goroutines are\n%s", k, float64(k*10), summariseGoroutines(txt))
				}
			}()
		}
		if i == nWarm {
			meter = newCPUMeter(n.pid())
			logf("warm-up done (%d events); measuring %s", nWarm, *dur)
			if *profile != "" {
				profWG.Add(1)
				go func() {
					defer profWG.Done()
					profErr = n.cpuProfile(int(dur.Seconds()), *profile)
				}()
			}
		}
		samples[i].due = due
		jobs <- i
	}
	close(jobs)
	sendEnd := time.Now()
	wg.Wait()
	ackEnd := time.Now()
	phase := meter.String()
	logf("sent %d events in %.1f s (offered %.0f/s), %d errors %v", total, sendEnd.Sub(start).Seconds(), *rate, sendErrs.Load(), firstErr.Load())
	// Wait for the deliveries.
	want := 0
	for i := range samples {
		if samples[i].ok {
			want++
		}
	}
	deadline := time.Now().Add(*drain)
	for recv.count() < want && time.Now().Before(deadline) {
		time.Sleep(200 * time.Millisecond)
	}
	drained := time.Since(ackEnd)
	profWG.Wait()
	if profErr != nil {
		logf("cpu profile: %v", profErr)
	}

	// Figures over the measured part.
	l := measure(samples, nWarm, total, recv, run)
	ackLat, e2e, toCreated, toArrival := l.ack, l.e2e, l.toCreated, l.toArrival
	firstAck, lastAck, lastArr, missing := l.firstAck, l.lastAck, l.lastArr, l.missing
	acked := len(ackLat)
	if *csvOut != "" {
		var b bytes.Buffer
		b.WriteString("i,due_ns,ack_ns,enqueued_ns,arrival_ns\n")
		for i := nWarm; i < total; i++ {
			s := samples[i]
			a, _ := recv.get(fmt.Sprintf("%s-%d", run, i))
			fmt.Fprintf(&b, "%d,%d,%d,%d,%d\n", i, s.due.UnixNano(), s.ack.UnixNano(), a.created.UnixNano(), a.at.UnixNano())
		}
		_ = os.WriteFile(*csvOut, b.Bytes(), 0o644)
	}
	fmt.Println()
	fmt.Printf("RESULT serve-latency commit %s | offered %.0f events/s for %s (+%s warm-up), users %d, workers %d, destination concurrency %d rate %.0f/s\n",
		gitDescribe(), *rate, *dur, *warm, *users, *workers, *conc, *destRate)
	fmt.Printf("  acknowledged %d (%.1f/s over the measured part); send errors %d\n", acked, float64(acked)/lastAck.Sub(firstAck).Seconds(), sendErrs.Load())
	fmt.Printf("  delivered %d of them (%.1f/s), missing after %.0f s drain: %d; receiver: %d requests, %d bad signatures, %d duplicates\n",
		len(e2e), float64(len(e2e))/lastArr.Sub(firstAck).Seconds(), drained.Seconds(), missing, recv.total, recv.bad, recv.dups)
	fmt.Printf("  ack latency (due → HTTP 200): %s\n", pcts(ackLat))
	fmt.Printf("  ACK → WEBHOOK DELIVERY:         %s\n", pcts(e2e))
	fmt.Printf("    ack → action enqueued (consumer, incl. profile engine wait): %s\n", pcts(toCreated))
	fmt.Printf("    enqueued → arrival (dispatcher, lane, HTTP):                 %s\n", pcts(toArrival))
	fmt.Printf("  measured part: %s\n", phase)
	if s, err := n.stats(jid); err == nil {
		fmt.Printf("  journey stats: outbox %d, dead %d, counters %v\n", s.Outbox, s.Dead, s.Counters)
	}
	rss, hwm := machine.Mem(n.pid(), machine.RSS), machine.Mem(n.pid(), machine.Peak)
	fmt.Printf("  server RSS %.0f MiB, peak %.0f MiB\n", rss, hwm)
	if *profile != "" && profErr == nil {
		fmt.Printf("  cpu profile: %s\n", *profile)
	}
	return nil
}

// ---- serve people ----

func servePeople(args []string) error {
	fs := flag.NewFlagSet("serve-people", flag.ExitOnError)
	bin := fs.String("bin", "/tmp/actbench-tw", "tradewind binary")
	dir := fs.String("data", "", "data directory (default: a new /tmp/actbench-* directory, removed at the end)")
	people := fs.Int("people", 1000000, "people who sign up (one \"Signed Up\" track each)")
	batch := fs.Int("batch", 100, "events per /v1/batch request")
	workers := fs.Int("workers", 8, "concurrent senders")
	limit := fs.Duration("limit", 30*time.Minute, "give up waiting for the journey after this long (from the start of sending)")
	settle := fs.Duration("settle", 30*time.Second, "idle time before the steady RSS is read")
	keep := fs.Bool("keep", false, "keep the data directory")
	fs.Parse(args)

	def := map[string]any{
		"name":    "Bench wait",
		"trigger": map[string]any{"type": "event", "event": "Signed Up"},
		"steps": []any{map[string]any{"id": "wait", "type": "wait", "duration": "30d"},
			map[string]any{"id": "hook", "type": "webhook", "destination": "bench"}},
	}
	_, n, jid, stop, err := startServe(*bin, dir, "actbench-people-", *keep, def, 0, 0)
	if err != nil {
		return err
	}
	defer stop()
	rss0 := machine.Mem(n.pid(), machine.RSS)
	logf("server pid %d at %s, journey %s; RSS at start %.0f MiB", n.pid(), n.url, jid, rss0)

	// Sample memory every second.
	var mu sync.Mutex
	var peakRSS float64
	stopSampling := make(chan struct{})
	go func() {
		t := time.NewTicker(time.Second)
		defer t.Stop()
		for {
			select {
			case <-stopSampling:
				return
			case <-t.C:
				r := machine.Mem(n.pid(), machine.RSS)
				mu.Lock()
				peakRSS = max(peakRSS, r)
				mu.Unlock()
			}
		}
	}()
	defer close(stopSampling)

	meter := newCPUMeter(n.pid())
	start := time.Now()
	run := fmt.Sprintf("%x", time.Now().UnixNano())
	jobs := make(chan int)
	var sendErrs atomic.Int64
	var wg sync.WaitGroup
	for range *workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			var b bytes.Buffer
			for first := range jobs {
				b.Reset()
				now := time.Now().UTC().Format(time.RFC3339Nano)
				b.WriteString(`{"batch":[`)
				for i := first; i < min(first+*batch, *people); i++ {
					if i > first {
						b.WriteByte(',')
					}
					fmt.Fprintf(&b, `{"type":"track","userId":"p%d","event":"Signed Up","messageId":"%s-%d","timestamp":%q,"properties":{"bench_id":"%s-%d","plan":"free","channel":"organic"}}`,
						i, run, i, now, run, i)
				}
				b.WriteString(`]}`)
				for attempt := 0; ; attempt++ {
					err := n.post("/v1/batch", b.Bytes())
					if err == nil {
						break
					}
					if attempt == 5 {
						sendErrs.Add(1)
						logf("batch at %d: %v", first, err)
						break
					}
					time.Sleep(time.Second)
				}
			}
		}()
	}
	progress := func(what string) (stats, error) {
		s, err := n.stats(jid)
		r, h := machine.Mem(n.pid(), machine.RSS), machine.Mem(n.pid(), machine.Peak)
		logf("%s: %.0f s, active in the journey %d, RSS %.0f MiB (peak %.0f), journey state %.0f MiB on disk, %s",
			what, time.Since(start).Seconds(), s.Active, r, h, machine.DirMiB(filepath.Join(*dir, "journeys")), machine.LoadAvg())
		return s, err
	}
	go func() {
		for first := 0; first < *people; first += *batch {
			jobs <- first
		}
		close(jobs)
	}()
	t := time.NewTicker(15 * time.Second)
	sent := make(chan struct{})
	go func() { wg.Wait(); close(sent) }()
	var sentAt time.Duration
	var last stats
	done := false
loop:
	for {
		select {
		case <-sent:
			sentAt = time.Since(start)
			logf("all %d events acknowledged in %.0f s (%.0f/s), %d failed batches", *people, sentAt.Seconds(), float64(*people)/sentAt.Seconds(), sendErrs.Load())
			sent = nil
		case <-t.C:
			s, err := progress("progress")
			if err == nil {
				last = s
			}
			if s.Active >= int64(*people) {
				done = true
				break loop
			}
			if time.Since(start) > *limit {
				break loop
			}
		}
	}
	t.Stop()
	loaded := time.Since(start)
	phase := meter.String()
	hwm := machine.Mem(n.pid(), machine.Peak)
	mu.Lock()
	peak := max(peakRSS, hwm)
	mu.Unlock()
	var steady float64
	if done {
		logf("loaded; settling %s", *settle)
		time.Sleep(*settle)
		steady = machine.Mem(n.pid(), machine.RSS)
	}
	last, _ = progress("end")
	fmt.Println()
	fmt.Printf("RESULT serve-people commit %s | %d people, batch %d, workers %d\n", gitDescribe(), *people, *batch, *workers)
	if done {
		fmt.Printf("  all %d people active in the journey after %.0f s (sending took %.0f s)\n", *people, loaded.Seconds(), sentAt.Seconds())
	} else {
		fmt.Printf("  NOT FINISHED: %d of %d people active after %.0f s (limit %s; sending took %.0f s)\n", last.Active, *people, loaded.Seconds(), *limit, sentAt.Seconds())
	}
	fmt.Printf("  server RSS: at start %.0f MiB, peak %.0f MiB (VmHWM and 1 s samples), steady %.0f MiB (after %s idle)\n", rss0, peak, steady, *settle)
	fmt.Printf("  journey state on disk %.1f MiB, whole data directory %.0f MiB\n",
		machine.DirMiB(filepath.Join(*dir, "journeys")), machine.DirMiB(*dir))
	fmt.Printf("  load phase: %s\n", phase)
	_ = context.Background
	return nil
}
