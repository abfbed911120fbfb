# Shared helpers of the bench scripts; source it, do not run it.
# Everything listens on loopback only and is stopped by the EXIT trap.

BENCH_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
ROOT=$(cd "$BENCH_DIR/.." && pwd)
TW_BIN=${TW_BIN:-/tmp/twbench}
LOADGEN_BIN=${LOADGEN_BIN:-/tmp/loadgen}
SRV_PID=
SRV_DIR=
WORK_DIRS=()

# build compiles the server and the load generator (skip with NO_BUILD=1).
build() {
	if [ "${NO_BUILD:-0}" = 1 ] && [ -x "$TW_BIN" ] && [ -x "$LOADGEN_BIN" ]; then
		return
	fi
	(cd "$ROOT" && go build -o "$TW_BIN" ./cmd/tradewind &&
		go build -o "$LOADGEN_BIN" ./bench/loadgen) || {
		echo "build failed" >&2
		exit 1
	}
	echo "$(git -C "$ROOT" describe --always --dirty 2>/dev/null) built $(date -u +%Y-%m-%dT%H:%M:%SZ)" >"$TW_BIN.version"
}

# describe prints what is measured: code version, machine, load.
describe() {
	echo "# $(date -u +%Y-%m-%dT%H:%M:%SZ) binary $(cat "$TW_BIN.version" 2>/dev/null || echo "of unknown commit")" \
		"| $(nproc) cores, $(awk '/MemTotal/ {printf "%.0f GiB", $2/1048576}' /proc/meminfo)" \
		"| load $(cut -d' ' -f1-3 /proc/loadavg)"
}

# new_dir makes a temporary directory, removed at exit (unless KEEP=1),
# and sets NEW_DIR to it.
new_dir() {
	NEW_DIR=$(mktemp -d "${TMPDIR:-/tmp}/twbench.XXXXXX")
	WORK_DIRS+=("$NEW_DIR")
}

# start_server DIR [serve flags…]: starts `tradewind serve` on a free
# loopback port and waits until it is ready; sets SRV_PID, SRV_URL,
# SRV_TOKEN.
start_server() {
	SRV_DIR=$1
	shift
	"$TW_BIN" serve --data "$SRV_DIR" --listen 127.0.0.1:0 --log-level warn "$@" >"$SRV_DIR.server.log" 2>&1 &
	SRV_PID=$!
	SRV_URL=
	for _ in $(seq 1 300); do
		if [ -s "$SRV_DIR/server.json" ]; then
			SRV_URL=$(sed -n 's/.*"url":"\([^"]*\)".*/\1/p' "$SRV_DIR/server.json")
			[ -n "$SRV_URL" ] && curl -sf "$SRV_URL/readyz" >/dev/null && break
		fi
		if ! kill -0 "$SRV_PID" 2>/dev/null; then
			echo "server did not start:" >&2
			cat "$SRV_DIR.server.log" >&2
			exit 1
		fi
		sleep 0.1
	done
	[ -n "$SRV_URL" ] || {
		echo "server not ready after 30s" >&2
		exit 1
	}
	SRV_TOKEN=$(cat "$SRV_DIR/admin.token")
}

# create_source NAME: prints "ID WRITE_KEY" of a new EUR source.
create_source() {
	curl -sf -H "Authorization: Bearer $SRV_TOKEN" -d "{\"name\":\"$1\",\"currency\":\"EUR\"}" "$SRV_URL/v1/sources" |
		sed -n 's/.*"id":"\([^"]*\)".*"write_key":"\([^"]*\)".*/\1 \2/p'
}

# peak_rss PID: the process's peak resident memory so far (VmHWM), MiB.
peak_rss() {
	awk '/VmHWM/ {printf "%.0f", $2/1024}' "/proc/$1/status" 2>/dev/null
}

# stop_server: SIGTERM, up to 60 s for a graceful stop, then SIGKILL.
stop_server() {
	[ -n "$SRV_PID" ] || return 0
	kill -TERM "$SRV_PID" 2>/dev/null || true
	for _ in $(seq 1 600); do
		kill -0 "$SRV_PID" 2>/dev/null || break
		sleep 0.1
	done
	kill -KILL "$SRV_PID" 2>/dev/null || true
	wait "$SRV_PID" 2>/dev/null || true
	SRV_PID=
}

cleanup() {
	stop_server
	if [ "${KEEP:-0}" != 1 ]; then
		for d in "${WORK_DIRS[@]}"; do rm -rf "$d" "$d.server.log"; done
	elif [ "${#WORK_DIRS[@]}" -gt 0 ]; then
		echo "kept: ${WORK_DIRS[*]}" >&2
	fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# median: reads numbers, one a line, prints their median.
median() {
	sort -g | awk '{a[NR]=$1} END {if (NR == 0) exit; if (NR % 2) print a[(NR+1)/2]; else print (a[NR/2]+a[NR/2+1])/2}'
}

# busy_cores S: how many cores the whole machine kept busy over S seconds.
busy_cores() {
	local a b
	a=$(awk '/^cpu / {print $2+$3+$4+$7+$8+$9, $5+$6}' /proc/stat)
	sleep "$1"
	b=$(awk '/^cpu / {print $2+$3+$4+$7+$8+$9, $5+$6}' /proc/stat)
	echo "$a $b $1" | awk '{printf "%.2f", ($3-$1)/100/$5}'
}

# wait_quiet: other engineers share the machine; wait (up to QUIET_WAIT
# seconds, 600) until it is nearly idle (< QUIET_CORES busy cores, 0.3, over
# 5 s), so that a measurement does not compete with their tests. Prints what
# it found; measures anyway after the wait.
wait_quiet() {
	local limit=${QUIET_WAIT:-600} max=${QUIET_CORES:-0.3} waited=0 busy
	while :; do
		busy=$(busy_cores 5)
		waited=$((waited + 5))
		if awk -v b="$busy" -v m="$max" 'BEGIN {exit !(b < m)}'; then
			echo "# machine quiet: $busy cores busy before the run (waited ${waited}s)"
			return
		fi
		if [ "$waited" -ge "$limit" ]; then
			echo "# WARNING: machine still busy ($busy cores) after ${waited}s; measuring anyway"
			return
		fi
	done
}
