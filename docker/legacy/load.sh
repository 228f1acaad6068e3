#!/bin/sh
# Run once by the MariaDB image's entrypoint on an empty data folder:
# loads the legacy schema and dump into the database billing through a
# latin1 connection, as the legacy PHP app wrote them (the same steps as
# tests/harness/mariadb.sh load).
set -eu
client() {
	mariadb --default-character-set=latin1 -uroot \
	    -p"$MARIADB_ROOT_PASSWORD" "$MARIADB_DATABASE"
}
client </legacy/legacy_schema.sql
gzip -dc /legacy/dump.sql.gz | client
