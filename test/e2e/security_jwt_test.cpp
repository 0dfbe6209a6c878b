// Issue 11, security tests of token checking on a master whose --jwt-key is an RSA key (RS256),
// beside api_auth_test.cpp's HS256 master: the HS/RS confusion (an HMAC made with the public
// key, which an attacker has), alg "none", expired, not yet valid and tampered RS256 tokens are
// 401 with a Bearer challenge and change nothing; a read token cannot trigger (403). The master
// has no issuer or audience setting, so there is nothing of that kind to test. Good RS256
// tokens come from `cicd master token create`; forged ones are signed with the openssl CLI.
#include "api_fixture.hpp"

#include "support/jwt_forge.hpp"
#include "support/s3_test_server.hpp" // run_program

#include <ctime>
#include <fstream>
#include <sstream>

namespace cicd::test {
namespace {

std::string read_file(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

std::int64_t now() {
  return static_cast<std::int64_t>(std::time(nullptr));
}

std::string claims(std::string_view scope, std::int64_t exp, std::string_view extra = {}) {
  return R"({"sub":"mallory","scope":")" + std::string(scope) + R"(","iat":)" +
         std::to_string(now()) + R"(,"exp":)" + std::to_string(exp) + std::string(extra) + "}";
}

class SecurityJwtTest : public testing::Test {
protected:
  void SetUp() override {
    auto generated = run_program({"openssl", "genpkey", "-algorithm", "RSA", "-pkeyopt",
                                  "rsa_keygen_bits:2048", "-out", private_key().string()});
    ASSERT_EQ(generated.exit_code, 0) << generated.err;
    auto exported = run_program({"openssl", "pkey", "-in", private_key().string(), "-pubout",
                                 "-out", public_key().string()});
    ASSERT_EQ(exported.exit_code, 0) << exported.err;
    m_master = std::make_unique<CicdMaster>(
        std::string(), std::vector<std::string>{"--jwt-key", private_key().string()});
  }

  std::filesystem::path private_key() const { return m_keys.path() / "jwt-rsa.pem"; }
  std::filesystem::path public_key() const { return m_keys.path() / "jwt-rsa.pub.pem"; }

  // A token minted by the master's own command with its RSA key.
  std::string minted(std::string_view scope) {
    auto result = run_cicd({"master", "token", "create", "--data-dir",
                            m_master->data_dir().string(), "--jwt-key", private_key().string(),
                            "--sub", "e2e", "--scope", std::string(scope)});
    EXPECT_EQ(result.exit_code, 0) << result.err;
    auto token = result.out;
    while (!token.empty() && (token.back() == '\n' || token.back() == '\r')) {
      token.pop_back();
    }
    return token;
  }

  // header.payload signed RS256 (RSASSA-PKCS1-v1_5, SHA-256) with the master's private key.
  std::string sign_rs256(std::string_view header, std::string_view payload) {
    auto input = base64url(header) + "." + base64url(payload);
    auto input_file = m_keys.path() / "input";
    auto signature_file = m_keys.path() / "signature";
    std::ofstream(input_file, std::ios::binary) << input;
    auto signed_ = run_program({"openssl", "dgst", "-sha256", "-sign", private_key().string(),
                                "-out", signature_file.string(), input_file.string()});
    EXPECT_EQ(signed_.exit_code, 0) << signed_.err;
    return input + "." + base64url(read_file(signature_file));
  }

  HttpResponse put_job_with(const std::string& authorization, std::string_view name) {
    return m_master->client().request(Verb::put, "/jobs/" + std::string(name), k_readme_job,
                                      {{"Authorization", authorization}});
  }

  std::string job_list() {
    return m_master->client()
        .request(Verb::get, "/jobs", {}, {{"Authorization", "Bearer " + minted("read")}})
        .body;
  }

  TempDir m_keys{"cicd-jwt-rsa"};
  std::unique_ptr<CicdMaster> m_master;
};

constexpr std::string_view k_rs256 = R"({"alg":"RS256","typ":"JWT"})";

TEST_F(SecurityJwtTest, GoodRs256TokensAreAcceptedTheControl) {
  EXPECT_EQ(put_job_with("Bearer " + minted("admin"), "minted").status, 201);
  auto forged = sign_rs256(k_rs256, claims("admin", now() + 3600));
  EXPECT_EQ(put_job_with("Bearer " + forged, "forged").status, 201)
      << "the openssl-signed control token was refused: the forging is wrong";
}

TEST_F(SecurityJwtTest, ConfusedUnsignedExpiredEarlyAndTamperedTokensAre401) {
  auto public_pem = read_file(public_key());
  auto trimmed_pem = public_pem.substr(0, public_pem.find_last_not_of('\n') + 1);
  auto good = claims("admin", now() + 3600);
  auto valid = sign_rs256(k_rs256, claims("read", now() + 3600));
  auto first_dot = valid.find('.');
  auto second_dot = valid.find('.', first_dot + 1);
  const std::vector<std::pair<std::string, std::string>> bad = {
      {"HS256 with the public key as the HMAC secret",
       sign_hs256(R"({"alg":"HS256","typ":"JWT"})", good, public_pem)},
      {"HS256 with the trimmed public key", sign_hs256(R"({"alg":"HS256"})", good, trimmed_pem)},
      {"alg RS256 but an HMAC with the public key", sign_hs256(k_rs256, good, public_pem)},
      {"alg none", base64url(R"({"alg":"none"})") + "." + base64url(good) + "."},
      {"alg none with the RS256 signature",
       base64url(R"({"alg":"none"})") + "." + base64url(good) + valid.substr(second_dot)},
      {"expired", sign_rs256(k_rs256, claims("admin", now() - 3600))},
      {"not yet valid", sign_rs256(k_rs256, claims("admin", now() + 7200,
                                                   R"(,"nbf":)" + std::to_string(now() + 3600)))},
      {"no exp", sign_rs256(k_rs256, R"({"sub":"mallory","scope":"admin"})")},
      {"the payload tampered to admin",
       valid.substr(0, first_dot) + "." + base64url(good) + valid.substr(second_dot)},
      {"the signature cut short", valid.substr(0, valid.size() - 8)},
      {"PS256 header on an RS256 signature",
       base64url(R"({"alg":"PS256"})") + valid.substr(first_dot)},
  };
  auto before = job_list();
  for (const auto& [description, token] : bad) {
    auto response = put_job_with("Bearer " + token, "forged");
    EXPECT_TRUE(is_problem(response, 401)) << description;
    EXPECT_TRUE(response.header("WWW-Authenticate").starts_with("Bearer")) << description;
  }
  EXPECT_EQ(job_list(), before);
}

TEST_F(SecurityJwtTest, AReadTokenCannotTriggerAndStartsNothing) {
  ASSERT_EQ(put_job_with("Bearer " + minted("admin"), "unit-test").status, 201);
  auto runs = [&] {
    return m_master->client()
        .request(Verb::get, "/jobs/unit-test/runs", {},
                 {{"Authorization", "Bearer " + minted("read")}})
        .body;
  };
  auto before = runs();
  for (const auto& token : {minted("read"), sign_rs256(k_rs256, claims("read", now() + 600))}) {
    auto response =
        m_master->client().request(Verb::post, "/jobs/unit-test/runs", R"({"branchName":"main"})",
                                   {{"Authorization", "Bearer " + token}});
    EXPECT_TRUE(is_problem(response, 403)) << response.body;
  }
  EXPECT_EQ(runs(), before);
}

} // namespace
} // namespace cicd::test
