// Command orders-csv writes a deterministic orders CSV in the default columns
// of internal/ingest/records (kind "orders"): one row per line item, the
// order-level columns repeated on every row of the order, as shop exports do.
//
// With the defaults it writes exactly 1,000,000 rows: orders of 1 to 3 items
// (about 500,000 orders; the last order is cut to fit), placed through 2025
// in EUR, USD or GBP by 200,000 customers, 3% of them cancelled or refunded,
// 10% with a coupon. Amounts are exact cents: total = subtotal + tax +
// shipping − discount. The same --rows and --seed always give the same bytes.
//
//	go run ./bench/orders-csv --rows 1000000 --out /tmp/orders.csv
package main

import (
	"bufio"
	"flag"
	"fmt"
	"math/rand/v2"
	"os"
	"strconv"
	"time"
)

var (
	categories = []string{"Knitwear", "Outerwear", "Footwear", "Accessories", "Home", "Beauty", "Kids"}
	brands     = []string{"Nordwind", "Alpaca & Co", "Kaze", "Maison Lune", "Tidewater"}
	adjectives = []string{"Merino", "Linen", "Organic cotton", "Recycled", "Waxed", "Cashmere", "Bamboo"}
	nouns      = []string{"crew sweater", "parka", "sneaker", "tote bag", "throw blanket", "face serum", "beanie"}
	countries  = []string{"DE", "FR", "GB", "US", "NL", "IT", "ES", "JP", "SE", "PL"}
	currencies = []string{"EUR", "EUR", "EUR", "EUR", "EUR", "USD", "USD", "USD", "GBP", "GBP"}
)

const products = 2000

func main() {
	rows := flag.Int("rows", 1_000_000, "rows (line items) to write")
	seed := flag.Uint64("seed", 1, "random seed")
	out := flag.String("out", "-", "output file; - for standard output")
	flag.Parse()

	f := os.Stdout
	if *out != "-" {
		var err error
		if f, err = os.Create(*out); err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(1)
		}
	}
	w := bufio.NewWriterSize(f, 1<<20)
	rng := rand.New(rand.NewPCG(*seed, 0x7472616465))

	// A catalogue with fixed unit prices in cents.
	type product struct {
		id, sku, name, category, brand string
		cents                          int64
	}
	cat := make([]product, products)
	for i := range cat {
		cat[i] = product{
			id:       "P-" + strconv.Itoa(10000+i),
			sku:      fmt.Sprintf("SKU-%05d-%c", i, 'A'+rune(i%6)),
			name:     adjectives[i%len(adjectives)] + " " + nouns[(i/len(adjectives))%len(nouns)],
			category: categories[i%len(categories)],
			brand:    brands[i%len(brands)],
			cents:    int64(990 + rng.IntN(19000)),
		}
		if i%10 == 0 {
			cat[i].name += ", size M" // a comma: the field gets quoted
		}
	}

	w.WriteString("order_id,customer_id,email,customer_name,country,timestamp,currency,subtotal,tax,shipping,discount,total,coupon,status," +
		"product_id,sku,name,price,quantity,category,brand\n")
	start := time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)
	span := int64(365 * 24 * time.Hour / time.Second)
	expectedOrders := int64(*rows / 2)
	written, orders := 0, 0
	type item struct {
		p   *product
		qty int64
	}
	var items []item
	var line []byte
	for written < *rows {
		n := 1 + rng.IntN(3)
		n = min(n, *rows-written)
		items = items[:0]
		var subtotal int64
		for range n {
			p := &cat[rng.IntN(products)]
			q := int64(1 + rng.IntN(3)*rng.IntN(2))
			items = append(items, item{p, q})
			subtotal += p.cents * q
		}
		cust := rng.IntN(200_000)
		cur := currencies[rng.IntN(len(currencies))]
		country := countries[cust%len(countries)]
		// Orders are in time order, as exports are, a few seconds apart.
		at := start.Add(time.Duration(int64(orders)*span/max(expectedOrders, 1)+int64(rng.IntN(30))) * time.Second)
		tax := subtotal * 19 / 100
		shipping := int64(0)
		if subtotal < 5000 {
			shipping = 499
		}
		discount, coupon := int64(0), ""
		if rng.IntN(10) == 0 {
			discount, coupon = subtotal/10, "WELCOME10"
		}
		total := subtotal + tax + shipping - discount
		status := "paid"
		switch r := rng.IntN(100); {
		case r < 2:
			status = "cancelled"
		case r < 3:
			status = "refunded"
		}
		orderID := "WEB-" + strconv.Itoa(1_000_000+orders)
		for _, it := range items {
			line = line[:0]
			line = append(line, orderID...)
			line = append(line, ",C-"...)
			line = strconv.AppendInt(line, int64(cust), 10)
			line = append(line, ",c"...)
			line = strconv.AppendInt(line, int64(cust), 10)
			line = append(line, "@example.com,\"Customer "...)
			line = strconv.AppendInt(line, int64(cust), 10)
			line = append(line, ", Jr.\","...)
			line = append(line, country...)
			line = append(line, ',')
			line = at.AppendFormat(line, time.RFC3339)
			line = append(line, ',')
			line = append(line, cur...)
			for _, a := range []int64{subtotal, tax, shipping, discount, total} {
				line = append(line, ',')
				line = appendCents(line, a)
			}
			line = append(line, ',')
			line = append(line, coupon...)
			line = append(line, ',')
			line = append(line, status...)
			line = append(line, ',')
			line = append(line, it.p.id...)
			line = append(line, ',')
			line = append(line, it.p.sku...)
			line = append(line, ',')
			line = appendField(line, it.p.name)
			line = append(line, ',')
			line = appendCents(line, it.p.cents)
			line = append(line, ',')
			line = strconv.AppendInt(line, it.qty, 10)
			line = append(line, ',')
			line = append(line, it.p.category...)
			line = append(line, ',')
			line = appendField(line, it.p.brand)
			line = append(line, '\n')
			w.Write(line)
			written++
		}
		orders++
	}
	if err := w.Flush(); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	if f != os.Stdout {
		if err := f.Close(); err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(1)
		}
	}
	fmt.Fprintf(os.Stderr, "orders-csv: %d rows, %d orders\n", written, orders)
}

func appendCents(b []byte, c int64) []byte {
	b = strconv.AppendInt(b, c/100, 10)
	b = append(b, '.')
	if c%100 < 10 {
		b = append(b, '0')
	}
	return strconv.AppendInt(b, c%100, 10)
}

// appendField quotes a field that holds a comma or a quote (RFC 4180).
func appendField(b []byte, s string) []byte {
	need := false
	for i := 0; i < len(s); i++ {
		if s[i] == ',' || s[i] == '"' {
			need = true
			break
		}
	}
	if !need {
		return append(b, s...)
	}
	b = append(b, '"')
	for i := 0; i < len(s); i++ {
		if s[i] == '"' {
			b = append(b, '"')
		}
		b = append(b, s[i])
	}
	return append(b, '"')
}
