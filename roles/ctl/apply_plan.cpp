// Making the plan of `cicd ctl apply`: reads only.
#include "apply_plan.hpp"

#include "output.hpp"

#include "cicd/model/duration.hpp"
#include "cicd/model/resource_class.hpp"
#include "cicd/model/settings.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <set>

namespace cicd::ctl {
namespace {

// What GET /jobs/{job} adds to the definition.
const std::vector<std::string> k_job_server_members = {"name", "etag", "createdAt", "updatedAt",
                                                       "href"};

CtlError refused_definition(const CtlError& refused, const std::string& what,
                            const SourceLocation& where) {
  auto hint = refused.hint().empty() ? "nothing was changed: fix the definition and apply again"
                                     : refused.hint();
  return CtlError(refused.code(), fmt::format("{} ({}): {}", what, where.text(), refused.what()),
                  hint);
}

CtlError invalid_definition(const std::string& what, const SourceLocation& where,
                            const std::string& message) {
  return CtlError(k_exit_usage, fmt::format("{} ({}): {}", what, where.text(), message),
                  "nothing was changed: fix the definition and apply again");
}

JobPlan plan_job(ApiClient& api, const JobEntry& job, const PlanOptions& options) {
  JobPlan plan;
  plan.entry = &job;
  const auto& name = job.definition.name;
  auto path = "/jobs/" + segment(name);
  auto body = json_text(job.definition.document);
  auto normalised = api.send("PUT", path + "?dryRun=true", body);
  if (normalised.status != 200) {
    throw refused_definition(refusal(normalised, "PUT", path + "?dryRun=true"), "job " + name,
                             job.definition.where);
  }
  auto wanted = parse_document(normalised.body, "PUT " + path + "?dryRun=true");
  auto current = api.send("GET", path);
  std::set<std::string> stored_secrets;
  if (current.status == 404) {
    plan.step = Step::create;
  } else if (current.status != 200) {
    throw refusal(current, "GET", path);
  } else {
    auto document = parse_document(current.body, "GET " + path);
    plan.etag = string_of(document, "etag");
    plan.changes = diff_documents(document, wanted, k_job_server_members);
    plan.step = plan.changes.empty() ? Step::unchanged : Step::update;
    auto secrets = api.get_json(path + "/secrets");
    if (secrets.HasMember("items") && secrets["items"].IsArray()) {
      for (const auto& item : secrets["items"].GetArray()) {
        stored_secrets.insert(string_of(item, "name"));
      }
    }
  }
  for (const auto& reference : job.secrets) {
    SecretPlan secret;
    secret.reference = &reference;
    if (stored_secrets.contains(reference.key)) {
      secret.step = options.update_secrets ? SecretStep::rewrite : SecretStep::keep;
    }
    plan.secrets.push_back(secret);
  }
  return plan;
}

DefinitionPlan plan_resource_class(ApiClient& api, const Definition& entry) {
  DefinitionPlan plan;
  plan.kind = "resource class";
  plan.path = "/settings/resource-classes/" + segment(entry.name);
  plan.entry = &entry;
  auto parsed = model::parse_resource_class(entry.name, json_text(entry.document));
  if (!parsed) {
    auto message = parsed.error().message;
    if (!parsed.error().field.empty() && message.find(parsed.error().field) == std::string::npos) {
      message = "'" + parsed.error().field + "' " + message;
    }
    throw invalid_definition("resource class " + entry.name, entry.where, message);
  }
  auto current = api.send("GET", plan.path);
  if (current.status == 404) {
    return plan;
  }
  if (current.status != 200) {
    throw refusal(current, "GET", plan.path);
  }
  rapidjson::Document wanted;
  wanted.Parse(model::to_canonical_json(*parsed).c_str());
  plan.changes =
      diff_documents(parse_document(current.body, "GET " + plan.path), wanted, {"name", "href"});
  plan.step = plan.changes.empty() ? Step::unchanged : Step::update;
  return plan;
}

// The settings the server has decide which members exist; their rules are the model's.
void check_setting(const Definition& member, const rapidjson::Value& current) {
  auto what = "setting " + member.name;
  if (!current.HasMember(member.name.c_str())) {
    std::string known;
    for (const auto& name : current.GetObject()) {
      known += (known.empty() ? "" : ", ") + std::string(name.name.GetString());
    }
    throw invalid_definition(what, member.where,
                             "the server has no such setting (it has " + known + ")");
  }
  const auto& value = member.document;
  auto in_range = [&](std::int64_t max) {
    return value.IsInt64() && value.GetInt64() >= 1 && value.GetInt64() <= max;
  };
  if (member.name == "umbrellaTimeout") {
    if (!value.IsString() || !model::parse_duration(value.GetString(), member.name)) {
      throw invalid_definition(what, member.where, "must be a duration like \"1h\" or \"90m\"");
    }
  } else if (member.name == "consoleLimitMiB" && !in_range(model::k_max_console_limit_mib)) {
    throw invalid_definition(what, member.where,
                             fmt::format("must be from 1 to {}", model::k_max_console_limit_mib));
  } else if (member.name == "resultRetentionDays" && !value.IsNull() &&
             !in_range(model::k_max_result_retention_days)) {
    throw invalid_definition(what, member.where,
                             fmt::format("must be from 1 to {}, or null to keep results until "
                                         "their job is deleted",
                                         model::k_max_result_retention_days));
  }
}

void plan_settings(ApiClient& api, const ApplyFiles& files, SettingsPlan& plan) {
  plan.in_files = !files.settings.empty();
  if (!plan.in_files) {
    return;
  }
  auto current = api.get_json("/settings");
  auto& allocator = plan.body.GetAllocator();
  for (const auto& member : files.settings) {
    check_setting(member, current);
    const auto& now = current[member.name.c_str()];
    auto changes = diff_documents(now, member.document);
    if (changes.empty()) {
      continue;
    }
    for (auto& change : changes) {
      change.path = member.name + (change.path.empty() ? "" : "." + change.path);
      plan.changes.push_back(std::move(change));
    }
    plan.body.AddMember(rapidjson::Value(member.name.c_str(), allocator),
                        rapidjson::Value(member.document, allocator), allocator);
  }
}

bool is_missing_route(const ApiResponse& response) {
  return response.status == 405 ||
         (response.status == 404 && response.body.find("no such route") != std::string::npos);
}

DefinitionPlan plan_integration(ApiClient& api, const IntegrationEntry& integration) {
  DefinitionPlan plan;
  plan.kind = integration.kind + " integration";
  plan.path = "/integrations/" + integration.kind + "/" + segment(integration.definition.name);
  plan.entry = &integration.definition;
  auto current = api.send("GET", plan.path);
  if (is_missing_route(current)) {
    throw CtlError(k_exit_server,
                   fmt::format("{} ({}): this server does not support integrations yet",
                               plan.kind + " " + integration.definition.name,
                               integration.definition.where.text()),
                   "remove `integrations` from the files, or upgrade the server; nothing was "
                   "changed");
  }
  // The server checks the members before anything is written (secrets are write-only, so the
  // plan cannot compare them).
  auto checked =
      api.send("PUT", plan.path + "?dryRun=true", json_text(integration.definition.document));
  if (checked.status != 200) {
    throw refused_definition(refusal(checked, "PUT", plan.path + "?dryRun=true"),
                             plan.kind + " " + integration.definition.name,
                             integration.definition.where);
  }
  if (current.status == 404) {
    return plan;
  }
  if (current.status != 200) {
    throw refusal(current, "GET", plan.path);
  }
  // The API of integrations is not settled: only the members the file gives are compared.
  auto document = parse_document(current.body, "GET " + plan.path);
  rapidjson::Document known(rapidjson::kObjectType);
  for (const auto& member : integration.definition.document.GetObject()) {
    auto found = document.FindMember(member.name);
    if (found != document.MemberEnd()) {
      known.AddMember(rapidjson::Value(member.name, known.GetAllocator()),
                      rapidjson::Value(found->value, known.GetAllocator()), known.GetAllocator());
    }
  }
  plan.changes = diff_documents(known, integration.definition.document);
  plan.step = plan.changes.empty() ? Step::unchanged : Step::update;
  return plan;
}

void plan_deletions(ApiClient& api, const ApplyFiles& files, const PlanOptions& options,
                    ApplyPlan& plan) {
  std::set<std::string> in_files;
  for (const auto& job : files.jobs) {
    in_files.insert(job.definition.name);
  }
  auto jobs = list_all(api, "/jobs?limit=200");
  for (const auto& job : jobs.GetArray()) {
    auto name = string_of(job, "name");
    if (in_files.contains(name) || !job.HasMember("labels") || !job["labels"].IsObject()) {
      continue;
    }
    const auto& labels = job["labels"];
    bool ours = string_of(labels, k_managed_by_label) == k_managed_by_apply &&
                string_of(labels, k_apply_set_label) == options.set;
    if (!ours) {
      continue;
    }
    if (options.prune) {
      plan.deletions.push_back(Deletion{name, string_of(job, "etag")});
    } else {
      plan.left_over.push_back(name);
    }
  }
}
} // namespace

ApplyPlan make_plan(ApiClient& api, const ApplyFiles& files, const PlanOptions& options) {
  ApplyPlan plan;
  plan.set = options.set;
  for (const auto& entry : files.resource_classes) {
    plan.resource_classes.push_back(plan_resource_class(api, entry));
  }
  plan_settings(api, files, plan.settings);
  for (const auto& integration : files.integrations) {
    plan.integrations.push_back(plan_integration(api, integration));
  }
  for (const auto& job : files.jobs) {
    plan.jobs.push_back(plan_job(api, job, options));
  }
  plan_deletions(api, files, options, plan);
  return plan;
}

} // namespace cicd::ctl
