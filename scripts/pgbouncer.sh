#!/usr/bin/env bash
# PgBouncer in transaction pooling (Debian's `pgbouncer` package) between inboxd and the PostgreSQL
# on 127.0.0.1:5432, as docs/deployment.md sets it up: `make test-pooler` runs the PostgreSQL tests
# through it. Idempotent: a PgBouncer this script started and that still runs is kept.
#   scripts/pgbouncer.sh          start it (port INBOXD_PGBOUNCER_PORT, default 6432)
#   scripts/pgbouncer.sh stop
set -euo pipefail
DIR="${INBOXD_PGBOUNCER_DIR:-/tmp/inboxd-pgbouncer}"
PORT="${INBOXD_PGBOUNCER_PORT:-6432}"
as_owner() { if [ "$(id -u)" = 0 ]; then su postgres -s /bin/sh -c "$*"; else sh -c "$*"; fi; }

if [ "${1:-start}" = stop ]; then
  [ -f "$DIR/pgbouncer.pid" ] && kill "$(cat "$DIR/pgbouncer.pid")" 2>/dev/null || true
  exit 0
fi
if ! command -v pgbouncer >/dev/null 2>&1 && [ ! -x /usr/sbin/pgbouncer ]; then
  if [ "$(id -u)" = 0 ]; then
    apt-get install -y -qq pgbouncer >/dev/null || { apt-get update -qq && apt-get install -y -qq pgbouncer >/dev/null; }
  else
    echo "make test-pooler needs PgBouncer: sudo apt-get install pgbouncer" >&2
    exit 1
  fi
fi
if [ -f "$DIR/pgbouncer.pid" ] && kill -0 "$(cat "$DIR/pgbouncer.pid")" 2>/dev/null; then
  exit 0
fi
mkdir -p "$DIR"
cat >"$DIR/pgbouncer.ini" <<INI
[databases]
* = host=127.0.0.1 port=5432

[pgbouncer]
listen_addr = 127.0.0.1
listen_port = $PORT
unix_socket_dir =
pool_mode = transaction
auth_type = scram-sha-256
auth_file = $DIR/userlist.txt
max_client_conn = 1000
default_pool_size = 20
max_db_connections = 60
; psycopg sends none of these, other clients may: tolerated, not forwarded
ignore_startup_parameters = extra_float_digits
server_reset_query =
logfile = $DIR/pgbouncer.log
pidfile = $DIR/pgbouncer.pid
INI
# The test role's password (.ci/run creates the role); PgBouncer answers the client's SCRAM and logs
# in to PostgreSQL with it.
echo '"inboxd" "inboxd"' >"$DIR/userlist.txt"
chmod 600 "$DIR/userlist.txt"
[ "$(id -u)" = 0 ] && chown -R postgres "$DIR"
PGBOUNCER="$(command -v pgbouncer || echo /usr/sbin/pgbouncer)"
as_owner "$PGBOUNCER -d $DIR/pgbouncer.ini"
for _ in $(seq 1 50); do
  pg_isready -q -h 127.0.0.1 -p "$PORT" && exit 0
  sleep 0.1
done
echo "PgBouncer did not start; see $DIR/pgbouncer.log" >&2
exit 1
