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

validate() {
  node "$here/validate_manifests.mjs" --config-dir "$source_dir/packaging/config" \
    --umbrella-timeout "$umbrella" "$@"
}

manifests=("$source_dir"/packaging/k8s/*.yaml)
[ ${#manifests[@]} -ge 5 ] || fail "packaging/k8s/ has only ${#manifests[@]} manifests"
echo "== packaging/k8s/ (umbrella timeout ${umbrella}s)"
validate "${manifests[@]}" || fail "the manifests of packaging/k8s/ are not valid (above)"

checked=0
for file in "$here"/invalid/*.yaml; do
  expected=$(sed -n '1s/^# expect: //p' "$file")
  [ -n "$expected" ] || fail "$(basename "$file") has no '# expect:' first line"
  echo "== $(basename "$file"): must be refused with: $expected"
  status=0
  output=$(validate "${manifests[@]}" "$file") || status=$?
  echo "$output"
  [ "$status" -eq 1 ] || fail "$(basename "$file"): the checker exited $status, not 1"
  grep -qF -- "$(basename "$file"): " <<<"$output" && grep -qF -- "$expected" <<<"$output" ||
    fail "$(basename "$file"): the checker did not say '$expected'"
  grep -qx '1 problem(s) in [0-9]* objects' <<<"$output" ||
    fail "$(basename "$file"): the checker found more than the one problem"
  checked=$((checked + 1))
done
[ "$checked" -ge 5 ] || fail "only $checked invalid manifests were checked"
echo "all checks passed: packaging/k8s/ is valid, $checked invalid manifests refused"
