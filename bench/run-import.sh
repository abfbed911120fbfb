#!/usr/bin/env bash
# run-import.sh — goal 5: import a deterministic 1,000,000-row orders CSV,
# then import it again (all rows must be duplicates, nothing added).
#
# Modes (MODES, default "cli server"):
#   cli     no server: `tradewind import --data DIR` opens the data directory
#   server  through a running server: `tradewind import --server URL --token T`
# Each run uses a fresh data directory with the ECB rates loaded first (as a
# seller would have them; amounts are converted to USD while importing).
# Prints wall time and peak RSS (/usr/bin/time) of each import, the import
# report, the row counts before and after the re-import, and for the server
# mode the server's peak RSS.
#
# An import is done when the store has applied it (the report's "seconds");
# the profile engine may still be working through it. Both figures are
# reported: server mode watches the server's metrics for the engine, waiting
# up to ENGINE_WAIT seconds (600); cli mode runs the import with
# --wait-profiles (unless WAIT_PROFILES=0), so that the command ends only
# when the engine has applied the file and written its profiles (the
# report's "profiles_seconds"), and the wall time and CPU cover that too.
# Without it the CLI's engine stops at exit, part way, and goes on in the
# next command that opens the directory (the row counts, the re-import).
#
# Environment: RUNS (1), ROWS (1000000), MODES, NO_BUILD=1, KEEP=1, FX_FILE
# (../shared/data/fx/eurofxref-hist.zip; empty: no rates), QUIET_* (lib.sh),
# PROFILE=S (server mode: an S-second CPU profile of the server during the
# first import, into OUT=/tmp/twbench-results, summarised by component).
set -euo pipefail
. "$(dirname "$0")/lib.sh"

RUNS=${RUNS:-1}
OUT=${OUT:-/tmp/twbench-results}
mkdir -p "$OUT"
ROWS=${ROWS:-1000000}
MODES=${MODES:-cli server}
FX_FILE=${FX_FILE-$ROOT/../shared/data/fx/eurofxref-hist.zip}
build
new_dir
csvdir=$NEW_DIR
csv=$csvdir/orders.csv
(cd "$ROOT" && go run ./bench/orders-csv --rows "$ROWS" --out "$csv")
echo "$(describe)"
echo "# file: $ROWS rows, $(($(stat -c %s "$csv") / 1000000)) MB, sha256 $(sha256sum "$csv" | cut -c1-16)…"

TW() { timeout 900 "$TW_BIN" "$@"; }

counts() { # counts ARGS…: rows of events, orders, order_items, cancellations, refunds
	TW sql "$@" --format csv "SELECT (SELECT count(*) FROM events) || '/' || (SELECT count(*) FROM orders) || '/' || (SELECT count(*) FROM order_items) || '/' || (SELECT count(*) FROM cancellations) || '/' || (SELECT count(*) FROM refunds)" | tail -1
}

busy() { awk '/^cpu / {print ($2+$3+$4+$7+$8+$9)/100}' /proc/stat; }
proc_cpu() { [ -n "$1" ] && awk '{print ($14+$15)/100}' "/proc/$1/stat" 2>/dev/null || echo 0; }

timed_import() { # timed_import LABEL ARGS… : prints the report, the time and the CPU use
	local t label=$1 b0 b1 s0 s1 prof_pid=
	shift
	t=$(mktemp)
	if [ -n "$SRV_PID" ] && [ "${PROFILE:-0}" -gt 0 ] && [ "$label" = "first import " ]; then
		prof="$OUT/cpu-import-$(date -u +%Y%m%dT%H%M%S).pprof"
		(sleep 2 && curl -sf -m $((PROFILE + 30)) -H "Authorization: Bearer $SRV_TOKEN" \
			"$SRV_URL/debug/pprof/profile?seconds=$PROFILE" -o "$prof") &
		prof_pid=$!
	fi
	local mon_pid= tl=$t.timeline
	if [ -n "$SRV_PID" ]; then
		# A timeline of the log's accepted count, the store's applied
		# sequence (equal on a fresh data directory) and the profile
		# engine's, every 0.5 s.
		(
			t0=$(date +%s%N)
			while :; do
				m=$(curl -sf -m 2 -H "Authorization: Bearer $SRV_TOKEN" "$SRV_URL/metrics") &&
					echo "$m" | awk -v t=$(($(date +%s%N) - t0)) '/^tradewind_ingest_accepted_total/ {a+=$2} /^tradewind_store_applied_sequence/ {s=$2} /^tradewind_profiles_applied_sequence/ {p=$2} END {printf "%.1f %d %d %d\n", t/1e9, a, s, p}' >>"$tl"
				sleep 0.5
			done
		) &
		mon_pid=$!
	fi
	b0=$(busy)
	s0=$(proc_cpu "$SRV_PID")
	/usr/bin/time -f "%e %M %U %S" -o "$t" timeout 900 "$TW_BIN" import --kind orders --file "$csv" --json "$@" >"$t.json"
	b1=$(busy)
	s1=$(proc_cpu "$SRV_PID")
	if [ -n "$mon_pid" ]; then
		# The import is done when the store is; the profile engine may still
		# be working through it: wait for it (up to ENGINE_WAIT seconds,
		# default 600) and say when it caught up, and what that cost.
		local e0 e1 waited=0 target
		target=$(tail -1 "$tl" | awk '{print $3}')
		e0=$(proc_cpu "$SRV_PID")
		while [ "$(tail -1 "$tl" | awk '{print $4}')" -lt "$target" ] && [ "$waited" -lt "${ENGINE_WAIT:-600}" ]; do
			sleep 1
			waited=$((waited + 1))
		done
		e1=$(proc_cpu "$SRV_PID")
		sleep 1
		kill "$mon_pid" 2>/dev/null || true
		wait "$mon_pid" 2>/dev/null || true
		awk -v target="$target" 'NR == 1 {a0 = $2} {t[NR] = $1; a[NR] = $2; s[NR] = $3; p[NR] = $4} END {
			end = a[NR]; if (end == a0) exit
			for (i = 1; i <= NR; i++) if (a[i] >= end) { printf "    timeline: the log had all %d messages after %.1f s, when the store had applied %d;", end - a0, t[i], s[i] - a0; break }
			for (i = 1; i <= NR; i++) if (s[i] >= end) { printf " the store had applied all after %.1f s", t[i]; break }
			for (i = 1; i <= NR; i++) if (p[i] >= target) { printf "; the profile engine caught up after %.1f s\n", t[i]; exit }
			printf "; the profile engine had reached %d of %d when the wait ended\n", p[NR], target
		}' "$tl"
		echo "$e0 $e1" | awk '{printf "    server CPU while waiting for the profile engine: %.1f s\n", $2 - $1}'
		rm -f "$tl"
	fi
	local rep wall
	rep=$(tr -d ' \n' <"$t.json")
	wall=$(cut -d' ' -f1 "$t")
	echo "$label: wall $wall s, CLI peak RSS $(($(cut -d' ' -f2 "$t") / 1024)) MiB, load $(cut -d' ' -f1 /proc/loadavg), report $rep"
	if [ -z "$SRV_PID" ]; then
		echo "$rep" | sed -n 's/.*"seconds":\([0-9.]*\).*/\1/p' | awk '{printf "    the store was done after %.1f s", $1}'
		echo "$rep" | sed -n 's/.*"profiles_seconds":\([0-9.]*\).*/\1/p' | awk '{printf "; the profile engine caught up (profiles written) after %.1f s", $1}'
		echo
	fi
	read -r _ _ u s <"$t"
	echo "$b0 $b1 $s0 $s1 $u $s $wall" | awk '{cli=$5+$6; srv=$4-$3; printf "    CPU: CLI %.1f s, server %.1f s; whole machine %.2f cores busy, of which other processes %.2f\n", cli, srv, ($2-$1)/$7, (($2-$1)-cli-srv)/$7}'
	if [ -n "$prof_pid" ]; then
		wait "$prof_pid" || true
		if [ -s "$prof" ]; then
			echo "CPU profile of the server during the import: $prof"
			(cd "$ROOT" && go tool pprof -traces "$TW_BIN" "$prof" 2>/dev/null | go run ./bench/pprofsum) || true
		fi
	fi
	rm -f "$t" "$t.json"
}

for mode in $MODES; do
	for run in $(seq 1 "$RUNS"); do
		new_dir
		dir=$NEW_DIR
		wait_quiet
		echo "## $mode run $run/$RUNS"
		if [ "$mode" = server ]; then
			start_server "$dir"
			[ -n "$FX_FILE" ] && TW import --kind fx_rates --file "$FX_FILE" --server "$SRV_URL" --token "$SRV_TOKEN" >/dev/null
			read -r src _ < <(create_source bench)
			where=(--server "$SRV_URL" --token "$SRV_TOKEN")
		else
			[ -n "$FX_FILE" ] && TW import --kind fx_rates --file "$FX_FILE" --data "$dir" >/dev/null
			src=$(TW sources create --data "$dir" --name bench --currency EUR | sed -n 's/.*"id": "\([^"]*\)".*/\1/p')
			where=(--data "$dir")
		fi
		wait_args=()
		[ "$mode" = cli ] && [ "${WAIT_PROFILES:-1}" = 1 ] && wait_args=(--wait-profiles)
		timed_import "first import " --source "$src" "${where[@]}" "${wait_args[@]}"
		c1=$(counts "${where[@]}")
		timed_import "re-import    " --source "$src" "${where[@]}" "${wait_args[@]}"
		c2=$(counts "${where[@]}")
		# Without --wait-profiles the engine catches up in later commands and
		# publishes segment memberships meanwhile: events may grow then, the
		# imported rows must not.
		verdict=CHANGED
		if [ "$c1" = "$c2" ]; then
			verdict=unchanged
		elif [ "${c1#*/}" = "${c2#*/}" ] && [ ${#wait_args[@]} -eq 0 ]; then
			verdict="orders unchanged; events differ: the profile engine publishes memberships as it catches up"
		fi
		echo "rows events/orders/order_items/cancellations/refunds after the first import: $c1; after the re-import: $c2 ($verdict)"
		if [ "$mode" = server ]; then
			echo "server peak resident memory (VmHWM): $(peak_rss "$SRV_PID") MiB"
			stop_server
		fi
		[ "${KEEP:-0}" = 1 ] || rm -rf "$dir" "$dir.server.log"
	done
done
