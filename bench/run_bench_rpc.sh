#!/bin/sh
# run_bench_rpc.sh: sets up a private stack and runs bench_rpc on it.
#
#   bench/run_bench_rpc.sh [BUILD_DIR] [-- BENCH_RPC_OPTIONS...]
#
# BUILD_DIR (default ./build) must hold billing-server and bench/bench_rpc;
# this script builds nothing. In a mktemp folder it starts a PostgreSQL
# cluster with tests/harness/pg.sh (unix socket, and 127.0.0.1 on a free
# port), creates and migrates the database "billing", inserts one plan,
# starts billing-server on ipc:// and tcp://127.0.0.1, runs bench_rpc
# against all of it and tears everything down, whatever happens.
#
# Environment: BENCH_WORKERS (server --workers, default 8),
# BENCH_LOG_LEVEL (server --log-level, default warn: at info the server
# writes one line per call), BENCH_KEEP=1 keeps the folder and its logs.
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
bench_bin="$build/bench/bench_rpc"
for f in "$server_bin" "$bench_bin"; do
	if [ ! -x "$f" ]; then
		echo "run_bench_rpc.sh: $f missing; build first:" >&2
		echo "  cmake -S $root -B $build && cmake --build $build" >&2
		exit 2
	fi
done
workers=${BENCH_WORKERS:-8}
level=${BENCH_LOG_LEVEL:-warn}

tmp=$(mktemp -d /tmp/bench_rpc.XXXXXX)
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

# A TCP port nobody listens on (from /proc/net/tcp, no extra tools).
listening() {
	awk -v p="$(printf '%04X' "$1")" \
	    'NR > 1 && $4 == "0A" { split($2, a, ":"); if (a[2] == p) f = 1 }
	     END { exit !f }' /proc/net/tcp /proc/net/tcp6 2>/dev/null
}
free_port() {
	p=$(( ($$ + $1) % 20000 + 30000 ))
	while listening "$p"; do
		p=$((p + 1))
	done
	echo "$p"
}
pg_port=$(free_port 0)
srv_port=$(free_port 1)
[ "$srv_port" != "$pg_port" ] || srv_port=$((pg_port + 1))

"$pg" start "$tmp/pg" "$pg_port" >/dev/null
db=$("$pg" createdb "$tmp/pg" billing)
db_tcp="postgresql://postgres@127.0.0.1:$pg_port/billing"
"$server_bin" migrate --database-url "$db" 2>"$tmp/migrate.log" ||
    { cat "$tmp/migrate.log" >&2; exit 1; }
plan_id=$(psql -X -q -tA -v ON_ERROR_STOP=1 "$db" -c \
    "INSERT INTO plans (code, name, price_minor, currency, billing_cycle,
         trial_days, created_at)
     VALUES ('bench-pro-monthly', 'Bench Pro (monthly)', 4900, 'EUR',
         'monthly', 14, now())
     RETURNING id" | head -n 1)

sock="$tmp/billing.sock"
"$server_bin" --database-url "$db" --workers "$workers" \
    --listen "ipc://$sock" --listen "tcp://127.0.0.1:$srv_port" \
    --log-level "$level" 2>"$tmp/server.log" &
server_pid=$!
i=0
while [ ! -S "$sock" ] || ! listening "$srv_port"; do
	i=$((i + 1))
	if [ $i -gt 200 ] || ! kill -0 "$server_pid" 2>/dev/null; then
		echo "run_bench_rpc.sh: billing-server did not start:" >&2
		cat "$tmp/server.log" >&2
		exit 1
	fi
	sleep 0.05
done

echo "# PostgreSQL $(psql -X -tA "$db" -c 'SHOW server_version'):" \
    "$db (and $db_tcp)"
echo "# billing-server pid $server_pid: --workers $workers" \
    "--log-level $level, stderr to a file"
echo "#   (at --log-level info it writes one log line per call to stderr)"
set -- "$bench_bin" --pg-url "$db" --pg-tcp-url "$db_tcp" \
    --plan-id "$plan_id" --server-ipc "ipc://$sock" \
    --server-tcp "tcp://127.0.0.1:$srv_port" --server-pid "$server_pid" \
    --server-workers "$workers" --echo-ipc "ipc://$tmp/echo.sock" \
    --echo-workers "$workers" "$@"
echo "# running: $*"
echo
rc=0
"$@" || rc=$?

lines=$(wc -l <"$tmp/server.log")
echo
echo "# billing-server log: $lines lines at level $level and above"
[ "$lines" -eq 0 ] || tail -n 5 "$tmp/server.log" | sed 's/^/#   /'
exit "$rc"
