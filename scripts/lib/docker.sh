# Starts a private Docker engine for tests, benchmarks and the quickstart: its own data root,
# exec root and unix socket, no iptables and no default bridge, so it leaves any engine of
# the machine alone. Stopped by stop_docker. Source this file.
#
# After start_docker: DOCKER_HOST=unix://<socket> (the cicd agent and the tests use it).

start_docker() {
  local root=${1:-$(mktemp -d /tmp/cicd-docker.XXXXXX)}
  mkdir -p "$root"
  local sock=$root/docker.sock
  local driver
  for driver in overlay2 vfs; do
    dockerd --iptables=false --ip-masq=false --bridge=none --storage-driver="$driver" \
      --data-root "$root/data" --exec-root "$root/exec" --pidfile "$root/docker.pid" \
      -H "unix://$sock" >"$root/dockerd.log" 2>&1 &
    local pid=$! i
    for i in $(seq 100); do
      if curl -sf --unix-socket "$sock" http://docker/_ping >/dev/null 2>&1; then
        export CICD_DOCKER_ROOT=$root CICD_DOCKER_PID=$pid DOCKER_HOST=unix://$sock
        return 0
      fi
      kill -0 "$pid" 2>/dev/null || break
      sleep 0.2
    done
    kill "$pid" 2>/dev/null || true
    wait "$pid" 2>/dev/null || true
    echo "dockerd did not start with --storage-driver=$driver; see $root/dockerd.log" >&2
  done
  cat "$root/dockerd.log" >&2
  return 1
}

stop_docker() {
  [ -n "${CICD_DOCKER_PID:-}" ] || return 0
  local i
  kill "$CICD_DOCKER_PID" 2>/dev/null || true
  for i in $(seq 100); do kill -0 "$CICD_DOCKER_PID" 2>/dev/null || break; sleep 0.1; done
  kill -9 "$CICD_DOCKER_PID" 2>/dev/null || true
  # overlay2 may leave mounts behind when the daemon was killed
  { grep -o " $CICD_DOCKER_ROOT[^ ]*" /proc/mounts || true; } | sort -r |
    while read -r mount; do umount -l "$mount" 2>/dev/null || true; done
  rm -rf "$CICD_DOCKER_ROOT" || true
  unset CICD_DOCKER_PID CICD_DOCKER_ROOT
  return 0
}
