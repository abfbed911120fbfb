package keystore

import (
	"strconv"
	"sync/atomic"
	"testing"
)

func BenchmarkKeyForCached(b *testing.B) {
	s := openStore(b, b.TempDir(), []MasterKey{testMaster(b, 1)}, Options{})
	subjects := make([]string, 10_000)
	for i := range subjects {
		subjects[i] = "u:shop:" + strconv.Itoa(i)
		if _, _, err := s.KeyFor(subjects[i]); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportAllocs()
	b.Run("serial", func(b *testing.B) {
		i := 0
		for b.Loop() {
			if _, _, err := s.KeyFor(subjects[i%len(subjects)]); err != nil {
				b.Fatal(err)
			}
			i++
		}
	})
	b.Run("parallel", func(b *testing.B) {
		b.RunParallel(func(pb *testing.PB) {
			i := 0
			for pb.Next() {
				if _, _, err := s.KeyFor(subjects[i%len(subjects)]); err != nil {
					b.Error(err)
					return
				}
				i++
			}
		})
	})
}

func BenchmarkKeyForNew(b *testing.B) {
	for _, sync := range []bool{false, true} {
		name := "nosync"
		if sync {
			name = "sync"
		}
		b.Run(name+"/serial", func(b *testing.B) {
			s := openStore(b, b.TempDir(), []MasterKey{testMaster(b, 1)}, Options{Sync: sync})
			subjects := make([]string, b.N)
			for i := range subjects {
				subjects[i] = "u:shop:" + strconv.Itoa(i)
			}
			b.ReportAllocs()
			b.ResetTimer()
			for i := range b.N {
				if _, _, err := s.KeyFor(subjects[i]); err != nil {
					b.Fatal(err)
				}
			}
		})
		// Many concurrent callers: group commit shares writes and fsyncs.
		b.Run(name+"/parallel64", func(b *testing.B) {
			s := openStore(b, b.TempDir(), []MasterKey{testMaster(b, 1)}, Options{Sync: sync})
			var next atomic.Int64
			b.SetParallelism(64)
			b.ReportAllocs()
			b.ResetTimer()
			b.RunParallel(func(pb *testing.PB) {
				for pb.Next() {
					if _, _, err := s.KeyFor("u:shop:" + strconv.FormatInt(next.Add(1), 10)); err != nil {
						b.Error(err)
						return
					}
				}
			})
		})
	}
}

func BenchmarkDestroy(b *testing.B) {
	s := openStore(b, b.TempDir(), []MasterKey{testMaster(b, 1)}, Options{})
	ids := make([]uint64, b.N)
	for i := range ids {
		id, _, err := s.KeyFor("u:shop:" + strconv.Itoa(i))
		if err != nil {
			b.Fatal(err)
		}
		ids[i] = id
	}
	b.ReportAllocs()
	b.ResetTimer()
	for _, id := range ids {
		if err := s.Destroy(id); err != nil {
			b.Fatal(err)
		}
	}
}
