package keyindex

import (
	"fmt"
	"strings"
	"testing"
)

func TestExpireKeepsPermanentAndRecentKeys(t *testing.T) {
	x, err := Open(t.TempDir(), 1<<20)
	if err != nil {
		t.Fatal(err)
	}
	defer x.Close()
	b := x.NewBatch()
	// 25,000 keys span several expiry chunks.
	for i := 0; i < 25000; i++ {
		e := Entry{Seq: uint64(i + 1), Day: 100 + uint32(i%5), Permanent: i%10 == 0}
		b.Put(Message, Hash("src", fmt.Sprint(i)), e)
	}
	b.Put(Order, Hash("store", "o1"), Entry{Seq: 1, Day: 0})
	if err := b.Commit(false); err != nil {
		t.Fatal(err)
	}
	locks := 0
	n, err := x.ExpireMessages(103, func() func() { locks++; return func() {} })
	if err != nil {
		t.Fatal(err)
	}
	// Days 100, 101, 102 (i%5 < 3: 15,000 keys) expire unless permanent;
	// the permanent keys (i%10 == 0) all have i%5 == 0: 2,500 of them.
	if want := 15000 - 2500; n != want {
		t.Fatalf("expired %d keys, want %d", n, want)
	}
	if locks < 3 {
		t.Fatalf("expiry took the lock %d times, want one per chunk of 10,000", locks)
	}
	for i := 0; i < 25000; i++ {
		_, ok, err := x.Get(Message, Hash("src", fmt.Sprint(i)))
		if err != nil {
			t.Fatal(err)
		}
		want := i%10 == 0 || 100+i%5 >= 103
		if ok != want {
			t.Fatalf("key %d present=%v, want %v", i, ok, want)
		}
	}
	if _, ok, _ := x.Get(Order, Hash("store", "o1")); !ok {
		t.Fatal("an order key expired")
	}
}

func TestHashSeparatesParts(t *testing.T) {
	if Hash("ab", "c") == Hash("a", "bc") {
		t.Fatal("parts are not separated")
	}
}

// TestHashIsStable: digests are stored on disk (the store's key index, the
// profile engine's message keys), so the function must never change.
func TestHashIsStable(t *testing.T) {
	long := strings.Repeat("x", 300) // past the stack buffer
	for _, c := range []struct {
		parts []string
		want  string
	}{
		// Digests of the streaming implementation this replaced.
		{[]string{"src", "m1"}, "e4908420b975386631c01a09a80d980c"},
		{[]string{long, "m1"}, "f4d6aa7880092aaa5ffcbc8fef10366a"},
		{[]string{"ad_spend", "s", "2026-01-01", "google", "c"}, "0549134656908d82ae13453221d1213f"},
	} {
		got := fmt.Sprintf("%x", Hash(c.parts...))
		if got != c.want {
			t.Errorf("Hash(%q…) = %s, want %s", c.parts[0][:3], got, c.want)
		}
	}
}

// TestExpiredCoversNothingLeft: deleting an entry that is Expired at the
// latest day seen must change no decision for a message received that day
// or the day before (receipt times in the log interleave around midnight),
// and an entry that still covers such a message must not be Expired.
func TestExpiredCoversNothingLeft(t *testing.T) {
	for latest := uint32(10); latest < 14; latest++ {
		for day := uint32(0); day <= latest; day++ {
			for _, perm := range []bool{false, true} {
				e := Entry{Seq: 1, Day: day, Permanent: perm}
				covers := e.Covers(latest-1) || e.Covers(latest)
				if e.Expired(latest) && covers {
					t.Fatalf("%+v expired at day %d but covers a message of day %d or %d", e, latest, latest-1, latest)
				}
				if !e.Expired(latest) && !covers && !perm && day+3 < latest {
					t.Fatalf("%+v kept at day %d although it covers nothing", e, latest)
				}
			}
		}
	}
	if got, err := DecodeEntry(Entry{Seq: 7, Day: 9, Permanent: true}.Encode()); err != nil || got != (Entry{Seq: 7, Day: 9, Permanent: true}) {
		t.Fatalf("round trip: %+v %v", got, err)
	}
	if _, err := DecodeEntry([]byte{1, 2}); err == nil {
		t.Fatal("a short value decoded")
	}
}

// LatestDay keeps the greatest day noted, whatever the order.
func TestLatestDayKeepsTheGreatest(t *testing.T) {
	var l LatestDay
	if l.Day() != 0 {
		t.Fatalf("zero value: day %d", l.Day())
	}
	for _, d := range []uint32{5, 9, 7, 9, 3} {
		l.Note(d)
	}
	if l.Day() != 9 {
		t.Fatalf("day %d, want 9", l.Day())
	}
}
