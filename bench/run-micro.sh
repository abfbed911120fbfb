#!/usr/bin/env bash
# run-micro.sh — the component benchmarks behind the ingest figures:
#   store writer alone (projection + key index + DuckDB append/commit),
#   JetStream publish alone, orders CSV conversion alone.
# Environment: COUNT (1: runs of each benchmark), QUIET_* (lib.sh).
set -euo pipefail
. "$(dirname "$0")/lib.sh"

COUNT=${COUNT:-1}
cd "$ROOT"
echo "$(describe)"
bench() { # bench PKG ARGS…: compile first, then wait for a quiet machine and run
	local pkg=$1
	shift
	go test -c -o "$NEW_DIR/bench.test" "$pkg"
	wait_quiet
	(cd "$pkg" && timeout 900 "$NEW_DIR/bench.test" -test.run '^$' -test.count "$COUNT" "$@" | grep -E '^(Benchmark|goos|cpu)')
	echo "# load after: $(cut -d' ' -f1-3 /proc/loadavg)"
}
new_dir
bench ./internal/store/duckdb/ -test.bench Writer -test.benchtime 200000x
bench ./internal/store/duckdb/ -test.bench Writer -test.benchtime 1000000x # a bigger store and key index
bench ./internal/eventlog/ -test.bench Publish -test.benchtime 300x
bench ./internal/ingest/records/ -test.bench OrdersCSV -test.benchtime 3x -test.cpu 1
# The disk under --fsync always: synchronous 512-byte writes per second.
wait_quiet
for _ in 1 2 3; do
	dd if=/dev/zero of="$NEW_DIR/dsync" bs=512 count=3000 oflag=dsync 2>&1 | tail -1 |
		awk '{printf "disk: 3000 synchronous 512-byte writes in %s s = %.0f writes/s\n", $(NF-3), 3000/$(NF-3)}'
done
