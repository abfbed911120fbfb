package records

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"testing"
)

// writeOrdersCSV writes an orders CSV of n rows (orders of one to three
// items, order-level columns repeated on every row) and returns its path.
func writeOrdersCSV(tb testing.TB, n int) (path string, size int64, orders int) {
	tb.Helper()
	path = filepath.Join(tb.TempDir(), "orders.csv")
	f, err := os.Create(path)
	if err != nil {
		tb.Fatal(err)
	}
	w := bufio.NewWriterSize(f, 1<<20)
	fmt.Fprintln(w, "order_id,customer_id,email,timestamp,currency,total,tax,shipping,status,product_id,sku,name,price,quantity,category")
	currencies := []string{"EUR", "USD", "GBP", "JPY"}
	row, order := 0, 0
	for row < n {
		items := 1 + order%3
		cur := currencies[order%len(currencies)]
		for i := 0; i < items && row < n; i++ {
			fmt.Fprintf(w, "ORD-%07d,cust-%06d,c%06d@example.com,2024-%02d-%02dT%02d:%02d:11+01:00,%s,%d.%02d,1.90,4.99,paid,P-%04d,SKU-%04d,\"Product %d, size M\",%d.99,%d,Home\n",
				order, order%250000, order%250000, 1+order%12, 1+order%28, order%24, order%60, cur,
				20+order%500, order%100, (order+i)%5000, (order+i)%5000, (order+i)%5000, 5+i, 1+i)
			row++
		}
		order++
	}
	if err := w.Flush(); err != nil {
		tb.Fatal(err)
	}
	st, _ := f.Stat()
	f.Close()
	return path, st.Size(), order
}

// BenchmarkOrdersCSV converts a generated 1,000,000-row orders CSV.
// Run with: go test -run '^$' -bench OrdersCSV -benchtime 3x ./internal/ingest/records/
func BenchmarkOrdersCSV(b *testing.B) {
	const rows = 1_000_000
	path, size, orders := writeOrdersCSV(b, rows)
	b.SetBytes(size)
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		f, err := os.Open(path)
		if err != nil {
			b.Fatal(err)
		}
		r, err := NewReader(f, KindOrders, FormatAuto, nil)
		if err != nil {
			b.Fatal(err)
		}
		msgs := 0
		for {
			_, err := r.Next()
			if err == io.EOF {
				break
			}
			var re *RowError
			if errors.As(err, &re) {
				b.Fatalf("unexpected row error: %v", re)
			}
			if err != nil {
				b.Fatal(err)
			}
			msgs++
		}
		f.Close()
		if msgs != orders {
			b.Fatalf("got %d orders, want %d", msgs, orders)
		}
	}
	b.ReportMetric(float64(rows)*float64(b.N)/b.Elapsed().Seconds(), "rows/s")
}

// TestGeneratedOrdersSmall checks the benchmark's generator and grouping on
// a small file, so that the benchmark's input is known to be valid.
func TestGeneratedOrdersSmall(t *testing.T) {
	path, _, _ := writeOrdersCSV(t, 600)
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	r, err := NewReader(f, KindOrders, FormatAuto, nil)
	if err != nil {
		t.Fatal(err)
	}
	res := drain(t, r)
	if len(res.errs) != 0 || len(res.recs) != 300 {
		t.Fatalf("records %d errors %v", len(res.recs), res.errs)
	}
	wantNum(t, res.msgs[2], "3", "properties", "products", 2, "quantity")
	wantStr(t, res.msgs[2], "Product 4, size M", "properties", "products", 2, "name")
}
