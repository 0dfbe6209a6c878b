#include "cicd/config/repo_config.hpp"

#include "support/error_assertions.hpp"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>
#include <string>
#include <vector>

namespace cicd::config {
namespace {

using model::ImageBuild;
using model::ImageSource;
using model::ResultSpec;
using model::ResultType;
using model::RunSpec;
using Strings = std::map<std::string, std::string>;

Result<RunSpec> parse(const std::string& yaml, const std::string& entry = "") {
  return parse_repo_config(yaml, ".cicd.yml", entry);
}

// Checks that `result` is refused the documented way: unprocessable, Error::field = `field`,
// the message starting ".cicd.yml:<line>: " and naming the field, and holding `fragment`.
::testing::AssertionResult refused(const Result<RunSpec>& result, int line,
                                   const std::string& field, const std::string& fragment = "") {
  if (result) {
    return ::testing::AssertionFailure() << "accepted, expected an error on '" << field << "'";
  }
  const auto& error = result.error();
  auto prefix = ".cicd.yml:" + std::to_string(line) + ": ";
  bool ok = error.code == ErrorCode::unprocessable && error.field == field &&
            error.message.starts_with(prefix) &&
            (field.empty() || error.message.find("'" + field + "'") != std::string::npos) &&
            error.message.find(fragment) != std::string::npos;
  if (ok) {
    return ::testing::AssertionSuccess();
  }
  return ::testing::AssertionFailure()
         << "got " << test::error_code_name(error.code) << " on '" << error.field
         << "': " << error.message << "\nexpected unprocessable on '" << field << "', starting '"
         << prefix << "', holding '" << fragment << "'";
}

// The fenced blocks of docs/config.md, in order, each with whether the line above marks it as
// read by this test.
struct DocBlock {
  bool tested = false;
  std::string text;
};

std::vector<DocBlock> documentation_blocks() {
  auto path = std::filesystem::path(__FILE__).parent_path() / "../../docs/config.md";
  std::ifstream in(path);
  EXPECT_TRUE(in) << "cannot read " << path;
  std::vector<DocBlock> blocks;
  std::string line;
  std::string previous;
  bool in_block = false;
  while (std::getline(in, line)) {
    if (!in_block && line.starts_with("```")) {
      blocks.push_back({previous.find("repo_config_test.cpp") != std::string::npos, ""});
      in_block = true;
    } else if (in_block && line == "```") {
      in_block = false;
    } else if (in_block) {
      blocks.back().text += line + "\n";
    }
    previous = line;
  }
  return blocks;
}

// The blocks marked as read by this test: the complete example, the several jobs, the error.
std::vector<std::string> tested_examples() {
  std::vector<std::string> examples;
  for (const auto& block : documentation_blocks()) {
    if (block.tested) {
      examples.push_back(block.text);
    }
  }
  return examples;
}

// ---- the documentation's examples ---------------------------------------------------------

TEST(RepoConfigDocs, CompleteExampleReadsAsDocumented) {
  auto examples = tested_examples();
  ASSERT_EQ(examples.size(), 3u);
  auto spec = parse(examples[0]);
  ASSERT_OK(spec);
  EXPECT_EQ(spec->image,
            ImageSource(ImageBuild{"Dockerfile", ".", "test", {{"PYTHON_VERSION", "3.12"}}}));
  EXPECT_EQ(spec->script, "pip check\n"
                          "pytest --junitxml=build/junit.xml --cov=app "
                          "--cov-report=xml:build/coverage.xml\n"
                          "./scripts/upload-coverage build/coverage.xml");
  EXPECT_EQ(spec->workdir, "/workspace");
  EXPECT_EQ(spec->user, "");
  EXPECT_EQ(spec->env, (Strings{{"DATABASE_URL", "postgresql://app:app@db:5432/app"},
                                {"PAYMENTS_URL", "http://payments:8080"},
                                {"PYTHONDONTWRITEBYTECODE", "1"}}));
  ASSERT_EQ(spec->services.size(), 2u);
  const auto& db = spec->services.at("db");
  EXPECT_EQ(db.image, ImageSource("postgres:16"));
  EXPECT_EQ(
      db.env,
      (Strings{{"POSTGRES_DB", "app"}, {"POSTGRES_PASSWORD", "app"}, {"POSTGRES_USER", "app"}}));
  EXPECT_EQ(db.port, 5432);
  const auto& payments = spec->services.at("payments");
  EXPECT_EQ(payments.image, ImageSource(ImageBuild{"Dockerfile", "tests/payments-stub", "", {}}));
  EXPECT_EQ(payments.args, (std::vector<std::string>{"--listen", "0.0.0.0:8080"}));
  EXPECT_EQ(payments.port, 8080);
  EXPECT_EQ(spec->secrets, std::vector<std::string>{"CODECOV_TOKEN"});
  EXPECT_EQ(spec->timeout, "20m");
  EXPECT_EQ(spec->resource_class, "default");
  EXPECT_EQ(spec->results, (std::map<std::string, ResultSpec>{
                               {"junit", {"build/junit.xml", ResultType::junit}},
                               {"coverage", {"build/coverage.xml", ResultType::file}}}));
}

TEST(RepoConfigDocs, SeveralJobsExampleReadsEachEntry) {
  auto examples = tested_examples();
  ASSERT_EQ(examples.size(), 3u);
  const auto& file = examples[1];
  ImageSource test_stage = ImageBuild{"Dockerfile", ".", "test", {}};

  auto unit = parse(file, "unit");
  ASSERT_OK(unit);
  EXPECT_EQ(unit->image, test_stage);
  EXPECT_EQ(unit->timeout, "15m");
  EXPECT_EQ(unit->script, "pytest tests/unit --junitxml=build/junit.xml");
  EXPECT_EQ(unit->results.at("junit"), (ResultSpec{"build/junit.xml", ResultType::junit}));

  auto lint = parse(file, "lint");
  ASSERT_OK(lint);
  EXPECT_EQ(lint->image, test_stage);
  EXPECT_EQ(lint->timeout, "5m") << "the job's own key wins over the merged one";
  EXPECT_EQ(lint->script, "ruff check .\nmypy app");

  auto docs = parse(file, "docs");
  ASSERT_OK(docs);
  EXPECT_EQ(docs->image, ImageSource("python:3.12-slim"));
  EXPECT_EQ(docs->timeout, "");

  EXPECT_TRUE(refused(parse(file), 5, "jobs", "several jobs (unit, lint, docs)"));
  EXPECT_TRUE(refused(parse(file, "deploy"), 5, "jobs",
                      "no job named 'deploy' (the job's entry in the API); the file defines: "
                      "unit, lint, docs"));
}

TEST(RepoConfigDocs, ErrorExampleGivesTheDocumentedMessage) {
  auto blocks = documentation_blocks();
  auto example = std::find_if(blocks.begin(), blocks.end(), [](const DocBlock& block) {
    return block.tested && block.text.find("ports:") != std::string::npos;
  });
  ASSERT_NE(example, blocks.end());
  ASSERT_NE(example + 1, blocks.end()) << "the message follows the example";
  auto result = parse(example->text);
  ASSERT_FALSE(result);
  EXPECT_EQ(result.error().message + "\n", (example + 1)->text);
  EXPECT_EQ(result.error().field, "services.db.ports");
}

// ---- accepted -----------------------------------------------------------------------------

TEST(RepoConfig, MinimalFileGetsTheDefaults) {
  auto spec = parse("image: debian:12\nscript: make test\n");
  ASSERT_OK(spec);
  RunSpec expected;
  expected.image = "debian:12";
  expected.script = "make test";
  EXPECT_EQ(*spec, expected);
}

TEST(RepoConfig, ImageIsANameOrABuildWithTargetAndBuildArgs) {
  auto named = parse("image: registry.example.org:5000/ci/base:3\nscript: x\n");
  ASSERT_OK(named);
  EXPECT_EQ(named->image, ImageSource("registry.example.org:5000/ci/base:3"));

  auto build = parse("image:\n"
                     "  dockerfile: docker/app.Dockerfile\n"
                     "  context: src\n"
                     "  target: test\n"
                     "  buildArgs: {BASE: 'debian:12', JOBS: 4}\n"
                     "script: x\n");
  ASSERT_OK(build);
  EXPECT_EQ(build->image,
            ImageSource(ImageBuild{
                "docker/app.Dockerfile", "src", "test", {{"BASE", "debian:12"}, {"JOBS", "4"}}}));

  auto defaults = parse("image: {target: test}\nscript: x\n");
  ASSERT_OK(defaults);
  EXPECT_EQ(defaults->image, ImageSource(ImageBuild{"Dockerfile", ".", "test", {}}));
}

TEST(RepoConfig, ScriptIsAStringOrLinesJoinedWithNewlines) {
  auto list = parse("image: x\nscript:\n  - make deps\n  - make test\n");
  ASSERT_OK(list);
  EXPECT_EQ(list->script, "make deps\nmake test");

  auto block = parse("image: x\nscript: |\n  set -x\n  make test\n");
  ASSERT_OK(block);
  EXPECT_EQ(block->script, "set -x\nmake test\n");
}

TEST(RepoConfig, ScalarsAreTheirTextWhateverYamlWouldMakeOfThem) {
  auto spec = parse("image: x\n"
                    "script: x\n"
                    "user: 1000\n"
                    "env: {PORT: 5432, DEBUG: true, VERBOSE: on, VERSION: 3.10, MASK: 0x1F,\n"
                    "      EMPTY: '', QUOTED: \"null\"}\n"
                    "secrets: API_KEY\n"
                    "services:\n"
                    "  db: {image: postgres:16, port: '5432', env: {A: no}}\n");
  ASSERT_OK(spec);
  EXPECT_EQ(spec->user, "1000");
  EXPECT_EQ(spec->env, (Strings{{"PORT", "5432"},
                                {"DEBUG", "true"},
                                {"VERBOSE", "on"},
                                {"VERSION", "3.10"},
                                {"MASK", "0x1F"},
                                {"EMPTY", ""},
                                {"QUOTED", "null"}}));
  EXPECT_EQ(spec->secrets, std::vector<std::string>{"API_KEY"});
  EXPECT_EQ(spec->services.at("db").port, 5432);
  EXPECT_EQ(spec->services.at("db").env, (Strings{{"A", "no"}}));
}

TEST(RepoConfig, OnlyJobUnderJobsNeedsNoEntry) {
  auto spec = parse("jobs:\n  unit:\n    image: x\n    script: make test\n");
  ASSERT_OK(spec);
  EXPECT_EQ(spec->script, "make test");
  EXPECT_OK(parse("jobs:\n  unit:\n    image: x\n    script: make test\n", "unit"));
}

TEST(RepoConfig, ExtensionKeysHoldAnchorsAndAreIgnored) {
  auto spec = parse("x-env: &env {LANG: C.UTF-8}\n"
                    "x-anything: [1, {2: 3}]\n"
                    "image: x\n"
                    "script: x\n"
                    "env: *env\n");
  ASSERT_OK(spec);
  EXPECT_EQ(spec->env, (Strings{{"LANG", "C.UTF-8"}}));
}

TEST(RepoConfig, MergedMapsGiveWayToOwnKeysThenToEarlierMerges) {
  auto spec = parse("x-a: &a {image: a, timeout: 1m, user: a}\n"
                    "x-b: &b {image: b, timeout: 2m, workdir: /b}\n"
                    "jobs:\n"
                    "  unit:\n"
                    "    <<: [*a, *b]\n"
                    "    user: own\n"
                    "    script: x\n");
  ASSERT_OK(spec);
  EXPECT_EQ(spec->image, ImageSource("a"));
  EXPECT_EQ(spec->timeout, "1m");
  EXPECT_EQ(spec->user, "own");
  EXPECT_EQ(spec->workdir, "/b");
}

TEST(RepoConfig, OnlyTheSelectedJobIsChecked) {
  auto spec = parse("jobs:\n"
                    "  unit: {image: x, script: make test}\n"
                    "  broken: {image: x, scritp: typo}\n",
                    "unit");
  EXPECT_OK(spec);
}

// ---- refused ------------------------------------------------------------------------------

// Found by test/fuzz/repo_config_fuzz.cpp: yaml-cpp 0.7's LoadAll never returned on a ',' at
// the top level, taking memory without end (upstream issue #1040).
TEST(RepoConfig, ACommaAtTheTopLevelIsRefusedAndDoesNotHang) {
  EXPECT_TRUE(refused(parse(","), 1, "", "this is not valid YAML (column 1): unexpected ','"));
  EXPECT_TRUE(refused(parse("# a comment\n ,a\n"), 2, "", "unexpected ','"));
  EXPECT_TRUE(refused(parse("\n,x-env: &env {A: st]\nimage: x\n"), 2, "", "not valid YAML"));
}

TEST(RepoConfig, FileThatIsNoJobIsRefused) {
  EXPECT_TRUE(refused(parse(""), 1, "", "the file is empty"));
  EXPECT_TRUE(refused(parse("# nothing yet\n"), 1, "", "the file is empty"));
  EXPECT_TRUE(refused(parse("- image: x\n- script: y\n"), 1, "", "not a list"));
  EXPECT_TRUE(refused(parse("make test\n"), 1, "", "not a single value"));
  EXPECT_TRUE(
      refused(parse("image: x\nscript: y\n---\nimage: z\n"), 4, "", "a second YAML document"));
}

TEST(RepoConfig, YamlSyntaxErrorNamesItsLine) {
  auto result = parse_repo_config("image: x\nscript: make: test\n", "ci/cicd.yml", "");
  ASSERT_ERROR(result, ErrorCode::unprocessable);
  EXPECT_EQ(result.error().message,
            "ci/cicd.yml:2: this is not valid YAML (column 13): illegal map value");
  EXPECT_TRUE(refused(parse("image: x\nscript: y\n  env: z\n"), 3, "", "not valid YAML"));
  EXPECT_TRUE(refused(parse("image: x\nscript: *nope\n"), 2, "", "anchor is not defined"));
}

TEST(RepoConfig, BytesThatAreNotUtf8AreRefused) {
  EXPECT_TRUE(refused(parse("image: x\nscript: \xff\n"), 2, "", "UTF-8"));
  EXPECT_TRUE(refused(parse(std::string("image: x\n\nscript: a\0b\n", 20)), 3, "", "NUL"));
}

TEST(RepoConfig, UnknownKeysAreRefusedWithTheAllowedOnes) {
  EXPECT_TRUE(refused(parse("image: x\nscript: y\nservices: {}\nservics: {}\n"), 4, "servics",
                      "expected one of: image, script, workdir, user, env, services, secrets, "
                      "timeout, resourceClass, results"));
  EXPECT_TRUE(refused(parse("image: x\nscript: y\nservices:\n  db:\n    image: pg\n"
                            "    healthcheck: pg_isready\n"),
                      6, "services.db.healthcheck", "image, command, args, env, port"));
  EXPECT_TRUE(refused(parse("image: {dockerfile: D, args: {A: 1}}\nscript: y\n"), 1, "image.args",
                      "dockerfile, context, target, buildArgs"));
  EXPECT_TRUE(refused(parse("image: x\nscript: y\nresults:\n  r: {path: a, kind: dir}\n"), 4,
                      "results.r.kind", "path, type"));
  EXPECT_TRUE(
      refused(parse("image: x\nscript: y\nparameters: {A: {type: bool}}\n"), 3, "parameters"));
  EXPECT_TRUE(refused(parse("jobs:\n  unit:\n    image: x\n    script: y\n    imag: z\n"), 5,
                      "jobs.unit.imag"));
}

TEST(RepoConfig, WrongTypesAreRefusedWithTheExpectedOne) {
  struct Case {
    std::string yaml;
    int line;
    std::string field;
    std::string fragment;
  };
  std::vector<Case> cases = {
      {"image: x\nscript: {a: 1}\n", 2, "script", "must be a list, not a map"},
      {"image: x\nscript: y\ntimeout: [1]\n", 3, "timeout", "must be a string, not a list"},
      {"image: [x]\nscript: y\n", 1, "image", "image name string or a map"},
      {"image: x\nscript: y\nenv: [A=1]\n", 3, "env", "must be a map, not a list"},
      {"image: x\nscript: y\nenv:\n  A: {b: c}\n", 4, "env.A", "must be a string, not a map"},
      {"image: x\nscript: y\nsecrets: {A: b}\n", 3, "secrets", "must be a list"},
      {"image: x\nscript: y\nservices: db\n", 3, "services", "must be a map, not a string"},
      {"image: x\nscript: y\nservices:\n  db:\n    image: pg\n    command: {a: b}\n", 6,
       "services.db.command", "must be a list"},
      {"image: x\nscript: y\nservices:\n  db: {image: pg, port: http}\n", 4, "services.db.port",
       "must be an integer"},
      {"image: x\nscript: y\nservices:\n  db: {image: pg, port: 70000}\n", 4, "services.db.port",
       "between 1 and 65535"},
      {"image: x\nscript: y\nresults:\n  r: build/out\n", 4, "results.r", "must be a map"},
      {"image: x\nscript: y\nresults:\n  r: {path: a, type: xml}\n", 4, "results.r.type",
       "junit, file, dir"},
      {"jobs: [unit, lint]\n", 1, "jobs", "map of job names"},
      {"jobs:\n  unit: make test\n", 2, "jobs.unit", "must be a map, not a string"},
  };
  for (const auto& c : cases) {
    EXPECT_TRUE(refused(parse(c.yaml), c.line, c.field, c.fragment)) << c.yaml;
  }
}

TEST(RepoConfig, EmptyValuesAreRefusedRatherThanDefaulted) {
  EXPECT_TRUE(refused(parse("image: x\nscript: y\nuser:\nenv: {}\n"), 3, "user",
                      "leave the key out to get its default"));
  EXPECT_TRUE(refused(parse("image: x\nscript: y\nenv:\n  A: ~\n"), 4, "env.A"));
  // An empty item has no line of its own in yaml-cpp: the list's line is given.
  EXPECT_TRUE(refused(parse("image: x\nscript:\n  - make\n  -\n"), 2, "script[1]"));
  EXPECT_TRUE(refused(parse("jobs:\n  unit:\n"), 2, "jobs.unit"));
}

TEST(RepoConfig, MissingRequiredKeysAreNamed) {
  EXPECT_TRUE(refused(parse("script: y\n"), 1, "image", "is required"));
  EXPECT_TRUE(refused(parse("jobs:\n  lint:\n    image: x\n  unit:\n    image: x\n", "unit"), 4,
                      "jobs.unit.script", "is required"));
  EXPECT_TRUE(refused(parse("image: x\nscript: []\n"), 2, "script", "is empty"));
  EXPECT_TRUE(refused(parse("image: x\nscript: y\nservices:\n  db: {port: 5432}\n"), 4,
                      "services.db.image", "is required"));
}

TEST(RepoConfig, KeysAreSetOnceAndArePlainNames) {
  EXPECT_TRUE(refused(parse("image: x\nscript: y\nimage: z\n"), 3, "image", "first on line 1"));
  EXPECT_TRUE(refused(parse("image: x\nscript: y\nenv: {A: 1, A: 2}\n"), 3, "env.A"));
  EXPECT_TRUE(refused(parse("jobs:\n  unit: {image: x, script: y}\n  unit: {}\n", "unit"), 3,
                      "jobs.unit", "first on line 2"));
  EXPECT_TRUE(refused(parse("image: x\nscript: y\nenv:\n  [A, B]: 1\n"), 4, "env",
                      "a list or a map as a key"));
  EXPECT_TRUE(refused(parse("image: x\nscript: y\n? [a]\n: b\n"), 3, "",
                      "the file has a list or a map as a key"));
}

TEST(RepoConfig, NamesFollowTheModelsRules) {
  EXPECT_TRUE(refused(parse("image: x\nscript: y\nenv: {1A: x}\n"), 3, "env.1A"));
  EXPECT_TRUE(
      refused(parse("image: x\nscript: y\nenv: {PATH: /bin}\n"), 3, "env.PATH", "reserved"));
  EXPECT_TRUE(refused(parse("image: x\nscript: y\nsecrets: [OK, not-ok]\n"), 3, "secrets[1]"));
  EXPECT_TRUE(
      refused(parse("image: x\nscript: y\nservices:\n  DB: {image: pg}\n"), 4, "services.DB"));
  EXPECT_TRUE(refused(parse("image: x\nscript: y\nresults:\n  console: {path: log}\n"), 4,
                      "results.console", "reserved"));
  EXPECT_TRUE(
      refused(parse("image: x\nscript: y\ntimeout: 5x\n"), 3, "timeout", "is not a duration"));
  EXPECT_TRUE(refused(parse("image: x\nscript: y\nresourceClass: Big\n"), 3, "resourceClass"));
  EXPECT_TRUE(refused(parse("jobs:\n  Unit Tests: {image: x, script: y}\n"), 2, "jobs.Unit Tests",
                      "not a valid name"));
}

TEST(RepoConfig, PathsStayInsideTheWorkspace) {
  for (std::string path : {"/etc/passwd", "../secrets", "build/../../x", ".."}) {
    EXPECT_TRUE(refused(parse("image: x\nscript: y\nresults:\n  r:\n    path: " + path + "\n"), 5,
                        "results.r.path", "relative path"))
        << path;
  }
  EXPECT_TRUE(
      refused(parse("image: {dockerfile: /Dockerfile}\nscript: y\n"), 1, "image.dockerfile"));
  EXPECT_TRUE(refused(parse("image: {context: ../other}\nscript: y\n"), 1, "image.context"));
  EXPECT_TRUE(refused(parse("image: x\nscript: y\nworkdir: src\n"), 3, "workdir", "absolute"));
}

TEST(RepoConfig, IsolationEscapesAreRefusedWithTheReason) {
  EXPECT_TRUE(refused(parse("image: x\nscript: y\nprivileged: true\n"), 3, "privileged",
                      "never runs privileged containers"));
  EXPECT_TRUE(refused(parse("image: x\nscript: y\nservices:\n  db:\n    image: pg\n"
                            "    privileged: true\n"),
                      6, "services.db.privileged", "never runs privileged containers"));
  EXPECT_TRUE(refused(parse("image: x\nscript: y\nservices:\n  db:\n    image: pg\n"
                            "    volumes: [/var/run/docker.sock:/var/run/docker.sock]\n"),
                      6, "services.db.volumes", "Docker socket"));
  EXPECT_TRUE(
      refused(parse("jobs:\n  unit:\n    image: x\n    script: y\n    network_mode: host\n"), 5,
              "jobs.unit.network_mode", "private network"));
}

TEST(RepoConfig, EntryMustMatchTheFilesForm) {
  EXPECT_TRUE(
      refused(parse("image: x\nscript: y\n", "unit"), 1, "", "the file defines a single job"));
  EXPECT_TRUE(refused(parse("image: x\njobs:\n  unit: {image: x, script: y}\n", "unit"), 1, "image",
                      "cannot sit next to 'jobs'"));
  EXPECT_TRUE(refused(parse("jobs: {}\n"), 1, "jobs", "at least one job"));
}

TEST(RepoConfig, ErrorsThroughAnAliasPointAtTheAnchoredValue) {
  EXPECT_TRUE(refused(parse("x-db: &db\n"
                            "  image: pg\n"
                            "  port: none\n"
                            "image: x\n"
                            "script: y\n"
                            "services:\n"
                            "  db: *db\n"),
                      3, "services.db.port", "must be an integer"));
  EXPECT_TRUE(refused(parse("x-a: &a {image: x}\njobs:\n  unit:\n    <<: *a\n    <<: *a\n"
                            "    script: y\n"),
                      5, "jobs.unit.<<", "set twice"));
  EXPECT_TRUE(refused(parse("image: x\nscript: y\nenv:\n  <<: just text\n"), 4, "env.<<",
                      "a list of maps, to merge"));
}

// ---- bounded expansion --------------------------------------------------------------------

// The "billion laughs": ten levels of lists of nine aliases of the level below, 9^9 strings
// once expanded, in 11 lines.
std::string billion_laughs() {
  std::ostringstream yaml;
  yaml << "x-l0: &l0 lol\n";
  for (int level = 1; level <= 9; ++level) {
    yaml << "x-l" << level << ": &l" << level << " [";
    for (int i = 0; i < 9; ++i) {
      yaml << (i == 0 ? "" : ", ") << "*l" << level - 1;
    }
    yaml << "]\n";
  }
  yaml << "image: x\nscript: y\nenv: {A: 1}\n";
  return yaml.str();
}

TEST(RepoConfigLimits, BillionLaughsIsRefused) {
  auto result = parse(billion_laughs());
  ASSERT_ERROR(result, ErrorCode::unprocessable);
  EXPECT_NE(result.error().message.find("expands to more than 100000 nodes (anchors and "
                                        "aliases)"),
            std::string::npos)
      << result.error().message;
  EXPECT_TRUE(result.error().field.starts_with("x-l")) << result.error().field;
}

TEST(RepoConfigLimits, LongValueAliasedManyTimesIsRefused) {
  std::string yaml = "x-long: &long '" + std::string(1024 * 1024, 'x') + "'\nx-many: [";
  for (int i = 0; i < 10; ++i) {
    yaml += "*long, ";
  }
  yaml += "*long]\nimage: x\nscript: y\n";
  EXPECT_TRUE(refused(parse(yaml), 1, "x-many[6]", "more than 8 MiB of text"));
}

std::string repeated(const std::string& text, int times) {
  std::string result;
  for (int i = 0; i < times; ++i) {
    result += text;
  }
  return result;
}

TEST(RepoConfigLimits, MapHoldingItsOwnAliasIsRefused) {
  EXPECT_TRUE(refused(parse("x-loop: &loop {next: *loop}\nimage: x\nscript: y\n"), 1,
                      "x-loop" + repeated(".next", 32), "nested deeper than 32 levels"));
  EXPECT_TRUE(refused(parse("x-loop: &loop {<<: *loop}\nimage: x\nscript: y\n"), 1,
                      "x-loop" + repeated(".<<", 32), "nested deeper than 32 levels"));
}

TEST(RepoConfigLimits, DeepNestingIsRefused) {
  std::string nested = repeated("[", 40) + repeated("]", 40);
  EXPECT_TRUE(refused(parse("image: x\nscript: y\nenv: " + nested + "\n"), 3,
                      "env" + repeated("[0]", 32), "nested deeper than 32 levels"));
  // Deeper than yaml-cpp itself parses.
  std::string deeper = repeated("[", 5000) + repeated("]", 5000);
  EXPECT_TRUE(
      refused(parse("image: x\nscript: y\nenv: " + deeper + "\n"), 3, "", "not valid YAML"));
}

} // namespace
} // namespace cicd::config
