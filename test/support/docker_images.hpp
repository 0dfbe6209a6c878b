#pragma once
// Docker for tests: the engine scripts/test starts (scripts/lib/docker.sh exports
// DOCKER_HOST), a busybox base image made locally (there is no registry on these machines),
// and tar archives built and read with libarchive, independently of the code under test.
//
// When the engine is not there, a test that needs it FAILS under CI (CI=true) and is skipped
// with a loud message elsewhere (STYLE.md, Tests).

#include "cicd/docker/client.hpp"

#include <map>
#include <string>
#include <string_view>
#include <vector>

namespace cicd::test {

// A busybox image made by ensure_busybox_image: /bin/busybox with a relative symlink per
// applet in /bin (sh, nc, yes, …), /tmp (1777), /workspace, /etc/passwd and /etc/group.
inline constexpr std::string_view k_busybox_image = "cicd-test/busybox:1";

// Records a fatal failure (CI) or a skip (elsewhere) on the current test when no engine
// answers at client.socket_path(). Call it from SetUp(), then return if
// HasFatalFailure() || IsSkipped().
void require_docker_engine(docker::Client& client);

// The registry scripts/test starts on loopback (scripts/lib/registry.sh), "127.0.0.1:PORT".
// When it is not set, records a failure (CI) or a skip and returns "": the caller returns.
std::string test_registry();

// Imports k_busybox_image from the host's /usr/bin/busybox unless the engine has it already,
// and returns its name. Records a fatal failure when that fails.
std::string ensure_busybox_image(docker::Client& client);

struct TarEntry {
  enum class Type { file, directory, symlink };

  std::string path;     // relative: "src/main.c", "bin/sh"
  std::string content;  // of a file
  unsigned mode = 0644; // permission bits, e.g. 0755 or 01777
  Type type = Type::file;
  std::string link_target; // of a symlink
};

// A POSIX (pax restricted) tar of `entries`, in memory, owned by root.
std::string make_tar(const std::vector<TarEntry>& entries);

// The regular files of a tar, a gzipped tar or a zip: path → content. Records a failure when
// it is none of these.
std::map<std::string, std::string> read_archive_files(std::string_view tar);

} // namespace cicd::test
