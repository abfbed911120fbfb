#!/usr/bin/env bash
# run-dashboard.sh — issue 5: server time per dashboard page < 1 s with
# 1,000,000 customers.
#
# 1. A default demo (50,000 people, through the real pipeline) unless
#    TEMPLATE names one already made: `tradewind demo --no-serve` with the
#    ECB rates, 5–15 minutes on this machine.
# 2. bench/dashboard build: the demo's people copied 20 times inside its
#    store (1,000,000 people; bench/dashboard/README.md says how and what
#    differs from real ingest), about 5 minutes.
# 3. bench/dashboard measure: a real `tradewind serve` on it; every call
#    each page makes, 10 times after a first call, p50/p95 per call and
#    per page, with the load and the server's CPU-seconds.
#
# Each heavy step runs under the shared benchmark lock (flock
# /tmp/tw-bench.lock).
#
# Environment:
#   TEMPLATE=DIR  a demo data directory to copy (not changed); default: make one
#   DATA=DIR      the 1,000,000-customer data directory (/tmp/twbench-dashboard)
#   COPIES=N      copies of the demo's people (20)
#   EVENT_DAYS=N  copies carry this many last days of events (90)
#   CALLS=N       timed calls per request (10)
#   SKIP=NAME     leave out the pages whose name contains NAME (e.g. marketing,
#                 whose first read did not answer within 7 minutes here)
#   NO_BUILD=1    reuse DATA as it is (measure only)
#   KEEP=1        keep DATA (and a made TEMPLATE) afterwards
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
DATA=${DATA:-/tmp/twbench-dashboard}
BIN=${BIN:-/tmp/twbench-dashboard-bin}
LOCK=/tmp/tw-bench.lock
mkdir -p "$BIN"
(cd "$ROOT" && go build -o "$BIN/tradewind" ./cmd/tradewind && go build -o "$BIN/dashboard" ./bench/dashboard)
echo "# $(date -u +%Y-%m-%dT%H:%M:%SZ) $(git -C "$ROOT" describe --always --dirty) | $(nproc) cores | load $(cut -d' ' -f1-3 /proc/loadavg)"

made=
if [ "${NO_BUILD:-0}" != 1 ]; then
	if [ -z "${TEMPLATE:-}" ]; then
		TEMPLATE=$DATA-template
		made=$TEMPLATE
		rm -rf "$TEMPLATE"
		echo "== demo template (50,000 people) in $TEMPLATE"
		flock "$LOCK" /usr/bin/time -f 'demo: wall %e s, user %U s, sys %S s, max RSS %M KB' \
			"$BIN/tradewind" demo --data "$TEMPLATE" --no-serve --now "$(date -u +%F)" \
			--fx-rates "$ROOT/../shared/data/fx/eurofxref-hist.zip" | grep -v password
	fi
	echo "== build $DATA from $TEMPLATE"
	flock "$LOCK" /usr/bin/time -f 'build: wall %e s, user %U s, sys %S s, max RSS %M KB' \
		"$BIN/dashboard" build --template "$TEMPLATE" --data "$DATA" \
		--copies "${COPIES:-20}" --event-days "${EVENT_DAYS:-90}"
fi
echo "== measure"
status=0
flock "$LOCK" "$BIN/dashboard" measure --bin "$BIN/tradewind" --data "$DATA" --calls "${CALLS:-10}" --skip "${SKIP:-}" || status=$?
if [ "${KEEP:-0}" != 1 ]; then
	rm -rf "$DATA" "$DATA.server.log" ${made:+"$made"}
fi
exit $status
