#!/bin/sh
# A throwaway MariaDB server for the migration's tests and benchmark: the
# legacy source database, set up like production (sql_mode '', time zone
# Europe/Berlin), private to DIR.
#
#   mariadb.sh start DIR [PORT]  install (once) and start a server in DIR;
#                                print its URL (mysql://...?socket=...).
#                                It listens on DIR/mysql.sock only (and on
#                                127.0.0.1:PORT when PORT is given).
#   mariadb.sh stop DIR          shutdown (waits)
#   mariadb.sh url DIR           print the URL of the server in DIR
#   mariadb.sh sql DIR [ARGS]    the mariadb client on the server in DIR
#                                (database billing), as root, latin1
#   mariadb.sh load DIR SCHEMA DUMP   create database billing from the
#                                legacy schema file and a dump (.sql or
#                                .sql.gz), as the legacy app's clients did
#
# mariadbd refuses to run as root: as root, DIR belongs to the mysql user
# and the server runs with --user=mysql.
set -eu

cmd=${1:?usage: mariadb.sh start|stop|url|sql|load DIR}
dir=${2:?usage: mariadb.sh $cmd DIR}
dir=$(mkdir -p "$dir" && cd "$dir" && pwd)
sock="$dir/mysql.sock"

url() {
	echo "mysql://root@localhost/billing?socket=$sock"
}

client() {
	mariadb --no-defaults --protocol=socket --socket="$sock" -uroot \
	    --default-character-set=latin1 "$@"
}

case "$cmd" in
start)
	port=${3:-}
	if [ ! -d "$dir/data/mysql" ]; then
		mkdir -p "$dir/data"
		chmod 755 "$dir"
		[ "$(id -u)" -ne 0 ] || chown -R mysql:mysql "$dir/data"
		mariadb-install-db --no-defaults --datadir="$dir/data" \
		    --user="$(id -un | sed 's/^root$/mysql/')" \
		    --auth-root-authentication-method=normal --skip-test-db \
		    >"$dir/install.log" 2>&1 ||
		    { cat "$dir/install.log" >&2; exit 1; }
		echo "${port:-0}" >"$dir/port"
	fi
	port=$(cat "$dir/port")
	net="--skip-networking"
	[ "$port" = 0 ] || net="--bind-address=127.0.0.1 --port=$port"
	if ! client -e 'SELECT 1' >/dev/null 2>&1; then
		[ "$(id -u)" -ne 0 ] || chown mysql:mysql "$dir"
		# Production settings of the source; durability off (a test).
		# shellcheck disable=SC2086
		mariadbd --no-defaults --user=mysql --datadir="$dir/data" \
		    --socket="$sock" --pid-file="$dir/mariadbd.pid" $net \
		    --log-error="$dir/mariadbd.log" --sql-mode='' \
		    --character-set-server=latin1 \
		    --innodb-buffer-pool-size=512M \
		    --innodb-log-file-size=256M \
		    --innodb-flush-log-at-trx-commit=0 --innodb-doublewrite=0 \
		    --skip-log-bin --max-allowed-packet=64M >/dev/null 2>&1 &
		i=0
		until client -e 'SELECT 1' >/dev/null 2>&1; do
			i=$((i + 1))
			if [ $i -gt 600 ]; then
				tail -n 20 "$dir/mariadbd.log" >&2
				exit 1
			fi
			sleep 0.1
		done
		# Named zones need the time zone tables (once per datadir).
		if [ ! -f "$dir/tz-loaded" ]; then
			mariadb-tzinfo-to-sql /usr/share/zoneinfo 2>/dev/null |
			    client mysql
			touch "$dir/tz-loaded"
		fi
		client -e "SET GLOBAL time_zone = 'Europe/Berlin'"
	fi
	url
	;;
stop)
	if [ -f "$dir/mariadbd.pid" ]; then
		pid=$(cat "$dir/mariadbd.pid")
		kill -TERM "$pid" 2>/dev/null || true
		while kill -0 "$pid" 2>/dev/null; do sleep 0.1; done
		rm -f "$dir/mariadbd.pid"
	fi
	;;
url)
	url
	;;
sql)
	shift 2
	client billing "$@"
	;;
load)
	schema=${3:?usage: mariadb.sh load DIR SCHEMA DUMP}
	dump=${4:?usage: mariadb.sh load DIR SCHEMA DUMP}
	client -e 'DROP DATABASE IF EXISTS billing; CREATE DATABASE billing'
	client billing <"$schema"
	case "$dump" in
	*.gz) gzip -dc "$dump" | client billing ;;
	*) client billing <"$dump" ;;
	esac
	;;
*)
	echo "mariadb.sh: unknown command $cmd" >&2
	exit 2
	;;
esac
