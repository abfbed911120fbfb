package rfm

import (
	"database/sql"
	"path/filepath"
	"testing"
	"time"
)

// BenchmarkRFM1M runs RFM over 1,000,000 profiles and 20,000,000 orders
// (with 1,000,000 refunds) generated inside DuckDB, on 2 threads with a 2 GB
// memory limit, into a stored table as the analytics job does. The data
// lives in a file database so that DuckDB can page it within the memory
// limit. Target: < 10 s per run. Run it with
//
//	go test -run '^$' -bench RFM1M -benchtime 1x ./internal/profile/rfm
//
// Generating the data takes a minute or so and is not timed. Besides the
// wall time it reports the process's CPU time per run (cpu-s/op): with two
// threads, an otherwise idle machine needs about half of it in wall time.
func BenchmarkRFM1M(b *testing.B) {
	if testing.Short() {
		b.Skip("generates 20M orders")
	}
	db, err := sql.Open("duckdb", filepath.Join(b.TempDir(), "rfm.duckdb"))
	if err != nil {
		b.Fatal(err)
	}
	defer db.Close()
	db.SetMaxOpenConns(1)
	exec := func(q string) {
		b.Helper()
		if _, err := db.Exec(q); err != nil {
			b.Fatalf("%v\n%s", err, q)
		}
	}
	exec("SET threads = 2")
	exec("SET memory_limit = '2GB'")
	exec("SET preserve_insertion_order = false")
	start := time.Now()
	// 20 orders per profile on average (hash-distributed, so counts vary),
	// over two years, 2% cancelled, four marketplaces.
	exec(`CREATE TABLE orders AS
SELECT 'p' || CAST(hash(i) % 1000000 AS VARCHAR) AS profile_id,
       'store_' || CAST(hash(i + 1) % 4 AS VARCHAR) AS store,
       CAST(i AS VARCHAR) AS order_id,
       TIMESTAMPTZ '2023-01-01 00:00:00+00' + to_seconds(CAST(hash(i * 2 + 1) % (730 * 86400) AS BIGINT)) AS "timestamp",
       CAST(CAST(hash(i * 3 + 1) % 2000000 AS BIGINT) / 100.0 AS DECIMAL(18,4)) AS total_base,
       CASE WHEN hash(i * 5 + 1) % 50 = 0 THEN 'cancelled' ELSE 'completed' END AS status,
       ['amazon_de', 'amazon_uk', 'shopify_eu', 'tiktok_shop_uk'][1 + CAST(hash(i * 7 + 1) % 4 AS BIGINT)] AS marketplace
FROM range(20000000) t(i)`)
	exec(`CREATE TABLE refunds AS
SELECT store, order_id, "timestamp" + INTERVAL 7 DAY AS "timestamp", CAST(total_base * 0.5 AS DECIMAL(18,4)) AS amount_base
FROM orders WHERE hash(order_id) % 20 = 0`)
	exec("CHECKPOINT")
	var profiles, orders, refunds int64
	if err := db.QueryRow(`SELECT (SELECT count(DISTINCT profile_id) FROM orders), (SELECT count(*) FROM orders), (SELECT count(*) FROM refunds)`).Scan(&profiles, &orders, &refunds); err != nil {
		b.Fatal(err)
	}
	b.Logf("generated %d profiles, %d orders, %d refunds in %s", profiles, orders, refunds, time.Since(start).Round(time.Second))

	asOf := time.Date(2024, 12, 31, 0, 0, 0, 0, time.UTC)
	for _, c := range []struct {
		name string
		o    Options
	}{
		{"overall-365d", Options{AsOf: asOf, PeriodDays: 365}},
		{"overall-all", Options{AsOf: asOf}},
		{"by-marketplace-365d", Options{AsOf: asOf, PeriodDays: 365, ByMarketplace: true}},
	} {
		b.Run(c.name, func(b *testing.B) {
			q, err := Query(c.o)
			if err != nil {
				b.Fatal(err)
			}
			cpu := cpuTime()
			for b.Loop() {
				exec("CREATE OR REPLACE TABLE rfm_result AS " + q)
			}
			b.StopTimer()
			b.ReportMetric((cpuTime()-cpu).Seconds()/float64(b.N), "cpu-s/op")
			var n int64
			if err := db.QueryRow("SELECT count(*) FROM rfm_result").Scan(&n); err != nil {
				b.Fatal(err)
			}
			sq, _ := SummaryOf("rfm_result")
			t0 := time.Now()
			if _, err := db.Exec("CREATE OR REPLACE TABLE rfm_summary AS " + sq); err != nil {
				b.Fatal(err)
			}
			b.Logf("%s: %d rows; summary of the stored table in %s", c.name, n, time.Since(t0).Round(time.Millisecond))
		})
	}
}
