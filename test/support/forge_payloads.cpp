#include "support/forge_payloads.hpp"

#include <openssl/evp.h>
#include <openssl/hmac.h>

#include <rapidjson/document.h>
#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

#include <fstream>
#include <mutex>
#include <sstream>
#include <stdexcept>

namespace cicd::test {
namespace {

constexpr const char* k_examples =
    CICD_TEST_DATA "/../hooks/node_modules/@octokit/webhooks-examples/api.github.com/index.json";

const rapidjson::Document& examples() {
  static std::once_flag once;
  static rapidjson::Document document;
  std::call_once(once, [] {
    std::ifstream in(k_examples);
    std::stringstream text;
    text << in.rdbuf();
    document.Parse(text.str().c_str());
  });
  if (!document.IsArray()) {
    throw std::runtime_error(std::string("GitHub's example payloads are not at ") + k_examples +
                             ": run scripts/setup (npm ci in test/hooks)");
  }
  return document;
}

std::string to_text(const rapidjson::Value& value) {
  rapidjson::StringBuffer buffer;
  rapidjson::Writer<rapidjson::StringBuffer> writer(buffer);
  value.Accept(writer);
  return std::string(buffer.GetString(), buffer.GetSize());
}

std::string hmac_hex(const EVP_MD* digest, std::string_view secret, std::string_view body) {
  unsigned char out[EVP_MAX_MD_SIZE];
  unsigned int size = 0;
  HMAC(digest, secret.data(), static_cast<int>(secret.size()),
       reinterpret_cast<const unsigned char*>(body.data()), body.size(), out, &size);
  static constexpr char k_hex[] = "0123456789abcdef";
  std::string hex;
  for (unsigned int i = 0; i < size; ++i) {
    hex += k_hex[out[i] >> 4];
    hex += k_hex[out[i] & 0xf];
  }
  return hex;
}

} // namespace

std::string github_example(std::string_view event, std::string_view action) {
  for (const auto& entry : examples().GetArray()) {
    if (!entry.IsObject() || !entry.HasMember("name") || entry["name"].GetString() != event) {
      continue;
    }
    for (const auto& example : entry["examples"].GetArray()) {
      bool matches =
          action.empty() || (example.HasMember("action") && example["action"].IsString() &&
                             example["action"].GetString() == action);
      if (matches) {
        return to_text(example);
      }
    }
  }
  throw std::runtime_error("no GitHub example for " + std::string(event) + " " +
                           std::string(action));
}

std::string with_strings(const std::string& json,
                         const std::vector<std::pair<std::string, std::string>>& values) {
  rapidjson::Document document;
  document.Parse(json.c_str());
  for (const auto& [path, text] : values) {
    rapidjson::Value* value = &document;
    std::stringstream parts(path);
    std::string key;
    while (std::getline(parts, key, '.')) {
      if (!value->IsObject() || !value->HasMember(key.c_str())) {
        throw std::runtime_error("the payload has no " + path);
      }
      value = &(*value)[key.c_str()];
    }
    value->SetString(text.c_str(), static_cast<rapidjson::SizeType>(text.size()),
                     document.GetAllocator());
  }
  return to_text(document);
}

std::string github_signature(std::string_view secret, std::string_view body) {
  return "sha256=" + hmac_hex(EVP_sha256(), secret, body);
}

std::string github_sha1_signature(std::string_view secret, std::string_view body) {
  return "sha1=" + hmac_hex(EVP_sha1(), secret, body);
}

} // namespace cicd::test
