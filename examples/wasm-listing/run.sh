#!/usr/bin/env bash
# Builds the core's listing for wasm32-unknown-unknown, checks that the module imports nothing,
# starts the emulator on loopback (120 apps; its 2nd answer is a 503), and lists every app from
# JavaScript (Node's fetch and setTimeout). Needs the Rust toolchain and Node 18 or newer.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
root="$(cd "$here/../.." && pwd)"
cd "$root"
target_dir="${CARGO_TARGET_DIR:-$root/target}"

if command -v rustup >/dev/null; then rustup target add wasm32-unknown-unknown >/dev/null 2>&1 || true; fi
cargo build --quiet --release --target wasm32-unknown-unknown -p twilio-connect-apps-wasm-listing
cargo build --quiet -p twilio-connect-apps-testbed --bin twilio-emulator
module="$target_dir/wasm32-unknown-unknown/release/twilio_connect_apps_wasm_listing.wasm"
node "$root/scripts/wasm-imports.mjs" "$module"

work="$(mktemp -d)"
"$target_dir/debug/twilio-emulator" --port 0 --apps 120 --no-gzip --fault nth=2:status=503 \
  >"$work/env" 2>"$work/log" &
emulator=$!
trap 'kill $emulator 2>/dev/null || true; wait $emulator 2>/dev/null || true; rm -rf "$work"' EXIT
for _ in $(seq 1 200); do
  grep -q '^TWILIO_AUTH_TOKEN=' "$work/env" 2>/dev/null && break
  sleep 0.05
done
set -a
# shellcheck disable=SC1091
. "$work/env"
set +a
EXPECT_APPS=120 EXPECT_503=1 node "$here/run.mjs" "$module"
