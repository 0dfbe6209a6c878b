// cicd ctl results list|download: what a run stored, and getting it onto disk.
#include "session.hpp"

#include "ctl_error.hpp"

#include <fmt/format.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iostream>

namespace cicd::ctl {
namespace {
namespace fs = std::filesystem;

struct ResultEntry {
  std::string name;
  std::string content_type;
  std::int64_t size = 0;
};

std::vector<ResultEntry> list_of(Session& session, const RunRef& run) {
  auto document = session.api().get_json(run.path() + "/results");
  if (document.HasMember("resultsExpired") && document["resultsExpired"].IsBool() &&
      document["resultsExpired"].GetBool()) {
    throw CtlError(k_exit_server, fmt::format("the results of {}/{} were deleted after the "
                                              "retention period",
                                              run.job, run.id));
  }
  std::vector<ResultEntry> entries;
  for (const auto& item : document["items"].GetArray()) {
    entries.push_back(
        {string_of(item, "name"), string_of(item, "contentType"),
         item.HasMember("size") && item["size"].IsInt64() ? item["size"].GetInt64() : 0});
  }
  return entries;
}

// The file name a result is saved under, with the extension its type implies.
std::string file_name(const ResultEntry& result) {
  auto name = result.name == "console" ? std::string("console.log") : result.name;
  if (result.content_type == "application/zip" && !name.ends_with(".zip")) {
    name += ".zip";
  } else if (result.content_type == "application/gzip" && !name.ends_with(".tar.gz")) {
    name += ".tar.gz";
  } else if (result.content_type == "application/xml" && !name.ends_with(".xml")) {
    name += ".xml";
  }
  return name;
}

// Streams the result into `target` ("-": stdout) through a .part file renamed at the end, so
// that a cut download never leaves a file that looks complete.
void download(Session& session, const RunRef& run, const ResultEntry& result,
              const fs::path& target) {
  auto path = run.path() + "/results/" + result.name;
  if (target == "-") {
    auto end = session.api().stream(path, [](std::string_view bytes) {
      std::cout.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
      return static_cast<bool>(std::cout);
    });
    if (end != ApiClient::StreamEnd::complete) {
      throw CtlError(k_exit_server, "the download of " + result.name + " was cut off");
    }
    return;
  }
  std::error_code ec;
  if (target.has_parent_path()) {
    fs::create_directories(target.parent_path(), ec);
  }
  auto part = target;
  part += ".part";
  std::ofstream out(part, std::ios::binary | std::ios::trunc);
  if (!out) {
    throw CtlError(k_exit_usage, "cannot write " + part.string());
  }
  auto end = session.api().stream(path, [&](std::string_view bytes) {
    out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
    return static_cast<bool>(out);
  });
  out.close();
  if (end != ApiClient::StreamEnd::complete || !out) {
    fs::remove(part, ec);
    throw CtlError(end == ApiClient::StreamEnd::stopped ? k_exit_usage : k_exit_server,
                   end == ApiClient::StreamEnd::stopped
                       ? "cannot write " + part.string() + " (disk full?)"
                       : "the download of " + result.name + " was cut off: nothing was kept");
  }
  fs::rename(part, target, ec);
  if (ec) {
    throw CtlError(k_exit_usage, "cannot write " + target.string() + ": " + ec.message());
  }
}

} // namespace

int results_list(Session& session, CommandLine& args) {
  auto run = parse_run_ref(args.take("JOB/ID"));
  auto format = take_format(args);
  args.finish();
  auto document = session.api().get_json(run.path() + "/results");
  if (format != Format::table) {
    print_document(document, format);
    return k_exit_ok;
  }
  Table table({"NAME", "TYPE", "SIZE", "TESTS"});
  for (const auto& item : document["items"].GetArray()) {
    std::string tests;
    if (item.HasMember("summary") && item["summary"].IsObject()) {
      const auto& summary = item["summary"];
      auto count = [&](const char* key) { return summary[key].GetInt64(); };
      tests = fmt::format("{} passed, {} failed, {} errors, {} skipped", count("passed"),
                          count("failures"), count("errors"), count("skipped"));
    }
    table.add({string_of(item, "name"), string_of(item, "contentType"),
               human_size(item["size"].GetInt64()), tests});
  }
  std::cout << table.render(session.terminal().colour);
  if (document.HasMember("resultsExpired") && document["resultsExpired"].GetBool()) {
    std::cerr << "(the results of this run were deleted after the retention period)\n";
  }
  return k_exit_ok;
}

int results_download(Session& session, CommandLine& args) {
  auto run = parse_run_ref(args.take("JOB/ID"));
  auto name = args.take_optional();
  auto output = args.value({"-o", "--output"});
  args.finish();
  auto results = list_of(session, run);
  if (name) {
    for (const auto& result : results) {
      if (result.name == *name) {
        fs::path target = output ? fs::path(*output) : fs::path(file_name(result));
        if (output && fs::is_directory(target)) {
          target /= file_name(result);
        }
        download(session, run, result, target);
        if (target != "-") {
          std::cerr << "saved " << result.name << " as " << target.string() << "\n";
        }
        return k_exit_ok;
      }
    }
    throw CtlError(k_exit_server,
                   fmt::format("{}/{} has no result named '{}'", run.job, run.id, *name),
                   fmt::format("`cicd ctl results list {}/{}` lists them", run.job, run.id));
  }
  fs::path folder = output ? fs::path(*output) : fs::path(fmt::format("{}-{}", run.job, run.id));
  if (folder == "-") {
    throw usage_error("-o - takes one result: name it");
  }
  for (const auto& result : results) {
    download(session, run, result, folder / file_name(result));
  }
  std::cerr << "saved " << results.size() << " results in " << folder.string() << "/\n";
  return k_exit_ok;
}

} // namespace cicd::ctl
