# Starts a private Docker registry (Debian's docker-registry, distribution 2.8) for tests and
# benchmarks: storage in a temp dir, HTTP on 127.0.0.1 only (dockerd trusts a loopback registry
# without TLS). Stopped by stop_registry. Source this file.
#
# Port: CICD_TEST_REGISTRY_PORT when set, else the first free one from 55000.
# After start_registry: CICD_TEST_REGISTRY (127.0.0.1:PORT), what agents get as --registry.

registry_port_taken() {
  (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null
}

start_registry() {
  local root port
  root=$(mktemp -d /tmp/cicd-registry.XXXXXX)
  port=${CICD_TEST_REGISTRY_PORT:-}
  if [ -z "$port" ]; then
    for port in $(seq 55000 55050); do
      registry_port_taken "$port" || break
    done
  fi
  cat >"$root/config.yml" <<CONFIG
version: 0.1
log:
  level: warn
storage:
  filesystem:
    rootdirectory: $root/data
  delete:
    enabled: true
http:
  addr: 127.0.0.1:$port
CONFIG
  docker-registry serve "$root/config.yml" >"$root/registry.log" 2>&1 &
  local pid=$! i
  for i in $(seq 100); do
    if curl -sf "http://127.0.0.1:$port/v2/" >/dev/null 2>&1; then
      export CICD_TEST_REGISTRY=127.0.0.1:$port CICD_TEST_REGISTRY_ROOT=$root
      export CICD_TEST_REGISTRY_PID=$pid
      return 0
    fi
    kill -0 "$pid" 2>/dev/null || break
    sleep 0.1
  done
  kill "$pid" 2>/dev/null || true
  cat "$root/registry.log" >&2
  rm -rf "$root"
  echo "the Docker registry did not start on 127.0.0.1:$port" >&2
  return 1
}

stop_registry() {
  [ -n "${CICD_TEST_REGISTRY_PID:-}" ] || return 0
  kill "$CICD_TEST_REGISTRY_PID" 2>/dev/null || true
  wait "$CICD_TEST_REGISTRY_PID" 2>/dev/null || true
  rm -rf "$CICD_TEST_REGISTRY_ROOT" || true
  unset CICD_TEST_REGISTRY CICD_TEST_REGISTRY_PID CICD_TEST_REGISTRY_ROOT
  return 0
}
