#!/usr/bin/env bash
# Installs what is missing, builds, and runs lakeshift's main job on the local stores.
# Today: builds a sample Gen1-style lake in a local store and shows it (see README, "Status").
set -euo pipefail
cd "$(dirname "$0")/.."

scripts/setup.sh
scripts/build.sh release
build/release/lakeshift demo --data build/demo-lake
