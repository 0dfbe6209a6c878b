#!/usr/bin/env bash
# Measures git jobs through `cicd standalone` and appends the figures to benchmarks/RESULTS.md:
#   1. POST latency of a git job (wrk, 8 connections, median of 3 rounds):
#      a. on a commit the master's cache already has (no network),
#      b. on a branch served by `git daemon` on loopback (one branch fetched per trigger);
#      the runs are of a resource class bigger than the agent, so they stay queued;
#   2. cold: the same branch trigger with the master's git cache deleted before each one
#      (median of N);
#   3. trigger to start when the image is cached: a git job building the repository's
#      Dockerfile, already built once, POST to terminal status (median of N), against the
#      same script as a freestyle job on the same image.
#
#   benchmarks/git_trigger.sh [N, default 20] [seconds per wrk round, default 5]
set -euo pipefail
cd "$(dirname "$0")/.."
n=${1:-20}
seconds=${2:-5}

source scripts/lib/build.sh
source scripts/lib/docker.sh
source scripts/lib/busybox_image.sh
build_cicd cicd >/dev/null
cicd=$(realpath "${CICD_BUILD_DIR:-build}/roles/cicd")
work=$(mktemp -d /tmp/cicd-bench-git.XXXXXX)
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

# The repository: a Dockerfile of its own and a config file, on branch main.
git init -q -b main "$work/src"
git -C "$work/src" config user.email bench@example.org
git -C "$work/src" config user.name bench
printf 'FROM %s\nRUN echo built > /built\n' "$image" >"$work/src/Dockerfile"
printf 'image:\n  dockerfile: Dockerfile\nscript: cat /built\nresourceClass: bench-queued\n' \
  >"$work/src/.cicd.yml"
mkdir -p "$work/src/run"
printf 'image:\n  dockerfile: Dockerfile\nscript: cat /built\n' >"$work/src/run/.cicd.yml"
git -C "$work/src" add -A
git -C "$work/src" commit -qm bench
git clone -q --bare "$work/src" "$work/served/repo.git"
sha=$(git -C "$work/src" rev-parse HEAD)
daemon_port=18097
git daemon --reuseaddr --base-path="$work/served" --export-all --listen=127.0.0.1 \
  --port=$daemon_port --enable=upload-pack "$work/served" 2>"$work/daemon.log" &
pids+=($!)
repo_url=git://127.0.0.1:$daemon_port/repo.git

port=18096
url=http://127.0.0.1:$port
"$cicd" standalone --data-dir "$work/data" --listen 127.0.0.1:$port --cpu-threshold 100 \
  --slots 2 2>"$work/standalone.log" &
pids+=($!)
for _ in $(seq 100); do curl -sf "$url/healthz" >/dev/null 2>&1 && break; sleep 0.1; done
export CICD_TOKEN
CICD_TOKEN=$("$cicd" standalone token create --data-dir "$work/data" --sub bench --scope admin)
api() { curl -sf -H "Authorization: Bearer $CICD_TOKEN" "$@"; }
now() { date +%s.%N; }
median() { sort -n | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }'; }
status_of() { api "$url/jobs/$1/runs/$2" | sed -n 's/.*"status":"\([a-z_]*\)".*/\1/p'; }
wait_terminal() { # job id
  while :; do
    case $(status_of "$1" "$2") in queued|running) sleep 0.02 ;; *) return ;; esac
  done
}
trigger() { # job body → id
  api -X POST "$url/jobs/$1/runs" -d "$2" | sed -n 's/^{"id":\([0-9]*\).*/\1/p'
}
wrk_round() { # lua-body target → "rps p50_ms"
  cat >"$work/post.lua" <<LUA
wrk.method = "POST"
wrk.body = '$1'
wrk.headers["Authorization"] = "Bearer " .. os.getenv("CICD_TOKEN")
wrk.headers["Content-Type"] = "application/json"
LUA
  wrk -t2 -c8 -d"${seconds}s" --latency -s "$work/post.lua" "$2" >"$work/round" 2>&1
  awk 'function ms(v) { if (v ~ /us$/) return v / 1000; if (v ~ /ms$/) return v + 0; if (v ~ /s$/) return v * 1000; return v }
       /^ +50%/ { p50 = ms($2) } /^ +99%/ { p99 = ms($2) } /^Requests\/sec/ { rps = $2 }
       /Non-2xx/ { bad = $NF } END { printf "%.0f %.2f %.2f %d\n", rps, p50, p99, bad }' "$work/round"
}

# More CPUs than the agent has: it never takes these runs, they stay queued.
api -X PUT "$url/settings/resource-classes/bench-queued" -o /dev/null -d '{"cpus": 1024, "memoryMiB": 64}'
api -X PUT "$url/jobs/queued" -o /dev/null -d "{\"type\":\"git\",\"repoUrl\":\"$repo_url\"}"
trigger queued '{"branchName":"main"}' >/dev/null # warms the cache

# 1. warm: a commit in the cache, then a branch fetched per trigger.
: >"$work/commit" ; : >"$work/branch"
for _ in 1 2 3; do
  wrk_round "{\"commitSha\":\"$sha\"}" "$url/jobs/queued/runs" >>"$work/commit"
  wrk_round '{"branchName":"main"}' "$url/jobs/queued/runs" >>"$work/branch"
done
commit_rps=$(awk '{print $1}' "$work/commit" | median)
commit_p50=$(awk '{print $2}' "$work/commit" | median)
commit_p99=$(awk '{print $3}' "$work/commit" | median)
branch_rps=$(awk '{print $1}' "$work/branch" | median)
branch_p50=$(awk '{print $2}' "$work/branch" | median)
branch_p99=$(awk '{print $3}' "$work/branch" | median)
bad=$(cat "$work/commit" "$work/branch" | awk '{ s += $4 } END { print s + 0 }')

# 2. cold: no cache at all before each trigger.
: >"$work/cold"
for _ in $(seq "$n"); do
  rm -rf "$work/data/git-cache"
  start=$(now)
  trigger queued '{"branchName":"main"}' >/dev/null
  echo "scale=1; ($(now) - $start) * 1000 / 1" | bc >>"$work/cold"
done
cold_ms=$(median <"$work/cold")

# 3. trigger to end with the image cached, against a freestyle job running the same script.
api -X PUT "$url/jobs/built" -o /dev/null \
  -d "{\"type\":\"git\",\"repoUrl\":\"$repo_url\",\"configPath\":\"run/.cicd.yml\"}"
api -X PUT "$url/jobs/plain" -o /dev/null \
  -d "{\"type\":\"freestyle\",\"image\":\"$image\",\"script\":\"echo built\"}"
wait_terminal built "$(trigger built '{"branchName":"main"}')" # builds the image once
: >"$work/git-run" ; : >"$work/plain-run"
for _ in $(seq "$n"); do
  start=$(now); git_id=$(trigger built '{"branchName":"main"}'); wait_terminal built "$git_id"
  echo "$(now) - $start" | bc >>"$work/git-run"
  start=$(now); id=$(trigger plain '{"branchName":"main"}'); wait_terminal plain "$id"
  echo "$(now) - $start" | bc >>"$work/plain-run"
done
cached=$(api "$url/jobs/built/runs/$git_id/results/console" | grep -c "is up to date" || true)
git_run_s=$(median <"$work/git-run")
plain_run_s=$(median <"$work/plain-run")

report="## $(date -u +%Y-%m-%d) — git jobs — $(nproc) cores, $(free -g | awk '/Mem:/ {print $2}') GiB, $(. /etc/os-release; echo "$PRETTY_NAME"), git $(git --version | awk '{print $3}'), Docker $(docker version -f '{{.Server.Version}}')

Command: \`benchmarks/git_trigger.sh $n $seconds\` (\`cicd standalone\` on SQLite; the
repository served by \`git daemon\` on loopback; wrk -t2 -c8, ${seconds}s per round, median of 3).

| figure | value | aim |
|---|---|---|
| POST of a git job on a commit in the cache: p50 / p99, runs/s | ${commit_p50} / ${commit_p99} ms, $commit_rps/s | p50 ≤ 10 ms |
| POST of a git job on a branch (its head asked of the remote): p50 / p99, runs/s | ${branch_p50} / ${branch_p99} ms, $branch_rps/s | |
| non-2xx answers during those rounds | $bad | 0 |
| POST on a branch with the git cache deleted first (cold), median of $n | ${cold_ms} ms | |
| git job, image built before (\"up to date\"), POST → terminal, median of $n | ${git_run_s}s | |
| the same script as a freestyle job, POST → terminal, median of $n | ${plain_run_s}s | |
"
echo "$report"
[ "$cached" -gt 0 ] || echo "warning: the last git run did not use the cached image" >&2
printf '\n%s\n' "$report" >>benchmarks/RESULTS.md
