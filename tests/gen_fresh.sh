#!/bin/sh
# Fails when the committed gen/ differs from what proto/ generates now:
# someone changed a .proto file (or stubgen) without running
# `cmake --build build --target regen`.
set -eu

root=$(cd "$(dirname "$0")/.." && pwd)
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

"$root/gen/regen.sh" "$tmp/gen"
if ! diff -ru -x regen.sh -x stubgen "$root/gen" "$tmp/gen"; then
	echo "gen/ is stale: run 'cmake --build build --target regen' and commit" >&2
	exit 1
fi
echo "gen/ is up to date"
