#!/usr/bin/env bash
# Builds the release flavour and prints the benchmark figures (nothing is asserted).
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/build.sh release >/dev/null
echo "== MD5 (in-process): one stream, lanes, threads sharing lanes"
build/release/bench/md5_bench
echo "== local store (in-process)"
build/release/bench/store_bench
echo "== Gen2 emulator over HTTP (own client, Shared Key)"
build/release/bench/gen2_emulator_bench
echo "== Gen1 emulator over HTTP (own client, bearer token)"
build/release/bench/gen1_emulator_bench
echo "== Migration: Gen1 emulator -> Gen2 emulator, and a local directory -> Gen2 beside AzCopy"
/usr/bin/python3 bench/migrate_bench.py --build build/release
echo "== Gen1 compatibility gateway after a complete migration, against direct Gen2"
/usr/bin/python3 bench/gateway_bench.py --build build/release
