#!/bin/sh
# Run once by the postgres image on a new data folder (docker-compose.yml mounts this folder at
# /docker-entrypoint-initdb.d): the two roles of 学籍 (xueji/db_roles.py) and the database, owned
# by xueji_owner. The superuser (POSTGRES_USER) is for the database administrator only; the
# application never uses it. Passwords come from the environment, as psql variables (quoted by psql).
set -eu
psql -v ON_ERROR_STOP=1 --username "$POSTGRES_USER" --dbname postgres \
    -v owner_password="$XUEJI_OWNER_DB_PASSWORD" -v app_password="$XUEJI_APP_DB_PASSWORD" <<'SQL'
CREATE ROLE xueji_owner LOGIN PASSWORD :'owner_password';
CREATE ROLE xueji_app LOGIN PASSWORD :'app_password';
CREATE DATABASE xueji OWNER xueji_owner;
SQL
