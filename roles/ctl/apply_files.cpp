// Reading the files of `cicd ctl apply`: YAML (through yaml-cpp) or JSON (rapidjson) into the
// JSON documents the API takes, with the positions YAML gives kept for messages.
#include "apply_files.hpp"

#include "ctl_error.hpp"

#include "cicd/model/job.hpp"
#include "cicd/model/names.hpp"

#include <rapidjson/error/en.h>
#include <yaml-cpp/yaml.h>

#include <fmt/format.h>

#include <algorithm>
#include <charconv>
#include <cstdlib>
#include <fstream>
#include <map>
#include <regex>
#include <set>
#include <sstream>

namespace cicd::ctl {
namespace fs = std::filesystem;
namespace {

using Allocator = rapidjson::Document::AllocatorType;
// Where the nodes of one document were written, by their path of keys (depth 4 at most:
// enough for jobs.NAME.secrets.KEY).
using Locations = std::map<std::vector<std::string>, SourceLocation>;

constexpr std::size_t k_min_secret_bytes = 4;
constexpr std::size_t k_max_secret_bytes = 64 * 1024;

CtlError file_error(const SourceLocation& where, const std::string& message) {
  return CtlError(k_exit_usage, where.text() + ": " + message,
                  "nothing was changed; the file format is in docs/ctl-apply.md");
}

std::string read_whole_file(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    throw CtlError(k_exit_usage, "cannot read " + path.string(),
                   "-f takes a YAML or JSON file, or a directory of them");
  }
  std::stringstream content;
  content << in.rdbuf();
  return content.str();
}

bool is_null_word(const std::string& text) {
  return text.empty() || text == "~" || text == "null" || text == "Null" || text == "NULL";
}

// A plain YAML scalar as JSON, by the YAML 1.2 core schema: null, true/false, integers
// (decimal, 0o, 0x), floats, and everything else a string. ("yes" and "on" are strings.)
void plain_scalar(const std::string& text, rapidjson::Value& out, Allocator& allocator,
                  const SourceLocation& where) {
  static const std::regex k_int("[-+]?[0-9]+");
  static const std::regex k_float("[-+]?(\\.[0-9]+|[0-9]+(\\.[0-9]*)?)([eE][-+]?[0-9]+)?");
  static const std::regex k_special("[-+]?\\.(inf|Inf|INF)|\\.(nan|NaN|NAN)");
  if (text == "true" || text == "True" || text == "TRUE") {
    out.SetBool(true);
  } else if (text == "false" || text == "False" || text == "FALSE") {
    out.SetBool(false);
  } else if (std::regex_match(text, k_int)) {
    std::int64_t number = 0;
    auto digits = text.front() == '+' ? std::string_view(text).substr(1) : std::string_view(text);
    auto [end, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), number);
    if (ec != std::errc() || end != digits.data() + digits.size()) {
      throw file_error(where, "the number " + text + " is too large");
    }
    out.SetInt64(number);
  } else if (text.size() > 2 && text[0] == '0' && (text[1] == 'x' || text[1] == 'o')) {
    std::int64_t number = 0;
    auto [end, ec] = std::from_chars(text.data() + 2, text.data() + text.size(), number,
                                     text[1] == 'x' ? 16 : 8);
    if (ec != std::errc() || end != text.data() + text.size()) {
      out.SetString(text.data(), static_cast<rapidjson::SizeType>(text.size()), allocator);
    } else {
      out.SetInt64(number);
    }
  } else if (std::regex_match(text, k_float)) {
    out.SetDouble(std::strtod(text.c_str(), nullptr));
  } else if (std::regex_match(text, k_special)) {
    throw file_error(where, text + " has no JSON form: quote it to mean the string");
  } else {
    out.SetString(text.data(), static_cast<rapidjson::SizeType>(text.size()), allocator);
  }
}

SourceLocation location_of(const YAML::Node& node, const std::string& file) {
  return SourceLocation{file, node.Mark().line + 1, node.Mark().column + 1};
}

void yaml_to_json(const YAML::Node& node, rapidjson::Value& out, Allocator& allocator,
                  const std::string& file, std::vector<std::string>& path, Locations& locations) {
  auto where = location_of(node, file);
  if (path.size() <= 4) {
    locations.emplace(path, where); // a map's member is where its key is (set below)
  }
  switch (node.Type()) {
  case YAML::NodeType::Null:
  case YAML::NodeType::Undefined:
    out.SetNull();
    break;
  case YAML::NodeType::Scalar: {
    const auto& tag = node.Tag();
    if (tag == "?") {
      plain_scalar(node.Scalar(), out, allocator, where);
    } else if (tag == "!" || tag.ends_with(":str")) { // quoted, a block, or !!str
      out.SetString(node.Scalar().data(), static_cast<rapidjson::SizeType>(node.Scalar().size()),
                    allocator);
    } else {
      plain_scalar(node.Scalar(), out, allocator, where);
    }
    break;
  }
  case YAML::NodeType::Sequence:
    out.SetArray();
    for (const auto& item : node) {
      rapidjson::Value value;
      path.push_back("[]");
      yaml_to_json(item, value, allocator, file, path, locations);
      path.pop_back();
      out.PushBack(value, allocator);
    }
    break;
  case YAML::NodeType::Map: {
    out.SetObject();
    std::set<std::string> seen;
    for (const auto& member : node) {
      if (!member.first.IsScalar()) {
        throw file_error(location_of(member.first, file), "a key must be a plain string");
      }
      const auto& key = member.first.Scalar();
      if (!seen.insert(key).second) {
        throw file_error(location_of(member.first, file), "'" + key + "' appears twice here");
      }
      rapidjson::Value value;
      path.push_back(key);
      if (path.size() <= 4) {
        locations.emplace(path, location_of(member.first, file));
      }
      yaml_to_json(member.second, value, allocator, file, path, locations);
      path.pop_back();
      out.AddMember(
          rapidjson::Value(key.data(), static_cast<rapidjson::SizeType>(key.size()), allocator),
          value, allocator);
    }
    break;
  }
  }
}

// The key twice in one JSON object: rapidjson keeps both, the API would refuse it.
void reject_duplicate_keys(const rapidjson::Value& value, const std::string& file,
                           const std::string& path) {
  if (value.IsObject()) {
    std::set<std::string> seen;
    for (const auto& member : value.GetObject()) {
      std::string key(member.name.GetString(), member.name.GetStringLength());
      auto child = path.empty() ? key : path + "." + key;
      if (!seen.insert(key).second) {
        throw file_error(SourceLocation{file}, "'" + child + "' appears twice");
      }
      reject_duplicate_keys(member.value, file, child);
    }
  } else if (value.IsArray()) {
    for (const auto& item : value.GetArray()) {
      reject_duplicate_keys(item, file, path);
    }
  }
}

// The documents of one file, each with the positions of its nodes.
std::vector<std::pair<rapidjson::Document, Locations>> parse_file(const fs::path& path) {
  auto text = read_whole_file(path);
  auto file = path.string();
  std::vector<std::pair<rapidjson::Document, Locations>> documents;
  if (path.extension() == ".json") {
    rapidjson::Document document;
    document.Parse(text.data(), text.size());
    if (document.HasParseError()) {
      auto offset = std::min(document.GetErrorOffset(), text.size());
      auto before = std::string_view(text).substr(0, offset);
      int line = 1 + static_cast<int>(std::count(before.begin(), before.end(), '\n'));
      auto newline = before.rfind('\n');
      int column = static_cast<int>(offset - (newline == std::string_view::npos ? 0 : newline + 1));
      throw file_error(SourceLocation{file, line, column + 1},
                       std::string("not valid JSON: ") +
                           rapidjson::GetParseError_En(document.GetParseError()));
    }
    reject_duplicate_keys(document, file, "");
    documents.emplace_back(std::move(document), Locations{{{}, SourceLocation{file}}});
    return documents;
  }
  std::vector<YAML::Node> nodes;
  try {
    nodes = YAML::LoadAll(text);
  } catch (const YAML::ParserException& e) {
    throw file_error(SourceLocation{file, e.mark.line + 1, e.mark.column + 1}, e.msg);
  }
  for (const auto& node : nodes) {
    if (node.IsNull()) {
      continue; // an empty document, as after a trailing `---`
    }
    rapidjson::Document document;
    Locations locations;
    std::vector<std::string> keys;
    yaml_to_json(node, document, document.GetAllocator(), file, keys, locations);
    documents.emplace_back(std::move(document), std::move(locations));
  }
  return documents;
}

// The files of each path: a file as it is, a directory's *.yaml, *.yml and *.json by name.
std::vector<fs::path> files_of(const std::vector<std::string>& paths) {
  std::vector<fs::path> files;
  for (const auto& text : paths) {
    fs::path path(text);
    std::error_code error;
    if (fs::is_directory(path, error)) {
      std::vector<fs::path> found;
      for (const auto& entry : fs::directory_iterator(path, error)) {
        auto extension = entry.path().extension();
        if (entry.is_regular_file() &&
            (extension == ".yaml" || extension == ".yml" || extension == ".json")) {
          found.push_back(entry.path());
        }
      }
      std::sort(found.begin(), found.end());
      if (found.empty()) {
        throw CtlError(k_exit_usage, "no *.yaml, *.yml or *.json file in " + text,
                       "-f takes a YAML or JSON file, or a directory of them");
      }
      files.insert(files.end(), found.begin(), found.end());
    } else if (fs::exists(path, error)) {
      files.push_back(path);
    } else {
      throw CtlError(k_exit_usage, "no such file or directory: " + text,
                     "-f takes a YAML or JSON file, or a directory of them");
    }
  }
  return files;
}

// Reads one file's documents into `files`, checking what the API would not (or not early
// enough): the top-level keys, names, secret references and definitions given twice.
class FileReader {
public:
  FileReader(ApplyFiles& files, std::string set) : m_files(files), m_set(std::move(set)) {}

  void read(const fs::path& path) {
    for (auto& [document, locations] : parse_file(path)) {
      m_locations = &locations;
      m_directory = path.parent_path();
      read_document(document);
    }
  }

private:
  SourceLocation where(std::vector<std::string> keys) const {
    while (true) {
      auto found = m_locations->find(keys);
      if (found != m_locations->end()) {
        return found->second;
      }
      if (keys.empty()) {
        return {};
      }
      keys.pop_back();
    }
  }

  const rapidjson::Value& object_at(const rapidjson::Value& value,
                                    const std::vector<std::string>& keys, const char* what) {
    if (!value.IsObject()) {
      std::string path;
      for (const auto& key : keys) {
        path += (path.empty() ? "" : ".") + key;
      }
      throw file_error(where(keys), (path.empty() ? std::string("the document") : path) +
                                        " must be a map of " + what);
    }
    return value;
  }

  // A name defined in an earlier document or file.
  void claim(const std::string& kind, const std::string& name, const SourceLocation& here) {
    auto [found, fresh] = m_claimed.emplace(kind + "\n" + name, here);
    if (!fresh) {
      throw file_error(here, kind + " '" + name + "' is defined twice (first at " +
                                 found->second.text() + ")");
    }
  }

  void read_document(const rapidjson::Value& document) {
    object_at(document, {}, "jobs, resourceClasses, settings and integrations");
    for (const auto& member : document.GetObject()) {
      std::string key(member.name.GetString(), member.name.GetStringLength());
      if (key == "jobs") {
        read_jobs(member.value);
      } else if (key == "resourceClasses") {
        read_named(member.value, key, "resource class", m_files.resource_classes);
      } else if (key == "settings") {
        read_settings(member.value);
      } else if (key == "integrations") {
        read_integrations(member.value);
      } else {
        throw file_error(where({key}), "unknown top-level key '" + key +
                                           "': expected jobs, resourceClasses, settings or "
                                           "integrations");
      }
    }
  }

  Definition definition(const std::string& name, const rapidjson::Value& value,
                        const SourceLocation& here) {
    Definition made;
    made.name = name;
    made.document.CopyFrom(value, made.document.GetAllocator());
    made.where = here;
    return made;
  }

  void read_named(const rapidjson::Value& map, const std::string& key, const std::string& kind,
                  std::vector<Definition>& into) {
    if (map.IsNull()) {
      return;
    }
    object_at(map, {key}, "names to definitions");
    for (const auto& member : map.GetObject()) {
      std::string name(member.name.GetString(), member.name.GetStringLength());
      auto here = where({key, name});
      if (auto checked = model::check_simple_name(name, key + "." + name); !checked) {
        throw file_error(here, checked.error().message);
      }
      object_at(member.value, {key, name}, "members");
      claim(kind, name, here);
      into.push_back(definition(name, member.value, here));
    }
  }

  void read_settings(const rapidjson::Value& map) {
    if (map.IsNull()) {
      return;
    }
    object_at(map, {"settings"}, "setting names to values");
    for (const auto& member : map.GetObject()) {
      std::string name(member.name.GetString(), member.name.GetStringLength());
      auto here = where({"settings", name});
      claim("setting", name, here);
      m_files.settings.push_back(definition(name, member.value, here));
    }
  }

  void read_integrations(const rapidjson::Value& map) {
    if (map.IsNull()) {
      return;
    }
    object_at(map, {"integrations"}, "github and gitlab");
    for (const auto& kind : map.GetObject()) {
      std::string kind_name(kind.name.GetString(), kind.name.GetStringLength());
      if (kind_name != "github" && kind_name != "gitlab") {
        throw file_error(where({"integrations", kind_name}),
                         "unknown integration '" + kind_name + "': expected github or gitlab");
      }
      object_at(kind.value, {"integrations", kind_name}, "names to connections");
      for (const auto& member : kind.value.GetObject()) {
        std::string name(member.name.GetString(), member.name.GetStringLength());
        auto here = where({"integrations", kind_name, name});
        if (auto checked = model::check_simple_name(name, name); !checked) {
          throw file_error(here, checked.error().message);
        }
        object_at(member.value, {"integrations", kind_name, name}, "members");
        claim(kind_name + " integration", name, here);
        m_files.integrations.push_back(
            IntegrationEntry{kind_name, definition(name, member.value, here)});
      }
    }
  }

  void read_jobs(const rapidjson::Value& map) {
    if (map.IsNull()) {
      return;
    }
    object_at(map, {"jobs"}, "job names to job definitions");
    for (const auto& member : map.GetObject()) {
      std::string name(member.name.GetString(), member.name.GetStringLength());
      auto here = where({"jobs", name});
      if (auto checked = model::check_job_name(name, name); !checked) {
        throw file_error(here, "'" + name + "': " + checked.error().message);
      }
      object_at(member.value, {"jobs", name}, "members");
      claim("job", name, here);
      JobEntry job;
      job.definition = definition(name, member.value, here);
      auto& document = job.definition.document;
      if (auto* given = member_of(document, "name");
          given != nullptr && (!given->IsString() || given->GetString() != name)) {
        throw file_error(where({"jobs", name, "name"}),
                         "'name' differs from the job's key '" + name + "': drop it");
      }
      read_secret_references(job);
      add_labels(document);
      m_files.jobs.push_back(std::move(job));
    }
  }

  static rapidjson::Value* member_of(rapidjson::Value& object, const char* name) {
    auto found = object.FindMember(name);
    return found == object.MemberEnd() ? nullptr : &found->value;
  }

  // secrets: {KEY: {fromEnv: VAR} | {fromFile: PATH}} becomes the list of keys the API takes
  // (a freestyle job's required secrets; a git job has no such member) and the references.
  void read_secret_references(JobEntry& job) {
    auto& document = job.definition.document;
    const auto& name = job.definition.name;
    auto* secrets = member_of(document, "secrets");
    if (secrets == nullptr) {
      return;
    }
    std::vector<std::string> at = {"jobs", name, "secrets"};
    if (!secrets->IsObject() && !secrets->IsNull()) {
      throw file_error(where(at), "jobs." + name +
                                      ".secrets must be a map of references, like "
                                      "{NPM_TOKEN: {fromEnv: NPM_TOKEN}} or {KEY: {fromFile: "
                                      "key.pem}}: the job's list of secrets is its keys");
    }
    rapidjson::Value keys(rapidjson::kArrayType);
    if (secrets->IsObject()) {
      for (const auto& member : secrets->GetObject()) {
        std::string key(member.name.GetString(), member.name.GetStringLength());
        auto field = "jobs." + name + ".secrets." + key;
        auto here = where({"jobs", name, "secrets", key});
        if (auto checked = model::check_env_name(key, field); !checked) {
          throw file_error(here, checked.error().message);
        }
        job.secrets.push_back(read_reference(key, member.value, field, here));
        keys.PushBack(rapidjson::Value(key.data(), static_cast<rapidjson::SizeType>(key.size()),
                                       document.GetAllocator()),
                      document.GetAllocator());
      }
    }
    auto* type = member_of(document, "type");
    bool freestyle =
        type != nullptr && type->IsString() && std::string(type->GetString()) == "freestyle";
    if (freestyle) {
      *secrets = keys;
    } else {
      document.EraseMember("secrets");
    }
    std::sort(job.secrets.begin(), job.secrets.end(),
              [](const auto& a, const auto& b) { return a.key < b.key; });
  }

  SecretReference read_reference(const std::string& key, const rapidjson::Value& value,
                                 const std::string& field, const SourceLocation& here) {
    if (!value.IsObject()) {
      throw file_error(here, field + ": a secret's value is never written in the file: refer to it "
                                     "with {fromEnv: VARIABLE} or {fromFile: PATH}");
    }
    SecretReference reference;
    reference.key = key;
    reference.where = here;
    auto env = value.FindMember("fromEnv");
    auto file = value.FindMember("fromFile");
    bool one = (env != value.MemberEnd()) != (file != value.MemberEnd());
    if (!one || value.MemberCount() != 1) {
      throw file_error(here, field + " must be exactly one of {fromEnv: VARIABLE} or {fromFile: "
                                     "PATH}");
    }
    const auto& source = env != value.MemberEnd() ? env->value : file->value;
    if (!source.IsString() || source.GetStringLength() == 0) {
      throw file_error(here, field + ": the variable or path must be a non-empty string");
    }
    std::string text(source.GetString(), source.GetStringLength());
    if (env != value.MemberEnd()) {
      reference.from_env = text;
    } else {
      fs::path path(text);
      reference.from_file = path.is_absolute() ? path : m_directory / path;
    }
    return reference;
  }

  void add_labels(rapidjson::Document& document) {
    auto& allocator = document.GetAllocator();
    auto* labels = member_of(document, "labels");
    if (labels == nullptr) {
      document.AddMember("labels", rapidjson::Value(rapidjson::kObjectType), allocator);
      labels = member_of(document, "labels");
    }
    if (!labels->IsObject()) {
      return; // the server says what is wrong with it
    }
    labels->EraseMember(k_managed_by_label);
    labels->AddMember(rapidjson::StringRef(k_managed_by_label),
                      rapidjson::StringRef(k_managed_by_apply), allocator);
    // An export carries the set its jobs were applied with: they stay in it.
    if (!labels->HasMember(k_apply_set_label)) {
      labels->AddMember(
          rapidjson::StringRef(k_apply_set_label),
          rapidjson::Value(m_set.data(), static_cast<rapidjson::SizeType>(m_set.size()), allocator),
          allocator);
    }
  }

  ApplyFiles& m_files;
  std::string m_set;
  const Locations* m_locations = nullptr;
  fs::path m_directory;
  std::map<std::string, SourceLocation> m_claimed;
};

} // namespace

std::string SourceLocation::text() const {
  if (line <= 0) {
    return file;
  }
  return fmt::format("{}:{}:{}", file, line, column);
}

std::string SecretReference::source() const {
  return from_env.empty() ? from_file.string() : "$" + from_env;
}

bool ApplyFiles::empty() const {
  return jobs.empty() && resource_classes.empty() && settings.empty() && integrations.empty();
}

ApplyFiles read_apply_files(const std::vector<std::string>& paths, const std::string& set) {
  ApplyFiles files;
  FileReader reader(files, set);
  for (const auto& path : files_of(paths)) {
    reader.read(path);
  }
  auto by_name = [](const auto& a, const auto& b) { return a.name < b.name; };
  std::sort(files.jobs.begin(), files.jobs.end(), [](const JobEntry& a, const JobEntry& b) {
    return a.definition.name < b.definition.name;
  });
  std::sort(files.resource_classes.begin(), files.resource_classes.end(), by_name);
  std::sort(files.settings.begin(), files.settings.end(), by_name);
  std::sort(files.integrations.begin(), files.integrations.end(),
            [](const IntegrationEntry& a, const IntegrationEntry& b) {
              return std::tie(a.kind, a.definition.name) < std::tie(b.kind, b.definition.name);
            });
  return files;
}

std::string default_set_name(const std::string& first_path) {
  auto path = fs::path(first_path).lexically_normal();
  if (!path.has_filename() || path.filename() == "." || path.filename() == "..") {
    std::error_code error;
    path = fs::weakly_canonical(fs::absolute(path), error);
  }
  auto name = fs::is_directory(path) ? path.filename().string() : path.stem().string();
  if (name.empty() || !model::check_label_value(name, "--set")) {
    throw usage_error("cannot name the apply set after '" + first_path +
                      "': give --set NAME (1 to 63 of A-Z, a-z, 0-9, '.', '_' and '-')");
  }
  return name;
}

bool plain_yaml_reads_as_string(const std::string& text) {
  if (is_null_word(text) || text.front() == ' ' || text.back() == ' ' ||
      text.find_first_of("\n\t\r") != std::string::npos) {
    return false;
  }
  rapidjson::Document read;
  try {
    plain_scalar(text, read, read.GetAllocator(), SourceLocation{});
  } catch (const CtlError&) {
    return false;
  }
  return read.IsString();
}

std::string read_secret_value(const SecretReference& reference, const std::string& job) {
  auto what = fmt::format("{}: secret {} of job {}", reference.where.text(), reference.key, job);
  std::string value;
  if (!reference.from_env.empty()) {
    const char* found = std::getenv(reference.from_env.c_str());
    if (found == nullptr) {
      throw CtlError(k_exit_usage,
                     what + ": the environment variable " + reference.from_env + " is not set",
                     "set it, or change the reference; nothing was changed");
    }
    value = found;
  } else {
    std::ifstream in(reference.from_file, std::ios::binary);
    if (!in) {
      throw CtlError(k_exit_usage, what + ": cannot read " + reference.from_file.string(),
                     "fromFile paths are relative to the file they are in; nothing was changed");
    }
    std::stringstream content;
    content << in.rdbuf();
    value = content.str();
  }
  if (value.size() < k_min_secret_bytes || value.size() > k_max_secret_bytes) {
    throw CtlError(k_exit_usage,
                   fmt::format("{}: the value from {} is {} bytes; a secret is 4 bytes to 64 KiB",
                               what, reference.source(), value.size()),
                   "nothing was changed");
  }
  return value;
}

} // namespace cicd::ctl
