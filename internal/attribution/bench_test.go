package attribution

import (
	"bytes"
	"fmt"
	"strings"
	"sync"
	"testing"
)

// benchJourneys is the benchmark input: 1,000,000 deterministic synthetic
// journeys over 15 channels (the most the exact Shapley subsets handle),
// built once per process.
var benchJourneys = sync.OnceValue(func() *Journeys { return synthetic(1_000_000, 15, 1) })

// BenchmarkModels times each model, and all of them in turn, over a million
// journeys: go test -run '^$' -bench Models -benchtime 3x ./internal/attribution
func BenchmarkModels(b *testing.B) {
	j := benchJourneys()
	for _, m := range Models {
		b.Run(string(m), func(b *testing.B) {
			for b.Loop() {
				if _, err := Attribute(j, m, Options{}); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
	b.Run("all", func(b *testing.B) {
		for b.Loop() {
			for _, m := range Models {
				if _, err := Attribute(j, m, Options{}); err != nil {
					b.Fatal(err)
				}
			}
		}
	})
	b.Run("markov_order2", func(b *testing.B) {
		for b.Loop() {
			if _, err := MarkovChain(j, 2); err != nil {
				b.Fatal(err)
			}
		}
	})
}

// BenchmarkReadPaths times reading a million-line path file.
func BenchmarkReadPaths(b *testing.B) {
	j := benchJourneys()
	var buf bytes.Buffer
	buf.WriteString("path;total_conversions;total_conversion_value;total_null\n")
	for i := range j.Len() {
		jj := j.Journey(i)
		fmt.Fprintf(&buf, "%s;%g;%.2f;%g\n", strings.Join(jj.Path, " > "), jj.Conversions, jj.Value, jj.Nulls)
	}
	b.SetBytes(int64(buf.Len()))
	for b.Loop() {
		if _, err := ReadPaths(bytes.NewReader(buf.Bytes())); err != nil {
			b.Fatal(err)
		}
	}
}
