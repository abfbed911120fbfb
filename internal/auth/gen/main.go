// Command gen writes docs/permissions.md from the permission matrix of
// package auth, so the documentation is generated from the code that
// enforces it. Run it from the repository root:
//
//	go run ./internal/auth/gen
//
// The auth package's tests fail when the file differs from the matrix.
package main

import (
	"flag"
	"fmt"
	"os"

	"github.com/tradewind/tradewind/internal/auth"
)

func main() {
	out := flag.String("o", "docs/permissions.md", "file to write")
	flag.Parse()
	if err := os.WriteFile(*out, []byte(auth.MatrixMarkdown()), 0o644); err != nil {
		fmt.Fprintln(os.Stderr, "gen:", err)
		os.Exit(1)
	}
}
