#!/usr/bin/env bash
# run-profiles.sh [profiles flags…] — the unified-profiles benchmark line:
# with 1,000,000 profiles loaded and 50 live segments, events at 20,000/s
# update profile and memberships within 250 ms p99 of acknowledgement;
# resident memory of the whole process < 3 GiB; RFM for 1,000,000 profiles
# and 20,000,000 orders in < 10 s.
#
# Builds bench/profiles and runs it on a fresh data directory under /tmp
# (removed at the end): it opens a node, saves the segments, loads the
# people through ingest.Service.Accept, waits for the engine, the store and
# the profile flush, sends the live events, and times RFM through the API's
# code path (rfm.Summary via Store.QueryArgs) on the node's orders and on
# order_rows topped up to 20,000,000 orders. Then, unless RFM_BENCH=0, it
# runs the pure-SQL RFM benchmark (internal/profile/rfm BenchmarkRFM1M: 1M
# profiles, 20M orders generated inside DuckDB). bench/profiles/main.go
# documents the data and the method; bench/README.md has the figures.
#
# Flags go to the program, e.g.
#   bench/run-profiles.sh --people 1000000 --segments 50 --rate 20000 --duration 60s
#
# Environment:
#   PROFILE=1     CPU profiles of the load and of the live phase and a heap
#                 profile after it into $OUT, printed as `go tool pprof -top`
#   OUT=DIR       where profiles and the log go (/tmp/twbench-results)
#   COMMIT=REV    build the node's code of commit REV (in a temporary git
#                 worktree, with bench/profiles of the working tree) instead
#                 of the working tree as it is
#   RFM_BENCH=0   skip BenchmarkRFM1M; RFM_BENCHTIME (3x) its -benchtime
# On a busy machine, e.g. (what 2026-11-22's figures used):
#   COMMIT=da5528b PROFILE=1 RFM_BENCHTIME=1x bench/run-profiles.sh --people 20000 \
#     --duration 10s --late-segment=false --rfm-orders 0 --drain-limit 10m
#   NO_BUILD=1, QUIET_* (lib.sh)
set -euo pipefail
. "$(dirname "$0")/lib.sh"

OUT=${OUT:-/tmp/twbench-results}
mkdir -p "$OUT"
PROFILES_BIN=${PROFILES_BIN:-/tmp/twbench-profiles}
RFM_TEST_BIN=${RFM_TEST_BIN:-/tmp/twbench-rfm.test}
src=$ROOT
wt=
if [ "${NO_BUILD:-0}" != 1 ] || [ ! -x "$PROFILES_BIN" ]; then
	if [ -n "${COMMIT:-}" ]; then
		wt=$(mktemp -d "${TMPDIR:-/tmp}/tw-worktree.XXXXXX")
		rmdir "$wt"
		git -C "$ROOT" worktree add --detach "$wt" "$COMMIT" >/dev/null 2>&1
		rm -rf "$wt/bench/profiles"
		cp -r "$ROOT/bench/profiles" "$wt/bench/profiles"
		src=$wt
		version="$(git -C "$wt" log -1 --format='%h %s' | cut -c1-60)… ($COMMIT; bench/profiles of the working tree)"
	else
		version="working tree at $(git -C "$ROOT" describe --always --dirty 2>/dev/null)"
	fi
	ok=0
	(cd "$src" && go build -o "$PROFILES_BIN" ./bench/profiles &&
		{ [ "${RFM_BENCH:-1}" = 0 ] || go test -c -o "$RFM_TEST_BIN" ./internal/profile/rfm/; }) && ok=1
	echo "$version built $(date -u +%Y-%m-%dT%H:%M:%SZ)" >"$PROFILES_BIN.version"
	if [ -n "$wt" ]; then git -C "$ROOT" worktree remove --force "$wt"; fi
	[ "$ok" = 1 ] || { echo "build failed" >&2; exit 1; }
fi
stamp=$(date -u +%Y%m%dT%H%M%S)
echo "# $(date -u +%Y-%m-%dT%H:%M:%SZ) bench/profiles $(cat "$PROFILES_BIN.version") | $(nproc) cores, $(awk '/MemTotal/ {printf "%.0f GiB", $2/1048576}' /proc/meminfo) | load $(cut -d' ' -f1-3 /proc/loadavg)"
args=("$@")
if ! printf '%s\n' "$@" | grep -q '^--data'; then
	new_dir
	args=(--data "$NEW_DIR/data" "${args[@]}")
fi
if [ "${PROFILE:-0}" = 1 ]; then
	args+=(--load-cpuprofile "$OUT/cpu-profiles-load-$stamp.pprof" --cpuprofile "$OUT/cpu-profiles-live-$stamp.pprof"
		--heapprofile "$OUT/heap-profiles-live-$stamp.pprof")
fi
wait_quiet
log="$OUT/profiles-$stamp.log"
t=$(mktemp)
busy0=$(awk '/^cpu / {print ($2+$3+$4+$7+$8+$9)/100}' /proc/stat)
/usr/bin/time -f "%e %M %U %S" -o "$t" "$PROFILES_BIN" "${args[@]}" 2>&1 | tee "$log"
busy1=$(awk '/^cpu / {print ($2+$3+$4+$7+$8+$9)/100}' /proc/stat)
read -r wall rss user sys <"$t"
rm -f "$t"
echo "$wall $rss $user $sys $busy0 $busy1" | awk '{printf "program: wall %.0f s, peak RSS %d MiB (getrusage), CPU %.0f s; whole machine %.2f cores busy, of which other processes %.2f; load after %s\n", $1, $2/1024, $3+$4, ($6-$5)/$1, (($6-$5)-($3+$4))/$1, "'"$(cut -d' ' -f1-3 /proc/loadavg)"'"}' | tee -a "$log"
if [ "${PROFILE:-0}" = 1 ]; then
	for p in "$OUT/cpu-profiles-load-$stamp.pprof" "$OUT/cpu-profiles-live-$stamp.pprof"; do
		[ -s "$p" ] || continue
		echo "== $p (top by cumulative time)"
		go tool pprof -top -cum "$PROFILES_BIN" "$p" 2>/dev/null | head -60
	done
	p="$OUT/heap-profiles-live-$stamp.pprof"
	[ -s "$p" ] && { echo "== $p (in-use space)"; go tool pprof -top -sample_index=inuse_space "$PROFILES_BIN" "$p" 2>/dev/null | head -30; }
fi

if [ "${RFM_BENCH:-1}" != 0 ]; then
	echo
	echo "## pure SQL: BenchmarkRFM1M (1,000,000 profiles, 20,000,000 orders generated inside DuckDB; 2 threads, 2 GB memory limit)"
	wait_quiet
	echo "# load $(cut -d' ' -f1-3 /proc/loadavg)"
	(cd "$ROOT/internal/profile/rfm" && "$RFM_TEST_BIN" -test.run '^$' -test.bench RFM1M -test.benchtime "${RFM_BENCHTIME:-3x}" -test.v) 2>&1 | tee -a "$log" | grep -v '^=== '
	echo "# load $(cut -d' ' -f1-3 /proc/loadavg)"
fi
echo "log: $log"
