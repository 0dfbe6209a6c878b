// The plan of `cicd ctl apply` in words: the diff of two documents and the lines people read.
#include "apply_plan.hpp"

#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

#include <fmt/format.h>

#include <algorithm>

namespace cicd::ctl {
namespace {

bool is_empty(const rapidjson::Value& value) {
  return (value.IsString() && value.GetStringLength() == 0) || (value.IsArray() && value.Empty()) ||
         (value.IsObject() && value.ObjectEmpty());
}

std::string child_path(const std::string& path, const rapidjson::Value& name) {
  std::string key(name.GetString(), name.GetStringLength());
  return path.empty() ? key : path + "." + key;
}

void diff_into(const rapidjson::Value& before, const rapidjson::Value& after,
               const std::string& path, const std::vector<std::string>& ignored,
               std::vector<FieldChange>& out) {
  static const rapidjson::Value k_no_members(rapidjson::kObjectType);
  auto skipped = [&](const rapidjson::Value& name) {
    return path.empty() &&
           std::find(ignored.begin(), ignored.end(), name.GetString()) != ignored.end();
  };
  if (before.IsObject() && after.IsObject()) {
    for (const auto& member : after.GetObject()) {
      if (skipped(member.name)) {
        continue;
      }
      auto child = child_path(path, member.name);
      auto found = before.FindMember(member.name);
      if (found != before.MemberEnd()) {
        diff_into(found->value, member.value, child, {}, out);
      } else if (member.value.IsObject()) {
        diff_into(k_no_members, member.value, child, {}, out);
      } else if (!is_empty(member.value)) {
        out.push_back(FieldChange{'+', child, "", compact_json(member.value)});
      }
    }
    for (const auto& member : before.GetObject()) {
      if (skipped(member.name) || after.HasMember(member.name)) {
        continue;
      }
      auto child = child_path(path, member.name);
      if (member.value.IsObject()) {
        diff_into(member.value, k_no_members, child, {}, out);
      } else if (!is_empty(member.value)) {
        out.push_back(FieldChange{'-', child, compact_json(member.value), ""});
      }
    }
    return;
  }
  if (before == after) {
    return;
  }
  if (is_empty(after)) {
    out.push_back(FieldChange{'-', path, compact_json(before), ""});
  } else if (is_empty(before)) {
    out.push_back(FieldChange{'+', path, "", compact_json(after)});
  } else {
    out.push_back(FieldChange{'~', path, compact_json(before), compact_json(after)});
  }
}

const char* step_sign(Step step) {
  switch (step) {
  case Step::create:
    return "+";
  case Step::update:
    return "~";
  case Step::unchanged:
    return "=";
  }
  return "=";
}

std::string paint(const std::string& line, char sign, bool colour) {
  if (!colour) {
    return line + "\n";
  }
  const char* code = sign == '+' ? "32" : sign == '~' ? "33" : sign == '-' ? "31" : "2";
  return fmt::format("\x1b[{}m{}\x1b[0m\n", code, line);
}

void render_changes(const std::vector<FieldChange>& changes, bool colour, std::string& out) {
  for (const auto& change : changes) {
    std::string line = fmt::format("  {} {}", change.sign, change.path);
    if (change.sign == '+') {
      line += ": " + change.after;
    } else if (change.sign == '~') {
      line += ": " + change.before + " → " + change.after;
    }
    out += paint(line, change.sign, colour);
  }
}

void render_definition(const std::string& what, Step step, const std::vector<FieldChange>& changes,
                       bool colour, std::string& out) {
  auto sign = step_sign(step);
  std::string line = step == Step::create   ? fmt::format("+ create {}", what)
                     : step == Step::update ? fmt::format("~ update {}", what)
                                            : fmt::format("= {} unchanged", what);
  out += paint(line, *sign, colour);
  render_changes(changes, colour, out);
}

} // namespace

std::string json_text(const rapidjson::Value& value) {
  rapidjson::StringBuffer buffer;
  rapidjson::Writer<rapidjson::StringBuffer> writer(buffer);
  value.Accept(writer);
  return std::string(buffer.GetString(), buffer.GetSize());
}

std::vector<FieldChange> diff_documents(const rapidjson::Value& before,
                                        const rapidjson::Value& after,
                                        const std::vector<std::string>& ignored) {
  std::vector<FieldChange> changes;
  diff_into(before, after, "", ignored, changes);
  return changes;
}

std::string compact_json(const rapidjson::Value& value, std::size_t max) {
  auto text = json_text(value);
  if (text.size() <= max) {
    return text;
  }
  auto cut = max;
  while (cut > 0 && (static_cast<unsigned char>(text[cut]) & 0xC0) == 0x80) {
    --cut; // not inside a UTF-8 sequence
  }
  return text.substr(0, cut) + "…";
}

bool ApplyPlan::changes_anything() const {
  auto changes = [](const auto& plans) {
    return std::any_of(plans.begin(), plans.end(),
                       [](const auto& plan) { return plan.step != Step::unchanged; });
  };
  bool secrets = std::any_of(jobs.begin(), jobs.end(), [](const JobPlan& job) {
    return std::any_of(job.secrets.begin(), job.secrets.end(),
                       [](const SecretPlan& secret) { return secret.step != SecretStep::keep; });
  });
  return changes(resource_classes) || !settings.changes.empty() || changes(integrations) ||
         changes(jobs) || secrets || !deletions.empty();
}

std::string ApplyPlan::render(bool colour) const {
  std::string out;
  for (const auto& plan : resource_classes) {
    render_definition(plan.kind + " " + plan.entry->name, plan.step, plan.changes, colour, out);
  }
  if (settings.in_files) {
    render_definition("settings", settings.changes.empty() ? Step::unchanged : Step::update,
                      settings.changes, colour, out);
  }
  for (const auto& plan : integrations) {
    render_definition(plan.kind + " " + plan.entry->name, plan.step, plan.changes, colour, out);
  }
  for (const auto& job : jobs) {
    render_definition("job " + job.name(), job.step, job.changes, colour, out);
    for (const auto& secret : job.secrets) {
      const auto& key = secret.reference->key;
      auto source = secret.reference->source();
      switch (secret.step) {
      case SecretStep::create:
        out += paint(fmt::format("  + secret {} (from {})", key, source), '+', colour);
        break;
      case SecretStep::rewrite:
        out +=
            paint(fmt::format("  ~ secret {} (written again from {})", key, source), '~', colour);
        break;
      case SecretStep::keep:
        out += paint(fmt::format("  = secret {} (kept; --update-secrets writes it again)", key),
                     '=', colour);
        break;
      }
    }
  }
  for (const auto& deletion : deletions) {
    out += paint(
        fmt::format("- delete job {} (apply set {}, no longer in the files)", deletion.job, set),
        '-', colour);
  }
  for (const auto& job : left_over) {
    out += fmt::format("  job {} of apply set {} is no longer in the files: --prune deletes it\n",
                       job, set);
  }
  return out;
}

std::string ApplyPlan::summary() const {
  if (!changes_anything()) {
    return "no changes: the server already matches the files";
  }
  std::size_t created = 0;
  std::size_t updated = 0;
  auto count = [&](Step step) {
    created += step == Step::create ? 1 : 0;
    updated += step == Step::update ? 1 : 0;
  };
  for (const auto& plan : resource_classes) {
    count(plan.step);
  }
  updated += settings.changes.empty() ? 0 : 1;
  for (const auto& plan : integrations) {
    count(plan.step);
  }
  std::size_t secrets = 0;
  for (const auto& job : jobs) {
    count(job.step);
    secrets += static_cast<std::size_t>(
        std::count_if(job.secrets.begin(), job.secrets.end(),
                      [](const SecretPlan& secret) { return secret.step != SecretStep::keep; }));
  }
  return fmt::format("{} to create, {} to update, {} to delete, {} secret{} to write", created,
                     updated, deletions.size(), secrets, secrets == 1 ? "" : "s");
}

} // namespace cicd::ctl
