#!/usr/bin/env bash
# The darkroom demo: one local instance over a shared folder under demo/, a channel "demo" whose
# hotfolder receives the photos of demo-assets/, then `darkroom start` in the foreground
# (Ctrl-C drains and stops it). Re-runnable: an existing demo/ and its conf are reused.
set -euo pipefail

repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$repo"
demo="$repo/demo"
conf="$demo/ClaroServers.conf"
shared="$demo/shared"
hot="$shared/hotfolders/demo"
darkroom() { node "$repo/bin/darkroom.js" "$@"; }

mkdir -p "$demo" "$shared"
if [[ ! -f "$conf" ]]; then
  darkroom conf init --out "$conf" --shared "$shared" --server "demo@127.0.0.1:7900:7901"
  # A short file-ready delay and a quick rescan keep the demo snappy.
  printf 'hotfolderRescanMs = 1000\ndrainTimeoutMs = 10000\n' >>"$conf"
else
  echo "reusing $conf"
fi

if darkroom channel show demo --conf "$conf" >/dev/null 2>&1; then
  echo "channel demo exists"
else
  darkroom channel add demo --conf "$conf" --type process \
    --input "$hot/in" --output "$hot/out" --bad "$hot/bad" --originals "$hot/originals" \
    --set fileReadyDelayMs=1000
fi

mkdir -p "$hot/in"
for f in "$repo"/demo-assets/*.jpg; do
  cp "$f" "$hot/in/"
done
echo "copied $(ls "$repo"/demo-assets/*.jpg | wc -l) photos into $hot/in"
echo "outputs appear in $hot/out, originals in $hot/originals; Ctrl-C stops darkroom"
echo "in another terminal: node bin/darkroom.js jobs --conf $conf"
exec node "$repo/bin/darkroom.js" start --conf "$conf" --id demo
