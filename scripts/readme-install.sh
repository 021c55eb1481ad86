#!/usr/bin/env bash
# Runs the README's install lines, as written, for a new account: an empty home directory, with
# only the Rust toolchain (rustup's, from this machine) on PATH. Then `connect-apps` runs from
# ~/.cargo/bin, `man connect-apps-audit` finds its page with no MANPATH, and bash completes
# `connect-apps audit --fo` from the installed script.
# The builds reuse this checkout's target/ (so after scripts/release-archive.sh nothing is
# compiled twice); the registry cache is this machine's.
set -euo pipefail
cd "$(dirname "$0")/.."
repo=$PWD
cargo_home=${CARGO_HOME:-$HOME/.cargo}
rustup_home=${RUSTUP_HOME:-$HOME/.rustup}
target_dir=$(cargo metadata --format-version 1 --no-deps | sed -n 's/.*"target_directory":"\([^"]*\)".*/\1/p')
home=$(mktemp -d)
trap 'rm -rf "$home"' EXIT

# The block after "## Install" in README.md.
lines=$(awk '/^## Install/{f=1; next} f && /^```sh/{b=1; next} b && /^```/{exit} b' README.md)
[ -n "$lines" ] || { echo "readme-install: no install block in README.md" >&2; exit 1; }
echo "$lines" > "$home/install.sh"

# A new account: its own ~/.cargo/bin first on PATH (where cargo install puts binaries), the
# toolchain's cargo after it; the registry and toolchains are reused, not written.
env -i HOME="$home" PATH="$home/.cargo/bin:$cargo_home/bin:/usr/bin:/bin" \
  RUSTUP_HOME="$rustup_home" CARGO_HOME="$cargo_home" CARGO_INSTALL_ROOT="$home/.cargo" \
  CARGO_TARGET_DIR="$target_dir" CARGO_TERM_COLOR=never \
  bash -euo pipefail -c "cd '$repo' && source '$home/install.sh'"

export HOME="$home" PATH="$home/.cargo/bin:/usr/bin:/bin"
unset MANPATH
command -v connect-apps twilio-emulator
connect-apps --version
connect-apps list --emulator > /dev/null 2>&1
if command -v man > /dev/null; then
  page=$(man -w connect-apps-audit)
  echo "man connect-apps-audit: $page"
  case "$page" in "$home"/*) ;; *) echo "readme-install: man found $page, not the installed page" >&2; exit 1 ;; esac
fi
completions="$home/.local/share/bash-completion/completions/connect-apps"
reply=$(bash --norc -c 'source "$1"; COMP_WORDS=(connect-apps audit --fo); COMP_CWORD=2;
  COMP_LINE="connect-apps audit --fo"; COMP_POINT=${#COMP_LINE}; _connect__apps connect-apps --fo audit;
  echo "${COMPREPLY[*]}"' _ "$completions")
[ "$reply" = "--format" ] || { echo "readme-install: bash completes 'connect-apps audit --fo' as '$reply'" >&2; exit 1; }
echo "README install lines: ran in an empty home; man and bash completion find what they installed"
