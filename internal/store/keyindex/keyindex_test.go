package keyindex

import (
	"fmt"
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
