// The names of a stored JUnit result's failing tests, for clients that show them (the web
// pages): the zip of a folder of reports is read from memory with libarchive.
#include "cicd/results/junit_summary.hpp"

#include <archive.h>
#include <archive_entry.h>

#include <memory>

namespace cicd::results {
namespace {

std::string archive_error(archive* a) {
  const char* message = archive_error_string(a);
  return message != nullptr ? message : "unknown error";
}

struct ArchiveCloser {
  void operator()(archive* a) const { archive_read_free(a); }
};

void add_failing(std::string_view report, std::vector<std::string>& names) {
  JunitReportParser parser;
  if (!parser.feed(report) || !parser.finish()) {
    return; // not XML: its counts were refused at upload, and so are its names
  }
  for (const auto& name : parser.failing_tests()) {
    if (names.size() >= JunitReportParser::k_max_failing_names) {
      return;
    }
    names.push_back(name);
  }
}

} // namespace

Result<std::vector<std::string>> junit_failing_tests(std::string_view stored, bool zipped) {
  std::vector<std::string> names;
  if (!zipped) {
    add_failing(stored, names);
    return names;
  }
  std::unique_ptr<archive, ArchiveCloser> zip(archive_read_new());
  archive_read_support_format_zip(zip.get());
  if (archive_read_open_memory(zip.get(), stored.data(), stored.size()) != ARCHIVE_OK) {
    return make_error(ErrorCode::invalid_input, "not a zip: " + archive_error(zip.get()));
  }
  archive_entry* entry = nullptr;
  int next = ARCHIVE_OK;
  while ((next = archive_read_next_header(zip.get(), &entry)) == ARCHIVE_OK) {
    std::string_view path = archive_entry_pathname(entry);
    if (archive_entry_filetype(entry) != AE_IFREG || !path.ends_with(".xml")) {
      continue;
    }
    std::string report;
    char buffer[64 * 1024];
    la_ssize_t got = 0;
    while ((got = archive_read_data(zip.get(), buffer, sizeof buffer)) > 0) {
      report.append(buffer, static_cast<std::size_t>(got));
    }
    if (got < 0) {
      return make_error(ErrorCode::invalid_input,
                        "the zip is damaged: " + archive_error(zip.get()));
    }
    add_failing(report, names);
  }
  if (next != ARCHIVE_EOF) {
    return make_error(ErrorCode::invalid_input, "the zip is damaged: " + archive_error(zip.get()));
  }
  return names;
}

} // namespace cicd::results
