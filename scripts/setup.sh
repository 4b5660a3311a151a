#!/usr/bin/env bash
# Installs every Debian 12 package that lakeshift needs to build and test, and AzCopy (for the AzCopy
# integration test) from npm into a user directory. Idempotent: when everything is already installed it
# touches nothing; otherwise one `apt-get update`, then one `apt-get install`, and one `npm install`.
# The Debian part runs as root, or through sudo; AzCopy needs neither.
set -euo pipefail
cd "$(dirname "$0")/.."

PACKAGES=(
  build-essential g++ cmake ninja-build pkg-config git ca-certificates procps
  libboost1.81-dev libcurl4-openssl-dev libssl-dev libsqlite3-dev libpq-dev libtcmalloc-minimal4
  nlohmann-json3-dev libcli11-dev libgtest-dev libgmock-dev
  clang-format clang-tidy python3
  python3-pytest python3-azure python3-azure-datalake-store python3-yaml openssl
  libsecret-1-0
)
# npm fetches AzCopy; a Node.js that brings its own npm is fine, else Debian's.
if ! command -v npm >/dev/null 2>&1; then PACKAGES+=(nodejs npm); fi

missing=()
for package in "${PACKAGES[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$package")
  fi
done

if [ ${#missing[@]} -eq 0 ]; then
  echo "setup: all ${#PACKAGES[@]} packages are installed"
else
  if [ "$(id -u)" -eq 0 ]; then
    as_root=()
  elif command -v sudo >/dev/null 2>&1; then
    as_root=(sudo)
  else
    echo "setup: missing packages (${missing[*]}); run this script as root or install sudo" >&2
    exit 1
  fi
  echo "setup: installing ${missing[*]}"
  "${as_root[@]}" apt-get update
  DEBIAN_FRONTEND=noninteractive "${as_root[@]}" apt-get install -y --no-install-recommends "${missing[@]}"
fi

scripts/install-azcopy.sh
