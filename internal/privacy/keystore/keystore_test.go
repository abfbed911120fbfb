package keystore

import (
	"bytes"
	"crypto/cipher"
	"crypto/rand"
	"encoding/base64"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
)

func testMaster(t testing.TB, v uint32) MasterKey {
	t.Helper()
	m := MasterKey{Version: v}
	rand.Read(m.Key[:])
	return m
}

func openStore(t testing.TB, dir string, masters []MasterKey, opts Options) *Store {
	t.Helper()
	s, err := Open(dir, masters, opts)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

func seal(t testing.TB, a cipher.AEAD, plain string) []byte {
	t.Helper()
	nonce := make([]byte, a.NonceSize())
	rand.Read(nonce)
	return a.Seal(nonce, nonce, []byte(plain), nil)
}

func unseal(a cipher.AEAD, ct []byte) (string, error) {
	n := a.NonceSize()
	p, err := a.Open(nil, ct[:n], ct[n:], nil)
	return string(p), err
}

func slotBytes(t testing.TB, dir string, id uint64) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(dir, fileName))
	if err != nil {
		t.Fatal(err)
	}
	off := headerSize + int(id)*slotSize
	return bytes.Clone(b[off : off+slotSize])
}

func TestCreateReopenSameKey(t *testing.T) {
	dir := t.TempDir()
	m := []MasterKey{testMaster(t, 1)}
	s := openStore(t, dir, m, Options{Sync: true})
	id, a, err := s.KeyFor("u:shop:42")
	if err != nil {
		t.Fatal(err)
	}
	id2, a2, err := s.KeyFor("u:shop:42")
	if err != nil || id2 != id || a2 != a {
		t.Fatalf("second KeyFor = %d, %v; want %d and the same AEAD", id2, err, id)
	}
	other, _, _ := s.KeyFor("a:anon-1")
	if other == id {
		t.Fatal("two subjects share a key id")
	}
	ct := seal(t, a, "alice@example.com")
	ik := s.IndexKey()
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}

	raw, _ := os.ReadFile(filepath.Join(dir, fileName))
	if bytes.Contains(raw, []byte("u:shop:42")) || bytes.Contains(raw, ik) {
		t.Fatal("the file holds a subject or the index key in clear")
	}
	if fi, _ := os.Stat(filepath.Join(dir, fileName)); fi.Mode().Perm() != 0o600 {
		t.Fatalf("file mode %v, want 0600", fi.Mode().Perm())
	}

	s = openStore(t, dir, m, Options{})
	if got, ok := s.Lookup("u:shop:42"); !ok || got != id {
		t.Fatalf("Lookup after reopen = %d, %v; want %d", got, ok, id)
	}
	if _, ok := s.Lookup("nobody"); ok {
		t.Fatal("Lookup found a subject never added")
	}
	a, err = s.Key(id)
	if err != nil {
		t.Fatal(err)
	}
	if p, err := unseal(a, ct); err != nil || p != "alice@example.com" {
		t.Fatalf("decrypt after reopen: %q, %v", p, err)
	}
	id3, a3, err := s.KeyFor("u:shop:42")
	if err != nil || id3 != id {
		t.Fatalf("KeyFor after reopen = %d, %v; want %d", id3, err, id)
	}
	if p, err := unseal(a3, ct); err != nil || p != "alice@example.com" {
		t.Fatalf("decrypt with KeyFor's key after reopen: %q, %v", p, err)
	}
	if !bytes.Equal(s.IndexKey(), ik) {
		t.Fatal("the index key changed across reopen")
	}
	if _, err := s.Key(99); !errors.Is(err, ErrUnknownKey) {
		t.Fatalf("Key(99) = %v, want ErrUnknownKey", err)
	}
	st := s.Stats()
	if st.Live != 2 || st.Destroyed != 0 || st.Bytes != headerSize+2*slotSize {
		t.Fatalf("Stats = %+v", st)
	}
}

func TestOpenCreatesPrivateDir(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "keys")
	openStore(t, dir, []MasterKey{testMaster(t, 1)}, Options{})
	if fi, err := os.Stat(dir); err != nil || fi.Mode().Perm() != 0o700 {
		t.Fatalf("dir mode %v, %v; want 0700", fi.Mode().Perm(), err)
	}
	if _, err := Open(dir, []MasterKey{testMaster(t, 1)}, Options{}); !errors.Is(err, ErrInUse) {
		t.Fatalf("second Open of an open store = %v, want ErrInUse", err)
	}
}

func TestDestroy(t *testing.T) {
	dir := t.TempDir()
	m := []MasterKey{testMaster(t, 1)}
	s := openStore(t, dir, m, Options{CacheSize: -1})
	id, a, err := s.KeyFor("u:shop:7")
	if err != nil {
		t.Fatal(err)
	}
	keep, ka, _ := s.KeyFor("u:shop:8")
	ct := seal(t, ka, "kept")
	_ = a
	before := slotBytes(t, dir, id)
	wrapped := before[sSealed:sEnd]
	hash := before[sHash : sHash+32]

	if err := s.Destroy(id); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Key(id); !errors.Is(err, ErrDestroyed) {
		t.Fatalf("Key after Destroy = %v, want ErrDestroyed", err)
	}
	if _, ok := s.Lookup("u:shop:7"); ok {
		t.Fatal("Lookup finds a destroyed subject")
	}
	raw, _ := os.ReadFile(filepath.Join(dir, fileName))
	if bytes.Contains(raw, wrapped) || bytes.Contains(raw, hash) || bytes.Contains(raw, hash[:16]) {
		t.Fatal("the destroyed slot's wrapped key or subject hash is still in the file")
	}
	if err := s.Destroy(id, id); err != nil {
		t.Fatalf("Destroy again: %v", err)
	}
	if err := s.Destroy(1000); !errors.Is(err, ErrUnknownKey) {
		t.Fatalf("Destroy(1000) = %v, want ErrUnknownKey", err)
	}

	// The erased person sends again: a new key in a new slot.
	nid, _, err := s.KeyFor("u:shop:7")
	if err != nil || nid == id || nid == keep {
		t.Fatalf("KeyFor after Destroy = %d, %v; want a new id", nid, err)
	}
	if st := s.Stats(); st.Live != 2 || st.Destroyed != 1 {
		t.Fatalf("Stats = %+v", st)
	}
	s.Close()

	s = openStore(t, dir, m, Options{})
	if _, err := s.Key(id); !errors.Is(err, ErrDestroyed) {
		t.Fatalf("Key of a destroyed key after reopen = %v", err)
	}
	if got, _ := s.Lookup("u:shop:7"); got != nid {
		t.Fatalf("Lookup after reopen = %d, want %d", got, nid)
	}
	ka, err = s.Key(keep)
	if err != nil {
		t.Fatal(err)
	}
	if p, err := unseal(ka, ct); err != nil || p != "kept" {
		t.Fatal("Destroy damaged another key")
	}
}

func TestWrongMaster(t *testing.T) {
	dir := t.TempDir()
	s := openStore(t, dir, []MasterKey{testMaster(t, 1)}, Options{})
	s.KeyFor("x")
	s.Close()

	wrong := testMaster(t, 1)
	_, err := Open(dir, []MasterKey{wrong}, Options{})
	if !errors.Is(err, ErrWrongMaster) {
		t.Fatalf("Open with a wrong key = %v, want ErrWrongMaster", err)
	}
	if strings.Contains(err.Error(), base64.StdEncoding.EncodeToString(wrong.Key[:])) {
		t.Fatal("the error shows key material")
	}
	t.Log(err)
	_, err = Open(dir, []MasterKey{testMaster(t, 2)}, Options{})
	if !errors.Is(err, ErrMasterMissing) || !strings.Contains(err.Error(), "v1") {
		t.Fatalf("Open without v1 = %v, want ErrMasterMissing naming v1", err)
	}
	t.Log(err)
}

func TestRotate(t *testing.T) {
	dir := t.TempDir()
	v1, v2 := testMaster(t, 1), testMaster(t, 2)
	s := openStore(t, dir, []MasterKey{v1}, Options{})
	cts := map[uint64][]byte{}
	for i := range 10 {
		id, a, err := s.KeyFor(fmt.Sprint("s", i))
		if err != nil {
			t.Fatal(err)
		}
		cts[id] = seal(t, a, fmt.Sprint("p", i))
	}
	s.Destroy(3)
	delete(cts, 3)
	ik := s.IndexKey()
	oldSlot := slotBytes(t, dir, 5)
	oldHeader, _ := os.ReadFile(filepath.Join(dir, fileName))
	oldHeader = oldHeader[:headerSize]

	if err := s.Rotate([]MasterKey{v2}); err != nil {
		t.Fatal(err)
	}
	// New keys after the rotation are wrapped under v2.
	nid, na, err := s.KeyFor("after")
	if err != nil {
		t.Fatal(err)
	}
	cts[nid] = seal(t, na, "after")
	s.Close()

	check := func(s *Store) {
		t.Helper()
		for id, ct := range cts {
			a, err := s.Key(id)
			if err != nil {
				t.Fatalf("key %d: %v", id, err)
			}
			if _, err := unseal(a, ct); err != nil {
				t.Fatalf("key %d no longer decrypts", id)
			}
		}
		if _, err := s.Key(3); !errors.Is(err, ErrDestroyed) {
			t.Fatalf("destroyed key 3 = %v", err)
		}
		if !bytes.Equal(s.IndexKey(), ik) {
			t.Fatal("the index key changed with rotation")
		}
	}
	s = openStore(t, dir, []MasterKey{v2}, Options{})
	check(s)
	s.Close()
	if _, err := Open(dir, []MasterKey{v1}, Options{}); !errors.Is(err, ErrMasterMissing) {
		t.Fatalf("Open with only the old key = %v, want ErrMasterMissing", err)
	}

	// A crash mid-rotation: slot 5 and header copy A not yet rewritten.
	f, err := os.OpenFile(filepath.Join(dir, fileName), os.O_RDWR, 0)
	if err != nil {
		t.Fatal(err)
	}
	f.WriteAt(oldHeader[:copySize], 0)
	f.WriteAt(oldSlot, headerSize+5*slotSize)
	f.Close()
	_, err = Open(dir, []MasterKey{v2}, Options{})
	if !errors.Is(err, ErrMasterMissing) || !strings.Contains(err.Error(), "slot 5") {
		t.Fatalf("Open of a half-rotated store with v2 only = %v, want ErrMasterMissing naming slot 5", err)
	}
	t.Log(err)
	s = openStore(t, dir, []MasterKey{v1, v2}, Options{})
	check(s)
	// Rotating again finishes the job.
	if err := s.Rotate([]MasterKey{v2}); err != nil {
		t.Fatal(err)
	}
	s.Close()
	s = openStore(t, dir, []MasterKey{v2}, Options{})
	check(s)
	if err := s.Rotate([]MasterKey{v1}); err == nil {
		t.Fatal("Rotate back to an older version succeeded")
	}
	if err := s.Rotate([]MasterKey{testMaster(t, 2)}); err == nil {
		t.Fatal("Rotate to a different key under an existing version succeeded")
	}
}

func TestTornTail(t *testing.T) {
	for _, tc := range []struct {
		name string
		tear func(f *os.File, size int64)
	}{
		{"partial slot", func(f *os.File, size int64) { f.Truncate(size - 50) }},
		{"zeroed slots", func(f *os.File, size int64) {
			f.WriteAt(make([]byte, slotSize), size-slotSize)
			f.WriteAt(make([]byte, 2*slotSize+17), size)
		}},
		{"garbled last slot", func(f *os.File, size int64) { f.WriteAt([]byte{0xff, 0xfe}, size-70) }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			m := []MasterKey{testMaster(t, 1)}
			s := openStore(t, dir, m, Options{})
			cts := map[uint64][]byte{}
			for i := range 10 {
				id, a, _ := s.KeyFor(fmt.Sprint("s", i))
				cts[id] = seal(t, a, "x")
			}
			s.Close()
			path := filepath.Join(dir, fileName)
			f, _ := os.OpenFile(path, os.O_RDWR, 0)
			fi, _ := f.Stat()
			tc.tear(f, fi.Size())
			f.Close()

			s = openStore(t, dir, m, Options{})
			st := s.Stats()
			if st.Live != 9 || st.TornTail == 0 {
				t.Fatalf("Stats after a torn tail = %+v, want 9 live and a torn tail", st)
			}
			for id := range uint64(9) {
				a, err := s.Key(id)
				if err != nil {
					t.Fatal(err)
				}
				if _, err := unseal(a, cts[id]); err != nil {
					t.Fatalf("key %d changed", id)
				}
			}
			if _, err := s.Key(9); !errors.Is(err, ErrUnknownKey) {
				t.Fatalf("Key(9) = %v", err)
			}
			if _, ok := s.Lookup("s9"); ok {
				t.Fatal("the torn slot's subject is still found")
			}
			id, _, err := s.KeyFor("s9")
			if err != nil || id != 9 {
				t.Fatalf("KeyFor(s9) = %d, %v; want slot 9 reused for a new key", id, err)
			}
			s.Close()
			s = openStore(t, dir, m, Options{})
			if st := s.Stats(); st.Live != 10 || st.TornTail != 0 {
				t.Fatalf("Stats after reopening a repaired store = %+v", st)
			}
		})
	}
}

func TestCorruptMiddleSlot(t *testing.T) {
	dir := t.TempDir()
	m := []MasterKey{testMaster(t, 1)}
	s := openStore(t, dir, m, Options{})
	for i := range 10 {
		s.KeyFor(fmt.Sprint("s", i))
	}
	s.Close()
	f, _ := os.OpenFile(filepath.Join(dir, fileName), os.O_RDWR, 0)
	f.WriteAt([]byte{0x5a}, headerSize+3*slotSize+60)
	f.Close()
	_, err := Open(dir, m, Options{})
	if !errors.Is(err, ErrCorrupt) || !strings.Contains(err.Error(), "slot 3") {
		t.Fatalf("Open with a corrupt slot 3 = %v, want ErrCorrupt naming slot 3", err)
	}
	t.Log(err)
}

func TestSwappedSlotsRejected(t *testing.T) {
	dir := t.TempDir()
	m := []MasterKey{testMaster(t, 1)}
	s := openStore(t, dir, m, Options{})
	s.KeyFor("a")
	s.KeyFor("b")
	s.Close()
	s0, s1 := slotBytes(t, dir, 0), slotBytes(t, dir, 1)
	f, _ := os.OpenFile(filepath.Join(dir, fileName), os.O_RDWR, 0)
	f.WriteAt(s1, headerSize)
	f.WriteAt(s0, headerSize+slotSize)
	f.Close()
	_, err := Open(dir, m, Options{})
	if !errors.Is(err, ErrCorrupt) || !strings.Contains(err.Error(), "slot 0") {
		t.Fatalf("Open with swapped slots = %v, want ErrCorrupt naming slot 0", err)
	}
	t.Log(err)
}

func TestHeaderCopyRepair(t *testing.T) {
	dir := t.TempDir()
	m := []MasterKey{testMaster(t, 1)}
	s := openStore(t, dir, m, Options{})
	id, a, _ := s.KeyFor("a")
	ct := seal(t, a, "x")
	s.Close()
	path := filepath.Join(dir, fileName)
	f, _ := os.OpenFile(path, os.O_RDWR, 0)
	f.WriteAt([]byte("garbage"), 40)
	f.Close()
	s = openStore(t, dir, m, Options{})
	a, err := s.Key(id)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := unseal(a, ct); err != nil {
		t.Fatal(err)
	}
	s.Close()
	raw, _ := os.ReadFile(path)
	if !bytes.Equal(raw[:copySize], raw[copyBOffset:copyBOffset+copySize]) {
		t.Fatal("header copy A was not repaired from B")
	}
}

func TestConcurrentKeyFor(t *testing.T) {
	for _, sync_ := range []bool{false, true} {
		t.Run(fmt.Sprint("sync=", sync_), func(t *testing.T) {
			dir := t.TempDir()
			m := []MasterKey{testMaster(t, 1)}
			s := openStore(t, dir, m, Options{Sync: sync_, CacheSize: 50})
			const subjects, workers = 500, 16
			var ids sync.Map
			var wg sync.WaitGroup
			errs := make(chan error, workers)
			for w := range workers {
				wg.Go(func() {
					for i := range subjects {
						subj := fmt.Sprint("u:src:", (i*7+w*13)%subjects)
						id, a, err := s.KeyFor(subj)
						if err != nil {
							errs <- err
							return
						}
						if a == nil {
							errs <- fmt.Errorf("nil AEAD for %d", id)
							return
						}
						if prev, loaded := ids.LoadOrStore(subj, id); loaded && prev.(uint64) != id {
							errs <- fmt.Errorf("subject %s got ids %d and %d", subj, prev, id)
							return
						}
						if w == 0 && i%50 == 0 {
							s.Stats()
							s.Key(id)
						}
					}
				})
			}
			wg.Wait()
			close(errs)
			for err := range errs {
				t.Fatal(err)
			}
			seen := map[uint64]string{}
			ids.Range(func(k, v any) bool {
				if o, dup := seen[v.(uint64)]; dup {
					t.Fatalf("subjects %s and %s share id %d", o, k, v)
				}
				seen[v.(uint64)] = k.(string)
				return true
			})
			if st := s.Stats(); st.Live != subjects || len(seen) != subjects {
				t.Fatalf("Stats = %+v, %d ids; want %d live", st, len(seen), subjects)
			}
			s.Close()
			s = openStore(t, dir, m, Options{})
			ids.Range(func(k, v any) bool {
				if got, ok := s.Lookup(k.(string)); !ok || got != v.(uint64) {
					t.Fatalf("after reopen %s = %d, %v; want %d", k, got, ok, v)
				}
				return true
			})
		})
	}
}

// TestConcurrentDestroyRotate runs KeyFor, Key, Destroy and Rotate together
// for the race detector, then checks the store reopens consistent.
func TestConcurrentDestroyRotate(t *testing.T) {
	dir := t.TempDir()
	v1, v2 := testMaster(t, 1), testMaster(t, 2)
	s := openStore(t, dir, []MasterKey{v1}, Options{CacheSize: 20})
	for i := range 200 {
		s.KeyFor(fmt.Sprint("pre", i))
	}
	var wg sync.WaitGroup
	for w := range 4 {
		wg.Go(func() {
			for i := range 300 {
				id, _, err := s.KeyFor(fmt.Sprint("s", (i+w*31)%150))
				if err != nil {
					t.Error(err)
					return
				}
				if _, err := s.Key(id); err != nil && !errors.Is(err, ErrDestroyed) {
					t.Error(err)
					return
				}
			}
		})
	}
	wg.Go(func() {
		for i := range 60 {
			if err := s.Destroy(uint64(i * 3)); err != nil {
				t.Error(err)
				return
			}
		}
	})
	wg.Go(func() {
		if err := s.Rotate([]MasterKey{v2}); err != nil {
			t.Error(err)
		}
	})
	wg.Go(func() {
		var buf bytes.Buffer
		if err := s.CopyTo(&buf); err != nil {
			t.Error(err)
		}
	})
	wg.Wait()
	st := s.Stats()
	s.Close()
	s = openStore(t, dir, []MasterKey{v2}, Options{})
	if got := s.Stats(); got.Live != st.Live || got.Destroyed != st.Destroyed {
		t.Fatalf("after reopen %+v, before %+v", got, st)
	}
	for i := range 60 {
		if _, err := s.Key(uint64(i * 3)); !errors.Is(err, ErrDestroyed) {
			t.Fatalf("key %d: %v", i*3, err)
		}
	}
}

func TestCopyRestore(t *testing.T) {
	dir := t.TempDir()
	m := []MasterKey{testMaster(t, 1)}
	s := openStore(t, dir, m, Options{})
	id, a, _ := s.KeyFor("a")
	ct := seal(t, a, "x")
	var buf bytes.Buffer
	if err := s.CopyTo(&buf); err != nil {
		t.Fatal(err)
	}
	if err := RestoreFrom(dir, bytes.NewReader(buf.Bytes())); err == nil {
		t.Fatal("RestoreFrom overwrote a live store")
	}
	if err := RestoreFrom(t.TempDir(), strings.NewReader("not a key store")); !errors.Is(err, ErrCorrupt) {
		t.Fatalf("RestoreFrom of junk = %v", err)
	}
	dir2 := filepath.Join(t.TempDir(), "restored")
	if err := RestoreFrom(dir2, &buf); err != nil {
		t.Fatal(err)
	}
	r := openStore(t, dir2, m, Options{})
	a, err := r.Key(id)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := unseal(a, ct); err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(r.IndexKey(), s.IndexKey()) {
		t.Fatal("restored index key differs")
	}
}

func TestClosed(t *testing.T) {
	s := openStore(t, t.TempDir(), []MasterKey{testMaster(t, 1)}, Options{})
	id, _, _ := s.KeyFor("a")
	s.Close()
	if _, _, err := s.KeyFor("a"); !errors.Is(err, ErrClosed) {
		t.Fatalf("KeyFor after Close = %v", err)
	}
	if _, err := s.Key(id); !errors.Is(err, ErrClosed) {
		t.Fatalf("Key after Close = %v", err)
	}
	if err := s.Destroy(id); !errors.Is(err, ErrClosed) {
		t.Fatalf("Destroy after Close = %v", err)
	}
}

func TestLoadMaster(t *testing.T) {
	k1 := base64.StdEncoding.EncodeToString(bytes.Repeat([]byte{1}, 32))
	k2 := base64.StdEncoding.EncodeToString(bytes.Repeat([]byte{2}, 32))
	short := base64.StdEncoding.EncodeToString(bytes.Repeat([]byte{3}, 31))
	zero := base64.StdEncoding.EncodeToString(make([]byte, 32))

	good := "# keys\n\nv2:" + k2 + "\r\n  v1:" + k1 + "  \n"
	path := filepath.Join(t.TempDir(), "master.keys")
	os.WriteFile(path, []byte(good), 0o600)
	for _, keys := range [][]MasterKey{
		must(LoadMaster(path, "ignored")),
		must(LoadMaster("", "v1:"+k1+",v2:"+k2)),
	} {
		if len(keys) != 2 || keys[0].Version != 1 || keys[1].Version != 2 || keys[1].Key[0] != 2 {
			t.Fatalf("LoadMaster = %d keys, want v1 and v2 sorted", len(keys))
		}
	}

	for _, tc := range []struct{ text, want string }{
		{"v1:" + k1 + "\n" + k2, "line 2: want v<version>"},
		{"# c\nv0:" + k1, "line 2: the version must"},
		{"vx:" + k1, "line 1: the version must"},
		{"v-1:" + k1, "line 1: the version must"},
		{"v1:" + k1 + "\nv1:" + k2, "line 2: version v1 is already given in line 1"},
		{"v1:" + short, "line 1: the key decodes to 31 bytes"},
		{"v1:" + k1[:10] + "!" + k1[11:], "line 1: the key is not standard base64"},
		{"v1:" + zero, "line 1: the key is all zeros"},
		{"# only a comment\n", "no key in it"},
	} {
		os.WriteFile(path, []byte(tc.text), 0o600)
		_, err := LoadMaster(path, "")
		if err == nil || !strings.Contains(err.Error(), tc.want) || !strings.Contains(err.Error(), path) {
			t.Errorf("LoadMaster(%q) = %v, want an error naming the file and %q", tc.text, err, tc.want)
			continue
		}
		for _, secret := range []string{k1, k2, short, k1[:10]} {
			if strings.Contains(err.Error(), secret) {
				t.Errorf("error %q shows key material", err)
			}
		}
	}
	if _, err := LoadMaster("", "v1:"+k1+", v1"+k2); err == nil || !strings.Contains(err.Error(), "environment: entry 2: want v<version>") {
		t.Errorf("LoadMaster from the environment = %v, want an error naming entry 2", err)
	}
	if _, err := LoadMaster("", ""); err == nil {
		t.Error("LoadMaster with nothing succeeded")
	}
	if _, err := LoadMaster(filepath.Join(t.TempDir(), "missing"), ""); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("LoadMaster of a missing file = %v", err)
	}
}

func must[T any](v T, err error) T {
	if err != nil {
		panic(err)
	}
	return v
}

func TestGenerateMasterFile(t *testing.T) {
	path := filepath.Join(t.TempDir(), "sub", "master.keys")
	if err := GenerateMasterFile(path); err != nil {
		t.Fatal(err)
	}
	fi, err := os.Stat(path)
	if err != nil || fi.Mode().Perm() != 0o600 {
		t.Fatalf("mode %v, %v; want 0600", fi.Mode().Perm(), err)
	}
	keys, err := LoadMaster(path, "")
	if err != nil || len(keys) != 1 || keys[0].Version != 1 {
		t.Fatalf("LoadMaster of a generated file = %v, %v", keys, err)
	}
	if err := GenerateMasterFile(path); err == nil {
		t.Fatal("GenerateMasterFile overwrote an existing key file")
	}
	if again, _ := LoadMaster(path, ""); again[0].Key != keys[0].Key {
		t.Fatal("the key file changed")
	}
}
