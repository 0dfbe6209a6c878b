#!/usr/bin/env bash
# The agent image as an operator runs it (packaging/docker/): built with build-agent-image
# from the .deb the debian_package test built (a CTest fixture: no second compile), then
#   - the image runs `cicd agent` as the non-root user 990, carries no key, and its cicd is
#     the package's version;
#   - started with `docker run --network host` and the engine's socket mounted (the
#     operator's choice, never a job's) against the tests' PostgreSQL and RabbitMQ, beside a
#     `cicd master` from the build tree: a job triggered through the API with curl runs on it
#     and succeeds with the expected console;
#   - `docker kill --signal TERM` while a run is in hand drains: the run still succeeds, and
#     the container exits 0.
# Every container, image and database it makes is removed at the end.
#
# agent_image_test.sh SOURCE_DIR CICD_BINARY DEB_DIR. Needs the services of scripts/test:
# DOCKER_HOST (the private engine), CICD_TEST_PG_URL, CICD_TEST_AMQP_URL; root for the
# debootstrap of the base the first time on a machine (cached in /var/cache/cicd-test).
set -euo pipefail

source_dir=$(cd "${1:?usage: agent_image_test.sh SOURCE_DIR CICD_BINARY DEB_DIR}" && pwd)
cicd=${2:?usage: agent_image_test.sh SOURCE_DIR CICD_BINARY DEB_DIR}
deb_dir=${3:?usage: agent_image_test.sh SOURCE_DIR CICD_BINARY DEB_DIR}
started=$SECONDS
step() { echo "[$((SECONDS - started))s] $*"; }
fail() {
  echo "FAIL: $*" >&2
  exit 1
}
missing() {
  if [ -n "${CI:-}" ]; then fail "$*"; fi
  echo "SKIP: $*" >&2
  exit 77
}

for tool in docker curl psql; do
  command -v "$tool" >/dev/null || missing "$tool is missing: run scripts/setup"
done
[ -n "${DOCKER_HOST:-}" ] || missing "no DOCKER_HOST: scripts/test starts the tests' Docker engine"
[ -n "${CICD_TEST_PG_URL:-}" ] || missing "no CICD_TEST_PG_URL: scripts/test starts PostgreSQL"
[ -n "${CICD_TEST_AMQP_URL:-}" ] || missing "no CICD_TEST_AMQP_URL: scripts/test starts RabbitMQ"
[ -x "$cicd" ] || fail "no cicd binary at $cicd"
version=$(sed -nE 's/^project.cicd VERSION ([0-9.]+).*/\1/p' "$source_dir/CMakeLists.txt")
deb=$deb_dir/cicd_${version}_amd64.deb
[ -f "$deb" ] || fail "no $deb: the debian_package test (this test's fixture) makes it"
socket=${DOCKER_HOST#unix://}
[ -S "$socket" ] || fail "DOCKER_HOST=$DOCKER_HOST is not a unix socket"

id=agentimage-$$-$RANDOM
work=$(mktemp -d "${TMPDIR:-/var/tmp}/cicd-agent-image-test.XXXXXX")
chmod 755 "$work"
image=cicd-test-agent:$id
job_image=cicd-test-busybox:$id
container=cicd-test-agent-$id
database=agent_image_$$_$RANDOM
resource_class=$id
codename=$(. /etc/os-release && echo "$VERSION_CODENAME")
base=cicd-base/debian:$codename
base_was_there=
docker image inspect "$base" >/dev/null 2>&1 && base_was_there=1
master_pid=
agent_id=

cleanup() {
  local status=$?
  set +e
  if [ "$status" -ne 0 ]; then
    echo "--- agent container log (last 40 lines)" >&2
    docker logs "$container" 2>&1 | tail -n 40 >&2
    echo "--- master log (last 20 lines)" >&2
    tail -n 20 "$work/master.log" >&2
  fi
  step "cleaning up"
  docker rm -f "$container" >/dev/null 2>&1
  # The containers and networks of runs are the agent's to remove; a failed test may leave some (only this
  # agent's: other tests share the engine).
  if [ -n "$agent_id" ]; then
    docker ps -aq --filter "label=cicd.agent=$agent_id" | xargs -r docker rm -f >/dev/null 2>&1
    docker network ls -q --filter "label=cicd.agent=$agent_id" | xargs -r docker network rm >/dev/null 2>&1
  fi
  docker rmi -f "$image" "$job_image" >/dev/null 2>&1
  [ -n "$base_was_there" ] || docker rmi -f "$base" >/dev/null 2>&1
  if [ -n "$master_pid" ]; then
    kill -TERM "$master_pid" 2>/dev/null
    wait "$master_pid" 2>/dev/null
  fi
  psql -q "$CICD_TEST_PG_URL" -c "DROP DATABASE IF EXISTS $database WITH (FORCE)" >/dev/null 2>&1
  # The class's queue (cicd.runs.<class>, empty) stays: the tests' broker goes with the test
  # run, and rabbitmqctl would take seconds to tens of seconds.
  rm -rf "$work"
  step "done (exit $status)"
  exit "$status"
}
trap cleanup EXIT

# --- 1. the image ----------------------------------------------------------------------------
step "building the image from $(basename "$deb")"
"$source_dir/packaging/docker/build-agent-image" --deb "$deb" --tag "$image" >"$work/build.log" 2>&1 || {
  cat "$work/build.log" >&2
  fail "build-agent-image failed"
}
step "built $image ($(docker image inspect -f '{{.Size}}' "$image" | awk '{ printf "%d MB", $1 / 1e6 }'))"
[ "$(docker image inspect -f '{{.Config.User}}' "$image")" = 990:990 ] || fail "the image's user is not 990:990"
[ "$(docker image inspect -f '{{json .Config.Entrypoint}}' "$image")" = '["cicd","agent"]' ] ||
  fail "the image's entrypoint is not cicd agent"
in_image() { docker run --rm --network none --entrypoint "$1" "$image" "${@:2}"; }
[ "$(in_image cicd --version)" = "cicd $version" ] || fail "the image's cicd is not version $version"
[ "$(in_image id -un)" = cicd ] || fail "the image does not run as the cicd user"
in_image sh -c 'ls /var/lib/cicd/*.key' >/dev/null 2>&1 && fail "the image carries a key"
in_image dpkg-query -W -f='${Version}' cicd | grep -qx "$version" || fail "the package is not installed in the image"

# --- 2. a master from the build tree, its database, a class of the test's own ----------------
step "starting cicd master"
psql -q "$CICD_TEST_PG_URL" -c "CREATE DATABASE $database" || fail "cannot create the database"
db_url=$(sed -E "s|^postgresql:///[^?]*|postgresql:///$database|" <<<"$CICD_TEST_PG_URL")
pg_socket_dir=$(sed -nE 's/.*[?&]host=([^&]*).*/\1/p' <<<"$db_url")
[ -d "$pg_socket_dir" ] || fail "no socket dir in CICD_TEST_PG_URL ($CICD_TEST_PG_URL)"
# The results are shared through a directory, at the same path on both sides, written by the
# image's user (runs/ too: the master, root here, would make it its own).
mkdir -p "$work/results/runs" "$work/master"
chown -R 990:990 "$work/results"
"$cicd" master --db "$db_url" --queue "$CICD_TEST_AMQP_URL" --results "file://$work/results" \
  --data-dir "$work/master" --listen 127.0.0.1:0 >"$work/master.log" 2>&1 &
master_pid=$!
port=
for _ in $(seq 100); do
  port=$(grep -oE 'serving the API on http://127\.0\.0\.1:[0-9]+' "$work/master.log" | grep -oE '[0-9]+$' || true)
  [ -n "$port" ] && break
  kill -0 "$master_pid" 2>/dev/null || break
  sleep 0.2
done
[ -n "$port" ] || fail "cicd master did not start within 20 s"
api=http://127.0.0.1:$port
token=$("$cicd" master token create --data-dir "$work/master" --db "$db_url" --sub agent-image-test --scope admin --ttl 1h) ||
  fail "cicd master token create failed"
# call METHOD PATH [BODY]: the answer's body; fails the test on a status other than 2xx.
call() {
  local answer
  answer=$(curl -sS -w '\n%{http_code}' -X "$1" -H "Authorization: Bearer $token" \
    -H 'Content-Type: application/json' ${3:+--data "$3"} "$api$2") || fail "$1 $2: no answer"
  [[ "$(tail -n 1 <<<"$answer")" == 2* ]] || fail "$1 $2 answered $(tail -n 1 <<<"$answer"): $(sed '$d' <<<"$answer")"
  sed '$d' <<<"$answer"
}
call PUT "/settings/resource-classes/$resource_class" '{"cpus": 0.5, "memoryMiB": 128}' >/dev/null
source "$source_dir/scripts/lib/busybox_image.sh"
make_busybox_image "$job_image" || fail "cannot make the job image"
key=$work/secrets.key
install -o 990 -g 990 -m 0400 "$work/master/secrets.key" "$key"

# --- 3. the agent container ---------------------------------------------------------------------
step "starting the agent container"
docker run -d --name "$container" --network host \
  -v "$socket:/var/run/docker.sock" --group-add "$(stat -c %g "$socket")" \
  -v "$key:/etc/cicd/keys/secrets.key:ro" \
  -v "$pg_socket_dir:$pg_socket_dir" -v "$work/results:$work/results" \
  -e CICD_DB="$db_url" -e CICD_QUEUE="$CICD_TEST_AMQP_URL" -e CICD_RESULTS="file://$work/results" \
  -e CICD_RESOURCE_CLASSES="$resource_class" -e CICD_LISTEN=127.0.0.1:0 -e CICD_SLOTS=2 \
  -e CICD_CPU_THRESHOLD=100 \
  "$image" >/dev/null || fail "docker run failed"
for _ in $(seq 150); do
  docker logs "$container" 2>&1 | grep -q "is taking runs of $resource_class" && break
  [ "$(docker inspect -f '{{.State.Running}}' "$container")" = true ] || fail "the agent container stopped"
  sleep 0.2
done
docker logs "$container" 2>&1 | grep -q "is taking runs of $resource_class" ||
  fail "the agent did not start taking runs within 30 s"
agents=$(call GET /agents)
grep -q "\"resourceClasses\":\[\"$resource_class\"\]" <<<"$agents" || fail "the agent is not in GET /agents: $agents"
agent_id=$(docker logs "$container" 2>&1 | sed -nE "s/.* agent ([^ ]+) is taking runs of .*/\1/p" | head -n 1)
[ -n "$agent_id" ] || fail "the agent did not say its id"

# wait_run JOB ID STATUS: waits up to 60 s for the run to reach a final status, checks it.
wait_run() {
  local run status=
  for _ in $(seq 300); do
    run=$(call GET "/jobs/$1/runs/$2")
    status=$(grep -oE '"status":"[a-z_]+"' <<<"$run" | head -n 1 | cut -d'"' -f4)
    case $status in queued | running) sleep 0.2 ;; *) break ;; esac
  done
  [ "$status" = "$3" ] || fail "run $1/$2 is '$status', not '$3': $run"
}

# --- 4. a job runs on it ------------------------------------------------------------------------
step "a run through the image"
call PUT /jobs/hello "{\"type\":\"freestyle\",\"image\":\"$job_image\",\"resourceClass\":\"$resource_class\",
  \"script\":\"echo hello from the agent image; uname -s\"}" >/dev/null
run=$(call POST /jobs/hello/runs '{"commitSha": "0000000000000000000000000000000000000000"}')
run_id=$(grep -oE '"id":[0-9]+' <<<"$run" | head -n 1 | cut -d: -f2)
[ -n "$run_id" ] || fail "POST /jobs/hello/runs gave no id: $run"
wait_run hello "$run_id" succeeded
console=$(call GET "/jobs/hello/runs/$run_id/results/console")
grep -qx 'hello from the agent image' <<<"$console" || fail "the console lacks the job's line: $console"
grep -qx 'Linux' <<<"$console" || fail "the console lacks uname's line: $console"

# --- 5. SIGTERM drains ----------------------------------------------------------------------------
step "SIGTERM to the container while a run is in hand"
call PUT /jobs/slow "{\"type\":\"freestyle\",\"image\":\"$job_image\",\"resourceClass\":\"$resource_class\",
  \"script\":\"echo started; sleep 4; echo finished after the drain began\"}" >/dev/null
run=$(call POST /jobs/slow/runs '{"commitSha": "0000000000000000000000000000000000000000"}')
slow_id=$(grep -oE '"id":[0-9]+' <<<"$run" | head -n 1 | cut -d: -f2)
for _ in $(seq 150); do
  call GET "/jobs/slow/runs/$slow_id/results/console" 2>/dev/null | grep -qx started && break
  sleep 0.2
done
call GET "/jobs/slow/runs/$slow_id/results/console" | grep -qx started || fail "the slow run did not start"
# The job container the agent started gets nothing of the host: no socket, no privilege, no
# mount (the agent's rule; the agent itself has the socket).
job_container=$(docker ps -q --filter "label=cicd.agent=$agent_id" --filter "label=cicd.run=$slow_id" | head -n 1)
[ -n "$job_container" ] || fail "no container of run $slow_id labelled with the agent $agent_id"
[ "$(docker inspect -f '{{.HostConfig.Privileged}} {{len .Mounts}} {{len .HostConfig.Binds}}' "$job_container")" = "false 0 0" ] ||
  fail "the job container is privileged or has mounts: $(docker inspect -f '{{json .Mounts}}' "$job_container")"
docker kill --signal TERM "$container" >/dev/null
exit_code=$(timeout 60 docker wait "$container") || fail "the agent container did not stop within 60 s of SIGTERM"
[ "$exit_code" = 0 ] || fail "the agent container exited $exit_code on SIGTERM, not 0"
docker logs "$container" 2>&1 | grep -q 'draining: taking no new run' || fail "the agent did not say it drains"
wait_run slow "$slow_id" succeeded
call GET "/jobs/slow/runs/$slow_id/results/console" | grep -qx 'finished after the drain began' ||
  fail "the drained run's console lacks its last line"
agents=$(call GET /agents)
grep -q "\"resourceClasses\":\[\"$resource_class\"\]" <<<"$agents" && fail "the drained agent is still listed: $agents"
step "all checks passed"
