#!/usr/bin/env bash
# Renders the HTML timeline of a failing run and screenshots it with headless
# Chromium (installed with apt-get if missing) into docs/timeline.png.
#
#   scripts/screenshot-timeline.sh [OUT.png]
#
# The run: worker-crash, seed 1, planted bug no_offset_restore (sources replay
# from offset 0 after the restore, so the output and the later checkpoints
# are wrong). Builds with cargo (honours CARGO_TARGET_DIR).
set -euo pipefail
cd "$(dirname "$0")/.."
out=${1:-docs/timeline.png}
html=${TMPDIR:-/tmp}/ckptsim-timeline.html

cargo build --release -q
# The run fails on purpose: exit 1 means a property was violated.
status=0
cargo run --release -q -- run scenarios/worker-crash.toml --seed 1 --bug no_offset_restore \
  --timeline "$html" >/dev/null || status=$?
if [ "$status" -ne 1 ]; then
  echo "error: expected the run to fail with exit 1, got $status" >&2
  exit 1
fi

browser=$(command -v chromium || command -v chromium-browser || true)
if [ -z "$browser" ]; then
  apt-get update && apt-get install -y chromium
  browser=$(command -v chromium)
fi

mkdir -p "$(dirname "$out")"
rm -f "$out"
"$browser" --headless --no-sandbox --disable-gpu --hide-scrollbars --screenshot="$out" \
  --window-size=1600,900 "file://$html" 2>/dev/null

# A real render of the page is tens of kilobytes; a blank one is a few.
size=$(stat -c %s "$out" 2>/dev/null || echo 0)
if [ "$(head -c 4 "$out" | tail -c 3)" != "PNG" ] || [ "$size" -lt 20000 ]; then
  echo "error: $out is missing or blank ($size bytes)" >&2
  exit 1
fi
echo "wrote $out ($size bytes) from $html"
