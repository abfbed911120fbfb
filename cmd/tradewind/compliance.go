package main

import "github.com/peterbourgon/ff/v3/ffcli"

// complianceCommand checks message text against per-country content rules.
func complianceCommand() *ffcli.Command {
	return &ffcli.Command{Name: "compliance", ShortHelp: "check message content against per-country rules"}
}
