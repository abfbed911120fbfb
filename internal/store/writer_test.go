package store

import (
	"errors"
	"testing"
)

func TestErrorClassDropsValues(t *testing.T) {
	for in, want := range map[string]string{
		`store: append to events, row 3: Conversion Error: Could not convert string 'ana@example.com' to INT32`: "Conversion Error",
		`Constraint Error: NOT NULL constraint failed: orders.currency`:                                         "Constraint Error",
		`something odd with ana@example.com`:                                                                    "engine error",
	} {
		if got := errorClass(errors.New(in)); got != want {
			t.Errorf("errorClass(%q) = %q, want %q", in, got, want)
		}
	}
}
