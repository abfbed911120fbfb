package fx_test

import (
	"archive/zip"
	"bytes"
	"errors"
	"io"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/tradewind/tradewind/internal/fx"
)

// unzip returns the CSV inside the ECB history archive.
func unzip(t testing.TB, name string) string {
	t.Helper()
	zr, err := zip.OpenReader(name)
	if err != nil {
		t.Fatal(err)
	}
	defer zr.Close()
	f, err := zr.File[0].Open()
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	b, err := io.ReadAll(f)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// zipOf returns a zip archive holding the given files.
func zipOf(t *testing.T, files ...string) []byte {
	t.Helper()
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	for i := 0; i < len(files); i += 2 {
		w, err := zw.Create(files[i])
		if err != nil {
			t.Fatal(err)
		}
		io.WriteString(w, files[i+1])
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func TestParseForms(t *testing.T) {
	const (
		hist  = "Date,USD,JPY,CYP,\n2026-04-13,1.1684,186.75,N/A,\n2026-04-10,1.1711,186.43,N/A,\n"
		daily = "Date, USD, JPY, \n13 April 2026, 1.1684, 186.75, \n"
	)
	for name, input := range map[string][]byte{
		"history csv":       []byte(hist),
		"history zip":       zipOf(t, "eurofxref-hist.csv", hist),
		"daily":             []byte(daily),
		"CRLF":              []byte(strings.ReplaceAll(hist, "\n", "\r\n")),
		"byte-order mark":   []byte("\uFEFF" + hist),
		"no trailing comma": []byte("Date,USD,JPY\n2026-04-13,1.1684,186.75\n"),
	} {
		t.Run(name, func(t *testing.T) {
			tab, err := fx.Parse(bytes.NewReader(input))
			if err != nil {
				t.Fatal(err)
			}
			c := convert(t, tab, "12345", "JPY", "USD", day("2026-04-13"))
			check(t, c, "77.2364", "", "2026-04-13", 0)
		})
	}
}

func TestParseErrors(t *testing.T) {
	const header = "Date,USD,JPY,\n"
	for _, tt := range []struct {
		name   string
		input  string
		line   int
		column string
		msg    string // the whole error message
	}{
		{"empty file", "", 1, "", `line 1: empty file, want a header "Date,USD,…"`},
		{"header only", header, 2, "", "line 2: no rows after the header"},
		{"not a rates file", "id,name\n1,x\n", 1, "id", `line 1, column "id": first column is not "Date"`},
		{"no currencies", "Date,\n2026-04-13,\n", 1, "", "line 1: no currency columns"},
		{"bad currency", "Date,USD,U$D,\n", 1, "U$D", `line 1, column "U$D": not a currency code other than EUR`},
		{"EUR column", "Date,USD,EUR,\n", 1, "EUR", `line 1, column "EUR": not a currency code other than EUR`},
		{"duplicate column", "Date,USD,usd,\n", 1, "usd", `line 1, column "usd": duplicate column`},
		{"bad date", header + "2026-04-13,1.1684,186.75,\n2026-13-01,1.1,186,\n", 3, "Date",
			`line 3, column "Date": invalid date "2026-13-01", want 2026-04-13 or 13 April 2026`},
		{"bad number", header + "2026-04-13,1.1684,abc,\n", 2, "JPY", `line 2, column "JPY": invalid rate "abc"`},
		{"negative rate", header + "2026-04-13,-1.1684,186.75,\n", 2, "USD", `line 2, column "USD": invalid rate "-1.1684"`},
		{"zero rate", header + "2026-04-13,0,186.75,\n", 2, "USD", `line 2, column "USD": invalid rate "0"`},
		{"empty rate", header + "2026-04-13,,186.75,\n", 2, "USD", `line 2, column "USD": invalid rate ""`},
		{"ragged row", header + "2026-04-13,1.1684,186.75,\n2026-04-10,1.1711,\n", 3, "", "line 3: 3 fields, the header has 4"},
		{"extra value", header + "2026-04-13,1.1684,186.75,7\n", 2, "", `line 2: value "7" after the last column`},
		{"duplicate date", header + "2026-04-13,1.1684,186.75,\n13 April 2026,1.1684,186.75,\n", 3, "Date",
			`line 3, column "Date": date 13 April 2026 repeats line 2`},
		{"bad quoting", header + "2026-04-13,1.1684,\"186.75,\n", 2, "", "line 2: extraneous or missing \" in quoted-field"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			_, err := fx.Parse(strings.NewReader(tt.input))
			var pe *fx.ParseError
			if !errors.As(err, &pe) {
				t.Fatalf("err = %v, want a *ParseError", err)
			}
			if pe.Line != tt.line || pe.Column != tt.column || err.Error() != tt.msg {
				t.Errorf("err = %q (line %d, column %q)\nwant %q (line %d, column %q)", err, pe.Line, pe.Column, tt.msg, tt.line, tt.column)
			}
		})
	}
}

func TestParseZipErrors(t *testing.T) {
	// An error inside the archive names the member too.
	bad := zipOf(t, "eurofxref-hist.csv", "Date,USD,JPY,\n2026-04-13,1.1684,186.75,\n2026-04-10,1.1711,abc,\n")
	_, err := fx.Parse(bytes.NewReader(bad))
	if want := `eurofxref-hist.csv: line 3, column "JPY": invalid rate "abc"`; err == nil || err.Error() != want {
		t.Errorf("err = %v, want %s", err, want)
	}
	for name, input := range map[string][]byte{
		"no csv":     zipOf(t, "readme.txt", "hello"),
		"two csv":    zipOf(t, "a.csv", "Date,USD,\n", "b.csv", "Date,USD,\n"),
		"truncated":  zipOf(t, "eurofxref-hist.csv", "Date,USD,\n2026-04-13,1.1684,\n")[:40],
		"not a file": []byte("PK\x03\x04 but not a zip"),
	} {
		if _, err := fx.Parse(bytes.NewReader(input)); err == nil {
			t.Errorf("%s: Parse succeeded, want an error", name)
		}
	}
}

func BenchmarkLoadHistory(b *testing.B) {
	data, err := os.ReadFile(dataFile(b, "eurofxref-hist.zip"))
	if err != nil {
		b.Fatal(err)
	}
	b.SetBytes(int64(len(data)))
	b.ReportAllocs()
	for b.Loop() {
		if _, err := fx.Parse(bytes.NewReader(data)); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkMergeDaily(b *testing.B) {
	h := history(b)
	d := daily(b)
	b.ReportAllocs()
	for b.Loop() {
		h.Merge(d)
	}
}

func BenchmarkConvert(b *testing.B) {
	h := history(b)
	amount := dec("12345.67")
	for _, bb := range []struct {
		name     string
		from, to fx.Currency
		at       time.Time
	}{
		{"JPY-USD", "JPY", "USD", day("2026-04-13")},
		{"EUR-USD", "EUR", "USD", day("2026-04-13")},
		{"weekend", "GBP", "USD", day("2026-04-12")},
		{"lower-case", "jpy", "usd", day("2026-04-13")},
		{"N/A gap", "ISK", "USD", day("2017-06-15")},
	} {
		b.Run(bb.name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				if _, err := h.Convert(amount, bb.from, bb.to, bb.at); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
