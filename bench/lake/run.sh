#!/usr/bin/env bash
# The lake loading benchmark (bench/lake/README.md): builds lagoa_lake_bench if needed and runs it
# once. Everything it writes is in one work directory that the program empties first and removes
# when it ends.
#
# Settings (environment):
#   BUILD_DIR          default build/release (RelWithDebInfo, as `make` builds it)
#   LAKE_BENCH_BIN     the binary (default: $BUILD_DIR/bench/lagoa_lake_bench)
#   BENCH_TMPDIR       parent of the work directory; must be on the disk under test (${TMPDIR:-/tmp})
#   LAKE_BENCH_ARGS    more flags, e.g. "--events 1000000 --skip-snapshot" (see --help)
set -euo pipefail

repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
build_dir=${BUILD_DIR:-build/release}
[[ $build_dir = /* ]] || build_dir=$repo/$build_dir
bin=${LAKE_BENCH_BIN:-$build_dir/bench/lagoa_lake_bench}
work=${BENCH_TMPDIR:-${TMPDIR:-/tmp}}/lagoa-lake-bench-$$

if [[ ! -x $bin ]]; then
  cmake --build "$build_dir" -j "$(nproc)" --target lagoa_lake_bench
fi
echo "uptime: $(uptime)"
# shellcheck disable=SC2086  # LAKE_BENCH_ARGS is a list of flags
"$bin" --dir "$work" ${LAKE_BENCH_ARGS:-}
echo "uptime: $(uptime)"
