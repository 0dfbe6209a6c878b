# What runs during the soak, each as a background loop that ends by itself at $load_end
# (an epoch second) and is bounded in count: the trigger load, the fault script and the memory
# sampler. Sourced by benchmarks/soak.sh after deployment.sh and jobs.sh.
#
# Records (one line each, in $work):
#   accepted  "<job> <id> <master>": every 201 a trigger got
#   refused   "<job> <http code> <master>": every other answer (000: no answer)
#   aborts    "<id> <http code>": the abort sent shortly after each `abort` run's trigger
#   faults    "<second> <what> <target> <down seconds> ok|FAILED"
#   rss       "<second> <process> <pid> <KiB>"

now_s() { date +%s; }

# One request with a bounded time to one master: prints the HTTP code, the body goes to a file.
api() { # body-file master curl-args…
  local body=$1 url
  url=$(cat "$work/$2/url")
  shift 2
  curl -s -m 10 -o "$body" -w '%{http_code}' -H "Authorization: Bearer $CICD_TOKEN" "${@/#\//$url/}"
}

# Aborts a run from the given master a moment after its trigger (queued or running by then),
# as a client would: again while the master answers 503 (the database is down) or not at all,
# for at most 60 s.
abort_later() { # id master
  local code k
  sleep "1.$((RANDOM % 10))"
  for k in $(seq 60); do
    code=$(api /dev/null "$2" -X POST "/jobs/soak-abort/runs/$1/abort") || true
    [ "$code" = 503 ] || [ "$code" = 000 ] || break
    sleep 1
  done
  echo "$1 $code" >>"$work/aborts"
}

# A few runs a second, alternating the masters and cycling through the job mix.
load_loop() { # rate
  local period_ms=$((1000 / $1)) i=0 job master code id next body=$work/load-body
  next=$(date +%s%3N)
  while [ "$(now_s)" -lt "$load_end" ] && [ "$i" -lt 100000 ]; do
    job=${soak_cycle[$((i % ${#soak_cycle[@]}))]}
    master=master-$((i % 2 + 1))
    code=$(api "$body" "$master" -X POST "/jobs/soak-$job/runs" -d '{"branchName": "main"}') || true
    id=
    [ "$code" != 201 ] || id=$(sed -n 's/^{"id": *\([0-9][0-9]*\).*/\1/p' "$body")
    if [ -n "$id" ]; then
      echo "$job $id $master" >>"$work/accepted"
      if [ "$job" = abort ]; then
        abort_later "$id" "master-$(((i + 1) % 2 + 1))" &
      fi
    else
      # 201 without an id is a broken answer: recorded as such, checked at the end
      echo "$job ${code:-000}$([ "$code" != 201 ] || echo -without-id) $master" >>"$work/refused"
    fi
    i=$((i + 1))
    next=$((next + period_ms))
    local wait_ms=$((next - $(date +%s%3N)))
    [ "$wait_ms" -le 0 ] || sleep "$(printf '%d.%03d' $((wait_ms / 1000)) $((wait_ms % 1000)))"
  done
  wait # the aborts in flight
}

# SIGKILL and restart, at random, an agent, RabbitMQ and PostgreSQL: $1 faults spread over the
# load's time, each kind at least once when $1 >= 3, never two at once.
fault_loop() { # count
  local count=$1 start slot k kind target down ok
  start=$(now_s)
  slot=$(((load_end - start) / (count + 1)))
  local kinds=()
  for k in $(seq "$count"); do kinds+=("$(echo agent rabbitmq postgres | cut -d' ' -f$(((k - 1) % 3 + 1)))"); done
  mapfile -t kinds < <(printf '%s\n' "${kinds[@]}" | shuf)
  for k in $(seq "$count"); do
    # at k slots from the start, give or take a quarter slot
    local at=$((start + k * slot + (RANDOM % (slot / 2 + 1)) - slot / 4))
    while [ "$(now_s)" -lt "$at" ] && [ "$(now_s)" -lt "$load_end" ]; do sleep 0.5; done
    [ "$(now_s)" -lt "$load_end" ] || break
    kind=${kinds[$((k - 1))]}
    down=$((2 + RANDOM % 4))
    ok=ok
    case $kind in
      agent)
        target=agent-$((1 + RANDOM % 3))
        kill_hard "$target" || ok=FAILED
        sleep "$down"
        start_agent "$target" || ok=FAILED
        ;;
      rabbitmq)
        target=$CICD_TEST_RABBITMQ_NODE
        kill_rabbitmq || ok=FAILED
        sleep "$down"
        restart_rabbitmq || ok=FAILED
        ;;
      postgres)
        target=port-$CICD_TEST_PG_PORT
        kill_postgres || ok=FAILED
        sleep "$down"
        restart_postgres || ok=FAILED
        ;;
    esac
    echo "$(($(now_s) - soak_start)) $kind $target $down $ok" >>"$work/faults"
  done
}

# VmRSS of every master and agent process every $1 seconds, until $2 (an epoch second).
sample_loop() { # period until
  local name pid rss i
  for i in $(seq 100000); do
    [ "$(now_s)" -lt "$2" ] || break
    for name in master-1 master-2 agent-1 agent-2 agent-3; do
      pid=$(pid_of "$name")
      [ -n "$pid" ] || continue
      rss=$(awk '/^VmRSS:/ { print $2 }' "/proc/$pid/status" 2>/dev/null) || continue
      [ -z "$rss" ] || echo "$(($(now_s) - soak_start)) $name $pid $rss" >>"$work/rss"
    done
    sleep "$1"
  done
}
