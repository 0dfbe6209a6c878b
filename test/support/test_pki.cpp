#include "support/test_pki.hpp"

#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include <cstdio>
#include <memory>
#include <stdexcept>

namespace cicd::test {
namespace fs = std::filesystem;

namespace {

struct KeyFree {
  void operator()(EVP_PKEY* key) const { EVP_PKEY_free(key); }
};
struct CertFree {
  void operator()(X509* cert) const { X509_free(cert); }
};
using Key = std::unique_ptr<EVP_PKEY, KeyFree>;
using Cert = std::unique_ptr<X509, CertFree>;

void check(bool ok, const char* what) {
  if (!ok) {
    throw std::runtime_error(std::string("test PKI: ") + what + " failed");
  }
}

Key new_key() {
  Key key(EVP_EC_gen("P-256"));
  check(key != nullptr, "EVP_EC_gen");
  return key;
}

void add_extension(X509* cert, X509* issuer, int nid, const std::string& value) {
  X509V3_CTX context;
  X509V3_set_ctx_nodb(&context);
  X509V3_set_ctx(&context, issuer, cert, nullptr, nullptr, 0);
  X509_EXTENSION* extension = X509V3_EXT_conf_nid(nullptr, &context, nid, value.c_str());
  check(extension != nullptr, "X509V3_EXT_conf_nid");
  X509_add_ext(cert, extension, -1);
  X509_EXTENSION_free(extension);
}

Cert new_certificate(long serial, const std::string& common_name, EVP_PKEY* key, int from_days,
                     int to_days) {
  Cert cert(X509_new());
  X509_set_version(cert.get(), 2);
  ASN1_INTEGER_set(X509_get_serialNumber(cert.get()), serial);
  X509_gmtime_adj(X509_getm_notBefore(cert.get()), static_cast<long>(from_days) * 86400);
  X509_gmtime_adj(X509_getm_notAfter(cert.get()), static_cast<long>(to_days) * 86400);
  X509_set_pubkey(cert.get(), key);
  X509_NAME* name = X509_get_subject_name(cert.get());
  X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC,
                             reinterpret_cast<const unsigned char*>(common_name.c_str()), -1, -1,
                             0);
  return cert;
}

void write_pem(const fs::path& path, X509* cert, EVP_PKEY* key) {
  FILE* file = std::fopen(path.c_str(), "w");
  check(file != nullptr, "fopen");
  bool ok = cert != nullptr
                ? PEM_write_X509(file, cert) == 1
                : PEM_write_PrivateKey(file, key, nullptr, nullptr, 0, nullptr, nullptr) == 1;
  std::fclose(file);
  check(ok, "PEM_write");
}

std::string fingerprint_of(X509* cert) {
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int size = 0;
  check(X509_digest(cert, EVP_sha256(), digest, &size) == 1, "X509_digest");
  std::string hex;
  for (unsigned int i = 0; i < size; ++i) {
    char pair[3];
    std::snprintf(pair, sizeof pair, "%02x", digest[i]);
    hex += pair;
  }
  return hex;
}

} // namespace

TestPki::TestPki() : m_dir("cicd-pki") {
  Key key = new_key();
  Cert cert = new_certificate(m_serial++, "cicd test CA", key.get(), -30, 365);
  X509_set_issuer_name(cert.get(), X509_get_subject_name(cert.get()));
  add_extension(cert.get(), cert.get(), NID_basic_constraints, "critical,CA:TRUE");
  add_extension(cert.get(), cert.get(), NID_key_usage, "critical,keyCertSign,cRLSign");
  add_extension(cert.get(), cert.get(), NID_subject_key_identifier, "hash");
  check(X509_sign(cert.get(), key.get(), EVP_sha256()) > 0, "X509_sign (CA)");
  m_ca_file = m_dir.path() / "ca.crt";
  write_pem(m_ca_file, cert.get(), nullptr);
  m_ca_key = key.release();
  m_ca_cert = cert.release();
}

TestPki::~TestPki() {
  EVP_PKEY_free(static_cast<EVP_PKEY*>(m_ca_key));
  X509_free(static_cast<X509*>(m_ca_cert));
}

IssuedCertificate TestPki::issue(const std::string& name, const CertificateSpec& spec) {
  auto* ca_cert = static_cast<X509*>(m_ca_cert);
  Key key = new_key();
  std::string common_name = spec.dns_names.empty() ? name : spec.dns_names.front();
  Cert cert =
      new_certificate(m_serial++, common_name, key.get(), spec.valid_from_days, spec.valid_to_days);
  X509_set_issuer_name(cert.get(), X509_get_subject_name(ca_cert));
  std::string alt_names;
  for (const auto& dns : spec.dns_names) {
    alt_names += (alt_names.empty() ? "DNS:" : ",DNS:") + dns;
  }
  for (const auto& ip : spec.ip_addresses) {
    alt_names += (alt_names.empty() ? "IP:" : ",IP:") + ip;
  }
  if (!alt_names.empty()) {
    add_extension(cert.get(), ca_cert, NID_subject_alt_name, alt_names);
  }
  add_extension(cert.get(), ca_cert, NID_basic_constraints, "critical,CA:FALSE");
  add_extension(cert.get(), ca_cert, NID_ext_key_usage, "serverAuth");
  add_extension(cert.get(), ca_cert, NID_authority_key_identifier, "keyid:always");
  check(X509_sign(cert.get(), static_cast<EVP_PKEY*>(m_ca_key), EVP_sha256()) > 0, "X509_sign");
  IssuedCertificate issued{m_dir.path() / (name + ".crt"), m_dir.path() / (name + ".key"),
                           fingerprint_of(cert.get())};
  write_pem(issued.cert_file, cert.get(), nullptr);
  write_pem(issued.key_file, nullptr, key.get());
  return issued;
}

std::string pem_fingerprint(const fs::path& cert_file) {
  FILE* file = std::fopen(cert_file.c_str(), "r");
  check(file != nullptr, "fopen");
  Cert cert(PEM_read_X509(file, nullptr, nullptr, nullptr));
  std::fclose(file);
  check(cert != nullptr, "PEM_read_X509");
  return fingerprint_of(cert.get());
}

} // namespace cicd::test
