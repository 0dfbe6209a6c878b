# The soak's invariants, checked once the load has stopped. Each check prints its figure lines
# to stdout and, for every broken invariant, one line "BROKEN: …" to $work/broken.
# Sourced by benchmarks/soak.sh after activity.sh.

broken() { echo "BROKEN: $*" | tee -a "$work/broken" >&2; }

sql() { # query: tab-separated rows
  runuser -u postgres -- psql -qtA -F $'\t' -h "$CICD_TEST_PG_SOCKET_DIR" -p "$CICD_TEST_PG_PORT" \
    -U cicd -d cicd -c "$1"
}

# The ids as an SQL list (0 stands for none: no run has it).
accepted_ids() { { echo 0; awk '{ print $2 }' "$work/accepted"; } | paste -sd, -; }

# Waits (at most $1 seconds) until every accepted run is terminal; prints the seconds it took.
settle() { # seconds
  local start=$SECONDS open
  while :; do
    open=$(sql "SELECT count(*) FROM runs WHERE id IN ($(accepted_ids))
                AND status IN ('queued', 'running')" 2>/dev/null || echo unknown)
    [ "$open" != 0 ] || break
    [ $((SECONDS - start)) -lt "$1" ] || break
    sleep 1
  done
  echo $((SECONDS - start))
}

# 1. Every accepted run is stored and terminal, with an outcome its job allows.
check_outcomes() {
  # (a reason may hold a multi-line libpq message: one line per run here)
  sql "SELECT r.id, j.name, r.status,
              regexp_replace(coalesce(r.reason, ''), E'[\\n\\t]+', ' ', 'g')
       FROM runs r JOIN jobs j ON j.id = r.job_id WHERE r.id IN ($(accepted_ids))" >"$work/outcomes"
  local accepted stored
  accepted=$(wc -l <"$work/accepted")
  stored=$(wc -l <"$work/outcomes")
  [ "$accepted" -gt 0 ] || broken "no run was accepted"
  ! grep -q -- -without-id "$work/refused" || broken "a trigger answered 201 without a run id"
  [ "$stored" -eq "$accepted" ] || broken "$accepted runs accepted, only $stored stored"
  local job id status reason
  while IFS=$'\t' read -r id job status reason; do
    job=${job#soak-}
    if [ "$status" = queued ] || [ "$status" = running ]; then
      broken "run $id of soak-$job still $status after the settle time"
      continue
    fi
    case " ${soak_outcomes[$job]:-} " in
      *" $status "*) ;;
      *) broken "run $id of soak-$job ended $status${reason:+ ($reason)}" ;;
    esac
    # errored only because its agent was killed under it, never for a fault it should outlive
    [ "$status" != errored ] || [[ $reason == "agent lost"* ]] ||
      broken "run $id of soak-$job errored: $reason"
  done <"$work/outcomes"
  # The abort of a run that had not ended must have been taken (200 queued, 202 running).
  awk '$2 != 200 && $2 != 202' "$work/aborts" 2>/dev/null | while read -r id code; do
    grep -q "^$id	[^	]*	errored" "$work/outcomes" ||
      broken "the abort of run $id answered $code"
  done
  echo "outcomes:"
  awk -F'\t' '{ n[$2 " " $3]++ } END { for (k in n) printf "  %-24s %d\n", k, n[k] }' \
    "$work/outcomes" | sort
  echo "errored, by reason:"
  awk -F'\t' '$3 == "errored" { sub(/:.*/, "", $4); n[$4]++ } END { for (k in n) printf "  %4d  %s\n", n[k], k }' \
    "$work/outcomes" | sort -rn
}

# 2. No run executed twice: the Docker engine's record of started job containers (named
# cicd-run-<id>-<agent>-job), the agents' "run N of J started" log lines, and the distinct
# nonces in each stored console.
check_executions() {
  local twice_docker twice_log
  twice_docker=$(sed -n 's/^cicd-run-\([0-9]*\)-.*-job$/\1/p' "$work/docker-starts" | sort | uniq -d)
  twice_log=$(cat "$work"/logs/agent-*.log | sed -n 's/.*run \([0-9]*\) of soak-[a-z]* started.*/\1/p' |
    sort | uniq -d)
  [ -z "$twice_docker" ] || broken "job containers started more than once for run(s): $(paste -sd" " <<<"$twice_docker")"
  [ -z "$twice_log" ] || broken "agents logged a start more than once for run(s): $(paste -sd" " <<<"$twice_log")"
  # The consoles, read back through the masters (4 at a time). A master whose database
  # connection the PostgreSQL fault ended answers 503 "retry in a moment" once; curl retries.
  mkdir -p "$work/consoles"
  awk '{ print $1, $2, NR % 2 + 1 }' "$work/accepted" |
    xargs -r -P 4 -n 3 sh -c 'curl -s -m 60 --retry 5 --retry-delay 1 -o "$0/consoles/$2" -H "Authorization: Bearer $CICD_TOKEN" \
      "$(cat "$0/master-$3/url")/jobs/soak-$1/runs/$2/results/console"' "$work" || true
  local job id nonces incomplete=0 with_marker=0
  while read -r job id _; do
    nonces=$(grep -a -o "^soak-exec run=$id nonce=[0-9a-f-]*" "$work/consoles/$id" 2>/dev/null |
      sort -u | wc -l || true)
    [ "$nonces" -le 1 ] || broken "run $id of soak-$job: $nonces executions in its console"
    [ "$nonces" -eq 0 ] || with_marker=$((with_marker + 1))
    # A console marker without a start in Docker's record: that record missed something.
    [ "$nonces" -eq 0 ] || grep -q "^cicd-run-$id-.*-job$" "$work/docker-starts" ||
      broken "run $id of soak-$job printed its marker, but Docker's events show no start of its job container"
    if [ "$job" = big ] && grep -q "^$id	soak-big	succeeded" "$work/outcomes"; then
      [ "$(grep -a -c '^soak big console line' "$work/consoles/$id")" -eq "$soak_big_lines" ] ||
        { incomplete=$((incomplete + 1)); broken "run $id of soak-big succeeded with a console missing lines"; }
    fi
  done <"$work/accepted"
  echo "job containers started (Docker events): $(grep -c -- '-job$' "$work/docker-starts"), of distinct runs: $(sed -n 's/^cicd-run-\([0-9]*\)-.*-job$/\1/p' "$work/docker-starts" | sort -u | wc -l)"
  echo "consoles with an execution marker: $with_marker of $(wc -l <"$work/accepted"); runs executed twice: $(echo "$twice_docker $twice_log" | wc -w)"
  echo "big consoles of succeeded runs missing lines: $incomplete"
}

# 3. Nothing left behind: containers, networks and volumes labelled for a run, work dirs.
check_leftovers() { # seconds to wait for the last clean-ups
  local deadline=$((SECONDS + $1)) containers networks volumes dirs
  while :; do
    containers=$(docker ps -aq --filter label=cicd.run | wc -l)
    networks=$(docker network ls -q --filter label=cicd.run | wc -l)
    volumes=$(docker volume ls -q --filter label=cicd.run | wc -l)
    dirs=$(find "$work"/agent-*/work -mindepth 1 -maxdepth 1 2>/dev/null | wc -l || true)
    [ $((containers + networks + volumes + dirs)) -gt 0 ] && [ "$SECONDS" -lt "$deadline" ] || break
    sleep 1
  done
  echo "left behind: $containers container(s), $networks network(s), $volumes volume(s), $dirs work dir(s)"
  [ "$containers" -eq 0 ] || broken "$containers container(s) left: $(docker ps -a --filter label=cicd.run --format '{{.Names}} {{.Status}}' | head -n 5 | paste -sd';')"
  [ "$networks" -eq 0 ] || broken "$networks network(s) left: $(docker network ls --filter label=cicd.run --format '{{.Name}}' | head -n 5 | paste -sd' ')"
  [ "$volumes" -eq 0 ] || broken "$volumes volume(s) left"
  [ "$dirs" -eq 0 ] || broken "$dirs work dir(s) left: $(find "$work"/agent-*/work -mindepth 1 -maxdepth 1 | head -n 5 | paste -sd' ')"
}

# 4. Memory: per process (each incarnation of a restarted agent on its own), the least-squares
# slope of VmRSS over time once its first third of samples (the warm-up) is dropped, and the
# same over its last half. A process is GROWING when both exceed $1 KiB/min over a window of at
# least $2 seconds: a leak grows at the same pace throughout, while a heap that is still
# filling its allocator's arenas after the first third levels off by the last half.
check_memory() { # max-slope-KiB/min min-window-s
  awk -v max="$1" -v min_window="$2" '
    function slope(key, from,    i, m, x, y, sx, sy, sxx, sxy, d) {
      sx = sy = sxx = sxy = 0; m = n[key] - from + 1
      for (i = from; i <= n[key]; i++) { x = t[key, i] / 60; y = r[key, i]; sx += x; sy += y; sxx += x * x; sxy += x * y }
      d = m * sxx - sx * sx
      return d > 0 ? (m * sxy - sx * sy) / d : 0
    }
    { key = $2 " " $3; if (!(key in n)) order[++keys] = key; n[key]++; t[key, n[key]] = $1; r[key, n[key]] = $4 }
    END {
      for (k = 1; k <= keys; k++) {
        key = order[k]; first = int(n[key] / 3) + 1; half = int(n[key] / 2) + 1
        if (n[key] - first + 1 < 5) continue
        after_third = slope(key, first); last_half = slope(key, half)
        window = t[key, n[key]] - t[key, first]
        verdict = window < min_window ? "window too short to judge" : (after_third > max && last_half > max ? "GROWING" : "flat")
        printf "| %s | %d | %d s | %.1f → %.1f MiB | %.0f | %.0f | %s |\n", key, n[key] - first + 1, window, r[key, first] / 1024, r[key, n[key]] / 1024, after_third, last_half, verdict
      }
    }' "$work/rss" >"$work/memory"
  cat "$work/memory"
  grep 'GROWING' "$work/memory" | while read -r line; do broken "memory grows: $line"; done || true
}
