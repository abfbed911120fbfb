// Command loadgen drives a tradewind server's tracking API the way the
// Segment Node SDK does (100-event /v1/batch requests of ~400-byte track
// events), at full speed or at a target rate, and reports throughput,
// acknowledgement latency, time until an event is queryable, and the
// server's resident memory.
package main

import (
	"bytes"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"net/http"
	"os"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

func main() {
	url := flag.String("url", "http://127.0.0.1:8080", "server URL")
	key := flag.String("write-key", "", "source write key")
	token := flag.String("token", "", "admin token (for the visibility probe)")
	dur := flag.Duration("duration", 60*time.Second, "how long to send")
	workers := flag.Int("workers", 16, "concurrent connections")
	batch := flag.Int("batch", 100, "events per request")
	rate := flag.Int("rate", 0, "target events/s (0: as fast as possible)")
	pid := flag.Int("pid", 0, "server process id, to sample its resident memory")
	probe := flag.Bool("probe", true, "measure time until an event is queryable")
	run := flag.String("run", strconv.FormatInt(time.Now().UnixNano(), 36), "run id, prefix of message ids")
	flag.Parse()
	if *key == "" {
		fmt.Fprintln(os.Stderr, "loadgen: --write-key is required")
		os.Exit(2)
	}
	tr := &http.Transport{MaxIdleConnsPerHost: *workers * 2, MaxConnsPerHost: *workers * 2}
	client := &http.Client{Transport: tr, Timeout: 30 * time.Second}

	var sent, failed, status429 atomic.Int64
	var latMu sync.Mutex
	var lats []time.Duration
	deadline := time.Now().Add(*dur)
	var tick <-chan time.Time
	if *rate > 0 {
		interval := time.Duration(float64(time.Second) * float64(*batch) / float64(*rate))
		t := time.NewTicker(interval)
		defer t.Stop()
		tick = t.C
	}
	var rssMax atomic.Int64
	stopRSS := make(chan struct{})
	if *pid > 0 {
		go func() {
			for {
				select {
				case <-stopRSS:
					return
				case <-time.After(200 * time.Millisecond):
				}
				if r := rss(*pid); r > rssMax.Load() {
					rssMax.Store(r)
				}
			}
		}()
	}
	var vis []time.Duration
	var visMu sync.Mutex
	if *probe && *token != "" {
		go func() {
			for i := 0; time.Now().Before(deadline); i++ {
				id := fmt.Sprintf("%s-probe-%d", *run, i)
				body := fmt.Sprintf(`{"batch":[{"type":"track","userId":"probe","event":"Probe","messageId":%q}]}`, id)
				req, _ := http.NewRequest("POST", *url+"/v1/batch", strings.NewReader(body))
				req.SetBasicAuth(*key, "")
				resp, err := client.Do(req)
				if err != nil || resp.StatusCode != 200 {
					if resp != nil {
						resp.Body.Close()
					}
					time.Sleep(200 * time.Millisecond)
					continue
				}
				resp.Body.Close()
				acked := time.Now()
				for time.Since(acked) < 10*time.Second {
					q, _ := json.Marshal(map[string]string{"sql": "SELECT count(*) FROM events WHERE received_at > now() - INTERVAL 30 SECONDS AND message_id = '" + id + "'"})
					req, _ := http.NewRequest("POST", *url+"/v1/query", bytes.NewReader(q))
					req.Header.Set("Authorization", "Bearer "+*token)
					resp, err := client.Do(req)
					if err != nil {
						break
					}
					var out struct{ Rows [][]any }
					json.NewDecoder(resp.Body).Decode(&out)
					resp.Body.Close()
					if len(out.Rows) == 1 && fmt.Sprint(out.Rows[0][0]) == "1" {
						visMu.Lock()
						vis = append(vis, time.Since(acked))
						visMu.Unlock()
						break
					}
					time.Sleep(10 * time.Millisecond)
				}
				time.Sleep(200 * time.Millisecond)
			}
		}()
	}

	var wg sync.WaitGroup
	var seq atomic.Int64
	start := time.Now()
	for w := 0; w < *workers; w++ {
		wg.Add(1)
		go func(w int) {
			defer wg.Done()
			var buf bytes.Buffer
			local := make([]time.Duration, 0, 4096)
			for time.Now().Before(deadline) {
				if tick != nil {
					<-tick
				}
				n := seq.Add(1)
				buf.Reset()
				buf.WriteString(`{"batch":[`)
				now := time.Now().UTC().Format(time.RFC3339Nano)
				for i := 0; i < *batch; i++ {
					if i > 0 {
						buf.WriteByte(',')
					}
					fmt.Fprintf(&buf, `{"type":"track","event":"Product Viewed","userId":"user-%d","messageId":"%s-%d-%d","timestamp":%q,`+
						`"properties":{"product_id":"sku-%d","name":"Merino crew sweater","price":79.9,"currency":"EUR","category":"Knitwear"},`+
						`"context":{"library":{"name":"@segment/analytics-node","version":"2.1.0"}},"integrations":{},"_metadata":{"jsRuntime":"node"}}`,
						(int(n)*7+i)%50000, *run, n, i, now, i%120)
				}
				fmt.Fprintf(&buf, `],"sentAt":%q}`, now)
				req, _ := http.NewRequest("POST", *url+"/v1/batch", bytes.NewReader(buf.Bytes()))
				req.SetBasicAuth(*key, "")
				req.Header.Set("Content-Type", "application/json")
				t0 := time.Now()
				resp, err := client.Do(req)
				if err != nil {
					failed.Add(int64(*batch))
					continue
				}
				io.Copy(io.Discard, resp.Body)
				resp.Body.Close()
				switch resp.StatusCode {
				case 200:
					sent.Add(int64(*batch))
					local = append(local, time.Since(t0))
				case 429:
					status429.Add(1)
					time.Sleep(50 * time.Millisecond)
				default:
					failed.Add(int64(*batch))
				}
			}
			latMu.Lock()
			lats = append(lats, local...)
			latMu.Unlock()
		}(w)
	}
	wg.Wait()
	el := time.Since(start)
	close(stopRSS)
	slices.Sort(lats)
	slices.Sort(vis)
	fmt.Printf("events acknowledged: %d in %.1fs = %.0f events/s (%d failed, %d answers 429)\n", sent.Load(), el.Seconds(), float64(sent.Load())/el.Seconds(), failed.Load(), status429.Load())
	fmt.Printf("ack latency per %d-event request: p50 %s  p99 %s  max %s\n", *batch, pct(lats, 50), pct(lats, 99), pct(lats, 100))
	if len(vis) > 0 {
		fmt.Printf("queryable after ack (%d probes): p50 %s  p99 %s  max %s\n", len(vis), pct(vis, 50), pct(vis, 99), pct(vis, 100))
	}
	if *pid > 0 {
		fmt.Printf("server resident memory: max %.0f MiB\n", float64(rssMax.Load())/(1<<20))
	}
}

func pct(d []time.Duration, p int) time.Duration {
	if len(d) == 0 {
		return 0
	}
	i := (len(d) - 1) * p / 100
	return d[i].Round(100 * time.Microsecond)
}

// rss reads a process's resident set size from /proc.
func rss(pid int) int64 {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return 0
	}
	for _, line := range strings.Split(string(b), "\n") {
		if strings.HasPrefix(line, "VmRSS:") {
			f := strings.Fields(line)
			kb, _ := strconv.ParseInt(f[1], 10, 64)
			return kb << 10
		}
	}
	return 0
}
