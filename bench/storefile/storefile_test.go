package storefile

import (
	"context"
	"net/url"
	"path/filepath"
	"slices"
	"testing"
)

// TestOpenAndColumns: a file opened with settings takes them, and Columns
// lists a table's columns in their order.
func TestOpenAndColumns(t *testing.T) {
	ctx := context.Background()
	c, err := Open(ctx, filepath.Join(t.TempDir(), "x.duckdb"), url.Values{"threads": {"1"}, "memory_limit": {"128MB"}})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if _, err := c.ExecContext(ctx, "CREATE TABLE t (b INTEGER, a VARCHAR, c DATE)"); err != nil {
		t.Fatal(err)
	}
	cols, err := c.Columns(ctx, "t")
	if err != nil || !slices.Equal(cols, []string{"b", "a", "c"}) {
		t.Fatalf("columns %v, %v", cols, err)
	}
	var threads string
	if err := c.QueryRowContext(ctx, "SELECT current_setting('threads')").Scan(&threads); err != nil || threads != "1" {
		t.Fatalf("threads %q, %v", threads, err)
	}
}
