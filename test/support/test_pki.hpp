#pragma once
// A certificate authority made for one test, with OpenSSL: its certificate and the server
// certificates it issues (P-256 keys, SHA-256 signatures) are PEM files in a temp dir. Valid,
// expired and wrong-name certificates are what the TLS tests need.

#include "support/cicd_process.hpp"

#include <filesystem>
#include <string>
#include <vector>

namespace cicd::test {

struct CertificateSpec {
  std::vector<std::string> dns_names = {"localhost"};
  std::vector<std::string> ip_addresses = {"127.0.0.1"};
  int valid_from_days = -1; // relative to now
  int valid_to_days = 30;
};

struct IssuedCertificate {
  std::filesystem::path cert_file;
  std::filesystem::path key_file;
  std::string fingerprint; // SHA-256 of the certificate (DER), lower-case hex
};

// Thread safety: none.
class TestPki {
public:
  TestPki();
  ~TestPki();
  TestPki(const TestPki&) = delete;
  TestPki& operator=(const TestPki&) = delete;

  const std::filesystem::path& ca_file() const { return m_ca_file; }
  const std::filesystem::path& dir() const { return m_dir.path(); }
  // Issues a server certificate; `name` names its files (<name>.crt, <name>.key).
  IssuedCertificate issue(const std::string& name, const CertificateSpec& spec = {});

private:
  TempDir m_dir;
  std::filesystem::path m_ca_file;
  void* m_ca_key = nullptr;  // EVP_PKEY*
  void* m_ca_cert = nullptr; // X509*
  long m_serial = 1;
};

// The SHA-256 fingerprint of the first certificate in a PEM file.
std::string pem_fingerprint(const std::filesystem::path& cert_file);

} // namespace cicd::test
