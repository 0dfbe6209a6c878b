// cicd ctl apply -f FILE|DIR …: makes the server match the files (docs/ctl-apply.md). In three
// steps, so that an invalid file changes nothing: read and check every file; read the server
// and print the plan (with the secret values it will write read as well); then write, in the
// order resource classes, settings, integrations, jobs with their secrets, deletions.
#include "apply_files.hpp"
#include "apply_plan.hpp"
#include "session.hpp"

#include "ctl_error.hpp"

#include "cicd/model/job.hpp"

#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

#include <fmt/format.h>

#include <iostream>
#include <map>

namespace cicd::ctl {
namespace {

std::string secret_body(const std::string& value) {
  rapidjson::StringBuffer buffer;
  rapidjson::Writer<rapidjson::StringBuffer> writer(buffer);
  writer.StartObject();
  writer.Key("value");
  writer.String(value.data(), static_cast<rapidjson::SizeType>(value.size()));
  writer.EndObject();
  return std::string(buffer.GetString(), buffer.GetSize());
}

std::string if_match(const std::string& etag) {
  return "If-Match: \"" + etag + "\"";
}

CtlError changed_since_plan(const std::string& job, const char* how) {
  return CtlError(k_exit_server,
                  fmt::format("job {} {} on the server since the plan: run apply again", job, how),
                  "nothing of job " + job + " was written; what is printed above as done was");
}

// The writes, in plan order; each prints a line once it is done.
class Writer {
public:
  Writer(ApiClient& api, const std::map<const SecretReference*, std::string>& values)
      : m_api(api), m_values(values) {}

  void definition(const DefinitionPlan& plan) {
    if (plan.step == Step::unchanged) {
      return;
    }
    m_api.call("PUT", plan.path, json_text(plan.entry->document));
    done(plan.step, plan.kind + " " + plan.entry->name);
  }

  void settings(const SettingsPlan& plan) {
    if (plan.changes.empty()) {
      return;
    }
    m_api.call("PUT", "/settings", json_text(plan.body));
    done(Step::update, "settings");
  }

  void job(const JobPlan& plan) {
    const auto& name = plan.name();
    auto path = "/jobs/" + segment(name);
    if (plan.step != Step::unchanged) {
      bool create = plan.step == Step::create;
      auto answer = m_api.send("PUT", path, json_text(plan.entry->definition.document),
                               {create ? "If-None-Match: *" : if_match(plan.etag)});
      if (answer.status == 412) {
        throw changed_since_plan(name, create ? "was created" : "changed");
      }
      if (answer.status < 200 || answer.status >= 300) {
        throw refusal(answer, "PUT", path);
      }
      done(plan.step, "job " + name);
    }
    for (const auto& secret : plan.secrets) {
      if (secret.step == SecretStep::keep) {
        continue;
      }
      const auto& key = secret.reference->key;
      m_api.call("PUT", path + "/secrets/" + segment(key),
                 secret_body(m_values.at(secret.reference)));
      std::cout << fmt::format("wrote secret {} of job {}\n", key, name);
      ++m_secrets;
    }
  }

  void deletion(const Deletion& deletion) {
    auto path = "/jobs/" + segment(deletion.job);
    auto answer = m_api.send("DELETE", path, {}, {if_match(deletion.etag)});
    if (answer.status == 412) {
      throw changed_since_plan(deletion.job, "changed");
    }
    if (answer.status != 204 && answer.status != 404) { // 404: gone already, as wanted
      throw refusal(answer, "DELETE", path);
    }
    std::cout << "deleted job " << deletion.job << "\n";
    ++m_deleted;
  }

  std::string summary() const {
    return fmt::format("applied: {} created, {} updated, {} deleted, {} secret{} written",
                       m_created, m_updated, m_deleted, m_secrets, m_secrets == 1 ? "" : "s");
  }
  bool wrote_anything() const { return m_created + m_updated + m_deleted + m_secrets > 0; }

private:
  void done(Step step, const std::string& what) {
    std::cout << (step == Step::create ? "created " : "updated ") << what << "\n";
    ++(step == Step::create ? m_created : m_updated);
  }

  ApiClient& m_api;
  const std::map<const SecretReference*, std::string>& m_values;
  std::size_t m_created = 0;
  std::size_t m_updated = 0;
  std::size_t m_deleted = 0;
  std::size_t m_secrets = 0;
};

std::string checked_set(const std::optional<std::string>& flag, const std::string& first_path) {
  if (!flag) {
    return default_set_name(first_path);
  }
  if (flag->empty() || !model::check_label_value(*flag, "--set")) {
    throw usage_error("--set must be 1 to 63 of A-Z, a-z, 0-9, '.', '_' and '-', beginning and "
                      "ending with a letter or digit (it becomes the label " +
                      std::string(k_apply_set_label) + ")");
  }
  return *flag;
}

} // namespace

int apply(Session& session, CommandLine& args) {
  auto paths = args.values({"-f", "--filename"});
  auto set_flag = args.value({"--set"});
  PlanOptions options;
  bool dry_run = args.has({"--dry-run"});
  options.prune = args.has({"--prune"});
  options.update_secrets = args.has({"--update-secrets"});
  args.finish();
  if (paths.empty()) {
    throw usage_error("apply needs -f FILE: a YAML or JSON file, or a directory of them");
  }
  options.set = checked_set(set_flag, paths.front());
  auto files = read_apply_files(paths, options.set);
  auto& api = session.api();
  auto plan = make_plan(api, files, options);

  // Values are read for the secrets the plan writes, and only those, before the first write:
  // a missing variable or file stops everything.
  std::map<const SecretReference*, std::string> values;
  for (const auto& job : plan.jobs) {
    for (const auto& secret : job.secrets) {
      if (secret.step != SecretStep::keep) {
        values[secret.reference] = read_secret_value(*secret.reference, job.name());
      }
    }
  }

  std::cout << plan.render(session.terminal().colour) << plan.summary() << "\n";
  if (!plan.changes_anything()) {
    return k_exit_ok;
  }
  if (dry_run) {
    std::cout << "dry run: nothing was changed\n";
    return k_exit_ok;
  }
  std::cout << std::flush;
  Writer writer(api, values);
  try {
    for (const auto& definition : plan.resource_classes) {
      writer.definition(definition);
    }
    writer.settings(plan.settings);
    for (const auto& integration : plan.integrations) {
      writer.definition(integration);
    }
    for (const auto& job : plan.jobs) {
      writer.job(job);
    }
    for (const auto& deletion : plan.deletions) {
      writer.deletion(deletion);
    }
  } catch (const CtlError& e) {
    std::cout << std::flush;
    if (!writer.wrote_anything() || !e.hint().empty()) {
      throw;
    }
    throw CtlError(e.code(), e.what(),
                   "what is printed above as done was; apply again to finish the rest");
  }
  std::cout << writer.summary() << "\n";
  return k_exit_ok;
}

} // namespace cicd::ctl
