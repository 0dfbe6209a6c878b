#include "local_file.hpp"
#include "result_packaging.hpp"
#include "run_steps.hpp"

#include "cicd/core/clock.hpp"

#include <fmt/format.h>

namespace cicd::executor {
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
    auto packaged = package_result(tar, result.type);
    if (!packaged) {
      if (packaged.error().code == ErrorCode::unavailable) { // the agent's disk, not the job
        return make_error(packaged.error().code,
                          fmt::format("result '{}': {}", name, packaged.error().message));
      }
      bool not_a_file = packaged.error().code == ErrorCode::not_found;
      console.note(fmt::format("result '{}': {} {}{}", name, result.path,
                               not_a_file ? "" : "could not be read: ", packaged.error().message));
      continue;
    }
    if (packaged->left_out > 0) {
      console.note(fmt::format("result '{}': {} entries that are not regular files or folders "
                               "(links, devices) were left out",
                               name, packaged->left_out));
    }
    for (const auto& unread : packaged->unread_reports) {
      console.note(fmt::format("result '{}': {} is not counted: not valid XML", name, unread));
    }
    auto size = results.put_file(run.id, name, packaged->file, packaged->content_type);
    if (!size) {
      return make_error(size.error().code, "result upload failed: " + size.error().message);
    }
    store::ResultInfo info{name, packaged->content_type, *size, packaged->junit};
    auto recorded =
        retry_store_write(fmt::format("run {}: result '{}'", run.id, name), store_patience,
                          [&] { return store.record_result(run.id, lease, info, now_unix_ms()); });
    if (!recorded) {
      return recorded.error();
    }
    if (const auto& junit = packaged->junit) {
      console.note(fmt::format("stored result '{}' ({} bytes): {} tests, {} failed, {} errors, "
                               "{} skipped",
                               name, *size, junit->tests, junit->failures, junit->errors,
                               junit->skipped));
      continue;
    }
    console.note(fmt::format("stored result '{}' ({} bytes)", name, *size));
  }
  return {};
}

} // namespace cicd::executor
