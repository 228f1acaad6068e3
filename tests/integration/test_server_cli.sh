#!/bin/sh
# billing-server's command line: usage and exit codes, and migrate
# (applies once, re-running is a no-op, an edited migration is refused).
#   test_server_cli.sh SERVER_BIN PG_SH
set -eu

bin=${1:?}
pg=${2:?}
dir=$(mktemp -d)
chmod 755 "$dir"
trap '"$pg" stop "$dir/pg"; rm -rf "$dir"' EXIT

fail() { echo "FAIL: $*" >&2; exit 1; }
expect_exit() {
	want=$1
	shift
	set +e
	"$@" >"$dir/out" 2>&1
	got=$?
	set -e
	[ "$got" -eq "$want" ] || { cat "$dir/out" >&2; fail "'$*' exited $got, want $want"; }
}

unset BILLING_DATABASE_URL BILLING_LISTEN BILLING_WORKERS
expect_exit 0 "$bin" --help
grep -q -- '--database-url' "$dir/out" || fail "usage lacks --database-url"
expect_exit 0 "$bin" --version
expect_exit 2 "$bin" --no-such-flag
expect_exit 2 "$bin" frobnicate
expect_exit 2 "$bin" --workers 0 --database-url x
expect_exit 2 "$bin"
grep -q 'BILLING_DATABASE_URL' "$dir/out" || fail "no hint about the database"

"$pg" start "$dir/pg" >/dev/null
db=$("$pg" createdb "$dir/pg" billing)

expect_exit 0 "$bin" migrate --database-url "$db"
grep -q 'migration applied' "$dir/out" || fail "first migrate applied nothing"
n=$(psql -X -tA "$db" -c 'SELECT count(*) FROM schema_migrations')
[ "$n" -ge 1 ] || fail "schema_migrations is empty"

# Again: nothing to do, nothing changes.
BILLING_DATABASE_URL=$db expect_exit 0 "$bin" migrate
grep -q 'applied=0' "$dir/out" || fail "second migrate was not a no-op"
[ "$(psql -X -tA "$db" -c 'SELECT count(*) FROM schema_migrations')" = "$n" ] ||
    fail "second migrate recorded rows"

# A migration whose text changed after it was applied is refused.
psql -X -q "$db" -c "UPDATE schema_migrations SET checksum = 'x' WHERE version = 1"
expect_exit 1 "$bin" migrate --database-url "$db"
grep -q 'changed after it was applied' "$dir/out" || fail "edited migration not reported"

# An unreachable database: exit 1 with the reason.
expect_exit 1 "$bin" migrate --database-url "postgresql:///x?host=$dir/nowhere"
grep -q 'database unreachable' "$dir/out" || fail "no reason given"

# A listen URL that cannot be used: exit 1, said in the log.
expect_exit 1 "$bin" --database-url "$db" --listen "bogus://x"
grep -q 'cannot listen' "$dir/out" || fail "bad listen URL not reported"
echo "ok"
