package cluster

import (
	"cmp"
	"math"
	"slices"
	"strings"
)

// Description says what sets one cluster apart.
type Description struct {
	Cluster int     // index in Model.Centroids
	Size    int     // rows in the cluster
	Share   float64 // of all rows
	// Text is the distinguishing traits in words, strongest first ("buy
	// often, small baskets, mostly TikTok Shop UK"), or "close to the
	// average customer" when nothing stands out.
	Text string
	// Traits are every feature's departure from the overall mean, strongest
	// first.
	Traits []Trait
	// Means are the cluster's mean raw values per feature (NaN ignored), in
	// the features' own units, for display next to the words.
	Means []float64
}

// Trait is one feature's departure of a cluster from everyone.
type Trait struct {
	Feature string // Feature.Name
	// Z is the cluster's mean minus the overall mean, in overall standard
	// deviations, on the transformed scale the clustering used.
	Z float64
	// Phrase is Feature.High or Feature.Low by Z's sign ("" if below
	// the describer's threshold or the feature has no words for it).
	Phrase string
}

// DescribeOptions tune Describe. The zero value uses the defaults.
type DescribeOptions struct {
	// MaxTraits is how many traits the text names at most (default 3).
	MaxTraits int
	// MinZ is the |Z| a trait needs to be named (default 0.5: half a
	// standard deviation, a difference a marketer would call real).
	MinZ float64
}

// AverageText is the description of a cluster with no distinguishing trait.
const AverageText = "close to the average customer"

// Describe describes each cluster of m over the rows of X it was fitted
// on: its size and share, and the features whose cluster mean lies
// furthest from the overall mean in standard deviations, in words.
func (m *Model) Describe(X [][]float64, o DescribeOptions) []Description {
	if o.MaxTraits <= 0 {
		o.MaxTraits = 3
	}
	if o.MinZ <= 0 {
		o.MinZ = 0.5
	}
	d := len(m.Features)
	zsum := make([][]float64, m.K)
	raw := make([][]float64, m.K)
	rawN := make([][]int, m.K)
	for c := range m.K {
		zsum[c], raw[c], rawN[c] = make([]float64, d), make([]float64, d), make([]int, d)
	}
	z := make([]float64, d)
	for i, x := range X {
		c := m.Assign[i]
		m.standardiseRow(x, z)
		for j := range d {
			zsum[c][j] += z[j]
			if !math.IsNaN(x[j]) {
				raw[c][j] += x[j]
				rawN[c][j]++
			}
		}
	}
	out := make([]Description, m.K)
	for c := range m.K {
		ds := Description{Cluster: c, Size: m.Sizes[c], Means: make([]float64, d)}
		if len(X) > 0 {
			ds.Share = float64(m.Sizes[c]) / float64(len(X))
		}
		for j, f := range m.Features {
			t := Trait{Feature: f.Name}
			if m.Sizes[c] > 0 {
				t.Z = zsum[c][j] / float64(m.Sizes[c])
			}
			switch {
			case t.Z >= o.MinZ:
				t.Phrase = f.High
			case t.Z <= -o.MinZ:
				t.Phrase = f.Low
			}
			ds.Traits = append(ds.Traits, t)
			ds.Means[j] = math.NaN()
			if rawN[c][j] > 0 {
				ds.Means[j] = raw[c][j] / float64(rawN[c][j])
			}
		}
		slices.SortStableFunc(ds.Traits, func(a, b Trait) int { return cmp.Compare(math.Abs(b.Z), math.Abs(a.Z)) })
		var words []string
		for _, t := range ds.Traits {
			if t.Phrase != "" && len(words) < o.MaxTraits {
				words = append(words, t.Phrase)
			}
		}
		ds.Text = strings.Join(words, ", ")
		if ds.Text == "" {
			ds.Text = AverageText
		}
		out[c] = ds
	}
	return out
}
