// HTTPS (issue 12): `cicd master` and `cicd ui` serving TLS with certificates from a CA the test
// makes (support/test_pki.hpp); TLS 1.0/1.1 refused; plain HTTP to the TLS port; the handshake
// deadline; the clients (`cicd ctl`, and the ui's calls to the master) refusing expired,
// wrong-host and unknown-CA certificates with one clear line; SIGHUP reloading the certificate
// without dropping an open connection, and keeping the old one when the new one is bad; and
// X-Forwarded-Proto believed only from a trusted proxy.
#include "support/cicd_master.hpp"
#include "support/cicd_process.hpp"
#include "support/http_client.hpp"
#include "support/raw_connection.hpp"
#include "support/test_pki.hpp"
#include "support/tls_connection.hpp"

#include "cicd/http/client.hpp"

#include <gtest/gtest.h>

#include <openssl/ssl.h>

#include <signal.h>

#include <cstdlib>
#include <fstream>
#include <thread>

namespace cicd::test {
namespace {
namespace fs = std::filesystem;
using namespace std::chrono_literals;
using boost::beast::http::verb;

testing::AssertionResult contains(const std::string& text, std::string_view needle) {
  if (text.find(needle) != std::string::npos) {
    return testing::AssertionSuccess();
  }
  return testing::AssertionFailure() << "'" << needle << "' is not in:\n" << text;
}

// A serving role (`cicd master`, `ui` or `standalone`) over HTTPS on a free port, up once GET
// /healthz answers over TLS (not verified: the tests of expired and wrong-host certificates
// start servers too).
class TlsServer {
public:
  explicit TlsServer(std::vector<std::string> args) : m_dir("cicd-tls") {
    for (int attempt = 1; attempt <= 3; ++attempt) {
      m_port = free_port();
      auto full = args;
      full.insert(full.end(), {"--listen", "127.0.0.1:" + std::to_string(m_port)});
      m_process = std::make_unique<CicdProcess>(full, m_dir.path() / "server.log");
      auto deadline = std::chrono::steady_clock::now() + 10s;
      while (m_process->running() && std::chrono::steady_clock::now() < deadline) {
        try {
          TlsConnection probe(m_port, TlsConnectionOptions{});
          if (probe.get("/healthz").status == 200) {
            return;
          }
        } catch (const std::exception&) {
          // Not listening yet.
        }
        std::this_thread::sleep_for(50ms);
      }
      bool port_taken = !m_process->running() && contains(log(), "cannot listen");
      m_process->stop();
      if (!port_taken) {
        break;
      }
    }
    throw std::runtime_error("the server did not answer over HTTPS; its log:\n" + log());
  }

  std::uint16_t port() const { return m_port; }
  std::string url() const { return "https://127.0.0.1:" + std::to_string(m_port); }
  pid_t pid() const { return m_process->pid(); }
  bool running() { return m_process->running(); }
  std::string log() const { return m_process->log(); }

  // Waits (10 s at most) until the log holds `text` `count` times.
  bool wait_for_log(std::string_view text, int count = 1) const {
    for (int i = 0; i < 200; ++i) {
      auto all = log();
      int found = 0;
      for (auto at = all.find(text); at != std::string::npos; at = all.find(text, at + 1)) {
        ++found;
      }
      if (found >= count) {
        return true;
      }
      std::this_thread::sleep_for(50ms);
    }
    return false;
  }

private:
  TempDir m_dir;
  std::uint16_t m_port = 0;
  std::unique_ptr<CicdProcess> m_process;
};

class ApiTlsTest : public testing::Test {
protected:
  void SetUp() override {
    m_valid = m_pki.issue("server");
    m_expired = m_pki.issue("expired", CertificateSpec{{"localhost"}, {"127.0.0.1"}, -30, -1});
    m_wrong_host = m_pki.issue("wrong", CertificateSpec{{"other.example"}, {"127.0.0.2"}, -1, 30});
  }

  // `cicd master` on SQLite in its own data dir, serving `cert`.
  std::unique_ptr<TlsServer> start_master(const IssuedCertificate& cert,
                                          std::vector<std::string> extra = {}) {
    std::vector<std::string> args = {"master",
                                     "--data-dir",
                                     m_data.path().string(),
                                     "--tls-cert",
                                     cert.cert_file.string(),
                                     "--tls-key",
                                     cert.key_file.string()};
    args.insert(args.end(), extra.begin(), extra.end());
    return std::make_unique<TlsServer>(args);
  }

  std::string admin_token() {
    if (m_token.empty()) {
      auto result = run_cicd({"master", "token", "create", "--data-dir", m_data.path().string(),
                              "--sub", "tls-admin", "--scope", "admin"});
      EXPECT_EQ(result.exit_code, 0) << result.err;
      m_token = result.out.substr(0, result.out.find_last_not_of("\n") + 1);
    }
    return m_token;
  }

  CommandResult ctl(const TlsServer& server, std::vector<std::string> args) {
    std::vector<std::string> full = {"ctl",
                                     "--server",
                                     server.url(),
                                     "--token",
                                     admin_token(),
                                     "--config",
                                     (m_data.path() / "ctl.yml").string()};
    full.insert(full.end(), args.begin(), args.end());
    return run_cicd(full);
  }

  // A master serving `cert`: ctl refuses it with one line naming `cause` (exit 4), and the ui's
  // pages answer 502 with the same cause.
  void expect_ctl_and_ui_refuse(const IssuedCertificate& cert, const std::string& cause) {
    auto master = start_master(cert);
    auto refused = ctl(*master, {"jobs", "list", "--ca-file", m_pki.ca_file().string()});
    EXPECT_EQ(refused.exit_code, 4);
    EXPECT_TRUE(
        contains(refused.err, "cicd ctl: cannot trust " + master->url() + ": " + cause + "\n"))
        << refused.err;

    std::uint16_t ui_port = 0;
    TempDir ui_dir("cicd-tls-ui");
    auto ui =
        start_serving({"ui", "--server", master->url(), "--ca-file", m_pki.ca_file().string()},
                      ui_dir.path() / "ui.log", ui_port);
    auto page = HttpClient("127.0.0.1", ui_port)
                    .request(verb::get, "/jobs", {}, {{"Cookie", "cicd_session=" + admin_token()}});
    EXPECT_EQ(page.status, 502);
    EXPECT_TRUE(contains(page.body, cause.substr(cause.find("TLS")))) << page.body;
  }

  // Serves `replacement` from the files `cert` names (as a renewal would), atomically.
  static void replace_files(const IssuedCertificate& cert, const IssuedCertificate& replacement) {
    fs::copy_file(replacement.cert_file, cert.cert_file.string() + ".new",
                  fs::copy_options::overwrite_existing);
    fs::copy_file(replacement.key_file, cert.key_file.string() + ".new",
                  fs::copy_options::overwrite_existing);
    fs::rename(cert.cert_file.string() + ".new", cert.cert_file);
    fs::rename(cert.key_file.string() + ".new", cert.key_file);
  }

  TestPki m_pki;
  TempDir m_data{"cicd-tls-data"};
  IssuedCertificate m_valid, m_expired, m_wrong_host;
  std::string m_token;
};

TEST_F(ApiTlsTest, MasterAnswersRealRequestsOverHttpsWithLibcurl) {
  auto master = start_master(m_valid);
  http::Client client;
  http::ClientRequest put;
  put.method = "PUT";
  put.url = master->url() + "/jobs/tls-job";
  put.body = R"({"type":"freestyle","image":"debian:12","script":"make test"})";
  put.headers = {"Authorization: Bearer " + admin_token(), "Content-Type: application/json"};
  put.ca_file = m_pki.ca_file().string();
  auto created = client.perform(put);
  ASSERT_EQ(created.end, http::ClientResult::End::complete) << created.error;
  EXPECT_EQ(created.response.status, 201) << created.response.body;

  http::ClientRequest get;
  get.url = master->url() + "/jobs/tls-job";
  get.headers = {"Authorization: Bearer " + admin_token()};
  get.ca_file = m_pki.ca_file().string();
  auto fetched = client.perform(get);
  ASSERT_EQ(fetched.end, http::ClientResult::End::complete) << fetched.error;
  EXPECT_EQ(fetched.response.status, 200);
  EXPECT_TRUE(contains(fetched.response.body, "\"script\":\"make test\""));

  // The server's limits hold over TLS: headers over --header-limit are a 431 problem.
  TlsConnection connection(master->port(), TlsConnectionOptions{m_pki.ca_file().string(), 0, 0});
  auto too_large = connection.get("/healthz", {{"X-Padding", std::string(20000, 'a')}});
  EXPECT_EQ(too_large.status, 431);
  EXPECT_EQ(too_large.header("Content-Type"), "application/problem+json");
  EXPECT_TRUE(master->running());
}

TEST_F(ApiTlsTest, OneConnectionOverTheMaximumIsAnswered503OverTls) {
  auto master = start_master(m_valid, {"--max-connections", "1"});
  // The start-up probe's connection may still be counted for a moment.
  std::unique_ptr<TlsConnection> held;
  for (int attempt = 0; attempt < 50; ++attempt) {
    try {
      held = std::make_unique<TlsConnection>(master->port(),
                                             TlsConnectionOptions{m_pki.ca_file().string(), 0, 0});
      if (held->get("/healthz").status == 200) {
        break;
      }
    } catch (const std::runtime_error&) {
      // Refused while the probe's connection was still counted.
    }
    held.reset();
    std::this_thread::sleep_for(100ms);
  }
  ASSERT_TRUE(held != nullptr);
  TlsConnection extra(master->port(), TlsConnectionOptions{m_pki.ca_file().string(), 0, 0});
  auto refused = extra.get("/healthz");
  EXPECT_EQ(refused.status, 503);
  EXPECT_EQ(refused.header("Retry-After"), "1");
  EXPECT_EQ(refused.header("Content-Type"), "application/problem+json");
  EXPECT_EQ(held->get("/healthz").status, 200);
}

TEST_F(ApiTlsTest, RefusesTls10And11AndSpeaks12And13) {
  auto master = start_master(m_valid);
  for (int version : {TLS1_VERSION, TLS1_1_VERSION}) {
    EXPECT_THROW(TlsConnection(master->port(), TlsConnectionOptions{{}, version, version}),
                 std::runtime_error)
        << "version " << version;
  }
  TlsConnection tls12(master->port(), TlsConnectionOptions{m_pki.ca_file().string(), TLS1_2_VERSION,
                                                           TLS1_2_VERSION});
  EXPECT_EQ(tls12.protocol(), "TLSv1.2");
  EXPECT_EQ(tls12.get("/healthz").status, 200);
  TlsConnection tls13(master->port(), TlsConnectionOptions{m_pki.ca_file().string(), 0, 0});
  EXPECT_EQ(tls13.protocol(), "TLSv1.3");
  EXPECT_EQ(tls13.get("/healthz").status, 200);
}

TEST_F(ApiTlsTest, PlainHttpToTheTlsPortFailsWithoutHarm) {
  auto master = start_master(m_valid);
  HttpClient plain("127.0.0.1", master->port(), 5s);
  bool answered_200 = false;
  try {
    answered_200 = plain.request(verb::get, "/healthz").status == 200;
  } catch (const std::runtime_error&) {
    // The connection was closed without an HTTP answer: what a plain client should see.
  }
  EXPECT_FALSE(answered_200);
  EXPECT_TRUE(master->running());
  TlsConnection after(master->port(), TlsConnectionOptions{m_pki.ca_file().string(), 0, 0});
  EXPECT_EQ(after.get("/healthz").status, 200);
}

TEST_F(ApiTlsTest, StalledHandshakeIsCutOffAfterTheReadTimeout) {
  auto master = start_master(m_valid, {"--read-timeout", "1"});
  RawConnection stalled(master->port());
  ASSERT_TRUE(stalled.connected());
  // Half a ClientHello record header, then nothing.
  ASSERT_TRUE(stalled.send("\x16\x03\x01"));
  bool closed = false;
  auto got = stalled.read_until_closed(15s, closed);
  EXPECT_TRUE(closed) << "the server should have closed the stalled handshake";
  EXPECT_EQ(got, "");
  EXPECT_TRUE(master->running());
}

TEST_F(ApiTlsTest, CtlVerifiesWithCaFileFlagEnvironmentOrContext) {
  auto master = start_master(m_valid);
  auto with_flag = ctl(*master, {"jobs", "list", "--ca-file", m_pki.ca_file().string()});
  EXPECT_EQ(with_flag.exit_code, 0) << with_flag.err;
  ::setenv("CICD_CA_FILE", m_pki.ca_file().c_str(), 1);
  auto from_environment = ctl(*master, {"jobs", "list"});
  ::unsetenv("CICD_CA_FILE");
  EXPECT_EQ(from_environment.exit_code, 0) << from_environment.err;

  std::ofstream(m_data.path() / "ctl.yml")
      << "current-context: tls\ncontexts:\n  tls:\n    server: " << master->url()
      << "\n    token: " << admin_token() << "\n    ca-file: " << m_pki.ca_file().string() << "\n";
  auto from_context =
      run_cicd({"ctl", "--config", (m_data.path() / "ctl.yml").string(), "jobs", "list"});
  EXPECT_EQ(from_context.exit_code, 0) << from_context.err;
}

TEST_F(ApiTlsTest, CtlRefusesAnUnknownCaWithOneClearLine) {
  auto master = start_master(m_valid);
  auto refused = ctl(*master, {"jobs", "list"});
  EXPECT_EQ(refused.exit_code, 4);
  EXPECT_TRUE(contains(refused.err, "cicd ctl: cannot trust " + master->url() +
                                        ": the server's TLS certificate is signed by an unknown "
                                        "certificate authority\n"));
  EXPECT_TRUE(contains(refused.err, "--ca-file"));
  auto missing = ctl(*master, {"jobs", "list", "--ca-file", "/nonexistent/ca.pem"});
  EXPECT_EQ(missing.exit_code, 3);
  EXPECT_TRUE(contains(missing.err, "cannot read the CA file /nonexistent/ca.pem"));
}

TEST_F(ApiTlsTest, CtlAndUiRefuseAnExpiredCertificate) {
  expect_ctl_and_ui_refuse(m_expired, "the server's TLS certificate has expired");
}

TEST_F(ApiTlsTest, CtlAndUiRefuseACertificateForAnotherHostName) {
  expect_ctl_and_ui_refuse(m_wrong_host,
                           "the server's TLS certificate is not for the host name 127.0.0.1");
}

// systemd's ExecReload sends SIGHUP whether or not the master serves HTTPS.
TEST_F(ApiTlsTest, SighupWithoutTlsLeavesAPlainMasterServing) {
  CicdMaster master;
  ASSERT_EQ(::kill(master.pid(), SIGHUP), 0);
  bool logged = false;
  for (int i = 0; i < 200 && !logged; ++i) {
    logged = contains(master.log(), "SIGHUP: nothing to reload");
    std::this_thread::sleep_for(50ms);
  }
  EXPECT_TRUE(logged) << master.log();
  EXPECT_TRUE(master.running());
  EXPECT_EQ(master.client().request(boost::beast::http::verb::get, "/healthz").status, 200);
}

TEST_F(ApiTlsTest, SighupWithABadCertificateKeepsTheOldOne) {
  auto master = start_master(m_valid);
  std::ofstream(m_valid.cert_file, std::ios::trunc) << "not a certificate\n";
  ASSERT_EQ(::kill(master->pid(), SIGHUP), 0);
  ASSERT_TRUE(master->wait_for_log("SIGHUP: still serving the previous certificate"))
      << master->log();
  TlsConnection fresh(master->port(), TlsConnectionOptions{m_pki.ca_file().string(), 0, 0});
  EXPECT_EQ(fresh.get("/healthz").status, 200);
  EXPECT_EQ(fresh.peer_fingerprint(), m_valid.fingerprint);

  // A key that belongs to another certificate is refused the same way.
  auto other = m_pki.issue("other");
  fs::copy_file(m_expired.cert_file, m_valid.cert_file, fs::copy_options::overwrite_existing);
  fs::copy_file(other.key_file, m_valid.key_file, fs::copy_options::overwrite_existing);
  ASSERT_EQ(::kill(master->pid(), SIGHUP), 0);
  ASSERT_TRUE(master->wait_for_log("SIGHUP: still serving the previous certificate", 2))
      << master->log();
  EXPECT_TRUE(contains(master->log(), "does not belong to the certificate"));
  TlsConnection again(master->port(), TlsConnectionOptions{m_pki.ca_file().string(), 0, 0});
  EXPECT_EQ(again.peer_fingerprint(), m_valid.fingerprint);
  EXPECT_TRUE(master->running());
}

TEST_F(ApiTlsTest, UnreadableOrMismatchedFilesStopTheStartWithTheFileNamed) {
  auto data = m_data.path().string();
  auto missing = run_cicd({"master", "--data-dir", data, "--listen", "127.0.0.1:0", "--tls-cert",
                           "/nonexistent/server.crt", "--tls-key", m_valid.key_file.string()});
  EXPECT_NE(missing.exit_code, 0);
  EXPECT_TRUE(contains(missing.err, "--tls-cert /nonexistent/server.crt: cannot read it"));

  auto other = m_pki.issue("other");
  auto mismatched = run_cicd({"master", "--data-dir", data, "--listen", "127.0.0.1:0", "--tls-cert",
                              m_valid.cert_file.string(), "--tls-key", other.key_file.string()});
  EXPECT_NE(mismatched.exit_code, 0);
  EXPECT_TRUE(contains(mismatched.err, "--tls-key " + other.key_file.string() +
                                           ": this key does not belong to the certificate in " +
                                           m_valid.cert_file.string()));

  auto not_pem = run_cicd({"master", "--data-dir", data, "--listen", "127.0.0.1:0", "--tls-cert",
                           m_valid.key_file.string(), "--tls-key", m_valid.key_file.string()});
  EXPECT_NE(not_pem.exit_code, 0);
  EXPECT_TRUE(contains(not_pem.err, "--tls-cert " + m_valid.key_file.string() +
                                        ": not a PEM certificate chain"));

  auto half = run_cicd({"master", "--data-dir", data, "--listen", "127.0.0.1:0", "--tls-cert",
                        m_valid.cert_file.string()});
  EXPECT_EQ(half.exit_code, 2);
  EXPECT_TRUE(contains(half.err, "give both --tls-cert and --tls-key"));
}

// The ui's sign-in page sets a cookie: Secure only when the request came over HTTPS.
std::string signin_cookie(const HttpResponse& response) {
  return response.header("Set-Cookie");
}

TEST_F(ApiTlsTest, UiOverHttpsMarksItsCookiesSecure) {
  TlsServer ui({"ui", "--server", "http://127.0.0.1:1", "--tls-cert", m_valid.cert_file.string(),
                "--tls-key", m_valid.key_file.string()});
  TlsConnection connection(ui.port(), TlsConnectionOptions{m_pki.ca_file().string(), 0, 0});
  auto page = connection.get("/signin");
  EXPECT_EQ(page.status, 200);
  EXPECT_TRUE(contains(signin_cookie(page), "cicd_signin="));
  EXPECT_TRUE(contains(signin_cookie(page), "; Secure"));
}

// Standalone's pages call the API over loopback: with a certificate that does not name
// 127.0.0.1 they still work (a plain port of their own on 127.0.0.1).
TEST_F(ApiTlsTest, StandaloneServesApiAndPagesOverHttps) {
  auto localhost_only = m_pki.issue("localhost-only", CertificateSpec{{"localhost"}, {}, -1, 30});
  auto localhost_ip = m_pki.issue("standalone");
  TlsServer standalone({"standalone", "--data-dir", m_data.path().string(), "--tls-cert",
                        localhost_ip.cert_file.string(), "--tls-key",
                        localhost_ip.key_file.string()});
  replace_files(localhost_ip, localhost_only);
  ASSERT_EQ(::kill(standalone.pid(), SIGHUP), 0);
  ASSERT_TRUE(standalone.wait_for_log("SIGHUP: reloaded the TLS certificate")) << standalone.log();

  auto token = run_cicd({"standalone", "token", "create", "--data-dir", m_data.path().string(),
                         "--sub", "tls-admin", "--scope", "admin"});
  ASSERT_EQ(token.exit_code, 0) << token.err;
  auto cookie = "cicd_session=" + token.out.substr(0, token.out.find_last_not_of('\n') + 1);
  TlsConnection connection(standalone.port(), TlsConnectionOptions{{}, 0, 0});
  EXPECT_EQ(connection.peer_fingerprint(), localhost_only.fingerprint);
  auto page = connection.get("/ui/jobs", {{"Cookie", cookie}});
  EXPECT_EQ(page.status, 200) << page.body;
  EXPECT_TRUE(contains(page.body, "Jobs"));
  auto api = connection.get("/jobs", {{"Authorization", "Bearer " + cookie.substr(13)}});
  EXPECT_EQ(api.status, 200) << api.body;
}

TEST_F(ApiTlsTest, ForwardedProtoIsBelievedOnlyFromATrustedProxy) {
  TempDir dir("cicd-tls-proxy");
  std::uint16_t trusting_port = 0;
  auto trusting = start_serving(
      {"ui", "--server", "http://127.0.0.1:1", "--trusted-proxy", "10.0.0.0/8,127.0.0.0/8"},
      dir.path() / "trusting.log", trusting_port);
  std::uint16_t untrusting_port = 0;
  auto untrusting =
      start_serving({"ui", "--server", "http://127.0.0.1:1", "--trusted-proxy", "10.0.0.0/8"},
                    dir.path() / "untrusting.log", untrusting_port);
  HttpHeaders forwarded = {{"X-Forwarded-Proto", "https"}};

  HttpClient from_proxy("127.0.0.1", trusting_port);
  EXPECT_TRUE(
      contains(signin_cookie(from_proxy.request(verb::get, "/signin", {}, forwarded)), "; Secure"));
  EXPECT_FALSE(contains(signin_cookie(from_proxy.request(verb::get, "/signin")), "Secure"));

  HttpClient from_stranger("127.0.0.1", untrusting_port);
  auto ignored = from_stranger.request(verb::get, "/signin", {}, forwarded);
  EXPECT_TRUE(contains(signin_cookie(ignored), "cicd_signin="));
  EXPECT_FALSE(contains(signin_cookie(ignored), "Secure"));

  auto bad = run_cicd({"ui", "--trusted-proxy", "10.0.0.0/33"});
  EXPECT_EQ(bad.exit_code, 2);
  EXPECT_TRUE(contains(bad.err, "--trusted-proxy '10.0.0.0/33'"));
}

} // namespace
} // namespace cicd::test
