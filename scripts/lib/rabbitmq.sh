# Starts a private RabbitMQ 3.10 node for tests and benchmarks: its own node name, mnesia and
# log dirs in a temp dir, AMQP on 127.0.0.1 only, its own distribution port, Erlang cookie and
# epmd (on a port of its own), so it leaves any node and epmd of the machine alone. Stopped by
# stop_rabbitmq. Source this file. The node runs as the `rabbitmq` user when started as root,
# as the Debian packaging does.
#
# Ports: CICD_TEST_AMQP_PORT, CICD_TEST_RABBITMQ_DIST_PORT and CICD_TEST_RABBITMQ_EPMD_PORT
# when set; otherwise 55672, 55673 and 55674, or the first free three above them.
# After start_rabbitmq: CICD_TEST_AMQP_URL (amqp://guest:guest@127.0.0.1:PORT/%2F; guest may
# only log in from localhost, which is all the tests need), CICD_TEST_RABBITMQ_ROOT (the node's
# directory, all stop_rabbitmq needs), CICD_TEST_RABBITMQ_NODE, CICD_TEST_RABBITMQCTL (runs
# rabbitmqctl against this node) and CICD_TEST_RABBITMQ_SCRIPT (this file, with which the
# broker restart test starts a node of its own: stopping the shared one would break the tests
# that run beside it).

# The scripts themselves, not the /usr/sbin wrappers: those cd to /var/lib/rabbitmq and use
# the machine's cookie, and refuse to run as anyone but root or rabbitmq.
rabbitmq_bin=/usr/lib/rabbitmq/bin
rabbitmq_script=$(realpath "${BASH_SOURCE[0]}")

# True when something listens on 127.0.0.1:$1.
rabbitmq_port_taken() {
  (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null
}

start_rabbitmq() {
  local root port dist_port epmd_port node
  root=$(mktemp -d /tmp/cicd-rabbitmq.XXXXXX)
  chmod 755 "$root"
  mkdir -p "$root/mnesia" "$root/log"
  port=${CICD_TEST_AMQP_PORT:-}
  if [ -z "$port" ]; then
    # Another run of the tests on this machine may hold the default ports: take the next
    # three free ones instead.
    local base
    for base in $(seq 55672 10 55772); do
      if ! rabbitmq_port_taken "$base" && ! rabbitmq_port_taken $((base + 1)) &&
        ! rabbitmq_port_taken $((base + 2)); then
        port=$base
        break
      fi
    done
    [ -n "$port" ] || { echo "no three free ports for RabbitMQ in 55672-55774" >&2; return 1; }
  fi
  dist_port=${CICD_TEST_RABBITMQ_DIST_PORT:-$((port + 1))}
  epmd_port=${CICD_TEST_RABBITMQ_EPMD_PORT:-$((port + 2))}
  # Unique even for two nodes started by one shell (the restart test starts a second).
  node=cicdtest-$$-${root##*.}@localhost
  # A cookie of our own (HOME below), so the machine's ~/.erlang.cookie never gets in the way.
  head -c 24 /dev/urandom | od -An -tx1 | tr -d ' \n' >"$root/.erlang.cookie"
  chmod 400 "$root/.erlang.cookie"
  : >"$root/rabbitmq-env.conf"
  : >"$root/rabbitmq.conf"
  local as_rabbitmq=()
  if [ "$(id -u)" -eq 0 ]; then
    chown -R rabbitmq "$root"
    as_rabbitmq=(runuser -u rabbitmq --)
  fi
  # Everything the node and the CLI need to find each other, kept in one script so that the
  # tests run rabbitmqctl exactly as this file does. ERL_EPMD_PORT makes the node start an
  # epmd of its own on that port, which stop_rabbitmq can then stop without touching another.
  cat >"$root/rabbitmqctl" <<EOF
#!/bin/sh
cd "$root" || exit 1
exec ${as_rabbitmq[*]} env HOME="$root" ERL_EPMD_PORT=$epmd_port ERL_EPMD_ADDRESS=127.0.0.1 \\
  RABBITMQ_CONF_ENV_FILE="$root/rabbitmq-env.conf" "$rabbitmq_bin/rabbitmqctl" -n "$node" "\$@"
EOF
  chmod 755 "$root/rabbitmqctl"
  (
    cd "$root" &&
      "${as_rabbitmq[@]}" env HOME="$root" ERL_EPMD_PORT="$epmd_port" ERL_EPMD_ADDRESS=127.0.0.1 \
        RABBITMQ_CONF_ENV_FILE="$root/rabbitmq-env.conf" \
        RABBITMQ_CONFIG_FILE="$root/rabbitmq.conf" \
        RABBITMQ_ENABLED_PLUGINS_FILE="$root/enabled_plugins" RABBITMQ_NODENAME="$node" \
        RABBITMQ_NODE_IP_ADDRESS=127.0.0.1 RABBITMQ_NODE_PORT="$port" \
        RABBITMQ_DIST_PORT="$dist_port" RABBITMQ_MNESIA_BASE="$root/mnesia" \
        RABBITMQ_SERVER_ADDITIONAL_ERL_ARGS="-kernel inet_dist_use_interface {127,0,0,1}" \
        RABBITMQ_LOG_BASE="$root/log" RABBITMQ_PID_FILE="$root/rabbitmq.pid" \
        "$rabbitmq_bin/rabbitmq-server" -detached >"$root/start.log" 2>&1
  ) || { cat "$root/start.log" "$root"/log/*.log 2>/dev/null >&2; rm -rf "$root"; return 1; }
  echo "$epmd_port" >"$root/epmd_port"
  export CICD_TEST_RABBITMQ_ROOT=$root CICD_TEST_RABBITMQ_NODE=$node
  export CICD_TEST_RABBITMQCTL=$root/rabbitmqctl
  export CICD_TEST_RABBITMQ_SCRIPT=$rabbitmq_script
  # 5 to 11 s on these machines. await_startup returns once the node runs and its listeners
  # are up, but fails at once while the node has not registered with epmd yet.
  local deadline=$((SECONDS + 90))
  while [ "$SECONDS" -lt "$deadline" ]; do
    if "$root/rabbitmqctl" -q await_startup --timeout 10 >/dev/null 2>&1; then
      export CICD_TEST_AMQP_URL="amqp://guest:guest@127.0.0.1:$port/%2F"
      return 0
    fi
    sleep 1
  done
  echo "RabbitMQ node $node did not start within 90 s; its logs:" >&2
  cat "$root/start.log" "$root"/log/*.log 2>/dev/null >&2
  stop_rabbitmq
  return 1
}

stop_rabbitmq() {
  [ -n "${CICD_TEST_RABBITMQ_ROOT:-}" ] || return 0
  local root=$CICD_TEST_RABBITMQ_ROOT pid i
  pid=$(cat "$root/rabbitmq.pid" 2>/dev/null || true)
  timeout 30 "$root/rabbitmqctl" -q stop >/dev/null 2>&1 || true
  if [ -n "$pid" ]; then
    # stop returns once the node has agreed to; its process takes a moment more to end.
    for i in $(seq 100); do
      kill -0 "$pid" 2>/dev/null || break
      sleep 0.1
    done
    kill -9 "$pid" 2>/dev/null || true
  fi
  # The epmd the node started on its own port. epmd refuses to die while a node is still
  # registered with it, so one that someone else's node shares is left alone.
  ERL_EPMD_PORT=$(cat "$root/epmd_port") timeout 10 epmd -kill >/dev/null 2>&1 || true
  rm -rf "$root" || true
  unset CICD_TEST_RABBITMQ_ROOT CICD_TEST_RABBITMQ_NODE CICD_TEST_RABBITMQCTL
  unset CICD_TEST_AMQP_URL CICD_TEST_RABBITMQ_SCRIPT
  return 0
}
