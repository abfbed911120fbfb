#!/usr/bin/env bash
# run-ingest.sh [loadgen flags…] — one HTTP ingest measurement, repeatable.
#
# For each run: builds (unless NO_BUILD=1), starts `tradewind serve` on a
# fresh temporary data directory on a free loopback port, creates a source,
# runs bench/loadgen against it with the given flags (plus --url, --write-key,
# --token, --pid), prints its figures and the server's peak resident memory
# (VmHWM), stops the server and removes the directory.
#
# Environment:
#   RUNS=N            repeat N times on fresh directories and print medians (1)
#   FSYNC=always      start the server with --fsync always (never)
#   SERVER_ARGS="…"   more `tradewind serve` flags (e.g. "--duckdb-threads 1")
#   PROFILE=S         take an S-second CPU profile of the server, starting
#                     PROFILE_DELAY (5) seconds into the run; written to
#                     $OUT/cpu-<run>.pprof and summarised by component
#   ALLOCS=S          also an S-second allocation profile (same start),
#                     summarised by component (which parts feed the GC)
#   OUT=DIR           where profiles go (/tmp/twbench-results)
#   TIMEOUT=S         hard limit of one loadgen run in seconds (900)
#   QUIET_CORES, QUIET_WAIT  before each run wait until other processes use
#                     fewer than QUIET_CORES (0.3) cores, at most QUIET_WAIT (600) s
#   MAX_OTHER=C       a run during which other processes used more than C
#                     cores (0.15) is reported, discarded and repeated, at most
#                     RETRIES (3) times; the last attempt counts regardless
#   NO_BUILD=1, KEEP=1 (keep the data directories)
#
# Examples:
#   bench/run-ingest.sh --duration 60s                      # goal 1: full speed
#   bench/run-ingest.sh --duration 60s --rate 20000 --workers 32   # goal 2/3
#   FSYNC=always bench/run-ingest.sh --duration 60s --rate 20000 --workers 32
set -euo pipefail
. "$(dirname "$0")/lib.sh"

RUNS=${RUNS:-1}
MAX_OTHER=${MAX_OTHER:-0.15}
RETRIES=${RETRIES:-3}
PROFILE=${PROFILE:-0}
ALLOCS=${ALLOCS:-0}
PROFILE_DELAY=${PROFILE_DELAY:-5}
OUT=${OUT:-/tmp/twbench-results}
TIMEOUT=${TIMEOUT:-900}
mkdir -p "$OUT"
build
echo "$(describe) | fsync ${FSYNC:-never} ${SERVER_ARGS:-} | loadgen $*"
results=()
run=0
attempt=0
while [ "$run" -lt "$RUNS" ]; do
	run=$((run + 1))
	attempt=$((attempt + 1))
	new_dir
	dir=$NEW_DIR
	args=()
	[ -n "${FSYNC:-}" ] && args+=(--fsync "$FSYNC")
	# shellcheck disable=SC2206
	[ -n "${SERVER_ARGS:-}" ] && args+=($SERVER_ARGS)
	wait_quiet
	start_server "$dir" "${args[@]}"
	read -r src key < <(create_source bench)
	echo "## run $run/$RUNS: server pid $SRV_PID at $SRV_URL, source $src, load before $(cut -d' ' -f1 /proc/loadavg)"
	prof_pid=
	if [ "$PROFILE" -gt 0 ]; then
		stamp=$(date -u +%Y%m%dT%H%M%S)
		prof="$OUT/cpu-$stamp-run$run.pprof"
		(sleep "$PROFILE_DELAY" && curl -sf -m $((PROFILE + 30)) -H "Authorization: Bearer $SRV_TOKEN" \
			"$SRV_URL/debug/pprof/profile?seconds=$PROFILE" -o "$prof") &
		prof_pid=$!
	fi
	allocs_pid=
	if [ "$ALLOCS" -gt 0 ]; then
		allocs="$OUT/allocs-$(date -u +%Y%m%dT%H%M%S)-run$run.pprof"
		(sleep "$PROFILE_DELAY" && curl -sf -m $((ALLOCS + 30)) -H "Authorization: Bearer $SRV_TOKEN" \
			"$SRV_URL/debug/pprof/allocs?seconds=$ALLOCS" -o "$allocs") &
		allocs_pid=$!
	fi
	out=$(timeout "$TIMEOUT" "$LOADGEN_BIN" --url "$SRV_URL" --write-key "$key" --token "$SRV_TOKEN" --pid "$SRV_PID" "$@")
	echo "$out"
	echo "server peak resident memory (VmHWM over its life): $(peak_rss "$SRV_PID") MiB; load after $(cut -d' ' -f1 /proc/loadavg)"
	if [ -n "$prof_pid" ]; then
		wait "$prof_pid" || true
		if [ -s "$prof" ]; then
			echo "CPU profile: $prof"
			(cd "$ROOT" && go tool pprof -traces "$TW_BIN" "$prof" 2>/dev/null | go run ./bench/pprofsum) || true
		fi
	fi
	if [ -n "$allocs_pid" ]; then
		wait "$allocs_pid" || true
		if [ -s "$allocs" ]; then
			echo "allocation profile: $allocs"
			(cd "$ROOT" && go tool pprof -traces -sample_index=alloc_space "$TW_BIN" "$allocs" 2>/dev/null | go run ./bench/pprofsum) || true
		fi
	fi
	result="$(echo "$out" | grep '^RESULT' | sed 's/^RESULT //') peak_rss_mib=$(peak_rss "$SRV_PID") load1=$(cut -d' ' -f1 /proc/loadavg)"
	stop_server
	[ "${KEEP:-0}" = 1 ] || rm -rf "$dir" "$dir.server.log"
	other=$(echo "$result" | tr ' ' '\n' | sed -n 's/^other_cores=//p')
	if [ "$attempt" -le "$RETRIES" ] && awk -v o="$other" -v m="$MAX_OTHER" 'BEGIN {exit !(o > m)}'; then
		echo "## DISCARDED run $run: other processes used $other cores during it (> $MAX_OTHER); repeating"
		run=$((run - 1))
		continue
	fi
	attempt=0
	results+=("$result")
done
if [ "$RUNS" -gt 1 ]; then
	echo "## medians of $RUNS runs"
	for k in events_per_s p50_ms p99_ms due_p99_ms min_sec vis_p50_ms vis_p99_ms vis_lost rss_mib peak_rss_mib go_held_mib go_heap_mib srv_cores loadgen_cores other_cores failed r429 late unsent vis_n backlog drain_s load1; do
		vals=$(printf '%s\n' "${results[@]}" | tr ' ' '\n' | sed -n "s/^$k=//p")
		printf '%s=%s (%s)  ' "$k" "$(echo "$vals" | median)" "$(echo $vals | tr ' ' ',')"
		echo
	done
fi
