#include "support/tar_entries.hpp"

#include <gtest/gtest.h>

#include <archive.h>
#include <archive_entry.h>

#include <memory>

namespace cicd::test {

std::map<std::string, TarFileEntry> read_tar_entries(const std::filesystem::path& tar) {
  std::map<std::string, TarFileEntry> entries;
  std::unique_ptr<archive, decltype(&archive_read_free)> reader(archive_read_new(),
                                                                archive_read_free);
  archive_read_support_format_tar(reader.get());
  if (archive_read_open_filename(reader.get(), tar.c_str(), 64 * 1024) != ARCHIVE_OK) {
    ADD_FAILURE() << "cannot open " << tar << ": " << archive_error_string(reader.get());
    return entries;
  }
  archive_entry* header = nullptr;
  int status = ARCHIVE_OK;
  while ((status = archive_read_next_header(reader.get(), &header)) == ARCHIVE_OK) {
    std::string path = archive_entry_pathname(header);
    if (path.ends_with('/')) {
      path.pop_back();
    }
    TarFileEntry entry;
    switch (archive_entry_filetype(header)) {
    case AE_IFREG:
      entry.type = TarFileEntry::Type::file;
      break;
    case AE_IFDIR:
      entry.type = TarFileEntry::Type::directory;
      break;
    case AE_IFLNK:
      entry.type = TarFileEntry::Type::symlink;
      entry.link_target = archive_entry_symlink(header);
      break;
    default:
      break;
    }
    entry.mode = archive_entry_perm(header);
    entry.mtime = archive_entry_mtime(header);
    entry.uid = archive_entry_uid(header);
    entry.gid = archive_entry_gid(header);
    char buffer[8192];
    la_ssize_t got = 0;
    while ((got = archive_read_data(reader.get(), buffer, sizeof buffer)) > 0) {
      entry.content.append(buffer, static_cast<std::size_t>(got));
    }
    entries[path] = std::move(entry);
  }
  if (status != ARCHIVE_EOF) {
    ADD_FAILURE() << "reading " << tar << " failed: " << archive_error_string(reader.get());
  }
  return entries;
}

} // namespace cicd::test
