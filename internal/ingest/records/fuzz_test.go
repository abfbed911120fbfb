package records

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"testing"
)

// FuzzReader checks that no input makes a Reader panic, loop, emit invalid
// JSON or lose track of line numbers.
func FuzzReader(f *testing.F) {
	f.Add([]byte(ordersCSV), uint8(0))
	f.Add([]byte("order_id,timestamp,currency,total,sku\nA,2024-01-01,EUR,\"1\n0\",x\n\"B\n"), uint8(0))
	f.Add([]byte("amazon-order-id\tpurchase-date\tsku\tquantity\tcurrency\titem-price\n1\t2024-01-01\ta\t2\tEUR\t3.3\n"), uint8(2))
	f.Add([]byte(`{"type":"track"}`+"\n[1]\n{"), uint8(0))
	f.Add([]byte("Name,Created at,Lineitem quantity\n#1,2024-01-01 10:00:00 +0100,1\n#1,,x\n"), uint8(1))
	f.Add([]byte("customer_id;email\nk;a@b\n"), uint8(3))
	f.Add([]byte("date,channel,spend,currency\n2024-01-01,x,1,EUR\n"), uint8(4))
	f.Add([]byte("review_id,product_id,rating,timestamp\nr,p,5,2024-01-01\n"), uint8(5))
	f.Fuzz(func(t *testing.T, data []byte, sel uint8) {
		kinds := []Kind{KindOrders, KindOrders, KindOrders, KindCustomers, KindAdSpend, KindReviews, KindEvents}
		kind := kinds[int(sel)%len(kinds)]
		var m *Mapping
		switch sel % 7 {
		case 1:
			m, _ = ReadyMapping("shopify")
		case 2:
			m, _ = ReadyMapping("amazon")
		}
		r, err := NewReader(bytes.NewReader(data), kind, FormatAuto, m)
		if err != nil {
			return
		}
		lines := bytes.Count(data, []byte("\n")) + 1
		for i := 0; ; i++ {
			if i > len(data)+2 {
				t.Fatal("more results than input bytes")
			}
			rec, err := r.Next()
			if err == io.EOF {
				return
			}
			var re *RowError
			if errors.As(err, &re) {
				if re.Line < 1 || re.Line > lines {
					t.Fatalf("row error line %d outside 1..%d", re.Line, lines)
				}
				continue
			}
			if err != nil {
				t.Fatal(err)
			}
			if !json.Valid(rec.Message) {
				t.Fatalf("invalid JSON: %s", rec.Message)
			}
			if rec.Line < 1 || rec.EndLine < rec.Line || rec.EndLine > lines {
				t.Fatalf("bad lines %d-%d of %d", rec.Line, rec.EndLine, lines)
			}
		}
	})
}
