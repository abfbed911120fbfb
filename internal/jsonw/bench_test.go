package jsonw

import "testing"

// BenchmarkMessage writes a Segment-like track message of about 600 bytes:
// mostly ASCII strings, some non-ASCII text, numbers and nesting.
func BenchmarkMessage(b *testing.B) {
	price := []byte("129.90")
	id := []byte("3f1c9a4e-5b7d-4c2a-9e8f-0a1b2c3d4e5f")
	var w Writer
	w.Reset(make([]byte, 0, 1024))
	b.ReportAllocs()
	for b.Loop() {
		w.Reset(w.Bytes()[:0])
		w.BeginObject()
		w.Key("type").String("track")
		w.Key("messageId").StringBytes(id)
		w.Key("timestamp").String("2026-03-14T09:26:53.589Z")
		w.Key("userId").String("usr_0K3J5Q2W9Z1XY")
		w.Key("event").String("Order Completed")
		w.Key("properties").BeginObject()
		w.Key("order_id").String("KLW-000012345678")
		w.Key("total").Number(price)
		w.Key("currency").String("EUR")
		w.Key("products").BeginArray()
		for i := 0; i < 2; i++ {
			w.BeginObject()
			w.Key("product_id").String("prod_0042")
			w.Key("name").String("Carry-on Weekender, \"Sand\" — 40 L")
			w.Key("price").Number(price)
			w.Key("quantity").Int(int64(i + 1))
			w.EndObject()
		}
		w.EndArray()
		w.EndObject()
		w.Key("context").BeginObject()
		w.Key("locale").String("de-DE")
		w.Key("location").BeginObject()
		w.Key("city").String("München")
		w.Key("country").String("DE")
		w.EndObject()
		w.Key("userAgent").String("Mozilla/5.0 (Macintosh; Intel Mac OS X 14_4) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.4 Safari/605.1.15")
		w.OptString("coupon", "")
		w.Key("newsletter").Bool(true)
		w.EndObject()
		w.EndObject()
	}
	b.SetBytes(int64(len(w.Bytes())))
}

// BenchmarkString writes one string value of each kind of text.
func BenchmarkString(b *testing.B) {
	for _, c := range []struct{ name, s string }{
		{"key", "userId"},
		{"ascii", "Carry-on Weekender 40 L, sand"},
		{"url", "https://kiteline.example.com/de/products/carry-on-weekender-40l?utm_source=instagram&utm_medium=social&utm_campaign=spring"},
		{"german", "Müller, Jürgen – Straße 12, München"},
		{"japanese", "山田 太郎 東京都渋谷区神南1丁目"},
		{"escapes", "line one\nline \"two\"\ttab\\"},
	} {
		b.Run(c.name, func(b *testing.B) {
			var w Writer
			w.Reset(make([]byte, 0, 1024))
			b.SetBytes(int64(len(c.s)))
			for b.Loop() {
				w.Reset(w.Bytes()[:0])
				w.String(c.s)
			}
		})
	}
}
