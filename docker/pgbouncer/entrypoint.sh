#!/bin/sh
# PgBouncer's configuration from the environment: two databases (xueji on the primary,
# xueji_replica on the standby), the application's role only (the owner's migrations and the
# backups go to the primary directly), transaction pooling.
#
# What transaction pooling changes for 学籍 (docs/scale.md): a server connection belongs to a
# client for one transaction only, so
# - session-level SET would leak to other clients: the app sends none (pghistory's context is
#   set_config(..., true), local to the transaction; the database's time zone is UTC, so Django
#   sends no SET TIME ZONE);
# - session-level advisory locks would be held by the wrong client: the app takes only
#   transaction-level ones (the audit chain's pg_advisory_xact_lock);
# - prepared statements: psycopg 3 prepares none with Django's prepare_threshold=None;
# - server-side cursors outside a transaction: XUEJI_PGBOUNCER=1 makes settings.py disable them.
set -eu
umask 077
CONFIG=/tmp/pgbouncer
mkdir -p "$CONFIG"
printf '"xueji_app" "%s"\n' "$XUEJI_APP_DB_PASSWORD" > "$CONFIG/userlist.txt"
cat > "$CONFIG/pgbouncer.ini" <<INI
[databases]
xueji = host=db-primary port=5432 dbname=xueji
xueji_replica = host=db-replica port=5432 dbname=xueji

[pgbouncer]
listen_addr = 0.0.0.0
listen_port = 6432
auth_type = scram-sha-256
auth_file = $CONFIG/userlist.txt
pool_mode = transaction
max_client_conn = ${PGBOUNCER_MAX_CLIENT_CONN:-2000}
default_pool_size = ${PGBOUNCER_POOL_SIZE:-40}
reserve_pool_size = 10
server_reset_query =
ignore_startup_parameters = extra_float_digits
server_connect_timeout = 2
admin_users =
stats_users =
INI
exec pgbouncer "$CONFIG/pgbouncer.ini"
