#!/usr/bin/env bash
# run-demo.sh [demo flags…] — goal 7: `tradewind demo` with its defaults
# (50,000 people, 12 months, today as --now) on a fresh data directory, run
# from the repository root so that it finds ../shared/data/fx, with
# --no-serve so that it stops once the store has applied everything.
# Prints its output, wall time and peak RSS (/usr/bin/time -v), and the row
# counts it produced.
#
# Environment: RUNS (1), DEMO_TIMEOUT (1800: seconds before the demo is
# stopped; a stopped run prints its wall time and what it printed so far, so
# its figure is "more than DEMO_TIMEOUT"), NO_BUILD=1, KEEP=1, QUIET_* (lib.sh);
# TW_BIN with NO_BUILD=1 measures a binary built elsewhere (of a commit);
# PROFILE=FILE writes the whole demo's CPU profile there
# (TRADEWIND_CPU_PROFILE; summarise it with bench/pprofsum).
#
# Besides the demo's own CPU time it prints how many cores other processes
# kept busy on average during the run (other_cores, from /proc/stat): on a
# shared machine that, not the wall time, says whether two runs compare.
set -euo pipefail
. "$(dirname "$0")/lib.sh"

RUNS=${RUNS:-1}
DEMO_TIMEOUT=${DEMO_TIMEOUT:-1800}
build
echo "$(describe) | demo $*"
for run in $(seq 1 "$RUNS"); do
	new_dir
	dir=$NEW_DIR
	wait_quiet
	echo "## run $run/$RUNS"
	t=$dir.time
	busy0=$(awk '/^cpu / {print $2+$3+$4+$7+$8+$9}' /proc/stat)
	start=$(date +%s.%N)
	(cd "$ROOT" && TRADEWIND_CPU_PROFILE=${PROFILE:-} /usr/bin/time -v -o "$t" timeout "$DEMO_TIMEOUT" "$TW_BIN" demo --data "$dir" --no-serve --log-level warn "$@") ||
		echo "demo exited with status $? (124: stopped after DEMO_TIMEOUT=${DEMO_TIMEOUT}s)"
	busy1=$(awk '/^cpu / {print $2+$3+$4+$7+$8+$9}' /proc/stat)
	end=$(date +%s.%N)
	user=$(sed -n 's/.*User time (seconds): //p' "$t")
	sys=$(sed -n 's/.*System time (seconds): //p' "$t")
	other=$(awk -v a="$busy0" -v b="$busy1" -v s="$start" -v e="$end" -v u="$user" -v y="$sys" 'BEGIN {printf "%.2f", ((b-a)/100 - u - y)/(e-s)}')
	echo "wall $(sed -n 's/.*Elapsed (wall clock) time (h:mm:ss or m:ss): //p' "$t"), peak RSS $(($(sed -n 's/.*Maximum resident set size (kbytes): //p' "$t") / 1024)) MiB," \
		"CPU user $user s + system $sys s, other_cores $other, load after $(cut -d' ' -f1 /proc/loadavg)"
	timeout 300 "$TW_BIN" sql --data "$dir" --log-level warn "SELECT (SELECT count(*) FROM events) AS events, (SELECT count(*) FROM orders) AS orders, (SELECT count(*) FROM customers) AS customers, (SELECT count(*) FROM reviews) AS reviews, (SELECT count(*) FROM orders WHERE total_base IS NULL) AS orders_without_base"
	echo "data directory: $(du -sm "$dir" | cut -f1) MB"
	rm -f "$t"
	[ "${KEEP:-0}" = 1 ] || rm -rf "$dir"
done
