package main

import (
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/tradewind/tradewind/bench/machine"
	"github.com/tradewind/tradewind/internal/deliver"
)

// receiver is a real HTTP webhook receiver: it checks each delivery's
// signature and records when the delivery for each benchmark id arrived.
type receiver struct {
	mu       sync.Mutex
	secret   []byte
	arrivals map[string]arrival // by bench_id
	total    int                // requests
	bad      int                // bad signature or body
	dups     int                // a second delivery of the same bench_id
	noID     int                // no bench_id in the trigger's properties
	srv      *http.Server
	url      string
}

type arrival struct {
	at      time.Time // when the request reached the receiver
	created time.Time // the action's created_at: when the engine enqueued it
	id      string    // the idempotency key
}

func startReceiver() (*receiver, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	r := &receiver{arrivals: map[string]arrival{}, url: "http://" + ln.Addr().String() + "/hook"}
	r.srv = &http.Server{Handler: http.HandlerFunc(r.serve), ReadHeaderTimeout: 10 * time.Second}
	go r.srv.Serve(ln)
	return r, nil
}

func (r *receiver) setSecret(s string) {
	r.mu.Lock()
	r.secret = []byte(s)
	r.mu.Unlock()
}

func (r *receiver) serve(w http.ResponseWriter, req *http.Request) {
	at := time.Now()
	body, _ := io.ReadAll(req.Body)
	r.mu.Lock()
	secret := r.secret
	r.total++
	r.mu.Unlock()
	if err := deliver.Verify(secret, req.Header.Get(deliver.HeaderSignature), body, at, time.Minute); err != nil {
		r.mu.Lock()
		r.bad++
		r.mu.Unlock()
		w.WriteHeader(400)
		return
	}
	var b struct {
		ID        string    `json:"id"`
		CreatedAt time.Time `json:"created_at"`
		Trigger   struct {
			Properties struct {
				BenchID string `json:"bench_id"`
			} `json:"properties"`
		} `json:"trigger"`
	}
	if json.Unmarshal(body, &b) != nil {
		r.mu.Lock()
		r.bad++
		r.mu.Unlock()
		w.WriteHeader(400)
		return
	}
	r.mu.Lock()
	switch id := b.Trigger.Properties.BenchID; {
	case id == "":
		r.noID++
	default:
		if _, dup := r.arrivals[id]; dup {
			r.dups++
		} else {
			r.arrivals[id] = arrival{at: at, created: b.CreatedAt, id: b.ID}
		}
	}
	r.mu.Unlock()
	w.WriteHeader(200)
}

func (r *receiver) count() int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return len(r.arrivals)
}

func (r *receiver) get(id string) (arrival, bool) {
	r.mu.Lock()
	defer r.mu.Unlock()
	a, ok := r.arrivals[id]
	return a, ok
}

// sample is one triggering event: when it was due, sent, and acknowledged.
type sample struct {
	due, ack time.Time
	ok       bool
}

// latencies match the measured samples [from, to) to their webhook
// arrivals (by the run's event ids) and split the time they took.
type latencies struct {
	ack, e2e, toCreated, toArrival []time.Duration
	firstAck, lastAck, lastArr     time.Time
	missing                        int
}

func measure(samples []sample, from, to int, recv *receiver, run string) latencies {
	var l latencies
	for i := from; i < to; i++ {
		s := samples[i]
		if !s.ok {
			continue
		}
		l.ack = append(l.ack, s.ack.Sub(s.due))
		if l.firstAck.IsZero() || s.ack.Before(l.firstAck) {
			l.firstAck = s.ack
		}
		if s.ack.After(l.lastAck) {
			l.lastAck = s.ack
		}
		a, ok := recv.get(fmt.Sprintf("%s-%d", run, i))
		if !ok {
			l.missing++
			continue
		}
		l.e2e = append(l.e2e, a.at.Sub(s.ack))
		l.toCreated = append(l.toCreated, a.created.Sub(s.ack))
		l.toArrival = append(l.toArrival, a.at.Sub(a.created))
		if a.at.After(l.lastArr) {
			l.lastArr = a.at
		}
	}
	return l
}

// dataDir fills *dir with a new data directory under a /tmp/PREFIX* one
// when it is empty; the returned function removes it (unless keep).
func dataDir(dir *string, prefix string, keep bool) (cleanup func(), err error) {
	if *dir != "" {
		return func() {}, nil
	}
	d, err := os.MkdirTemp("", prefix)
	if err != nil {
		return nil, err
	}
	*dir = filepath.Join(d, "data")
	if keep {
		return func() {}, nil
	}
	return func() { os.RemoveAll(d) }, nil
}

// pcts prints p50/p90/p99/max of durations in ms.
func pcts(ds []time.Duration) string {
	if len(ds) == 0 {
		return "n=0"
	}
	slices.Sort(ds)
	q := func(p float64) float64 {
		i := int(p*float64(len(ds))+0.5) - 1
		i = min(max(i, 0), len(ds)-1)
		return float64(ds[i]) / 1e6
	}
	var sum time.Duration
	for _, d := range ds {
		sum += d
	}
	return fmt.Sprintf("n=%d p50 %.1f ms, p90 %.1f ms, p99 %.1f ms, p99.9 %.1f ms, max %.1f ms, mean %.1f ms",
		len(ds), q(0.5), q(0.9), q(0.99), q(0.999), float64(ds[len(ds)-1])/1e6, float64(sum)/float64(len(ds))/1e6)
}

func quantile(ds []time.Duration, p float64) time.Duration {
	if len(ds) == 0 {
		return 0
	}
	s := slices.Clone(ds)
	slices.Sort(s)
	i := int(p*float64(len(s))+0.5) - 1
	return s[min(max(i, 0), len(s)-1)]
}

// cpuMeter measures a process's CPU and the rest of the machine's over a
// phase.
type cpuMeter struct {
	pid        int
	t0         time.Time
	cpu0, bus0 float64
}

func newCPUMeter(pid int) *cpuMeter {
	return &cpuMeter{pid: pid, t0: time.Now(), cpu0: machine.ProcCPU(pid), bus0: machine.Busy()}
}

func (m *cpuMeter) String() string {
	wall := time.Since(m.t0).Seconds()
	cpu := machine.ProcCPU(m.pid) - m.cpu0
	busy := machine.Busy() - m.bus0
	return fmt.Sprintf("wall %.1f s, process CPU %.1f s (%.2f cores), machine busy %.2f cores, other processes %.2f cores, load %s",
		wall, cpu, cpu/wall, busy/wall, (busy-cpu)/wall, machine.LoadAvg())
}

// gitDescribe names the code measured: $ACTBENCH_VERSION (run-actions.sh
// sets it to the commit it built), else the working directory's commit.
func gitDescribe() string {
	if v := os.Getenv("ACTBENCH_VERSION"); v != "" {
		return v
	}
	out, err := exec.Command("git", "describe", "--always", "--dirty").Output()
	if err != nil {
		return "?"
	}
	return strings.TrimSpace(string(out))
}

func logf(format string, args ...any) {
	fmt.Printf("%s "+format+"\n", append([]any{time.Now().UTC().Format("15:04:05")}, args...)...)
}
