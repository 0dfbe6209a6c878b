// cicd ctl run, runs list|get|abort, logs: triggering, watching and following runs.
#include "session.hpp"

#include "ctl_error.hpp"

#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

#include <fmt/format.h>

#include <chrono>
#include <iostream>
#include <thread>

namespace cicd::ctl {
namespace {
using namespace std::chrono_literals;

bool is_terminal(std::string_view status) {
  return status == "succeeded" || status == "failed" || status == "errored" ||
         status == "aborted" || status == "timed_out";
}

// The trigger's "parameters": each KEY=VALUE typed as the job declares KEY (a bool, an
// integer, else a string); an unknown key is sent as a string for the server to refuse.
void write_parameters(rapidjson::Writer<rapidjson::StringBuffer>& writer,
                      const std::vector<std::string>& pairs, const rapidjson::Document& job) {
  writer.Key("parameters");
  writer.StartObject();
  for (const auto& pair : pairs) {
    auto equals = pair.find('=');
    if (equals == std::string::npos || equals == 0) {
      throw usage_error("-p takes KEY=VALUE, not '" + pair + "'");
    }
    auto key = pair.substr(0, equals);
    auto value = pair.substr(equals + 1);
    std::string type;
    if (job.HasMember("parameters") && job["parameters"].IsObject() &&
        job["parameters"].HasMember(key.c_str())) {
      type = string_of(job["parameters"][key.c_str()], "type");
    }
    writer.Key(key.c_str(), static_cast<rapidjson::SizeType>(key.size()));
    if (type == "bool" && (value == "true" || value == "false")) {
      writer.Bool(value == "true");
    } else if (type == "integer" && !value.empty() &&
               value.find_first_not_of("-0123456789") == std::string::npos) {
      writer.Int64(std::stoll(value));
    } else {
      writer.String(value.c_str(), static_cast<rapidjson::SizeType>(value.size()));
    }
  }
  writer.EndObject();
}

// Prints the console from `offset` on as it comes, reconnecting where it stopped when the
// connection drops (a restarting master, a proxy's timeout), until the run ends. A server that
// cannot be reached at all is an error at once, unless it answered before (`reached`).
void follow_console(Session& session, const RunRef& run, bool follow, bool reached,
                    std::int64_t offset = 0) {
  ConsoleFilter filter(session.terminal().colour);
  int failures = 0;
  for (;;) {
    auto path = run.path() + "/results/console?follow=" + (follow ? "true" : "false") +
                "&offset=" + std::to_string(offset);
    ApiClient::StreamEnd end;
    try {
      end = session.api().stream(path, [&](std::string_view bytes) {
        offset += static_cast<std::int64_t>(bytes.size());
        std::cout << filter.feed(bytes) << std::flush;
        failures = 0;
        return true;
      });
      reached = true;
    } catch (const CtlError& e) {
      bool unreachable = std::string_view(e.what()).starts_with("cannot reach");
      if (!unreachable || !follow || !reached) {
        throw; // a refusal, or a server that was never there
      }
      end = ApiClient::StreamEnd::cut; // the server is away for now: try again
    }
    if (end == ApiClient::StreamEnd::complete || !follow) {
      std::cout << filter.flush() << std::flush;
      return;
    }
    if (++failures > 30) {
      throw CtlError(k_exit_server, "the console stream kept breaking off: gave up after 30 tries",
                     fmt::format("`cicd ctl logs {}/{} -f` picks it up again", run.job, run.id));
    }
    if (session.terminal().err_is_tty) {
      std::cerr << "\n[cicd ctl] connection lost, resuming at byte " << offset << "…\n";
    }
    std::this_thread::sleep_for(std::min(5000ms, 250ms * failures));
  }
}

rapidjson::Document get_run(Session& session, const RunRef& run) {
  return session.api().get_json(run.path());
}

// Polls the run until it ends, with a progress line on a terminal.
rapidjson::Document wait_for_end(Session& session, const RunRef& run) {
  auto started = std::chrono::steady_clock::now();
  for (;;) {
    auto document = get_run(session, run);
    auto status = string_of(document, "status");
    if (is_terminal(status)) {
      if (session.terminal().err_is_tty) {
        std::cerr << "\r\x1b[K";
      }
      return document;
    }
    if (session.terminal().err_is_tty) {
      auto seconds = std::chrono::duration_cast<std::chrono::seconds>(
                         std::chrono::steady_clock::now() - started)
                         .count();
      std::cerr << fmt::format("\r\x1b[K{}/{} {} ({}s)", run.job, run.id, status, seconds)
                << std::flush;
    }
    std::this_thread::sleep_for(1s);
  }
}

// "unit-test/42 failed (exit code 3) in 12.5s: reason" on stderr; the exit code for it.
int report_end(Session& session, const RunRef& run, const rapidjson::Document& document) {
  auto status = string_of(document, "status");
  std::string line =
      fmt::format("{}/{} {}", run.job, run.id,
                  status_text(status, session.terminal().err_is_tty && session.terminal().colour));
  if (document.HasMember("exitCode") && document["exitCode"].IsInt64() && status == "failed") {
    line += fmt::format(" (exit code {})", document["exitCode"].GetInt64());
  }
  auto took = duration_between(string_of(document, "startedAt"), string_of(document, "finishedAt"));
  if (!took.empty()) {
    line += " in " + took;
  }
  if (auto reason = string_of(document, "reason"); !reason.empty()) {
    line += ": " + reason;
  }
  std::cerr << line << "\n";
  return exit_code_for(status);
}

} // namespace

int exit_code_for(std::string_view status) {
  if (status == "succeeded") {
    return k_exit_ok;
  }
  return status == "failed" ? k_exit_failed : k_exit_errored;
}

int run_job(Session& session, CommandLine& args) {
  auto job = args.take("JOB");
  auto branch = args.value({"--branch"});
  auto commit = args.value({"--commit"});
  auto parameters = args.values({"-p", "--param"});
  bool wait = args.has({"--wait"});
  bool follow = args.has({"--follow"});
  auto format = take_format(args);
  args.finish();
  if (branch && commit) {
    throw usage_error("give --branch or --commit, not both");
  }
  if (!branch && !commit) {
    throw usage_error("run needs the revision: --branch B or --commit SHA");
  }
  rapidjson::Document definition;
  if (!parameters.empty()) {
    definition = session.api().get_json("/jobs/" + segment(job));
  }
  rapidjson::StringBuffer body;
  rapidjson::Writer<rapidjson::StringBuffer> writer(body);
  writer.StartObject();
  writer.Key(branch ? "branchName" : "commitSha");
  writer.String(branch ? branch->c_str() : commit->c_str());
  if (!parameters.empty()) {
    write_parameters(writer, parameters, definition);
  }
  writer.EndObject();
  auto created = session.api().call("POST", "/jobs/" + segment(job) + "/runs",
                                    std::string(body.GetString(), body.GetSize()));
  auto document = parse_document(created.body, "POST /jobs/" + job + "/runs");
  RunRef run{job,
             document.HasMember("id") && document["id"].IsInt64() ? document["id"].GetInt64() : 0};
  if (format == Format::table) {
    std::cout << run.job << "/" << run.id << "\n" << std::flush;
  } else if (!wait && !follow) {
    print_document(document, format);
  }
  if (follow) {
    follow_console(session, run, true, true);
  }
  if (!wait && !follow) {
    return k_exit_ok;
  }
  auto final = wait_for_end(session, run);
  if (format != Format::table) {
    print_document(final, format);
  }
  return report_end(session, run, final);
}

int runs_list(Session& session, CommandLine& args) {
  auto job = args.take("JOB");
  auto status = args.value({"--status"});
  auto limit = args.value({"--limit"}).value_or("20");
  auto format = take_format(args);
  args.finish();
  auto path = "/jobs/" + segment(job) + "/runs?limit=" + segment(limit);
  if (status) {
    path += "&status=" + segment(*status);
  }
  auto document = session.api().get_json(path);
  const auto& items = document["items"];
  if (format != Format::table) {
    print_document(items, format);
    return k_exit_ok;
  }
  Table table({"RUN", "STATUS", "TRIGGER", "REVISION", "QUEUED", "DURATION"});
  for (const auto& run : items.GetArray()) {
    const auto& trigger = run["trigger"];
    auto revision = string_of(run, "commitSha");
    if (revision.empty()) {
      revision = string_of(trigger, "commitSha");
    }
    revision = revision.substr(0, 12);
    if (auto branch = string_of(trigger, "branchName"); !branch.empty()) {
      revision = revision.empty() ? branch : branch + "@" + revision;
    }
    table.add({job + "/" + std::to_string(run["id"].GetInt64()),
               status_text(string_of(run, "status"), session.terminal().colour),
               string_of(trigger, "kind"), revision, short_time(string_of(run, "queuedAt")),
               duration_between(string_of(run, "startedAt"), string_of(run, "finishedAt"))});
  }
  std::cout << table.render(session.terminal().colour);
  return k_exit_ok;
}

int runs_get(Session& session, CommandLine& args) {
  auto run = parse_run_ref(args.take("JOB/ID"));
  auto format = take_format(args);
  args.finish();
  print_document(get_run(session, run), format == Format::json ? Format::json : Format::yaml);
  return k_exit_ok;
}

int runs_abort(Session& session, CommandLine& args) {
  auto run = parse_run_ref(args.take("JOB/ID"));
  args.finish();
  auto answer = session.api().call("POST", run.path() + "/abort");
  auto document = parse_document(answer.body, "POST " + run.path() + "/abort");
  auto status = string_of(document, "status");
  std::cout << run.job << "/" << run.id
            << (status == "aborted" ? " aborted\n" : " is stopping (abort requested)\n");
  return k_exit_ok;
}

int logs(Session& session, CommandLine& args) {
  auto run = parse_run_ref(args.take("JOB/ID"));
  bool follow = args.has({"-f", "--follow"});
  args.finish();
  follow_console(session, run, follow, false);
  if (!follow) {
    return k_exit_ok;
  }
  return report_end(session, run, wait_for_end(session, run));
}

} // namespace cicd::ctl
