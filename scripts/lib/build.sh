# Configures and builds cicd into $CICD_BUILD_DIR (default build/), warnings as errors.
# Source this file. build_cicd [target…] (default: everything, tests included).
build_cicd() {
  local dir=${CICD_BUILD_DIR:-build}
  cmake -S . -B "$dir" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo \
    -DCMAKE_COMPILE_WARNING_AS_ERROR=ON >/dev/null
  if [ $# -gt 0 ]; then
    cmake --build "$dir" -j "$(nproc)" --target "$@"
  else
    cmake --build "$dir" -j "$(nproc)"
  fi
}
