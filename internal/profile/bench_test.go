package profile

import (
	"bytes"
	"errors"
	"fmt"
	"testing"

	"github.com/cockroachdb/pebble/v2"
	"github.com/cockroachdb/pebble/v2/vfs"

	"github.com/tradewind/tradewind/internal/segment"
	"github.com/tradewind/tradewind/internal/store"
)

// pebbleKV is a KV over a Pebble indexed batch, as the engine's adapter is,
// so that the benchmarks include the batch's lookups and copies. commit
// commits the batch and starts the next, as the engine does after each
// batch of messages.
type pebbleKV struct {
	db *pebble.DB
	b  *pebble.Batch
}

func (kv *pebbleKV) commit() error {
	if err := kv.b.Commit(pebble.NoSync); err != nil {
		return err
	}
	kv.b.Close()
	kv.b = kv.db.NewIndexedBatch()
	return nil
}

func (kv *pebbleKV) Get(k []byte) ([]byte, error) {
	v, c, err := kv.b.Get(k)
	if errors.Is(err, pebble.ErrNotFound) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	out := bytes.Clone(v)
	return out, c.Close()
}

func (kv *pebbleKV) Set(k, v []byte) error { return kv.b.Set(k, v, nil) }
func (kv *pebbleKV) Delete(k []byte) error { return kv.b.Delete(k, nil) }

func (kv *pebbleKV) Iterate(prefix []byte, fn func(k, v []byte) error) error {
	upper := append(bytes.Clone(prefix), 0xff)
	it, err := kv.b.NewIter(&pebble.IterOptions{LowerBound: prefix, UpperBound: upper})
	if err != nil {
		return err
	}
	for ok := it.First(); ok; ok = it.Next() {
		if err := fn(it.Key(), it.Value()); err != nil {
			it.Close()
			return err
		}
	}
	return it.Close()
}

// reportCPU reports the process CPU time per iteration (cpu-ns/op) when the
// returned function runs: on a shared machine, wall time also counts the
// time the benchmark waited for a core.
func reportCPU(b *testing.B) func() {
	start := cpuTime()
	return func() {
		if b.N > 0 {
			b.ReportMetric(float64(cpuTime()-start)/float64(b.N), "cpu-ns/op")
		}
	}
}

func openPebble(b *testing.B) (*pebble.DB, *pebbleKV) {
	db, err := pebble.Open("", &pebble.Options{FS: vfs.NewMem(), Logger: quietLogger{}})
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { db.Close() })
	return db, &pebbleKV{db: db, b: db.NewIndexedBatch()}
}

type quietLogger struct{}

func (quietLogger) Infof(string, ...any)  {}
func (quietLogger) Errorf(string, ...any) {}
func (quietLogger) Fatalf(format string, args ...any) {
	panic(fmt.Sprintf(format, args...))
}

// fiftyOrders is a profile's history: 50 orders over two marketplaces with
// refunds, traits and reviews.
func fiftyOrders(m *msg) []*store.Projected {
	ps := []*store.Projected{
		m.identify("shopify", day(0), `{"email":"tw1.AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA","country":"DE","firstName":"tw1.BBBBBBBBBBBB","plan":"gold","vip":true}`, `{"locale":"de-DE","timezone":"Europe/Berlin"}`),
	}
	for i := range 50 {
		mk := "shopify_eu"
		if i%3 == 0 {
			mk = "amazon_de"
		}
		ps = append(ps, m.order(segment.OrderCompleted, "1000000"+itoa(uint64(i)), day(3*i), "49.95", mk, 1, 2))
		if i%10 == 0 {
			ps = append(ps, m.refund("1000000"+itoa(uint64(i)), day(3*i+2), "10.00"))
		}
	}
	for i := range 5 {
		ps = append(ps, m.review("r"+itoa(uint64(i)), day(10*i), "4"))
	}
	return ps
}

// benchOrders applies order updates; commit, if not nil, runs every 1,000
// messages.
func benchOrders(b *testing.B, kv KV, commit func() error) {
	k, m := New(Config{SourcePrecedence: []string{"shopify"}}), &msg{}
	apply(b, k, kv, "p", fiftyOrders(m)...)
	// Each iteration is a newer "Order Updated" of one of the 50 orders with
	// a changed total: decode, merge, judge, recompute, encode, write.
	msgs := make([]*store.Projected, 1000)
	for i := range msgs {
		msgs[i] = m.order(segment.OrderUpdated, "1000000"+itoa(uint64(i%50)), day(150+i), itoa(uint64(40+i%7))+".50", "", 3)
	}
	b.ReportAllocs()
	defer reportCPU(b)()
	i := 0
	for b.Loop() {
		p := msgs[i%len(msgs)]
		p.Event.Seq += 1000 // a newer message each time round
		p.Order.Seq = p.Event.Seq
		p.Event.Timestamp = p.Event.Timestamp.Add(1)
		p.Order.Timestamp = p.Event.Timestamp
		if _, err := k.Apply(kv, "p", p); err != nil {
			b.Fatal(err)
		}
		if i++; commit != nil && i%1000 == 0 {
			if err := commit(); err != nil {
				b.Fatal(err)
			}
		}
	}
}

// BenchmarkApplyOrder50 measures one order event on a profile with 50
// orders (target: < 20 µs).
func BenchmarkApplyOrder50(b *testing.B) {
	b.Run("pebble", func(b *testing.B) {
		_, kv := openPebble(b)
		benchOrders(b, kv, kv.commit)
	})
	b.Run("map", func(b *testing.B) { benchOrders(b, newMemKV(), nil) })
}

// BenchmarkApplyNewOrder50 measures the 51st order arriving (a new order
// judged for deviations against 50), restoring the 50-order state between
// iterations.
func BenchmarkApplyNewOrder50(b *testing.B) {
	_, kv := openPebble(b)
	k, m := New(Config{}), &msg{}
	apply(b, k, kv, "p", fiftyOrders(m)...)
	key := partKey(profileKey(k.prefix, "p"), partCore)
	saved, _ := kv.Get(key)
	p := m.order(segment.OrderCompleted, "new", day(200), "55.00", "shopify_eu", 2)
	b.ReportAllocs()
	for b.Loop() {
		if _, err := k.Apply(kv, "p", p); err != nil {
			b.Fatal(err)
		}
		b.StopTimer()
		kv.Set(key, saved)
		b.StartTimer()
	}
}

// BenchmarkApplyPage50 measures a page view (last seen, campaign) on the
// same profile: the common case of the event stream.
func BenchmarkApplyPage50(b *testing.B) {
	_, kv := openPebble(b)
	k, m := New(Config{}), &msg{}
	apply(b, k, kv, "p", fiftyOrders(m)...)
	p := m.page(day(200), `{"campaign":{"source":"google","medium":"cpc"},"locale":"de-DE","page":{"path":"/p/1"}}`)
	b.ReportAllocs()
	defer reportCPU(b)()
	i := 0
	for b.Loop() {
		p.Event.Seq++
		p.Event.Timestamp = p.Event.Timestamp.Add(1)
		if _, err := k.Apply(kv, "p", p); err != nil {
			b.Fatal(err)
		}
		if i++; i%1000 == 0 {
			if err := kv.commit(); err != nil {
				b.Fatal(err)
			}
		}
	}
}

// BenchmarkLoad50 measures reading the profile (decode and compute).
func BenchmarkLoad50(b *testing.B) {
	_, kv := openPebble(b)
	k, m := New(Config{}), &msg{}
	apply(b, k, kv, "p", fiftyOrders(m)...)
	b.ReportAllocs()
	defer reportCPU(b)()
	for b.Loop() {
		if _, _, err := k.Load(kv, "p"); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkDecodeOrders50 measures reading the orders part of a 50-order
// profile, the largest fixed cost of an order event.
func BenchmarkDecodeOrders50(b *testing.B) {
	k, kv, m := New(Config{}), newMemKV(), &msg{}
	apply(b, k, kv, "p", fiftyOrders(m)...)
	raw := kv.m[string(partKey(profileKey(k.prefix, "p"), partOrders))]
	b.SetBytes(int64(len(raw)))
	b.ReportAllocs()
	for b.Loop() {
		if _, err := decodeOrders(raw, nil); err != nil {
			b.Fatal(err)
		}
	}
}
