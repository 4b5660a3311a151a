#!/usr/bin/env bash
# The Quick start: installs what is missing, builds, starts the local emulators (identity provider, Gen1 and
# Gen2 accounts), seeds a sample Gen1 lake, migrates it to Gen2 with `lakeshift migrate`, checks it with
# `lakeshift verify`, and prints the report. Everything stays in build/demo; the emulators stop at the end.
set -euo pipefail
cd "$(dirname "$0")/.."

scripts/setup.sh
scripts/build.sh release
lakeshift=build/release/lakeshift
demo=build/demo
rm -rf "$demo"
mkdir -p "$demo"

"$lakeshift" emulate --data "$demo/emulators" --identity-port 0 --gen1-port 0 --gen2-port 0 >"$demo/emulators.log" 2>&1 &
emulators=$!
trap 'kill $emulators 2>/dev/null; wait $emulators 2>/dev/null || true' EXIT
for _ in $(seq 100); do [ -s "$demo/emulators/emulators.json" ] && break; sleep 0.1; done
[ -s "$demo/emulators/emulators.json" ] || { cat "$demo/emulators.log"; echo "demo: the emulators did not start" >&2; exit 1; }

# Everything needed to connect is in emulators.json: the admin principal for Gen1 (Entra client credentials
# from the local identity provider), the account key for Gen2, the certificate to trust.
eval "$(python3 - "$demo/emulators/emulators.json" <<'PY'
import json, shlex, sys
e = json.load(open(sys.argv[1]))
for k, v in {"AZURE_TENANT_ID": e["tenant_id"], "AZURE_AUTHORITY_HOST": e["identity"]["url"],
             "AZURE_CLIENT_ID": e["admin"]["client_id"], "AZURE_CLIENT_SECRET": e["admin"]["client_secret"],
             "AZURE_STORAGE_KEY": e["gen2"]["key"], "LAKESHIFT_CA_FILE": e["ca_file"],
             "GEN1": e["gen1"]["webhdfs_url"], "GEN2": e["gen2"]["url"]}.items():
    print(f"export {k}={shlex.quote(v)}")
PY
)"

run() { echo; echo "\$ $*"; "$@"; }
run "$lakeshift" demo --to "$GEN1/sample"
run "$lakeshift" migrate --from "$GEN1/sample" --to "$GEN2/gen1/sample" --journal "$demo/sample.journal" \
  --report "$demo/report.json"
run "$lakeshift" verify --from "$GEN1/sample" --to "$GEN2/gen1/sample" --journal "$demo/sample.journal"
echo
echo "The report is $demo/report.json; the journal $demo/sample.journal. Run the same migrate command again:"
echo "it copies only what changed."
