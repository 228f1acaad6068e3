#!/usr/bin/env bash
# Brings the whole system up on this machine:
#   installs missing Debian packages, builds, starts a private PostgreSQL
#   cluster under data/pg, applies the migrations and runs billing-server
#   (the RPC server, with its job worker: the billing run every minute)
#   and billing-bridge (the legacy JSON API over HTTP).
# Runs in the foreground: Ctrl-C (or scripts/down.sh from another shell)
# stops everything. With --detach it returns once the system is up.
#
# Settings (environment): BILLING_LISTEN (default
# tcp://127.0.0.1:7070,ipc://DATA/billing.sock), BILLING_WORKERS,
# BILLING_LOG_LEVEL, BILLING_DATA_DIR (default data/).
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
data=${BILLING_DATA_DIR:-$root/data}
detach=0
[ "${1:-}" = "--detach" ] && detach=1

"$root/scripts/install-deps.sh"
"$root/scripts/build.sh" "$root/build"

mkdir -p "$data"
chmod 755 "$data" # the cluster runs as the postgres user when we are root
"$root/tests/harness/pg.sh" start "$data/pg" >/dev/null
db=$("$root/tests/harness/pg.sh" createdb "$data/pg" billing)
"$root/build/billing-server" migrate --database-url "$db"

export BILLING_DATABASE_URL=$db
export BILLING_LISTEN=${BILLING_LISTEN:-tcp://127.0.0.1:7070,ipc://$data/billing.sock}
export BILLING_SERVER=${BILLING_SERVER:-${BILLING_LISTEN%%,*}}
export BILLING_HTTP_LISTEN=${BILLING_HTTP_LISTEN:-127.0.0.1:8091}

stop() {
	"$root/scripts/down.sh"
}

cat <<MSG

billing is up.
  RPC server:  $BILLING_LISTEN (billing run every ${BILLING_SCHEDULE:-60} s)
  HTTP bridge: http://$BILLING_HTTP_LISTEN/api/ (legacy JSON API; a key:
               build/billctl api-keys create --name legacy)
  database:    $db
  try:         build/billctl --server $BILLING_SERVER plans list
  stop:        Ctrl-C, or scripts/down.sh
MSG

if [ "$detach" -eq 1 ]; then
	nohup "$root/build/billing-server" >/dev/null 2>>"$data/server.log" &
	echo $! >"$data/server.pid"
	nohup "$root/build/billing-bridge" >/dev/null 2>>"$data/bridge.log" &
	echo $! >"$data/bridge.pid"
	echo "  logs:        $data/server.log, $data/bridge.log"
	exit 0
fi
trap stop INT TERM
"$root/build/billing-server" &
echo $! >"$data/server.pid"
"$root/build/billing-bridge" &
echo $! >"$data/bridge.pid"
wait "$(cat "$data/server.pid")" || true
stop
