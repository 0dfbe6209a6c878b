# Starts a private PostgreSQL 15 server for tests and benchmarks: a fresh cluster in a temp
# dir, listening on a unix socket only, stopped by stop_postgres. Source this file.
# PostgreSQL refuses to run as root, so the server runs as the `postgres` user.
#
# After start_postgres: CICD_TEST_PG_SOCKET_DIR, CICD_TEST_PG_PORT and CICD_TEST_PG_URL
# (a database named cicd, owned by the superuser cicd).

pg_bin=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1)
pg_script=$(realpath "${BASH_SOURCE[0]}")

start_postgres() {
  local root port
  root=$(mktemp -d /tmp/cicd-pg.XXXXXX)
  chmod 755 "$root"
  mkdir -p "$root/data" "$root/sock"
  port=${CICD_TEST_PG_PORT:-55432}
  local as_pg=()
  if [ "$(id -u)" -eq 0 ]; then
    chown postgres "$root" "$root/data" "$root/sock"
    as_pg=(runuser -u postgres --)
  fi
  "${as_pg[@]}" "$pg_bin/initdb" -D "$root/data" -A trust -U cicd >"$root/initdb.log" 2>&1 ||
    { cat "$root/initdb.log"; return 1; }
  echo "$port" >"$root/port"
  pg_server "$root" start || { cat "$root/server.log"; return 1; }
  "${as_pg[@]}" "$pg_bin/createdb" -h "$root/sock" -p "$port" -U cicd cicd
  export CICD_TEST_PG_ROOT=$root
  export CICD_TEST_PG_SOCKET_DIR=$root/sock
  export CICD_TEST_PG_PORT=$port
  export CICD_TEST_PG_URL="postgresql:///cicd?host=$root/sock&port=$port&user=cicd"
  export CICD_TEST_PG_SCRIPT=$pg_script
}

# Starts or stops the server of a cluster start_postgres made, keeping its data: for a test
# that restarts the database under a running system. pg_server ROOT start|stop
pg_server() {
  local root=$1 port
  port=$(cat "$root/port")
  local as_pg=()
  if [ "$(id -u)" -eq 0 ]; then as_pg=(runuser -u postgres --); fi
  if [ "$2" = start ]; then
    "${as_pg[@]}" "$pg_bin/pg_ctl" -D "$root/data" -l "$root/server.log" -w -t 30 \
      -o "-k $root/sock -p $port -c listen_addresses='' -c max_connections=200 -c fsync=on" \
      start >/dev/null
  else
    "${as_pg[@]}" "$pg_bin/pg_ctl" -D "$root/data" -m fast -w stop >/dev/null 2>&1
  fi
}

stop_postgres() {
  [ -n "${CICD_TEST_PG_ROOT:-}" ] || return 0
  local as_pg=()
  if [ "$(id -u)" -eq 0 ]; then as_pg=(runuser -u postgres --); fi
  "${as_pg[@]}" "$pg_bin/pg_ctl" -D "$CICD_TEST_PG_ROOT/data" -m fast -w stop >/dev/null 2>&1 || true
  rm -rf "$CICD_TEST_PG_ROOT" || true
  unset CICD_TEST_PG_ROOT
  return 0
}
