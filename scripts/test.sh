#!/usr/bin/env bash
# npm test: every test. Node tests (server, store, CLI, hostile input), then the real MLflow
# client suite on SQLite and on PostgreSQL. A throwaway PostgreSQL server is started on
# 127.0.0.1 (and stopped again) when STRATUS_TEST_PG_URL is unset and the Debian
# postgresql binaries are installed.
set -uo pipefail
cd "$(dirname "$0")/.."
logs=$(mktemp -d)
started_pg=""
if [ -z "${STRATUS_TEST_PG_URL:-}" ] && ls /usr/lib/postgresql/*/bin/postgres >/dev/null 2>&1; then
  if STRATUS_TEST_PG_URL=$(bash scripts/pg-server.sh start); then
    export STRATUS_TEST_PG_URL
    started_pg=1
  fi
fi
cleanup() { [ -n "$started_pg" ] && bash scripts/pg-server.sh stop; rm -rf "$logs"; }
trap cleanup EXIT

# Built job environments are cached here across runs (the curated sklearn one takes a minute).
export STRATUS_ENV_CACHE="${STRATUS_ENV_CACHE:-$PWD/.cache/envs}"

# tsx strips types without checking them: a type error must fail the run here.
echo "== Type check"
if ! npm run --silent typecheck; then
  echo "all suites: 0 passed, 1 failed (the type check failed; nothing else ran)"
  exit 1
fi

# The CLI tests run the bundled `stratus` command, as users do after npm ci.
if ! npm run --silent build; then
  echo "all suites: 0 passed, 1 failed (the build failed; nothing else ran)"
  exit 1
fi

echo "== Node tests"
# TAP on purpose: the summary below reads its '# pass/fail/cancelled/skipped' lines.
node --import tsx --test --test-reporter=tap --test-concurrency=1 tests/*.test.ts 2>&1 | tee "$logs/node.txt"
node_rc=${PIPESTATUS[0]}

echo "== MLflow client acceptance suite"
bash scripts/test-mlflow.sh -p no:warnings 2>&1 | tee "$logs/py.txt"
py_rc=${PIPESTATUS[0]}

count() { grep -Eo "$1" "$2" | grep -Eo '[0-9]+' | awk '{s+=$1} END {print s+0}'; }
passed=$(( $(count '^# pass [0-9]+' "$logs/node.txt") + $(count '[0-9]+ passed' "$logs/py.txt") ))
# A failing before() hook or a timed-out test is reported as cancelled: it counts as failed.
failed=$(( $(count '^# fail [0-9]+' "$logs/node.txt") + $(count '^# cancelled [0-9]+' "$logs/node.txt") \
  + $(count '[0-9]+ failed' "$logs/py.txt") + $(count '[0-9]+ error' "$logs/py.txt") ))
skipped=$(( $(count '^# skipped [0-9]+' "$logs/node.txt") + $(count '[0-9]+ skipped' "$logs/py.txt") ))
if [ "$node_rc" -ne 0 ] || [ "$py_rc" -ne 0 ]; then
  [ "$failed" -eq 0 ] && failed=1
fi
echo "all suites: $passed passed, $failed failed, $skipped skipped"
[ "$failed" -eq 0 ]
