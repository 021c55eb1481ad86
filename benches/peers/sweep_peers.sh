#!/bin/sh
# The peers' 8-way sweeps beside `connect-apps --all-accounts` (default --concurrency auto), on
# one emulator: 1,000 accounts (the parent and 999 subaccounts) of 5 apps, every answer 20 ms
# late, as in `sweep_figures`. Usage, from the repository, after the release build and the
# peers' install of side_by_side.py:
#     sh benches/peers/sweep_peers.sh /tmp/peers [ROUNDS]
set -eu
peers=$1
rounds=${2:-3}
here=$(cd "$(dirname "$0")" && pwd)
release=$here/../../target/release
env_file=$(mktemp)
"$release/twilio-emulator" --port 0 --subaccounts 999 --latency 20 > "$env_file" 2>/dev/null &
emu=$!
trap 'kill $emu' EXIT
while [ "$(wc -l < "$env_file")" -lt 3 ]; do sleep 0.1; done
set -a; . "$env_file"; set +a
unset http_proxy https_proxy HTTP_PROXY HTTPS_PROXY all_proxy ALL_PROXY
for i in $(seq "$rounds"); do
    echo "round $i"
    echo "  python ThreadPoolExecutor(8): $("$peers/venv/bin/python" "$here/sweep.py")"
    echo "  node, 8 in flight:            $(NODE_PATH="$peers/node_modules" node "$here/sweep.js")"
    start=$(date +%s%N)
    n=$("$release/connect-apps" list --all-accounts --json --no-compression | wc -l)
    echo "  connect-apps --all-accounts:  $(( ($(date +%s%N) - start) / 1000000 )) ms, $n apps"
done
