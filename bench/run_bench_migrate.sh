#!/usr/bin/env bash
# run_bench_migrate.sh: billing-migrate against pgloader on the same
# legacy source, side by side.
#
#   bench/run_bench_migrate.sh [BUILD_DIR] [--users N]... [--large]
#
# For each size (default --users 20000; --large adds 100000, which takes
# a few minutes to generate and load) it generates the legacy data with
# tests/fixtures/legacy/gen_legacy_data.py (seed 1), loads it into a
# private MariaDB (tests/harness/mariadb.sh), then on a private
# PostgreSQL (tests/harness/pg.sh):
#   - billing-migrate run into an empty database (wall time, rows/s of the
#     source rows, peak RSS by /usr/bin/time -v), then verify (time);
#   - pgloader copying the same source tables, as they are, into a
#     scratch database (wall time, rows/s).
# BUILD_DIR (default ./build) must hold migrate/billing-migrate. pgloader
# (Debian's package, 28 MB) is installed when missing. BENCH_KEEP=1 keeps
# the temporary folder.
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
root=$(dirname "$here")
harness="$root/tests/harness"
gen="$root/tests/fixtures/legacy/gen_legacy_data.py"
schema="$root/migrate/legacy_schema.sql"

args="$*"
build=./build
sizes=()
while [ $# -gt 0 ]; do
	case "$1" in
	--users) sizes+=("${2:?--users needs N}"); shift 2 ;;
	--large) sizes+=(20000 100000); shift ;;
	-h|--help) sed -n '2,19p' "$0"; exit 0 ;;
	*) build=$1; shift ;;
	esac
done
[ ${#sizes[@]} -gt 0 ] || sizes=(20000)
bin="$build/migrate/billing-migrate"
if [ ! -x "$bin" ]; then
	echo "run_bench_migrate.sh: $bin missing; build first" >&2
	exit 2
fi
if ! command -v pgloader >/dev/null; then
	echo "# installing pgloader" >&2
	SUDO=""
	[ "$(id -u)" -eq 0 ] || SUDO=sudo
	DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq \
	    --no-install-recommends pgloader >/dev/null
fi

echo "# command: $0 $args"
echo "# host: $(uname -srm), $(nproc) cores, load" \
    "$(cut -d' ' -f1-3 /proc/loadavg), $(date -u +%Y-%m-%dT%H:%M:%SZ)"
echo "# $(pgloader --version | head -n 1); $(mariadbd --version)"

tmp=$(mktemp -d)
chmod 755 "$tmp"
cleanup() {
	"$harness/mariadb.sh" stop "$tmp/my" >/dev/null 2>&1 || true
	"$harness/pg.sh" stop "$tmp/pg" >/dev/null 2>&1 || true
	[ "${BENCH_KEEP:-0}" = 1 ] || rm -rf "$tmp"
}
trap cleanup EXIT

myport=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
pgport=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
"$harness/mariadb.sh" start "$tmp/my" "$myport" >/dev/null
"$harness/pg.sh" start "$tmp/pg" "$pgport" >/dev/null


seconds() { echo "$1" | awk -F: '{ s = 0; for (i = 1; i <= NF; i++) s = s * 60 + $i; print s }'; }

printf '\n%-8s %10s | %-34s | %-22s | %s\n' users "rows" \
    "billing-migrate run (rows/s, RSS)" "pgloader (rows/s)" \
    "verify"
results=()
for n in "${sizes[@]}"; do
	dump="$tmp/legacy_$n.sql"
	t0=$(date +%s)
	python3 "$gen" --users "$n" --seed 1 --quiet \
	    --summary "$tmp/summary_$n.json" >"$dump"
	"$harness/mariadb.sh" load "$tmp/my" "$schema" "$dump"
	rm -f "$dump"
	# pgloader speaks TCP: a password user for it.
	for h in localhost 127.0.0.1 %; do
		"$harness/mariadb.sh" sql "$tmp/my" -e "CREATE USER IF NOT EXISTS
		    bench@'$h' IDENTIFIED BY 'bench';
		    GRANT ALL ON *.* TO bench@'$h'"
	done
	echo "# $n users: generated and loaded in $(($(date +%s) - t0)) s" >&2
	src="mysql://root@localhost/billing?socket=$tmp/my/mysql.sock"
	rows=$(python3 -c "import json, sys; print(sum(json.load(open(sys.argv[1]))['rows'].values()))" "$tmp/summary_$n.json")

	db=$("$harness/pg.sh" createdb "$tmp/pg" "target_$n")
	/usr/bin/time -v "$bin" run --no-progress --source "$src" \
	    --target "$db" >"$tmp/run_$n.out" 2>"$tmp/run_$n.err" ||
	    { cat "$tmp/run_$n.err" >&2; exit 1; }
	run_s=$(seconds "$(sed -n 's/.*Elapsed (wall clock) time (h:mm:ss or m:ss): //p' "$tmp/run_$n.err")")
	rss=$(sed -n 's/.*Maximum resident set size (kbytes): //p' "$tmp/run_$n.err")
	t0=$(date +%s%N)
	"$bin" verify --no-progress --source "$src" --target "$db" \
	    >"$tmp/verify_$n.out" 2>&1 ||
	    { cat "$tmp/verify_$n.out" >&2; exit 1; }
	verify_s=$(echo "$(date +%s%N) $t0" | awk '{ printf "%.2f", ($1 - $2) / 1e9 }')

	scratch="postgresql://postgres@127.0.0.1:$pgport/scratch_$n"
	"$harness/pg.sh" createdb "$tmp/pg" "scratch_$n" >/dev/null
	t0=$(date +%s%N)
	pgloader --no-ssl-cert-verification \
	    "mysql://bench:bench@127.0.0.1:$myport/billing" "$scratch" \
	    >"$tmp/pgloader_$n.out" 2>&1 ||
	    { tail -n 30 "$tmp/pgloader_$n.out" >&2; exit 1; }
	pgl_s=$(echo "$(date +%s%N) $t0" | awk '{ printf "%.2f", ($1 - $2) / 1e9 }')
	# pgloader exits 0 after errors: count what arrived.
	pgl_rows=$(psql -XAtq "$scratch" -c "SELECT
	    (SELECT count(*) FROM billing.api_keys) +
	    (SELECT count(*) FROM billing.plans) +
	    (SELECT count(*) FROM billing.users) +
	    (SELECT count(*) FROM billing.subscriptions) +
	    (SELECT count(*) FROM billing.invoices) +
	    (SELECT count(*) FROM billing.invoice_items) +
	    (SELECT count(*) FROM billing.payments) +
	    (SELECT count(*) FROM billing.invoice_sequences)" 2>/dev/null ||
	    echo 0)
	if [ "$pgl_rows" != "$rows" ]; then
		echo "pgloader copied $pgl_rows of $rows rows:" >&2
		grep -E 'ERROR|WARNING' "$tmp/pgloader_$n.out" | head >&2
		exit 1
	fi
	line=$(printf '%-8s %10s | %6.2f s %9.0f rows/s %6d MB | %6.2f s %9.0f rows/s | %.2f s' \
	    "$n" "$rows" "$run_s" "$(echo "$rows $run_s" | awk '{ print $1 / $2 }')" \
	    $((rss / 1024)) "$pgl_s" "$(echo "$rows $pgl_s" | awk '{ print $1 / $2 }')" \
	    "$verify_s")
	echo "$line"
	echo "#   billing-migrate: $(tail -n 1 "$tmp/run_$n.out"); verify:" \
	    "$(grep '^verify:' "$tmp/verify_$n.out")"
	echo "#   pgloader: $pgl_rows rows in the scratch database;" \
	    "$(grep -E 'Total import time' "$tmp/pgloader_$n.out" | tr -s ' ' | head -n 1)"
done
