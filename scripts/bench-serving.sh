#!/usr/bin/env bash
# npm run bench:serving: Stratus endpoints vs azureml-inference-server-http, which pins packages
# that clash with MLflow's, so it gets a venv of its own (.venv-bench).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/python-env.sh
if [ ! -x .venv-bench/bin/azmlinfsrv ]; then
  python3 -m venv .venv-bench
  .venv-bench/bin/pip install --quiet --disable-pip-version-check azureml-inference-server-http==1.5.1
fi
node scripts/build-cli.mjs
node --import tsx bench/serving.ts "$@"
