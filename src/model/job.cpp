#include "cicd/model/job.hpp"
#include "cicd/model/settings.hpp"

#include "cicd/model/names.hpp"

#include <fmt/format.h>

#include <algorithm>

namespace cicd::model {
namespace {

std::string_view to_string(ParameterType type) {
  switch (type) {
  case ParameterType::string:
    return "string";
  case ParameterType::boolean:
    return "bool";
  case ParameterType::integer:
    return "integer";
  case ParameterType::choice:
    return "choice";
  }
  return "string";
}

ParameterValue read_parameter_value(const ParameterDef& def, const rapidjson::Value& value,
                                    const std::string& field) {
  switch (def.type) {
  case ParameterType::string:
    return read_string(value, field);
  case ParameterType::boolean:
    return read_bool(value, field);
  case ParameterType::integer:
    return read_integer(value, field);
  case ParameterType::choice: {
    auto text = read_string(value, field);
    if (std::find(def.choices.begin(), def.choices.end(), text) == def.choices.end()) {
      std::string allowed;
      for (const auto& c : def.choices) {
        allowed += (allowed.empty() ? "" : ", ") + c;
      }
      throw_field_error(field, "must be one of: " + allowed);
    }
    return text;
  }
  }
  return std::string();
}

void write_parameter_value(JsonWriter& writer, const ParameterValue& value) {
  if (const auto* s = std::get_if<std::string>(&value)) {
    write_string(writer, *s);
  } else if (const auto* b = std::get_if<bool>(&value)) {
    writer.Bool(*b);
  } else {
    writer.Int64(std::get<std::int64_t>(value));
  }
}

ParameterDef read_parameter_def(const std::string& name, const rapidjson::Value& value,
                                const std::string& field) {
  read_object(value, field);
  reject_unknown_members(value, {"type", "default", "required", "choices", "description"}, field);
  ParameterDef def;
  def.name = name;
  if (auto* v = find_member(value, "type")) {
    auto type = read_string(*v, field + ".type");
    if (type == "string") {
      def.type = ParameterType::string;
    } else if (type == "bool") {
      def.type = ParameterType::boolean;
    } else if (type == "integer") {
      def.type = ParameterType::integer;
    } else if (type == "choice") {
      def.type = ParameterType::choice;
    } else {
      throw_field_error(field + ".type", "must be one of string, bool, integer, choice");
    }
  }
  if (auto* v = find_member(value, "choices")) {
    if (def.type != ParameterType::choice) {
      throw_field_error(field + ".choices", "is only for parameters of type choice");
    }
    std::size_t index = 0;
    for (const auto& c : read_array(*v, field + ".choices").GetArray()) {
      def.choices.push_back(read_string(c, field + ".choices[" + std::to_string(index++) + "]"));
    }
  }
  if (def.type == ParameterType::choice && def.choices.empty()) {
    throw_field_error(field + ".choices", "is required for a choice: list the allowed values");
  }
  if (auto* v = find_member(value, "required")) {
    def.required = read_bool(*v, field + ".required");
  }
  if (auto* v = find_member(value, "description")) {
    def.description = read_string(*v, field + ".description");
  }
  if (auto* v = find_member(value, "default")) {
    def.default_value = read_parameter_value(def, *v, field + ".default");
  }
  return def;
}

bool is_alnum(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
}

// 1 to `max` of A-Z, a-z, 0-9, '.', '_' and '-', beginning and ending with a letter or digit.
bool is_label_word(std::string_view text, std::size_t max) {
  return !text.empty() && text.size() <= max && is_alnum(text.front()) && is_alnum(text.back()) &&
         std::all_of(text.begin(), text.end(),
                     [](char c) { return is_alnum(c) || c == '.' || c == '_' || c == '-'; });
}

// A lower-case DNS subdomain: labels of a-z, 0-9 and '-' (not at either end) joined by '.'.
bool is_dns_subdomain(std::string_view text) {
  if (text.empty() || text.size() > k_max_label_prefix) {
    return false;
  }
  std::size_t start = 0;
  for (;;) {
    auto dot = text.find('.', start);
    auto part = text.substr(start, dot == std::string_view::npos ? dot : dot - start);
    bool ok = !part.empty() && part.size() <= 63 && part.front() != '-' && part.back() != '-' &&
              std::all_of(part.begin(), part.end(), [](char c) {
                return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-';
              });
    if (!ok) {
      return false;
    }
    if (dot == std::string_view::npos) {
      return true;
    }
    start = dot + 1;
  }
}

std::map<std::string, std::string> read_labels(const rapidjson::Value& value) {
  const auto& object = read_object(value, "labels");
  if (object.MemberCount() > k_max_labels) {
    throw_field_error("labels", fmt::format("has more than {} labels", k_max_labels));
  }
  std::map<std::string, std::string> labels;
  for (const auto& member : object.GetObject()) {
    std::string key(member.name.GetString(), member.name.GetStringLength());
    auto field = field_path("labels", key);
    if (auto checked = check_label_key(key, field); !checked) {
      throw ErrorException(checked.error());
    }
    auto text = read_string(member.value, field);
    if (auto checked = check_label_value(text, field); !checked) {
      throw ErrorException(checked.error());
    }
    labels.emplace(std::move(key), std::move(text));
  }
  return labels;
}

std::string read_repo_url(const rapidjson::Value& value, const std::string& field) {
  auto url = read_string(value, field);
  bool has_space = std::any_of(url.begin(), url.end(),
                               [](char c) { return static_cast<unsigned char>(c) <= ' '; });
  bool known_scheme = url.starts_with("https://") || url.starts_with("http://") ||
                      url.starts_with("ssh://") || url.starts_with("git://") ||
                      url.starts_with("file://") ||
                      (url.find('@') != std::string::npos && url.find(':') != std::string::npos);
  if (url.empty() || url.size() > 2048 || has_space || !known_scheme) {
    throw_field_error(field, "must be a git URL (https://, ssh://, git://, file:// or "
                             "user@host:path) without spaces");
  }
  auto scheme_end = url.find("://");
  if (scheme_end != std::string::npos) {
    auto authority = url.substr(scheme_end + 3, url.find('/', scheme_end + 3) - scheme_end - 3);
    if (authority.find('@') != std::string::npos && authority.find(':') < authority.find('@')) {
      throw_field_error(field, "contains a password: remove it and store the credential as a "
                               "job secret instead");
    }
  }
  return url;
}

JobDefinition read_job_definition(const rapidjson::Value& object) {
  JobDefinition job;
  auto* type_value = find_member(object, "type");
  if (type_value == nullptr) {
    throw_field_error("type", "is required: \"git\" or \"freestyle\"");
  }
  auto type = read_string(*type_value, "type");
  if (type == "git") {
    reject_isolation_escapes(object, "");
    std::initializer_list<std::string_view> known = {
        "name",       "type",    "description",         "parameters", "repoUrl",
        "configPath", "entry",   "gitCredentialSecret", "retry",      "resultRetentionDays",
        "labels",     "triggers"};
    reject_unknown_members(object, known, "");
    GitSource git;
    auto* url = find_member(object, "repoUrl");
    if (url == nullptr) {
      throw_field_error("repoUrl", "is required for a git job: the repository to clone");
    }
    git.repo_url = read_repo_url(*url, "repoUrl");
    if (auto* v = find_member(object, "configPath")) {
      auto text = read_string(*v, "configPath");
      bool bad = text.empty() || text.front() == '/' || text.find("..") != std::string::npos;
      if (bad) {
        throw_field_error("configPath", "must be a relative path in the repository, without "
                                        "'..' (default .cicd.yml)");
      }
      git.config_path = text;
    }
    if (auto* v = find_member(object, "entry")) {
      git.entry = read_string(*v, "entry");
      auto checked = check_simple_name(git.entry, "entry");
      if (!checked) {
        throw ErrorException(checked.error());
      }
    }
    if (auto* v = find_member(object, "gitCredentialSecret")) {
      git.credential_secret = read_string(*v, "gitCredentialSecret");
      if (auto checked = check_env_name(git.credential_secret, "gitCredentialSecret"); !checked) {
        throw ErrorException(checked.error());
      }
    }
    job.source = git;
  } else if (type == "freestyle") {
    reject_isolation_escapes(object, "");
    reject_unknown_members(object,
                           {"name", "type", "description", "parameters", "image", "script",
                            "workdir", "user", "env", "services", "secrets", "timeout",
                            "resourceClass", "results", "retry", "resultRetentionDays", "labels",
                            "triggers"},
                           "");
    job.source = read_run_spec(object, "");
  } else {
    throw_field_error("type", "must be \"git\" or \"freestyle\"");
  }
  if (auto* v = find_member(object, "description")) {
    job.description = read_string(*v, "description");
    if (job.description.size() > 4096) {
      throw_field_error("description", "is longer than 4096 bytes");
    }
  }
  if (auto* v = find_member(object, "labels")) {
    job.labels = read_labels(*v);
  }
  if (auto* v = find_member(object, "triggers")) {
    job.triggers = read_job_triggers(*v);
  }
  if (auto* v = find_member(object, "retry")) {
    const auto& retry = read_object(*v, "retry");
    reject_unknown_members(retry, {"onInfrastructureError"}, "retry");
    if (auto* n = find_member(retry, "onInfrastructureError")) {
      auto count = read_integer(*n, "retry.onInfrastructureError");
      if (count < 0 || count > k_max_infrastructure_retries) {
        throw_field_error("retry.onInfrastructureError",
                          fmt::format("must be between 0 and {}", k_max_infrastructure_retries));
      }
      job.retries_on_infrastructure_error = static_cast<int>(count);
    }
  }
  if (auto* v = find_member(object, "resultRetentionDays")) {
    auto days = read_integer(*v, "resultRetentionDays");
    if (days < 1 || days > k_max_result_retention_days) {
      throw_field_error("resultRetentionDays",
                        fmt::format("must be from 1 to {} (days a finished run's console and "
                                    "results are kept)",
                                    k_max_result_retention_days));
    }
    job.result_retention_days = days;
  }
  if (auto* v = find_member(object, "parameters")) {
    for (const auto& member : read_object(*v, "parameters").GetObject()) {
      std::string name(member.name.GetString(), member.name.GetStringLength());
      auto field = field_path("parameters", name);
      if (auto checked = check_env_name(name, field); !checked) {
        throw ErrorException(checked.error());
      }
      job.parameters.push_back(read_parameter_def(name, member.value, field));
    }
  }
  return job;
}

} // namespace

std::string_view to_string(JobType type) {
  return type == JobType::git ? "git" : "freestyle";
}

Result<void> check_label_key(std::string_view key, std::string_view field) {
  auto slash = key.find('/');
  auto name = slash == std::string_view::npos ? key : key.substr(slash + 1);
  bool ok = is_label_word(name, k_max_label_name) &&
            (slash == std::string_view::npos || is_dns_subdomain(key.substr(0, slash)));
  if (!ok) {
    return make_error(ErrorCode::invalid_input,
                      "label keys are [PREFIX/]NAME: NAME 1 to 63 characters of A-Z, a-z, 0-9, "
                      "'.', '_' and '-' beginning and ending with a letter or digit; PREFIX a "
                      "lower-case DNS name like cicd.io",
                      std::string(field));
  }
  return {};
}

Result<void> check_label_value(std::string_view value, std::string_view field) {
  if (!value.empty() && !is_label_word(value, k_max_label_value)) {
    return make_error(ErrorCode::invalid_input,
                      "label values are empty or 1 to 63 characters of A-Z, a-z, 0-9, '.', '_' "
                      "and '-' beginning and ending with a letter or digit",
                      std::string(field));
  }
  return {};
}

Result<JobDefinition> parse_job_definition(std::string_view json) {
  auto document = parse_json_object(json);
  if (!document) {
    return document.error();
  }
  try {
    return read_job_definition(*document);
  } catch (const ErrorException& e) {
    return e.error();
  }
}

std::string to_canonical_json(const JobDefinition& job) {
  rapidjson::StringBuffer buffer;
  JsonWriter writer(buffer);
  writer.StartObject();
  writer.Key("type");
  write_string(writer, to_string(job.type()));
  writer.Key("description");
  write_string(writer, job.description);
  if (!job.labels.empty()) { // absent when there are none, as before labels existed
    writer.Key("labels");
    writer.StartObject();
    for (const auto& [key, value] : job.labels) {
      write_key(writer, key);
      write_string(writer, value);
    }
    writer.EndObject();
  }
  if (const auto* git = std::get_if<GitSource>(&job.source)) {
    writer.Key("repoUrl");
    write_string(writer, git->repo_url);
    writer.Key("configPath");
    write_string(writer, git->config_path);
    if (!git->entry.empty()) {
      writer.Key("entry");
      write_string(writer, git->entry);
    }
    if (!git->credential_secret.empty()) {
      writer.Key("gitCredentialSecret");
      write_string(writer, git->credential_secret);
    }
  } else {
    write_run_spec_members(writer, std::get<RunSpec>(job.source));
  }
  if (job.retries_on_infrastructure_error > 0) { // absent when off, as before it existed
    writer.Key("retry");
    writer.StartObject();
    writer.Key("onInfrastructureError");
    writer.Int(job.retries_on_infrastructure_error);
    writer.EndObject();
  }
  if (job.result_retention_days) {
    writer.Key("resultRetentionDays");
    writer.Int64(*job.result_retention_days);
  }
  if (!job.triggers.empty()) { // absent when there are none, as before triggers existed
    write_job_triggers(writer, job.triggers);
  }
  writer.Key("parameters");
  writer.StartObject();
  for (const auto& def : job.parameters) {
    write_key(writer, def.name);
    writer.StartObject();
    writer.Key("type");
    write_string(writer, to_string(def.type));
    writer.Key("required");
    writer.Bool(def.required);
    if (def.default_value) {
      writer.Key("default");
      write_parameter_value(writer, *def.default_value);
    }
    if (!def.choices.empty()) {
      writer.Key("choices");
      writer.StartArray();
      for (const auto& c : def.choices) {
        write_string(writer, c);
      }
      writer.EndArray();
    }
    if (!def.description.empty()) {
      writer.Key("description");
      write_string(writer, def.description);
    }
    writer.EndObject();
  }
  writer.EndObject();
  writer.EndObject();
  return std::string(buffer.GetString(), buffer.GetSize());
}

Result<std::string> resolve_parameters(const std::vector<ParameterDef>& definitions,
                                       const rapidjson::Value* given) {
  try {
    if (given != nullptr && !given->IsNull()) {
      read_object(*given, "parameters");
      for (const auto& member : given->GetObject()) {
        std::string_view name(member.name.GetString(), member.name.GetStringLength());
        bool known = std::any_of(definitions.begin(), definitions.end(),
                                 [&](const ParameterDef& d) { return d.name == name; });
        if (!known) {
          std::string names;
          for (const auto& d : definitions) {
            names += (names.empty() ? "" : ", ") + d.name;
          }
          throw_field_error(field_path("parameters", name),
                            names.empty()
                                ? "is not a parameter of this job (it has none)"
                                : "is not a parameter of this job (it has: " + names + ")");
        }
      }
    }
    rapidjson::StringBuffer buffer;
    JsonWriter writer(buffer);
    writer.StartObject();
    for (const auto& def : definitions) {
      auto field = field_path("parameters", def.name);
      const rapidjson::Value* value =
          given != nullptr && given->IsObject() ? find_member(*given, def.name) : nullptr;
      std::optional<ParameterValue> resolved;
      if (value != nullptr) {
        resolved = read_parameter_value(def, *value, field);
      } else if (def.default_value) {
        resolved = def.default_value;
      } else if (def.required) {
        throw_field_error(field, "is required by this job and has no default: give a value");
      }
      if (resolved) {
        write_key(writer, def.name);
        write_parameter_value(writer, *resolved);
      }
    }
    writer.EndObject();
    return std::string(buffer.GetString(), buffer.GetSize());
  } catch (const ErrorException& e) {
    return e.error();
  }
}

} // namespace cicd::model
