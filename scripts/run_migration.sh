#!/usr/bin/env bash
# The legacy data migration in one go (docs/migration.md): check, run,
# verify, then the final report; stops at the first step that fails.
#
#   scripts/run_migration.sh --source mysql://USER:PASS@HOST:PORT/DB \
#       --target postgresql://... [--log FILE]
#
# --source and --target default to BILLING_LEGACY_URL and
# BILLING_DATABASE_URL. billing-migrate is taken from BILLING_MIGRATE, or
# build/migrate/billing-migrate, or the PATH. Exit status: 0 migrated and
# verified, 1 a step failed (verify: a difference the quarantine does not
# explain), 2 usage error. Undo with: billing-migrate rollback --target URL
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
source=${BILLING_LEGACY_URL:-}
target=${BILLING_DATABASE_URL:-}
log=""
while [ $# -gt 0 ]; do
	case "$1" in
	--source) source=${2:?--source needs a URL}; shift 2 ;;
	--target) target=${2:?--target needs a URL}; shift 2 ;;
	--log) log=${2:?--log needs a file}; shift 2 ;;
	-h|--help) sed -n '2,13p' "$0"; exit 0 ;;
	*) echo "run_migration.sh: unknown argument $1" >&2; exit 2 ;;
	esac
done
if [ -z "$source" ] || [ -z "$target" ]; then
	echo "run_migration.sh: --source and --target are required" >&2
	exit 2
fi
bin=${BILLING_MIGRATE:-$root/build/migrate/billing-migrate}
[ -x "$bin" ] || bin=$(command -v billing-migrate || true)
if [ -z "$bin" ]; then
	echo "run_migration.sh: billing-migrate not found (build it first)" >&2
	exit 2
fi
[ -n "$log" ] || log=$(mktemp)
: >"$log"

step() {
	local name=$1 start end rc
	shift
	printf '=== %s\n' "$name" | tee -a "$log"
	start=$(date +%s%N)
	set +e
	"$bin" "$name" --source "$source" --target "$target" "$@" 2>&1 |
	    tee -a "$log"
	rc=${PIPESTATUS[0]}
	set -e
	end=$(date +%s%N)
	printf '=== %s: exit %d, %d ms\n' "$name" "$rc" \
	    $(((end - start) / 1000000)) | tee -a "$log"
	if [ "$rc" -ne 0 ]; then
		echo "run_migration.sh: $name failed; nothing more done" \
		    "(log: $log)" >&2
		exit 1
	fi
}

step check
step run
step verify

echo
echo "== final report"
grep -E '^(table|api_keys|plans|users|subscriptions|invoices|invoice_items|payments|invoice_sequences|total) ' "$log" | tail -n 9
grep -E '^(migrated|verify:|already)' "$log" || true
grep -E '^(invoice totals|successful payments|user balances)' "$log" || true
echo "quarantined rows: billing_migrate.quarantine; changed values:" \
    "billing_migrate.flags (in the target); log: $log"
