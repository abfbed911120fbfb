package fx_test

import (
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/govalues/decimal"

	"github.com/tradewind/tradewind/internal/fx"
)

func ExampleTable_Convert() {
	// An excerpt of the ECB history; in production, the whole
	// eurofxref-hist.zip, then each day's eurofxref.csv merged into it.
	const hist = `Date,USD,JPY,
2026-04-13,1.1684,186.75,
2026-04-10,1.1711,186.43,
`
	rates, err := fx.Parse(strings.NewReader(hist))
	if err != nil {
		panic(err)
	}

	// An order placed on Saturday 2026-04-11 converts with Friday's rates:
	// 4990 × 1.1711 / 186.43 = 31.34575…
	saturday := time.Date(2026, 4, 11, 9, 30, 0, 0, time.UTC)
	c, err := rates.Convert(decimal.MustParse("4990"), "JPY", "USD", saturday)
	if err != nil {
		panic(err)
	}
	fmt.Println(c.Amount, c.RateDate.Format(time.DateOnly), c.StaleDays)

	// An order from before the first rate is stored without a base amount.
	_, err = rates.Convert(decimal.MustParse("4990"), "JPY", "USD", saturday.AddDate(-1, 0, 0))
	fmt.Println(errors.Is(err, fx.ErrNoRate))
	// Output:
	// 31.3458 2026-04-10 1
	// true
}

func ExampleCurrency_MinorUnits() {
	// Display a converted amount, which has four places, in its currency.
	amount := decimal.MustParse("1234.5675")
	for _, c := range []fx.Currency{"USD", "JPY", "BHD"} {
		n, _ := c.MinorUnits()
		fmt.Println(c, amount.Round(n))
	}
	// Output:
	// USD 1234.57
	// JPY 1235
	// BHD 1234.568
}
