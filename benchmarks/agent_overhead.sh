#!/usr/bin/env bash
# Measures the agent of `cicd standalone` against bare Docker on this machine, and appends
# the figures to benchmarks/RESULTS.md:
#   - a trivial job (`true` in the busybox image), POST to terminal status seen by GET,
#     against `docker run --rm <image> true` (median of N each; the ratio is our overhead).
#     The private engine of scripts/lib/docker.sh has no default bridge, so that bare
#     `docker run` gets no network at all, while every run of cicd gets its own network; a
#     second baseline, `docker run --rm --network <a user-defined network>`, is the like for
#     like comparison;
#   - 200 trivial runs triggered at once: completed per second;
#   - the process's RSS idle and with 8 runs going;
#   - console throughput of a job printing 100 MB with 5 secrets masked, and RSS growth.
#
#   benchmarks/agent_overhead.sh [N, default 10]
set -euo pipefail
cd "$(dirname "$0")/.."
n=${1:-10}

source scripts/lib/build.sh
source scripts/lib/docker.sh
source scripts/lib/busybox_image.sh
build_cicd cicd >/dev/null
cicd=${CICD_BUILD_DIR:-build}/roles/cicd
work=$(mktemp -d /tmp/cicd-bench-agent.XXXXXX)
pid=
cleanup() {
  [ -n "$pid" ] && kill "$pid" 2>/dev/null && wait "$pid" 2>/dev/null
  stop_docker
  rm -rf "$work"
}
trap cleanup EXIT
start_docker
image=cicd-demo/busybox:1
make_busybox_image "$image"

port=18090
url=http://127.0.0.1:$port
"$cicd" standalone --data-dir "$work/data" --listen 127.0.0.1:$port --cpu-threshold 100 \
  --slots 8 2>"$work/standalone.log" &
pid=$!
for _ in $(seq 100); do curl -sf "$url/healthz" >/dev/null && break; sleep 0.1; done
T=$("$cicd" standalone token create --data-dir "$work/data" --sub bench --scope admin)
api() { curl -sf -H "Authorization: Bearer $T" "$@"; }
rss_mib() { awk '/VmRSS/ {printf "%.1f", $2 / 1024}' "/proc/$pid/status"; }
now() { date +%s.%N; }
median() { sort -n | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }'; }
status_of() { api "$url/jobs/$1/runs/$2" | sed -n 's/.*"status":"\([a-z_]*\)".*/\1/p'; }
wait_terminal() { # job id
  while :; do
    case $(status_of "$1" "$2") in queued|running) sleep 0.02 ;; *) return ;; esac
  done
}
trigger() { api -X POST "$url/jobs/$1/runs" -d '{"branchName":"main"}' | sed -n 's/^{"id":\([0-9]*\).*/\1/p'; }

api -X PUT "$url/jobs/trivial" -o /dev/null -d "{\"type\":\"freestyle\",\"image\":\"$image\",\"script\":\"true\"}"
sleep 1
idle_rss=$(rss_mib)

# 1. one trivial run, end to end, against docker run
: >"$work/cicd" ; : >"$work/docker" ; : >"$work/docker-net"
docker network create cicd-bench-net >/dev/null
trigger trivial >/dev/null; sleep 1 # warm-up
for _ in $(seq "$n"); do
  start=$(now); id=$(trigger trivial); wait_terminal trivial "$id"
  echo "$(now) - $start" | bc >>"$work/cicd"
  start=$(now); docker run --rm "$image" true; echo "$(now) - $start" | bc >>"$work/docker"
  start=$(now); docker run --rm --network cicd-bench-net "$image" true
  echo "$(now) - $start" | bc >>"$work/docker-net"
done
docker network rm cicd-bench-net >/dev/null
cicd_s=$(median <"$work/cicd"); docker_s=$(median <"$work/docker")
docker_net_s=$(median <"$work/docker-net")
ratio=$(echo "scale=2; $cicd_s / $docker_s" | bc)
ratio_net=$(echo "scale=2; $cicd_s / $docker_net_s" | bc)

# 2. 200 runs at once
start=$(now)
last=0
for _ in $(seq 200); do last=$(trigger trivial); done
wait_terminal trivial "$last"
while api "$url/jobs/trivial/runs?status=running&limit=1" | grep -q '"id"' ||
      api "$url/jobs/trivial/runs?status=queued&limit=1" | grep -q '"id"'; do sleep 0.1; done
burst_s=$(echo "$(now) - $start" | bc)
burst_rate=$(echo "scale=1; 200 / $burst_s" | bc)

# 3. RSS with 8 runs going
api -X PUT "$url/jobs/sleeper" -o /dev/null -d "{\"type\":\"freestyle\",\"image\":\"$image\",\"script\":\"sleep 8\"}"
for _ in $(seq 8); do trigger sleeper >/dev/null; done
sleep 5
busy_rss=$(rss_mib)
sleep 6

# 4. 100 MB console with 5 secrets masked
secrets=(alpha-secret-1 bravo-secret-2 charlie-secret-3 delta-secret-4 echo-secret-5)
api -X PUT "$url/jobs/loud" -o /dev/null -d "{\"type\":\"freestyle\",\"image\":\"$image\",
  \"secrets\":[\"S1\",\"S2\",\"S3\",\"S4\",\"S5\"],
  \"script\":\"yes \\\"\$S1 some text \$S2 more \$S3 and \$S4 then \$S5 end\\\" | head -c 100000000\"}"
for i in 1 2 3 4 5; do
  api -X PUT "$url/jobs/loud/secrets/S$i" -o /dev/null -d "{\"value\":\"${secrets[$((i - 1))]}\"}"
done
before_rss=$(rss_mib)
id=$(trigger loud)
peak=0
while :; do
  r=$(awk '/VmRSS/ {print $2}' "/proc/$pid/status"); [ "$r" -gt "$peak" ] && peak=$r
  case $(status_of loud "$id") in queued|running) sleep 0.2 ;; *) break ;; esac
done
doc=$(api "$url/jobs/loud/runs/$id")
ms() { date -d "$(echo "$doc" | sed -n "s/.*\"$1\":\"\([^\"]*\)\".*/\1/p")" +%s%3N; }
run_s=$(echo "scale=3; ($(ms finishedAt) - $(ms startedAt)) / 1000" | bc)
size=$(api "$url/jobs/loud/runs/$id/results" | sed -n 's/.*"name":"console","contentType":"[^"]*","size":\([0-9]*\).*/\1/p')
leaks=$(api "$url/jobs/loud/runs/$id/results/console" | grep -c -e alpha-secret -e echo-secret || true)
mbps=$(echo "scale=1; 100 / $run_s" | bc)
growth=$(echo "scale=1; $peak / 1024 - $before_rss" | bc)

report="## $(date -u +%Y-%m-%d) — agent overhead — $(nproc) cores, $(free -g | awk '/Mem:/ {print $2}') GiB, $(. /etc/os-release; echo "$PRETTY_NAME"), Docker $(docker version -f '{{.Server.Version}}')

Command: \`benchmarks/agent_overhead.sh $n\`

| figure | value | aim |
|---|---|---|
| trivial run, POST → terminal via GET (median of $n) | ${cicd_s}s | |
| \`docker run --rm $image true\` (median of $n; no network on this engine) | ${docker_s}s | |
| \`docker run --rm --network <user-defined> $image true\` (median of $n) | ${docker_net_s}s | |
| overhead ratio against bare \`docker run\` (no network) | $ratio | ≤ 1.15 |
| overhead ratio against \`docker run\` with a network, like each run of cicd | $ratio_net | ≤ 1.15 |
| 200 trivial runs triggered at once (8 slots) | ${burst_s}s, $burst_rate runs/s | |
| RSS idle | ${idle_rss} MiB | |
| RSS with 8 runs going | ${busy_rss} MiB | |
| 100 MB console, 5 secrets masked: run time | ${run_s}s ($mbps MB/s) | ≥ 100 MB/s |
| stored console size | $size bytes (secret values left in it: $leaks) | |
| RSS growth during the 100 MB console | $growth MiB | ≤ 16 MiB |
"
echo "$report"
printf '\n%s\n' "$report" >>benchmarks/RESULTS.md
