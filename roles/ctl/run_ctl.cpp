// `cicd ctl`: finds the command among the words, reads the connection flags, runs it, and
// turns every failure into one line and an exit code.
#include "ctl.hpp"

#include "session.hpp"

#include <fmt/format.h>

#include <charconv>
#include <cstdio>
#include <iostream>

namespace cicd::ctl {
namespace {

struct Command {
  const char* group;
  const char* name; // "" for a command without a subcommand
  CommandFunction run;
  std::vector<std::string> value_flags;
  const char* usage;
};

// Flags any command takes: where to connect and as whom.
const std::vector<std::string> k_connection_flags = {"--server", "--token", "--context", "--config",
                                                     "--ca-file"};

const std::vector<Command>& commands() {
  static const std::vector<Command> table = {
      {"login",
       "",
       login,
       {},
       "login --server URL [--context NAME]   (the token is read from stdin)"},
      {"jobs", "list", jobs_list, {"-o", "--output"}, "jobs list [-o table|json|yaml]"},
      {"jobs", "get", jobs_get, {"-o", "--output"}, "jobs get JOB [-o table|json|yaml]"},
      {"jobs", "delete", jobs_delete, {}, "jobs delete JOB"},
      {"run",
       "",
       run_job,
       {"--branch", "--commit", "-p", "--param", "-o", "--output"},
       "run JOB [--branch B | --commit SHA] [-p KEY=VALUE …] [--wait | --follow]"},
      {"runs",
       "list",
       runs_list,
       {"--status", "--limit", "-o", "--output"},
       "runs list JOB [--status S] [--limit N] [-o …]"},
      {"runs", "get", runs_get, {"-o", "--output"}, "runs get JOB/ID [-o …]"},
      {"runs", "abort", runs_abort, {}, "runs abort JOB/ID"},
      {"logs", "", logs, {}, "logs JOB/ID [-f]"},
      {"secrets",
       "set",
       secrets_set,
       {"--from-file"},
       "secrets set JOB KEY [--from-file FILE]   (else the value is read from stdin)"},
      {"secrets", "list", secrets_list, {"-o", "--output"}, "secrets list JOB [-o …]"},
      {"secrets", "delete", secrets_delete, {}, "secrets delete JOB KEY"},
      {"agents", "list", agents_list, {"-o", "--output"}, "agents list [-o …]"},
      {"agents", "drain", agents_drain, {}, "agents drain AGENT"},
      {"token",
       "create",
       token_create,
       {"--sub", "--scope", "--ttl", "-o", "--output"},
       "token create --sub NAME --scope read|trigger|admin [--ttl 30d]"},
      {"results", "list", results_list, {"-o", "--output"}, "results list JOB/ID [-o …]"},
      {"results",
       "download",
       results_download,
       {"-o", "--output"},
       "results download JOB/ID [NAME] [-o FILE|DIR]"},
      {"apply",
       "",
       apply,
       {"-f", "--filename", "--set"},
       "apply -f FILE|DIR … [--set NAME] [--dry-run] [--prune] [--update-secrets]"},
      {"export",
       "",
       export_state,
       {"-o", "--output"},
       "export [-o FILE]   (YAML, or JSON for FILE.json)"},
      {"completion", "", completion, {}, "completion bash|zsh"},
  };
  return table;
}

std::string usage_text() {
  std::string text = "Usage: cicd ctl <command> [options]\n\nCommands:\n";
  for (const auto& command : commands()) {
    text += fmt::format("  {}\n", command.usage);
  }
  text += "\nConnection (any command): --server URL (CICD_SERVER), --token TOKEN (CICD_TOKEN),\n"
          "  --context NAME, --config FILE (default ~/.config/cicd/config, see `login`),\n"
          "  --ca-file PEM (CICD_CA_FILE): the CAs of an https server not in the system's store.\n"
          "Exit codes: 0 done (a run succeeded), 1 the run failed, 2 the run errored, timed out\n"
          "  or was aborted, 3 the command line was wrong, 4 the server refused or was not "
          "reached.\n";
  return text;
}

bool is_help(const std::string& word) {
  return word == "--help" || word == "-h" || word == "help";
}

int dispatch(const std::vector<std::string>& words, const Terminal& terminal) {
  // The command's words are the first one or two that are not flags (nor a connection flag's
  // value); everything else belongs to the command.
  std::vector<std::size_t> verb_at;
  for (std::size_t i = 0; i < words.size() && verb_at.size() < 2; ++i) {
    if (std::find(k_connection_flags.begin(), k_connection_flags.end(), words[i]) !=
        k_connection_flags.end()) {
      ++i;
      continue;
    }
    if (words[i].starts_with("-")) {
      if (verb_at.empty() && is_help(words[i])) {
        std::cout << usage_text();
        return k_exit_ok;
      }
      break;
    }
    verb_at.push_back(i);
    if (verb_at.size() == 1) {
      bool has_subcommands = std::any_of(commands().begin(), commands().end(), [&](const auto& c) {
        return words[i] == c.group && *c.name != '\0';
      });
      if (!has_subcommands) {
        break;
      }
    }
  }
  if (verb_at.empty()) {
    std::cerr << usage_text();
    return k_exit_usage;
  }
  std::string group = words[verb_at[0]];
  std::string name = verb_at.size() > 1 ? words[verb_at[1]] : "";
  const Command* found = nullptr;
  for (const auto& command : commands()) {
    if (group == command.group && (name == command.name || *command.name == '\0')) {
      found = &command;
      break;
    }
  }
  if (found == nullptr) {
    throw usage_error(name.empty() ? "unknown command '" + group + "'"
                                   : "unknown command '" + group + " " + name + "'");
  }
  std::vector<std::string> rest;
  for (std::size_t i = 0; i < words.size(); ++i) {
    bool is_verb =
        i == verb_at[0] || (*found->name != '\0' && verb_at.size() > 1 && i == verb_at[1]);
    if (!is_verb) {
      rest.push_back(words[i]);
    }
  }
  auto value_flags = k_connection_flags;
  value_flags.insert(value_flags.end(), found->value_flags.begin(), found->value_flags.end());
  CommandLine args(rest, value_flags);
  if (args.has({"--help", "-h"})) {
    std::cout << "Usage: cicd ctl " << found->usage << "\n";
    return k_exit_ok;
  }
  ConnectionFlags flags;
  flags.server = args.value({"--server"});
  flags.token = args.value({"--token"});
  flags.context = args.value({"--context"});
  flags.ca_file = args.value({"--ca-file"});
  auto config = args.value({"--config"});
  flags.config = config ? std::filesystem::path(*config) : default_config_path();
  Session session(std::move(flags), terminal);
  return found->run(session, args);
}

} // namespace

RunRef parse_run_ref(const std::string& text) {
  auto slash = text.rfind('/');
  RunRef ref;
  if (slash != std::string::npos && slash > 0) {
    ref.job = text.substr(0, slash);
    auto digits = std::string_view(text).substr(slash + 1);
    auto [end, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), ref.id);
    if (ec == std::errc() && end == digits.data() + digits.size() && ref.id > 0) {
      return ref;
    }
  }
  throw usage_error("'" + text + "' is not a run: write JOB/ID, like unit-test/42");
}

std::string RunRef::path() const {
  return "/jobs/" + segment(job) + "/runs/" + std::to_string(id);
}

Format take_format(CommandLine& args) {
  auto text = args.value({"-o", "--output"});
  return text ? parse_format(*text) : Format::table;
}

int run_ctl(int argc, const char* const* argv) {
  std::vector<std::string> words(argv + 1, argv + argc);
  auto terminal = Terminal::detect();
  try {
    return dispatch(words, terminal);
  } catch (const CtlError& e) {
    std::cerr << "cicd ctl: " << e.what() << "\n";
    if (!e.hint().empty()) {
      std::cerr << "  " << e.hint() << "\n";
    }
    return e.code();
  }
}

} // namespace cicd::ctl
