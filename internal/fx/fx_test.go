package fx_test

import (
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/govalues/decimal"

	"github.com/tradewind/tradewind/internal/fx"
)

// The real ECB files, read in place from ../shared/data/fx beside the
// repository: they are not copied into it. TRADEWIND_TEST_FX_DIR overrides
// the directory. Missing data skips the test on a developer's machine and
// fails it in CI, where the data must be there.
func dataFile(t testing.TB, name string) string {
	t.Helper()
	dir := os.Getenv("TRADEWIND_TEST_FX_DIR")
	if dir == "" {
		dir = filepath.Join("..", "..", "..", "shared", "data", "fx") // internal/fx → repository → beside it
	}
	p := filepath.Join(dir, name)
	if _, err := os.Stat(p); err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatalf("ECB data file missing in CI: %v", err)
		}
		t.Skipf("ECB sample file not available: %v", err)
	}
	return p
}

// parseFile parses one of the real ECB files.
func parseFile(t testing.TB, name string) (*fx.Table, error) {
	f, err := os.Open(dataFile(t, name))
	if err != nil {
		return nil, err
	}
	defer f.Close()
	return fx.Parse(f)
}

var (
	histOnce  sync.Once
	histTable *fx.Table
	histErr   error
)

// history parses the real history once for all tests.
func history(t testing.TB) *fx.Table {
	t.Helper()
	dataFile(t, "eurofxref-hist.zip") // skip if absent
	histOnce.Do(func() { histTable, histErr = parseFile(t, "eurofxref-hist.zip") })
	if histErr != nil {
		t.Fatal(histErr)
	}
	return histTable
}

// daily parses the real daily file.
func daily(t testing.TB) *fx.Table {
	t.Helper()
	d, err := parseFile(t, "eurofxref.csv")
	if err != nil {
		t.Fatal(err)
	}
	return d
}

func day(s string) time.Time {
	d, err := time.Parse(time.DateOnly, s)
	if err != nil {
		panic(err)
	}
	return d
}

func dec(s string) decimal.Decimal { return decimal.MustParse(s) }

// convert calls Convert and fails the test on an error.
func convert(t *testing.T, tab *fx.Table, amount string, from, to fx.Currency, at time.Time) fx.Conversion {
	t.Helper()
	c, err := tab.Convert(dec(amount), from, to, at)
	if err != nil {
		t.Fatalf("Convert(%s %s→%s, %s): %v", amount, from, to, at, err)
	}
	return c
}

// check compares a conversion with the wanted amount and rate (as strings:
// digits and scale count), rate date and staleness. An empty rate is not
// checked.
func check(t *testing.T, got fx.Conversion, amount, rate, rateDate string, stale int) {
	t.Helper()
	if got.Amount.String() != amount {
		t.Errorf("Amount = %s, want %s", got.Amount, amount)
	}
	if rate != "" && got.Rate.String() != rate {
		t.Errorf("Rate = %s, want %s", got.Rate, rate)
	}
	if !got.RateDate.Equal(day(rateDate)) || got.RateDate.Location() != time.UTC {
		t.Errorf("RateDate = %s, want %s UTC", got.RateDate, rateDate)
	}
	if got.StaleDays != stale {
		t.Errorf("StaleDays = %d, want %d", got.StaleDays, stale)
	}
}

func TestHistory(t *testing.T) {
	h := history(t)
	first, last := h.Span()
	if !first.Equal(day("1999-01-04")) || !last.Equal(day("2026-04-13")) {
		t.Errorf("Span = %s, %s; want 1999-01-04, 2026-04-13", first, last)
	}
	if got := len(h.Currencies()); got != 41 {
		t.Errorf("%d currencies, want the 41 columns of the history", got)
	}
	n := 0
	for range h.Rates() {
		n++
	}
	// Counted with awk: 6983 rows of 41 columns, 217555 of them not N/A.
	//	unzip -p eurofxref-hist.zip | awk -F, 'NR>1{for(i=2;i<NF;i++) if($i!="N/A") n++} END{print n}'
	if n != 217555 {
		t.Errorf("%d rates, want 217555", n)
	}

	// The newest and the oldest row.
	check(t, convert(t, h, "1", "EUR", "USD", day("2026-04-13")), "1.1684", "1.1684", "2026-04-13", 0)
	check(t, convert(t, h, "1", "EUR", "KRW", day("2026-04-13")), "1740.8600", "1740.86", "2026-04-13", 0)
	check(t, convert(t, h, "1", "EUR", "USD", day("1999-01-04")), "1.1789", "1.1789", "1999-01-04", 0)
	// Only the UTC date counts, not the time of day.
	check(t, convert(t, h, "1", "EUR", "USD", day("2026-04-13").Add(23*time.Hour+59*time.Minute)), "1.1684", "1.1684", "2026-04-13", 0)
}

func TestDailyFile(t *testing.T) {
	h := history(t)
	d := daily(t)
	first, last := d.Span()
	if !first.Equal(day("2026-04-13")) || !last.Equal(first) {
		t.Errorf("Span = %s, %s; want 2026-04-13 twice", first, last)
	}
	n := 0
	for r := range d.Rates() {
		n++
		// The daily file and the history agree ("366.90" there, "366.9" here).
		c := convert(t, h, "1", "EUR", r.Currency, r.Day)
		if c.Rate.Cmp(r.Value) != 0 || !c.RateDate.Equal(r.Day) {
			t.Errorf("daily %s %s = %s; history has %s on %s", r.Day.Format(time.DateOnly), r.Currency, r.Value, c.Rate, c.RateDate)
		}
	}
	if n != 29 {
		t.Errorf("%d rates in the daily file, want 29", n)
	}
}

func TestPlainHistoryCSV(t *testing.T) {
	// The unzipped history parses to the same table as the zip.
	h := history(t)
	raw := unzip(t, dataFile(t, "eurofxref-hist.zip"))
	c, err := fx.Parse(strings.NewReader(raw))
	if err != nil {
		t.Fatal(err)
	}
	if !slices.EqualFunc(slices.Collect(h.Rates()), slices.Collect(c.Rates()), sameRate) {
		t.Error("the plain CSV and the zip give different rates")
	}
}

func sameRate(a, b fx.Rate) bool {
	return a.Day.Equal(b.Day) && a.Currency == b.Currency && a.Value.Cmp(b.Value) == 0
}

func TestNoQuoteUsesEarlierDate(t *testing.T) {
	h := history(t)
	tests := []struct {
		name     string
		amount   string
		from, to fx.Currency
		at       string
		want     string // amount
		rate     string
		rateDate string
		stale    int
	}{
		// 2026-04-11 is a Saturday, 2026-04-12 a Sunday: Friday's USD rate 1.1711.
		{"saturday", "1", "EUR", "USD", "2026-04-11", "1.1711", "1.1711", "2026-04-10", 1},
		{"sunday", "1", "EUR", "USD", "2026-04-12", "1.1711", "1.1711", "2026-04-10", 2},
		// Christmas and St Stephen's Day 2025 are TARGET holidays: Wednesday 24th.
		{"holiday", "1", "EUR", "JPY", "2025-12-26", "183.8300", "183.83", "2025-12-24", 2},
		// After the newest file, the newest rate, getting staler.
		{"after newest", "1", "EUR", "USD", "2026-05-01", "1.1684", "1.1684", "2026-04-13", 18},
		// ISK is N/A from 2008-12-10 to 2018-01-31; its last rate was 290 on 2008-12-09.
		{"N/A", "1", "EUR", "ISK", "2009-06-15", "290.0000", "290", "2008-12-09", 188},
		// Both currencies must be quoted on the date used: USD is quoted on
		// 2010-01-04, ISK not, so both come from 2008-12-09 (USD 1.2838).
		// 1000 × 1.2838 / 290 = 4.42689655172413793… → 4.4269.
		{"N/A pair", "1000", "ISK", "USD", "2010-01-04", "4.4269", "0.0044268965517241379", "2008-12-09", 391},
		// BGN's last quote is 2025-12-31 (Bulgaria adopted the euro):
		// 100 × USD 1.175 / BGN 1.9558 = 60.07771755… → 60.0777.
		{"discontinued", "100", "BGN", "USD", "2026-01-05", "60.0777", "", "2025-12-31", 5},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			check(t, convert(t, h, tt.amount, tt.from, tt.to, day(tt.at)), tt.want, tt.rate, tt.rateDate, tt.stale)
		})
	}
}

func TestConvertUsesUTCDate(t *testing.T) {
	h := history(t)
	tokyo := time.FixedZone("JST", 9*3600)
	newYork := time.FixedZone("EST", -5*3600)
	// Monday 01:00 in Tokyo is still Sunday in UTC.
	check(t, convert(t, h, "1", "EUR", "USD", time.Date(2026, 4, 13, 1, 0, 0, 0, tokyo)), "1.1711", "1.1711", "2026-04-10", 2)
	// Friday 20:00 in New York is already Saturday in UTC.
	check(t, convert(t, h, "1", "EUR", "USD", time.Date(2026, 4, 10, 20, 0, 0, 0, newYork)), "1.1711", "1.1711", "2026-04-10", 1)
}

func TestCrossRate(t *testing.T) {
	h := history(t)
	// On 2026-04-13, 1 EUR = 1.1684 USD = 186.75 JPY, so
	// 12345 JPY = 12345 × 1.1684 / 186.75 USD = 14423.898 / 186.75
	//           = 77.236401606425702811… USD → 77.2364,
	// and the cross rate is 1.1684 / 186.75 = 0.0062564926372155287817…,
	// which Convert gives to 17 significant digits.
	check(t, convert(t, h, "12345", "JPY", "USD", day("2026-04-13")), "77.2364", "0.0062564926372155288", "2026-04-13", 0)
	// The other way: 77.24 USD = 77.24 × 186.75 / 1.1684 JPY = 14424.57 / 1.1684
	//                           = 12345.575145498117083… JPY → 12345.5751;
	// rate 186.75 / 1.1684 = 159.8339609722697706264…, to 18 digits.
	check(t, convert(t, h, "77.24", "USD", "JPY", day("2026-04-13")), "12345.5751", "159.833960972269771", "2026-04-13", 0)
	// Lower-case codes are accepted.
	check(t, convert(t, h, "12345", "jpy", "usd", day("2026-04-13")), "77.2364", "", "2026-04-13", 0)
	// To the euro: 1 USD = 1 / 1.1684 EUR = 0.855871276959945224238… EUR.
	check(t, convert(t, h, "1", "USD", "EUR", day("2026-04-13")), "0.8559", "0.85587127695994522", "2026-04-13", 0)
	// A refund converts symmetrically.
	check(t, convert(t, h, "-12345", "JPY", "USD", day("2026-04-13")), "-77.2364", "", "2026-04-13", 0)
}

func TestRoundHalfEven(t *testing.T) {
	h := history(t)
	// Real rates: 0.125 EUR × 1.1684 = 0.14605 exactly, a tie between
	// 0.1460 and 0.1461: half to even gives 0.1460 (half up would give 0.1461).
	// 0.375 × 1.1684 = 0.43815: the tie goes up, to the even 0.4382.
	check(t, convert(t, h, "0.125", "EUR", "USD", day("2026-04-13")), "0.1460", "1.1684", "2026-04-13", 0)
	check(t, convert(t, h, "0.375", "EUR", "USD", day("2026-04-13")), "0.4382", "1.1684", "2026-04-13", 0)
	check(t, convert(t, h, "-0.125", "EUR", "USD", day("2026-04-13")), "-0.1460", "1.1684", "2026-04-13", 0)
	check(t, convert(t, h, "-0.375", "EUR", "USD", day("2026-04-13")), "-0.4382", "1.1684", "2026-04-13", 0)

	// Ties reached through the division, with made-up rates: 1 EUR = 2 AAA = 1 BBB = 3 CCC.
	tab, err := fx.NewTable(slices.Values([]fx.Rate{
		{Day: day("2026-01-05"), Currency: "AAA", Value: dec("2")},
		{Day: day("2026-01-05"), Currency: "BBB", Value: dec("1")},
		{Day: day("2026-01-05"), Currency: "CCC", Value: dec("3")},
	}))
	if err != nil {
		t.Fatal(err)
	}
	for _, tt := range []struct{ amount, from, to, want string }{
		{"0.0001", "AAA", "BBB", "0.0000"}, // 0.00005 → 0.0000
		{"0.0003", "AAA", "BBB", "0.0002"}, // 0.00015 → 0.0002
		{"2.0005", "AAA", "BBB", "1.0002"}, // 1.00025 → 1.0002
		{"2.0007", "AAA", "BBB", "1.0004"}, // 1.00035 → 1.0004
		{"-0.0003", "AAA", "BBB", "-0.0002"},
		{"1", "CCC", "BBB", "0.3333"}, // 0.333… is no tie
		{"2", "CCC", "BBB", "0.6667"},
		// Full precision: 0.3703500000000000001 / 3 = 0.12345000000000000003…
		// is just above the tie and must round up. Dividing to 19 digits
		// first would give 0.1234500000000000000 and round down to 0.1234.
		{"0.3703500000000000001", "CCC", "BBB", "0.1235"},
		{"0.3703499999999999999", "CCC", "BBB", "0.1234"},
	} {
		got := convert(t, tab, tt.amount, fx.Currency(tt.from), fx.Currency(tt.to), day("2026-01-05"))
		if got.Amount.String() != tt.want {
			t.Errorf("%s %s → %s = %s, want %s", tt.amount, tt.from, tt.to, got.Amount, tt.want)
		}
	}
}

func TestSameCurrency(t *testing.T) {
	h := history(t)
	// No rate is needed: not even one for the currency, nor for the date.
	for _, c := range []fx.Currency{"USD", "AED", "EUR"} {
		got := convert(t, h, "12.345", c, fx.Currency(strings.ToLower(string(c))), day("1990-06-01"))
		check(t, got, "12.345", "1", "1990-06-01", 0)
	}
}

func TestNoRate(t *testing.T) {
	h := history(t)
	for _, tt := range []struct {
		name     string
		from, to fx.Currency
		at       string
		wantErr  error
		contains string
	}{
		{"before first", "EUR", "USD", "1999-01-03", fx.ErrNoRate, "1999-01-03"},
		{"before first cross", "JPY", "USD", "1998-12-31", fx.ErrNoRate, "JPY and USD"},
		{"before currency existed", "EUR", "BRL", "2007-12-31", fx.ErrNoRate, "BRL"},
		{"unknown currency", "AED", "USD", "2026-04-13", fx.ErrNoRate, "AED"},
		{"unknown target", "USD", "SAR", "2026-04-13", fx.ErrNoRate, "SAR"},
		{"invalid code", "US", "USD", "2026-04-13", fx.ErrInvalidCurrency, `"US"`},
		{"invalid letters", "USD", "U$D", "2026-04-13", fx.ErrInvalidCurrency, `"U$D"`},
	} {
		t.Run(tt.name, func(t *testing.T) {
			_, err := h.Convert(dec("1"), tt.from, tt.to, day(tt.at))
			if !errors.Is(err, tt.wantErr) || !strings.Contains(err.Error(), tt.contains) {
				t.Errorf("err = %v, want %v naming %s", err, tt.wantErr, tt.contains)
			}
		})
	}
	// The zero Table is empty.
	var empty fx.Table
	if _, err := empty.Convert(dec("1"), "EUR", "USD", day("2026-04-13")); !errors.Is(err, fx.ErrNoRate) {
		t.Errorf("empty table: err = %v, want ErrNoRate", err)
	}
}

func TestRatesRoundTrip(t *testing.T) {
	h := history(t)
	back, err := fx.NewTable(h.Rates())
	if err != nil {
		t.Fatal(err)
	}
	if !slices.EqualFunc(slices.Collect(h.Rates()), slices.Collect(back.Rates()), sameRate) {
		t.Error("NewTable(t.Rates()) differs from t")
	}
	// Ordered by date, then currency.
	var prev fx.Rate
	for r := range h.Rates() {
		if r.Day.Before(prev.Day) || r.Day.Equal(prev.Day) && r.Currency <= prev.Currency {
			t.Fatalf("%s %s comes after %s %s", r.Day, r.Currency, prev.Day, prev.Currency)
		}
		if r.Day.Location() != time.UTC || r.Day.Hour() != 0 {
			t.Fatalf("Day %s is not midnight UTC", r.Day)
		}
		prev = r
	}
	// Stopping early is allowed.
	for range h.Rates() {
		break
	}
}

func TestNewTable(t *testing.T) {
	d := day("2026-04-13")
	// Any time on the date counts as the date; a later duplicate wins.
	tab, err := fx.NewTable(slices.Values([]fx.Rate{
		{Day: d.Add(15 * time.Hour), Currency: "usd", Value: dec("1.1")},
		{Day: d, Currency: "USD", Value: dec("1.2")},
	}))
	if err != nil {
		t.Fatal(err)
	}
	check(t, convert(t, tab, "1", "EUR", "USD", d), "1.2000", "1.2", "2026-04-13", 0)
	if got := tab.Currencies(); !slices.Equal(got, []fx.Currency{"USD"}) {
		t.Errorf("Currencies = %v, want [USD]", got)
	}

	for _, bad := range []fx.Rate{
		{Day: d, Currency: "EUR", Value: dec("1")},
		{Day: d, Currency: "USD", Value: dec("0")},
		{Day: d, Currency: "USD", Value: dec("-1.1")},
		{Day: d, Currency: "US", Value: dec("1.1")},
	} {
		if _, err := fx.NewTable(slices.Values([]fx.Rate{bad})); err == nil {
			t.Errorf("NewTable(%v) succeeded, want an error", bad)
		}
	}
}

func TestMerge(t *testing.T) {
	h := history(t)
	latest := daily(t)
	// The history without its newest day, plus the daily file, is the history.
	older, err := fx.NewTable(func(yield func(fx.Rate) bool) {
		for r := range h.Rates() {
			if r.Day.Before(day("2026-04-13")) && !yield(r) {
				return
			}
		}
	})
	if err != nil {
		t.Fatal(err)
	}
	check(t, convert(t, older, "1", "EUR", "USD", day("2026-04-13")), "1.1711", "1.1711", "2026-04-10", 3)
	merged := older.Merge(latest)
	check(t, convert(t, merged, "1", "EUR", "USD", day("2026-04-13")), "1.1684", "1.1684", "2026-04-13", 0)
	// The daily file has 29 of the history's 41 columns, the 12 others are not
	// quoted on 2026-04-13 in the history either.
	if !slices.EqualFunc(slices.Collect(h.Rates()), slices.Collect(merged.Rates()), sameRate) {
		t.Error("history minus its last day, merged with the daily file, differs from the history")
	}
	// Neither input changed.
	check(t, convert(t, older, "1", "EUR", "USD", day("2026-04-13")), "1.1711", "1.1711", "2026-04-10", 3)

	// A later load of a date replaces the whole date: the correction quotes
	// only USD, so JPY on that date falls back to the day before.
	fix, err := fx.NewTable(slices.Values([]fx.Rate{{Day: day("2026-04-13"), Currency: "USD", Value: dec("1.17")}}))
	if err != nil {
		t.Fatal(err)
	}
	corrected := h.Merge(fix)
	check(t, convert(t, corrected, "1", "EUR", "USD", day("2026-04-13")), "1.1700", "1.17", "2026-04-13", 0)
	check(t, convert(t, corrected, "1", "EUR", "JPY", day("2026-04-13")), "186.4300", "186.43", "2026-04-10", 3)
	check(t, convert(t, h, "1", "EUR", "USD", day("2026-04-13")), "1.1684", "1.1684", "2026-04-13", 0)
}

func TestLive(t *testing.T) {
	var live fx.Live
	if _, err := live.Load().Convert(dec("1"), "EUR", "USD", day("2026-04-13")); !errors.Is(err, fx.ErrNoRate) {
		t.Fatalf("zero Live: err = %v, want ErrNoRate", err)
	}
	h := history(t)
	latest := daily(t)
	live.Store(h)

	// Readers convert while writers publish merged copies; run with -race.
	var wg sync.WaitGroup
	stop := make(chan struct{})
	for range 4 {
		wg.Go(func() {
			for {
				select {
				case <-stop:
					return
				default:
				}
				c, err := live.Load().Convert(dec("12345"), "JPY", "USD", day("2026-04-13"))
				if err != nil || c.Amount.String() != "77.2364" {
					t.Errorf("concurrent Convert = %v, %v", c.Amount, err)
					return
				}
			}
		})
	}
	var writers sync.WaitGroup
	for range 2 {
		writers.Go(func() {
			for range 3 {
				live.Merge(latest)
			}
		})
	}
	writers.Wait()
	close(stop)
	wg.Wait()
	check(t, convert(t, live.Load(), "1", "EUR", "USD", day("2026-04-13")), "1.1684", "1.1684", "2026-04-13", 0)
}

func TestMinorUnits(t *testing.T) {
	for code, want := range map[fx.Currency]int{
		"USD": 2, "usd": 2, "EUR": 2, "JPY": 0, "KRW": 0, "ISK": 0, "VND": 0, "CLP": 0,
		"BHD": 3, "KWD": 3, "JOD": 3, "TND": 3, "CLF": 4, "AED": 2, "SAR": 2, "TWD": 2,
		"HUF": 2, "IDR": 2, "CYP": 2, "TRL": 0,
	} {
		if got, ok := code.MinorUnits(); !ok || got != want {
			t.Errorf("%s.MinorUnits() = %d, %v; want %d, true", code, got, ok, want)
		}
	}
	for _, code := range []fx.Currency{"XAU", "ABC", "US", "", "U$D"} {
		if got, ok := code.MinorUnits(); ok {
			t.Errorf("%q.MinorUnits() = %d, true; want false", code, got)
		}
	}
	// Every currency the ECB quotes, now or in the past, is known.
	for _, c := range history(t).Currencies() {
		if _, ok := c.MinorUnits(); !ok {
			t.Errorf("ECB currency %s has no minor units", c)
		}
	}
}

func TestParseCurrency(t *testing.T) {
	for in, want := range map[string]fx.Currency{"USD": "USD", "usd": "USD", "Jpy": "JPY", "XYZ": "XYZ"} {
		if got, err := fx.ParseCurrency(in); err != nil || got != want {
			t.Errorf("ParseCurrency(%q) = %q, %v; want %q", in, got, err, want)
		}
	}
	for _, in := range []string{"", "US", "USDT", "U$D", "ÜSD", " US", "12A"} {
		if _, err := fx.ParseCurrency(in); !errors.Is(err, fx.ErrInvalidCurrency) {
			t.Errorf("ParseCurrency(%q) error = %v, want ErrInvalidCurrency", in, err)
		}
	}
}
