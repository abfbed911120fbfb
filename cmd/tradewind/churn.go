package main

import (
	"context"
	"errors"

	"github.com/peterbourgon/ff/v3/ffcli"
)

func churnCommand() *ffcli.Command {
	return &ffcli.Command{Name: "churn", ShortUsage: "tradewind predict churn [flags]",
		Exec: func(context.Context, []string) error { return errors.New("not yet") }}
}
