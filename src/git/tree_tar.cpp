#include "tree_tar.hpp"

#include "dockerignore.hpp"

#include "cicd/crypto/digest.hpp"

#include <archive.h>
#include <archive_entry.h>

#include <memory>
#include <optional>
#include <string>
#include <sys/stat.h>

namespace cicd::git {
namespace {

struct ArchiveFree {
  void operator()(archive* writer) const { archive_write_free(writer); }
};
struct EntryFree {
  void operator()(archive_entry* entry) const { archive_entry_free(entry); }
};

// Writes the entries git_tree_walk hands it; keeps the first failure.
class TarWriter {
public:
  TarWriter(git_repository* repository, git_time_t mtime, const TarLayout& layout,
            const DockerIgnore& ignore, const std::filesystem::path& file)
      : m_repository(repository), m_mtime(mtime), m_layout(layout), m_ignore(ignore), m_file(file),
        m_writer(archive_write_new()), m_entry(archive_entry_new()) {}

  Result<void> open() {
    if (!m_writer || !m_entry) {
      return make_error(ErrorCode::internal, "libarchive: out of memory");
    }
    // pax only where ustar cannot say it (long names); names as the raw bytes git has, with no
    // conversion through the locale.
    if (archive_write_set_format_pax_restricted(m_writer.get()) != ARCHIVE_OK ||
        archive_write_set_format_option(m_writer.get(), "pax", "hdrcharset", "BINARY") <
            ARCHIVE_WARN ||
        archive_write_open_filename(m_writer.get(), m_file.c_str()) != ARCHIVE_OK) {
      return failure("creating");
    }
    return {};
  }

  // git_tree_walk's callback: 0 goes on, 1 skips a directory's entries, a negative value
  // stops the walk.
  int add(const char* root, const git_tree_entry* entry) {
    std::string relative = std::string(root) + git_tree_entry_name(entry);
    if (left_out(relative)) {
      bool directory = git_tree_entry_filemode(entry) == GIT_FILEMODE_TREE;
      // A left-out directory may still hold a re-included file ("!"): then walk into it (the
      // tar's extraction makes the directory for such a file).
      return directory && !m_ignore.has_exceptions() ? 1 : 0;
    }
    note_identity(relative, entry);
    std::string path = m_under + relative;
    switch (git_tree_entry_filemode(entry)) {
    case GIT_FILEMODE_TREE:
      return write_header(path, AE_IFDIR, 0755, 0, nullptr) ? 0 : -1;
    case GIT_FILEMODE_COMMIT:
      return 0; // a submodule: its commit lives in another repository
    case GIT_FILEMODE_LINK:
      return add_blob(path, entry, AE_IFLNK, 0777) ? 0 : -1;
    case GIT_FILEMODE_BLOB_EXECUTABLE:
      return add_blob(path, entry, AE_IFREG, 0755) ? 0 : -1;
    default:
      return add_blob(path, entry, AE_IFREG, 0644) ? 0 : -1;
    }
  }

  // The tree's own directory under the layout's prefix, first (see TarLayout).
  bool add_prefix() {
    if (m_layout.prefix.empty()) {
      return true;
    }
    m_under = m_layout.prefix + "/";
    return write_header(m_under, AE_IFDIR, 0755, 0, nullptr);
  }

  Result<void> close() {
    if (archive_write_close(m_writer.get()) != ARCHIVE_OK) {
      return failure("finishing");
    }
    return {};
  }

  const std::optional<Error>& error() const { return m_error; }
  // One line per entry written: its mode, its blob's id (not a directory's: that would count
  // what was left out) and its path. Never the times.
  const std::string& identity() const { return m_identity; }

private:
  void note_identity(const std::string& relative, const git_tree_entry* entry) {
    auto mode = git_tree_entry_filemode(entry);
    char id[GIT_OID_HEXSZ + 1] = "-";
    if (mode != GIT_FILEMODE_TREE) {
      git_oid_tostr(id, sizeof id, git_tree_entry_id(entry));
    }
    m_identity += std::to_string(static_cast<unsigned>(mode)) + " " + id + " " + relative + "\n";
  }

  bool left_out(const std::string& relative) const {
    return !m_ignore.empty() && relative != ".dockerignore" && relative != m_layout.dockerfile &&
           m_ignore.excludes(relative);
  }

  Error failure(const std::string& doing) {
    const char* reason = archive_error_string(m_writer.get());
    return make_error(ErrorCode::internal, doing + " the tar " + m_file.string() + " failed: " +
                                               (reason != nullptr ? reason : "unknown error"));
  }

  bool fail(Error error) {
    if (!m_error) {
      m_error = std::move(error);
    }
    return false;
  }

  bool add_blob(const std::string& path, const git_tree_entry* tree_entry, mode_t type,
                mode_t mode) {
    git_blob* raw = nullptr;
    if (git_blob_lookup(&raw, m_repository, git_tree_entry_id(tree_entry)) != 0) {
      return fail(make_error(ErrorCode::internal, "reading " + path +
                                                      " from the repository "
                                                      "failed: " +
                                                      last_error_text()));
    }
    BlobPtr blob(raw);
    const char* data = static_cast<const char*>(git_blob_rawcontent(blob.get()));
    auto size = static_cast<std::size_t>(git_blob_rawsize(blob.get()));
    if (type == AE_IFLNK) {
      // A link's blob is its target.
      return write_header(path, AE_IFLNK, mode, 0, std::string(data, size).c_str());
    }
    if (!write_header(path, AE_IFREG, mode, size, nullptr)) {
      return false;
    }
    while (size > 0) {
      la_ssize_t written = archive_write_data(m_writer.get(), data, size);
      if (written <= 0) {
        return fail(failure("writing " + path + " to"));
      }
      data += written;
      size -= static_cast<std::size_t>(written);
    }
    return true;
  }

  bool write_header(const std::string& path, mode_t type, mode_t mode, std::size_t size,
                    const char* link_target) {
    archive_entry* entry = archive_entry_clear(m_entry.get());
    archive_entry_set_pathname(entry, path.c_str());
    archive_entry_set_filetype(entry, type);
    archive_entry_set_perm(entry, mode);
    archive_entry_set_size(entry, static_cast<la_int64_t>(size));
    archive_entry_set_uid(entry, m_layout.uid);
    archive_entry_set_gid(entry, m_layout.gid);
    archive_entry_set_mtime(entry, m_mtime, 0);
    if (link_target != nullptr) {
      archive_entry_set_symlink(entry, link_target);
    }
    // A warning (a name the locale cannot convert) still writes the entry.
    if (archive_write_header(m_writer.get(), entry) < ARCHIVE_WARN) {
      return fail(failure("adding " + path + " to"));
    }
    return true;
  }

  git_repository* m_repository;
  git_time_t m_mtime;
  const TarLayout& m_layout;
  const DockerIgnore& m_ignore;
  std::string m_under; // the prefix and '/', once written
  const std::filesystem::path& m_file;
  std::unique_ptr<archive, ArchiveFree> m_writer;
  std::unique_ptr<archive_entry, EntryFree> m_entry;
  std::optional<Error> m_error;
  std::string m_identity;
};

int walk_entry(const char* root, const git_tree_entry* entry, void* payload) {
  return static_cast<TarWriter*>(payload)->add(root, entry);
}

Result<std::string> write_with(TarWriter& writer, const git_tree* tree) {
  if (auto opened = writer.open(); !opened) {
    return opened.error();
  }
  if (!writer.add_prefix()) {
    return *writer.error();
  }
  int code = git_tree_walk(tree, GIT_TREEWALK_PRE, &walk_entry, &writer);
  if (writer.error()) {
    return *writer.error();
  }
  if (code != 0) {
    return make_error(ErrorCode::internal, "reading the tree failed: " + last_error_text());
  }
  if (auto closed = writer.close(); !closed) {
    return closed.error();
  }
  return crypto::sha256_hex(writer.identity());
}

} // namespace

Result<std::string> write_tree_tar(git_repository* repository, const git_tree* tree,
                                   git_time_t mtime, const std::filesystem::path& tar_file,
                                   const TarLayout& layout) {
  DockerIgnore ignore;
  if (layout.build_context) {
    if (const auto* entry = git_tree_entry_byname(tree, ".dockerignore")) {
      git_blob* raw = nullptr;
      if (git_blob_lookup(&raw, repository, git_tree_entry_id(entry)) == 0) {
        BlobPtr blob(raw);
        ignore = DockerIgnore::parse(
            std::string_view(static_cast<const char*>(git_blob_rawcontent(blob.get())),
                             static_cast<std::size_t>(git_blob_rawsize(blob.get()))));
      }
    }
  }
  Result<std::string> written = [&] {
    TarWriter writer(repository, mtime, layout, ignore, tar_file);
    return write_with(writer, tree);
  }();
  if (!written) {
    std::error_code ignored;
    std::filesystem::remove(tar_file, ignored); // half a tar is worse than none
  }
  return written;
}

} // namespace cicd::git
