#!/usr/bin/env bash
# The Debian package end to end, as an operator meets it: build it (dpkg-buildpackage),
# lintian, then install it into a clean Debian root made with debootstrap and check, from the
# installed files only:
#   - `cicd --version` says the project's version; the man pages, conffiles and examples are
#     there; `systemd-analyze verify` passes on each unit;
#   - postinst made the cicd system user, /var/lib/cicd (0750) and both keys (0600, 64 hex
#     digits), and a reinstall replaces neither key;
#   - `cicd standalone` and `cicd ui` (options from /etc/cicd/ui.conf) start as the cicd user,
#     tell systemd READY=1 on $NOTIFY_SOCKET, answer HTTP, and say STOPPING=1 on SIGTERM;
#   - the shipped example applies with `cicd ctl apply`;
#   - `apt-get purge` leaves nothing but the cicd user and group (Debian keeps system users).
# No systemd runs in the root: the units are verified, never started.
#
# debian_package_test.sh SOURCE_DIR [DEB_DIR]. With DEB_DIR, the package is copied there once
# every check passed (the agent image test builds its image from it: a CTest fixture). Needs root (chroot, mounts), debootstrap, and Debian's
# archive (the mirror is read from this machine's apt sources). The debootstrapped root is
# cached in $CICD_TEST_CACHE (default /var/cache/cicd-test) and so are the downloaded
# packages, so a second run downloads only the package lists.
#
# The build uses DEB_BUILD_OPTIONS=nocheck: dh_auto_test runs the unit tier (ctest -L unit),
# which this same CTest run already runs on the same sources; building those tests a second
# time here would cost minutes of CI and find nothing new. CICD_PACKAGE_TEST_CHECK=1 builds
# with the tests, as a release build does.
set -euo pipefail

if [ "$(id -u)" -ne 0 ]; then
  if [ -n "${CI:-}" ]; then
    echo "FAIL: the Debian package test needs root (chroot, mounts)" >&2
    exit 1
  fi
  echo "SKIP: the Debian package test needs root (chroot, mounts)" >&2
  exit 77
fi
for tool in dpkg-buildpackage debootstrap lintian unshare; do
  if ! command -v "$tool" >/dev/null; then
    echo "FAIL: $tool is missing: run scripts/setup" >&2
    exit 1
  fi
done

# Everything below runs in a mount namespace of its own: the chroot's mounts go away with it,
# whatever happens, and never show on the machine.
if [ -z "${CICD_DEB_TEST_NAMESPACE:-}" ]; then
  exec env CICD_DEB_TEST_NAMESPACE=1 unshare --mount --propagation private -- "$0" "$@"
fi

source_dir=$(cd "${1:?usage: debian_package_test.sh SOURCE_DIR [DEB_DIR]}" && pwd)
deb_dir=${2:-}
if [ -n "$deb_dir" ]; then
  mkdir -p "$deb_dir"
  rm -f "$deb_dir"/cicd_*.deb # never a package of an earlier run
fi
cache=${CICD_TEST_CACHE:-/var/cache/cicd-test}
work=$(mktemp -d "${TMPDIR:-/var/tmp}/cicd-deb-test.XXXXXX")
root=$work/root
started=$SECONDS
pids=()

step() { echo "[$((SECONDS - started))s] $*"; }
fail() {
  echo "FAIL: $*" >&2
  exit 1
}

cleanup() {
  local status=$?
  set +e
  for pid in "${pids[@]}"; do
    kill -KILL "$pid" 2>/dev/null
    wait "$pid" 2>/dev/null
  done
  # Anything still running in the root was started by this test: stop it by its pid.
  for proc in /proc/[0-9]*; do
    [ "$(readlink "$proc/root" 2>/dev/null)" = "$root" ] && kill -KILL "${proc#/proc/}" 2>/dev/null
  done
  # Unmount before removing: rm must never reach a mounted file system.
  for mount in $(grep -o " $work/[^ ]*" /proc/mounts | sort -r); do
    umount -l "$mount"
  done
  rm -rf --one-file-system "$work"
  step "done (exit $status); CPU time of the test and its children (user, system):"
  times
  exit "$status"
}
trap cleanup EXIT

# Runs COMMAND in the root, with a clean environment.
in_root() {
  env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin LANG=C.UTF-8 DEBIAN_FRONTEND=noninteractive \
    chroot "$root" "$@"
}
# Runs COMMAND in the root as the cicd user with its groups, as the units do.
as_cicd() {
  in_root setpriv --reuid=cicd --regid=cicd --init-groups --reset-env -- "$@"
}

# --- 1. build -----------------------------------------------------------------------------
version=$(sed -nE 's/^project.cicd VERSION ([0-9.]+).*/\1/p' "$source_dir/CMakeLists.txt")
[ -n "$version" ] || fail "no project(cicd VERSION …) in CMakeLists.txt"
mkdir -p "$work/build/cicd"
deb=$work/build/cicd_${version}_amd64.deb
if [ -n "${CICD_PACKAGE_TEST_BUILT:-}" ]; then
  # A developer's shortcut for working on the checks below: the .changes of a package built
  # from this tree. CI never sets it.
  step "using the package of $CICD_PACKAGE_TEST_BUILT"
  cp "$(dirname "$CICD_PACKAGE_TEST_BUILT")/"cicd_"$version"_* "$work/build/"
else
  step "building the package"
  # The source as git sees it (no build directories), or the whole tree outside a checkout.
  if git -C "$source_dir" rev-parse --is-inside-work-tree >/dev/null 2>&1; then
    git -C "$source_dir" ls-files -co --exclude-standard -z |
      (cd "$source_dir" && tar --null -T - -cf -) | tar -C "$work/build/cicd" -xf -
  else
    tar -C "$source_dir" --exclude='./build*' --exclude='./obj-*' -cf - . |
      tar -C "$work/build/cicd" -xf -
  fi
  build_options="noautodbgsym parallel=$(nproc)"
  [ -n "${CICD_PACKAGE_TEST_CHECK:-}" ] || build_options="nocheck $build_options"
  if ! (cd "$work/build/cicd" && DEB_BUILD_OPTIONS=$build_options \
    dpkg-buildpackage -b -us -uc >"$work/build.log" 2>&1); then
    tail -n 60 "$work/build.log" >&2
    fail "dpkg-buildpackage failed (the last lines of its log are above)"
  fi
fi
[ -f "$deb" ] || fail "dpkg-buildpackage made no $(basename "$deb"): $(ls "$work/build")"
step "built $(basename "$deb") ($(du -k "$deb" | cut -f1) KiB)"

# --- 2. lintian ---------------------------------------------------------------------------
step "lintian"
lintian --fail-on error "$deb" | tee "$work/lintian.log" ||
  fail "lintian reports errors (above)"

# --- 3. a clean Debian root ---------------------------------------------------------------
# This machine's Debian suites and mirrors, from its apt sources (one-line and deb822 files).
codename=$(. /etc/os-release && echo "$VERSION_CODENAME")
sources=$(
  {
    cat /etc/apt/sources.list /etc/apt/sources.list.d/*.list 2>/dev/null |
      awk '$1 == "deb" { i = 2; if ($2 ~ /^\[/) { while ($i !~ /\]$/) i++; i++ } print $i, $(i + 1) }'
    for file in /etc/apt/sources.list.d/*.sources; do
      [ -f "$file" ] || continue
      awk 'BEGIN { RS = ""; FS = "\n" }
        { types = ""; uris = ""; suites = ""
          for (f = 1; f <= NF; f++) {
            if ($f ~ /^Types:/) types = $f
            if ($f ~ /^URIs:/) { uris = $f; sub(/^URIs:[ \t]*/, "", uris) }
            if ($f ~ /^Suites:/) { suites = $f; sub(/^Suites:[ \t]*/, "", suites) }
          }
          if (types !~ /(^|[ \t])deb([ \t]|$)/) next
          nu = split(uris, u, /[ \t]+/); ns = split(suites, s, /[ \t]+/)
          for (a = 1; a <= nu; a++) for (b = 1; b <= ns; b++) print u[a], s[b] }' "$file"
    done
  } | awk -v c="$codename" '$2 == c || index($2, c "-") == 1' | sort -u
)
mirror=$(awk -v c="$codename" '$2 == c { print $1; exit }' <<<"$sources")
[ -n "$mirror" ] || fail "no apt source for Debian $codename in /etc/apt/sources.list{,.d}"

mkdir -p "$cache"
base=$cache/debootstrap-$codename-amd64-minbase-$(printf '%s' "$mirror" | md5sum | cut -c1-8).tar.gz
exec 9>"$cache/lock"
flock 9
if [ ! -f "$base" ]; then
  step "debootstrap $codename (minbase) from $mirror into the cache"
  debootstrap --variant=minbase --arch=amd64 "$codename" "$work/bootstrap" "$mirror" \
    >"$work/debootstrap.log" 2>&1 || {
    tail -n 30 "$work/debootstrap.log" >&2
    fail "debootstrap failed"
  }
  rm -f "$work/bootstrap/var/cache/apt/archives/"*.deb # apt's own cache below holds them
  tar -C "$work/bootstrap" --one-file-system -czf "$base.new" .
  mv "$base.new" "$base"
  rm -rf --one-file-system "$work/bootstrap"
fi
exec 9>&- # the lock is released with its file descriptor
step "unpacking the clean root"
mkdir -p "$root"
tar -C "$root" -xzf "$base"
awk '{ print "deb", $1, $2, "main" }' <<<"$sources" >"$root/etc/apt/sources.list"
cp /etc/resolv.conf "$root/etc/resolv.conf"
# The machine's apt may pin an archive snapshot whose Release files have expired.
if [ "$(apt-config dump Acquire::Check-Valid-Until | awk '{ print $2 }')" = '"false";' ]; then
  echo 'Acquire::Check-Valid-Until "false";' >"$root/etc/apt/apt.conf.d/99cicd-test-snapshot"
fi
mount -t proc proc "$root/proc"
# Device nodes of its own: the machine's /dev is never mounted in the root.
mount -t tmpfs -o mode=0755,size=1m dev "$root/dev"
for node in "null c 1 3" "zero c 1 5" "full c 1 7" "random c 1 8" "urandom c 1 9" "tty c 5 0"; do
  set -- $node
  mknod -m 0666 "$root/dev/$1" "$2" "$3" "$4"
done
mkdir -p "$cache/apt-archives/partial" "$root/var/cache/apt/archives"
mount --bind "$cache/apt-archives" "$root/var/cache/apt/archives"
cp "$deb" "$root/tmp/"
deb_in_root=/tmp/$(basename "$deb")

step "apt-get update in the root"
in_root apt-get update -q >"$work/apt.log" 2>&1 || {
  cat "$work/apt.log" >&2
  fail "apt-get update failed in the root"
}

# Files of the root, for the purge check: path, mode, owner; the content of /etc's files.
snapshot() {
  in_root find / -xdev \( -path /proc -o -path /dev -o -path /tmp -o -path /run \
    -o -path /var/cache -o -path /var/lib/apt -o -path /var/lib/dpkg -o -path /var/log \) \
    -prune -o -printf '%p %m %u:%g\n' | sort
  in_root find /etc -xdev -type f -exec md5sum {} + | sort -k2
}

# --- 4. first install and purge: the dependencies stay, and the root is the reference -------
step "installing the package with its dependencies (and systemd, for verify)"
install_package() {
  in_root apt-get install -y -q --no-install-recommends "$@" >"$work/apt.log" 2>&1 || {
    cat "$work/apt.log" >&2
    fail "apt-get install $* failed in the root"
  }
}
install_package "$deb_in_root" systemd
in_root apt-get purge -y -q cicd >"$work/apt.log" 2>&1 || fail "apt-get purge failed"
before=$(snapshot)

# --- 5. install and check ----------------------------------------------------------------
step "installing the package again (a first install: it was purged)"
install_package "$deb_in_root"

[ "$(in_root cicd --version)" = "cicd $version" ] ||
  fail "cicd --version says '$(in_root cicd --version)', not 'cicd $version'"
[ "$(in_root dpkg-query -W -f='${Version}' cicd)" = "$version" ] ||
  fail "the package's version is not $version"

passwd=$(in_root getent passwd cicd) || fail "postinst made no cicd user"
IFS=: read -r _ _ uid gid _ home shell <<<"$passwd"
[ "$uid" -lt 1000 ] || fail "cicd is not a system user (uid $uid)"
[ "$home" = /var/lib/cicd ] || fail "cicd's home is $home"
[ "$shell" = /usr/sbin/nologin ] || fail "cicd's shell is $shell"
in_root getent group cicd >/dev/null || fail "postinst made no cicd group"

check_mode() { # PATH "MODE OWNER:GROUP"
  local found
  found=$(in_root stat -c '%a %U:%G' "$1") || fail "$1 is missing"
  [ "$found" = "$2" ] || fail "$1 is '$found', not '$2'"
}
check_mode /var/lib/cicd "750 cicd:cicd"
for key in jwt.key secrets.key; do
  check_mode "/var/lib/cicd/$key" "600 cicd:cicd"
  grep -qxE '[0-9a-f]{64}' "$root/var/lib/cicd/$key" || fail "$key is not 64 hex digits"
done
[ "$(cat "$root/var/lib/cicd/jwt.key")" != "$(cat "$root/var/lib/cicd/secrets.key")" ] ||
  fail "the two keys are the same"
keys_sum=$(cat "$root/var/lib/cicd/"{jwt,secrets}.key | md5sum)

conffiles=$(in_root dpkg-query -W -f='${Conffiles}' cicd)
for role in master agent ui; do
  grep -q "^ /etc/cicd/$role.conf " <<<"$conffiles" || fail "/etc/cicd/$role.conf is no conffile"
  check_mode "/etc/cicd/$role.conf" "640 root:cicd"
  grep -qE '^[a-z]' "$root/etc/cicd/$role.conf" && fail "/etc/cicd/$role.conf sets an option"
  [ -f "$root/usr/share/man/man1/cicd-$role.1.gz" ] || fail "no cicd-$role(1)"
  zcat "$root/usr/share/man/man1/cicd-$role.1.gz" | grep -q -- 'listen' ||
    fail "cicd-$role(1) does not show the role's options"
done
for page in cicd cicd-standalone cicd-ctl; do
  [ -f "$root/usr/share/man/man1/$page.1.gz" ] || fail "no $page(1)"
done
[ -f "$root/usr/share/doc/cicd/examples/cicd-apply.yaml" ] || fail "no examples"
[ -f "$root/usr/share/doc/cicd/operations.md.gz" ] || fail "no operations.md"

step "systemd-analyze verify"
for unit in cicd-master cicd-agent cicd-ui; do
  [ -f "$root/lib/systemd/system/$unit.service" ] || fail "no $unit.service"
  # --man=no: the root has no man-db; the man pages were checked above.
  in_root systemd-analyze verify --man=no "/lib/systemd/system/$unit.service" ||
    fail "systemd-analyze verify $unit.service"
done

# --- 6. run the installed binary ---------------------------------------------------------
# A role started as the cicd user with $NOTIFY_SOCKET, as systemd starts the units; what it
# tells systemd arrives on a datagram socket read by perl (in every Debian root).
notify_socket=/run/cicd-test-notify.sock
notifications=$work/notifications
mkdir -p "$root/run"
perl -MSocket -e '
  socket(my $s, PF_UNIX, SOCK_DGRAM, 0) or die "socket: $!";
  bind($s, pack_sockaddr_un($ARGV[0])) or die "bind: $!";
  chmod 0666, $ARGV[0];
  $| = 1;
  while (defined(recv($s, my $m, 4096, 0))) { print "$m\n" }' \
  "$root$notify_socket" >>"$notifications" &
pids+=($!)
for _ in $(seq 50); do [ -S "$root$notify_socket" ] && break; sleep 0.1; done
[ -S "$root$notify_socket" ] || fail "the notify socket was not made"

# start_role LOG ARGS…: starts `cicd ARGS…` in the root; sets role_pid and role_port.
start_role() {
  local log=$1
  shift
  : >"$notifications"
  # Not through in_root: $! must be the pid of cicd itself (each command execs the next).
  env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin LANG=C.UTF-8 chroot "$root" \
    setpriv --reuid=cicd --regid=cicd --init-groups --reset-env \
    env NOTIFY_SOCKET=$notify_socket cicd "$@" >"$log" 2>&1 &
  role_pid=$!
  pids+=("$role_pid")
  role_port=
  for _ in $(seq 100); do
    grep -q '^READY=1$' "$notifications" && break
    kill -0 "$role_pid" 2>/dev/null || break
    sleep 0.1
  done
  grep -q '^READY=1$' "$notifications" || {
    cat "$log" >&2
    fail "cicd $* did not tell READY=1 within 10 s"
  }
  role_port=$(grep -oE 'serving [a-zA-Z /]+ on http://127\.0\.0\.1:[0-9]+' "$log" | head -n 1 |
    grep -oE '[0-9]+$')
  [ -n "$role_port" ] || fail "cicd $* logged no address"
}
# stop_role LOG: SIGTERM; the role must say STOPPING=1 and exit 0 within 20 s.
stop_role() {
  kill -TERM "$role_pid"
  for _ in $(seq 200); do kill -0 "$role_pid" 2>/dev/null || break; sleep 0.1; done
  kill -0 "$role_pid" 2>/dev/null && fail "cicd did not stop within 20 s of SIGTERM"
  wait "$role_pid" || fail "cicd exited with $? on SIGTERM: $(tail -n 5 "$1")"
  grep -q '^STOPPING=1$' "$notifications" || fail "cicd did not tell STOPPING=1"
  echo "  told systemd: $(tr '\n' ' ' <"$notifications")"
}

step "cicd standalone from the installed files"
start_role "$work/standalone.log" standalone --listen 127.0.0.1:0
curl -sf "http://127.0.0.1:$role_port/healthz" >/dev/null || fail "GET /healthz failed"
[ "$(in_root stat -c %U /var/lib/cicd/cicd.db)" = cicd ] || fail "cicd.db is not the cicd user's"
token=$(as_cicd cicd standalone token create --sub package-test --scope admin --ttl 1h) ||
  fail "cicd standalone token create failed"
apply() {
  in_root env CICD_SERVER="http://127.0.0.1:$role_port" CICD_TOKEN="$token" HOME=/tmp \
    cicd ctl apply -f /usr/share/doc/cicd/examples/cicd-apply.yaml
}
apply >"$work/apply.log" 2>&1 || {
  cat "$work/apply.log" >&2
  fail "the example cicd-apply.yaml does not apply"
}
sed 's/^/  /' "$work/apply.log"
apply >"$work/apply.log" 2>&1 || fail "applying the example again failed"
sed 's/^/  /' "$work/apply.log"
curl -sf -H "Authorization: Bearer $token" "http://127.0.0.1:$role_port/jobs/unit-test" \
  >/dev/null || fail "the example's job unit-test is not on the server"
stop_role "$work/standalone.log"

step "cicd ui with its options from /etc/cicd/ui.conf"
cp "$root/etc/cicd/ui.conf" "$work/ui.conf.orig"
echo "listen = 127.0.0.1:0" >>"$root/etc/cicd/ui.conf"
start_role "$work/ui.log" ui
curl -sf "http://127.0.0.1:$role_port/" >/dev/null || fail "the web pages do not answer"
stop_role "$work/ui.log"
cp "$work/ui.conf.orig" "$root/etc/cicd/ui.conf"

# --- 7. reinstall keeps the keys ---------------------------------------------------------
step "reinstall"
in_root apt-get install -y -q --reinstall "$deb_in_root" >"$work/apt.log" 2>&1 ||
  fail "apt-get install --reinstall failed"
[ "$(cat "$root/var/lib/cicd/"{jwt,secrets}.key | md5sum)" = "$keys_sum" ] ||
  fail "the reinstall replaced a key"
check_mode /var/lib/cicd "750 cicd:cicd"

# --- 8. purge ----------------------------------------------------------------------------
step "purge"
in_root apt-get purge -y -q cicd >"$work/apt.log" 2>&1 || fail "apt-get purge failed"
status=$(in_root dpkg-query -W -f='${db:Status-Status}' cicd 2>/dev/null || true)
[ -z "$status" ] || [ "$status" = not-installed ] || fail "cicd is '$status' after the purge"
for left in /var/lib/cicd /etc/cicd /usr/bin/cicd /usr/share/doc/cicd; do
  [ ! -e "$root$left" ] || fail "$left is left after the purge"
done
in_root dpkg-statoverride --list | grep -q /etc/cicd && fail "a statoverride is left"
in_root getent passwd cicd >/dev/null || fail "the purge removed the cicd user"
after=$(snapshot)
if [ "$before" != "$after" ]; then
  diff <(echo "$before") <(echo "$after") >&2 || true
  fail "the root differs from before the install (above: < before, > after the purge)"
fi
[ -z "$deb_dir" ] || cp "$deb" "$deb_dir/"
step "all checks passed"
