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

// The file name the server gives the result (Content-Disposition: attachment;
// filename="junit.zip"), kept only when it is a plain name.
std::string attachment_name(const ApiResponse& head, const std::string& fallback) {
  auto header = head.header("content-disposition");
  auto start = header.find("filename=\"");
  if (start == std::string::npos) {
    return fallback;
  }
  start += 10;
  auto name = header.substr(start, header.find('"', start) - start);
  bool plain = !name.empty() && name != "." && name != ".." &&
               name.find_first_not_of("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
                                      "0123456789._-") == std::string::npos;
  return plain ? name : fallback;
}

// Streams the result to stdout (`target` "-"), to the file `target`, or into the folder
// `target` under the server's file name for it. Written to a .part file renamed at the end, so
// that a cut download never leaves a file that looks complete. Returns where it went.
fs::path download(Session& session, const RunRef& run, const ResultEntry& result,
                  const fs::path& target, bool into_folder) {
  auto path = run.path() + "/results/" + result.name;
  if (target == "-") {
    auto end = session.api().stream(path, [](std::string_view bytes) {
      std::cout.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
      return static_cast<bool>(std::cout);
    });
    if (end != ApiClient::StreamEnd::complete) {
      throw CtlError(k_exit_server, "the download of " + result.name + " was cut off");
    }
    return target;
  }
  // A sidecar's log ("services/db.log") keeps its folder inside the target folder.
  auto folder = into_folder ? target / fs::path(result.name).parent_path() : target.parent_path();
  std::error_code ec;
  if (!folder.empty()) {
    fs::create_directories(folder, ec);
  }
  auto part = folder / ("." + fs::path(result.name).filename().string() + ".part");
  std::ofstream out(part, std::ios::binary | std::ios::trunc);
  if (!out) {
    throw CtlError(k_exit_usage, "cannot write " + part.string());
  }
  ApiResponse head;
  auto end = session.api().stream(
      path,
      [&](std::string_view bytes) {
        out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
        return static_cast<bool>(out);
      },
      &head);
  out.close();
  if (end != ApiClient::StreamEnd::complete || !out) {
    fs::remove(part, ec);
    throw CtlError(end == ApiClient::StreamEnd::stopped ? k_exit_usage : k_exit_server,
                   end == ApiClient::StreamEnd::stopped
                       ? "cannot write " + part.string() + " (disk full?)"
                       : "the download of " + result.name + " was cut off: nothing was kept");
  }
  auto final_path =
      into_folder ? folder / attachment_name(head, fs::path(result.name).filename()) : target;
  fs::rename(part, final_path, ec);
  if (ec) {
    fs::remove(part, ec);
    throw CtlError(k_exit_usage, "cannot write " + final_path.string() + ": " + ec.message());
  }
  return final_path;
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
        fs::path target = output ? fs::path(*output) : fs::path(".");
        bool into_folder = !output || fs::is_directory(target);
        auto saved = download(session, run, result, target, into_folder);
        if (saved != "-") {
          std::cerr << "saved " << result.name << " as " << saved.string() << "\n";
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
    download(session, run, result, folder, true);
  }
  std::cerr << "saved " << results.size() << " results in " << folder.string() << "/\n";
  return k_exit_ok;
}

} // namespace cicd::ctl
