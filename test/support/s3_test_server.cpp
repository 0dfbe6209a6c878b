#include "support/s3_test_server.hpp"

#include "support/cicd_process.hpp"
#include "support/http_client.hpp"

#include <gtest/gtest.h>

#include <openssl/evp.h>
#include <rapidjson/document.h>

#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <cstdlib>
#include <fstream>
#include <random>
#include <sstream>
#include <thread>

namespace cicd::test {
namespace fs = std::filesystem;
using namespace std::chrono_literals;

namespace {

std::string env(const char* name) {
  const char* value = std::getenv(name);
  return value != nullptr ? value : "";
}

bool running_under_ci() {
  auto ci = env("CI");
  return ci == "true" || ci == "1";
}

// void so that FAIL() and GTEST_SKIP() can end it.
void report_missing(const std::string& message) {
  if (running_under_ci()) {
    FAIL() << message;
  }
  GTEST_SKIP() << "\n*** SKIPPED: " << message << " ***\n";
}

std::string read_text(const fs::path& file) {
  std::ifstream in(file, std::ios::binary);
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

rapidjson::Document parse(const std::string& text, const std::string& what) {
  rapidjson::Document document;
  document.Parse(text.c_str());
  if (document.HasParseError() || !document.IsObject()) {
    ADD_FAILURE() << what << " printed no JSON object: " << text;
    document.SetObject();
  }
  return document;
}

std::int64_t int_member(const rapidjson::Value& object, const char* name) {
  return object.HasMember(name) && object[name].IsInt64() ? object[name].GetInt64() : 0;
}

std::string string_member(const rapidjson::Value& object, const char* name) {
  return object.HasMember(name) && object[name].IsString() ? object[name].GetString() : "";
}

HttpClient admin_client(const S3TestServer& server) {
  auto colon = server.admin.rfind(':');
  return HttpClient(server.admin.substr(0, colon),
                    static_cast<std::uint16_t>(std::stoi(server.admin.substr(colon + 1))));
}

std::string percent_encode_prefix(std::string_view prefix) {
  static constexpr char k_digits[] = "0123456789ABCDEF";
  std::string out;
  for (char c : prefix) {
    auto byte = static_cast<unsigned char>(c);
    bool plain = (byte >= 'A' && byte <= 'Z') || (byte >= 'a' && byte <= 'z') ||
                 (byte >= '0' && byte <= '9') || byte == '-' || byte == '.' || byte == '_' ||
                 byte == '~' || byte == '/';
    if (plain) {
      out += c;
    } else {
      out += '%';
      out += k_digits[byte >> 4];
      out += k_digits[byte & 0x0f];
    }
  }
  return out;
}

} // namespace

std::string S3TestServer::url(std::string_view prefix) const {
  return "s3://" + bucket + "/" + percent_encode_prefix(prefix) + "?endpoint=" + endpoint;
}

std::optional<S3TestServer> test_s3_server() {
  S3TestServer server;
  server.endpoint = env("CICD_TEST_S3_ENDPOINT");
  server.bucket = env("CICD_TEST_S3_BUCKET");
  server.access_key = env("CICD_TEST_S3_ACCESS_KEY");
  server.secret_key = env("CICD_TEST_S3_SECRET_KEY");
  server.admin = env("CICD_TEST_S3_ADMIN");
  server.client = env("CICD_TEST_S3_CLIENT");
  if (server.endpoint.empty() || server.bucket.empty() || server.access_key.empty() ||
      server.secret_key.empty() || server.admin.empty() || server.client.empty()) {
    report_missing("CICD_TEST_S3_ENDPOINT and its companions are not set: run the tests with "
                   "scripts/test, which starts the test S3 server (scripts/lib/s3.sh)");
    return std::nullopt;
  }
  return server;
}

ProgramOutput run_program(const std::vector<std::string>& argv) {
  TempDir dir("cicd-program");
  auto out = dir.path() / "stdout";
  auto err = dir.path() / "stderr";
  ProgramOutput result;
  pid_t pid = spawn_process(argv, out, err);
  if (pid < 0) {
    ADD_FAILURE() << "cannot start " << argv.front();
    return result;
  }
  auto deadline = std::chrono::steady_clock::now() + 120s;
  int status = 0;
  for (;;) {
    pid_t done = ::waitpid(pid, &status, WNOHANG);
    if (done == pid) {
      result.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
      break;
    }
    if (std::chrono::steady_clock::now() > deadline) {
      ::kill(pid, SIGKILL);
      ::waitpid(pid, &status, 0);
      ADD_FAILURE() << argv.front() << " did not finish within 120 s";
      break;
    }
    std::this_thread::sleep_for(10ms);
  }
  result.out = read_text(out);
  result.err = read_text(err);
  return result;
}

StoredObject read_back(const S3TestServer& server, const std::string& key) {
  auto output = run_program({"node", "--no-warnings", server.client, "get", key});
  EXPECT_EQ(output.exit_code, 0) << output.err;
  auto document = parse(output.out, "read_back.mjs get");
  StoredObject object;
  object.missing = document.HasMember("missing");
  object.size = int_member(document, "size");
  object.sha256 = string_member(document, "sha256");
  object.content_type = string_member(document, "contentType");
  return object;
}

std::vector<std::string> list_keys(const S3TestServer& server, const std::string& prefix) {
  auto output = run_program({"node", "--no-warnings", server.client, "list", prefix});
  EXPECT_EQ(output.exit_code, 0) << output.err;
  auto document = parse(output.out, "read_back.mjs list");
  std::vector<std::string> keys;
  if (document.HasMember("keys") && document["keys"].IsArray()) {
    for (const auto& key : document["keys"].GetArray()) {
      keys.emplace_back(key.GetString());
    }
  }
  return keys;
}

FrontStats front_stats(const S3TestServer& server, std::string_view scope) {
  auto response = admin_client(server).request(boost::beast::http::verb::get,
                                               "/stats?scope=" + percent_encode_prefix(scope));
  EXPECT_EQ(response.status, 200) << response.body;
  auto document = parse(response.body, "GET /stats");
  FrontStats stats;
  stats.requests = int_member(document, "requests");
  stats.refused = int_member(document, "refused");
  stats.resets = int_member(document, "resets");
  stats.injected = int_member(document, "injected");
  stats.stalled = int_member(document, "stalled");
  stats.pending_uploads = int_member(document, "pendingUploads");
  return stats;
}

void inject_fault(const S3TestServer& server, std::string_view scope, const std::string& query) {
  auto response =
      admin_client(server).request(boost::beast::http::verb::post,
                                   "/faults?scope=" + percent_encode_prefix(scope) + "&" + query);
  EXPECT_EQ(response.status, 200) << response.body;
}

void clear_faults(const S3TestServer& server, std::string_view scope) {
  auto response = admin_client(server).request(
      boost::beast::http::verb::post, "/faults/clear?scope=" + percent_encode_prefix(scope));
  EXPECT_EQ(response.status, 200) << response.body;
}

std::string unique_prefix(std::string_view name) {
  static std::atomic<int> counter{0};
  return std::string(name) + "-" + std::to_string(::getpid()) + "-" + std::to_string(++counter) +
         "/";
}

std::string write_test_file(const fs::path& file, std::int64_t size, std::uint32_t seed) {
  std::ofstream out(file, std::ios::binary | std::ios::trunc);
  std::mt19937_64 random(seed);
  std::vector<std::uint64_t> block(64 * 1024 / sizeof(std::uint64_t));
  Sha256Stream hash;
  while (size > 0) {
    for (auto& word : block) {
      word = random();
    }
    auto bytes = static_cast<std::size_t>(
        std::min<std::int64_t>(size, static_cast<std::int64_t>(block.size() * 8)));
    std::string_view piece(reinterpret_cast<const char*>(block.data()), bytes);
    out.write(piece.data(), static_cast<std::streamsize>(piece.size()));
    hash.add(piece);
    size -= static_cast<std::int64_t>(bytes);
  }
  EXPECT_TRUE(out.good()) << "cannot write " << file;
  return hash.hex();
}

Sha256Stream::Sha256Stream() : m_context(EVP_MD_CTX_new()) {
  EVP_DigestInit_ex(static_cast<EVP_MD_CTX*>(m_context), EVP_sha256(), nullptr);
}

Sha256Stream::~Sha256Stream() {
  EVP_MD_CTX_free(static_cast<EVP_MD_CTX*>(m_context));
}

void Sha256Stream::add(std::string_view bytes) {
  EVP_DigestUpdate(static_cast<EVP_MD_CTX*>(m_context), bytes.data(), bytes.size());
}

std::string Sha256Stream::hex() {
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int length = 0;
  EVP_DigestFinal_ex(static_cast<EVP_MD_CTX*>(m_context), digest, &length);
  static constexpr char k_digits[] = "0123456789abcdef";
  std::string text;
  for (unsigned i = 0; i < length; ++i) {
    text += k_digits[digest[i] >> 4];
    text += k_digits[digest[i] & 0x0f];
  }
  return text;
}

} // namespace cicd::test
