// Command loadgen drives a tradewind server's tracking API the way the
// Segment Node SDK does (100-event /v1/batch requests of ~400-byte track
// events), at full speed or at a target rate, and reports throughput,
// acknowledgement latency, time until an event is queryable, the server's
// resident memory and CPU, and its own CPU (it shares the machine).
//
// Full speed (--rate 0) is a closed loop: each of --workers connections sends
// its next request as soon as the previous one is answered.
//
// A target rate is an open loop: worker w sends its k-th request at
// start + (w/workers + k) × period, period = workers × batch / rate, whether
// or not earlier requests were answered in time (a late worker sends at once,
// so the rate is kept as long as the server keeps up). Latency is reported
// from the moment a request was sent and, to avoid coordinated omission, also
// from the moment it was due.
//
// --identify-share S makes a share S of the messages identify calls, each for
// a new userId (distinct across runs and workers: derived from --run and the
// message's position) with the traits an SDK sends at sign-up: email, phone,
// firstName, lastName and a postal address. A server that encrypts
// high-tier personal fields then creates one data key per identify and seals
// its traits; the track events stay as they are (nothing to seal).
//
// The last line, "RESULT key=value …", is for scripts.
package main

import (
	"bufio"
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

	"github.com/tradewind/tradewind/bench/machine"
)

func main() {
	url := flag.String("url", "http://127.0.0.1:8080", "server URL")
	key := flag.String("write-key", "", "source write key")
	token := flag.String("token", "", "admin token (for the visibility probe, --drain and the writer backlog)")
	dur := flag.Duration("duration", 60*time.Second, "how long to send")
	workers := flag.Int("workers", 16, "concurrent connections")
	batch := flag.Int("batch", 100, "events per request")
	rate := flag.Int("rate", 0, "target events/s (0: as fast as possible)")
	pid := flag.Int("pid", 0, "server process id, to sample its resident memory and CPU time")
	probe := flag.Bool("probe", true, "measure time until an event is queryable (needs --token)")
	probeEvery := flag.Duration("probe-every", 200*time.Millisecond, "pause between two visibility probes")
	probePoll := flag.Duration("probe-poll", 50*time.Millisecond, "pause between two queries of one probe (each query costs the server CPU)")
	drain := flag.Duration("drain", 0, "after sending, wait up to this long until the store writer applied everything the log accepted (needs --token; counts from the server's start, so use a fresh server)")
	run := flag.String("run", strconv.FormatInt(time.Now().UnixNano(), 36), "run id, prefix of message ids")
	identifyShare := flag.Float64("identify-share", 0, "share of the messages (0–1) that are identify calls of new users with email, phone, names and address traits; the rest are track events")
	flag.Parse()
	if *key == "" {
		fmt.Fprintln(os.Stderr, "loadgen: --write-key is required")
		os.Exit(2)
	}
	if *workers < 1 || *batch < 1 || *rate < 0 {
		fmt.Fprintln(os.Stderr, "loadgen: --workers and --batch must be ≥ 1, --rate ≥ 0")
		os.Exit(2)
	}
	if *identifyShare < 0 || *identifyShare > 1 {
		fmt.Fprintln(os.Stderr, "loadgen: --identify-share must be between 0 and 1")
		os.Exit(2)
	}
	runHash := fnv64(*run)
	tr := &http.Transport{MaxIdleConnsPerHost: *workers + 4, MaxConnsPerHost: *workers + 4, DisableCompression: true}
	client := &http.Client{Transport: tr, Timeout: 30 * time.Second}

	// Server resident memory and CPU, sampled every 100 ms until the end
	// (drain included). Every 2 s (with --token) also the Go runtime's
	// share of it from /metrics, to tell the Go heap from C memory (DuckDB,
	// Pebble's caches and memtables): rarely, because a scrape costs the
	// server CPU.
	var rssMax atomic.Int64
	var goMax goMem          // largest Go-held and heap-in-use seen
	var goAtPeak goMem       // Go's share at the sample with the largest RSS
	var rssAtGoSample uint64 // that RSS
	stopRSS := make(chan struct{})
	rssDone := make(chan struct{})
	go func() {
		defer close(rssDone)
		if *pid <= 0 {
			return
		}
		t := time.NewTicker(100 * time.Millisecond)
		defer t.Stop()
		for n := 0; ; n++ {
			r := int64(machine.Mem(*pid, machine.RSS) * (1 << 20))
			if r > rssMax.Load() {
				rssMax.Store(r)
			}
			if *token != "" && n%20 == 0 {
				if g, err := readGoMem(client, *url, *token); err == nil {
					goMax.held, goMax.heapInuse = max(goMax.held, g.held), max(goMax.heapInuse, g.heapInuse)
					if uint64(r) >= rssAtGoSample {
						rssAtGoSample, goAtPeak = uint64(r), g
					}
				}
			}
			select {
			case <-stopRSS:
				return
			case <-t.C:
			}
		}
	}()

	start := time.Now()
	deadline := start.Add(*dur)
	srvCPU0 := machine.ProcCPU(*pid)
	selfCPU0 := machine.SelfCPU()
	busy0 := machine.Busy()

	// Visibility probe: one single-event batch at a time, then poll the store
	// until the event is there (or 10 s passed: counted as not visible). The
	// query looks only at the last 15 s of received_at, so that it does not
	// scan the whole run's events each time (it costs the server CPU).
	var vis []time.Duration
	var visLost, probesAcked int
	probeDone := make(chan struct{})
	go func() {
		defer close(probeDone)
		if !*probe || *token == "" {
			return
		}
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
				time.Sleep(*probeEvery)
				continue
			}
			io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
			probesAcked++
			acked := time.Now()
			seen := false
			for time.Since(acked) < 10*time.Second {
				q, _ := json.Marshal(map[string]string{"sql": "SELECT count(*) FROM events WHERE received_at > now() - INTERVAL 15 SECONDS AND message_id = '" + id + "'"})
				req, _ := http.NewRequest("POST", *url+"/v1/query", bytes.NewReader(q))
				req.Header.Set("Authorization", "Bearer "+*token)
				resp, err := client.Do(req)
				if err != nil {
					time.Sleep(*probePoll)
					continue
				}
				var out struct{ Rows [][]any }
				json.NewDecoder(resp.Body).Decode(&out)
				resp.Body.Close()
				if len(out.Rows) == 1 && fmt.Sprint(out.Rows[0][0]) == "1" {
					vis = append(vis, time.Since(acked))
					seen = true
					break
				}
				time.Sleep(*probePoll)
			}
			if !seen {
				visLost++
			}
			time.Sleep(*probeEvery)
		}
	}()

	// Events acknowledged per second of the run, to show whether the rate
	// was sustained.
	secs := int(dur.Seconds()) + 60
	perSec := make([]atomic.Int64, secs)
	var sent, failed, status429, late, unsent, bodyBytes, requests, identifies atomic.Int64
	var latMu sync.Mutex
	var lats, dueLats []time.Duration
	var seq atomic.Int64
	var period time.Duration
	if *rate > 0 {
		period = time.Duration(float64(time.Second) * float64(*workers**batch) / float64(*rate))
	}
	var wg sync.WaitGroup
	for w := 0; w < *workers; w++ {
		wg.Add(1)
		go func(w int) {
			defer wg.Done()
			var buf []byte
			local := make([]time.Duration, 0, 8192)
			localDue := make([]time.Duration, 0, 8192)
			next := start.Add(period * time.Duration(w) / time.Duration(*workers))
			for {
				due := time.Now()
				if !due.Before(deadline) {
					if period > 0 {
						// Requests due before the deadline that a slow server
						// kept us from sending: the target was not met.
						unsent.Add(max(0, int64((deadline.Sub(next)+period-1)/period)))
					}
					break
				}
				if period > 0 {
					if !next.Before(deadline) {
						break
					}
					if d := time.Until(next); d > 0 {
						time.Sleep(d)
					} else if d < -10*time.Millisecond {
						late.Add(1)
					}
					due = next
					next = next.Add(period)
				}
				n := seq.Add(1)
				var ni int
				buf, ni = appendBatch(buf[:0], *run, runHash, n, *batch, *identifyShare)
				bodyBytes.Add(int64(len(buf)))
				requests.Add(1)
				req, _ := http.NewRequest("POST", *url+"/v1/batch", bytes.NewReader(buf))
				req.SetBasicAuth(*key, "")
				req.Header.Set("Content-Type", "application/json")
				t0 := time.Now()
				resp, err := client.Do(req)
				if err != nil {
					failed.Add(int64(*batch))
					time.Sleep(10 * time.Millisecond)
					continue
				}
				io.Copy(io.Discard, resp.Body)
				resp.Body.Close()
				t1 := time.Now()
				switch resp.StatusCode {
				case 200:
					sent.Add(int64(*batch))
					identifies.Add(int64(ni))
					if s := int(t1.Sub(start) / time.Second); s < secs {
						perSec[s].Add(int64(*batch))
					}
					local = append(local, t1.Sub(t0))
					localDue = append(localDue, t1.Sub(due))
				case 429:
					status429.Add(1)
					if period == 0 {
						time.Sleep(50 * time.Millisecond)
					}
				default:
					failed.Add(int64(*batch))
				}
			}
			latMu.Lock()
			lats = append(lats, local...)
			dueLats = append(dueLats, localDue...)
			latMu.Unlock()
		}(w)
	}
	wg.Wait()
	el := time.Since(start)
	srvCPU1 := machine.ProcCPU(*pid)
	selfCPU1 := machine.SelfCPU()
	busy1 := machine.Busy()
	<-probeDone

	var applied, accepted float64
	backlogAtEnd := -1.0
	if *token != "" {
		if a, acc, err := writerState(client, *url, *token); err == nil {
			applied, accepted = a, acc
			backlogAtEnd = acc - a
		}
	}
	drainTook := time.Duration(-1)
	if *drain > 0 && *token != "" {
		t0 := time.Now()
		for time.Since(t0) < *drain {
			a, acc, err := writerState(client, *url, *token)
			if err == nil {
				applied, accepted = a, acc
				if a >= acc {
					drainTook = time.Since(t0)
					break
				}
			}
			time.Sleep(100 * time.Millisecond)
		}
	}
	close(stopRSS)
	<-rssDone

	slices.Sort(lats)
	slices.Sort(dueLats)
	slices.Sort(vis)
	full := int(el / time.Second)
	var ps []int64
	for i := 0; i < full && i < secs; i++ {
		ps = append(ps, perSec[i].Load())
	}
	slices.Sort(ps)
	evs := float64(sent.Load()) / el.Seconds()
	target := "full speed"
	if *rate > 0 {
		target = fmt.Sprintf("target %d/s", *rate)
	}
	fmt.Printf("load: %s, %d workers, %d-event batches, %.0f bytes/event on average, %.1fs\n", target, *workers, *batch,
		float64(bodyBytes.Load())/float64(max(1, requests.Load()))/float64(*batch), el.Seconds())
	if *identifyShare > 0 {
		fmt.Printf("identify calls of new users: %.1f%% of the messages; %d acknowledged (%.0f/s)\n",
			*identifyShare*100, identifies.Load(), float64(identifies.Load())/el.Seconds())
	}
	fmt.Printf("events acknowledged: %d = %.0f events/s (%d failed, %d answers 429, %d sends >10ms late, %d requests due but not sent by the end)\n",
		sent.Load(), evs, failed.Load(), status429.Load(), late.Load(), unsent.Load())
	if len(ps) > 0 {
		fmt.Printf("per second: min %d  median %d  max %d events (%d full seconds)\n", ps[0], ps[len(ps)/2], ps[len(ps)-1], len(ps))
	}
	fmt.Printf("ack latency per %d-event request, from send: p50 %s  p90 %s  p99 %s  p99.9 %s  max %s\n", *batch,
		pct(lats, 50), pct(lats, 90), pct(lats, 99), pct(lats, 99.9), pct(lats, 100))
	if *rate > 0 {
		fmt.Printf("ack latency from when it was due (open loop): p50 %s  p99 %s  max %s\n", pct(dueLats, 50), pct(dueLats, 99), pct(dueLats, 100))
	}
	if *probe && *token != "" {
		fmt.Printf("queryable after ack (%d probes, %d not visible within 10s): p50 %s  p99 %s  max %s\n",
			len(vis), visLost, pct(vis, 50), pct(vis, 99), pct(vis, 100))
	}
	if backlogAtEnd >= 0 {
		fmt.Printf("store writer backlog when sending stopped: %.0f messages\n", backlogAtEnd)
	}
	if *token != "" {
		fmt.Printf("server: log accepted %.0f messages, store applied through sequence %.0f; loadgen got 200 for %d events + %d probes\n",
			accepted, applied, sent.Load(), probesAcked)
	}
	if *drain > 0 {
		if drainTook >= 0 {
			fmt.Printf("store writer caught up %.1fs after sending stopped\n", drainTook.Seconds())
		} else {
			fmt.Printf("store writer NOT caught up after %s: applied %.0f of %.0f\n", *drain, applied, accepted)
		}
	}
	srvCores := -1.0
	if *pid > 0 {
		srvCores = (srvCPU1 - srvCPU0) / el.Seconds()
		fmt.Printf("server: resident memory max %.0f MiB; CPU %.2f cores while sending (%.1f µs per event)\n",
			float64(rssMax.Load())/(1<<20), srvCores, (srvCPU1-srvCPU0)/float64(max(1, sent.Load()))*1e6)
	}
	if goMax.held > 0 {
		fmt.Printf("server Go runtime: held max %.0f MiB from the OS (heap in use max %.0f MiB); at the largest RSS sampled with it (%.0f MiB) Go held %.0f MiB, the rest (C: DuckDB, Pebble) %.0f MiB\n",
			mib(goMax.held), mib(goMax.heapInuse), mib(rssAtGoSample), mib(goAtPeak.held), mib(rssAtGoSample)-mib(goAtPeak.held))
	}
	selfCores := (selfCPU1 - selfCPU0) / el.Seconds()
	busyCores := (busy1 - busy0) / el.Seconds()
	otherCores := -1.0
	if *pid > 0 {
		otherCores = max(0, busyCores-srvCores-selfCores)
	}
	fmt.Printf("loadgen: CPU %.2f cores; whole machine busy %.2f cores, of which other processes %.2f\n", selfCores, busyCores, otherCores)
	fmt.Printf("RESULT identify_share=%g identifies_per_s=%.0f events_per_s=%.0f p50_ms=%.1f p99_ms=%.1f due_p99_ms=%.1f max_ms=%.1f min_sec=%d vis_n=%d vis_lost=%d vis_p50_ms=%.0f vis_p99_ms=%.0f rss_mib=%.0f srv_cores=%.2f loadgen_cores=%.2f other_cores=%.2f failed=%d r429=%d late=%d unsent=%d backlog=%.0f drain_s=%.1f go_held_mib=%.0f go_heap_mib=%.0f\n",
		*identifyShare, float64(identifies.Load())/el.Seconds(), evs, ms(pct(lats, 50)), ms(pct(lats, 99)), ms(pct(dueLats, 99)), ms(pct(lats, 100)), first(ps), len(vis), visLost,
		ms(pct(vis, 50)), ms(pct(vis, 99)), float64(rssMax.Load())/(1<<20), srvCores, selfCores, otherCores,
		failed.Load(), status429.Load(), late.Load(), unsent.Load(), backlogAtEnd, drainSec(drainTook), mib(goMax.held), mib(goMax.heapInuse))
}

// appendBatch writes one /v1/batch body of n messages shaped like the
// Segment Node SDK's: track events (about 400 bytes each) and, for a share
// of them, identify calls of new users (about 600 bytes). It returns the body
// and how many identify calls it holds.
func appendBatch(b []byte, run string, runHash uint64, n int64, batch int, identifyShare float64) ([]byte, int) {
	now := time.Now().UTC().AppendFormat(nil, time.RFC3339Nano)
	b = append(b, `{"batch":[`...)
	ni := 0
	for i := 0; i < batch; i++ {
		if i > 0 {
			b = append(b, ',')
		}
		// Message k of the run is an identify when it crosses a multiple of
		// 1/share: exactly the share, spread evenly.
		k := (n-1)*int64(batch) + int64(i)
		if identifyShare > 0 && int64(float64(k+1)*identifyShare) > int64(float64(k)*identifyShare) {
			b = appendIdentify(b, run, runHash, n, i, k, now)
			ni++
			continue
		}
		b = append(b, `{"type":"track","event":"Product Viewed","userId":"user-`...)
		b = strconv.AppendInt(b, (n*7+int64(i))%50000, 10)
		b = append(b, `","messageId":"`...)
		b = append(b, run...)
		b = append(b, '-')
		b = strconv.AppendInt(b, n, 10)
		b = append(b, '-')
		b = strconv.AppendInt(b, int64(i), 10)
		b = append(b, `","timestamp":"`...)
		b = append(b, now...)
		b = append(b, `","properties":{"product_id":"sku-`...)
		b = strconv.AppendInt(b, int64(i%120), 10)
		b = append(b, `","name":"Merino crew sweater","price":79.9,"currency":"EUR","category":"Knitwear"},`+
			`"context":{"library":{"name":"@segment/analytics-node","version":"2.1.0"}},"integrations":{},"_metadata":{"jsRuntime":"node"}}`...)
	}
	b = append(b, `],"sentAt":"`...)
	b = append(b, now...)
	return append(b, `"}`...), ni
}

var (
	firstNames = [...]string{"Emma", "Liam", "Sofia", "Lukas", "Chloé", "Mateo", "Hanna", "Noah", "Giulia", "Yuki", "Amara", "Oliver", "Zoé", "Jan", "Aisha", "Mei"}
	lastNames  = [...]string{"Müller", "Smith", "García", "Rossi", "Dubois", "Kowalski", "Jansen", "Tanaka", "Silva", "O'Brien", "Nielsen", "Schmidt", "Novak", "Chen", "Moreau", "Bianchi"}
	domains    = [...]string{"gmail.com", "outlook.com", "web.de", "yahoo.fr", "icloud.com", "gmx.net", "hotmail.co.uk", "libero.it"}
	streets    = [...]string{"Hauptstraße", "High Street", "Rue de la Paix", "Via Roma", "Calle Mayor", "Kerkstraat", "ul. Długa", "Storgatan"}
	// cities with their country and a mobile prefix; the number goes on with
	// digits more digits (a possible length for the country).
	cities = [...]struct {
		city, country, prefix string
		digits                int
	}{
		{"Berlin", "DE", "+49 151 ", 8}, {"London", "GB", "+44 7700 ", 6}, {"Lyon", "FR", "+33 6 ", 8}, {"Milano", "IT", "+39 347 ", 7},
		{"Madrid", "ES", "+34 612 ", 6}, {"Utrecht", "NL", "+31 6 ", 8}, {"Kraków", "PL", "+48 512 ", 6}, {"Malmö", "SE", "+46 70 ", 7},
	}
)

// appendIdentify writes one identify call of a new user: userId and the
// personal values derive from the run and the message's position k, so every
// identify of every run is a different person.
func appendIdentify(b []byte, run string, runHash uint64, n int64, i int, k int64, now []byte) []byte {
	h := mix(runHash ^ uint64(k))
	fn, ln := firstNames[h%16], lastNames[(h>>4)%16]
	c := cities[(h>>8)%8]
	uid := strconv.FormatUint(h, 36)
	b = append(b, `{"type":"identify","userId":"cus_`...)
	b = append(b, uid...)
	b = append(b, `","anonymousId":"`...)
	b = appendUUID(b, mix(h))
	b = append(b, `","messageId":"`...)
	b = append(b, run...)
	b = append(b, '-')
	b = strconv.AppendInt(b, n, 10)
	b = append(b, '-')
	b = strconv.AppendInt(b, int64(i), 10)
	b = append(b, `","timestamp":"`...)
	b = append(b, now...)
	b = append(b, `","traits":{"email":"`...)
	b = append(b, strings.ToLower(fn)...)
	b = append(b, '.')
	b = append(b, strings.ToLower(strings.ReplaceAll(ln, "'", ""))...)
	b = append(b, '.')
	b = append(b, uid[:min(6, len(uid))]...)
	b = append(b, '@')
	b = append(b, domains[(h>>12)%8]...)
	b = append(b, `","phone":"`...)
	b = append(b, c.prefix...)
	b = appendDigits(b, h>>16, c.digits)
	b = append(b, `","firstName":"`...)
	b = append(b, fn...)
	b = append(b, `","lastName":"`...)
	b = append(b, ln...)
	b = append(b, `","address":{"street":"`...)
	b = append(b, streets[(h>>20)%8]...)
	b = append(b, ' ')
	b = strconv.AppendUint(b, 1+(h>>24)%180, 10)
	b = append(b, `","city":"`...)
	b = append(b, c.city...)
	b = append(b, `","postalCode":"`...)
	b = appendDigits(b, h>>32, 5)
	b = append(b, `","country":"`...)
	b = append(b, c.country...)
	b = append(b, `"},"plan":"free","createdAt":"`...)
	b = append(b, now...)
	return append(b, `"},"context":{"library":{"name":"@segment/analytics-node","version":"2.1.0"}},"integrations":{},"_metadata":{"jsRuntime":"node"}}`...)
}

func appendDigits(b []byte, v uint64, n int) []byte {
	for j := 0; j < n; j++ {
		b = append(b, byte('0'+v%10))
		v /= 10
	}
	return b
}

func appendUUID(b []byte, v uint64) []byte {
	const hexd = "0123456789abcdef"
	w := mix(v + 1)
	for j := 0; j < 32; j++ {
		if j == 8 || j == 12 || j == 16 || j == 20 {
			b = append(b, '-')
		}
		x := v
		if j >= 16 {
			x = w
		}
		b = append(b, hexd[(x>>(4*(j%16)))&15])
	}
	return b
}

// mix is splitmix64's finaliser: distinct inputs give distinct,
// well-spread outputs.
func mix(x uint64) uint64 {
	x += 0x9e3779b97f4a7c15
	x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9
	x = (x ^ (x >> 27)) * 0x94d049bb133111eb
	return x ^ (x >> 31)
}

func fnv64(s string) uint64 {
	h := uint64(14695981039346656037)
	for i := 0; i < len(s); i++ {
		h ^= uint64(s[i])
		h *= 1099511628211
	}
	return h
}

// goMem is the Go runtime's memory in a server: what it holds from the OS
// (obtained minus released to it) and its heap spans in use, in bytes.
type goMem struct{ held, heapInuse uint64 }

// readGoMem reads goMem from the server's /metrics (Prometheus' Go
// collector).
func readGoMem(c *http.Client, url, token string) (goMem, error) {
	req, _ := http.NewRequest("GET", url+"/metrics", nil)
	req.Header.Set("Authorization", "Bearer "+token)
	resp, err := c.Do(req)
	if err != nil {
		return goMem{}, err
	}
	defer resp.Body.Close()
	var sys, released, inuse float64
	sc := bufio.NewScanner(resp.Body)
	sc.Buffer(make([]byte, 1<<16), 1<<20)
	for sc.Scan() {
		f := strings.Fields(sc.Text())
		if len(f) != 2 {
			continue
		}
		v, _ := strconv.ParseFloat(f[1], 64)
		switch f[0] {
		case "go_memstats_sys_bytes":
			sys = v
		case "go_memstats_heap_released_bytes":
			released = v
		case "go_memstats_heap_inuse_bytes":
			inuse = v
		}
	}
	if sys == 0 {
		return goMem{}, fmt.Errorf("no go_memstats_sys_bytes in /metrics")
	}
	return goMem{held: uint64(sys - released), heapInuse: uint64(inuse)}, sc.Err()
}

func mib(b uint64) float64 { return float64(b) / (1 << 20) }

// writerState reads the store's applied log sequence and the number of
// messages the log accepted since the server started (on a fresh data
// directory: the log's last sequence).
func writerState(c *http.Client, url, token string) (applied, accepted float64, err error) {
	req, _ := http.NewRequest("GET", url+"/metrics", nil)
	req.Header.Set("Authorization", "Bearer "+token)
	resp, err := c.Do(req)
	if err != nil {
		return 0, 0, err
	}
	defer resp.Body.Close()
	sc := bufio.NewScanner(resp.Body)
	sc.Buffer(make([]byte, 1<<16), 1<<20)
	for sc.Scan() {
		line := sc.Text()
		f := strings.Fields(line)
		if len(f) != 2 {
			continue
		}
		v, _ := strconv.ParseFloat(f[1], 64)
		switch {
		case f[0] == "tradewind_store_applied_messages":
			// A count: the applied sequence is a log position, and
			// positions are not dense (eventlog/position.go).
			applied = v
		case strings.HasPrefix(f[0], "tradewind_ingest_accepted_total"):
			accepted += v
		}
	}
	return applied, accepted, sc.Err()
}

func pct(d []time.Duration, p float64) time.Duration {
	if len(d) == 0 {
		return 0
	}
	i := int(float64(len(d)-1) * p / 100)
	return d[i].Round(100 * time.Microsecond)
}

func drainSec(d time.Duration) float64 {
	if d < 0 {
		return -1
	}
	return d.Seconds()
}

func ms(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }

func first(s []int64) int64 {
	if len(s) == 0 {
		return 0
	}
	return s[0]
}
