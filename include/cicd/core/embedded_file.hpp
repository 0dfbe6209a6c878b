#pragma once
// Files compiled into the binary at build time (cmake/EmbedFiles.cmake).

#include <span>
#include <string_view>

namespace cicd {

struct EmbeddedFile {
  std::string_view name;
  std::string_view content;
};

// SQL migrations for each store backend, sorted by name ("0001_init.sql", …).
std::span<const EmbeddedFile> sqlite_migrations();
std::span<const EmbeddedFile> postgresql_migrations();

} // namespace cicd
