// cicd ctl export [-o FILE]: the server's jobs, resource classes and settings in the format
// `cicd ctl apply` reads, so that applying the export to the same server changes nothing.
// Secret values cannot be read back: each secret is a reference to a variable,
// CICD_SECRET_<JOB>_<KEY>, which only matters where the secret does not exist yet.
#include "apply_files.hpp"
#include "apply_plan.hpp"
#include "session.hpp"

#include "ctl_error.hpp"


#include <fmt/format.h>

#include <cctype>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <set>

namespace cicd::ctl {
namespace {
namespace fs = std::filesystem;
using Allocator = rapidjson::Document::AllocatorType;

// "CICD_SECRET_UNIT_TEST_NPM_TOKEN" for the secret NPM_TOKEN of job unit-test.
std::string secret_variable(const std::string& job, const std::string& key) {
  std::string name = "CICD_SECRET_" + job + "_" + key;
  for (auto& c : name) {
    auto byte = static_cast<unsigned char>(c);
    c = std::isalnum(byte) ? static_cast<char>(std::toupper(byte)) : '_';
  }
  return name;
}

rapidjson::Value text_value(const std::string& text, Allocator& allocator) {
  return rapidjson::Value(text.data(), static_cast<rapidjson::SizeType>(text.size()), allocator);
}

// A job as GET returns it, without what the server adds, with its secrets as references.
rapidjson::Value exported_job(ApiClient& api, const rapidjson::Value& job, Allocator& allocator) {
  rapidjson::Value document(job, allocator);
  for (const auto* member : {"name", "etag", "createdAt", "updatedAt", "href", "lastRun"}) {
    document.EraseMember(member);
  }
  auto name = string_of(job, "name");
  std::set<std::string> keys;
  if (document.HasMember("secrets") && document["secrets"].IsArray()) {
    for (const auto& key : document["secrets"].GetArray()) {
      keys.insert(std::string(key.GetString(), key.GetStringLength()));
    }
  }
  auto stored = api.get_json("/jobs/" + segment(name) + "/secrets");
  if (stored.HasMember("items") && stored["items"].IsArray()) {
    for (const auto& item : stored["items"].GetArray()) {
      keys.insert(string_of(item, "name"));
    }
  }
  // In the list's place for a freestyle job: the keys of the references become the list.
  auto list = document.FindMember("secrets");
  if (keys.empty()) {
    if (list != document.MemberEnd()) {
      document.EraseMember(list);
    }
    return document;
  }
  rapidjson::Value references(rapidjson::kObjectType);
  for (const auto& key : keys) {
    rapidjson::Value reference(rapidjson::kObjectType);
    reference.AddMember("fromEnv", text_value(secret_variable(name, key), allocator), allocator);
    references.AddMember(text_value(key, allocator), reference, allocator);
  }
  if (list != document.MemberEnd()) {
    list->value = references;
  } else {
    document.AddMember("secrets", references, allocator);
  }
  return document;
}

void write_file(const fs::path& path, const std::string& text) {
  auto partial = path;
  partial += ".partial";
  {
    std::ofstream out(partial, std::ios::binary | std::ios::trunc);
    out << text;
    out.close();
    if (!out) {
      throw CtlError(k_exit_usage, "cannot write " + partial.string(),
                     "-o names the file to write; its directory must exist");
    }
  }
  std::error_code error;
  fs::rename(partial, path, error);
  if (error) {
    fs::remove(partial, error);
    throw CtlError(k_exit_usage, "cannot write " + path.string() + ": " + error.message());
  }
}

} // namespace

int export_state(Session& session, CommandLine& args) {
  auto file = args.value({"-o", "--output"});
  args.finish();
  auto& api = session.api();
  rapidjson::Document exported(rapidjson::kObjectType);
  auto& allocator = exported.GetAllocator();

  rapidjson::Value jobs(rapidjson::kObjectType);
  auto listed = list_all(api, "/jobs?limit=200");
  for (const auto& job : listed.GetArray()) {
    jobs.AddMember(text_value(string_of(job, "name"), allocator), exported_job(api, job, allocator),
                   allocator);
  }
  rapidjson::Value classes(rapidjson::kObjectType);
  auto listed_classes = list_all(api, "/settings/resource-classes");
  for (const auto& item : listed_classes.GetArray()) {
    rapidjson::Value definition(item, allocator);
    definition.EraseMember("name");
    definition.EraseMember("href");
    classes.AddMember(text_value(string_of(item, "name"), allocator), definition, allocator);
  }
  auto settings = api.get_json("/settings");
  std::size_t job_count = jobs.MemberCount();
  std::size_t class_count = classes.MemberCount();
  exported.AddMember("jobs", jobs, allocator);
  exported.AddMember("resourceClasses", classes, allocator);
  exported.AddMember("settings", rapidjson::Value(settings, allocator), allocator);

  std::string text;
  if (file && fs::path(*file).extension() == ".json") {
    text = to_json_text(exported);
  } else {
    text = fmt::format("# cicd ctl export of {}: apply it with `cicd ctl apply -f FILE`.\n"
                       "# Secret values cannot be exported: each is a reference to a variable\n"
                       "# (CICD_SECRET_<JOB>_<KEY>) that apply reads only for a secret the server\n"
                       "# does not have yet.\n",
                       api.connection().server) +
           to_yaml_text(exported);
  }
  if (!file || *file == "-") {
    std::cout << text;
    return k_exit_ok;
  }
  write_file(*file, text);
  std::cerr << fmt::format("exported {} job{}, {} resource class{} and the settings to {}\n",
                           job_count, job_count == 1 ? "" : "s", class_count,
                           class_count == 1 ? "" : "es", *file);
  return k_exit_ok;
}

} // namespace cicd::ctl
