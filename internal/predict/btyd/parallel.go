package btyd

import (
	"runtime"
	"sync"
)

// parallelMin is the number of distinct histories below which a likelihood
// is evaluated on one goroutine: starting goroutines costs more than the
// few microseconds a small data set (CDNOW: ~1,500) takes.
const parallelMin = 20000

// sumRuns evaluates body over every run of c, on several goroutines when c
// is large, and adds up the out slices each call fills (value first, then
// the gradient).
func sumRuns(c *compressed, width int, body func(r xRun, out []float64)) []float64 {
	total := make([]float64, width)
	workers := runtime.GOMAXPROCS(0)
	if len(c.groups) < parallelMin || workers < 2 {
		for _, r := range c.runs {
			body(r, total)
		}
		return total
	}
	// Split the groups, not the runs, evenly: one run (x = 0) often holds
	// most customers.
	per := (len(c.groups) + workers - 1) / workers
	parts := make([][]float64, workers)
	var wg sync.WaitGroup
	for w := range workers {
		lo, hi := w*per, min((w+1)*per, len(c.groups))
		if lo >= hi {
			continue
		}
		parts[w] = make([]float64, width)
		wg.Add(1)
		go func(lo, hi int, out []float64) {
			defer wg.Done()
			for _, r := range c.runs {
				s, e := max(r.start, lo), min(r.end, hi)
				if s < e {
					body(xRun{x: r.x, start: s, end: e}, out)
				}
			}
		}(lo, hi, parts[w])
	}
	wg.Wait()
	for _, p := range parts {
		for i, v := range p {
			total[i] += v
		}
	}
	return total
}

// sumChunks evaluates body over [0, n) split into one chunk per core when
// n is large (on one goroutine otherwise), and adds up the out slices each
// call fills.
func sumChunks(n, width int, body func(lo, hi int, out []float64)) []float64 {
	total := make([]float64, width)
	workers := runtime.GOMAXPROCS(0)
	if n < parallelMin || workers < 2 {
		body(0, n, total)
		return total
	}
	per := (n + workers - 1) / workers
	parts := make([][]float64, workers)
	var wg sync.WaitGroup
	for w := range workers {
		lo, hi := w*per, min((w+1)*per, n)
		if lo >= hi {
			continue
		}
		parts[w] = make([]float64, width)
		wg.Add(1)
		go func(lo, hi int, out []float64) {
			defer wg.Done()
			body(lo, hi, out)
		}(lo, hi, parts[w])
	}
	wg.Wait()
	for _, p := range parts {
		for i, v := range p {
			total[i] += v
		}
	}
	return total
}
