# Configures and builds cicd into $CICD_BUILD_DIR (default build/). Source this file.
build_cicd() {
  local dir=${CICD_BUILD_DIR:-build}
  cmake -S . -B "$dir" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo \
    -DCMAKE_COMPILE_WARNING_AS_ERROR=ON >/dev/null
  cmake --build "$dir" -j "$(nproc)"
}
