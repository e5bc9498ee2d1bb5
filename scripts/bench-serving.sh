#!/usr/bin/env bash
# npm run bench:serving: Stratus endpoints vs azureml-inference-server-http, which pins packages
# that clash with MLflow's, so it gets a venv of its own (.venv-bench).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/python-env.sh
if [ ! -x .venv-bench/bin/azmlinfsrv ]; then
  python3 -m venv .venv-bench
  # The peer scores the same model, so it gets the same scikit-learn, numpy and joblib as .venv.
  pins=$(.venv/bin/python -c "import sklearn, numpy, joblib; print(f'scikit-learn=={sklearn.__version__} numpy=={numpy.__version__} joblib=={joblib.__version__}')")
  .venv-bench/bin/pip install --quiet --disable-pip-version-check azureml-inference-server-http==1.5.1 $pins
fi
node scripts/build-cli.mjs
node --import tsx bench/serving.ts "$@"
