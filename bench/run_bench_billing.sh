#!/bin/sh
# run_bench_billing.sh: sets up a private stack and runs bench_billing on
# it.
#
#   bench/run_bench_billing.sh [BUILD_DIR] [-- BENCH_BILLING_OPTIONS...]
#
# BUILD_DIR (default ./build) must hold billing-server and
# bench/bench_billing; this script builds nothing. In a mktemp folder it
# starts a PostgreSQL cluster with tests/harness/pg.sh (unix socket only),
# creates and migrates the database "billing", starts billing-server on
# ipc:// with --test-clock (x-billing-now sets the instant) and
# --job-workers 0 (no background runs), runs bench_billing against it and
# tears everything down, whatever happens.
#
# Environment: BENCH_WORKERS (server --workers, default 8),
# BENCH_RUN_BATCH (server --run-batch; unset: the server's default),
# BENCH_LOG_LEVEL (server --log-level, default warn), BENCH_KEEP=1 keeps
# the folder and its logs.
set -eu

here=$(cd "$(dirname "$0")" && pwd)
root=$(dirname "$here")
pg="$root/tests/harness/pg.sh"

echo "# command: $0 $*"
echo "# host: $(uname -srm), $(nproc) cores," \
    "load $(cut -d' ' -f1-3 /proc/loadavg), $(date -u +%Y-%m-%dT%H:%M:%SZ)"

build=./build
if [ $# -gt 0 ] && [ "$1" != "--" ]; then
	build=$1
	shift
fi
[ $# -eq 0 ] || [ "$1" != "--" ] || shift
server_bin="$build/billing-server"
bench_bin="$build/bench/bench_billing"
for f in "$server_bin" "$bench_bin"; do
	if [ ! -x "$f" ]; then
		echo "run_bench_billing.sh: $f missing; build first:" >&2
		echo "  cmake -S $root -B $build && cmake --build $build" >&2
		exit 2
	fi
done
workers=${BENCH_WORKERS:-8}
level=${BENCH_LOG_LEVEL:-warn}
batch=${BENCH_RUN_BATCH:-}

tmp=$(mktemp -d /tmp/bench_billing.XXXXXX)
# As root, pg.sh runs PostgreSQL as postgres, which must reach $tmp/pg.
chmod 755 "$tmp"
server_pid=
# shellcheck disable=SC2317 # reached through the traps
cleanup() {
	rc=$?
	trap - EXIT
	trap '' HUP INT PIPE TERM
	if [ -n "$server_pid" ]; then
		kill -TERM "$server_pid" 2>/dev/null || true
		wait "$server_pid" 2>/dev/null || true
	fi
	"$pg" stop "$tmp/pg" >/dev/null 2>&1 || true
	if [ "${BENCH_KEEP:-0}" = 1 ]; then
		echo "# kept $tmp" >&2
	else
		rm -rf "$tmp"
	fi
	exit "$rc"
}
trap cleanup EXIT
trap 'exit 129' HUP
trap 'exit 130' INT
trap 'exit 141' PIPE
trap 'exit 143' TERM

"$pg" start "$tmp/pg" >/dev/null
db=$("$pg" createdb "$tmp/pg" billing)
"$server_bin" migrate --database-url "$db" 2>"$tmp/migrate.log" ||
    { cat "$tmp/migrate.log" >&2; exit 1; }

sock="$tmp/billing.sock"
server_opts="--test-clock --job-workers 0 --workers $workers"
server_opts="$server_opts --log-level $level${batch:+ --run-batch $batch}"
# shellcheck disable=SC2086 # server_opts holds words without blanks
"$server_bin" --database-url "$db" --listen "ipc://$sock" $server_opts \
    2>"$tmp/server.log" &
server_pid=$!
i=0
while [ ! -S "$sock" ]; do
	i=$((i + 1))
	if [ $i -gt 200 ] || ! kill -0 "$server_pid" 2>/dev/null; then
		echo "run_bench_billing.sh: billing-server did not start:" >&2
		cat "$tmp/server.log" >&2
		exit 1
	fi
	sleep 0.05
done

echo "# PostgreSQL $(psql -X -tA "$db" -c 'SHOW server_version'): $db"
shown=$server_opts
[ -n "$batch" ] || shown="$shown (--run-batch: the server's default)"
echo "# billing-server pid $server_pid: $shown, stderr to a file"
set -- "$bench_bin" --db "$db" --server "ipc://$sock" \
    --server-pid "$server_pid" "$@"
echo "# running: $*"
echo
rc=0
"$@" || rc=$?

lines=$(wc -l <"$tmp/server.log")
echo
echo "# billing-server log: $lines lines at level $level and above"
[ "$lines" -eq 0 ] || tail -n 5 "$tmp/server.log" | sed 's/^/#   /'
echo "# load at the end: $(cut -d' ' -f1-3 /proc/loadavg)"
exit "$rc"
