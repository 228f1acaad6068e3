#!/usr/bin/env bash
# Stops what scripts/up.sh started: the bridge and the server
# (gracefully), then the PostgreSQL cluster. The data stays in data/ for
# the next start.
set -uo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
data=${BILLING_DATA_DIR:-$root/data}

for name in bridge server; do
	if [ -f "$data/$name.pid" ]; then
		pid=$(cat "$data/$name.pid")
		kill -TERM "$pid" 2>/dev/null
		while kill -0 "$pid" 2>/dev/null; do sleep 0.1; done
		rm -f "$data/$name.pid"
	fi
done
[ -d "$data/pg" ] && "$root/tests/harness/pg.sh" stop "$data/pg"
exit 0
