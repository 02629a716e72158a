#!/bin/sh
# The streaming replica (docker-compose.scale.yml): on its first start, an empty data folder is
# filled with pg_basebackup of the primary (-R: a standby that follows it through the slot
# replica1; -X stream: with the WAL written during the copy); then, and on every later start, the
# standby runs as a hot standby, read-only, answering the reads the router sends it.
set -eu
if [ ! -s "$PGDATA/PG_VERSION" ]; then
    mkdir -p "$PGDATA"
    chown postgres:postgres "$PGDATA"
    chmod 0700 "$PGDATA"
    until pg_isready -h db-primary -p 5432 -U replicator -d postgres; do sleep 2; done
    PGPASSWORD="$XUEJI_REPLICATION_PASSWORD" gosu postgres pg_basebackup \
        -h db-primary -p 5432 -U replicator -D "$PGDATA" -R -X stream -S replica1 -c fast --progress
fi
exec gosu postgres postgres -D "$PGDATA" -c hot_standby=on -c max_connections=200 \
    -c hot_standby_feedback=on -c max_standby_streaming_delay=30s
