#!/usr/bin/env bash
# run-predict.sh — the benchmark lines of issue 6 (customer lifetime value),
# side by side with the Python lifetimes library:
#
#   1. BG/NBD + Gamma-Gamma on CDNOW < 20 ms        (go test -bench CDNOW)
#   2. 1,000,000 customers fitted and scored < 1 s  (go test -bench Million)
#   3. 20,000,000 transactions in the store aggregated, fitted, scored and
#      written back < 5 s                            (bench/predict)
#   4. lifetimes on the same inputs, parameters compared to 3 significant
#      digits                                        (bench/predict/lifetimes_bench.py)
#
# The Go benchmarks are internal/predict/btyd/bench_test.go; its
# TestWriteBenchData writes the 1M transaction log (CDNOW replicated with
# jitter, seeded) and the Go fits, which the Python script reads, so both
# sides fit the same data. bench/predict/main.go documents the store
# benchmark and its data. Figures: bench/predict/FIGURES.md.
#
# lifetimes is not part of tradewind and is not vendored: LIFETIMES_PATH
# names directories holding lifetimes/ and autograd/ (e.g. unpacked
# snapshots of github.com/CamDavidsonPilon/lifetimes and HIPS/autograd);
# numpy, scipy, pandas and dill come from Debian:
#   apt-get install -y python3-numpy python3-scipy python3-pandas python3-dill
# Without LIFETIMES_PATH the Python side is skipped.
#
# Environment:
#   OUT=DIR          results, logs, profiles (/tmp/twbench-predict-results)
#   COUNT=N          go test -count (5: medians of 5)
#   REPEAT=N         repeats of the store paths and of lifetimes on CDNOW (3 / 5)
#   REPEAT_MILLION=N repeats of lifetimes on 1M (3)
#   STORE=DIR        keep/reuse the loaded store there (default: a temporary
#                    one, removed at the end)
#   PATHS=…          bench/predict --paths (bgnbd,defaults,refresh; rfm adds RFM
#                    on the same store, issue 4)
#   SOURCE=days|view where runs read the orders: the store's order days,
#                    refreshed at the start of each run (default), or every
#                    order row through the orders view (the code before them)
#   NEW_ORDERS=N     with SOURCE=days, orders added on a new day before each
#                    run (27400: a day's worth), for its refresh to aggregate
#   SKIP_STORE=1, SKIP_PYTHON=1, SKIP_GO=1
#   PROFILE=1        CPU profiles of the Million benchmark and the store run,
#                    printed with go tool pprof -top
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
OUT=${OUT:-/tmp/twbench-predict-results}
COUNT=${COUNT:-5}
REPEAT=${REPEAT:-3}
REPEAT_MILLION=${REPEAT_MILLION:-3}
PATHS=${PATHS:-bgnbd,defaults,refresh}
SOURCE=${SOURCE:-days}
NEW_ORDERS=${NEW_ORDERS:-27400}
CDNOW=$ROOT/../shared/data/cdnow
mkdir -p "$OUT"
load() { cut -d' ' -f1-3 /proc/loadavg; }
echo "# $(date -u +%Y-%m-%dT%H:%M:%SZ) $(git -C "$ROOT" describe --always --dirty 2>/dev/null) | $(nproc) cores, $(awk '/MemTotal/ {printf "%.0f GiB", $2/1048576}' /proc/meminfo) | load $(load)"

cd "$ROOT"
go test -c -o "$OUT/btyd.test" ./internal/predict/btyd
go build -o "$OUT/predict-bench" ./bench/predict

# The 1M log and the Go fits, for the Python side.
(cd internal/predict/btyd && BTYD_BENCH_OUT="$OUT" "$OUT/btyd.test" -test.run '^TestWriteBenchData$' -test.count 1 >/dev/null)

if [ "${SKIP_GO:-0}" != 1 ]; then
	echo "## Go: BenchmarkCDNOW, BenchmarkMillion (-count $COUNT); load $(load)"
	prof=()
	[ "${PROFILE:-0}" = 1 ] && prof=(-test.cpuprofile "$OUT/million.prof")
	(cd internal/predict/btyd && "$OUT/btyd.test" -test.run '^$' -test.bench 'CDNOW|Million' -test.benchmem \
		-test.count "$COUNT" -test.benchtime 5x -test.v "${prof[@]}") | grep -v '^=== \|^Benchmark[A-Za-z/+]*$' | tee "$OUT/go-bench.txt"
	echo "load after: $(load)"
	# Medians per benchmark.
	awk '/^Benchmark/ { n[$1]++; v[$1, n[$1]] = $3 }
		END { for (k in n) { m = n[k]; for (i = 1; i <= m; i++) a[i] = v[k, i];
			for (i = 1; i <= m; i++) for (j = i + 1; j <= m; j++) if (a[j] < a[i]) { t = a[i]; a[i] = a[j]; a[j] = t }
			med = (m % 2) ? a[(m + 1) / 2] : (a[m / 2] + a[m / 2 + 1]) / 2;
			printf "%-45s median %10.2f ms of %d\n", k, med / 1e6, m } }' "$OUT/go-bench.txt" | sort | tee "$OUT/go-bench-medians.txt"
	if [ "${PROFILE:-0}" = 1 ]; then
		go tool pprof -top -nodecount 25 "$OUT/btyd.test" "$OUT/million.prof" 2>/dev/null | tail -n +6
	fi
fi

if [ "${SKIP_STORE:-0}" != 1 ]; then
	echo "## end to end from the store; load $(load)"
	store=${STORE:-}
	args=(--paths "$PATHS" --source "$SOURCE" --new-orders "$NEW_ORDERS" --repeat "$REPEAT" --refresh-repeat "$REPEAT" --json "$OUT/store.json")
	[ -n "$store" ] && args+=(--data "$store")
	[ "${PROFILE:-0}" = 1 ] && args+=(--cpuprofile "$OUT/store.prof")
	"$OUT/predict-bench" "${args[@]}" | tee "$OUT/store.txt"
	if [ "${PROFILE:-0}" = 1 ]; then
		go tool pprof -top -nodecount 25 "$OUT/predict-bench" "$OUT/store.prof" 2>/dev/null | tail -n +6
	fi
fi

if [ "${SKIP_PYTHON:-0}" != 1 ] && [ -n "${LIFETIMES_PATH:-}" ]; then
	echo "## lifetimes; load $(load)"
	LIFETIMES_PATH=$LIFETIMES_PATH /usr/bin/python3 "$ROOT/bench/predict/lifetimes_bench.py" --cdnow "$CDNOW" --data "$OUT" \
		--repeat 5 --repeat-million "$REPEAT_MILLION" --out "$OUT/lifetimes.json" | tee "$OUT/lifetimes.txt"
	echo "load after: $(load)"
elif [ "${SKIP_PYTHON:-0}" != 1 ]; then
	echo "## lifetimes skipped: set LIFETIMES_PATH (see the header)"
fi
echo "results in $OUT"
