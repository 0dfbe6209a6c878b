#!/usr/bin/env bash
# The soak: the distributed deployment on this machine — two `cicd master`s and three
# `cicd agent`s on PostgreSQL, RabbitMQ, the test S3 server and a private Docker engine, all on
# 127.0.0.1 — under a steady trigger load of mixed jobs (quick, failing, timing out, aborted,
# with a sidecar, with a 3.4 MB console) while a fault script SIGKILLs and restarts an agent,
# RabbitMQ and PostgreSQL at random. Then, after the load stops and a bounded settle time, it
# checks the invariants of /work/shared/RELIABILITY.md that a soak can see:
#   - every accepted run (every 201 a trigger got) is stored and terminal, with an outcome its
#     job allows (the expected one, or errored when its agent was killed under it);
#   - none executed twice (Docker's own record of started job containers, the agents' logs and
#     a per-execution nonce each job prints into its console);
#   - no container, network, volume or work dir left;
#   - the RSS of each master and agent flat after warm-up (slope by least squares, see
#     check_memory in benchmarks/soak/checks.sh);
# prints a summary, appends it to benchmarks/RESULTS.md, and exits 1 when an invariant broke
# (the work dir with every log is then kept).
#
#   benchmarks/soak.sh [--duration SECONDS (600)] [--rate RUNS/S (2)] [--faults N]
#                      [--settle SECONDS (180)] [--max-slope KIB/MIN (512)] [--no-results]
#
# --faults defaults to one per 100 s, at least 3 (one of each kind). CICD_BIN names the binary
# (default: build/roles/cicd of this checkout, built by scripts/lib/build.sh when missing);
# CICD_TEST_PG_PORT the PostgreSQL socket's port (default 55481).
set -euo pipefail
cd "$(dirname "$0")/.."
started_at=$SECONDS
duration=600 rate=2 faults='' settle_max=180 max_slope=512 record=yes
while [ $# -gt 0 ]; do
  case $1 in
    --duration) duration=$2; shift 2 ;;
    --rate) rate=$2; shift 2 ;;
    --faults) faults=$2; shift 2 ;;
    --settle) settle_max=$2; shift 2 ;;
    --max-slope) max_slope=$2; shift 2 ;;
    --no-results) record=no; shift ;;
    *) echo "usage: benchmarks/soak.sh [--duration S] [--rate N] [--faults N] [--settle S] [--max-slope KIB] [--no-results]" >&2; exit 2 ;;
  esac
done
[ -n "$faults" ] || faults=$((duration / 100 < 3 ? 3 : duration / 100))
command_line="benchmarks/soak.sh --duration $duration --rate $rate --faults $faults"

source scripts/lib/postgres.sh
source scripts/lib/rabbitmq.sh
source scripts/lib/docker.sh
source scripts/lib/s3.sh
source scripts/lib/busybox_image.sh
cicd=${CICD_BIN:-}
if [ -z "$cicd" ]; then
  source scripts/lib/build.sh
  build_cicd cicd >/dev/null
  cicd=${CICD_BUILD_DIR:-build}/roles/cicd
fi
cicd=$(realpath "$cicd")
work=$(mktemp -d /tmp/cicd-soak.XXXXXX)
source benchmarks/soak/deployment.sh
source benchmarks/soak/jobs.sh
source benchmarks/soak/activity.sh
source benchmarks/soak/checks.sh

loops=()
keep_work=no
cleanup() {
  local status=$?
  set +e
  for pid in "${loops[@]}"; do kill "$pid" 2>/dev/null; done
  for pid in "${loops[@]}"; do wait "$pid" 2>/dev/null; done
  stop_deployment
  stop_rabbitmq
  stop_postgres
  stop_s3
  stop_docker
  if [ "$keep_work" = yes ] || [ "$status" -ne 0 ]; then
    echo "the soak's logs and records are kept in $work" >&2
  else
    rm -rf "$work"
  fi
  exit "$status"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

echo "soak: starting the services" >&2
CICD_TEST_PG_PORT=${CICD_TEST_PG_PORT:-55481} start_postgres
soak_amqp_port=$(free_port) soak_dist_port=$(free_port) soak_epmd_port=$(free_port)
CICD_TEST_AMQP_PORT=$soak_amqp_port CICD_TEST_RABBITMQ_DIST_PORT=$soak_dist_port \
  CICD_TEST_RABBITMQ_EPMD_PORT=$soak_epmd_port start_rabbitmq
start_s3
start_docker
image="cicd-demo/busybox:1"
make_busybox_image "$image"
# Docker's own record of every container started, whatever the agents say.
docker events --filter type=container --filter event=start --filter label=cicd.run \
  --format '{{.Actor.Attributes.name}}' >"$work/docker-starts" 2>"$work/logs/docker-events.log" &
loops+=($!)

echo "soak: starting 2 masters and 3 agents" >&2
start_deployment
export CICD_TOKEN
CICD_TOKEN=$("$cicd" master token create --data-dir "$work/master-1" --sub soak --scope admin)
for kind in "${soak_jobs[@]}"; do
  code=$(api "$work/put-body" master-1 -X PUT "/jobs/soak-$kind" -d "$(soak_job_body "$kind" "$image")")
  [ "$code" = 201 ] || { echo "PUT /jobs/soak-$kind answered $code: $(cat "$work/put-body")" >&2; exit 1; }
done
for record_file in accepted refused aborts faults rss; do : >"$work/$record_file"; done

startup_s=$((SECONDS - started_at))
echo "soak: load for ${duration}s at $rate runs/s with $faults faults (start-up took ${startup_s}s)" >&2
soak_start=$(now_s)
load_end=$((soak_start + duration))
load_loop "$rate" & load_pid=$!
fault_loop "$faults" & fault_pid=$!
sample_loop 3 "$load_end" & sample_pid=$!
loops+=("$load_pid" "$fault_pid" "$sample_pid")
wait "$load_pid" "$fault_pid" "$sample_pid"

echo "soak: load stopped; settling (at most ${settle_max}s)" >&2
# From here on a failing check records what broke (in $work/broken) and the others still run.
set +e
settle_s=$(settle "$settle_max")
: >"$work/broken"
{
  check_outcomes
  check_executions
  check_leftovers 30
} >"$work/summary"
check_memory "$max_slope" 120 >"$work/memory-table"
total_s=$((SECONDS - started_at))

accepted=$(wc -l <"$work/accepted")
refused=$(awk '{ n[$2]++ } END { for (c in n) printf "%s%d × %s", sep, n[c], c; sep = ", " }' "$work/refused")
report="## $(date -u +%Y-%m-%d) — soak — $(nproc) cores, $(free -g | awk '/Mem:/ {print $2}') GiB, $(. /etc/os-release; echo "$PRETTY_NAME"), load average $(cut -d' ' -f1 /proc/loadavg) at the end

Command: \`$command_line\` (2 masters, 3 agents of 4 slots, PostgreSQL, RabbitMQ, the test S3
server and a private Docker engine on 127.0.0.1; lease 30 s, sweeper every 2 s).
Start-up ${startup_s}s, load ${duration}s, settled in ${settle_s}s, ${total_s}s end to end.

- runs accepted: $accepted; refused: ${refused:-none}
- faults, $(wc -l <"$work/faults") of $faults planned (second, kind, target, seconds down): $(awk '{ printf "%s%s %s %s %ss %s", sep, $1, $2, $3, $4, $5; sep = "; " }' "$work/faults")

\`\`\`
$(cat "$work/summary")
\`\`\`

RSS of each process, sampled every 3 s during the load, its first third of samples dropped
(GROWING: the slope after the first third and over the last half both above $max_slope KiB/min):

| process (pid) | samples after warm-up | window | RSS | slope KiB/min | slope over the last half | verdict |
|---|---|---|---|---|---|---|
$(cat "$work/memory-table")

Invariants: $([ -s "$work/broken" ] && echo "BROKEN — $(wc -l <"$work/broken") finding(s):" || echo "all held")
$(head -n 20 "$work/broken" | sed 's/^/- /')
$([ "$(wc -l <"$work/broken")" -le 20 ] || echo "- … and $(($(wc -l <"$work/broken") - 20)) more")
"
echo "$report"
[ "$record" = no ] || printf '\n%s\n' "$report" >>benchmarks/RESULTS.md
if [ -s "$work/broken" ]; then
  keep_work=yes
  exit 1
fi
