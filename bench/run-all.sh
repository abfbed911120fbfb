#!/usr/bin/env bash
# run-all.sh — every figure of bench/README.md, in sequence, with one build
# (so that all figures come from the same binary). Takes 1–2 hours;
# writes its log to $OUT/all-<time>.log (OUT=/tmp/twbench-results).
# Each step waits for a quiet machine first (lib.sh wait_quiet).
set -euo pipefail
B=$(cd "$(dirname "$0")" && pwd)
OUT=${OUT:-/tmp/twbench-results}
mkdir -p "$OUT/bin"
log=$OUT/all-$(date -u +%Y%m%dT%H%M%S).log
export OUT NO_BUILD=1 TW_BIN=$OUT/bin/tradewind LOADGEN_BIN=$OUT/bin/loadgen
{
	. "$B/lib.sh"
	NO_BUILD=0 build
	describe
	step() { echo; echo "=== $*"; }
	step "micro-benchmarks";                       "$B/run-micro.sh"
	step "goal 1/3/4: full speed, 3 runs";         RUNS=3 "$B/run-ingest.sh" --duration 60s --drain 600s
	step "goal 1: full speed, CPU profile";        PROFILE=30 PROFILE_DELAY=15 "$B/run-ingest.sh" --duration 60s --drain 600s
	step "goal 1: full speed, 64 workers";         "$B/run-ingest.sh" --duration 60s --drain 600s --workers 64
	step "goal 2/3/4: 20,000/s, 3 runs";           RUNS=3 "$B/run-ingest.sh" --duration 60s --drain 120s --rate 20000 --workers 32
	step "goal 2: 20,000/s, CPU profile";          PROFILE=30 PROFILE_DELAY=15 "$B/run-ingest.sh" --duration 60s --drain 120s --rate 20000 --workers 32
	step "goal 6: fsync always, full speed";       FSYNC=always RUNS=3 "$B/run-ingest.sh" --duration 60s --drain 600s
	step "goal 6: fsync always, 20,000/s";         FSYNC=always RUNS=3 "$B/run-ingest.sh" --duration 60s --drain 120s --rate 20000 --workers 32
	step "goal 5: orders CSV import";              RUNS=3 "$B/run-import.sh"
	step "goal 5: import through the server, CPU profile"; MODES=server PROFILE=30 "$B/run-import.sh"
	step "goal 7: demo";                           RUNS=3 "$B/run-demo.sh"
	step "diagnosis: latency against rate";        for r in 5000 10000 15000; do "$B/run-ingest.sh" --duration 60s --drain 120s --rate $r --workers 32; done
	step "diagnosis: 20,000/s without the probe";  "$B/run-ingest.sh" --duration 60s --drain 120s --rate 20000 --workers 32 --probe=false
	step "done"
} 2>&1 | tee "$log"
