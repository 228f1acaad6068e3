#!/usr/bin/env bash
# Fails when a hand-written C file differs from .clang-format's layout.
# Generated code (gen/billing*) is excluded; gen/stubgen is checked. FIX=1 rewrites the files instead.
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
files=$(git ls-files '*.c' '*.h' | grep -v -E '^gen/(billing/|billing_)')
if [ "${FIX:-0}" = "1" ]; then
	clang-format -i $files
	exit 0
fi
clang-format --dry-run --Werror $files
echo "format ok"
