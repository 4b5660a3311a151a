#!/usr/bin/env bash
# Installs AzCopy (the npm package @azure-tools/azcopy-linux, which ships the Linux binary) for the AzCopy
# integration test, without root: into ${XDG_DATA_HOME:-~/.local/share}/lakeshift/azcopy-<version>, with a
# stable link at .../lakeshift/bin/azcopy (tests/CMakeLists.txt passes that path to the test).
# Idempotent: does nothing when that version is installed. Needs npm and Debian's libsecret-1-0.
set -euo pipefail

version=10.32.2
root="${XDG_DATA_HOME:-$HOME/.local/share}/lakeshift"
prefix="$root/azcopy-$version"
link="$root/bin/azcopy"

if [ -x "$link" ] && "$link" --version 2>/dev/null | grep -q "azcopy version $version"; then
  echo "setup: AzCopy $version is installed ($link)"
  exit 0
fi

if ! command -v npm >/dev/null 2>&1; then
  echo "setup: npm is missing, so AzCopy cannot be installed; run scripts/setup.sh as root first" >&2
  exit 1
fi
echo "setup: installing AzCopy $version from npm into $prefix"
rm -rf "$prefix"
mkdir -p "$prefix" "$root/bin"
npm install --prefix "$prefix" --no-audit --no-fund --loglevel=error "@azure-tools/azcopy-linux@$version"
binary=$(find "$prefix/node_modules/@azure-tools/azcopy-linux" -type f -name 'azcopy_linux_*' | head -n 1)
if [ -z "$binary" ]; then
  echo "setup: the AzCopy npm package holds no azcopy_linux_* binary" >&2
  exit 1
fi
chmod +x "$binary"  # the package ships it without the execute bit
ln -sfn "$binary" "$link"
"$link" --version
