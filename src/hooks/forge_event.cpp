#include "cicd/hooks/forge_event.hpp"

#include "cicd/model/json.hpp"
#include "cicd/model/names.hpp"

#include <fmt/format.h>

#include <algorithm>

namespace cicd::hooks {
namespace {

using model::find_member;
using model::read_string;
using model::throw_field_error;

// The member at `path` ("pull_request.head.sha"), which must be there.
const rapidjson::Value& member_at(const rapidjson::Value& root, std::string_view path) {
  const rapidjson::Value* value = &root;
  std::size_t start = 0;
  while (start <= path.size()) {
    auto dot = path.find('.', start);
    auto key = path.substr(start, dot == std::string_view::npos ? dot : dot - start);
    value = value->IsObject() ? find_member(*value, key) : nullptr;
    if (value == nullptr || value->IsNull()) {
      throw_field_error(std::string(path), "is missing from the payload");
    }
    if (dot == std::string_view::npos) {
      break;
    }
    start = dot + 1;
  }
  return *value;
}

std::string string_at(const rapidjson::Value& root, std::string_view path) {
  return read_string(member_at(root, path), std::string(path));
}

std::int64_t integer_at(const rapidjson::Value& root, std::string_view path) {
  return model::read_integer(member_at(root, path), std::string(path));
}

// The same as string_at, or "" when absent or null.
std::string optional_string_at(const rapidjson::Value& root, std::string_view path) {
  try {
    return string_at(root, path);
  } catch (const ErrorException&) {
    return {};
  }
}

std::string commit_at(const rapidjson::Value& root, std::string_view path) {
  auto sha = string_at(root, path);
  std::transform(sha.begin(), sha.end(), sha.begin(), [](char c) { return std::tolower(c); });
  if (!model::is_commit_sha(sha)) {
    throw_field_error(std::string(path), "is not a commit id (40 hexadecimal digits)");
  }
  return sha;
}

// "refs/heads/main" → "main"; a tag or another ref → "".
std::string branch_of_ref(const std::string& ref) {
  constexpr std::string_view k_heads = "refs/heads/";
  return ref.starts_with(k_heads) ? ref.substr(k_heads.size()) : std::string();
}

bool is_zero_sha(const std::string& sha) {
  return sha.find_first_not_of('0') == std::string::npos;
}

template <class Read>
Result<ForgeEvent> parse(std::string_view body, Read read) {
  auto document = model::parse_json_object(body);
  if (!document) {
    return document.error();
  }
  try {
    ForgeEvent event;
    read(*document, event);
    return event;
  } catch (const ErrorException& e) {
    return e.error();
  }
}

bool same_repository(std::string_view a, std::string_view b) {
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
           return std::tolower(x) == std::tolower(y);
         });
}

} // namespace

Result<ForgeEvent> parse_github_event(std::string_view name, std::string_view body) {
  return parse(body, [name](const rapidjson::Document& payload, ForgeEvent& event) {
    event.name = std::string(name);
    if (name == "ping") {
      event.kind = ForgeEvent::Kind::ping;
      return;
    }
    if (name == "pull_request") {
      event.kind = ForgeEvent::Kind::pull_request;
      event.action = string_at(payload, "action");
      event.repository = string_at(payload, "pull_request.base.repo.full_name");
      event.number = integer_at(payload, "pull_request.number");
      event.head_sha = commit_at(payload, "pull_request.head.sha");
      event.head_branch = string_at(payload, "pull_request.head.ref");
      event.base_branch = string_at(payload, "pull_request.base.ref");
      // A fork whose repository was deleted has no head repository: a fork all the same.
      auto head_repository = optional_string_at(payload, "pull_request.head.repo.full_name");
      event.from_fork = !same_repository(head_repository, event.repository);
      event.sender = optional_string_at(payload, "sender.login");
      return;
    }
    if (name == "push") {
      event.kind = ForgeEvent::Kind::push;
      event.repository = string_at(payload, "repository.full_name");
      event.head_sha = commit_at(payload, "after");
      auto deleted = find_member(payload, "deleted");
      bool gone = (deleted != nullptr && deleted->IsBool() && deleted->GetBool()) ||
                  is_zero_sha(event.head_sha);
      event.head_branch = gone ? std::string() : branch_of_ref(string_at(payload, "ref"));
      event.sender = optional_string_at(payload, "sender.login");
      return;
    }
    event.kind = ForgeEvent::Kind::other;
  });
}

Result<ForgeEvent> parse_gitlab_event(std::string_view name, std::string_view body) {
  return parse(body, [name](const rapidjson::Document& payload, ForgeEvent& event) {
    if (name == "Merge Request Hook") {
      event.kind = ForgeEvent::Kind::pull_request;
      event.name = "merge_request";
      event.action = optional_string_at(payload, "object_attributes.action");
      event.repository = string_at(payload, "project.path_with_namespace");
      event.project_id = std::to_string(integer_at(payload, "project.id"));
      event.number = integer_at(payload, "object_attributes.iid");
      event.head_sha = commit_at(payload, "object_attributes.last_commit.id");
      event.head_branch = string_at(payload, "object_attributes.source_branch");
      event.base_branch = string_at(payload, "object_attributes.target_branch");
      event.from_fork = integer_at(payload, "object_attributes.source_project_id") !=
                        integer_at(payload, "object_attributes.target_project_id");
      event.sender = optional_string_at(payload, "user.username");
      return;
    }
    if (name == "Push Hook") {
      event.kind = ForgeEvent::Kind::push;
      event.name = "push";
      event.repository = string_at(payload, "project.path_with_namespace");
      event.project_id = std::to_string(integer_at(payload, "project_id"));
      event.head_sha = commit_at(payload, "after");
      event.head_branch =
          is_zero_sha(event.head_sha) ? std::string() : branch_of_ref(string_at(payload, "ref"));
      event.sender = optional_string_at(payload, "user_username");
      return;
    }
    event.kind = ForgeEvent::Kind::other;
    event.name = std::string(name);
  });
}

std::string unwatched_reason(const model::ForgeTrigger& trigger, const ForgeEvent& event) {
  if (!same_repository(trigger.repository, event.repository)) {
    return fmt::format("repository '{}' is not watched", event.repository);
  }
  if (event.kind == ForgeEvent::Kind::pull_request) {
    const auto& actions = trigger.pull_request_actions;
    if (std::find(actions.begin(), actions.end(), event.action) == actions.end()) {
      return fmt::format("action '{}' is not watched", event.action);
    }
    return {};
  }
  if (event.kind == ForgeEvent::Kind::push) {
    if (event.head_branch.empty()) {
      return "the push is of a tag or deletes a branch";
    }
    bool watched = std::any_of(trigger.push_branches.begin(), trigger.push_branches.end(),
                               [&](const std::string& pattern) {
                                 return model::branch_matches(pattern, event.head_branch);
                               });
    return watched ? std::string()
                   : fmt::format("pushes to branch '{}' are not watched", event.head_branch);
  }
  return fmt::format("event '{}' is not watched", event.name);
}

} // namespace cicd::hooks
