// Command actions measures issue 9's journey benchmarks: from an event's
// acknowledgement to its webhook's delivery (< 1 s p99 at 1,000 triggered
// actions/s) and 1,000,000 people in active journeys within 2 GiB.
//
//	actions serve-latency [flags]  a `tradewind serve` child process, events
//	                               at a steady rate through POST /v1/track,
//	                               a real HTTP receiver in this process
//	actions serve-people [flags]   1,000,000 "Signed Up" through /v1/batch into
//	                               a journey that waits 30 days; server RSS
//	actions engine-latency [flags] ENGINE ONLY: internal/journey over an
//	                               embedded event log in this process
//	actions engine-people [flags]  ENGINE ONLY: 1,000,000 people, RSS, disk
//
// Each event carries a bench_id in its properties; the webhook body carries
// the trigger's properties, so every delivery is matched to its event's
// acknowledgement time. The body's created_at (when the engine put the
// action in its outbox) splits the latency into the consumer's part (ack →
// enqueued: the log, the profile engine the consumer waits for, the
// journey transaction) and the dispatcher's (enqueued → arrival: outbox
// scan, lane, signing, HTTP). bench/run-actions.sh runs them;
// bench/actions/README.md has the figures.
package main

import (
	"fmt"
	"os"
)

func main() {
	if len(os.Args) < 2 {
		fmt.Fprintln(os.Stderr, "usage: actions serve-latency|serve-people|engine-latency|engine-people [flags]")
		os.Exit(2)
	}
	var err error
	switch os.Args[1] {
	case "serve-latency":
		err = serveLatency(os.Args[2:])
	case "serve-people":
		err = servePeople(os.Args[2:])
	case "engine-latency":
		err = engineLatency(os.Args[2:])
	case "engine-people":
		err = enginePeople(os.Args[2:])
	default:
		err = fmt.Errorf("unknown mode %q", os.Args[1])
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "actions:", err)
		os.Exit(1)
	}
}
