#!/bin/sh
# Run once by the postgres image on the primary's new data folder (docker-compose.scale.yml): the
# role the standby streams as, its physical slot (the primary keeps the WAL the standby has not
# received yet, however long it was away), its line in pg_hba.conf, and UTC as the database's time
# zone, so that Django never sends a session-level SET TIME ZONE through PgBouncer's transaction
# pooling. The password comes from the environment, as a psql variable.
set -eu
psql -v ON_ERROR_STOP=1 --username "$POSTGRES_USER" --dbname postgres \
    -v replication_password="$XUEJI_REPLICATION_PASSWORD" <<'SQL'
CREATE ROLE replicator REPLICATION LOGIN PASSWORD :'replication_password';
SELECT pg_create_physical_replication_slot('replica1');
ALTER DATABASE xueji SET timezone TO 'UTC';
SQL
echo "host replication replicator all scram-sha-256" >> "$PGDATA/pg_hba.conf"
