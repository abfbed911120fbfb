package sqltext

import (
	"slices"
	"testing"
)

func TestString(t *testing.T) {
	var q Query
	got := []string{q.String("a'b"), q.String("x\x00y"), q.String("\xff"), q.String("x\x00y"), q.String(`back\slash`)}
	want := []string{"'a''b'", "$1", "$2", "$1", `'back\slash'`}
	if !slices.Equal(got, want) {
		t.Fatalf("got %q, want %q", got, want)
	}
	if args := q.Args(); len(args) != 2 || args[0] != "x\x00y" || args[1] != "\xff" {
		t.Fatalf("args %q, want the NUL and the invalid UTF-8 values in number order", args)
	}
	var none Query
	if none.String("plain") != "'plain'" || none.Args() != nil {
		t.Fatal("a query of literals only has no parameters")
	}
}
