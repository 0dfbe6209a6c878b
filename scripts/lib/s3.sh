# Starts the test S3 server for tests and benchmarks: s3rver behind test/s3/verifying_front.mjs,
# which checks every request's SigV4 signature as S3 does (s3rver alone accepts any signature).
# One node process, objects in a temp dir, 127.0.0.1 only. Stopped by stop_s3. Source this file.
#
# Ports: CICD_TEST_S3_PORT when set, else the first free pair from 55100 (the S3 port and, next
# to it, the front's admin port for fault injection).
# After start_s3: CICD_TEST_S3_ENDPOINT (http://127.0.0.1:PORT), CICD_TEST_S3_BUCKET,
# CICD_TEST_S3_ACCESS_KEY, CICD_TEST_S3_SECRET_KEY, CICD_TEST_S3_ADMIN (127.0.0.1:PORT) and
# CICD_TEST_S3_CLIENT (the read-back client, run as `node --no-warnings $CICD_TEST_S3_CLIENT …`).

s3_port_taken() {
  (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null
}

start_s3() {
  local here root port admin
  here=$(cd "$(dirname "${BASH_SOURCE[0]}")/../../test/s3" && pwd)
  if [ ! -d "$here/node_modules/s3rver" ]; then
    echo "test/s3/node_modules is missing: run scripts/setup (it runs npm ci there)" >&2
    return 1
  fi
  root=$(mktemp -d /tmp/cicd-s3.XXXXXX)
  port=${CICD_TEST_S3_PORT:-}
  if [ -z "$port" ]; then
    for port in $(seq 55100 2 55150); do
      s3_port_taken "$port" || s3_port_taken "$((port + 1))" || break
    done
  fi
  admin=$((port + 1))
  mkdir -p "$root/data"
  # The secret travels in the environment only, never on a command line.
  S3_FRONT_PORT=$port S3_FRONT_ADMIN_PORT=$admin S3_FRONT_DIR=$root/data \
    S3_FRONT_BUCKET=cicd-test S3_FRONT_ACCESS_KEY=cicdtestaccess \
    S3_FRONT_SECRET_KEY=cicd-test-secret/with+chars S3_FRONT_REGION=us-east-1 \
    node "$here/verifying_front.mjs" >"$root/s3.log" 2>&1 &
  local pid=$! i
  for i in $(seq 100); do
    if grep -q '^ready$' "$root/s3.log" 2>/dev/null; then
      export CICD_TEST_S3_ENDPOINT=http://127.0.0.1:$port CICD_TEST_S3_BUCKET=cicd-test
      export CICD_TEST_S3_ACCESS_KEY=cicdtestaccess
      export CICD_TEST_S3_SECRET_KEY=cicd-test-secret/with+chars
      export CICD_TEST_S3_ADMIN=127.0.0.1:$admin
      export CICD_TEST_S3_CLIENT=$here/read_back.mjs
      export CICD_TEST_S3_PID=$pid CICD_TEST_S3_ROOT=$root
      return 0
    fi
    kill -0 "$pid" 2>/dev/null || break
    sleep 0.1
  done
  kill "$pid" 2>/dev/null || true
  cat "$root/s3.log" >&2
  rm -rf "$root"
  echo "the test S3 server did not start on 127.0.0.1:$port" >&2
  return 1
}

stop_s3() {
  [ -n "${CICD_TEST_S3_PID:-}" ] || return 0
  kill "$CICD_TEST_S3_PID" 2>/dev/null || true
  wait "$CICD_TEST_S3_PID" 2>/dev/null || true
  rm -rf "$CICD_TEST_S3_ROOT" || true
  unset CICD_TEST_S3_ENDPOINT CICD_TEST_S3_BUCKET CICD_TEST_S3_ACCESS_KEY CICD_TEST_S3_SECRET_KEY
  unset CICD_TEST_S3_ADMIN CICD_TEST_S3_CLIENT CICD_TEST_S3_PID CICD_TEST_S3_ROOT
  return 0
}
