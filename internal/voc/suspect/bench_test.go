package suspect

import (
	"fmt"
	"math/rand/v2"
	"strings"
	"syscall"
	"testing"
	"time"
)

var words = strings.Fields(`the a this it is was very really quite not too so and but or
good great bad poor excellent terrible nice fine okay awful perfect cheap expensive
quality price shipping delivery package box size fit colour color battery screen strap
arrived broke works worked stopped returned ordered received expected looks feels lasts
fast slow quickly late early small large tight loose heavy light soft hard sturdy flimsy
day days week weeks month after before since during use using used daily every time
recommend buy again would will never always love hate like dislike happy disappointed`)

var hanzi = []rune("质量很好物流快包装严实满意推荐购买做工精细价格便宜颜色漂亮尺寸合适客服态度一般不错失望退货换货电池屏幕")

// benchReviews makes n reviews over a year: 1 in 100 is a copy of one of
// n/1000 templates with a word changed (a farm), 1 in 20 is Chinese, and
// n/10,000 products get a burst of 15 reviews.
func benchReviews(n int) []Review {
	r := rand.New(rand.NewPCG(42, 1))
	text := func() string {
		if r.IntN(20) == 0 {
			b := make([]rune, 15+r.IntN(30))
			for i := range b {
				b[i] = hanzi[r.IntN(len(hanzi))]
			}
			return string(b)
		}
		w := make([]string, 6+r.IntN(20))
		for i := range w {
			w[i] = words[r.IntN(len(words))]
		}
		return strings.Join(w, " ")
	}
	templates := make([]string, max(1, n/1000))
	for i := range templates {
		templates[i] = text() + " " + text()
	}
	rs := make([]Review, n)
	start := time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)
	for i := range rs {
		t := text()
		if r.IntN(100) == 0 {
			w := strings.Fields(templates[r.IntN(len(templates))])
			w[r.IntN(len(w))] = words[r.IntN(len(words))]
			t = strings.Join(w, " ")
		}
		rs[i] = Review{ID: fmt.Sprintf("r%07d", i), Product: fmt.Sprintf("P%05d", r.IntN(n/20+1)),
			Account: fmt.Sprintf("A%06d", r.IntN(n/3+1)), Time: start.Add(time.Duration(r.Int64N(int64(365 * 24 * time.Hour)))),
			Rating: 1 + r.IntN(5), Score: 2*r.Float64() - 1, Text: t}
	}
	// Plant bursts: n/10,000 products get 15 reviews within two hours,
	// on top of their normal ~20 a year.
	for k := 0; k < n/10000; k++ {
		prod := rs[r.IntN(n)].Product
		at := start.Add(time.Duration(60+r.IntN(300)) * 24 * time.Hour)
		for j := 0; j < 15; j++ {
			i := r.IntN(n)
			rs[i].Product, rs[i].Time = prod, at.Add(time.Duration(j)*8*time.Minute)
		}
	}
	return rs
}

func BenchmarkDetect(b *testing.B) {
	for _, n := range []int{250_000, 1_000_000} {
		b.Run(fmt.Sprintf("n=%d", n), func(b *testing.B) {
			rs := benchReviews(n)
			b.ReportAllocs()
			b.ResetTimer()
			var flags []Flag
			cpu0 := cpuTime()
			for b.Loop() {
				flags = Detect(rs, Options{})
			}
			b.ReportMetric((cpuTime()-cpu0).Seconds()/float64(b.N), "cpu-s/op")
			count := map[Reason]int{}
			for _, f := range flags {
				count[f.Reason]++
			}
			b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/float64(n), "ns/review")
			b.ReportMetric(float64(count[NearDuplicate]), "dup_flags")
			b.ReportMetric(float64(count[Burst]), "burst_flags")
			b.ReportMetric(float64(count[Contradiction]), "contra_flags")
		})
	}
}

// cpuTime is the process's user+system CPU time: on a shared machine it
// shows the work done, where wall time also shows the wait for a core.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
