#include "local_file.hpp"
#include "run_steps.hpp"

#include "cicd/core/clock.hpp"

#include <archive.h>
#include <archive_entry.h>

#include <fmt/format.h>

#include <memory>

namespace cicd::executor {
namespace {

// Writes the tar's first entry to `out` when it is a regular file. Links, devices, folders
// and further entries are refused: nothing from the container decides where anything goes.
Result<void> extract_single_file(const std::filesystem::path& tar,
                                 const std::filesystem::path& out) {
  std::unique_ptr<archive, decltype(&archive_read_free)> reader(archive_read_new(),
                                                                archive_read_free);
  archive_read_support_format_tar(reader.get());
  if (archive_read_open_filename(reader.get(), tar.c_str(), 64 * 1024) != ARCHIVE_OK) {
    return make_error(ErrorCode::internal, archive_error_string(reader.get()));
  }
  // The tar's first entry is the declared path itself; anything else is not a file result.
  archive_entry* entry = nullptr;
  if (archive_read_next_header(reader.get(), &entry) == ARCHIVE_OK &&
      archive_entry_filetype(entry) == AE_IFREG) {
    auto file = LocalFile::create(out);
    if (!file) {
      return file.error();
    }
    char buffer[64 * 1024];
    la_ssize_t got = 0;
    while ((got = archive_read_data(reader.get(), buffer, sizeof buffer)) > 0 &&
           file->write(std::string_view(buffer, static_cast<std::size_t>(got)))) {
    }
    if (got < 0) {
      return make_error(ErrorCode::internal, archive_error_string(reader.get()));
    }
    return file->close();
  }
  return make_error(ErrorCode::not_found, "the path is not a regular file");
}

} // namespace

Result<void> collect_results(docker::Client& docker, const std::string& container,
                             const model::RunSpec& spec, store::Store& store,
                             results::ResultStore& results, const model::Run& run,
                             const std::string& lease, const std::filesystem::path& work_dir,
                             ConsoleWriter& console, std::chrono::seconds store_patience) {
  for (const auto& [name, result] : spec.results) {
    auto tar = work_dir / ("result-" + name + ".tar");
    auto file = LocalFile::create(tar);
    if (!file) {
      return file.error();
    }
    auto copied = docker.get_archive(container, spec.workdir + "/" + result.path,
                                     [&](std::string_view chunk) { return file->write(chunk); });
    if (auto closed = file->close(); !closed) {
      return make_error(closed.error().code,
                        fmt::format("result '{}': {}", name, closed.error().message));
    }
    if (!copied) {
      if (copied.error().code == ErrorCode::not_found) {
        console.note(
            fmt::format("result '{}': {} was not found in {}", name, result.path, spec.workdir));
        continue;
      }
      return make_error(copied.error().code, fmt::format("result '{}' could not be copied out: {}",
                                                         name, copied.error().message));
    }
    auto stored_path = tar;
    std::string content_type = "application/x-tar";
    if (result.type == model::ResultType::file) {
      stored_path = work_dir / ("result-" + name);
      if (auto extracted = extract_single_file(tar, stored_path); !extracted) {
        if (extracted.error().code == ErrorCode::unavailable) { // the agent's disk, not the job
          return make_error(extracted.error().code,
                            fmt::format("result '{}': {}", name, extracted.error().message));
        }
        console.note(fmt::format("result '{}': {} is not a regular file ({})", name, result.path,
                                 extracted.error().message));
        continue;
      }
      content_type = "application/octet-stream";
    }
    auto size = results.put_file(run.id, name, stored_path, content_type);
    if (!size) {
      return make_error(size.error().code, "result upload failed: " + size.error().message);
    }
    auto recorded =
        retry_store_write(fmt::format("run {}: result '{}'", run.id, name), store_patience, [&] {
          return store.record_result(run.id, lease, {name, content_type, *size}, now_unix_ms());
        });
    if (!recorded) {
      return recorded.error();
    }
    console.note(fmt::format("stored result '{}' ({} bytes)", name, *size));
  }
  return {};
}

} // namespace cicd::executor
