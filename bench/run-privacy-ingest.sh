#!/usr/bin/env bash
# run-privacy-ingest.sh — privacy goal: ingest throughput with encryption of
# high-tier fields stays within 15% of the figure without it.
#
# There is no switch to turn encryption off (on purpose), so the comparison
# is between builds of the server from different commits (REVS, the first
# one the baseline):
#   e81a370  the last commit before privacy landed (the spine);
#   121092a  privacy complete: encryption at ingest with the final pii
#            encryptor, tokens and suppression checks in the store writer,
#            key files under DATA/keys (and, unrelated to privacy, accounts,
#            audit, rate limits, the profile tables of the store);
# and whatever else is listed (HEAD, say: later work such as the real-time
# profile engine, which also consumes the log). Each is built from its
# commit in a temporary git worktree (removed right after the build);
# bench/loadgen is built from the working tree and drives all of them (they
# accept the same Segment API).
#
# Then ROUNDS times, for each load of LOADS, one run-ingest.sh run against
# each build in turn (A B A B A B: a drift of the machine's load hits all of
# them alike), each on a fresh server and data directory, full speed,
# DURATION each. A load is an --identify-share: 0 is track events only (the
# encryption path walks each message and finds nothing to seal), 0.1 makes
# every tenth message an identify of a new user with email, phone, first
# and last name and an address (a new data key per identify and 8 fields
# sealed). It prints every run's output and, per load, the medians of each
# build and their ratio to the baseline's.
#
# Environment:
#   REVS ("e81a370 121092a"), ROUNDS (3), LOADS ("0 0.1"), DURATION (60s),
#   DRAIN (120s: after sending, wait for the store writer, to report how
#   long it lagged); a rev "worktree" builds the working tree as it is
#   LOADGEN_ARGS  more loadgen flags for every run (e.g. "--workers 32")
#   NO_BUILD=1    reuse the builds in $OUT/bin/tw-<rev> and $OUT/bin/loadgen
#   OUT (/tmp/twbench-results), and run-ingest.sh's: MAX_OTHER, RETRIES,
#   QUIET_CORES, QUIET_WAIT, PROFILE, ALLOCS, FSYNC, SERVER_ARGS
set -euo pipefail
B=$(cd "$(dirname "$0")" && pwd)
. "$B/lib.sh"

REVS=${REVS:-e81a370 121092a}
ROUNDS=${ROUNDS:-3}
LOADS=${LOADS:-0 0.1}
DURATION=${DURATION:-60s}
DRAIN=${DRAIN:-120s}
OUT=${OUT:-/tmp/twbench-results}
mkdir -p "$OUT/bin"
LG_BIN=$OUT/bin/loadgen

# build_rev REV OUT: builds cmd/tradewind of commit REV (or of the working
# tree for "worktree") into OUT, and writes OUT.version.
build_rev() {
	local rev=$1 out=$2 wt
	if [ "$rev" = worktree ]; then
		(cd "$ROOT" && go build -o "$out" ./cmd/tradewind)
		echo "working tree at $(git -C "$ROOT" describe --always --dirty) built $(date -u +%Y-%m-%dT%H:%M:%SZ)" >"$out.version"
		return
	fi
	wt=$(mktemp -d "${TMPDIR:-/tmp}/tw-worktree.XXXXXX")
	rmdir "$wt"
	git -C "$ROOT" worktree add --detach "$wt" "$rev" >/dev/null 2>&1
	if ! (cd "$wt" && go build -o "$out" ./cmd/tradewind); then
		git -C "$ROOT" worktree remove --force "$wt"
		echo "build of $rev failed" >&2
		exit 1
	fi
	echo "$(git -C "$wt" log -1 --format='%h %s' | cut -c1-70)… built $(date -u +%Y-%m-%dT%H:%M:%SZ)" >"$out.version"
	git -C "$ROOT" worktree remove --force "$wt"
}

bin_of() { echo "$OUT/bin/tw-$1"; }
for rev in $REVS; do
	if [ "${NO_BUILD:-0}" != 1 ] || [ ! -x "$(bin_of "$rev")" ]; then
		build_rev "$rev" "$(bin_of "$rev")"
	fi
done
if [ "${NO_BUILD:-0}" != 1 ] || [ ! -x "$LG_BIN" ]; then
	(cd "$ROOT" && go build -o "$LG_BIN" ./bench/loadgen)
fi
echo "# $(date -u +%Y-%m-%dT%H:%M:%SZ) | $(nproc) cores, $(awk '/MemTotal/ {printf "%.0f GiB", $2/1048576}' /proc/meminfo) | load $(cut -d' ' -f1-3 /proc/loadavg)"
for rev in $REVS; do
	echo "# $rev: $(cat "$(bin_of "$rev").version")"
done
echo "# $ROUNDS rounds × loads (identify share) $LOADS × builds ($REVS) in turn; $DURATION each, full speed; loadgen ${LOADGEN_ARGS:-}"

results=$(mktemp)
for round in $(seq 1 "$ROUNDS"); do
	for share in $LOADS; do
		for rev in $REVS; do
			bin=$(bin_of "$rev")
			echo
			echo "=== round $round/$ROUNDS, identify share $share, $rev"
			# shellcheck disable=SC2086
			out=$(TW_BIN=$bin LOADGEN_BIN=$LG_BIN NO_BUILD=1 RUNS=1 "$B/run-ingest.sh" --duration "$DURATION" --drain "$DRAIN" \
				--identify-share "$share" ${LOADGEN_ARGS:-})
			echo "$out"
			r=$(echo "$out" | grep '^RESULT' | tail -1 | sed 's/^RESULT //')
			# Server CPU per event: less sensitive than throughput to other
			# processes taking cores from the server.
			us=$(echo "$r" | tr ' ' '\n' | awk -F= '$1 == "events_per_s" {e = $2} $1 == "srv_cores" {c = $2} END {if (e > 0) printf "%.1f", c * 1e6 / e}')
			echo "$share $rev $r srv_us_per_event=$us load1_after=$(cut -d' ' -f1 /proc/loadavg)" >>"$results"
		done
	done
done

echo
echo "## medians of $ROUNDS runs (all runs in parentheses, in run order); ratio to ${REVS%% *}"
base=${REVS%% *}
for share in $LOADS; do
	echo "identify share $share:"
	for k in events_per_s p50_ms p99_ms identifies_per_s srv_cores srv_us_per_event other_cores drain_s rss_mib r429 failed; do
		line="  $(printf '%-17s' "$k")"
		bmed=
		for rev in $REVS; do
			vals=$(awk -v s="$share" -v r="$rev" '$1 == s && $2 == r' "$results" | tr ' ' '\n' | sed -n "s/^$k=//p")
			med=$(echo "$vals" | median)
			[ "$rev" = "$base" ] && bmed=$med
			line+="  $rev $(printf '%-8s' "$med") ($(echo $vals | tr ' ' ','))"
			if [ "$rev" != "$base" ]; then
				line+=" ×$(awk -v a="$bmed" -v b="$med" 'BEGIN {if (a > 0) printf "%.3f", b/a; else print "-"}')"
			fi
		done
		echo "$line"
	done
done
rm -f "$results"
