#!/usr/bin/env bash
# run-erasure.sh [erasure flags…] — privacy goal: erasure of one person
# completes in < 1 s with 1,000,000 profiles in the store.
#
# Builds bench/erasure, waits for a quiet machine, and runs it: it opens a
# node on a fresh data directory and builds 1,000,000 people (3.5 messages
# each: page, identify with email/phone/names, page, and for half of them
# "Order Completed" with two products) — 20,000 of them through
# ingest.Service.Accept and the whole node, the others copied from them into
# the log and the store directly (--load bulk, about 5 minutes; --load
# ingest sends everyone through the node, which takes more than 20 minutes
# here) — then erases 20 of the ingested people and 20 of the copies one at
# a time by email through the privacy service and prints the distribution
# of the erasure times, what each deleted, and the checks (a second erasure
# finds nothing, no rows left, the key is destroyed, a new message of the
# person is suppressed). bench/erasure/README.md says how the data is built
# and what was measured. Wall time and peak RSS of the whole program come
# from /usr/bin/time.
#
# Flags go to the program (bench/erasure/main.go documents them), e.g.
#   bench/run-erasure.sh --people 1000000 --erase 20 --erase-bulk 20 --breakdown 6
#   KEEP=1 bench/run-erasure.sh …   then   bench/run-erasure.sh --data DIR/data …
#
# Environment:
#   PROFILE=1     CPU profile of the erasure phase into $OUT/cpu-erasure-<time>.pprof,
#                 printed as `go tool pprof -top` (cumulative)
#   KEEP=1        keep the data directory (its path is printed); pass it again
#                 with --data DIR to erase more people without loading again
#   OUT=DIR       where profiles go (/tmp/twbench-results)
#   COMMIT=REV    build the node's code of commit REV (in a temporary git
#                 worktree, with bench/erasure of the working tree) instead
#                 of the working tree as it is
#   NO_BUILD=1, QUIET_* (lib.sh)
set -euo pipefail
. "$(dirname "$0")/lib.sh"

OUT=${OUT:-/tmp/twbench-results}
mkdir -p "$OUT"
ERASURE_BIN=${ERASURE_BIN:-/tmp/twbench-erasure}
if [ "${NO_BUILD:-0}" != 1 ] || [ ! -x "$ERASURE_BIN" ]; then
	if [ -n "${COMMIT:-}" ]; then
		# The node's code of COMMIT (a clean worktree, removed after the
		# build) with bench/erasure as it is in the working tree.
		wt=$(mktemp -d "${TMPDIR:-/tmp}/tw-worktree.XXXXXX")
		rmdir "$wt"
		git -C "$ROOT" worktree add --detach "$wt" "$COMMIT" >/dev/null 2>&1
		rm -rf "$wt/bench/erasure"
		cp -r "$ROOT/bench/erasure" "$wt/bench/erasure"
		ok=0
		(cd "$wt" && go build -o "$ERASURE_BIN" ./bench/erasure) && ok=1
		echo "$(git -C "$wt" log -1 --format='%h %s' | cut -c1-60)… ($COMMIT; bench/erasure of the working tree) built $(date -u +%Y-%m-%dT%H:%M:%SZ)" >"$ERASURE_BIN.version"
		git -C "$ROOT" worktree remove --force "$wt"
		[ "$ok" = 1 ] || { echo "build failed" >&2; exit 1; }
	else
		(cd "$ROOT" && go build -o "$ERASURE_BIN" ./bench/erasure)
		echo "working tree at $(git -C "$ROOT" describe --always --dirty 2>/dev/null) built $(date -u +%Y-%m-%dT%H:%M:%SZ)" >"$ERASURE_BIN.version"
	fi
fi
echo "# $(date -u +%Y-%m-%dT%H:%M:%SZ) bench/erasure $(cat "$ERASURE_BIN.version") | $(nproc) cores, $(awk '/MemTotal/ {printf "%.0f GiB", $2/1048576}' /proc/meminfo) | load $(cut -d' ' -f1-3 /proc/loadavg)"
args=("$@")
if ! printf '%s\n' "$@" | grep -q '^--data'; then
	new_dir
	args=(--data "$NEW_DIR/data" "${args[@]}")
	[ "${KEEP:-0}" = 1 ] && args+=(--keep)
fi
prof=
if [ "${PROFILE:-0}" = 1 ]; then
	prof="$OUT/cpu-erasure-$(date -u +%Y%m%dT%H%M%S).pprof"
	args+=(--cpuprofile "$prof")
fi
wait_quiet
t=$(mktemp)
busy0=$(awk '/^cpu / {print ($2+$3+$4+$7+$8+$9)/100}' /proc/stat)
/usr/bin/time -f "%e %M %U %S" -o "$t" "$ERASURE_BIN" "${args[@]}"
busy1=$(awk '/^cpu / {print ($2+$3+$4+$7+$8+$9)/100}' /proc/stat)
read -r wall rss user sys <"$t"
rm -f "$t"
echo "$wall $rss $user $sys $busy0 $busy1" | awk '{printf "program: wall %.0f s, peak RSS %d MiB, CPU %.0f s; whole machine %.2f cores busy, of which other processes %.2f; load after %s\n", $1, $2/1024, $3+$4, ($6-$5)/$1, (($6-$5)-($3+$4))/$1, "'"$(cut -d' ' -f1 /proc/loadavg)"'"}'
if [ -n "$prof" ] && [ -s "$prof" ]; then
	echo "CPU profile of the erasure phase: $prof (top by cumulative time)"
	go tool pprof -top -cum "$ERASURE_BIN" "$prof" 2>/dev/null | head -60
fi
