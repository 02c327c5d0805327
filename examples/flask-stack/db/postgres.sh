#!/bin/sh
# The database's entrypoint, as the official postgres image does it: as root,
# make the data directory postgres's; on the first start of an empty volume,
# initdb and create the user and database from POSTGRES_*; then run postgres
# as user postgres, in the foreground, as the container's main process.
set -eu
: "${PGDATA:=/var/lib/postgresql/data}" "${POSTGRES_USER:=postgres}" "${POSTGRES_DB:=$POSTGRES_USER}"
bin=/usr/lib/postgresql/15/bin
as_postgres() { setpriv --reuid=postgres --regid=postgres --init-groups "$@"; }

mkdir -p "$PGDATA" /run/postgresql
chown postgres:postgres "$PGDATA" /run/postgresql
chmod 700 "$PGDATA"

if [ ! -s "$PGDATA/PG_VERSION" ]; then
        pwfile=$(mktemp)
        printf '%s\n' "${POSTGRES_PASSWORD:?POSTGRES_PASSWORD is not set}" >"$pwfile"
        chown postgres "$pwfile"
        as_postgres "$bin/initdb" -D "$PGDATA" --username="$POSTGRES_USER" --pwfile="$pwfile" \
                --auth-local=trust --auth-host=scram-sha-256 --encoding=UTF8 --locale=C.UTF-8
        rm -f "$pwfile"
        echo "listen_addresses = '*'" >>"$PGDATA/postgresql.conf"
        echo "host all all all scram-sha-256" >>"$PGDATA/pg_hba.conf"
        # create the database on a server that listens on the socket only
        as_postgres "$bin/pg_ctl" -D "$PGDATA" -o "-c listen_addresses=''" -w start
        if [ "$POSTGRES_DB" != postgres ]; then
                as_postgres psql -v ON_ERROR_STOP=1 -U "$POSTGRES_USER" -d postgres \
                        -c "CREATE DATABASE \"$POSTGRES_DB\""
        fi
        as_postgres "$bin/pg_ctl" -D "$PGDATA" -m fast -w stop
        echo "postgres init done"
fi
exec setpriv --reuid=postgres --regid=postgres --init-groups "$bin/postgres" -D "$PGDATA"
