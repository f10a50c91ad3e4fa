#!/usr/bin/env bash
# Private PostgreSQL and Redis for the CeleryExecutor stack (docs/distributed.md), 127.0.0.1 only.
#   scripts/services.sh start|stop|status [DATA_DIR]
# DATA_DIR (or CARBON_SERVICES_DIR; default data/services/) holds the PostgreSQL cluster
# (pg/), Redis' dir (redis/), the pid files and the logs. Ports: CARBON_PG_PORT (55432) and
# CARBON_REDIS_PORT (56379). start initdb's a private cluster on first use and creates the
# `airflow` role and database (password `airflow`); as root it runs PostgreSQL as the
# `postgres` user (PostgreSQL refuses to run as root). stop kills exactly what start started
# (the pid files), status says what is running. Needs Debian's postgresql and redis-server.
set -euo pipefail
cd "$(dirname "$0")/.."

cmd="${1:-}"
DIR="${2:-${CARBON_SERVICES_DIR:-data/services}}"
mkdir -p "$DIR"
DIR="$(cd "$DIR" && pwd)"
PG_PORT="${CARBON_PG_PORT:-55432}"
REDIS_PORT="${CARBON_REDIS_PORT:-56379}"
PGDATA="$DIR/pg"
REDIS_DIR="$DIR/redis"
REDIS_PID="$REDIS_DIR/redis.pid"

pg_bin() {
  local b
  for b in /usr/lib/postgresql/*/bin; do
    [ -x "$b/pg_ctl" ] && { echo "$b"; return 0; }
  done
  echo "services.sh: PostgreSQL binaries not found under /usr/lib/postgresql/*/bin (apt-get install postgresql)" >&2
  return 1
}

# run a PostgreSQL command as the cluster's owner (postgres when we are root)
as_pg() {
  if [ "$(id -u)" -eq 0 ]; then
    runuser -u postgres -- "$@"
  else
    "$@"
  fi
}

pg_running() {
  local bin
  bin="$(pg_bin)"
  [ -f "$PGDATA/postmaster.pid" ] && as_pg "$bin/pg_ctl" -D "$PGDATA" status >/dev/null 2>&1
}

redis_running() {
  [ -f "$REDIS_PID" ] && kill -0 "$(cat "$REDIS_PID")" 2>/dev/null
}

start_pg() {
  local bin
  bin="$(pg_bin)"
  if [ ! -f "$PGDATA/PG_VERSION" ]; then
    mkdir -p "$PGDATA"
    if [ "$(id -u)" -eq 0 ]; then
      chown postgres: "$PGDATA" "$DIR"
      runuser -u postgres -- test -x "$PGDATA" || {
        echo "services.sh: user postgres cannot reach $PGDATA (a parent directory is closed to it): give a data dir under a world-traversable path, e.g. /tmp/x" >&2
        exit 1
      }
    fi
    chmod 700 "$PGDATA"
    as_pg "$bin/initdb" -D "$PGDATA" -U postgres --auth=trust -E UTF8 --locale=C.UTF-8 >"$DIR/initdb.log" 2>&1 \
      || { cat "$DIR/initdb.log" >&2; exit 1; }
  fi
  if pg_running; then
    echo "postgresql already running on 127.0.0.1:$PG_PORT"
  else
    # socket in the cluster dir (not /var/run/postgresql, which may not exist or be shared)
    as_pg "$bin/pg_ctl" -D "$PGDATA" -l "$PGDATA/server.log" -w -t 60 \
      -o "-c listen_addresses=127.0.0.1 -p $PG_PORT -k $PGDATA" start >/dev/null \
      || { tail -20 "$PGDATA/server.log" >&2; exit 1; }
    echo "postgresql started on 127.0.0.1:$PG_PORT (data $PGDATA)"
  fi
  local psql=("$bin/psql" -h 127.0.0.1 -p "$PG_PORT" -U postgres -d postgres -v ON_ERROR_STOP=1 -qtA)
  if [ "$(as_pg "${psql[@]}" -c "select 1 from pg_roles where rolname='airflow'")" != "1" ]; then
    as_pg "${psql[@]}" -c "create role airflow login password 'airflow'"
  fi
  if [ "$(as_pg "${psql[@]}" -c "select 1 from pg_database where datname='airflow'")" != "1" ]; then
    as_pg "${psql[@]}" -c "create database airflow owner airflow"
  fi
}

start_redis() {
  mkdir -p "$REDIS_DIR"
  if redis_running; then
    echo "redis already running on 127.0.0.1:$REDIS_PORT"
    return 0
  fi
  command -v redis-server >/dev/null || { echo "services.sh: redis-server not found (apt-get install redis-server)" >&2; exit 1; }
  redis-server --bind 127.0.0.1 --port "$REDIS_PORT" --daemonize yes --dir "$REDIS_DIR" \
    --save '' --appendonly no --pidfile "$REDIS_PID" --logfile "$REDIS_DIR/redis.log"
  for _ in $(seq 50); do
    redis_running && break
    sleep 0.1
  done
  redis_running || { echo "services.sh: redis did not start (see $REDIS_DIR/redis.log)" >&2; exit 1; }
  echo "redis started on 127.0.0.1:$REDIS_PORT (pid $(cat "$REDIS_PID"))"
}

stop_pg() {
  local bin
  bin="$(pg_bin)"
  if pg_running; then
    as_pg "$bin/pg_ctl" -D "$PGDATA" -m fast -w stop >/dev/null
    echo "postgresql stopped"
  else
    echo "postgresql not running"
  fi
}

stop_redis() {
  if redis_running; then
    local pid
    pid="$(cat "$REDIS_PID")"
    kill "$pid"
    for _ in $(seq 50); do
      kill -0 "$pid" 2>/dev/null || break
      sleep 0.1
    done
    kill -0 "$pid" 2>/dev/null && kill -9 "$pid"
    rm -f "$REDIS_PID"
    echo "redis stopped"
  else
    echo "redis not running"
  fi
}

case "$cmd" in
  start)
    start_pg
    start_redis
    ;;
  stop)
    stop_redis
    stop_pg
    ;;
  status)
    rc=0
    if pg_running; then echo "postgresql: running on 127.0.0.1:$PG_PORT (data $PGDATA)"; else echo "postgresql: stopped"; rc=3; fi
    if redis_running; then echo "redis: running on 127.0.0.1:$REDIS_PORT (pid $(cat "$REDIS_PID"))"; else echo "redis: stopped"; rc=3; fi
    exit $rc
    ;;
  *)
    echo "usage: scripts/services.sh start|stop|status [DATA_DIR]" >&2
    exit 2
    ;;
esac
