#pragma once
// Every entry of a tar file as libarchive reads it, for tests that check what a tar writer
// wrote (types, modes, owners, times), independently of the code under test.

#include <cstdint>
#include <filesystem>
#include <map>
#include <string>

namespace cicd::test {

struct TarFileEntry {
  enum class Type { file, directory, symlink, other };
  Type type = Type::other;
  unsigned mode = 0;       // permission bits
  std::string content;     // of a file
  std::string link_target; // of a symlink
  std::int64_t mtime = 0;
  std::int64_t uid = -1;
  std::int64_t gid = -1;
};

// Path (as written, a directory's trailing '/' removed) → entry. Records a failure when the
// file is not a tar.
std::map<std::string, TarFileEntry> read_tar_entries(const std::filesystem::path& tar);

} // namespace cicd::test
