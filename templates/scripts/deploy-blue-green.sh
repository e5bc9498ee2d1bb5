#!/usr/bin/env bash
# MLOps step "deploy": a new deployment beside the one that serves, with no traffic; a smoke test
# against it alone; then the traffic shifted to it in steps, smoke-tested at each step. When a
# smoke test fails, the traffic goes back to the old deployment and the new one is deleted; the
# script exits non-zero, so the pipeline stops there.
#
#   deploy-blue-green.sh <endpoint> <deployment.yml> <new-name> <request.json> [<JMESPath the answer must satisfy>] [-- more create options]
#
# The expectation is a JMESPath expression over the scoring answer that must be true, e.g.
# 'length(predictions) == `2`'. Steps of traffic: STEPS (default "10 50 100").
set -euo pipefail
endpoint=${1:?usage: deploy-blue-green.sh <endpoint> <deployment.yml> <new-name> <request.json> [<expectation>] [-- create options]}
file=${2:?deployment YAML}; new=${3:?the new deployment name}; request=${4:?a request file for the smoke test}
shift 4
expect=""
if [[ $# -gt 0 && "$1" != "--" ]]; then expect=$1; shift; fi
[[ "${1:-}" == "--" ]] && shift

# The deployment that takes the most traffic now (none on a new endpoint).
old=$(stratus online-endpoint show --name "$endpoint" --query 'max_by(items(traffic)[?[1] > `0`], &[1])[0]' --output tsv)

smoke() {
  local answer
  if [[ -z "$expect" ]]; then
    stratus online-endpoint invoke --name "$endpoint" --deployment-name "$new" --request-file "$request" --output none
  else
    # The CLI's own JMESPath over the answer: a true expectation prints True (as az's tsv does).
    answer=$(stratus online-endpoint invoke --name "$endpoint" --deployment-name "$new" --request-file "$request" --query "$expect" --output tsv) || return 1
    [[ "$answer" == "True" ]] || { echo "smoke test: the answer does not satisfy $expect" >&2; return 1; }
  fi
}

shifted=""
give_back() {
  # Traffic goes back only if some had moved; then the new deployment goes.
  if [[ -n "$shifted" && -n "$old" ]]; then stratus online-endpoint update --name "$endpoint" --traffic "$old=100 $new=0" --output none || true; fi
  stratus online-deployment delete --name "$new" --endpoint-name "$endpoint" --yes || true
}

echo "deploying $new to $endpoint with no traffic${old:+ (now serving: $old)}" >&2
if ! stratus online-deployment create --file "$file" --name "$new" --endpoint-name "$endpoint" --output none "$@"; then
  echo "the deployment $new did not start: nothing changed" >&2
  stratus online-deployment delete --name "$new" --endpoint-name "$endpoint" --yes >/dev/null 2>&1 || true
  exit 1
fi
if ! smoke; then echo "smoke test of $new failed before any traffic: rolled back" >&2; give_back; exit 1; fi
for pct in ${STEPS:-10 50 100}; do
  if [[ -n "$old" && "$pct" -lt 100 ]]; then traffic="$old=$((100 - pct)) $new=$pct"; else traffic="$new=100${old:+ $old=0}"; fi
  stratus online-endpoint update --name "$endpoint" --traffic "$traffic" --output none
  shifted=yes
  echo "traffic: $traffic" >&2
  if ! smoke; then echo "smoke test of $new failed at $pct%: rolled back" >&2; give_back; exit 1; fi
done
echo "$new serves all of $endpoint's traffic" >&2
