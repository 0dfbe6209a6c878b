// The tar Docker returns for a declared result, read by executor::package_result (libarchive,
// and the JUnit report parser for junit results). The input is the tar. It is packaged as each
// result type in a private temporary folder. Beyond not crashing: every entry of a packaged
// folder (zip or gzipped tar) is a regular file or a folder whose path stays inside it, and a
// packaged result is the only file written next to the tar.

#include "executor/result_packaging.hpp"

#include "fuzz_support.hpp"

#include <archive.h>
#include <archive_entry.h>

#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <memory>

namespace {

namespace fs = std::filesystem;
using namespace cicd;

const fs::path& work_folder() {
  static const fs::path folder = [] {
    auto path = fs::temp_directory_path() / ("cicd-result-tar-fuzz-" + std::to_string(::getpid()));
    fs::create_directories(path);
    std::atexit([] {
      std::error_code ignored;
      fs::remove_all(work_folder(), ignored);
    });
    return path;
  }();
  return folder;
}

bool stays_inside(std::string_view path) {
  if (path.empty() || path.front() == '/') {
    return false;
  }
  for (std::size_t start = 0; start < path.size();) {
    auto end = std::min(path.find('/', start), path.size());
    auto segment = path.substr(start, end - start);
    if (segment == ".." || segment == ".") {
      return false;
    }
    start = end + 1;
  }
  return true;
}

void check_packaged_folder(const fs::path& file) {
  std::unique_ptr<archive, decltype(&archive_read_free)> reader(archive_read_new(),
                                                                archive_read_free);
  archive_read_support_format_all(reader.get());
  archive_read_support_filter_all(reader.get());
  fuzz::check(archive_read_open_filename(reader.get(), file.c_str(), 16384) == ARCHIVE_OK,
              "a packaged folder cannot be opened");
  archive_entry* entry = nullptr;
  int status = ARCHIVE_OK;
  while ((status = archive_read_next_header(reader.get(), &entry)) == ARCHIVE_OK) {
    const char* path = archive_entry_pathname(entry);
    fuzz::check(path != nullptr && stays_inside(path),
                std::string("a packaged entry leaves its folder: ") + (path ? path : "(none)"));
    auto type = archive_entry_filetype(entry);
    fuzz::check(type == AE_IFREG || type == AE_IFDIR,
                "a packaged entry is neither a file nor a folder");
    fuzz::check(archive_entry_hardlink(entry) == nullptr && archive_entry_symlink(entry) == nullptr,
                "a packaged entry is a link");
  }
  fuzz::check(status == ARCHIVE_EOF, "a packaged folder cannot be read to its end");
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  auto tar = work_folder() / "result.tar";
  {
    std::ofstream out(tar, std::ios::binary | std::ios::trunc);
    out.write(reinterpret_cast<const char*>(data), static_cast<std::streamsize>(size));
    fuzz::check(out.good(), "cannot write the input to " + tar.string());
  }
  for (auto type : {model::ResultType::file, model::ResultType::junit, model::ResultType::dir}) {
    auto packaged = executor::package_result(tar, type);
    if (packaged) {
      fuzz::check(packaged->file.parent_path() == work_folder(),
                  "a result was written elsewhere: " + packaged->file.string());
      fuzz::check((type == model::ResultType::junit) == packaged->junit.has_value(),
                  "a junit result has no summary, or another result has one");
      if (packaged->content_type == "application/zip" ||
          packaged->content_type == "application/gzip") {
        check_packaged_folder(packaged->file);
      }
    }
    // What a failed packaging left behind goes too: each type starts from a clean folder.
    for (const auto& entry : fs::directory_iterator(work_folder())) {
      if (entry.path() != tar) {
        fs::remove(entry.path());
      }
    }
  }
  return 0;
}
