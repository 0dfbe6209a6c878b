#!/usr/bin/env bash
# The Kubernetes manifests of packaging/k8s/, checked offline (no cluster can start here):
#   1. they are valid: validate_manifests.mjs checks each object against its kind's schema
#      (Kubernetes' own, KEDA's CRDs) and the references and cicd rules between them;
#   2. the checker refuses bad manifests: each file of invalid/ breaks one rule and must be
#      refused with exactly the problem its "# expect:" line names, and nothing else.
#
# k8s_manifests_test.sh SOURCE_DIR. Needs node and the packages of test/k8s/package-lock.json
# (scripts/setup runs npm ci there).
set -euo pipefail

source_dir=$(cd "${1:?usage: k8s_manifests_test.sh SOURCE_DIR}" && pwd)
here=$source_dir/test/k8s
fail() {
  echo "FAIL: $*" >&2
  exit 1
}
command -v node >/dev/null || fail "node is missing: run scripts/setup"
[ -d "$here/node_modules/kubernetes-models" ] && [ -d "$here/node_modules/@kubernetes-models/keda" ] ||
  fail "the schema packages are missing in test/k8s/node_modules: run scripts/setup"

# The umbrella timeout's default, from the code: the agents' drain must cover it.
umbrella=$(sed -nE 's/.*umbrella_timeout\{([0-9]+)\}.*/\1/p' \
  "$source_dir/include/cicd/executor/run_executor.hpp")
[ -n "$umbrella" ] || fail "no umbrella_timeout default in include/cicd/executor/run_executor.hpp"

manifests=("$source_dir"/packaging/k8s/*.yaml)
[ ${#manifests[@]} -ge 5 ] || fail "packaging/k8s/ has only ${#manifests[@]} manifests"
echo "packaging/k8s/ (umbrella timeout ${umbrella}s), then each of test/k8s/invalid/"
status=0
output=$(node "$here/validate_manifests.mjs" --config-dir "$source_dir/packaging/config" \
  --umbrella-timeout "$umbrella" --invalid-dir "$here/invalid" "${manifests[@]}") || status=$?
echo "$output"
[ "$status" -eq 0 ] || fail "the manifests are not valid, or an invalid one was not refused (above)"
refused=$(sed -nE 's/^([0-9]+) of \1 invalid manifests refused as expected$/\1/p' <<<"$output")
[ -n "$refused" ] && [ "$refused" -ge 5 ] || fail "fewer than 5 invalid manifests were checked"
echo "all checks passed: packaging/k8s/ is valid, $refused invalid manifests refused"
