#!/usr/bin/env bash
# npm run bench:tracking: Stratus vs the real mlflow server, on SQLite and on PostgreSQL.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/python-env.sh
pg_args=()
started=""
if ls /usr/lib/postgresql/*/bin/postgres >/dev/null 2>&1; then
  url=$(bash scripts/pg-server.sh start)
  started=1
  pg_args=(--pg "$url")
fi
trap '[ -n "$started" ] && bash scripts/pg-server.sh stop' EXIT
node --import tsx bench/tracking.ts "${pg_args[@]}" "$@"
