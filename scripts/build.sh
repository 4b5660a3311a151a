#!/usr/bin/env bash
# Configures and builds lakeshift. Usage: scripts/build.sh [release|asan]   (default: release)
#   release -> build/release (optimised), asan -> build/asan (AddressSanitizer + UndefinedBehaviorSanitizer; the
#   unit tests only, which is what scripts/test.sh runs under the sanitizers)
set -euo pipefail
cd "$(dirname "$0")/.."

flavour="${1:-release}"
case "$flavour" in
  release) dir=build/release; flags=(-DCMAKE_BUILD_TYPE=Release) ;;
  asan) dir=build/asan
        # -O1 -g1: line numbers in sanitizer reports at a fraction of the compile time of -O2 -g (CI has 2 cores).
        flags=(-DCMAKE_BUILD_TYPE=RelWithDebInfo "-DCMAKE_CXX_FLAGS_RELWITHDEBINFO=-O1 -g1" -DLAKESHIFT_SANITIZE=ON
               -DLAKESHIFT_UNIT_TESTS_ONLY=ON) ;;
  *) echo "build: unknown flavour '$flavour' (use release or asan)" >&2; exit 2 ;;
esac

cmake -S . -B "$dir" -G Ninja "${flags[@]}" >/dev/null
cmake --build "$dir" -j "$(nproc)"
echo "build: $flavour build ready in $dir"
