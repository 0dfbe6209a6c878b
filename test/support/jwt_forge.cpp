#include "support/jwt_forge.hpp"

#include <openssl/evp.h>
#include <openssl/hmac.h>

#include <fstream>
#include <sstream>
#include <stdexcept>

namespace cicd::test {

std::string base64url(std::string_view bytes) {
  std::string text(4 * ((bytes.size() + 2) / 3) + 1, '\0');
  int size = EVP_EncodeBlock(reinterpret_cast<unsigned char*>(text.data()),
                             reinterpret_cast<const unsigned char*>(bytes.data()),
                             static_cast<int>(bytes.size()));
  text.resize(static_cast<std::size_t>(size));
  while (!text.empty() && text.back() == '=') {
    text.pop_back();
  }
  for (char& c : text) {
    c = c == '+' ? '-' : c == '/' ? '_' : c;
  }
  return text;
}

std::string sign_hs256(std::string_view header_json, std::string_view payload_json,
                       std::string_view key) {
  std::string input = base64url(header_json) + "." + base64url(payload_json);
  unsigned char mac[EVP_MAX_MD_SIZE];
  unsigned int size = 0;
  if (HMAC(EVP_sha256(), key.data(), static_cast<int>(key.size()),
           reinterpret_cast<const unsigned char*>(input.data()), input.size(), mac,
           &size) == nullptr) {
    throw std::runtime_error("HMAC-SHA256 failed");
  }
  return input + "." + base64url(std::string_view(reinterpret_cast<const char*>(mac), size));
}

std::string read_hs256_key(const std::filesystem::path& data_dir) {
  std::ifstream in(data_dir / "jwt.key", std::ios::binary);
  if (!in) {
    throw std::runtime_error("cannot read " + (data_dir / "jwt.key").string());
  }
  std::ostringstream text;
  text << in.rdbuf();
  std::string key = text.str();
  while (!key.empty() &&
         (key.back() == '\n' || key.back() == '\r' || key.back() == ' ' || key.back() == '\t')) {
    key.pop_back();
  }
  return key;
}

} // namespace cicd::test
