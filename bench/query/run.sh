#!/usr/bin/env bash
# The query benchmark (bench/query/README.md): builds lagoa and the benchmark's two programs if
# needed, then runs query_bench.py once — a fresh lagoa server and a fresh PostgreSQL 15, both
# loaded with the same generated events, the same queries timed on lagoa, DuckDB alone and
# PostgreSQL, then ack→visibility latency and pgbench. Everything it writes is in one work
# directory that is removed when it ends (BENCH_KEEP=1 keeps it).
#
# Settings (environment):
#   BUILD_DIR          default build/release (RelWithDebInfo, as `make` builds it)
#   BENCH_TMPDIR       parent of the work directory (${TMPDIR:-/tmp}); needs ~40 GB free for 50 M events
#   QUERY_BENCH_ARGS   more flags, e.g. "--quick" (2 M events) or "--events 10000000 --pg-repeats 1"
#                      (see bench/query/query_bench.py --help)
set -euo pipefail

repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
build_dir=${BUILD_DIR:-build/release}
[[ $build_dir = /* ]] || build_dir=$repo/$build_dir
lagoa=$build_dir/src/cli/lagoa
datagen=$build_dir/bench/query/lagoa_query_datagen
duckdb=$build_dir/bench/query/lagoa_query_duckdb
work=${BENCH_TMPDIR:-${TMPDIR:-/tmp}}/lagoa-query-bench-$$

for tool in psql pgbench runuser; do
  command -v "$tool" >/dev/null || { echo "run.sh: needs $tool (scripts/bootstrap installs PostgreSQL 15)" >&2; exit 1; }
done
if [[ ! -x $lagoa || ! -x $datagen || ! -x $duckdb ]]; then
  cmake --build "$build_dir" -j "$(nproc)" --target lagoa lagoa_query_datagen lagoa_query_duckdb
fi
echo "machine:  $(nproc) × $(awk -F': ' '/^model name/ {print $2; exit}' /proc/cpuinfo), $(awk '/^MemTotal:/ {printf "%.1f GiB", $2 / 1048576}' /proc/meminfo), $(uname -sr)"
echo "commit:   $(git -C "$repo" rev-parse --short HEAD)$(git -C "$repo" diff --quiet -- src 2>/dev/null || echo ' (src/ has uncommitted changes)')"
echo "disk:     $(df -h "${BENCH_TMPDIR:-${TMPDIR:-/tmp}}" | awk 'NR == 2 {print $4 " free on " $1}')"
echo "uptime:   $(uptime)"
keep=()
[[ ${BENCH_KEEP:-0} = 1 ]] && keep=(--keep)
# shellcheck disable=SC2086  # QUERY_BENCH_ARGS is a list of flags
python3 "$repo/bench/query/query_bench.py" --lagoa "$lagoa" --datagen "$datagen" --duckdb "$duckdb" \
  --work "$work" "${keep[@]}" ${QUERY_BENCH_ARGS:-}
echo "uptime:   $(uptime)"
