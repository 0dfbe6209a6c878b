#!/usr/bin/env bash
# Measures following a console live with `cicd master` and `cicd agent` as separate processes
# (PostgreSQL, RabbitMQ, the Docker engine), and appends the figures to benchmarks/RESULTS.md:
#   1. follow latency: a job prints a line with the kernel's uptime every 250 ms; a client
#      following the console (curl -N, ?follow=true) notes the uptime at which each line
#      arrives (containers share the host's /proc/uptime, 10 ms resolution): p50 / p90 / max;
#   2. the master's memory while N clients follow one console at once (VmRSS sampled every
#      0.5 s; idle before, peak during), and whether every follower got the whole console.
#
#   benchmarks/console_follow.sh [followers, default 50]
set -euo pipefail
cd "$(dirname "$0")/.."
followers=${1:-50}

source scripts/lib/build.sh
source scripts/lib/postgres.sh
source scripts/lib/rabbitmq.sh
source scripts/lib/docker.sh
source scripts/lib/busybox_image.sh
build_cicd cicd >/dev/null
cicd=$(realpath "${CICD_BUILD_DIR:-build}/roles/cicd")
work=$(mktemp -d /tmp/cicd-bench-follow.XXXXXX)
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
CICD_TEST_PG_PORT=55492 start_postgres
CICD_TEST_AMQP_PORT=57682 CICD_TEST_RABBITMQ_DIST_PORT=57683 CICD_TEST_RABBITMQ_EPMD_PORT=57684 \
  start_rabbitmq
start_docker
image=cicd-demo/busybox:1
make_busybox_image "$image"

common=(--db "$CICD_TEST_PG_URL" --queue "$CICD_TEST_AMQP_URL" --results "file://$work/results")
mkdir -p "$work/master" "$work/agent" "$work/results"
port=18096
url=http://127.0.0.1:$port
"$cicd" master --data-dir "$work/master" --listen 127.0.0.1:$port "${common[@]}" \
  2>"$work/master.log" &
master_pid=$!
pids+=($master_pid)
for _ in $(seq 100); do curl -sf "$url/healthz" >/dev/null 2>&1 && break; sleep 0.1; done
token=$("$cicd" master token create --data-dir "$work/master" --sub bench --scope admin)
api() { curl -sf -H "Authorization: Bearer $token" "$@"; }
"$cicd" agent --data-dir "$work/agent" "${common[@]}" --secrets-key "$work/master/secrets.key" \
  --slots 2 --cpu-threshold 100 --listen 127.0.0.1:0 2>"$work/agent.log" &
pids+=($!)
for _ in $(seq 100); do [ -s "$work/agent/agent.id" ] && break; sleep 0.1; done
percentile() { sort -n | awk -v p="$1" '{ v[NR] = $1 } END { i = int(NR * p / 100 + 0.999); if (i < 1) i = 1; print v[i] }'; }
rss_kib() { awk '/^VmRSS/ { print $2 }' "/proc/$master_pid/status"; }
trigger() { api -X POST "$url/jobs/$1/runs" -d '{"branchName":"main"}' | sed -n 's/^{"id":\([0-9]*\).*/\1/p'; }
wait_started() {
  for _ in $(seq 300); do
    api "$url/jobs/$1/runs/$2" | grep -q '"status":"\(running\|succeeded\)"' && return 0
    sleep 0.1
  done
  echo "run $2 of $1 did not start" >&2
  return 1
}

# 1. Follow latency.
api -X PUT "$url/jobs/ticks" -o /dev/null -d "{\"type\":\"freestyle\",\"image\":\"$image\",
  \"script\":\"i=0; while [ \$i -lt 80 ]; do read up rest < /proc/uptime; echo t \$up; sleep 0.25; i=\$((i+1)); done\"}"
id=$(trigger ticks)
wait_started ticks "$id"
curl -sN -H "Authorization: Bearer $token" "$url/jobs/ticks/runs/$id/results/console?follow=true" |
  while read -r tag printed; do
    read -r now _ </proc/uptime
    [ "$tag" = t ] && echo "$printed $now"
  done >"$work/latency"
awk '{ printf "%.0f\n", ($2 - $1) * 1000 }' "$work/latency" >"$work/latency_ms"
lines=$(wc -l <"$work/latency_ms")
lat_p50=$(percentile 50 <"$work/latency_ms")
lat_p90=$(percentile 90 <"$work/latency_ms")
lat_max=$(sort -n "$work/latency_ms" | tail -1)

# 2. The master's memory with many followers of one console.
api -X PUT "$url/jobs/chatty" -o /dev/null -d "{\"type\":\"freestyle\",\"image\":\"$image\",
  \"script\":\"i=0; while [ \$i -lt 300 ]; do echo line \$i of a console followed by many clients; sleep 0.1; i=\$((i+1)); done\"}"
sleep 1
rss_idle=$(rss_kib)
id=$(trigger chatty)
wait_started chatty "$id"
follower_pids=()
for n in $(seq "$followers"); do
  curl -sN -H "Authorization: Bearer $token" \
    "$url/jobs/chatty/runs/$id/results/console?follow=true" >"$work/follower-$n" &
  follower_pids+=($!)
done
rss_peak=$rss_idle
while kill -0 "${follower_pids[0]}" 2>/dev/null; do
  rss=$(rss_kib)
  [ "$rss" -gt "$rss_peak" ] && rss_peak=$rss
  sleep 0.5
done
wait "${follower_pids[@]}" || true
api "$url/jobs/chatty/runs/$id/results/console" >"$work/stored"
complete=0
for n in $(seq "$followers"); do
  cmp -s "$work/stored" "$work/follower-$n" && complete=$((complete + 1))
done

report="## $(date +%Y-%m-%d) — console follow — $(nproc) cores, $(awk '/MemTotal/ { printf "%d GiB", $2 / 1048576 }' /proc/meminfo), $(. /etc/os-release && echo "$PRETTY_NAME")

Command: \`benchmarks/console_follow.sh $followers\` (\`cicd master\` and one \`cicd agent\`
on PostgreSQL and RabbitMQ; the console followed with \`curl -N …/results/console?follow=true\`).

| figure | value | aim |
|---|---|---|
| line printed in the container → line at a following client, p50 / p90 / max ($lines lines) | $lat_p50 / $lat_p90 / $lat_max ms | p50 ≤ 1000 ms |
| master RSS idle / peak while $followers clients follow one console (30 s) | $((rss_idle / 1024)) / $((rss_peak / 1024)) MiB | bounded |
| followers that received the whole console, byte for byte | $complete of $followers | all |
"
echo "$report"
printf '\n%s\n' "$report" >>benchmarks/RESULTS.md
