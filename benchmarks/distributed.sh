#!/usr/bin/env bash
# Measures the distributed deployment on this machine — `cicd master` on PostgreSQL and
# RabbitMQ, `cicd agent`s as separate processes on the Docker engine — and appends the figures
# to benchmarks/RESULTS.md:
#   1. trigger throughput and latency: wrk POSTs runs for a class no agent serves (so they stay
#      queued), 3 rounds, median;
#   2. pickup latency on an idle agent: 50 runs one after the other, startedAt − queuedAt from
#      the run documents (the commit, the confirmed publish, the delivery and the claim);
#   3. N queued runs (triggered with no agent running) drained by three agents: the time, every
#      run terminal, and how many started more than once (from the agents' logs).
#
#   benchmarks/distributed.sh [N, default 10000] [seconds per wrk round, default 10]
set -euo pipefail
cd "$(dirname "$0")/.."
drain_runs=${1:-10000}
seconds=${2:-10}

source scripts/lib/build.sh
source scripts/lib/postgres.sh
source scripts/lib/rabbitmq.sh
source scripts/lib/docker.sh
source scripts/lib/busybox_image.sh
build_cicd cicd >/dev/null
cicd=$(realpath "${CICD_BUILD_DIR:-build}/roles/cicd")
work=$(mktemp -d /tmp/cicd-bench-dist.XXXXXX)
pids=()
cleanup() {
  for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
  for pid in "${pids[@]}"; do wait "$pid" 2>/dev/null || true; done
  stop_rabbitmq
  stop_postgres
  stop_docker
  rm -rf "$work"
}
trap cleanup EXIT
CICD_TEST_PG_PORT=55491 start_postgres
CICD_TEST_AMQP_PORT=57672 CICD_TEST_RABBITMQ_DIST_PORT=57673 CICD_TEST_RABBITMQ_EPMD_PORT=57674 \
  start_rabbitmq
start_docker
image=cicd-demo/busybox:1
make_busybox_image "$image"

common=(--db "$CICD_TEST_PG_URL" --queue "$CICD_TEST_AMQP_URL" --results "file://$work/results")
mkdir -p "$work/master" "$work/results"
port=18095
url=http://127.0.0.1:$port
"$cicd" master --data-dir "$work/master" --listen 127.0.0.1:$port "${common[@]}" \
  2>"$work/master.log" &
pids+=($!)
for _ in $(seq 100); do curl -sf "$url/healthz" >/dev/null 2>&1 && break; sleep 0.1; done
export CICD_TOKEN
CICD_TOKEN=$("$cicd" master token create --data-dir "$work/master" --sub bench --scope admin)
api() { curl -sf -H "Authorization: Bearer $CICD_TOKEN" "$@"; }
start_agent() { # name slots
  mkdir -p "$work/$1"
  "$cicd" agent --data-dir "$work/$1" "${common[@]}" --secrets-key "$work/master/secrets.key" \
    --slots "$2" --cpu-threshold 100 --heartbeat 1 --listen 127.0.0.1:0 2>"$work/$1.log" &
  pids+=($!)
  for _ in $(seq 100); do [ -s "$work/$1/agent.id" ] && break; sleep 0.1; done
  local id; id=$(cat "$work/$1/agent.id")
  for _ in $(seq 100); do api "$url/agents" | grep -q "\"$id\"" && break; sleep 0.1; done
}
median() { sort -n | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }'; }
percentile() { sort -n | awk -v p="$1" '{ v[NR] = $1 } END { i = int(NR * p / 100 + 0.999); if (i < 1) i = 1; print v[i] }'; }
ms_of() { date -d "$1" +%s%3N; }
field() { sed -n "s/.*\"$1\":\"\([^\"]*\)\".*/\1/p"; }

# 1. Trigger throughput: a class no agent serves, so the runs stay queued.
api -X PUT "$url/settings/resource-classes/bench-queued" -o /dev/null \
  -d '{"cpus": 1, "memoryMiB": 64}' 2>/dev/null || true
api -X PUT "$url/jobs/queued" -o /dev/null \
  -d "{\"type\":\"freestyle\",\"image\":\"$image\",\"script\":\"true\",\"resourceClass\":\"bench-queued\"}"
: >"$work/wrk"
for _ in 1 2 3; do
  wrk -t2 -c64 -d"${seconds}s" --latency -s benchmarks/post_run.lua "$url/jobs/queued/runs" \
    >"$work/round" 2>&1
  awk 'function ms(v) { if (v ~ /us$/) return v / 1000; if (v ~ /ms$/) return v + 0; if (v ~ /s$/) return v * 1000; return v }
       /^ +50%/ { p50 = ms($2) } /^ +99%/ { p99 = ms($2) } /^Requests\/sec/ { rps = $2 }
       /Non-2xx/ { bad = $NF } END { printf "%.0f %.2f %.2f %d\n", rps, p50, p99, bad }' \
    "$work/round" >>"$work/wrk"
done
post_rps=$(awk '{print $1}' "$work/wrk" | median)
post_p50=$(awk '{print $2}' "$work/wrk" | median)
post_p99=$(awk '{print $3}' "$work/wrk" | median)
post_bad=$(awk '{ s += $4 } END { print s + 0 }' "$work/wrk")

# 2. Pickup latency on an idle agent.
start_agent agent-1 1
api -X PUT "$url/jobs/pickup" -o /dev/null \
  -d "{\"type\":\"freestyle\",\"image\":\"$image\",\"script\":\"true\"}"
: >"$work/pickup"
for _ in $(seq 50); do
  id=$(api -X POST "$url/jobs/pickup/runs" -d '{"branchName":"main"}' | sed -n 's/^{"id":\([0-9]*\).*/\1/p')
  while :; do
    doc=$(api "$url/jobs/pickup/runs/$id")
    case $doc in *'"status":"queued"'*|*'"status":"running"'*) sleep 0.05 ;; *) break ;; esac
  done
  echo $(( $(ms_of "$(echo "$doc" | field startedAt)") - $(ms_of "$(echo "$doc" | field queuedAt)") )) \
    >>"$work/pickup"
  sleep 0.3 # the agent is idle again, waiting on the broker
done
pickup_p50=$(percentile 50 <"$work/pickup")
pickup_p90=$(percentile 90 <"$work/pickup")
pickup_max=$(sort -n "$work/pickup" | tail -n1)

# 3. N queued runs, then three agents drain them.
kill "${pids[-1]}"; wait "${pids[-1]}" 2>/dev/null || true; unset 'pids[-1]'
api -X PUT "$url/jobs/drain" -o /dev/null \
  -d "{\"type\":\"freestyle\",\"image\":\"$image\",\"script\":\"true\"}"
seq "$drain_runs" | xargs -P 4 -I{} curl -sf -o /dev/null -H "Authorization: Bearer $CICD_TOKEN" \
  -X POST "$url/jobs/drain/runs" -d '{"branchName":"main"}'
psql_count() {
  runuser -u postgres -- psql -qtA -h "$CICD_TEST_PG_SOCKET_DIR" -p "$CICD_TEST_PG_PORT" -U cicd \
    -d cicd -c "SELECT count(*) FROM runs r JOIN jobs j ON j.id = r.job_id WHERE j.name = 'drain' $1"
}
accepted=$(psql_count "")
start=$(date +%s.%N)
for n in 2 3 4; do start_agent "agent-$n" 2; done
while [ "$(psql_count "AND r.status IN ('queued', 'running')")" -gt 0 ]; do sleep 1; done
drain_s=$(echo "$(date +%s.%N) - $start" | bc)
succeeded=$(psql_count "AND r.status = 'succeeded'")
twice=$(cat "$work"/agent-[234].log | sed -n 's/.*run \([0-9]*\) of drain started.*/\1/p' | sort | uniq -d | wc -l)
rate=$(echo "scale=1; $accepted / $drain_s" | bc)

report="## $(date -u +%Y-%m-%d) — distributed — $(nproc) cores, $(free -g | awk '/Mem:/ {print $2}') GiB, $(. /etc/os-release; echo "$PRETTY_NAME"), PostgreSQL $("$pg_bin/postgres" --version | awk '{print $3}'), RabbitMQ 3.10, Docker $(docker version -f '{{.Server.Version}}')

Command: \`benchmarks/distributed.sh $drain_runs $seconds\` (one master; wrk -t2 -c64, ${seconds}s
per round, median of 3; wrk, PostgreSQL, RabbitMQ, the master and the agents share the cores).

| figure | value | aim |
|---|---|---|
| runs accepted per second (POST, PostgreSQL + RabbitMQ with confirms) | $post_rps | ≥ 2,000 |
| POST latency p50 / p99 | ${post_p50} ms / ${post_p99} ms | |
| non-2xx answers during the POST rounds | $post_bad | 0 |
| pickup on an idle agent, queuedAt → startedAt, p50 / p90 / max (50 runs) | ${pickup_p50} / ${pickup_p90} / ${pickup_max} ms | p50 ≤ 5 ms |
| $accepted queued runs drained by 3 agents (2 slots each) | ${drain_s}s, $rate runs/s | |
| of them succeeded / started more than once | $succeeded / $twice | all / 0 |
"
echo "$report"
printf '\n%s\n' "$report" >>benchmarks/RESULTS.md
