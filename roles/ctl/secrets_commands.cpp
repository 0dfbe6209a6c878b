// cicd ctl secrets set|list|delete. A value never comes from the command line (it would be in
// the shell's history and the process list): stdin, or --from-file.
#include "session.hpp"

#include "ctl_error.hpp"

#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

#include <fstream>
#include <iostream>
#include <sstream>

namespace cicd::ctl {

int secrets_set(Session& session, CommandLine& args) {
  auto job = args.take("JOB");
  auto key = args.take("KEY");
  auto file = args.value({"--from-file"});
  if (args.has({"--value"})) {
    throw usage_error("a secret's value is never given on the command line: pipe it in on "
                      "stdin or use --from-file FILE");
  }
  args.finish();
  std::string value;
  if (file) {
    std::ifstream in(*file, std::ios::binary);
    if (!in) {
      throw usage_error("cannot read " + *file);
    }
    std::stringstream content;
    content << in.rdbuf();
    value = content.str();
  } else {
    value = read_secret_from_stdin("value of " + key + ": ");
  }
  rapidjson::StringBuffer body;
  rapidjson::Writer<rapidjson::StringBuffer> writer(body);
  writer.StartObject();
  writer.Key("value");
  writer.String(value.data(), static_cast<rapidjson::SizeType>(value.size()));
  writer.EndObject();
  auto answer = session.api().call("PUT", "/jobs/" + segment(job) + "/secrets/" + segment(key),
                                   std::string(body.GetString(), body.GetSize()));
  std::cout << "secret " << key << " of " << job
            << (answer.status == 201 ? " created\n" : " replaced\n");
  return k_exit_ok;
}

int secrets_list(Session& session, CommandLine& args) {
  auto job = args.take("JOB");
  auto format = take_format(args);
  args.finish();
  auto document = session.api().get_json("/jobs/" + segment(job) + "/secrets");
  if (format != Format::table) {
    print_document(document["items"], format);
    return k_exit_ok;
  }
  Table table({"NAME", "UPDATED"});
  for (const auto& secret : document["items"].GetArray()) {
    table.add({string_of(secret, "name"), short_time(string_of(secret, "updatedAt"))});
  }
  std::cout << table.render(session.terminal().colour);
  return k_exit_ok;
}

int secrets_delete(Session& session, CommandLine& args) {
  auto job = args.take("JOB");
  auto key = args.take("KEY");
  args.finish();
  session.api().call("DELETE", "/jobs/" + segment(job) + "/secrets/" + segment(key));
  std::cout << "secret " << key << " of " << job << " deleted\n";
  return k_exit_ok;
}

} // namespace cicd::ctl
