#!/bin/sh
# The system for end-to-end tests: a private PostgreSQL cluster, the
# migrated database and billing-server on an ipc:// socket, all in DIR.
#
#   stack.sh start DIR SERVER_BIN [server args...]
#       prints two lines: the database URL and the server URL
#   stack.sh stop DIR     stops the server (SIGTERM) and the cluster
set -eu

here=$(cd "$(dirname "$0")" && pwd)
cmd=${1:?usage: stack.sh start|stop DIR [SERVER_BIN]}
dir=${2:?usage: stack.sh $cmd DIR}

case "$cmd" in
start)
	bin=${3:?usage: stack.sh start DIR SERVER_BIN}
	shift 3
	mkdir -p "$dir"
	chmod 755 "$dir" # PostgreSQL runs as another user when we are root
	"$here/pg.sh" start "$dir/pg" >/dev/null
	db=$("$here/pg.sh" createdb "$dir/pg" billing)
	"$bin" migrate --database-url "$db" 2>"$dir/migrate.log" ||
	    { cat "$dir/migrate.log" >&2; exit 1; }
	sock="$dir/billing.sock"
	rm -f "$sock"
	"$bin" --database-url "$db" --listen "ipc://$sock" --workers 4 "$@" \
	    2>"$dir/server.log" &
	echo $! >"$dir/server.pid"
	i=0
	while [ ! -S "$sock" ]; do
		i=$((i + 1))
		if [ $i -gt 100 ] || ! kill -0 "$(cat "$dir/server.pid")" 2>/dev/null; then
			cat "$dir/server.log" >&2
			exit 1
		fi
		sleep 0.05
	done
	echo "$db"
	echo "ipc://$sock"
	;;
stop)
	if [ -f "$dir/server.pid" ]; then
		pid=$(cat "$dir/server.pid")
		kill -TERM "$pid" 2>/dev/null || true
		while kill -0 "$pid" 2>/dev/null; do sleep 0.05; done
		rm -f "$dir/server.pid"
	fi
	"$here/pg.sh" stop "$dir/pg"
	;;
*)
	echo "stack.sh: unknown command $cmd" >&2
	exit 2
	;;
esac
