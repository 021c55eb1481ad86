#!/usr/bin/env bash
# Builds the release archive of `connect-apps` for this platform:
#
#   dist/connect-apps-<version>-<target>.tar.gz
#     connect-apps-<version>-<target>/
#       bin/connect-apps                     (the release profile: fat LTO, one codegen unit, stripped)
#       share/man/man1/connect-apps*.1       (one page per subcommand)
#       share/completions/connect-apps.bash, _connect-apps (zsh), connect-apps.fish
#       LICENSE-MIT  LICENSE-APACHE  README.md
#
# `cargo binstall twilio-connect-apps-cli` finds this archive under the release tag `v<version>`
# (`[package.metadata.binstall]` in cli/Cargo.toml). The archive is reproducible from the same
# binary: entries sorted, owner 0, every mtime the commit's time, gzip without a timestamp.
# Usage: scripts/release-archive.sh [OUT_DIR]   (default: dist/)
set -euo pipefail
cd "$(dirname "$0")/.."
out_dir=${1:-dist}
target=$(rustc -vV | sed -n 's/^host: //p')
version=$(cargo pkgid -p twilio-connect-apps-cli | sed 's/.*[#@]//')
epoch=$(git log -1 --format=%ct 2>/dev/null || echo 0)

cargo build --release --locked -p twilio-connect-apps-cli --bin connect-apps
target_dir=$(cargo metadata --format-version 1 --no-deps | sed -n 's/.*"target_directory":"\([^"]*\)".*/\1/p')
bin="$target_dir/release/connect-apps"

name="connect-apps-$version-$target"
stage=$(mktemp -d)
trap 'rm -rf "$stage"' EXIT
root="$stage/$name"
mkdir -p "$root/bin" "$root/share/completions"
cp "$bin" "$root/bin/connect-apps"
"$bin" man --dir "$root/share/man/man1"
"$bin" completions bash > "$root/share/completions/connect-apps.bash"
"$bin" completions zsh > "$root/share/completions/_connect-apps"
"$bin" completions fish > "$root/share/completions/connect-apps.fish"
cp LICENSE-MIT LICENSE-APACHE "$root/"
cp cli/README.md "$root/README.md"

mkdir -p "$out_dir"
archive="$out_dir/$name.tar.gz"
tar --sort=name --mtime="@$epoch" --owner=0 --group=0 --numeric-owner -C "$stage" -cf - "$name" \
  | gzip -n -9 > "$archive"
echo "$archive: $(wc -c < "$archive") bytes; bin/connect-apps $(wc -c < "$root/bin/connect-apps") bytes"
