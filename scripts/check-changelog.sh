#!/usr/bin/env bash
# Every published crate's version has its section in CHANGELOG.md (`## [X.Y.Z] - YYYY-MM-DD`,
# Keep a Changelog) and its link at the bottom, so a version bump cannot land without one.
set -euo pipefail
cd "$(dirname "$0")/.."
status=0
# name version, for every workspace package that is published (no `publish = false`).
packages=$(cargo metadata --no-deps --format-version 1 --locked | python3 -c '
import json, sys
for p in json.load(sys.stdin)["packages"]:
    if p["publish"] is None or p["publish"]:
        print(p["name"], p["version"])
')
[ -n "$packages" ] || { echo "check-changelog: no published package found" >&2; exit 1; }
while read -r name version; do
  if ! grep -Eq "^## \[${version//./\\.}\] - [0-9]{4}-[0-9]{2}-[0-9]{2}$" CHANGELOG.md; then
    echo "CHANGELOG.md: no section '## [$version] - YYYY-MM-DD' for $name $version: add one (Keep a Changelog) with what changed" >&2
    status=1
  elif ! grep -Eq "^\[${version//./\\.}\]: https://" CHANGELOG.md; then
    echo "CHANGELOG.md: no link '[$version]: https://…' at the bottom for $name $version" >&2
    status=1
  fi
done <<< "$packages"
[ "$status" = 0 ] && echo "CHANGELOG.md has a section for every published crate's version: $(echo "$packages" | awk '{print $2}' | sort -u | tr '\n' ' ')"
exit "$status"
