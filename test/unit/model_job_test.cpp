#include "cicd/model/job.hpp"

#include "support/error_assertions.hpp"

#include <gtest/gtest.h>

#include <map>
#include <string>
#include <vector>

namespace cicd::model {
namespace {

const std::string k_minimal_freestyle =
    R"({"type":"freestyle","image":"debian:12","script":"make test"})";
const std::string k_minimal_git = R"({"type":"git","repoUrl":"https://git.example.org/app.git"})";

// The freestyle example of docs/api.md, plus every optional member.
const std::string k_full_freestyle = R"({
  "name": "unit-test",
  "type": "freestyle",
  "description": "unit tests",
  "image": {"dockerfile": "Dockerfile.test", "context": "ci", "target": "test",
            "buildArgs": {"BASE": "debian:12"}},
  "script": ["make deps", "make test"],
  "workdir": "/src",
  "user": "1000:1000",
  "env": {"LANG": "C.UTF-8", "CC": "gcc"},
  "services": {
    "db": {"image": "postgres:15", "env": {"POSTGRES_PASSWORD": "x"}, "port": 5432},
    "cache": {"image": "redis:7", "command": ["redis-server"], "args": "--save="}
  },
  "secrets": ["NPM_TOKEN", "AWS_KEY", "NPM_TOKEN"],
  "timeout": "1h30m",
  "resourceClass": "large",
  "results": {"junit": {"path": "build/test-results", "type": "junit"},
              "binary": {"path": "build/app"},
              "docs": {"path": "build/docs", "type": "dir"}},
  "parameters": {
    "TARGET": {"type": "choice", "choices": ["debug", "release"], "default": "debug"},
    "VERBOSE": {"type": "bool", "default": false},
    "SHARDS": {"type": "integer", "default": 4, "description": "test shards"},
    "GREETING": {"type": "string", "required": true}
  }
})";

const std::string k_full_git = R"({"type": "git", "description": "the app",
  "repoUrl": "ssh://git@git.example.org:2222/team/app.git", "configPath": "ci/cicd.yml",
  "entry": "unit", "gitCredentialSecret": "GIT_TOKEN",
  "parameters": {"FAST": {"type": "bool", "default": true}}})";

// A freestyle definition with `members` added to the minimal one.
std::string freestyle_with(const std::string& members) {
  return R"({"type":"freestyle","image":"debian:12","script":"make test",)" + members + "}";
}

// A freestyle definition whose image is a build with `members`.
std::string image_build_with(const std::string& members) {
  return R"({"type":"freestyle","script":"make test","image":{)" + members + "}}";
}

std::string git_with(const std::string& members) {
  return R"({"type":"git","repoUrl":"https://git.example.org/app.git",)" + members + "}";
}

std::string with_parameter(const std::string& definition) {
  return freestyle_with(R"("parameters":{"P":)" + definition + "}");
}

const RunSpec& spec_of(const JobDefinition& job) {
  return std::get<RunSpec>(job.source);
}
const GitSource& git_of(const JobDefinition& job) {
  return std::get<GitSource>(job.source);
}

// ---- parse_job_definition: accepted ---------------------------------------------------------

TEST(ParseJobDefinition, MinimalFreestyleGetsTheDefaults) {
  auto job = parse_job_definition(k_minimal_freestyle).value();
  EXPECT_EQ(job.type(), JobType::freestyle);
  EXPECT_EQ(job.description, "");
  EXPECT_TRUE(job.parameters.empty());
  const auto& spec = spec_of(job);
  EXPECT_EQ(spec.image, ImageSource("debian:12"));
  EXPECT_EQ(spec.script, "make test");
  EXPECT_EQ(spec.workdir, "/workspace");
  EXPECT_EQ(spec.user, "");
  EXPECT_TRUE(spec.env.empty());
  EXPECT_TRUE(spec.services.empty());
  EXPECT_TRUE(spec.secrets.empty());
  EXPECT_EQ(spec.timeout, "");
  EXPECT_EQ(spec.resource_class, "default");
  EXPECT_TRUE(spec.results.empty());
}

TEST(ParseJobDefinition, FullFreestyleReadsEveryMember) {
  auto job = parse_job_definition(k_full_freestyle).value();
  EXPECT_EQ(job.type(), JobType::freestyle);
  EXPECT_EQ(job.description, "unit tests");
  const auto& spec = spec_of(job);
  EXPECT_EQ(spec.image,
            ImageSource(ImageBuild{"Dockerfile.test", "ci", "test", {{"BASE", "debian:12"}}}));
  EXPECT_EQ(spec.script, "make deps\nmake test");
  EXPECT_EQ(spec.workdir, "/src");
  EXPECT_EQ(spec.user, "1000:1000");
  EXPECT_EQ(spec.env, (std::map<std::string, std::string>{{"CC", "gcc"}, {"LANG", "C.UTF-8"}}));
  ASSERT_EQ(spec.services.size(), 2u);
  const auto& db = spec.services.at("db");
  EXPECT_EQ(db.image, ImageSource("postgres:15"));
  EXPECT_EQ(db.env, (std::map<std::string, std::string>{{"POSTGRES_PASSWORD", "x"}}));
  EXPECT_EQ(db.port, 5432);
  EXPECT_TRUE(db.command.empty());
  const auto& cache = spec.services.at("cache");
  EXPECT_EQ(cache.command, std::vector<std::string>{"redis-server"});
  EXPECT_EQ(cache.args, std::vector<std::string>{"--save="});
  EXPECT_EQ(cache.port, std::nullopt);
  EXPECT_EQ(spec.secrets, (std::vector<std::string>{"AWS_KEY", "NPM_TOKEN"})) << "sorted, unique";
  EXPECT_EQ(spec.timeout, "1h30m");
  EXPECT_EQ(spec.resource_class, "large");
  ASSERT_EQ(spec.results.size(), 3u);
  EXPECT_EQ(spec.results.at("junit"), (ResultSpec{"build/test-results", ResultType::junit}));
  EXPECT_EQ(spec.results.at("binary"), (ResultSpec{"build/app", ResultType::file}));
  EXPECT_EQ(spec.results.at("docs"), (ResultSpec{"build/docs", ResultType::dir}));

  ASSERT_EQ(job.parameters.size(), 4u);
  const auto& target = job.parameters[0];
  EXPECT_EQ(target.name, "TARGET");
  EXPECT_EQ(target.type, ParameterType::choice);
  EXPECT_EQ(target.choices, (std::vector<std::string>{"debug", "release"}));
  EXPECT_EQ(target.default_value, ParameterValue(std::string("debug")));
  EXPECT_FALSE(target.required);
  EXPECT_EQ(job.parameters[1].type, ParameterType::boolean);
  EXPECT_EQ(job.parameters[1].default_value, ParameterValue(false));
  EXPECT_EQ(job.parameters[2].type, ParameterType::integer);
  EXPECT_EQ(job.parameters[2].default_value, ParameterValue(std::int64_t{4}));
  EXPECT_EQ(job.parameters[2].description, "test shards");
  EXPECT_EQ(job.parameters[3].name, "GREETING");
  EXPECT_EQ(job.parameters[3].type, ParameterType::string);
  EXPECT_TRUE(job.parameters[3].required);
  EXPECT_EQ(job.parameters[3].default_value, std::nullopt);
}

TEST(ParseJobDefinition, MinimalGitGetsTheDefaults) {
  auto job = parse_job_definition(k_minimal_git).value();
  EXPECT_EQ(job.type(), JobType::git);
  EXPECT_EQ(git_of(job), (GitSource{"https://git.example.org/app.git", ".cicd.yml", "", ""}));
  EXPECT_TRUE(job.parameters.empty());
}

TEST(ParseJobDefinition, FullGitReadsEveryMember) {
  auto job = parse_job_definition(k_full_git).value();
  EXPECT_EQ(job.type(), JobType::git);
  EXPECT_EQ(job.description, "the app");
  EXPECT_EQ(git_of(job), (GitSource{"ssh://git@git.example.org:2222/team/app.git", "ci/cicd.yml",
                                    "unit", "GIT_TOKEN"}));
  ASSERT_EQ(job.parameters.size(), 1u);
  EXPECT_EQ(job.parameters[0].default_value, ParameterValue(true));
}

TEST(ParseJobDefinition, AcceptsEveryKindOfRepoUrlWithoutPassword) {
  for (std::string url :
       {"https://git.example.org/app.git", "http://git.example.org/app.git",
        "https://user@git.example.org:8443/app.git", "git://git.example.org/app.git",
        "file:///srv/git/app.git", "git@github.com:team/app.git", "ssh://git@host/app"}) {
    EXPECT_OK(parse_job_definition(R"({"type":"git","repoUrl":")" + url + R"("})")) << url;
  }
}

// ---- parse_job_definition: refused, naming the field ----------------------------------------

struct Refusal {
  std::string body;
  std::string field;
};

void expect_refusals(const std::vector<Refusal>& refusals) {
  for (const auto& refusal : refusals) {
    EXPECT_ERROR_FIELD(parse_job_definition(refusal.body), ErrorCode::invalid_input, refusal.field)
        << refusal.body;
  }
}

TEST(ParseJobDefinition, RefusesUnknownFields) {
  expect_refusals({
      {freestyle_with(R"("imagee":"debian:12")"), "imagee"},
      {git_with(R"("image":"debian:12")"), "image"},
      {git_with(R"("script":"make")"), "script"},
      {freestyle_with(R"("services":{"db":{"image":"pg","ports":[1]}})"), "services.db.ports"},
      {freestyle_with(R"("results":{"r":{"path":"a","kind":"file"}})"), "results.r.kind"},
      {image_build_with(R"("dockerfile":"Dockerfile","file":"x")"), "image.file"},
      {with_parameter(R"({"type":"string","defualt":"x"})"), "parameters.P.defualt"},
  });
  auto result = parse_job_definition(freestyle_with(R"("imagee":"debian:12")"));
  ASSERT_ERROR(result, ErrorCode::invalid_input);
  EXPECT_NE(result.error().message.find("not a known field"), std::string::npos);
}

TEST(ParseJobDefinition, RetryOnInfrastructureErrorIsOffByDefaultAndKeptWhenSet) {
  auto plain = parse_job_definition(k_minimal_freestyle).value();
  EXPECT_EQ(plain.retries_on_infrastructure_error, 0);
  EXPECT_EQ(to_canonical_json(plain).find("retry"), std::string::npos);

  auto freestyle = parse_job_definition(freestyle_with(R"("retry":{"onInfrastructureError":2})"));
  ASSERT_OK(freestyle);
  EXPECT_EQ(freestyle->retries_on_infrastructure_error, 2);
  auto again = parse_job_definition(to_canonical_json(*freestyle)).value();
  EXPECT_EQ(again, *freestyle);
  EXPECT_NE(to_canonical_json(*freestyle).find(R"("retry":{"onInfrastructureError":2})"),
            std::string::npos);

  auto git = parse_job_definition(git_with(R"("retry":{"onInfrastructureError":1})"));
  ASSERT_OK(git);
  EXPECT_EQ(git->retries_on_infrastructure_error, 1);
}

TEST(ParseJobDefinition, RefusesABadRetry) {
  expect_refusals({
      {freestyle_with(R"("retry":{"onInfrastructureError":6})"), "retry.onInfrastructureError"},
      {freestyle_with(R"("retry":{"onInfrastructureError":-1})"), "retry.onInfrastructureError"},
      {freestyle_with(R"("retry":{"onInfrastructureError":"2"})"), "retry.onInfrastructureError"},
      {freestyle_with(R"("retry":{"onFailure":1})"), "retry.onFailure"},
      {freestyle_with(R"("retry":3)"), "retry"},
  });
}

TEST(ParseJobDefinition, LabelsAreKeptOnBothTypesAndOnlyWhenThereAreSome) {
  auto plain = parse_job_definition(k_minimal_freestyle).value();
  EXPECT_TRUE(plain.labels.empty());
  EXPECT_EQ(to_canonical_json(plain).find("labels"), std::string::npos)
      << "a job without labels keeps the ETag it had before labels existed";
  EXPECT_TRUE(parse_job_definition(freestyle_with(R"("labels":{})")).value().labels.empty());
  EXPECT_EQ(to_canonical_json(parse_job_definition(freestyle_with(R"("labels":{})")).value()),
            to_canonical_json(plain));

  const std::string labels =
      R"("labels":{"cicd.io/apply-set":"jobs","cicd.io/managed-by":"cicd-ctl-apply",)"
      R"("team":"Web_2.0","empty":""})";
  for (const auto& body : {freestyle_with(labels), git_with(labels)}) {
    auto job = parse_job_definition(body).value();
    std::map<std::string, std::string> expected = {{"cicd.io/apply-set", "jobs"},
                                                   {"cicd.io/managed-by", "cicd-ctl-apply"},
                                                   {"empty", ""},
                                                   {"team", "Web_2.0"}};
    EXPECT_EQ(job.labels, expected) << body;
    auto canonical = to_canonical_json(job);
    EXPECT_NE(canonical.find(R"("description":"","labels":{"cicd.io/apply-set":"jobs",)"
                             R"("cicd.io/managed-by":"cicd-ctl-apply","empty":"",)"
                             R"("team":"Web_2.0"},)"),
              std::string::npos)
        << "sorted by key, right after the description: " << canonical;
    EXPECT_EQ(parse_job_definition(canonical).value(), job) << canonical;
  }
}

TEST(ParseJobDefinition, AcceptsLabelsAtTheirLimits) {
  std::string name(k_max_label_name, 'a');
  std::string prefix = std::string(63, 'p') + "." + std::string(63, 'q') + "." +
                       std::string(63, 'r') + "." + std::string(61, 's'); // 253 bytes
  ASSERT_EQ(prefix.size(), k_max_label_prefix);
  std::string value(k_max_label_value, 'v');
  auto job = parse_job_definition(
      freestyle_with(R"("labels":{")" + prefix + "/" + name + R"(":")" + value + R"("})"));
  ASSERT_OK(job);
  EXPECT_EQ(job->labels.at(prefix + "/" + name), value);

  std::string many = R"("labels":{)";
  for (std::size_t i = 0; i < k_max_labels; ++i) {
    many += (i == 0 ? "" : ",") + ("\"k" + std::to_string(i) + "\":\"v\"");
  }
  EXPECT_EQ(parse_job_definition(freestyle_with(many + "}")).value().labels.size(), k_max_labels);
  EXPECT_ERROR_FIELD(parse_job_definition(freestyle_with(many + R"(,"one-more":"v"})")),
                     ErrorCode::invalid_input, "labels");
}

TEST(ParseJobDefinition, RefusesBadLabels) {
  std::string long_name(k_max_label_name + 1, 'a');
  std::string long_prefix = std::string(63, 'p') + "." + std::string(63, 'q') + "." +
                            std::string(63, 'r') + "." + std::string(62, 's'); // 254 bytes
  expect_refusals({
      {freestyle_with(R"("labels":["a"])"), "labels"},
      {freestyle_with(R"("labels":"a=b")"), "labels"},
      {freestyle_with(R"("labels":{"team":1})"), "labels.team"},
      {freestyle_with(R"("labels":{"team":null})"), "labels.team"},
      {freestyle_with(R"("labels":{"":"x"})"), "labels."},
      {freestyle_with(R"("labels":{"-team":"x"})"), "labels.-team"},
      {freestyle_with(R"("labels":{"team.":"x"})"), "labels.team."},
      {freestyle_with(R"("labels":{"te am":"x"})"), "labels.te am"},
      {freestyle_with(R"("labels":{"cicd.io/":"x"})"), "labels.cicd.io/"},
      {freestyle_with(R"("labels":{"/team":"x"})"), "labels./team"},
      {freestyle_with(R"("labels":{"CICD.io/team":"x"})"), "labels.CICD.io/team"},
      {freestyle_with(R"("labels":{"cicd..io/team":"x"})"), "labels.cicd..io/team"},
      {freestyle_with(R"("labels":{"-cicd.io/team":"x"})"), "labels.-cicd.io/team"},
      {freestyle_with(R"("labels":{"a/b/c":"x"})"), "labels.a/b/c"},
      {freestyle_with(R"("labels":{")" + long_name + R"(":"x"})"), "labels." + long_name},
      {freestyle_with(R"("labels":{")" + long_prefix + R"(/a":"x"})"),
       "labels." + long_prefix + "/a"},
      {freestyle_with(R"("labels":{"team":"-web"})"), "labels.team"},
      {freestyle_with(R"("labels":{"team":"web team"})"), "labels.team"},
      {freestyle_with(R"("labels":{"team":"web/x"})"), "labels.team"},
      {freestyle_with(R"("labels":{"team":"é"})"), "labels.team"},
      {freestyle_with(R"("labels":{"team":")" + long_name + R"("})"), "labels.team"},
      {git_with(R"("labels":{"team":"web."})"), "labels.team"},
      {freestyle_with(R"("labels":{"a":"x","a":"y"})"), "labels.a"},
  });
}

TEST(ParseJobDefinition, RefusesAMissingOrUnknownType) {
  expect_refusals({
      {R"({"image":"debian:12","script":"make"})", "type"},
      {R"({"type":"docker","image":"debian:12","script":"make"})", "type"},
      {R"({"type":1,"image":"debian:12","script":"make"})", "type"},
      {R"({"type":null})", "type"},
  });
}

TEST(ParseJobDefinition, RefusesWrongTypes) {
  expect_refusals({
      {R"({"type":"freestyle","image":5,"script":"make"})", "image"},
      {R"({"type":"freestyle","image":null,"script":"make"})", "image"},
      {R"({"type":"freestyle","image":"debian:12","script":{}})", "script"},
      {R"({"type":"freestyle","image":"debian:12","script":["make",1]})", "script[1]"},
      {freestyle_with(R"("description":1)"), "description"},
      {freestyle_with(R"("workdir":true)"), "workdir"},
      {freestyle_with(R"("env":[])"), "env"},
      {freestyle_with(R"("env":{"A":1})"), "env.A"},
      {freestyle_with(R"("services":[])"), "services"},
      {freestyle_with(R"("services":{"db":"postgres"})"), "services.db"},
      {freestyle_with(R"("services":{"db":{"image":"pg","port":"5432"}})"), "services.db.port"},
      {freestyle_with(R"("services":{"db":{"image":"pg","port":70000}})"), "services.db.port"},
      {freestyle_with(R"("services":{"db":{"image":"pg","port":5432.5}})"), "services.db.port"},
      {freestyle_with(R"("services":{"db":{"image":"pg","command":[1]}})"),
       "services.db.command[0]"},
      {freestyle_with(R"("secrets":[1])"), "secrets[0]"},
      {freestyle_with(R"("timeout":30)"), "timeout"},
      {freestyle_with(R"("results":[])"), "results"},
      {freestyle_with(R"("parameters":[])"), "parameters"},
      {freestyle_with(R"("parameters":{"P":"string"})"), "parameters.P"},
      {git_with(R"("configPath":1)"), "configPath"},
      {R"({"type":"git","repoUrl":["https://x/y"]})", "repoUrl"},
  });
  auto result = parse_job_definition(freestyle_with(R"("env":{"A":1})"));
  ASSERT_ERROR(result, ErrorCode::invalid_input);
  EXPECT_NE(result.error().message.find("must be a string"), std::string::npos)
      << result.error().message;
}

TEST(ParseJobDefinition, RefusesMissingRequiredMembers) {
  expect_refusals({
      {R"({"type":"freestyle","script":"make"})", "image"},
      {R"({"type":"freestyle","image":"debian:12"})", "script"},
      {R"({"type":"freestyle","image":"debian:12","script":""})", "script"},
      {R"({"type":"freestyle","image":"debian:12","script":[]})", "script"},
      {R"({"type":"git"})", "repoUrl"},
      {freestyle_with(R"("services":{"db":{"port":5432}})"), "services.db.image"},
      {freestyle_with(R"("results":{"report":{"type":"junit"}})"), "results.report.path"},
  });
}

TEST(ParseJobDefinition, RefusesIsolationEscapesWithTheReason) {
  for (std::string member :
       {R"("privileged":true)", R"("privileged":false)", R"("volumes":["/:/host"])",
        R"("mounts":[])", R"("binds":[])", R"("devices":["/dev/kvm"])", R"("capAdd":["SYS_ADMIN"])",
        R"("cap_add":["ALL"])", R"("network":"host")", R"("networkMode":"host")",
        R"("hostNetwork":true)", R"("pid":"host")", R"("ipc":"host")"}) {
    auto key = member.substr(1, member.find('"', 1) - 1);
    auto result = parse_job_definition(freestyle_with(member));
    ASSERT_ERROR(result, ErrorCode::invalid_input) << member;
    EXPECT_EQ(result.error().field, key);
    EXPECT_NE(result.error().message.find("refused"), std::string::npos) << result.error().message;
    EXPECT_NE(result.error().message.find("privileged"), std::string::npos)
        << "the reason, not merely 'unknown field': " << result.error().message;

    auto in_service =
        parse_job_definition(freestyle_with(R"("services":{"db":{"image":"pg",)" + member + "}}"));
    ASSERT_ERROR(in_service, ErrorCode::invalid_input) << member;
    EXPECT_EQ(in_service.error().field, "services.db." + key);
    EXPECT_NE(in_service.error().message.find("refused"), std::string::npos);
  }
}

TEST(ParseJobDefinition, RefusesUnsafeResultPathsAndTheConsoleName) {
  expect_refusals({
      {freestyle_with(R"("results":{"r":{"path":"/etc/passwd"}})"), "results.r.path"},
      {freestyle_with(R"("results":{"r":{"path":".."}})"), "results.r.path"},
      {freestyle_with(R"("results":{"r":{"path":"../secrets"}})"), "results.r.path"},
      {freestyle_with(R"("results":{"r":{"path":"build/../../etc"}})"), "results.r.path"},
      {freestyle_with(R"("results":{"r":{"path":"build/.."}})"), "results.r.path"},
      {freestyle_with(R"("results":{"r":{"path":""}})"), "results.r.path"},
      {freestyle_with(R"("results":{"r":{"path":"a\nb"}})"), "results.r.path"},
      {freestyle_with(R"("results":{"r":{"path":"a\u0000b"}})"), "results.r.path"},
      {freestyle_with(R"("results":{"r":{"path":"out","type":"zip"}})"), "results.r.type"},
      {freestyle_with(R"("results":{"console":{"path":"out.txt"}})"), "results.console"},
      {freestyle_with(R"("results":{"Report":{"path":"out.txt"}})"), "results.Report"},
      {image_build_with(R"("dockerfile":"../Dockerfile")"), "image.dockerfile"},
      {image_build_with(R"("context":"/")"), "image.context"},
  });
  // Dots inside names are not parent directories.
  EXPECT_OK(parse_job_definition(freestyle_with(R"("results":{"r":{"path":"build/a..b/.x"}})")));
}

TEST(ParseJobDefinition, RefusesBadEnvironmentNames) {
  expect_refusals({
      {freestyle_with(R"("env":{"A=B":"x"})"), "env.A=B"},
      {freestyle_with(R"("env":{"PATH":"/bin"})"), "env.PATH"},
      {freestyle_with(R"("env":{"CICD_X":"1"})"), "env.CICD_X"},
      {freestyle_with(R"("env":{"LD_PRELOAD":"x.so"})"), "env.LD_PRELOAD"},
      {freestyle_with(R"("env":{"1A":"x"})"), "env.1A"},
      {freestyle_with(R"("services":{"db":{"image":"pg","env":{"HOME":"/"}}})"),
       "services.db.env.HOME"},
      {freestyle_with(R"("secrets":["OK","CICD_TOKEN"])"), "secrets[1]"},
      {image_build_with(R"("buildArgs":{"A=B":"x"})"), "image.buildArgs.A=B"},
      {freestyle_with(R"("parameters":{"PATH":{}})"), "parameters.PATH"},
      {freestyle_with(R"("parameters":{"A=B":{}})"), "parameters.A=B"},
      {freestyle_with(R"("parameters":{"CICD_RUN":{}})"), "parameters.CICD_RUN"},
  });
}

TEST(ParseJobDefinition, RefusesOtherBadValues) {
  expect_refusals({
      {R"({"type":"freestyle","image":"","script":"make"})", "image"},
      {R"({"type":"freestyle","image":"debian 12","script":"make"})", "image"},
      {R"({"type":"freestyle","image":")" + std::string(256, 'a') + R"(","script":"make"})",
       "image"},
      {freestyle_with(R"("workdir":"work")"), "workdir"},
      {freestyle_with(R"("workdir":"/a/../b")"), "workdir"},
      {freestyle_with(R"("timeout":"8d")"), "timeout"},
      {freestyle_with(R"("timeout":"soon")"), "timeout"},
      {freestyle_with(R"("resourceClass":"Large")"), "resourceClass"},
      {freestyle_with(R"("services":{"DB":{"image":"pg"}})"), "services.DB"},
      {freestyle_with(R"("description":")" + std::string(4097, 'd') + "\""), "description"},
      {git_with(R"("configPath":"/etc/cicd.yml")"), "configPath"},
      {git_with(R"("configPath":"../other/.cicd.yml")"), "configPath"},
      {git_with(R"("configPath":"")"), "configPath"},
      {git_with(R"("entry":"Unit Tests")"), "entry"},
      {R"({"type":"git","repoUrl":""})", "repoUrl"},
      {R"({"type":"git","repoUrl":"ftp://git.example.org/app.git"})", "repoUrl"},
      {R"({"type":"git","repoUrl":"https://git.example.org/my app.git"})", "repoUrl"},
      {R"({"type":"git","repoUrl":"/srv/git/app.git"})", "repoUrl"},
  });
}

TEST(ParseJobDefinition, RefusesARepoUrlWithAPassword) {
  for (std::string url :
       {"https://alice:hunter2@git.example.org/app.git", "https://alice:hunter2@git.example.org",
        "ssh://git:pw@host:22/app.git", "http://:token@git.example.org/app.git"}) {
    auto result = parse_job_definition(R"({"type":"git","repoUrl":")" + url + R"("})");
    ASSERT_ERROR(result, ErrorCode::invalid_input) << url;
    EXPECT_EQ(result.error().field, "repoUrl");
    EXPECT_NE(result.error().message.find("password"), std::string::npos) << result.error().message;
    EXPECT_EQ(result.error().message.find("hunter2"), std::string::npos)
        << "the error must not echo the password";
  }
}

TEST(ParseJobDefinition, RefusesParametersWithBadDefaults) {
  expect_refusals({
      {with_parameter(R"({"type":"string","default":5})"), "parameters.P.default"},
      {with_parameter(R"({"default":true})"), "parameters.P.default"}, // type defaults to string
      {with_parameter(R"({"type":"bool","default":"yes"})"), "parameters.P.default"},
      {with_parameter(R"({"type":"bool","default":1})"), "parameters.P.default"},
      {with_parameter(R"({"type":"integer","default":"4"})"), "parameters.P.default"},
      {with_parameter(R"({"type":"integer","default":1.5})"), "parameters.P.default"},
      {with_parameter(R"({"type":"integer","default":1e300})"), "parameters.P.default"},
      {with_parameter(R"({"type":"choice","choices":["a","b"],"default":"c"})"),
       "parameters.P.default"},
      {with_parameter(R"({"type":"choice","choices":["a","b"],"default":1})"),
       "parameters.P.default"},
  });
}

TEST(ParseJobDefinition, RefusesMalformedParameterDefinitions) {
  expect_refusals({
      {with_parameter(R"({"type":"choice"})"), "parameters.P.choices"},
      {with_parameter(R"({"type":"choice","choices":[]})"), "parameters.P.choices"},
      {with_parameter(R"({"type":"choice","choices":"a"})"), "parameters.P.choices"},
      {with_parameter(R"({"type":"choice","choices":["a",2]})"), "parameters.P.choices[1]"},
      {with_parameter(R"({"type":"string","choices":["a"]})"), "parameters.P.choices"},
      {with_parameter(R"({"type":"float"})"), "parameters.P.type"},
      {with_parameter(R"({"type":"string","required":"yes"})"), "parameters.P.required"},
      {with_parameter(R"({"type":"string","description":1})"), "parameters.P.description"},
  });
}

TEST(ParseJobDefinition, RefusesMalformedJson) {
  EXPECT_ERROR(parse_job_definition("{"), ErrorCode::invalid_input);
  EXPECT_ERROR(parse_job_definition("[]"), ErrorCode::invalid_input);
  EXPECT_ERROR_FIELD(parse_job_definition(R"({"type":"git","type":"freestyle"})"),
                     ErrorCode::invalid_input, "type");
}

// ---- to_canonical_json ----------------------------------------------------------------------

TEST(ToCanonicalJson, HasAFixedFormat) {
  // The stored ETag derives from this text: changing the format changes every job's ETag.
  EXPECT_EQ(to_canonical_json(parse_job_definition(k_minimal_git).value()),
            R"({"type":"git","description":"","repoUrl":"https://git.example.org/app.git",)"
            R"("configPath":".cicd.yml","parameters":{}})");
  EXPECT_EQ(to_canonical_json(parse_job_definition(k_minimal_freestyle).value()),
            R"({"type":"freestyle","description":"","image":"debian:12","script":"make test",)"
            R"("workdir":"/workspace","env":{},"services":{},"secrets":[],)"
            R"("resourceClass":"default","results":{},"parameters":{}})");
}

TEST(ToCanonicalJson, RoundTrips) {
  for (const auto& body : {k_minimal_freestyle, k_full_freestyle, k_minimal_git, k_full_git}) {
    auto original = parse_job_definition(body).value();
    auto canonical = to_canonical_json(original);
    auto reparsed = parse_job_definition(canonical);
    ASSERT_OK(reparsed) << canonical;
    EXPECT_EQ(*reparsed, original) << canonical;
    EXPECT_EQ(to_canonical_json(*reparsed), canonical) << "canonical JSON is a fixed point";
  }
}

TEST(ToCanonicalJson, DoesNotDependOnMemberOrderOrWhitespace) {
  auto a = parse_job_definition(
      R"({"type":"freestyle","image":"debian:12","script":"make","env":{"B":"2","A":"1"},)"
      R"("secrets":["Y","X"],"services":{"web":{"image":"nginx"},"db":{"image":"pg"}},)"
      R"("results":{"z":{"path":"z"},"a":{"path":"a","type":"file"}},"timeout":"5m"})");
  auto b = parse_job_definition(R"({ "timeout" : "5m",
      "results": {"a": {"type": "file", "path": "a"}, "z": {"path": "z"}},
      "services": {"db": {"image": "pg"}, "web": {"image": "nginx"}},
      "secrets": ["X", "Y", "X"], "env": {"A": "1", "B": "2"},
      "script": ["make"], "image": "debian:12", "type": "freestyle" })");
  ASSERT_OK(a);
  ASSERT_OK(b);
  EXPECT_EQ(to_canonical_json(*a), to_canonical_json(*b));
}

TEST(ToCanonicalJson, EscapesStrings) {
  auto job = parse_job_definition(
                 freestyle_with(R"("description":"quote \" backslash \\ newline \n tab \t é")"))
                 .value();
  auto canonical = to_canonical_json(job);
  EXPECT_EQ(parse_job_definition(canonical).value(), job) << canonical;
}

// ---- resolve_parameters ---------------------------------------------------------------------

class ResolveParameters : public ::testing::Test {
protected:
  std::vector<ParameterDef> m_definitions =
      parse_job_definition(k_full_freestyle).value().parameters;

  Result<std::string> resolve(const std::string& given) {
    rapidjson::Document document;
    document.Parse(given.c_str());
    EXPECT_FALSE(document.HasParseError()) << given;
    return resolve_parameters(m_definitions, &document);
  }
};

TEST_F(ResolveParameters, FillsInDefaultsInDefinitionOrder) {
  EXPECT_EQ(resolve(R"({"GREETING":"hi"})").value(),
            R"({"TARGET":"debug","VERBOSE":false,"SHARDS":4,"GREETING":"hi"})");
  EXPECT_EQ(resolve(R"({"SHARDS":-2,"GREETING":"","TARGET":"release","VERBOSE":true})").value(),
            R"({"TARGET":"release","VERBOSE":true,"SHARDS":-2,"GREETING":""})");
}

TEST_F(ResolveParameters, OmitsOptionalParametersWithoutDefault) {
  m_definitions = parse_job_definition(with_parameter(R"({"type":"string"})")).value().parameters;
  EXPECT_EQ(resolve("{}").value(), "{}");
  EXPECT_EQ(resolve(R"({"P":"x"})").value(), R"({"P":"x"})");
  EXPECT_EQ(resolve_parameters(m_definitions, nullptr).value(), "{}");
}

TEST_F(ResolveParameters, NullOrAbsentMeansNoneGiven) {
  m_definitions.pop_back(); // GREETING, the required one
  const std::string defaults = R"({"TARGET":"debug","VERBOSE":false,"SHARDS":4})";
  EXPECT_EQ(resolve_parameters(m_definitions, nullptr).value(), defaults);
  EXPECT_EQ(resolve("null").value(), defaults);
}

TEST_F(ResolveParameters, RequiredWithoutValueIsRefused) {
  EXPECT_ERROR_FIELD(resolve("{}"), ErrorCode::invalid_input, "parameters.GREETING");
  EXPECT_ERROR_FIELD(resolve("null"), ErrorCode::invalid_input, "parameters.GREETING");
  EXPECT_ERROR_FIELD(resolve_parameters(m_definitions, nullptr), ErrorCode::invalid_input,
                     "parameters.GREETING");
}

TEST_F(ResolveParameters, UnknownParameterIsRefused) {
  auto result = resolve(R"({"GREETING":"hi","TARGETS":"debug"})");
  ASSERT_ERROR(result, ErrorCode::invalid_input);
  EXPECT_EQ(result.error().field, "parameters.TARGETS");
  EXPECT_NE(result.error().message.find("TARGET"), std::string::npos) << "lists the known ones";

  m_definitions.clear();
  result = resolve(R"({"X":1})");
  ASSERT_ERROR(result, ErrorCode::invalid_input);
  EXPECT_EQ(result.error().field, "parameters.X");
  EXPECT_NE(result.error().message.find("has none"), std::string::npos) << result.error().message;
}

TEST_F(ResolveParameters, WrongTypesAreRefused) {
  EXPECT_ERROR_FIELD(resolve(R"({"GREETING":5})"), ErrorCode::invalid_input, "parameters.GREETING");
  EXPECT_ERROR_FIELD(resolve(R"({"GREETING":"hi","VERBOSE":"true"})"), ErrorCode::invalid_input,
                     "parameters.VERBOSE");
  EXPECT_ERROR_FIELD(resolve(R"({"GREETING":"hi","SHARDS":"4"})"), ErrorCode::invalid_input,
                     "parameters.SHARDS");
  EXPECT_ERROR_FIELD(resolve(R"({"GREETING":"hi","SHARDS":4.5})"), ErrorCode::invalid_input,
                     "parameters.SHARDS");
  EXPECT_ERROR_FIELD(resolve(R"({"GREETING":"hi","SHARDS":null})"), ErrorCode::invalid_input,
                     "parameters.SHARDS");
  EXPECT_ERROR_FIELD(resolve(R"({"GREETING":"hi","TARGET":1})"), ErrorCode::invalid_input,
                     "parameters.TARGET");
  EXPECT_ERROR_FIELD(resolve(R"({"GREETING":"a\u0000b"})"), ErrorCode::invalid_input,
                     "parameters.GREETING");
}

TEST_F(ResolveParameters, ChoiceOutsideTheListIsRefused) {
  auto result = resolve(R"({"GREETING":"hi","TARGET":"profile"})");
  ASSERT_ERROR(result, ErrorCode::invalid_input);
  EXPECT_EQ(result.error().field, "parameters.TARGET");
  EXPECT_NE(result.error().message.find("debug, release"), std::string::npos)
      << result.error().message;
}

TEST_F(ResolveParameters, ParametersMustBeAnObject) {
  EXPECT_ERROR_FIELD(resolve(R"(["GREETING"])"), ErrorCode::invalid_input, "parameters");
  EXPECT_ERROR_FIELD(resolve(R"("GREETING=hi")"), ErrorCode::invalid_input, "parameters");
}

} // namespace
} // namespace cicd::model
