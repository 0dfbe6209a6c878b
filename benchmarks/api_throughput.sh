#!/usr/bin/env bash
# Measures the master's API on SQLite and on PostgreSQL with wrk on loopback, with 100k runs
# in the database: GET of a finished run, POST of a run, GET of a 50-run page. Prints a
# Markdown table (median of 3 rounds per figure) and appends it to benchmarks/RESULTS.md.
#
#   benchmarks/api_throughput.sh [seconds per round, default 10]
set -euo pipefail
cd "$(dirname "$0")/.."
seconds=${1:-10}
rounds=3
connections=64

source scripts/lib/build.sh
source scripts/lib/postgres.sh
build_cicd >/dev/null
cicd=${CICD_BUILD_DIR:-build}/roles/cicd
work=$(mktemp -d /tmp/cicd-bench.XXXXXX)
CICD_TEST_PG_PORT=55490 start_postgres
master_pid=
cleanup() {
  [ -n "$master_pid" ] && kill "$master_pid" 2>/dev/null && wait "$master_pid" 2>/dev/null
  stop_postgres
  rm -rf "$work"
}
trap cleanup EXIT

rss_kib() { awk '/VmRSS/ {print $2}' "/proc/$1/status"; }

# wrk's summary → "requests/s p50 p99" (latencies in ms).
wrk_figures() {
  awk '
    function ms(v) { if (v ~ /us$/) return v / 1000; if (v ~ /ms$/) return v + 0; if (v ~ /s$/) return v * 1000; return v }
    /^ +50%/ { p50 = ms($2) } /^ +99%/ { p99 = ms($2) } /^Requests\/sec/ { rps = $2 }
    END { printf "%.0f %.2f %.2f\n", rps, p50, p99 }'
}

median() { sort -n | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }'; }

# Runs one wrk case `rounds` times; prints "rps p50 p99 peak_rss_kib" as medians.
measure() {
  local url=$1 script=$2 out=$work/wrk
  : >"$out"
  for _ in $(seq "$rounds"); do
    wrk -t2 -c"$connections" -d"${seconds}s" --latency -s "$script" "$url" >"$work/round" 2>&1 &
    local wrk_pid=$! peak=0
    while kill -0 "$wrk_pid" 2>/dev/null; do
      local now; now=$(rss_kib "$master_pid"); [ "$now" -gt "$peak" ] && peak=$now
      sleep 0.5
    done
    echo "$(wrk_figures <"$work/round") $peak" >>"$out"
  done
  echo "$(awk '{print $1}' "$out" | median) $(awk '{print $2}' "$out" | median)" \
       "$(awk '{print $3}' "$out" | median) $(awk '{print $4}' "$out" | sort -n | tail -n1)"
}

seed_runs() { # store job_id count
  local sql="INSERT INTO runs (job_id, status, trigger_kind, branch_name, triggered_by, parameters,
    resource_class, queued_at, started_at, finished_at)
    SELECT 1, 'succeeded', 'api', 'master', 'bench', '{}', 'default', 1, 2, 3 FROM"
  if [ "$1" = postgresql ]; then
    runuser -u postgres -- psql -q -h "$CICD_TEST_PG_SOCKET_DIR" -p "$CICD_TEST_PG_PORT" -U cicd \
      -d cicd -c "$sql generate_series(1, $2)"
  else
    sqlite3 "$work/sqlite/cicd.db" "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n
      WHERE i < $2) $sql n"
  fi
}

table="| store | case | requests/s | p50 ms | p99 ms | master RSS under load (MiB) |
|---|---|---|---|---|---|"
idle_rows=""
for store in sqlite postgresql; do
  dir=$work/$store
  mkdir -p "$dir"
  db="sqlite://$dir/cicd.db"
  [ "$store" = postgresql ] && db=$CICD_TEST_PG_URL
  "$cicd" master --data-dir "$dir" --db "$db" --listen 127.0.0.1:18089 2>"$work/$store.log" &
  master_pid=$!
  for _ in $(seq 50); do curl -sf 127.0.0.1:18089/healthz >/dev/null && break; sleep 0.1; done
  export CICD_TOKEN
  CICD_TOKEN=$("$cicd" master token create --data-dir "$dir" --sub bench --scope admin)
  curl -sf -X PUT -H "Authorization: Bearer $CICD_TOKEN" 127.0.0.1:18089/jobs/bench \
    -d '{"type":"freestyle","image":"debian:12","script":"true"}' >/dev/null
  seed_runs "$store" 100000
  sleep 1
  idle=$(rss_kib "$master_pid")
  idle_rows+="| $store | $(awk -v k="$idle" 'BEGIN {printf "%.1f", k / 1024}') |
"
  base=http://127.0.0.1:18089/jobs/bench/runs
  read -r rps p50 p99 peak < <(measure "$base/50000" benchmarks/get_with_token.lua)
  table+="
| $store | GET a finished run | $rps | $p50 | $p99 | $(awk -v k="$peak" 'BEGIN {printf "%.1f", k / 1024}') |"
  read -r rps p50 p99 peak < <(measure "$base" benchmarks/post_run.lua)
  table+="
| $store | POST a run | $rps | $p50 | $p99 | $(awk -v k="$peak" 'BEGIN {printf "%.1f", k / 1024}') |"
  read -r rps p50 p99 peak < <(measure "$base?limit=50&after=60000" benchmarks/get_with_token.lua)
  table+="
| $store | GET 50 runs of 100k+ | $rps | $p50 | $p99 | $(awk -v k="$peak" 'BEGIN {printf "%.1f", k / 1024}') |"
  kill "$master_pid"; wait "$master_pid" 2>/dev/null || true; master_pid=
done

report="## $(date -u +%Y-%m-%d) — $(nproc) cores, $(free -g | awk '/Mem:/ {print $2}') GiB, $(. /etc/os-release; echo "$PRETTY_NAME")

Command: \`benchmarks/api_throughput.sh $seconds\` (wrk -t2 -c$connections, ${seconds}s per round,
median of $rounds rounds; wrk shares the machine's cores with the master).

$table

| store | master RSS idle (MiB) |
|---|---|
$idle_rows"
echo "$report"
printf '\n%s\n' "$report" >>benchmarks/RESULTS.md
