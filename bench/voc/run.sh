#!/usr/bin/env bash
# bench/voc/run.sh [flags of bench/voc…] — the seller sentiment model on the
# demo seller (voc train: per-language held-out evaluation against the
# built-in model) and the time scoring takes and adds before a review is
# queryable. Run from anywhere; flags go to the Go program (see
# `go run ./bench/voc -h`): -people (50000), -months (12), -seed (1),
# -min-per-class (200), -samples (400).
#
# It prints the machine and its load first: on a shared machine the
# latency figures move with the other processes.
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
cd "$ROOT"
echo "# $(date -u +%Y-%m-%dT%H:%M:%SZ) commit $(git describe --always --dirty 2>/dev/null)" \
	"| $(nproc) cores | load $(cut -d' ' -f1-3 /proc/loadavg)"
go build -o /tmp/twbench-voc ./bench/voc
/tmp/twbench-voc "$@"
echo "# done $(date -u +%Y-%m-%dT%H:%M:%SZ) | load $(cut -d' ' -f1-3 /proc/loadavg)"
