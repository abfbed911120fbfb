package realtime

import (
	"context"
	"flag"
	"fmt"
	"math/rand/v2"
	"testing"
	"time"

	"github.com/tradewind/tradewind/internal/eventlog"
	"github.com/tradewind/tradewind/internal/store"
)

var benchPeople = flag.Int("bench-people", 100_000, "people BenchmarkHandleReturningPeople loads before it measures")

// BenchmarkHandleReturningPeople measures the engine's cost per message
// when the people it hears from are many more than its caches hold (a bulk
// import, 1,000,000 profiles): it loads --bench-people people (one message
// each, not measured), then applies messages of people drawn at random, in
// deliveries of 1,000, and reports µs per message. No segments and no
// flush: what it measures is mostly reading and writing the engine's
// state in Pebble.
func BenchmarkHandleReturningPeople(b *testing.B) {
	e, err := Open(Config{Dir: b.TempDir(), StateCacheBytes: 0,
		Projector:  &store.Projector{Source: func(string) (store.SourceInfo, bool) { return store.SourceInfo{Store: "s1", Currency: "USD"}, true }},
		SourceInfo: func(string) (string, string) { return "server", "s1" }})
	if err != nil {
		b.Fatal(err)
	}
	defer e.Close()
	ctx := context.Background()
	now := time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC)
	seq := uint64(0)
	msg := func(person int, event string) eventlog.Delivery {
		seq++
		id := fmt.Sprintf("m%d", seq)
		at := now.Add(time.Duration(seq) * time.Second)
		return eventlog.Delivery{Seq: seq, Type: "track",
			Meta: eventlog.Meta{Source: "src1", MessageID: id, ReceivedAt: at, Timestamp: at},
			Data: fmt.Appendf(nil, `{"type":"track","event":%q,"userId":"u%d","anonymousId":"a%d","messageId":%q,"properties":{"plan":"p%d"}}`,
				event, person, person, id, person%7)}
	}
	run := func(n int, person func(i int) int, event string) {
		batch := make([]eventlog.Delivery, 0, 1000)
		for i := range n {
			batch = append(batch, msg(person(i), event))
			if len(batch) == cap(batch) || i == n-1 {
				if err := e.handle(ctx, batch); err != nil {
					b.Fatal(err)
				}
				batch = batch[:0]
			}
		}
	}
	run(*benchPeople, func(i int) int { return i }, "Signed Up")
	rng := rand.New(rand.NewPCG(1, 2))
	b.ResetTimer()
	run(b.N, func(int) int { return rng.IntN(*benchPeople) }, "Viewed")
	b.StopTimer()
	b.ReportMetric(float64(b.Elapsed().Microseconds())/float64(b.N), "µs/message")
}
