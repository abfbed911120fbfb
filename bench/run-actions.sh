#!/usr/bin/env bash
# run-actions.sh [MODE [flags…]] — issue 9's journey benchmarks:
#   event acknowledged → webhook delivered < 1 s p99 at 1,000 triggered
#   actions/s; 1,000,000 people in active journeys within 2 GiB.
#
# Builds the node (`tradewind serve`) and bench/actions from a commit (in a
# temporary git worktree, with bench/actions of the working tree), then runs
# one mode of bench/actions (default: all four, one after the other):
#   serve-latency   a `tradewind serve` child on a fresh /tmp/actbench-*
#                   directory; a journey "Bench Triggered" → webhook; events
#                   at 1,000/s for 60 s through POST /v1/track; a real HTTP
#                   receiver in the benchmark process matches each delivery
#                   to its event's acknowledgement by a bench_id property
#   serve-people    1,000,000 "Signed Up" through /v1/batch into a journey
#                   "wait 30d, then webhook"; server peak / steady RSS and
#                   the journey state on disk
#   engine-latency  ENGINE ONLY: internal/journey over an embedded event log
#                   in the benchmark process, People resolving the profile
#                   from userId (no ingest, no profile engine, no store)
#   engine-people   ENGINE ONLY: the 1,000,000 people of serve-people
# bench/actions/main.go documents the method, bench/actions/README.md has
# the figures.
#
# Environment:
#   COMMIT=REV    the node's code of commit REV (default HEAD; the working
#                 tree is not used: others edit it while benchmarks run)
#   FIX_RESOLVE=1 (for commits before 7c00df3; default 0) gives appPeople.Resolve its own store.Projector
#                 in the temporary worktree (fix_resolve below; nothing in
#                 the working tree changes): up to at least 28d75bb Resolve
#                 uses the store writer's Projector, which is not safe for
#                 concurrent use, from the journey consumer's goroutine, and
#                 the server crashes within seconds at 1,000 events/s (see
#                 bench/actions/README.md); 0 builds the commit as it is
#   PROFILE=1     CPU profile of the server (serve-latency) or of the
#                 process (engine-*) into $OUT, printed with pprof -top
#   OUT=DIR       logs and profiles (/tmp/actbench-results)
#   NO_BUILD=1    reuse /tmp/actbench-tw and /tmp/actbench-actions
#   QUIET_WAIT, QUIET_CORES (lib.sh): wait for a quiet machine first
# Examples:
#   bench/run-actions.sh serve-latency --rate 1000 --duration 60s
#   bench/run-actions.sh serve-people --people 1000000 --limit 30m
#   bench/run-actions.sh engine-people --people 1000000
set -euo pipefail
. "$(dirname "$0")/lib.sh"

OUT=${OUT:-/tmp/actbench-results}
mkdir -p "$OUT"
TW_BIN=/tmp/actbench-tw
ACT_BIN=/tmp/actbench-actions
COMMIT=${COMMIT:-HEAD}

# fix_resolve DIR: the journey consumer's own Projector in DIR's
# internal/app/actions.go; fails unless every substitution applied.
fix_resolve() {
	local f=$1/internal/app/actions.go
	perl -0pi -e '
		$n += s/People: appPeople\{a\},/People: appPeople{a: a, pr: &store.Projector{Source: a.sourceInfo, ToBase: a.toBase,\n\t\t\tTokenOf: privacy.TokenOf, Suppressed: a.Privacy.StoreSuppressed, Expired: a.Retention.Expired}},/;
		$n += s/type appPeople struct\{ a \*App \}/type appPeople struct {\n\ta  *App\n\tpr *store.Projector \/\/ the journey consumer\x27s own: a Projector is not safe for concurrent use\n}/;
		$n += s/pr := a\.writer\.Projector\.Project\(d\)/pr := p.pr.Project(d)/;
		END { exit($n == 3 ? 0 : 1) }' "$f" || { echo "fix_resolve: $f does not look as expected (already fixed?); run with FIX_RESOLVE=0" >&2; return 1; }
}

if [ "${NO_BUILD:-0}" != 1 ] || [ ! -x "$TW_BIN" ] || [ ! -x "$ACT_BIN" ]; then
	wt=$(mktemp -d /tmp/actbench-wt.XXXXXX)
	rmdir "$wt"
	git -C "$ROOT" worktree add --detach "$wt" "$COMMIT" >/dev/null 2>&1
	rm -rf "$wt/bench/actions"
	cp -r "$ROOT/bench/actions" "$wt/bench/actions"
	version="$(git -C "$wt" log -1 --format='%h')"
	ok=0
	if [ "${FIX_RESOLVE:-0}" = 1 ]; then
		version="$version+fix_resolve"
		fix_resolve "$wt" && (cd "$wt" && gofmt -l internal/app >/dev/null) &&
			(cd "$wt" && go build -o "$TW_BIN" ./cmd/tradewind && go build -o "$ACT_BIN" ./bench/actions) && ok=1
	else
		(cd "$wt" && go build -o "$TW_BIN" ./cmd/tradewind && go build -o "$ACT_BIN" ./bench/actions) && ok=1
	fi
	git -C "$ROOT" worktree remove --force "$wt"
	[ "$ok" = 1 ] || { echo "build failed" >&2; exit 1; }
	echo "$version built $(date -u +%Y-%m-%dT%H:%M:%SZ)" >"$TW_BIN.version"
fi
version=$(cat "$TW_BIN.version")
export ACTBENCH_VERSION=${version%% built *}

run() {
	local mode=$1
	shift
	local stamp args=()
	stamp=$(date -u +%Y%m%dT%H%M%S)
	case $mode in
	serve-*) args=(--bin "$TW_BIN") ;;
	esac
	if [ "${PROFILE:-0}" = 1 ]; then
		args+=(--cpuprofile "$OUT/cpu-$mode-$stamp.pprof")
		[ "$mode" = serve-latency ] && args+=(--goroutines "$OUT/goroutines-$mode-$stamp")
	fi
	wait_quiet
	echo "# $(date -u +%Y-%m-%dT%H:%M:%SZ) bench/actions $mode, node $version | $(nproc) cores, $(awk '/MemTotal/ {printf "%.0f GiB", $2/1048576}' /proc/meminfo) | load $(cut -d' ' -f1-3 /proc/loadavg)"
	# The benchmark's own working directory names the commit in RESULT lines.
	(cd "$ROOT" && "$ACT_BIN" "$mode" "${args[@]}" "$@") 2>&1 | tee "$OUT/$mode-$stamp.log"
	echo "# load after: $(cut -d' ' -f1-3 /proc/loadavg)"
	local p="$OUT/cpu-$mode-$stamp.pprof"
	if [ -s "$p" ]; then
		local b=$ACT_BIN
		case $mode in serve-*) b=$TW_BIN ;; esac
		echo "== $p (top by cumulative time)"
		go tool pprof -top -cum "$b" "$p" 2>/dev/null | head -45
	fi
}

if [ $# -gt 0 ]; then
	run "$@"
else
	run serve-latency
	run engine-latency
	run engine-people
	run serve-people
fi
