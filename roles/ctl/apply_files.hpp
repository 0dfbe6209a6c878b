#pragma once
// The files `cicd ctl apply` reads (docs/ctl-apply.md): YAML or JSON, several YAML documents to
// a file (`---`), or a directory of *.yaml, *.yml and *.json files. Each document has the
// top-level maps `jobs`, `resourceClasses`, `settings` and `integrations`, keyed by name, each
// value the document the matching PUT takes. A job's secrets are references ({fromEnv: VAR} or
// {fromFile: PATH}), never values.
//
// Everything here is checked before the server is asked anything: a fault is a usage error
// (exit 3) naming the file, and the line and column for YAML.

#include "apply_source.hpp"

#include <rapidjson/document.h>

#include <filesystem>
#include <string>
#include <vector>

namespace cicd::ctl {

// Where a secret's value comes from: exactly one of the two is set.
struct SecretReference {
  std::string key;
  std::string from_env;
  std::filesystem::path from_file; // relative paths are resolved against the file's directory
  SourceLocation where;
  // "$VAR" or the path, for messages (never the value).
  std::string source() const;
};

// One thing the files define: its name and the document its PUT takes.
struct Definition {
  std::string name;
  rapidjson::Document document;
  SourceLocation where;
};

struct JobEntry {
  Definition definition; // its secrets member as the API takes it, and the apply labels
  std::vector<SecretReference> secrets; // by key
};

struct IntegrationEntry {
  std::string kind; // "github" or "gitlab"
  Definition definition;
};

// Labels apply gives every job it manages, and the value of the first.
inline constexpr const char* k_managed_by_label = "cicd.io/managed-by";
inline constexpr const char* k_apply_set_label = "cicd.io/apply-set";
inline constexpr const char* k_managed_by_apply = "cicd-ctl-apply";

struct ApplyFiles {
  std::vector<JobEntry> jobs;                 // by name
  std::vector<Definition> resource_classes;   // by name
  std::vector<Definition> settings;           // one per member, by name
  std::vector<IntegrationEntry> integrations; // by kind, then name
  bool empty() const;
};

// Reads every file of `paths` (files or directories), in order, and labels each job with
// k_managed_by_label and, unless its document names one, k_apply_set_label = `set`. Throws a
// CtlError (exit 3) for a missing file, a syntax error, an unknown top-level key, a name
// defined twice, a document that is not a map, a secret given inline or a reference that is
// malformed (an unset variable or a missing file is found later, when the value is read).
ApplyFiles read_apply_files(const std::vector<std::string>& paths, const std::string& set);

// The apply set's name when --set is not given: the base name of the first path without its
// extension ("jobs" for ci/jobs.yaml, "ci" for ci/). A usage error when it is not a valid
// label value.
std::string default_set_name(const std::string& first_path);

// Reads the secret's value: the variable, or the file's bytes exactly. A usage error (exit 3)
// naming the reference when it is unset or unreadable, or not 4 bytes to 64 KiB (what the
// server stores).
std::string read_secret_value(const SecretReference& reference, const std::string& job);

} // namespace cicd::ctl
