package btyd

// Benchmarks of issue 6 (bench/run-predict.sh runs them; bench/predict/
// FIGURES.md has the figures):
//
//   - BenchmarkCDNOW: BG/NBD + Gamma-Gamma on the CDNOW sample (2,357
//     customers, weekly, calibration to 1997-09-30), from BTYD's exact
//     summary (cdnowSummary_cbs.csv) and from summarising the raw log
//     (cdnowElog.csv). Goal: < 20 ms.
//   - BenchmarkMillion: 1,000,000 customers made by replicating the CDNOW
//     sample's customers with jitter (millionTransactions), summarised,
//     BG/NBD + Gamma-Gamma fitted and every customer scored with P(alive),
//     expected purchases over 52 weeks and 12-month CLV. Goal: fit + score
//     < 1 s on 2 cores.
//
// TestWriteBenchData (run only with BTYD_BENCH_OUT=DIR) writes the 1M
// transaction log as CSV and the Go fits' parameters and a sample of scores
// as JSON, so that bench/predict/lifetimes_bench.py runs the Python
// lifetimes library on exactly the same input and compares.

import (
	"bufio"
	"encoding/json"
	"fmt"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strconv"
	"sync"
	"syscall"
	"testing"
	"time"
)

var (
	benchCalEnd = time.Date(1997, 9, 30, 0, 0, 0, 0, time.UTC)
	// benchScore is what every customer is scored with: 52 weeks of expected
	// purchases and 12 months of CLV at 10% a year, margin 1 (revenue).
	benchScore = ScoreOptions{Horizon: 52, PeriodDays: 7, CLVMonths: 12, AnnualDiscount: 0.10, Margin: 1}
)

const (
	millionCustomers = 1_000_000
	millionSeed      = 20261122
	// millionJitterDays: each transaction's date moves by a uniform whole
	// number of days in [-3, +3]; millionJitterAmount: each amount is
	// multiplied by a uniform factor in [0.9, 1.1] and rounded to cents.
	millionJitterDays   = 3
	millionJitterAmount = 0.10
)

// millionTransactions is CDNOW replicated with jitter: round k = 0, 1, …
// copies every CDNOW customer (in log order) as customer "<sampleid>-<k>",
// each transaction's date shifted and amount scaled at random (seeded, so
// every run makes the same log), until 1,000,000 customers (425 rounds, the
// last one partial): about 2.9 million transactions.
func millionTransactions(tb testing.TB) []Transaction {
	base := elog(tb)
	type hist struct {
		id  string
		txs []Transaction
	}
	var custs []hist
	at := map[string]int{}
	for _, t := range base {
		i, ok := at[t.Customer]
		if !ok {
			i = len(custs)
			at[t.Customer] = i
			custs = append(custs, hist{id: t.Customer})
		}
		custs[i].txs = append(custs[i].txs, t)
	}
	rng := rand.New(rand.NewPCG(millionSeed, 6))
	out := make([]Transaction, 0, len(base)*(millionCustomers/len(custs)+1))
	n := 0
	for k := 0; n < millionCustomers; k++ {
		for _, c := range custs {
			if n == millionCustomers {
				break
			}
			id := c.id + "-" + strconv.Itoa(k)
			for _, t := range c.txs {
				shift := rng.IntN(2*millionJitterDays+1) - millionJitterDays
				f := 1 - millionJitterAmount + 2*millionJitterAmount*rng.Float64()
				out = append(out, Transaction{Customer: id, Time: t.Time.AddDate(0, 0, shift), Amount: math.Round(t.Amount*f*100) / 100})
			}
			n++
		}
	}
	return out
}

var million struct {
	once sync.Once
	txs  []Transaction
	sum  *Summary
	err  error
}

func millionData(b testing.TB) ([]Transaction, *Summary) {
	million.once.Do(func() {
		million.txs = millionTransactions(b)
		million.sum, million.err = Summarize(million.txs, benchCalEnd, benchCalEnd, Week)
	})
	if million.err != nil {
		b.Fatal(million.err)
	}
	return million.txs, million.sum
}

// reportCPU reports the process's CPU time (user + system) per operation
// beside the wall-clock ns/op: on a machine shared with other work the
// wall clock depends on the share of the cores the benchmark got, while
// cpu-ms/op divided by the cores used is what an idle machine would take.
// Call as defer reportCPU(b)() before the loop.
func reportCPU(b *testing.B) func() {
	start := cpuTime()
	return func() {
		if b.N > 0 {
			b.ReportMetric(float64(cpuTime()-start)/1e6/float64(b.N), "cpu-ms/op")
		}
	}
}

func cpuTime() time.Duration {
	var r syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &r); err != nil {
		return 0
	}
	return time.Duration(r.Utime.Nano() + r.Stime.Nano())
}

func logFits(b *testing.B, m *BGNBD, g *GammaGamma) {
	b.Logf("BG/NBD r=%.6g alpha=%.6g a=%.6g b=%.6g LL=%.6f (%d customers, %d evaluations); Gamma-Gamma p=%.6g q=%.6g gamma=%.6g LL=%.6f (%d repeat buyers, %d evaluations)",
		m.R, m.Alpha, m.A, m.B, m.LogLikelihood, m.Customers, m.Evaluations, g.P, g.Q, g.Gamma, g.LogLikelihood, g.Customers, g.Evaluations)
}

// fitBoth is what the goals time: BG/NBD and Gamma-Gamma, both by maximum
// likelihood with their standard errors.
func fitBoth(tb testing.TB, cs []Customer) (*BGNBD, *GammaGamma) {
	m, err := FitBGNBD(cs)
	if err != nil {
		tb.Fatal(err)
	}
	g, err := FitGammaGamma(cs)
	if err != nil {
		tb.Fatal(err)
	}
	return m, g
}

func BenchmarkCDNOW(b *testing.B) {
	cbsCs, _, _ := cbs(b)
	txs := elog(b)
	sum, err := Summarize(txs, benchCalEnd, benchCalEnd, Week)
	if err != nil {
		b.Fatal(err)
	}
	m, g := fitBoth(b, cbsCs)
	logFits(b, m, g)
	b.Run("cbs/bgnbd", func(b *testing.B) {
		defer reportCPU(b)()
		for b.Loop() {
			if _, err := FitBGNBD(cbsCs); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("cbs/gammagamma", func(b *testing.B) {
		defer reportCPU(b)()
		for b.Loop() {
			if _, err := FitGammaGamma(cbsCs); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("cbs/fit", func(b *testing.B) {
		defer reportCPU(b)()
		for b.Loop() {
			fitBoth(b, cbsCs)
		}
	})
	b.Run("elog/summarize", func(b *testing.B) {
		defer reportCPU(b)()
		for b.Loop() {
			if _, err := Summarize(txs, benchCalEnd, benchCalEnd, Week); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("elog/fit", func(b *testing.B) {
		defer reportCPU(b)()
		for b.Loop() {
			fitBoth(b, sum.Customers)
		}
	})
	b.Run("elog/summarize+fit", func(b *testing.B) {
		defer reportCPU(b)()
		for b.Loop() {
			s, err := Summarize(txs, benchCalEnd, benchCalEnd, Week)
			if err != nil {
				b.Fatal(err)
			}
			fitBoth(b, s.Customers)
		}
	})
}

func BenchmarkMillion(b *testing.B) {
	txs, sum := millionData(b)
	if len(sum.Customers) != millionCustomers {
		b.Fatalf("%d customers, want %d", len(sum.Customers), millionCustomers)
	}
	m, g := fitBoth(b, sum.Customers)
	logFits(b, m, g)
	b.Run("summarize", func(b *testing.B) {
		defer reportCPU(b)()
		for b.Loop() {
			if _, err := Summarize(txs, benchCalEnd, benchCalEnd, Week); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("bgnbd", func(b *testing.B) {
		defer reportCPU(b)()
		for b.Loop() {
			if _, err := FitBGNBD(sum.Customers); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("gammagamma", func(b *testing.B) {
		defer reportCPU(b)()
		for b.Loop() {
			if _, err := FitGammaGamma(sum.Customers); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("score", func(b *testing.B) {
		defer reportCPU(b)()
		for b.Loop() {
			ScoreAll(m, g, sum.Customers, benchScore)
		}
	})
	b.Run("fit+score", func(b *testing.B) {
		defer reportCPU(b)()
		for b.Loop() {
			m, g := fitBoth(b, sum.Customers)
			ScoreAll(m, g, sum.Customers, benchScore)
		}
	})
	b.Run("summarize+fit+score", func(b *testing.B) {
		defer reportCPU(b)()
		for b.Loop() {
			s, err := Summarize(txs, benchCalEnd, benchCalEnd, Week)
			if err != nil {
				b.Fatal(err)
			}
			m, g := fitBoth(b, s.Customers)
			ScoreAll(m, g, s.Customers, benchScore)
		}
	})
}

// benchFit is one data set's fits as the comparison script reads them.
type benchFit struct {
	Customers       int             `json:"customers"`
	RepeatCustomers int             `json:"repeat_customers"`
	Groups          int             `json:"distinct_histories"`
	BGNBD           []float64       `json:"bgnbd"` // r, alpha, a, b
	BGNBDLL         float64         `json:"bgnbd_log_likelihood"`
	GammaGamma      []float64       `json:"gamma_gamma"` // p, q, gamma
	GammaGammaLL    float64         `json:"gamma_gamma_log_likelihood"`
	Evaluations     []int           `json:"evaluations"` // BG/NBD, Gamma-Gamma optimiser
	Scores          []benchScoreRow `json:"scores,omitempty"`
}

type benchScoreRow struct {
	ID                                string
	X, Tx, T, Monetary                float64
	PAlive, Expected52, Spend, CLV12m float64
}

func benchFitOf(tb testing.TB, ids []string, cs []Customer, sample int) benchFit {
	m, g := fitBoth(tb, cs)
	c := compress(cs)
	f := benchFit{Customers: len(cs), Groups: len(c.groups), BGNBD: m.Params(), BGNBDLL: m.LogLikelihood,
		GammaGamma: g.Params(), GammaGammaLL: g.LogLikelihood, Evaluations: []int{m.Evaluations, g.Evaluations}}
	for _, x := range cs {
		if x.X > 0 {
			f.RepeatCustomers++
		}
	}
	if sample > 0 {
		sc := ScoreAll(m, g, cs, benchScore)
		step := max(1, len(cs)/sample)
		for i := 0; i < len(cs); i += step {
			f.Scores = append(f.Scores, benchScoreRow{ID: ids[i], X: cs[i].X, Tx: cs[i].Tx, T: cs[i].T, Monetary: cs[i].Monetary,
				PAlive: sc[i].PAlive, Expected52: sc[i].Expected, Spend: sc[i].Spend, CLV12m: sc[i].CLV})
		}
	}
	return f
}

// TestWriteBenchData writes, into $BTYD_BENCH_OUT, million_transactions.csv
// (customer, date YYYYMMDD, amount: the log BenchmarkMillion summarises)
// and go_fits.json (the Go fits on CDNOW from both sources and on the 1M
// data, with a sample of 1M scores).
func TestWriteBenchData(t *testing.T) {
	dir := os.Getenv("BTYD_BENCH_OUT")
	if dir == "" {
		t.Skip("set BTYD_BENCH_OUT=DIR to write the benchmark data")
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	txs, sum := millionData(t)
	f, err := os.Create(filepath.Join(dir, "million_transactions.csv"))
	if err != nil {
		t.Fatal(err)
	}
	w := bufio.NewWriterSize(f, 1<<20)
	fmt.Fprintln(w, "customer,date,amount")
	buf := make([]byte, 0, 64)
	for _, x := range txs {
		buf = append(buf[:0], x.Customer...)
		buf = append(buf, ',')
		buf = x.Time.AppendFormat(buf, "20060102")
		buf = append(buf, ',')
		buf = strconv.AppendFloat(buf, x.Amount, 'f', 2, 64)
		buf = append(buf, '\n')
		w.Write(buf)
	}
	if err := w.Flush(); err != nil {
		t.Fatal(err)
	}
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}
	cbsCs, cbsIDs, _ := cbs(t)
	elogSum, err := Summarize(elog(t), benchCalEnd, benchCalEnd, Week)
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]any{
		"calibration_end":      benchCalEnd.Format(time.DateOnly),
		"score":                benchScore,
		"million_seed":         millionSeed,
		"million_transactions": len(txs),
		"cdnow_cbs":            benchFitOf(t, cbsIDs, cbsCs, 2357),
		"cdnow_elog":           benchFitOf(t, elogSum.IDs, elogSum.Customers, 0),
		"million":              benchFitOf(t, sum.IDs, sum.Customers, 2000),
	}
	j, err := json.MarshalIndent(out, "", " ")
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "go_fits.json"), j, 0o644); err != nil {
		t.Fatal(err)
	}
	t.Logf("wrote %d transactions of %d customers to %s", len(txs), len(sum.Customers), dir)
}
