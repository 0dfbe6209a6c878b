#!/usr/bin/env bash
# The cost of TLS: the same wrk load on one master's data (SQLite) served over plain HTTP and
# over HTTPS (--tls-cert/--tls-key, a P-256 certificate made here with openssl), rounds
# alternating between the two. Cases: GET of a finished run with a token (keep-alive), GET
# /healthz (keep-alive: the cost of encryption alone), and GET /healthz with a new connection
# for every request (the cost of the handshake). Prints a Markdown table of medians with the
# HTTPS/HTTP ratio and appends it to benchmarks/RESULTS.md.
#
#   benchmarks/tls_throughput.sh [seconds per round, default 10]
set -euo pipefail
cd "$(dirname "$0")/.."
seconds=${1:-10}
rounds=3
connections=64

source scripts/lib/build.sh
build_cicd cicd >/dev/null
cicd=${CICD_BUILD_DIR:-build}/roles/cicd
work=$(mktemp -d /tmp/cicd-tls-bench.XXXXXX)
plain_pid=
tls_pid=
cleanup() {
  for pid in $plain_pid $tls_pid; do
    kill "$pid" 2>/dev/null && wait "$pid" 2>/dev/null
  done
  rm -rf "$work"
}
trap cleanup EXIT

openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 2 \
  -subj /CN=localhost -addext "subjectAltName=IP:127.0.0.1,DNS:localhost" \
  -keyout "$work/server.key" -out "$work/server.crt" 2>/dev/null

# wrk's summary → "requests/s p50 p99" (latencies in ms).
wrk_figures() {
  awk '
    function ms(v) { if (v ~ /us$/) return v / 1000; if (v ~ /ms$/) return v + 0; if (v ~ /s$/) return v * 1000; return v }
    /^ +50%/ { p50 = ms($2) } /^ +99%/ { p99 = ms($2) } /^Requests\/sec/ { rps = $2 }
    END { printf "%.0f %.2f %.2f\n", rps, p50, p99 }'
}
median() { sort -n | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }'; }

mkdir -p "$work/data"
"$cicd" master --data-dir "$work/data" --listen 127.0.0.1:18091 2>"$work/plain.log" &
plain_pid=$!
for _ in $(seq 50); do curl -sf http://127.0.0.1:18091/healthz >/dev/null && break; sleep 0.1; done
"$cicd" master --data-dir "$work/data" --listen 127.0.0.1:18092 \
  --tls-cert "$work/server.crt" --tls-key "$work/server.key" 2>"$work/tls.log" &
tls_pid=$!
for _ in $(seq 50); do
  curl -sf --cacert "$work/server.crt" https://127.0.0.1:18092/healthz >/dev/null && break
  sleep 0.1
done
export CICD_TOKEN
CICD_TOKEN=$("$cicd" master token create --data-dir "$work/data" --sub bench --scope admin)
curl -sf -X PUT -H "Authorization: Bearer $CICD_TOKEN" http://127.0.0.1:18091/jobs/bench \
  -d '{"type":"freestyle","image":"debian:12","script":"true"}' >/dev/null
sqlite3 "$work/data/cicd.db" "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n
  WHERE i < 1000) INSERT INTO runs (job_id, status, trigger_kind, branch_name, triggered_by,
  parameters, resource_class, queued_at, started_at, finished_at)
  SELECT 1, 'succeeded', 'api', 'master', 'bench', '{}', 'default', 1, 2, 3 FROM n"

# One case: rounds alternate plain and TLS; prints "plain_rps plain_p50 plain_p99 tls_rps
# tls_p50 tls_p99" as medians.
measure() {
  local path=$1 script=$2
  shift 2
  : >"$work/plain"
  : >"$work/tls"
  for _ in $(seq "$rounds"); do
    wrk -t2 -c"$connections" -d"${seconds}s" --latency -s "$script" "$@" \
      "http://127.0.0.1:18091$path" >"$work/round" 2>&1
    wrk_figures <"$work/round" >>"$work/plain"
    wrk -t2 -c"$connections" -d"${seconds}s" --latency -s "$script" "$@" \
      "https://127.0.0.1:18092$path" >"$work/round" 2>&1
    wrk_figures <"$work/round" >>"$work/tls"
  done
  local out=""
  for side in plain tls; do
    for column in 1 2 3; do
      out+="$(awk -v c=$column '{print $c}' "$work/$side" | median) "
    done
  done
  echo "$out"
}

table="| case | HTTP requests/s | HTTPS requests/s | HTTPS/HTTP | HTTP p50 / p99 ms | HTTPS p50 / p99 ms |
|---|---|---|---|---|---|"
row() {
  local name=$1 prps=$2 pp50=$3 pp99=$4 trps=$5 tp50=$6 tp99=$7
  table+="
| $name | $prps | $trps | $(awk -v a="$trps" -v b="$prps" 'BEGIN {printf "%.2f", a / b}') | $pp50 / $pp99 | $tp50 / $tp99 |"
}
# shellcheck disable=SC2046
row "GET a finished run, keep-alive" $(measure /jobs/bench/runs/500 benchmarks/get_with_token.lua)
# shellcheck disable=SC2046
row "GET /healthz, keep-alive" $(measure /healthz benchmarks/get_with_token.lua)
# shellcheck disable=SC2046
row "GET /healthz, a new connection each" $(measure /healthz benchmarks/get_with_token.lua \
  -H "Connection: close")

report="## $(date -u +%Y-%m-%d) — TLS cost — $(nproc) cores, $(free -g | awk '/Mem:/ {print $2}') GiB, $(. /etc/os-release; echo "$PRETTY_NAME"), $(openssl version | cut -d' ' -f1-2)

Command: \`benchmarks/tls_throughput.sh $seconds\` (wrk -t2 -c$connections, ${seconds}s per round,
median of $rounds rounds alternating HTTP and HTTPS on the same SQLite data; TLS 1.3 with a
P-256 certificate; wrk shares the machine's cores with the master).

$table"
echo "$report"
printf '\n%s\n' "$report" >>benchmarks/RESULTS.md
