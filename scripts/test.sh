#!/usr/bin/env bash
# Runs the whole test suite, as CI does (.ci/run calls this):
#   1. installs missing Debian packages (PostgreSQL included),
#   2. builds and runs every ctest test (unit, integration, end-to-end,
#      the gen/ freshness check),
#   3. the same under AddressSanitizer + UBSan,
#   4. a Release build (-O3: gcc warns about more there; the benchmarks
#      build so), compiled only,
#   5. the libFuzzer targets: their corpora, then FUZZ_SECONDS each,
#   6. the clang-format check.
# QUICK=1 runs step 2 only. Integration tests start their own PostgreSQL
# clusters; none of them is skipped.
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
jobs=$(nproc)
fuzz_seconds=${FUZZ_SECONDS:-60}

step() { printf '\n=== %s\n' "$*"; }

step "dependencies"
"$root/scripts/install-deps.sh"

step "build and test"
"$root/scripts/build.sh" "$root/build"
(cd "$root/build" && ctest -j"$jobs" --output-on-failure)

[ "${QUICK:-0}" = "1" ] && exit 0

step "build and test with ASan + UBSan"
export ASAN_OPTIONS=detect_leaks=1:abort_on_error=1
export UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1
BUILD_TYPE=Debug "$root/scripts/build.sh" "$root/build-asan" -DBILLING_SANITIZE=ON
(cd "$root/build-asan" && ctest -j"$jobs" --output-on-failure)

step "Release build (-O3, warnings are errors)"
BUILD_TYPE=Release "$root/scripts/build.sh" "$root/build-release"

step "fuzz targets (corpus, then ${fuzz_seconds}s each)"
CC=clang cmake -S "$root" -B "$root/build-fuzz" -DCMAKE_BUILD_TYPE=Debug \
    -DBILLING_FUZZ=ON >/dev/null
cmake --build "$root/build-fuzz" -j"$jobs" --target fuzz_envelope fuzz_pbjson \
    fuzz_params fuzz_legacy fuzz_rollout
(cd "$root/build-fuzz" && ctest -L fuzz --output-on-failure)
for f in fuzz_envelope fuzz_pbjson fuzz_params fuzz_legacy fuzz_rollout; do
	work=$(mktemp -d)
	cp "$root/tests/fuzz/corpus/${f#fuzz_}"/* "$work/"
	"$root/build-fuzz/tests/fuzz/$f" -max_total_time="$fuzz_seconds" \
	    -max_len=65536 -print_final_stats=1 "$work" 2>&1 | tail -n 12
	rm -rf "$work"
done

step "format"
"$root/scripts/check-format.sh"

step "all tests passed"
