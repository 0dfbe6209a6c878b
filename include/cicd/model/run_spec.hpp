#pragma once
// How a run executes: one type with one schema, whether it comes from the API (a freestyle
// job's definition) or from the repository's config file (a git job's .cicd.yml).

#include "cicd/core/error.hpp"
#include "cicd/model/json.hpp"

#include <map>
#include <optional>
#include <string>
#include <variant>
#include <vector>

namespace cicd::model {

// An image built from a Dockerfile in the checkout.
struct ImageBuild {
  std::string dockerfile = "Dockerfile"; // a path inside `context`, as in Docker's build API
  std::string context = ".";             // a directory of the repository
  std::string target;                    // multi-stage target, empty = last stage
  std::map<std::string, std::string> build_args;
  bool operator==(const ImageBuild&) const = default;
};

// Either an image name ("debian:12") or a build.
using ImageSource = std::variant<std::string, ImageBuild>;

// A sidecar reachable from the job under its service name on the run's private network.
struct Service {
  ImageSource image;
  std::vector<std::string> command; // overrides the image's entrypoint when not empty
  std::vector<std::string> args;
  std::map<std::string, std::string> env;
  std::optional<int> port; // the run waits until this port accepts connections
  bool operator==(const Service&) const = default;
};

enum class ResultType { junit, file, dir };

struct ResultSpec {
  std::string path; // relative to the workdir; never absolute, never with ".."
  ResultType type = ResultType::file;
  bool operator==(const ResultSpec&) const = default;
};

struct RunSpec {
  ImageSource image;
  std::string script; // run by /bin/sh -e; a list of lines in JSON is joined with newlines
  std::string workdir = "/workspace";
  std::string user; // empty: the image's user
  std::map<std::string, std::string> env;
  std::map<std::string, Service> services;
  std::vector<std::string> secrets; // names of secrets the run needs
  std::string timeout;              // a duration string; empty: the global default
  std::string resource_class = "default";
  std::map<std::string, ResultSpec> results;
  bool operator==(const RunSpec&) const = default;
};

// Refuses, with the reason, members that would weaken a container's isolation (privileged,
// host mounts, host network, devices, capabilities). Throws ErrorException.
void reject_isolation_escapes(const rapidjson::Value& object, const std::string& path);

// Reads a spec from the members of `object` (other members are the caller's business).
// Throws ErrorException naming the field (see json.hpp).
RunSpec read_run_spec(const rapidjson::Value& object, const std::string& path);

// Writes the spec's members into an object the caller has started.
void write_run_spec_members(JsonWriter& writer, const RunSpec& spec);

// The spec as one JSON object (what a git run stores of its config file); read_run_spec reads
// it back.
std::string to_json(const RunSpec& spec);
Result<RunSpec> parse_run_spec_json(std::string_view json);

} // namespace cicd::model
