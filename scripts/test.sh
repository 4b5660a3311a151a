#!/usr/bin/env bash
# Installs what is missing, builds, and runs the whole test suite: every test in the release build, then
# the unit tests again under AddressSanitizer + UndefinedBehaviorSanitizer. This is what CI runs.
set -euo pipefail
cd "$(dirname "$0")/.."

scripts/setup.sh
scripts/build.sh release
(cd build/release && ctest --output-on-failure --timeout 600 -j "$(nproc)")

scripts/build.sh asan
export ASAN_OPTIONS=detect_leaks=1:abort_on_error=1
export UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1
(cd build/asan && ctest --output-on-failure --timeout 900 -j "$(nproc)" -L unit)
