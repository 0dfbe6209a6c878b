#pragma once
// The plan of `cicd ctl apply`: what the server has against what the files say, made from
// reads only (GET, and PUT /jobs/{job}?dryRun=true for a job as the server would store it),
// before anything is written. What it says is what the writes then do, and the ETags read
// here go with them, so a change on the server in between is refused (412), not overwritten.

#include "api_client.hpp"
#include "apply_files.hpp"

#include <rapidjson/document.h>

#include <string>
#include <vector>

namespace cicd::ctl {

enum class Step { create, update, unchanged };

// A member that differs: `+ env.FOO: "bar"`, `~ timeout: "10m" → "30m"`, `- description`.
struct FieldChange {
  char sign = '~';
  std::string path;   // member names joined with '.'
  std::string before; // compact JSON ("" for '+')
  std::string after;  // compact JSON ("" for '-')
};

// The members of `after` against those of `before`, recursing into objects; members named in
// `ignored` at the top level (the server's own: etag, createdAt, …) do not count. An empty
// string, list or map counts as absent, so emptying a description reads `- description`.
std::vector<FieldChange> diff_documents(const rapidjson::Value& before,
                                        const rapidjson::Value& after,
                                        const std::vector<std::string>& ignored = {});

enum class SecretStep { create, keep, rewrite };

struct SecretPlan {
  const SecretReference* reference = nullptr;
  SecretStep step = SecretStep::create;
};

struct JobPlan {
  const JobEntry* entry = nullptr;
  Step step = Step::create;
  std::string etag; // the server's when the plan was made: If-Match of the update
  std::vector<FieldChange> changes;
  std::vector<SecretPlan> secrets;
  const std::string& name() const { return entry->definition.name; }
};

// A resource class or an integration: PUT without preconditions (the API has none for them).
struct DefinitionPlan {
  std::string kind; // "resource class", "github integration"
  std::string path; // where it is PUT
  const Definition* entry = nullptr;
  Step step = Step::create;
  std::vector<FieldChange> changes;
};

struct SettingsPlan {
  bool in_files = false;
  std::vector<FieldChange> changes;
  rapidjson::Document body{rapidjson::kObjectType}; // PUT /settings: the members that change
};

struct Deletion {
  std::string job;
  std::string etag;
};

struct PlanOptions {
  std::string set;
  bool prune = false;
  bool update_secrets = false;
};

struct ApplyPlan {
  std::string set;
  std::vector<DefinitionPlan> resource_classes;
  SettingsPlan settings;
  std::vector<DefinitionPlan> integrations;
  std::vector<JobPlan> jobs;
  std::vector<Deletion> deletions;
  std::vector<std::string> left_over; // jobs of the set no longer in the files, without --prune

  bool changes_anything() const;
  // One line per thing and one per changed member, in the order the writes happen.
  std::string render(bool colour) const;
  // "3 to create, 1 to update, …" or "no changes: …".
  std::string summary() const;
};

// Reads the server and compares. Writes nothing. Throws CtlError: a definition the server or
// the model refuses (naming it and where it was written), a setting the server does not have,
// integrations on a server without them, or the server unreachable (exit 4).
ApplyPlan make_plan(ApiClient& api, const ApplyFiles& files, const PlanOptions& options);

// Every page of a list route (following "next"), as one array.

// `value` as compact JSON (what is PUT).
std::string json_text(const rapidjson::Value& value);

// `value` as one line of compact JSON, cut to about `max` bytes.
std::string compact_json(const rapidjson::Value& value, std::size_t max = 80);

} // namespace cicd::ctl
