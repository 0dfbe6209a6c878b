#include "result_packaging.hpp"

#include "local_file.hpp"

#include <archive.h>
#include <archive_entry.h>

#include <fmt/format.h>

#include <cerrno>
#include <cstring>
#include <memory>
#include <utility>

namespace cicd::executor {
namespace {

using ReadArchive = std::unique_ptr<archive, decltype(&archive_read_free)>;
using WriteArchive = std::unique_ptr<archive, decltype(&archive_write_free)>;

constexpr std::size_t k_buffer_bytes = 64 * 1024;

Error archive_failure(archive* a, std::string_view doing) {
  const char* message = archive_error_string(a);
  // A write error with errno set is the agent's disk; anything else is a broken tar.
  bool disk = archive_errno(a) == ENOSPC || archive_errno(a) == EIO || archive_errno(a) == EDQUOT;
  return make_error(disk ? ErrorCode::unavailable : ErrorCode::internal,
                    fmt::format("{}: {}", doing, message != nullptr ? message : "failed"));
}

Result<ReadArchive> open_tar(const std::filesystem::path& tar) {
  ReadArchive reader(archive_read_new(), archive_read_free);
  archive_read_support_format_tar(reader.get());
  if (archive_read_open_filename(reader.get(), tar.c_str(), k_buffer_bytes) != ARCHIVE_OK) {
    return archive_failure(reader.get(), "reading the result's tar");
  }
  return reader;
}

// A path that stays inside the folder: relative, without "." or ".." segments.
bool stays_inside(std::string_view path) {
  if (path.empty() || path.front() == '/') {
    return false;
  }
  std::size_t start = 0;
  while (start < path.size()) {
    auto end = std::min(path.find('/', start), path.size());
    auto segment = path.substr(start, end - start);
    if (segment == ".." || segment == ".") {
      return false;
    }
    start = end + 1;
  }
  return true;
}

bool is_report(std::string_view path) {
  return path.ends_with(".xml");
}

// Reads one report's bytes into the summary; a malformed one is listed, not counted.
struct ReportReader {
  // A constructor, not aggregate initialisation: clang 14 cannot emplace an aggregate.
  ReportReader(PackagedResult& packaged_result, std::string report_name)
      : packaged(packaged_result), name(std::move(report_name)) {}

  PackagedResult& packaged;
  std::string name;
  results::JunitReportParser parser;

  void feed(std::string_view bytes) { parser.feed(bytes); }
  void finish() {
    auto counts = parser.finish();
    if (!counts) {
      packaged.unread_reports.push_back(fmt::format("{}: {}", name, counts.error().message));
      return;
    }
    *packaged.junit += *counts;
  }
};

Result<void> copy_single_file(archive* reader, PackagedResult& packaged, bool junit,
                              std::string_view name) {
  auto file = LocalFile::create(packaged.file);
  if (!file) {
    return file.error();
  }
  std::optional<ReportReader> report;
  if (junit) {
    report.emplace(packaged, std::string(name));
  }
  char buffer[k_buffer_bytes];
  la_ssize_t got = 0;
  while ((got = archive_read_data(reader, buffer, sizeof buffer)) > 0) {
    std::string_view bytes(buffer, static_cast<std::size_t>(got));
    if (!file->write(bytes)) {
      break;
    }
    if (report) {
      report->feed(bytes);
    }
  }
  if (got < 0) {
    return archive_failure(reader, "reading the result's tar");
  }
  if (auto closed = file->close(); !closed) {
    return closed.error();
  }
  if (report) {
    report->finish();
  }
  return {};
}

// Copies one entry of the tar into the new archive, counting the reports it reads.
Result<void> copy_entry(archive* reader, archive_entry* entry, archive* writer,
                        PackagedResult& packaged) {
  std::string path = archive_entry_pathname(entry) != nullptr ? archive_entry_pathname(entry) : "";
  auto type = archive_entry_filetype(entry);
  if ((type != AE_IFREG && type != AE_IFDIR) || !stays_inside(path) ||
      archive_entry_hardlink(entry) != nullptr) {
    ++packaged.left_out;
    return {}; // reading the next header skips its data
  }
  std::unique_ptr<archive_entry, decltype(&archive_entry_free)> copy(archive_entry_new(),
                                                                     archive_entry_free);
  archive_entry_set_pathname(copy.get(), path.c_str());
  archive_entry_set_filetype(copy.get(), type);
  bool executable = type == AE_IFDIR || (archive_entry_perm(entry) & 0111) != 0;
  archive_entry_set_perm(copy.get(), executable ? 0755 : 0644);
  archive_entry_set_mtime(copy.get(), archive_entry_mtime(entry), 0);
  archive_entry_set_size(copy.get(), type == AE_IFREG ? archive_entry_size(entry) : 0);
  if (archive_write_header(writer, copy.get()) != ARCHIVE_OK) {
    return archive_failure(writer, "writing the result");
  }
  if (type != AE_IFREG) {
    return {};
  }
  std::optional<ReportReader> report;
  if (packaged.junit && is_report(path)) {
    report.emplace(packaged, path);
  }
  char buffer[k_buffer_bytes];
  la_ssize_t got = 0;
  while ((got = archive_read_data(reader, buffer, sizeof buffer)) > 0) {
    if (archive_write_data(writer, buffer, static_cast<std::size_t>(got)) < 0) {
      return archive_failure(writer, "writing the result");
    }
    if (report) {
      report->feed(std::string_view(buffer, static_cast<std::size_t>(got)));
    }
  }
  if (got < 0) {
    return archive_failure(reader, "reading the result's tar");
  }
  if (report) {
    report->finish();
  }
  return {};
}

// Writes every entry from `first` on as a zip or a gzipped tar.
Result<void> repack(archive* reader, archive_entry* first, PackagedResult& packaged, bool zip) {
  WriteArchive writer(archive_write_new(), archive_write_free);
  if (zip) {
    archive_write_set_format_zip(writer.get());
  } else {
    archive_write_set_format_pax_restricted(writer.get());
    archive_write_add_filter_gzip(writer.get());
  }
  if (archive_write_open_filename(writer.get(), packaged.file.c_str()) != ARCHIVE_OK) {
    return archive_failure(writer.get(), "writing the result");
  }
  archive_entry* entry = first;
  int status = ARCHIVE_OK;
  do {
    if (auto copied = copy_entry(reader, entry, writer.get(), packaged); !copied) {
      return copied;
    }
  } while ((status = archive_read_next_header(reader, &entry)) == ARCHIVE_OK);
  if (status != ARCHIVE_EOF) {
    return archive_failure(reader, "reading the result's tar");
  }
  if (archive_write_close(writer.get()) != ARCHIVE_OK) {
    return archive_failure(writer.get(), "writing the result");
  }
  return {};
}

} // namespace

Result<PackagedResult> package_result(const std::filesystem::path& tar, model::ResultType type) {
  auto reader = open_tar(tar);
  if (!reader) {
    return reader.error();
  }
  archive_entry* first = nullptr;
  if (archive_read_next_header(reader->get(), &first) != ARCHIVE_OK) {
    return make_error(ErrorCode::not_found, "came out of the container as an empty archive");
  }
  bool single_file = archive_entry_filetype(first) == AE_IFREG;
  auto base = tar;
  base.replace_extension();
  PackagedResult packaged;
  if (type == model::ResultType::junit) {
    packaged.junit = results::JunitSummary{};
  }
  std::string name = archive_entry_pathname(first) != nullptr ? archive_entry_pathname(first) : "";
  Result<void> written;
  if (type == model::ResultType::file || (type == model::ResultType::junit && single_file)) {
    if (!single_file) {
      return make_error(ErrorCode::not_found, "is not a regular file");
    }
    packaged.file = base;
    packaged.file += type == model::ResultType::junit ? ".xml" : ".file";
    packaged.content_type =
        type == model::ResultType::junit ? "application/xml" : "application/octet-stream";
    written = copy_single_file(reader->get(), packaged, type == model::ResultType::junit, name);
  } else {
    bool zip = type == model::ResultType::junit;
    packaged.file = base;
    packaged.file += zip ? ".zip" : ".tar.gz";
    packaged.content_type = zip ? "application/zip" : "application/gzip";
    written = repack(reader->get(), first, packaged, zip);
  }
  if (!written) {
    return written.error();
  }
  return packaged;
}

} // namespace cicd::executor
