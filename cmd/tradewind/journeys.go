package main

import "github.com/peterbourgon/ff/v3/ffcli"

// journeysCommand defines, runs and watches journeys.
func journeysCommand() *ffcli.Command {
	return &ffcli.Command{Name: "journeys", ShortHelp: "define, start, pause and watch journeys"}
}
