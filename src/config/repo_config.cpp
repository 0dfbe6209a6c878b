#include "cicd/config/repo_config.hpp"

#include "yaml_to_json.hpp"

#include "cicd/model/json.hpp"
#include "cicd/model/names.hpp"

#include <fmt/format.h>
#include <rapidjson/encodings.h>
#include <rapidjson/memorystream.h>
#include <yaml-cpp/eventhandler.h>

#include <algorithm>
#include <optional>
#include <sstream>
#include <string>
#include <vector>

namespace cicd::config {
namespace {

// Top-level keys beginning with this are left out, so that a file can hold anchored values that
// jobs alias (the convention of Docker Compose).
constexpr std::string_view k_extension_prefix = "x-";

bool is_extension_key(const YAML::Node& key) {
  return key.IsScalar() && key.Scalar().starts_with(k_extension_prefix);
}

// The offset of the first NUL or byte that is not UTF-8, or npos.
std::size_t find_non_utf8(std::string_view text) {
  struct Discard {
    void Put(char) {}
  } discard;
  rapidjson::MemoryStream in(text.data(), text.size());
  while (in.Tell() < text.size()) {
    std::size_t start = in.Tell();
    if (in.Peek() == '\0' || !rapidjson::UTF8<>::Validate(in, discard)) {
      return start;
    }
  }
  return std::string_view::npos;
}

int line_at(std::string_view text, std::size_t offset) {
  return 1 + static_cast<int>(std::count(text.begin(), text.begin() + offset, '\n'));
}

// The top-level map without its x- keys: the single job the file defines.
YAML::Node single_job(const YAML::Node& root) {
  YAML::Node job(YAML::NodeType::Map);
  for (const auto& member : root) {
    if (!is_extension_key(member.first)) {
      job.force_insert(member.first, member.second); // keeps duplicate keys, for the error
    }
  }
  return job;
}

// The job `entry` names among `jobs` (the value of the top-level key on `line`), and its name.
std::pair<YAML::Node, std::string> named_job(const YAML::Node& jobs, int line,
                                             std::string_view entry, SourceLines& lines) {
  if (!jobs.IsMap() || jobs.size() == 0) {
    fail_at(lines, "jobs", line,
            "'jobs' must be a map of job names to jobs, with at least one job (docs/config.md)");
  }
  std::string names;
  std::optional<std::pair<YAML::Node, std::string>> found;
  for (const auto& member : jobs) {
    const auto& name = member.first.IsScalar() ? member.first.Scalar() : std::string("?");
    auto field = model::field_path("jobs", name);
    if (auto checked = model::check_simple_name(name, field); !checked) {
      fail_at(lines, field, line_of(member.first), checked.error().message);
    }
    if (auto [first, added] = lines.emplace(field, line_of(member.first)); !added) {
      fail_at(lines, field, line_of(member.first),
              fmt::format("'{}' is set twice in the same map (first on line {}): keep one", field,
                          first->second));
    }
    names += (names.empty() ? "" : ", ") + name;
    if (name == entry || (entry.empty() && jobs.size() == 1)) {
      found.emplace(member.second, name);
    }
  }
  if (!found && entry.empty()) {
    fail_at(lines, "jobs", line,
            "'jobs' defines several jobs (" + names +
                "): set the job's entry (in the API) to the one to run");
  }
  if (!found) {
    fail_at(lines, "jobs", line,
            fmt::format("'jobs' has no job named '{}' (the job's entry in the API); the file "
                        "defines: {}",
                        entry, names));
  }
  return *found;
}

// Picks the node of the job to run and the key path it is at ("" or "jobs.<name>").
std::pair<YAML::Node, std::string> select_job(const YAML::Node& root, std::string_view entry,
                                              SourceLines& lines) {
  std::optional<YAML::Node> jobs;
  int jobs_line = 1;
  for (const auto& member : root) {
    if (member.first.IsScalar() && member.first.Scalar() == "jobs") {
      if (jobs) {
        fail_at(lines, "jobs", line_of(member.first),
                fmt::format("'jobs' is set twice in the same map (first on line {}): keep one",
                            jobs_line));
      }
      jobs.emplace(member.second);
      jobs_line = line_of(member.first);
    }
  }
  if (!jobs) {
    if (!entry.empty()) {
      fail_at(lines, "", 1,
              fmt::format("the file defines a single job (its keys at the top level), so it has "
                          "no entry '{}': clear the job's entry in the API, or put the jobs under "
                          "'jobs:'",
                          entry));
    }
    return {single_job(root), ""};
  }
  for (const auto& member : root) {
    if (!is_extension_key(member.first) && member.first.Scalar() != "jobs") {
      auto field = member.first.IsScalar() ? member.first.Scalar() : std::string("?");
      fail_at(lines, field, line_of(member.first),
              "'" + field +
                  "' cannot sit next to 'jobs': a file is either one job (its keys at the top "
                  "level) or several under 'jobs' (top-level keys starting with x- may hold "
                  "anchors)");
    }
  }
  auto [job, name] = named_job(*jobs, jobs_line, entry, lines);
  return {job, model::field_path("jobs", name)};
}

// The run spec's one number: YAML gives a port as text ("5432"), the JSON reader wants an
// integer. Anything but digits stays text, which the reader refuses with its reason.
void type_port_numbers(rapidjson::Value& job) {
  auto services = job.FindMember("services");
  if (services == job.MemberEnd() || !services->value.IsObject()) {
    return;
  }
  for (auto& service : services->value.GetObject()) {
    if (!service.value.IsObject()) {
      continue;
    }
    auto port = service.value.FindMember("port");
    if (port == service.value.MemberEnd() || !port->value.IsString()) {
      continue;
    }
    std::string_view text(port->value.GetString(), port->value.GetStringLength());
    bool digits =
        !text.empty() && text.size() <= 18 &&
        std::all_of(text.begin(), text.end(), [](char c) { return c >= '0' && c <= '9'; });
    if (digits) {
      port->value.SetInt64(std::stoll(std::string(text)));
    }
  }
}

// Names the key path in the message, when the message does not. The model's messages speak
// JSON; a YAML author writes maps and lists. Only the words after the key path change, never
// the path, which holds the user's own key names.
std::string in_yaml_words(const Error& error) {
  std::string quoted = "'" + error.field + "'";
  if (error.message.find(quoted) == std::string::npos) {
    return quoted + ": " + error.message;
  }
  std::string prefix = quoted + " ";
  if (!error.message.starts_with(prefix)) {
    return error.message;
  }
  std::string rest = error.message.substr(prefix.size());
  for (auto [json, yaml] : {std::pair{"an object", "a map"}, std::pair{"an array", "a list"}}) {
    for (auto at = rest.find(json); at != std::string::npos; at = rest.find(json, at)) {
      rest.replace(at, std::string_view(json).size(), yaml);
    }
  }
  return prefix + rest;
}

std::string parent_path(const std::string& path) {
  auto cut = path.find_last_of(".[");
  return cut == std::string::npos ? std::string() : path.substr(0, cut);
}

// The error as parse_repo_config returns it: "<file>:<line>: <message>". The line is the one
// of the key path, or of the nearest key above it (a missing key: the map that lacks it).
Error located(const Error& error, std::string_view file_name, const SourceLines& lines) {
  std::string path = error.field;
  auto found = lines.find(path);
  while (found == lines.end() && !path.empty()) {
    path = parent_path(path);
    found = lines.find(path);
  }
  int line = found == lines.end() ? 1 : found->second;
  std::string message = error.field.empty() ? error.message : in_yaml_words(error);
  return make_error(ErrorCode::unprocessable, fmt::format("{}:{}: {}", file_name, line, message),
                    error.field);
}

// Where the first node of each document of a stream is, without building the documents.
// yaml-cpp 0.7's LoadAll never returns on some malformed input (a ',' at the top level,
// upstream issue #1040): its parser then reports one empty document after another without
// reading on, each a new node in memory. So the documents are counted first, up to two.
class DocumentStarts : public YAML::EventHandler {
public:
  std::vector<YAML::Mark> marks;

  void OnDocumentStart(const YAML::Mark&) override { m_new_document = true; }
  void OnDocumentEnd() override {}
  void OnNull(const YAML::Mark& mark, YAML::anchor_t) override { node(mark); }
  void OnAlias(const YAML::Mark& mark, YAML::anchor_t) override { node(mark); }
  void OnScalar(const YAML::Mark& mark, const std::string&, YAML::anchor_t,
                const std::string&) override {
    node(mark);
  }
  void OnSequenceStart(const YAML::Mark& mark, const std::string&, YAML::anchor_t,
                       YAML::EmitterStyle::value) override {
    node(mark);
  }
  void OnSequenceEnd() override {}
  void OnMapStart(const YAML::Mark& mark, const std::string&, YAML::anchor_t,
                  YAML::EmitterStyle::value) override {
    node(mark);
  }
  void OnMapEnd() override {}

private:
  void node(const YAML::Mark& mark) {
    if (m_new_document) {
      marks.push_back(mark);
      m_new_document = false;
    }
  }
  bool m_new_document = false;
};

DocumentStarts first_two_documents(const std::string& yaml) {
  std::istringstream stream(yaml);
  YAML::Parser parser(stream);
  DocumentStarts starts;
  while (starts.marks.size() < 2 && parser.HandleNextDocument(starts)) {
  }
  return starts;
}

} // namespace

Result<model::RunSpec> parse_repo_config(std::string_view yaml, std::string_view file_name,
                                         std::string_view entry) {
  auto file_error = [&](int line, const std::string& message) {
    return make_error(ErrorCode::unprocessable, fmt::format("{}:{}: {}", file_name, line, message));
  };
  if (auto bad = find_non_utf8(yaml); bad != std::string_view::npos) {
    return file_error(
        line_at(yaml, bad),
        fmt::format("the file must be UTF-8 text: byte {} is a NUL or not UTF-8", bad));
  }
  std::string text(yaml);
  YAML::Node root;
  try {
    auto starts = first_two_documents(text);
    const auto& marks = starts.marks;
    if (marks.size() == 2 && marks[0].pos == marks[1].pos) { // the parser stopped reading on
      auto at = static_cast<std::size_t>(std::max(marks[1].pos, 0));
      return file_error(marks[1].line + 1,
                        fmt::format("this is not valid YAML (column {}): unexpected '{}'",
                                    marks[1].column + 1,
                                    at < text.size() ? text.substr(at, 1) : ""));
    }
    if (marks.size() == 2) {
      return file_error(marks[1].line + 1,
                        "a second YAML document (after '---') is here: keep the whole file in "
                        "one document");
    }
    root = YAML::Load(text);
  } catch (const YAML::Exception& e) {
    return file_error(std::max(e.mark.line, 0) + 1,
                      fmt::format("this is not valid YAML (column {}): {}",
                                  std::max(e.mark.column, 0) + 1, e.msg));
  }
  if (root.IsNull()) {
    return file_error(1, "the file is empty: write the job's keys (image, script, …) or 'jobs:' "
                         "(docs/config.md)");
  }
  if (!root.IsMap()) {
    return file_error(line_of(root),
                      fmt::format("the file must be a map of keys (image, script, … or jobs), not "
                                  "{}",
                                  root.IsSequence() ? "a list" : "a single value"));
  }
  SourceLines lines{{"", 1}};
  try {
    check_expanded_size(root, lines);
    auto [node, path] = select_job(root, entry, lines);
    rapidjson::Document document;
    auto job = yaml_to_json(node, path, document.GetAllocator(), lines);
    model::read_object(job, path);
    type_port_numbers(job);
    model::reject_isolation_escapes(job, path);
    // The run spec's members, as model::read_run_spec reads them.
    model::reject_unknown_members(job,
                                  {"image", "script", "workdir", "user", "env", "services",
                                   "secrets", "timeout", "resourceClass", "results"},
                                  path);
    return model::read_run_spec(job, path);
  } catch (const ErrorException& e) {
    return located(e.error(), file_name, lines);
  }
}

} // namespace cicd::config
