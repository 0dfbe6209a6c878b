#!/usr/bin/env bash
# Measures the web pages of `cicd standalone` (/ui/, calling its own API over loopback) and
# appends the figures to benchmarks/RESULTS.md:
#   1. the run page of a finished run with a 10 MB console: time to first byte and to the
#      whole page (the page holds only the console's last 256 KiB; the rest is a download);
#   2. the jobs page with 1,000 jobs: the first page (50 jobs, each with its last run) and a
#      filter that walks all 1,000.
# Each figure is the median of N requests (curl -w).
#
#   benchmarks/ui_pages.sh [N, default 20]
set -euo pipefail
cd "$(dirname "$0")/.."
rounds=${1:-20}

source scripts/lib/build.sh
source scripts/lib/docker.sh
source scripts/lib/busybox_image.sh
build_cicd cicd >/dev/null
cicd=$(realpath "${CICD_BUILD_DIR:-build}/roles/cicd")
work=$(mktemp -d /tmp/cicd-bench-ui.XXXXXX)
pids=()
cleanup() {
  for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
  for pid in "${pids[@]}"; do wait "$pid" 2>/dev/null || true; done
  stop_docker
  rm -rf "$work"
}
trap cleanup EXIT
start_docker
image=cicd-demo/busybox:1
make_busybox_image "$image"

port=18097
url=http://127.0.0.1:$port
"$cicd" standalone --data-dir "$work/data" --listen 127.0.0.1:$port --cpu-threshold 100 \
  2>"$work/standalone.log" &
pids+=($!)
for _ in $(seq 100); do curl -sf "$url/healthz" >/dev/null 2>&1 && break; sleep 0.1; done
token=$("$cicd" standalone token create --data-dir "$work/data" --sub bench --scope admin)
api() { curl -sf -H "Authorization: Bearer $token" "$@"; }
cookie="cicd_session=$token"
median() { sort -n | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }'; }
# time_starttransfer and time_total of GET $1, in ms, one line per round.
timings() {
  for _ in $(seq "$rounds"); do
    curl -s -o /dev/null -b "$cookie" -w '%{time_starttransfer} %{time_total}\n' "$1"
  done | awk '{ printf "%.1f %.1f\n", $1 * 1000, $2 * 1000 }' >"$work/timings"
  first=$(cut -d' ' -f1 "$work/timings" | median)
  total=$(cut -d' ' -f2 "$work/timings" | median)
}

# 1. A run with a 10 MB console (100,000 lines of 100 bytes).
api -X PUT "$url/jobs/big" -o /dev/null -d "{\"type\":\"freestyle\",\"image\":\"$image\",
  \"script\":\"yes 0123456789012345678901234567890123456789012345678901234567890123456789012345678901234567890123456 | head -n 100000\"}"
id=$(api -X POST "$url/jobs/big/runs" -d '{"branchName":"main"}' | sed -n 's/^{"id":\([0-9]*\).*/\1/p')
for _ in $(seq 600); do
  api "$url/jobs/big/runs/$id" | grep -q '"status":"succeeded"' && break
  sleep 0.2
done
size=$(api "$url/jobs/big/runs/$id/results" | sed -n 's/.*"name":"console"[^}]*"size":\([0-9]*\).*/\1/p')
timings "$url/ui/jobs/big/runs/$id"
run_first=$first run_total=$total
page_bytes=$(curl -s -b "$cookie" "$url/ui/jobs/big/runs/$id" | wc -c)

# 2. 1,000 jobs (one of them has run).
for n in $(seq -w 1 999); do
  api -X PUT "$url/jobs/job-$n" -o /dev/null -d "{\"type\":\"freestyle\",\"image\":\"$image\",\"script\":\"true\"}"
done
timings "$url/ui/jobs"
jobs_first=$first jobs_total=$total
timings "$url/ui/jobs?q=job-5"
filter_first=$first filter_total=$total

report="## $(date +%Y-%m-%d) — web pages — $(nproc) cores, $(awk '/MemTotal/ { printf "%d GiB", $2 / 1048576 }' /proc/meminfo), $(. /etc/os-release && echo "$PRETTY_NAME")

Command: \`benchmarks/ui_pages.sh $rounds\` (\`cicd standalone\`, the pages at /ui/ calling its
own API over loopback; medians of $rounds requests with curl; load average $(cut -d' ' -f1 /proc/loadavg) at the end).

| figure | first byte | whole page | aim |
|---|---|---|---|
| run page, console of $size bytes (page: $page_bytes bytes) | $run_first ms | $run_total ms | first byte ≤ 50 ms |
| jobs page, 1,000 jobs (first 50, each with its last run) | $jobs_first ms | $jobs_total ms | |
| jobs page filtered (\`?q=job-5\`: walks all 1,000, shows 100) | $filter_first ms | $filter_total ms | |

The pages are made whole before the first byte goes out (the API calls come first): the run
page asks for the run, its results and the console's last 256 KiB; the jobs page asks for each
job's last run, one request per job.
"
echo "$report"
printf '\n%s\n' "$report" >>benchmarks/RESULTS.md
