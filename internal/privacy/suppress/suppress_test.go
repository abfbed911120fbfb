package suppress

import (
	"crypto/rand"
	"errors"
	"os"
	"path/filepath"
	"sync"
	"testing"
)

func randHash() [32]byte {
	var h [32]byte
	rand.Read(h[:])
	return h
}

func open(t testing.TB, path string) *List {
	t.Helper()
	l, err := Open(path)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { l.Close() })
	return l
}

func TestAddContainsReopen(t *testing.T) {
	path := filepath.Join(t.TempDir(), "privacy", "suppressed")
	l := open(t, path)
	a, b, c := randHash(), randHash(), randHash()
	if l.Contains(a) || l.Len() != 0 {
		t.Fatal("a new list is not empty")
	}
	if err := l.Add(a, b, a); err != nil {
		t.Fatal(err)
	}
	if err := l.Add(b); err != nil {
		t.Fatal(err)
	}
	if !l.Contains(a) || !l.Contains(b) || l.Contains(c) || l.Len() != 2 {
		t.Fatalf("after Add: Contains a=%v b=%v c=%v, Len %d", l.Contains(a), l.Contains(b), l.Contains(c), l.Len())
	}
	if err := l.Add(a, [32]byte{}); !errors.Is(err, ErrZeroHash) {
		t.Fatalf("Add of a zero hash = %v", err)
	}
	l.Close()
	if err := l.Add(c); !errors.Is(err, ErrClosed) {
		t.Fatalf("Add after Close = %v", err)
	}
	if !l.Contains(a) {
		t.Fatal("Contains stopped answering after Close")
	}

	fi, _ := os.Stat(path)
	if fi.Size() != headerSize+2*recordSize {
		t.Fatalf("file is %d bytes; duplicates were written", fi.Size())
	}
	if fi.Mode().Perm() != 0o600 {
		t.Fatalf("file mode %v", fi.Mode().Perm())
	}
	l = open(t, path)
	if !l.Contains(a) || !l.Contains(b) || l.Contains(c) || l.Len() != 2 || l.TornTail() != 0 {
		t.Fatal("the list changed across reopen")
	}
	all := l.All()
	if len(all) != 2 || !(all[0] == a || all[0] == b) {
		t.Fatalf("All = %d hashes", len(all))
	}
}

func TestTornTail(t *testing.T) {
	path := filepath.Join(t.TempDir(), "suppressed")
	l := open(t, path)
	hs := [][32]byte{randHash(), randHash(), randHash()}
	l.Add(hs...)
	l.Close()

	f, _ := os.OpenFile(path, os.O_RDWR, 0)
	last := randHash()
	end := int64(headerSize + 3*recordSize)
	f.WriteAt(make([]byte, 2*recordSize), end) // zeros where records never landed
	f.WriteAt(last[:5], end+2*recordSize)      // and a partial record
	f.Close()

	l = open(t, path)
	if l.Len() != 3 || l.TornTail() != 64+5 {
		t.Fatalf("Len %d, TornTail %d; want 3 and 69", l.Len(), l.TornTail())
	}
	for _, h := range hs {
		if !l.Contains(h) {
			t.Fatal("a complete record was lost")
		}
	}
	// The next Add lands on a record boundary.
	x := randHash()
	if err := l.Add(x); err != nil {
		t.Fatal(err)
	}
	l.Close()
	l = open(t, path)
	if !l.Contains(x) || l.Len() != 4 || l.TornTail() != 0 {
		t.Fatal("the record added after a torn tail was not read back")
	}
}

func TestBadFile(t *testing.T) {
	path := filepath.Join(t.TempDir(), "suppressed")
	os.WriteFile(path, []byte("this is not a suppression list"), 0o600)
	if _, err := Open(path); err == nil {
		t.Fatal("Open of a foreign file succeeded")
	}
	l := open(t, filepath.Join(t.TempDir(), "s"))
	if _, err := Open(l.path); !errors.Is(err, ErrInUse) {
		t.Fatalf("second Open = %v, want ErrInUse", err)
	}
}

func TestConcurrent(t *testing.T) {
	l := open(t, filepath.Join(t.TempDir(), "s"))
	var hs [][32]byte
	for range 3000 {
		hs = append(hs, randHash())
	}
	var wg sync.WaitGroup
	for w := range 4 {
		wg.Go(func() {
			for i := w; i < len(hs); i += 4 {
				if err := l.Add(hs[i]); err != nil {
					t.Error(err)
					return
				}
			}
		})
		wg.Go(func() {
			for i := range hs {
				l.Contains(hs[i])
				_ = l.Len()
			}
		})
	}
	wg.Wait()
	if l.Len() != len(hs) {
		t.Fatalf("Len %d, want %d", l.Len(), len(hs))
	}
	for _, h := range hs {
		if !l.Contains(h) {
			t.Fatal("a hash is missing")
		}
	}
}

func BenchmarkContains(b *testing.B) {
	l := open(b, filepath.Join(b.TempDir(), "s"))
	var hs [][32]byte
	for range 10_000 {
		hs = append(hs, randHash())
	}
	l.Add(hs...)
	probe := randHash()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			if l.Contains(probe) {
				b.Error("found")
			}
		}
	})
}
