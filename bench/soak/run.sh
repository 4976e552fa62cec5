#!/usr/bin/env bash
# The one-hour soak (bench/soak/soak.py): builds the release binaries, then runs it. Arguments go to
# soak.py (--minutes 10 for a short try). Run it on a quiet machine: it measures the peak first.
set -euo pipefail
cd "$(dirname "$0")/../.."
BUILD_DIR=${BUILD_DIR:-build/release}
cmake --build "$BUILD_DIR" --target lagoa lagoa_load_generator
exec python3 bench/soak/soak.py --lagoa "$BUILD_DIR/src/cli/lagoa" --generator "$BUILD_DIR/bench/lagoa_load_generator" "$@"
