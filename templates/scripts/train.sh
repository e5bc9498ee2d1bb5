#!/usr/bin/env bash
# MLOps step "train": submits the training job (a command or pipeline job YAML), follows it to the
# end, and prints the MLflow run id of the run that holds the model. Exits non-zero when the job
# does not complete (stratus job create --stream does).
#
#   train.sh <job.yml> [--step <pipeline step that trains>] [more `stratus job create` options]
set -euo pipefail
job_file=${1:?usage: train.sh <job.yml> [--step <name>] [stratus job create options]}
shift
step=""
if [[ "${1:-}" == "--step" ]]; then step=${2:?--step needs a step name}; shift 2; fi

# The job's name (a JSON string) ends a streamed create; its logs come first, maybe without a last newline.
job=$(stratus job create --file "$job_file" --stream --output json --query name "$@" | tail -n 1 | sed -E 's/.*"([^"]+)"$/\1/')
if [[ -n "$step" ]]; then
  job=$(stratus job show --name "$job" --query "jobs.\"$step\".job_name" --output tsv)
fi
stratus job show --name "$job" --query 'properties."mlflow.run_id"' --output tsv
