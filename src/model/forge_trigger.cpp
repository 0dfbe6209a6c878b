#include "cicd/model/forge_trigger.hpp"

#include "cicd/model/names.hpp"

#include <algorithm>

namespace cicd::model {
namespace {

constexpr std::size_t k_max_list = 32;

bool is_repository_path(std::string_view text) {
  if (text.empty() || text.size() > 255 || text.front() == '/' || text.back() == '/' ||
      text.find('/') == std::string_view::npos || text.find("//") != std::string_view::npos ||
      text.find("..") != std::string_view::npos) {
    return false;
  }
  return std::all_of(text.begin(), text.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '.' ||
           c == '_' || c == '-' || c == '/';
  });
}

std::vector<std::string> read_list(const rapidjson::Value& value, const std::string& field,
                                   bool (*valid)(std::string_view), const char* rule) {
  const auto& array = read_array(value, field);
  if (array.Size() > k_max_list) {
    throw_field_error(field, "has more than 32 entries");
  }
  std::vector<std::string> items;
  for (rapidjson::SizeType i = 0; i < array.Size(); ++i) {
    auto item_field = field + "[" + std::to_string(i) + "]";
    auto text = read_string(array[i], item_field);
    if (!valid(text)) {
      throw_field_error(item_field, rule);
    }
    items.push_back(std::move(text));
  }
  return items;
}

bool is_action(std::string_view text) {
  return !text.empty() && text.size() <= 64 && std::all_of(text.begin(), text.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || c == '_';
  });
}

bool is_branch_pattern(std::string_view text) {
  return !text.empty() && text.size() <= 255 && std::none_of(text.begin(), text.end(), [](char c) {
    return static_cast<unsigned char>(c) <= ' ' || c == 0x7f;
  });
}

ForgeTrigger read_forge_trigger(const rapidjson::Value& value, const std::string& field,
                                std::vector<std::string> default_actions) {
  read_object(value, field);
  reject_unknown_members(value, {"connection", "repository", "pullRequest", "push", "allowForks"},
                         field);
  ForgeTrigger trigger;
  auto* connection = find_member(value, "connection");
  if (connection == nullptr) {
    throw_field_error(field + ".connection", "is required: the integration's name");
  }
  trigger.connection = read_string(*connection, field + ".connection");
  if (auto checked = check_job_name(trigger.connection, field + ".connection"); !checked) {
    throw ErrorException(checked.error());
  }
  auto* repository = find_member(value, "repository");
  if (repository == nullptr) {
    throw_field_error(field + ".repository", "is required: \"owner/name\"");
  }
  trigger.repository = read_string(*repository, field + ".repository");
  if (!is_repository_path(trigger.repository)) {
    throw_field_error(field + ".repository",
                      "must be \"owner/name\" (letters, digits, '.', '_', '-' and '/')");
  }
  trigger.pull_request_actions = std::move(default_actions);
  if (auto* pull_request = find_member(value, "pullRequest")) {
    read_object(*pull_request, field + ".pullRequest");
    reject_unknown_members(*pull_request, {"actions"}, field + ".pullRequest");
    if (auto* actions = find_member(*pull_request, "actions")) {
      trigger.pull_request_actions = read_list(*actions, field + ".pullRequest.actions", is_action,
                                               "must be an action name like \"opened\"");
    }
  }
  if (auto* push = find_member(value, "push")) {
    read_object(*push, field + ".push");
    reject_unknown_members(*push, {"branches"}, field + ".push");
    if (auto* branches = find_member(*push, "branches")) {
      trigger.push_branches = read_list(*branches, field + ".push.branches", is_branch_pattern,
                                        "must be a branch pattern like \"main\" or \"release/*\"");
    }
  }
  if (auto* allow_forks = find_member(value, "allowForks")) {
    trigger.allow_forks = read_bool(*allow_forks, field + ".allowForks");
  }
  return trigger;
}

void write_strings(JsonWriter& writer, const std::vector<std::string>& items) {
  writer.StartArray();
  for (const auto& item : items) {
    write_string(writer, item);
  }
  writer.EndArray();
}

void write_forge_trigger(JsonWriter& writer, const char* key, const ForgeTrigger& trigger) {
  writer.Key(key);
  writer.StartObject();
  writer.Key("connection");
  write_string(writer, trigger.connection);
  writer.Key("repository");
  write_string(writer, trigger.repository);
  writer.Key("pullRequest");
  writer.StartObject();
  writer.Key("actions");
  write_strings(writer, trigger.pull_request_actions);
  writer.EndObject();
  writer.Key("push");
  writer.StartObject();
  writer.Key("branches");
  write_strings(writer, trigger.push_branches);
  writer.EndObject();
  writer.Key("allowForks");
  writer.Bool(trigger.allow_forks);
  writer.EndObject();
}

} // namespace

JobTriggers read_job_triggers(const rapidjson::Value& value) {
  read_object(value, "triggers");
  reject_unknown_members(value, {"github", "gitlab"}, "triggers");
  JobTriggers triggers;
  if (auto* github = find_member(value, "github")) {
    triggers.github =
        read_forge_trigger(*github, "triggers.github", {"opened", "synchronize", "reopened"});
  }
  if (auto* gitlab = find_member(value, "gitlab")) {
    triggers.gitlab = read_forge_trigger(*gitlab, "triggers.gitlab", {"open", "update", "reopen"});
  }
  return triggers;
}

void write_job_triggers(JsonWriter& writer, const JobTriggers& triggers) {
  writer.Key("triggers");
  writer.StartObject();
  if (triggers.github) {
    write_forge_trigger(writer, "github", *triggers.github);
  }
  if (triggers.gitlab) {
    write_forge_trigger(writer, "gitlab", *triggers.gitlab);
  }
  writer.EndObject();
}

bool branch_matches(std::string_view pattern, std::string_view text) {
  // Iterative wildcard matching with one backtrack point: linear in practice, never
  // exponential.
  std::size_t p = 0, t = 0, star = std::string_view::npos, resume = 0;
  while (t < text.size()) {
    if (p < pattern.size() && pattern[p] == '*') {
      star = p++;
      resume = t;
    } else if (p < pattern.size() && pattern[p] == text[t]) {
      ++p;
      ++t;
    } else if (star != std::string_view::npos) {
      p = star + 1;
      t = ++resume;
    } else {
      return false;
    }
  }
  while (p < pattern.size() && pattern[p] == '*') {
    ++p;
  }
  return p == pattern.size();
}

} // namespace cicd::model
