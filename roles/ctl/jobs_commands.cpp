// cicd ctl jobs list|get|delete, and login.
#include "session.hpp"

#include "ctl_error.hpp"

#include <termios.h>
#include <unistd.h>

#include <fmt/format.h>

#include <iostream>

namespace cicd::ctl {

int jobs_list(Session& session, CommandLine& args) {
  auto format = take_format(args);
  args.finish();
  auto items = list_all(session.api(), "/jobs?limit=200");
  if (format != Format::table) {
    print_document(items, format);
    return k_exit_ok;
  }
  Table table({"NAME", "TYPE", "LAST RUN", "UPDATED", "DESCRIPTION"});
  for (const auto& job : items.GetArray()) {
    std::string last_run = "-";
    if (auto run = job.FindMember("lastRun"); run != job.MemberEnd() && run->value.IsObject() &&
                                              run->value.HasMember("id") &&
                                              run->value["id"].IsInt64()) {
      last_run =
          fmt::format("#{} {}", run->value["id"].GetInt64(), string_of(run->value, "status"));
    }
    table.add({string_of(job, "name"), string_of(job, "type"), last_run,
               short_time(string_of(job, "updatedAt")), string_of(job, "description")});
  }
  std::cout << table.render(session.terminal().colour);
  return k_exit_ok;
}

int jobs_get(Session& session, CommandLine& args) {
  auto job = args.take("JOB");
  auto format = take_format(args);
  args.finish();
  auto document = session.api().get_json("/jobs/" + segment(job));
  print_document(document, format == Format::json ? Format::json : Format::yaml);
  return k_exit_ok;
}

int jobs_delete(Session& session, CommandLine& args) {
  auto job = args.take("JOB");
  args.finish();
  session.api().call("DELETE", "/jobs/" + segment(job));
  std::cout << "deleted job " << job << "\n";
  return k_exit_ok;
}

// Reads a secret (a token, a value) from stdin: without echo on a terminal, with one trailing
// newline removed (what `echo value |` adds).
std::string read_secret_from_stdin(const std::string& prompt) {
  bool terminal = ::isatty(STDIN_FILENO) == 1;
  termios saved{};
  if (terminal) {
    std::cerr << prompt << std::flush;
    ::tcgetattr(STDIN_FILENO, &saved);
    auto quiet = saved;
    quiet.c_lflag &= ~static_cast<tcflag_t>(ECHO);
    ::tcsetattr(STDIN_FILENO, TCSANOW, &quiet);
  }
  std::string value;
  if (terminal) {
    std::getline(std::cin, value);
    ::tcsetattr(STDIN_FILENO, TCSANOW, &saved);
    std::cerr << "\n";
  } else {
    value.assign(std::istreambuf_iterator<char>(std::cin), std::istreambuf_iterator<char>());
    if (value.ends_with("\r\n")) {
      value.resize(value.size() - 2);
    } else if (value.ends_with('\n')) {
      value.pop_back();
    }
  }
  return value;
}

int login(Session& session, CommandLine& args) {
  args.finish();
  const auto& flags = session.flags();
  auto name = flags.context.value_or("default");
  if (!flags.server) {
    throw usage_error("login needs --server URL (the master's address)");
  }
  auto token = flags.token ? *flags.token : read_secret_from_stdin("token: ");
  if (token.empty()) {
    throw usage_error("no token on stdin: pipe one in (`cicd master token create …`), or type "
                      "it at the prompt");
  }
  ConnectionFlags checked = flags;
  checked.token = token;
  checked.context.reset(); // the context is being made
  ApiClient api(resolve_connection(checked));
  api.call("GET", "/settings"); // any read: a 401 says the token is no good here
  auto config = read_config(flags.config);
  config.contexts[name] = ContextEntry{api.connection().server, token, api.connection().ca_file};
  config.current_context = name;
  write_config(flags.config, config);
  std::cout << "logged in to " << api.connection().server << " (context " << name << ", saved in "
            << flags.config.string() << ")\n";
  return k_exit_ok;
}

} // namespace cicd::ctl
