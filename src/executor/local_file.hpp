#pragma once
// A file the agent writes in its work dir: the console, a result's tar, a sidecar's log.
// Every write is checked; the first failure is kept and said in words a user can act on
// ("disk full: …"), and later writes are dropped. Private to src/executor.

#include "cicd/core/error.hpp"

#include <cstdio>
#include <filesystem>
#include <optional>
#include <string_view>

namespace cicd::executor {

// Thread safety: none.
class LocalFile {
public:
  static Result<LocalFile> create(const std::filesystem::path& path);
  LocalFile(LocalFile&& other) noexcept;
  LocalFile& operator=(LocalFile&&) = delete;
  LocalFile(const LocalFile&) = delete;
  ~LocalFile();

  // Returns false once a write failed (this one or an earlier one).
  bool write(std::string_view bytes);
  // Flushes and closes; returns the first failure. Safe to call twice.
  Result<void> close();
  const std::optional<Error>& error() const { return m_error; }
  const std::filesystem::path& path() const { return m_path; }

private:
  LocalFile(std::filesystem::path path, std::FILE* file);
  void fail(int error_number, std::string_view doing);

  std::filesystem::path m_path;
  std::FILE* m_file = nullptr;
  std::optional<Error> m_error;
};

} // namespace cicd::executor
