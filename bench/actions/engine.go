package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"runtime/debug"
	"runtime/pprof"
	"sync"
	"time"

	"github.com/valyala/fastjson"

	"github.com/tradewind/tradewind/bench/machine"
	"github.com/tradewind/tradewind/internal/eventlog"
	"github.com/tradewind/tradewind/internal/journey"
	"github.com/tradewind/tradewind/internal/segment"
)

// directPeople is the engine-only People: a message's profile is "p_" and
// its userId, resolved at once (no profile engine to wait for).
// With a lag, Resolve first waits until lag after the message's receipt,
// as appPeople.Resolve waits for a profile engine that is lag behind.
type directPeople struct{ lag time.Duration }

func (p directPeople) Resolve(_ context.Context, d eventlog.Delivery) (string, error) {
	if p.lag > 0 {
		time.Sleep(time.Until(d.Meta.ReceivedAt.Add(p.lag)))
	}
	v, err := fastjson.ParseBytes(d.Data)
	if err != nil {
		return "", nil
	}
	u := v.GetStringBytes("userId")
	if len(u) == 0 {
		return "", nil
	}
	return "p_" + string(u), nil
}

func (directPeople) Person(_ context.Context, pid string) (*journey.Person, error) {
	return &journey.Person{ID: pid, Traits: map[string]any{}, Computed: map[string]any{}, Segments: map[string]bool{},
		Consent: map[string]bool{}}, nil
}

func (directPeople) EnsureSegment(context.Context, string, string, string) error { return nil }

// SetTraits is not used by these journeys (newer engines ask for it).
func (directPeople) SetTraits(context.Context, string, string, map[string]any) error { return nil }

// engineNode is an embedded event log and a journey engine in this process,
// in a temporary directory, with the webhook receiver its journey calls.
type engineNode struct {
	dir  string
	recv *receiver
	log  *eventlog.Log
	eng  *journey.Engine
	jid  string
}

// openEngine starts a receiver, opens a log and a journey engine in a new
// temporary directory, and saves and activates journey j with the receiver
// as its destination; close undoes all of it.
func openEngine(ctx context.Context, j journey.Journey, conc int, rate float64, tick, lag time.Duration) (*engineNode, error) {
	recv, err := startReceiver()
	if err != nil {
		return nil, err
	}
	dir, err := os.MkdirTemp("", "actbench-engine-")
	if err != nil {
		recv.srv.Close()
		return nil, err
	}
	n := &engineNode{dir: dir, recv: recv}
	n.log, err = eventlog.Open(ctx, eventlog.Config{Dir: filepath.Join(dir, "log")})
	if err != nil {
		n.close()
		return nil, err
	}
	n.eng, err = journey.Open(ctx, journey.Config{AllowPrivateWebhooks: true, Dir: filepath.Join(dir, "journeys"), Log: n.log, JetStream: n.log.JetStream(),
		People: directPeople{lag: lag}, Tick: tick})
	if err != nil {
		n.close()
		return nil, err
	}
	d, err := n.eng.SaveDestination(ctx, journey.Destination{Name: "bench", URL: recv.url, Concurrency: conc, RatePerSecond: rate}, true, false, "bench")
	if err != nil {
		n.close()
		return nil, err
	}
	recv.setSecret(d.Secret)
	saved, _, err := n.eng.Save(ctx, j, true, "bench")
	if err != nil {
		n.close()
		return nil, err
	}
	if _, _, err := n.eng.SetStatus(ctx, saved.ID, journey.StatusActive, "bench"); err != nil {
		n.close()
		return nil, err
	}
	n.jid = saved.ID
	return n, nil
}

func (n *engineNode) close() {
	if n.eng != nil {
		n.eng.Close()
	}
	if n.log != nil {
		n.log.Close()
	}
	n.recv.srv.Close()
	os.RemoveAll(n.dir)
}

func trackMessage(source, msgID, user, event, props string, now time.Time) eventlog.Message {
	data := fmt.Sprintf(`{"type":"track","userId":%q,"event":%q,"messageId":%q,"timestamp":%q,"properties":%s}`,
		user, event, msgID, now.UTC().Format(time.RFC3339Nano), props)
	return eventlog.Message{Type: segment.Track, Meta: eventlog.Meta{Source: source, MessageID: msgID, ReceivedAt: now,
		Timestamp: now}, Data: []byte(data)}
}

// ---- engine latency ----

func engineLatency(args []string) error {
	fs := flag.NewFlagSet("engine-latency", flag.ExitOnError)
	rate := fs.Float64("rate", 1000, "triggering events per second (one log publish each)")
	dur := fs.Duration("duration", 60*time.Second, "measured sending time")
	warm := fs.Duration("warmup", 5*time.Second, "warm-up at the rate (not counted)")
	drain := fs.Duration("drain", 60*time.Second, "wait for the last deliveries")
	workers := fs.Int("workers", 32, "concurrent publishers")
	users := fs.Int("users", 20000, "people, round robin")
	conc := fs.Int("dest-concurrency", 16, "destination concurrency")
	destRate := fs.Float64("dest-rate", 5000, "destination rate_per_second (0: the engine's default, 200/s)")
	tick := fs.Duration("tick", 0, "the engine's Tick (0: its default, 100 ms)")
	profile := fs.String("cpuprofile", "", "CPU profile of this process over the measured part")
	lag := fs.Duration("resolve-lag", 0, "People.Resolve waits until this long after each message's receipt (a profile engine that far behind)")
	fs.Parse(args)

	ctx := context.Background()
	j := journey.Journey{Name: "Bench actions", Trigger: journey.Trigger{Type: journey.TriggerEvent, Event: "Bench Triggered"},
		Steps:   []journey.Step{{ID: "hook", Type: journey.StepWebhook, Destination: "bench"}},
		Reentry: journey.Reentry{Mode: journey.ReentryAlways}}
	n, err := openEngine(ctx, j, *conc, *destRate, *tick, *lag)
	if err != nil {
		return err
	}
	defer n.close()
	n.eng.Start(ctx)

	total := int((*warm + *dur).Seconds() * *rate)
	nWarm := int(warm.Seconds() * *rate)
	samples := make([]sample, total)
	run := fmt.Sprintf("%x", time.Now().UnixNano())
	jobs := make(chan int, total)
	var wg sync.WaitGroup
	for range *workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range jobs {
				id := fmt.Sprintf("%s-%d", run, i)
				m := trackMessage("bench", id, fmt.Sprintf("u%d", i%*users), "Bench Triggered",
					fmt.Sprintf(`{"bench_id":%q,"sku":"SKU-%d","value":19.9,"currency":"EUR"}`, id, i%500), time.Now())
				_, err := n.log.Publish(ctx, []eventlog.Message{m})
				samples[i].ack = time.Now()
				samples[i].ok = err == nil
			}
		}()
	}
	pid := os.Getpid()
	var meter *cpuMeter
	start := time.Now()
	interval := time.Duration(float64(time.Second) / *rate)
	for i := range total {
		due := start.Add(time.Duration(i) * interval)
		if d := time.Until(due); d > 0 {
			time.Sleep(d)
		}
		if i == nWarm {
			meter = newCPUMeter(pid)
			if *profile != "" {
				f, err := os.Create(*profile)
				if err == nil {
					pprof.StartCPUProfile(f)
					defer f.Close()
				}
			}
		}
		samples[i].due = due
		jobs <- i
	}
	close(jobs)
	wg.Wait()
	if *profile != "" {
		pprof.StopCPUProfile()
	}
	phase := meter.String()
	ackEnd := time.Now()
	deadline := time.Now().Add(*drain)
	for n.recv.count() < total && time.Now().Before(deadline) {
		time.Sleep(100 * time.Millisecond)
	}
	l := measure(samples, nWarm, total, n.recv, run)
	ackLat, e2e, toCreated, toArrival := l.ack, l.e2e, l.toCreated, l.toArrival
	firstAck, lastAck, lastArr, missing := l.firstAck, l.lastAck, l.lastArr, l.missing
	fmt.Println()
	fmt.Printf("RESULT engine-latency (ENGINE ONLY: embedded log + internal/journey, People from userId, no HTTP ingest, no profile engine) commit %s | offered %.0f/s for %s, users %d, destination concurrency %d rate %.0f/s, tick %s, resolve lag %s\n",
		gitDescribe(), *rate, *dur, *users, *conc, *destRate, *tick, *lag)
	fmt.Printf("  published %d (%.1f/s); delivered %d (%.1f/s), missing after %.0f s: %d; receiver %d requests, %d bad, %d duplicates\n",
		len(ackLat), float64(len(ackLat))/lastAck.Sub(firstAck).Seconds(), len(e2e), float64(len(e2e))/lastArr.Sub(firstAck).Seconds(),
		time.Since(ackEnd).Seconds(), missing, n.recv.total, n.recv.bad, n.recv.dups)
	fmt.Printf("  publish latency (due → log ack): %s\n", pcts(ackLat))
	fmt.Printf("  ACK → WEBHOOK DELIVERY:          %s\n", pcts(e2e))
	fmt.Printf("    ack → action enqueued:   %s\n", pcts(toCreated))
	fmt.Printf("    enqueued → arrival:      %s\n", pcts(toArrival))
	fmt.Printf("  measured part (this process = log + engine + receiver + publishers): %s\n", phase)
	return nil
}

// ---- engine people ----

func enginePeople(args []string) error {
	fs := flag.NewFlagSet("engine-people", flag.ExitOnError)
	people := fs.Int("people", 1000000, "people who sign up")
	batch := fs.Int("batch", 1000, "messages per publish")
	profile := fs.String("cpuprofile", "", "CPU profile of the engine's consumption")
	heap := fs.String("heapprofile", "", "heap profile at the end")
	settle := fs.Duration("settle", 20*time.Second, "idle time before the steady RSS")
	limit := fs.Duration("limit", 20*time.Minute, "give up after")
	fs.Parse(args)

	ctx := context.Background()
	pid := os.Getpid()
	j := journey.Journey{Name: "Bench wait", Trigger: journey.Trigger{Type: journey.TriggerEvent, Event: "Signed Up"},
		Steps: []journey.Step{{ID: "wait", Type: journey.StepWait, Duration: journey.Duration(30 * 24 * time.Hour)},
			{ID: "hook", Type: journey.StepWebhook, Destination: "bench"}}}
	n, err := openEngine(ctx, j, 0, 0, 0, 0)
	if err != nil {
		return err
	}
	defer n.close()
	rss0 := machine.Mem(pid, machine.RSS)

	// 1. The log: every sign-up published first (the journey is active,
	// its engine not yet reading), so the engine's figures are its own.
	meter := newCPUMeter(pid)
	run := fmt.Sprintf("%x", time.Now().UnixNano())
	var wg sync.WaitGroup
	sem := make(chan struct{}, 8)
	var pubErr error
	var mu sync.Mutex
	for first := 0; first < *people; first += *batch {
		msgs := make([]eventlog.Message, 0, *batch)
		now := time.Now()
		for i := first; i < min(first+*batch, *people); i++ {
			id := fmt.Sprintf("%s-%d", run, i)
			msgs = append(msgs, trackMessage("bench", id, fmt.Sprintf("p%d", i), "Signed Up",
				fmt.Sprintf(`{"bench_id":%q,"plan":"free","channel":"organic"}`, id), now))
		}
		sem <- struct{}{}
		wg.Add(1)
		go func() {
			defer wg.Done()
			defer func() { <-sem }()
			if _, err := n.log.Publish(ctx, msgs); err != nil {
				mu.Lock()
				pubErr = err
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	if pubErr != nil {
		return pubErr
	}
	last, _ := n.log.LastSeq(ctx)
	runtime.GC()
	debug.FreeOSMemory()
	rssLog, hwmLog := machine.Mem(pid, machine.RSS), machine.Mem(pid, machine.Peak)
	logf("published %d messages (last seq %d): %s; RSS %.0f MiB (peak %.0f)", *people, last, meter, rssLog, hwmLog)

	// 2. The engine reads them all.
	machine.ResetPeak(pid)
	var peak float64
	stopS := make(chan struct{})
	go func() {
		t := time.NewTicker(500 * time.Millisecond)
		defer t.Stop()
		for {
			select {
			case <-stopS:
				return
			case <-t.C:
				r := machine.Mem(pid, machine.RSS)
				mu.Lock()
				peak = max(peak, r)
				mu.Unlock()
			}
		}
	}()
	if *profile != "" {
		f, err := os.Create(*profile)
		if err == nil {
			pprof.StartCPUProfile(f)
			defer f.Close()
		}
	}
	meter = newCPUMeter(pid)
	start := time.Now()
	n.eng.Start(ctx)
	var st *journey.Stats
	for {
		time.Sleep(time.Second)
		if n.eng.Applied() >= last {
			st, _ = n.eng.JourneyStats(n.jid)
			if st != nil && st.Active >= int64(*people) {
				break
			}
		}
		if time.Since(start) > *limit {
			st, _ = n.eng.JourneyStats(n.jid)
			break
		}
		if int(time.Since(start).Seconds())%15 == 0 {
			r := machine.Mem(pid, machine.RSS)
			logf("engine at seq %d of %d, RSS %.0f MiB", n.eng.Applied(), last, r)
		}
	}
	took := time.Since(start)
	phase := meter.String()
	if *profile != "" {
		pprof.StopCPUProfile()
	}
	close(stopS)
	hwm := machine.Mem(pid, machine.Peak)
	mu.Lock()
	peak = max(peak, hwm)
	mu.Unlock()
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	heapPeakish := float64(ms.HeapInuse) / (1 << 20)
	time.Sleep(*settle)
	runtime.GC()
	steady := machine.Mem(pid, machine.RSS)
	runtime.ReadMemStats(&ms)
	if *heap != "" {
		if f, err := os.Create(*heap); err == nil {
			pprof.WriteHeapProfile(f)
			f.Close()
		}
	}
	disk := machine.DirMiB(filepath.Join(n.dir, "journeys"))
	fmt.Println()
	fmt.Printf("RESULT engine-people (ENGINE ONLY: embedded log + internal/journey in one process, People from userId, no HTTP ingest, no profile engine, no store) commit %s | %d people, journey: Signed Up → wait 30d → webhook\n",
		gitDescribe(), *people)
	active := int64(0)
	if st != nil {
		active = st.Active
	}
	fmt.Printf("  %d people active in the journey after %.1f s of consumption (%.0f people/s); applied seq %d of %d\n",
		active, took.Seconds(), float64(active)/took.Seconds(), n.eng.Applied(), last)
	fmt.Printf("  consumption: %s\n", phase)
	fmt.Printf("  process RSS: at open %.0f MiB; after publishing 1M messages to the embedded log %.0f MiB (peak %.0f); peak while the engine read them %.0f MiB; steady %.0f MiB (%s idle, GC)\n",
		rss0, rssLog, hwmLog, peak, steady, *settle)
	fmt.Printf("  Go heap in use at the end of consumption %.0f MiB, after GC %.0f MiB (the rest of RSS: Pebble's caches and memtables, NATS's file store buffers)\n",
		heapPeakish, float64(ms.HeapInuse)/(1<<20))
	fmt.Printf("  journey state on disk: %.1f MiB (%.0f bytes a person); event log on disk %.0f MiB\n", disk,
		disk*(1<<20)/float64(max(active, 1)), machine.DirMiB(filepath.Join(n.dir, "log")))
	return nil
}
