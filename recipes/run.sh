#!/usr/bin/env bash
# Runs the recipes: twilio-python (pytest) and twilio-node (node's test runner) against a
# twilio-emulator built from this repository. Needs cargo, python3 (with venv or pip) and
# node >= 20 with npm; the packages install from PyPI and npm at the pinned versions.
#
#   bash recipes/run.sh            # both
#   bash recipes/run.sh python     # one of them
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
root="$(dirname "$here")"
which=("${@:-python node}")
which=(${which[*]})
work="$root/target/recipes"
mkdir -p "$work"

cargo build -q --manifest-path "$root/Cargo.toml" --bin twilio-emulator
emulator="$root/target/debug/twilio-emulator"
env_file="$(mktemp "$work/emulator.XXXXXX.env")"
"$emulator" --port 0 --apps 120 --oauth-client recipe-client:recipe-secret \
  > "$env_file" 2> "$work/emulator.log" &
emu_pid=$!
trap 'kill "$emu_pid" 2>/dev/null || true; rm -f "$env_file"' EXIT
for _ in $(seq 100); do
  grep -q '^TWILIO_OAUTH_BASE_URL=' "$env_file" && break
  sleep 0.1
done
set -a; . "$env_file"; set +a

for recipe in "${which[@]}"; do
  case "$recipe" in
    python)
      venv="$work/venv"
      if [ ! -x "$venv/bin/python" ]; then
        python3 -m venv "$venv" 2>/dev/null || { rm -rf "$venv"; python3 -m pip install -q --user virtualenv && python3 -m virtualenv -q "$venv"; }
      fi
      "$venv/bin/python" -m pip install -q --disable-pip-version-check -r "$here/python/requirements.txt"
      (cd "$here/python" && "$venv/bin/python" -m pytest -q -p no:cacheprovider)
      ;;
    node)
      (cd "$here/node" && npm ci --silent --no-audit --no-fund && node --test)
      ;;
    *) echo "unknown recipe: $recipe (python, node)" >&2; exit 2 ;;
  esac
done
