#!/usr/bin/env bash
# Runs the MLflow-client acceptance suite (python/tests) against SQLite, then against
# PostgreSQL when STRATUS_TEST_PG_URL names a server (each run gets a fresh database).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/python-env.sh
PY=.venv/bin/python
echo "== MLflow client suite on SQLite"
STRATUS_TEST_STORE= $PY -m pytest -q python/tests "$@"
if [ -n "${STRATUS_TEST_PG_URL:-}" ]; then
  db="stratus_test_$$"
  admin="${STRATUS_TEST_PG_URL%/*}/postgres"
  psql "$admin" -qc "CREATE DATABASE $db" >/dev/null
  trap 'psql "$admin" -qc "DROP DATABASE IF EXISTS $db WITH (FORCE)" >/dev/null 2>&1 || true' EXIT
  echo "== MLflow client suite on PostgreSQL"
  STRATUS_TEST_STORE="${STRATUS_TEST_PG_URL%/*}/$db" $PY -m pytest -q python/tests "$@"
else
  echo "== PostgreSQL run skipped: set STRATUS_TEST_PG_URL=postgresql://user:pass@127.0.0.1:5432/postgres"
fi
