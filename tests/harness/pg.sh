#!/bin/sh
# A throwaway PostgreSQL cluster for tests and for the local stack.
#
#   pg.sh start DIR [PORT]  initdb (once) and start a cluster in DIR; print
#                           its URL. It listens on a unix socket in DIR
#                           (and on 127.0.0.1:PORT when PORT is given).
#   pg.sh stop DIR          fast shutdown (waits)
#   pg.sh kill DIR          immediate shutdown (like a crash)
#   pg.sh url DIR           print the URL of the cluster in DIR
#   pg.sh createdb DIR NAME create database NAME (no-op if it exists)
#
# PostgreSQL refuses to run as root: as root, the cluster belongs to the
# postgres user and its commands run through runuser.
set -eu

cmd=${1:?usage: pg.sh start|stop|kill|url|createdb DIR}
dir=${2:?usage: pg.sh $cmd DIR}
bindir=$(pg_config --bindir 2>/dev/null || true)
[ -x "$bindir/initdb" ] || bindir=$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -n 1)

as_owner() {
	if [ "$(id -u)" -eq 0 ]; then
		runuser -u postgres -- "$@"
	else
		"$@"
	fi
}

socket_port() {
	cat "$dir/port"
}

url() {
	echo "postgresql:///postgres?host=$dir/sock&port=$(socket_port)&user=postgres"
}

case "$cmd" in
start)
	port=${3:-}
	if [ ! -f "$dir/data/PG_VERSION" ]; then
		mkdir -p "$dir/data" "$dir/sock"
		[ "$(id -u)" -ne 0 ] || chown -R postgres:postgres "$dir"
		chmod 700 "$dir/data"
		as_owner "$bindir/initdb" -D "$dir/data" -U postgres \
		    --auth=trust --encoding=UTF8 --locale=C.UTF-8 \
		    >"$dir/initdb.log" 2>&1 ||
		    { cat "$dir/initdb.log" >&2; exit 1; }
		echo "${port:-5432}" >"$dir/port"
	fi
	port=$(socket_port)
	listen="''"
	[ -z "${3:-}" ] || listen=127.0.0.1
	if ! as_owner "$bindir/pg_ctl" -D "$dir/data" status >/dev/null 2>&1; then
		as_owner "$bindir/pg_ctl" -D "$dir/data" -l "$dir/postgres.log" \
		    -w -t 60 start -o "-c listen_addresses=$listen -p $port \
		    -c unix_socket_directories=$dir/sock -c fsync=off \
		    -c full_page_writes=off -c max_connections=300 \
		    -c shared_buffers=64MB" >/dev/null ||
		    { tail -n 20 "$dir/postgres.log" >&2; exit 1; }
	fi
	url
	;;
stop)
	as_owner "$bindir/pg_ctl" -D "$dir/data" -w -m fast stop >/dev/null 2>&1 || true
	;;
kill)
	as_owner "$bindir/pg_ctl" -D "$dir/data" -w -m immediate stop >/dev/null 2>&1 || true
	;;
url)
	url
	;;
createdb)
	name=${3:?usage: pg.sh createdb DIR NAME}
	"$bindir/psql" -q -X "$(url)" -v ON_ERROR_STOP=1 -tAc \
	    "SELECT 1 FROM pg_database WHERE datname = '$name'" | grep -q 1 ||
	    "$bindir/createdb" -h "$dir/sock" -p "$(socket_port)" -U postgres "$name"
	echo "postgresql:///$name?host=$dir/sock&port=$(socket_port)&user=postgres"
	;;
*)
	echo "pg.sh: unknown command $cmd" >&2
	exit 2
	;;
esac
