// Package cluster groups customers by behaviour: k-means on standardised
// features, with k chosen by silhouette, and a describer that says in words
// what sets each group apart ("buy often, small baskets, mostly TikTok Shop
// UK"). It knows nothing of profiles: it clusters rows of numbers whose
// columns a []Feature describes (package profile builds them).
//
// # Method
//
//  1. Features marked Log are transformed with a signed log1p: order counts
//     and amounts are heavy-tailed, and on the raw scale a few big spenders
//     would be clusters of their own while everyone else is one blob.
//  2. Each column is standardised (z-score: mean 0, population standard
//     deviation 1) so that no unit dominates the distance; a missing value
//     (NaN: no order interval for a one-order customer) becomes the column
//     mean, 0 after standardising, so it pulls towards no cluster; a
//     constant column becomes 0 everywhere and plays no part.
//  3. k is chosen in [KMin, KMax] (default 2–8) by the largest mean
//     silhouette coefficient (Rousseeuw 1987; Euclidean distance, a
//     singleton's silhouette 0), computed on a fixed-size random sample
//     (SampleSize, default 2,000) with k-means fitted on that sample; a tie
//     goes to the smaller k. k is never more than the number of distinct
//     points in the sample; with fewer than two, everything is one cluster.
//  4. The final model is k-means on at most FitSize points (default
//     100,000), seeded by k-means++ (Arthur and Vassilvitskii 2007), Lloyd
//     iterations until no point moves, the best of Restarts seeds by
//     inertia; every point is then assigned to its nearest centroid.
//
// Every random choice comes from a PCG generator seeded with Options.Seed,
// and ties are broken by index, so a fit is reproducible exactly.
package cluster

import (
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
)

// Feature describes a column of the data.
type Feature struct {
	Name string // the column's name, as Description.Traits report it
	// High and Low are what to say of a cluster whose mean is well above or
	// below the overall mean ("buy often", "buy rarely"); empty leaves the
	// feature out of descriptions in that direction.
	High, Low string
	// Log transforms the column with sign(x)·log(1+|x|) before
	// standardising.
	Log bool
}

// Options tune Fit. The zero value uses the defaults.
type Options struct {
	KMin, KMax int    // range of k tried (default 2 and 8)
	SampleSize int    // points for choosing k by silhouette (default 2,000)
	FitSize    int    // points the final centroids are fitted on (default 100,000)
	Restarts   int    // k-means++ seedings per fit, the best kept (default 4)
	MaxIter    int    // Lloyd iterations per fit at most (default 100)
	Seed       uint64 // seed of every random choice
}

func (o Options) withDefaults() Options {
	if o.KMin <= 0 {
		o.KMin = 2
	}
	if o.KMax <= 0 {
		o.KMax = 8
	}
	if o.KMax < o.KMin {
		o.KMax = o.KMin
	}
	if o.SampleSize <= 0 {
		o.SampleSize = 2000
	}
	if o.FitSize <= 0 {
		o.FitSize = 100_000
	}
	if o.Restarts <= 0 {
		o.Restarts = 4
	}
	if o.MaxIter <= 0 {
		o.MaxIter = 100
	}
	return o
}

// Model is a fitted clustering.
type Model struct {
	K        int       // number of clusters
	Features []Feature // the columns, as given to Fit
	// Mean and SD standardise a (transformed) row: z = (x − Mean) / SD;
	// SD 0 marks a constant column.
	Mean, SD []float64
	// Centroids are in the standardised space.
	Centroids [][]float64
	// Silhouette is the mean silhouette of the chosen k on the sample (0
	// for one cluster); Scores has it for every k tried.
	Silhouette float64
	Scores     map[int]float64 // k → mean silhouette on the sample
	// Assign is the cluster of each row given to Fit, Sizes the rows per
	// cluster.
	Assign []int // cluster of each row
	Sizes  []int // rows per cluster
}

// ErrNoData is returned by Fit for no rows or no columns.
var ErrNoData = errors.New("cluster: no data")

// Fit clusters the rows of X, whose columns features describes.
func Fit(X [][]float64, features []Feature, o Options) (*Model, error) {
	o = o.withDefaults()
	n, d := len(X), len(features)
	if n == 0 || d == 0 {
		return nil, ErrNoData
	}
	for i, row := range X {
		if len(row) != d {
			return nil, fmt.Errorf("cluster: row %d has %d values, want %d", i, len(row), d)
		}
	}
	m := &Model{Features: features, Scores: map[int]float64{}}
	Z := m.standardise(X)
	rng := rand.New(rand.NewPCG(o.Seed, 0x9e3779b97f4a7c15))

	sample := sampleRows(Z, o.SampleSize, rng)
	kmax := min(o.KMax, distinctUpTo(sample, o.KMax))
	kmin := min(o.KMin, kmax)
	k := 1
	if kmax >= 2 {
		best := math.Inf(-1)
		for kk := max(kmin, 2); kk <= kmax; kk++ {
			cents, assign, _ := kmeans(sample, kk, o, rng)
			s := silhouette(sample, assign, len(cents))
			m.Scores[kk] = s
			if s > best+1e-12 {
				best, k = s, kk
			}
		}
		m.Silhouette = best
	}

	fit := Z
	if n > o.FitSize {
		fit = sampleRows(Z, o.FitSize, rng)
	}
	if k == 1 {
		m.Centroids = [][]float64{mean(fit, d)}
	} else {
		m.Centroids, _, _ = kmeans(fit, k, o, rng)
	}
	m.K = len(m.Centroids)
	m.Assign = make([]int, n)
	m.Sizes = make([]int, m.K)
	for i, z := range Z {
		c, _ := nearest(z, m.Centroids)
		m.Assign[i] = c
		m.Sizes[c]++
	}
	return m, nil
}

// transform applies a feature's transformation.
func transform(f Feature, x float64) float64 {
	if !f.Log || math.IsNaN(x) {
		return x
	}
	if x < 0 {
		return -math.Log1p(-x)
	}
	return math.Log1p(x)
}

// standardise sets Mean and SD from X and returns X transformed,
// standardised and imputed.
func (m *Model) standardise(X [][]float64) [][]float64 {
	n, d := len(X), len(m.Features)
	m.Mean, m.SD = make([]float64, d), make([]float64, d)
	for j, f := range m.Features {
		var sum float64
		var cnt int
		for _, row := range X {
			if x := transform(f, row[j]); !math.IsNaN(x) {
				sum += x
				cnt++
			}
		}
		if cnt == 0 {
			continue
		}
		mu := sum / float64(cnt)
		var ss float64
		for _, row := range X {
			if x := transform(f, row[j]); !math.IsNaN(x) {
				ss += (x - mu) * (x - mu)
			}
		}
		m.Mean[j] = mu
		m.SD[j] = math.Sqrt(ss / float64(cnt))
		if m.SD[j] < 1e-12*max(1, math.Abs(mu)) { // constant up to rounding
			m.SD[j] = 0
		}
	}
	Z := make([][]float64, n)
	flat := make([]float64, n*d)
	for i, row := range X {
		Z[i] = flat[i*d : (i+1)*d : (i+1)*d]
		m.standardiseRow(row, Z[i])
	}
	return Z
}

func (m *Model) standardiseRow(x, z []float64) {
	for j, f := range m.Features {
		v := transform(f, x[j])
		if m.SD[j] == 0 || math.IsNaN(v) {
			z[j] = 0
			continue
		}
		z[j] = (v - m.Mean[j]) / m.SD[j]
	}
}

// Predict returns the cluster of a new row (raw values, as given to Fit).
func (m *Model) Predict(x []float64) int {
	z := make([]float64, len(m.Features))
	m.standardiseRow(x, z)
	c, _ := nearest(z, m.Centroids)
	return c
}

// sampleRows returns up to size rows chosen without replacement, in their
// original order (a partial Fisher–Yates over indexes).
func sampleRows(Z [][]float64, size int, rng *rand.Rand) [][]float64 {
	if len(Z) <= size {
		return Z
	}
	idx := make([]int, len(Z))
	for i := range idx {
		idx[i] = i
	}
	for i := range size {
		j := i + rng.IntN(len(idx)-i)
		idx[i], idx[j] = idx[j], idx[i]
	}
	idx = idx[:size]
	slices.Sort(idx)
	out := make([][]float64, size)
	for i, k := range idx {
		out[i] = Z[k]
	}
	return out
}

// distinctUpTo counts the distinct rows of Z, stopping at limit+1.
func distinctUpTo(Z [][]float64, limit int) int {
	seen := map[string]bool{}
	key := make([]byte, 0, 8*len(Z[0]))
	for _, z := range Z {
		key = key[:0]
		for _, v := range z {
			b := math.Float64bits(v + 0) // +0 folds -0 into 0
			key = append(key, byte(b), byte(b>>8), byte(b>>16), byte(b>>24), byte(b>>32), byte(b>>40), byte(b>>48), byte(b>>56))
		}
		seen[string(key)] = true
		if len(seen) > limit {
			break
		}
	}
	return len(seen)
}

func dist2(a, b []float64) float64 {
	var s float64
	for i := range a {
		d := a[i] - b[i]
		s += d * d
	}
	return s
}

// nearest returns the index of the centroid closest to z (the lowest index
// among equals) and the squared distance.
func nearest(z []float64, cents [][]float64) (int, float64) {
	best, bd := 0, math.Inf(1)
	for c, ct := range cents {
		if d := dist2(z, ct); d < bd {
			best, bd = c, d
		}
	}
	return best, bd
}

func mean(Z [][]float64, d int) []float64 {
	m := make([]float64, d)
	for _, z := range Z {
		for j, v := range z {
			m[j] += v
		}
	}
	for j := range m {
		m[j] /= float64(len(Z))
	}
	return m
}

// kmeans fits k centroids to Z: the best of o.Restarts k-means++ seedings
// by inertia. It returns fewer than k centroids only when Z has fewer than
// k distinct points.
func kmeans(Z [][]float64, k int, o Options, rng *rand.Rand) (cents [][]float64, assign []int, inertia float64) {
	inertia = math.Inf(1)
	for range o.Restarts {
		c := seed(Z, k, rng)
		a, in := lloyd(Z, c, o.MaxIter)
		if in < inertia {
			cents, assign, inertia = c, a, in
		}
	}
	return cents, assign, inertia
}

// seed chooses initial centroids by k-means++: the first uniformly, each
// next with probability proportional to its squared distance to the
// nearest centroid chosen so far.
func seed(Z [][]float64, k int, rng *rand.Rand) [][]float64 {
	n := len(Z)
	cents := [][]float64{slices.Clone(Z[rng.IntN(n)])}
	d2 := make([]float64, n)
	for i, z := range Z {
		d2[i] = dist2(z, cents[0])
	}
	for len(cents) < k {
		var total float64
		for _, v := range d2 {
			total += v
		}
		if total == 0 {
			break // every point coincides with a centroid
		}
		r := rng.Float64() * total
		pick := -1
		for i, v := range d2 {
			if v == 0 {
				continue
			}
			pick = i
			if r -= v; r < 0 {
				break
			}
		}
		c := slices.Clone(Z[pick])
		cents = append(cents, c)
		for i, z := range Z {
			d2[i] = min(d2[i], dist2(z, c))
		}
	}
	return cents
}

// lloyd improves cents in place until no point changes cluster (or maxIter)
// and returns the assignment and its inertia. An emptied cluster takes the
// point farthest from its centroid, so k stays k.
func lloyd(Z [][]float64, cents [][]float64, maxIter int) ([]int, float64) {
	n, k, d := len(Z), len(cents), len(Z[0])
	assign := make([]int, n)
	for i := range assign {
		assign[i] = -1
	}
	dists := make([]float64, n)
	sums := make([][]float64, k)
	for c := range sums {
		sums[c] = make([]float64, d)
	}
	counts := make([]int, k)
	var inertia float64
	for iter := 0; ; iter++ {
		moved := false
		inertia = 0
		for i, z := range Z {
			c, dd := nearest(z, cents)
			if c != assign[i] {
				assign[i], moved = c, true
			}
			dists[i] = dd
			inertia += dd
		}
		if !moved || iter >= maxIter {
			return assign, inertia
		}
		for c := range sums {
			clear(sums[c])
			counts[c] = 0
		}
		for i, z := range Z {
			c := assign[i]
			counts[c]++
			for j, v := range z {
				sums[c][j] += v
			}
		}
		for c := range cents {
			if counts[c] == 0 {
				far := 0
				for i := range dists {
					if dists[i] > dists[far] {
						far = i
					}
				}
				copy(cents[c], Z[far])
				dists[far] = 0
				continue
			}
			for j := range cents[c] {
				cents[c][j] = sums[c][j] / float64(counts[c])
			}
		}
	}
}

// silhouette is the mean silhouette coefficient of an assignment: for each
// point, (b − a) / max(a, b) with a its mean distance to the rest of its
// cluster and b the smallest mean distance to another cluster; 0 for a
// point alone in its cluster.
func silhouette(Z [][]float64, assign []int, k int) float64 {
	n := len(Z)
	if k < 2 || n < 2 {
		return 0
	}
	size := make([]int, k)
	for _, c := range assign {
		size[c]++
	}
	sum := make([]float64, k)
	var total float64
	for i, zi := range Z {
		clear(sum)
		for j, zj := range Z {
			if i != j {
				sum[assign[j]] += math.Sqrt(dist2(zi, zj))
			}
		}
		ci := assign[i]
		if size[ci] <= 1 {
			continue
		}
		a := sum[ci] / float64(size[ci]-1)
		b := math.Inf(1)
		for c := range k {
			if c != ci && size[c] > 0 {
				b = min(b, sum[c]/float64(size[c]))
			}
		}
		if math.IsInf(b, 1) {
			continue
		}
		if mx := max(a, b); mx > 0 {
			total += (b - a) / mx
		}
	}
	return total / float64(n)
}
