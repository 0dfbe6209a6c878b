// The files of `cicd ctl apply` as what they define: the checks the API would not make (or not
// before the first write), secrets turned into references, and the apply labels.
#include "apply_files.hpp"

#include "ctl_error.hpp"

#include "cicd/model/job.hpp"
#include "cicd/model/names.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cstdlib>
#include <fstream>
#include <map>
#include <sstream>

namespace cicd::ctl {
namespace fs = std::filesystem;
namespace {

constexpr std::size_t k_min_secret_bytes = 4;
constexpr std::size_t k_max_secret_bytes = 64 * 1024;

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
    for (auto& source : parse_source_file(path)) {
      m_locations = &source.locations;
      m_directory = path.parent_path();
      read_document(source.document);
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