package main

import "github.com/peterbourgon/ff/v3/ffcli"

// audiencesCommand exports segments as ad-platform customer lists.
func audiencesCommand() *ffcli.Command {
	return &ffcli.Command{Name: "audiences", ShortHelp: "export segments as ad-platform customer lists (hashed)"}
}
