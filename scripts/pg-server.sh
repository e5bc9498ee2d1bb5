#!/usr/bin/env bash
# Starts (or stops) a throwaway PostgreSQL server on 127.0.0.1 for the tests and benchmarks.
#   scripts/pg-server.sh start   -> prints the admin URL (postgresql://postgres@127.0.0.1:PORT/postgres)
#   scripts/pg-server.sh stop
# Uses the Debian postgresql package's binaries; as root the server runs as user postgres.
set -euo pipefail
PORT="${STRATUS_PG_PORT:-55432}"
DIR="${STRATUS_PG_DIR:-/tmp/stratus-pg-$PORT}"
BIN="$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -1)"
if [ -z "$BIN" ]; then
  echo "PostgreSQL server binaries not found: install Debian's postgresql package (apt-get install postgresql)." >&2
  exit 1
fi
as_owner() {
  if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi
}
case "${1:-start}" in
  start)
    if ! [ -f "$DIR/PG_VERSION" ]; then
      mkdir -p "$DIR"
      [ "$(id -u)" = 0 ] && chown postgres:postgres "$DIR"
      as_owner "$BIN/initdb" -D "$DIR" -U postgres --auth=trust -E UTF8 >/dev/null
    fi
    if ! as_owner "$BIN/pg_ctl" -D "$DIR" status >/dev/null 2>&1; then
      as_owner "$BIN/pg_ctl" -D "$DIR" -l "$DIR/server.log" -w start \
        -o "-h 127.0.0.1 -p $PORT -k $DIR -c max_connections=200" >/dev/null
    fi
    echo "postgresql://postgres@127.0.0.1:$PORT/postgres"
    ;;
  stop)
    as_owner "$BIN/pg_ctl" -D "$DIR" -w stop -m fast >/dev/null 2>&1 || true
    ;;
  *)
    echo "usage: $0 start|stop" >&2
    exit 2
    ;;
esac
