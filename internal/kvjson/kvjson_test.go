package kvjson

import (
	"context"
	"errors"
	"testing"

	"github.com/tradewind/tradewind/internal/eventlog"
)

type def struct {
	ID string `json:"id"`
	N  int    `json:"n"`
}

func TestBucket(t *testing.T) {
	ctx := context.Background()
	l, err := eventlog.Open(ctx, eventlog.Config{Dir: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	a := &Bucket[def]{JetStream: l.JetStream(), Name: "test_defs", Prefix: "a."}
	other := &Bucket[def]{JetStream: l.JetStream(), Name: "test_defs", Prefix: "b."}
	if _, _, err := a.Get(ctx, "x"); !errors.Is(err, ErrNotFound) {
		t.Fatalf("missing key: %v", err)
	}
	for _, id := range []string{"z", "m", "c"} {
		if err := a.Create(ctx, id, def{ID: id, N: 1}); err != nil {
			t.Fatal(err)
		}
	}
	if err := a.Create(ctx, "m", def{ID: "m"}); !errors.Is(err, ErrExists) {
		t.Errorf("second create: %v", err)
	}
	if err := other.Put(ctx, "q", def{ID: "q"}); err != nil {
		t.Fatal(err)
	}
	all, err := a.All(ctx)
	if err != nil || len(all) != 3 || all[0].ID != "c" || all[2].ID != "z" {
		t.Fatalf("all: %v %v (want c, m, z without the other prefix's)", all, err)
	}
	v, rev, err := a.Get(ctx, "m")
	if err != nil || v.N != 1 || rev == 0 {
		t.Fatalf("get: %v %d %v", v, rev, err)
	}
	if err := a.Update(ctx, "m", def{ID: "m", N: 2}, rev); err != nil {
		t.Fatal(err)
	}
	if err := a.Update(ctx, "m", def{ID: "m", N: 3}, rev); err == nil {
		t.Error("an update at a stale revision won")
	}
	if err := a.Delete(ctx, "m"); err != nil {
		t.Fatal(err)
	}
	if err := a.Delete(ctx, "m"); err != nil {
		t.Errorf("deleting a deleted key: %v", err)
	}
	if _, _, err := a.Get(ctx, "m"); !errors.Is(err, ErrNotFound) {
		t.Errorf("after delete: %v", err)
	}
}
