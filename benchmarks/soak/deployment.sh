# The soak's deployment on this machine: two `cicd master`s and three `cicd agent`s on
# PostgreSQL, RabbitMQ and the test S3 server, everything on 127.0.0.1, and the ways the fault
# script kills and restarts its pieces. Sourced by benchmarks/soak.sh, which sets $cicd (the
# binary), $work (the soak's temp dir) and has sourced scripts/lib/{postgres,rabbitmq,s3}.sh.
#
# Every process started here has its pid in $work/pids/<name>: stop_deployment ends exactly
# those (and the services through their own stop functions).

mkdir -p "$work/pids" "$work/logs"

# A port nobody listens on at 127.0.0.1 now, below Linux's ephemeral range (32768 and up), so
# that no outgoing connection holds it when a server binds it later.
free_port() {
  local port i
  for i in $(seq 200); do
    port=$((20000 + RANDOM % 12000))
    (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null || { echo "$port"; return 0; }
  done
  echo "no free port found" >&2
  return 1
}

pid_of() { cat "$work/pids/$1" 2>/dev/null || true; }

# True while the process runs (a zombie does not count: the fault script's restarts are not
# the main shell's children, so it cannot reap them).
alive() {
  local state
  state=$(awk '{ print $3 }' "/proc/$1/stat" 2>/dev/null) || return 1
  [ -n "$state" ] && [ "$state" != Z ]
}
gone() { ! alive "$1"; }

wait_until() { # seconds command…: polls every 0.2 s, bounded
  local deadline=$((SECONDS + $1))
  shift
  while [ "$SECONDS" -lt "$deadline" ]; do
    "$@" >/dev/null 2>&1 && return 0
    sleep 0.2
  done
  return 1
}

# The URL every master and agent names for results; the credentials go in the environment.
results_url() {
  echo "s3://$CICD_TEST_S3_BUCKET/soak?endpoint=$CICD_TEST_S3_ENDPOINT"
}

start_master() { # name
  local name=$1 port
  port=$(free_port)
  mkdir -p "$work/$name"
  local keys=()
  # The second master shares the first one's token and secrets keys, as a real pair would.
  [ "$name" = master-1 ] || keys=(--jwt-key "$work/master-1/jwt.key"
    --secrets-key "$work/master-1/secrets.key")
  AWS_ACCESS_KEY_ID=$CICD_TEST_S3_ACCESS_KEY AWS_SECRET_ACCESS_KEY=$CICD_TEST_S3_SECRET_KEY \
    "$cicd" master --data-dir "$work/$name" --listen "127.0.0.1:$port" --db "$CICD_TEST_PG_URL" \
    --queue "$CICD_TEST_AMQP_URL" --results "$(results_url)" "${keys[@]}" \
    --sweep-period 2 --republish-after 10 >>"$work/logs/$name.log" 2>&1 &
  echo $! >"$work/pids/$name"
  disown $! # stopped by pid; and no "Killed" notice from the shell
  echo "http://127.0.0.1:$port" >"$work/$name/url"
  wait_until 60 curl -sf "http://127.0.0.1:$port/healthz" ||
    { echo "$name did not answer /healthz; its log:" >&2; cat "$work/logs/$name.log" >&2; return 1; }
}

# An agent keeps its --data-dir (so its id) across restarts: the next start removes what a
# killed one left behind and marks its runs errored at once. The lease (30 s, not the default
# 60) outlasts a PostgreSQL restart, so that one does not cost the runs in progress, and keeps
# the sweeper's work within the settle time; a short grace makes aborts and timeouts quick.
agent_started() { # name starts-before
  [ "$(grep -c 'takes up to' "$work/logs/$1.log" 2>/dev/null || true)" -gt "$2" ]
}

start_agent() { # name
  local name=$1 ready
  mkdir -p "$work/$name"
  # Ready once it logs "agent … takes up to": after its sweep of what a killed one left.
  ready=$(grep -c 'takes up to' "$work/logs/$name.log" 2>/dev/null || true)
  AWS_ACCESS_KEY_ID=$CICD_TEST_S3_ACCESS_KEY AWS_SECRET_ACCESS_KEY=$CICD_TEST_S3_SECRET_KEY \
    "$cicd" agent --data-dir "$work/$name" --db "$CICD_TEST_PG_URL" --queue "$CICD_TEST_AMQP_URL" \
    --results "$(results_url)" --secrets-key "$work/master-1/secrets.key" --slots 4 \
    --cpu-threshold 100 --heartbeat 1 --lease 30 --grace 2 --listen 127.0.0.1:0 \
    >>"$work/logs/$name.log" 2>&1 &
  echo $! >"$work/pids/$name"
  disown $! # stopped by pid; and no "Killed" notice from the shell when the fault script kills it
  wait_until 60 agent_started "$name" "${ready:-0}" ||
    { echo "$name did not start; its log:" >&2; tail -n 20 "$work/logs/$name.log" >&2; return 1; }
}

# SIGKILL, then wait (bounded) for the process to be gone.
kill_hard() { # name
  local pid
  pid=$(pid_of "$1")
  [ -n "$pid" ] || return 0
  kill -9 "$pid" 2>/dev/null || true
  wait_until 30 gone "$pid"
  rm -f "$work/pids/$1"
}

# RabbitMQ: SIGKILL the node's VM, then start the same node (same name, ports and mnesia dir,
# so its durable queues and their messages come back) exactly as start_rabbitmq does.
kill_rabbitmq() {
  local root=$CICD_TEST_RABBITMQ_ROOT pid
  pid=$(cat "$root/rabbitmq.pid" 2>/dev/null || true)
  [ -n "$pid" ] || return 1
  kill -9 "$pid"
  wait_until 30 gone "$pid"
}

restart_rabbitmq() {
  local root=$CICD_TEST_RABBITMQ_ROOT attempt i pid
  local as_rabbitmq=()
  [ "$(id -u)" -ne 0 ] || as_rabbitmq=(runuser -u rabbitmq --)
  # Up to 3 tries of 60 s; the node's own logs of a failed try are kept in $work/logs.
  for attempt in 1 2 3; do
    rm -f "$root/rabbitmq.pid"
    (
      cd "$root" &&
        "${as_rabbitmq[@]}" env HOME="$root" ERL_EPMD_PORT="$soak_epmd_port" ERL_EPMD_ADDRESS=127.0.0.1 \
          RABBITMQ_CONF_ENV_FILE="$root/rabbitmq-env.conf" RABBITMQ_CONFIG_FILE="$root/rabbitmq.conf" \
          RABBITMQ_ENABLED_PLUGINS_FILE="$root/enabled_plugins" \
          RABBITMQ_NODENAME="$CICD_TEST_RABBITMQ_NODE" RABBITMQ_NODE_IP_ADDRESS=127.0.0.1 \
          RABBITMQ_NODE_PORT="$soak_amqp_port" RABBITMQ_DIST_PORT="$soak_dist_port" \
          RABBITMQ_MNESIA_BASE="$root/mnesia" \
          RABBITMQ_SERVER_ADDITIONAL_ERL_ARGS="-kernel inet_dist_use_interface {127,0,0,1}" \
          RABBITMQ_LOG_BASE="$root/log" RABBITMQ_PID_FILE="$root/rabbitmq.pid" \
          "$rabbitmq_bin/rabbitmq-server" -detached >>"$work/logs/rabbitmq-restarts.log" 2>&1
    )
    for i in $(seq 60); do
      timeout 15 "$root/rabbitmqctl" -q await_startup --timeout 5 >/dev/null 2>&1 && return 0
      sleep 1
    done
    echo "restart $attempt of the RabbitMQ node failed; its logs are in $work/logs/rabbitmq-failed-$attempt" \
      >>"$work/logs/rabbitmq-restarts.log"
    cp -r "$root/log" "$work/logs/rabbitmq-failed-$attempt" 2>/dev/null || true
    pid=$(cat "$root/rabbitmq.pid" 2>/dev/null || true)
    [ -z "$pid" ] || { kill -9 "$pid" 2>/dev/null; wait_until 30 gone "$pid"; }
  done
  return 1
}

# PostgreSQL: SIGKILL the postmaster and its backends (crash recovery follows at start), then
# start the same cluster again.
kill_postgres() {
  local root=$CICD_TEST_PG_ROOT pid
  pid=$(head -n 1 "$root/data/postmaster.pid" 2>/dev/null || true)
  [ -n "$pid" ] || return 1
  local children
  children=$(pgrep -P "$pid" || true)
  # shellcheck disable=SC2086
  kill -9 "$pid" $children 2>/dev/null || true
  wait_until 30 gone "$pid"
}

restart_postgres() {
  local i
  for i in $(seq 20); do
    pg_server "$CICD_TEST_PG_ROOT" start >>"$work/logs/postgres-restarts.log" 2>&1 && return 0
    sleep 1
  done
  return 1
}

start_deployment() {
  start_master master-1
  start_master master-2
  local n
  for n in 1 2 3; do start_agent "agent-$n"; done
}

stop_deployment() {
  local name pid
  for name in agent-1 agent-2 agent-3 master-1 master-2; do
    pid=$(pid_of "$name")
    [ -n "$pid" ] && kill "$pid" 2>/dev/null || true
  done
  for name in agent-1 agent-2 agent-3 master-1 master-2; do
    pid=$(pid_of "$name")
    [ -n "$pid" ] || continue
    # bounded: an agent drains (its runs are all over by now), a master stops at once
    for _ in $(seq 150); do alive "$pid" || break; sleep 0.1; done
    kill -9 "$pid" 2>/dev/null || true
  done
}
