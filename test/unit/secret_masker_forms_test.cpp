// The masking rule beyond the plain value (docs/config.md, "Masking"): a secret is also masked
// as JSON escapes it and as base64 encodes it, at any alignment. The encoded texts here come
// from encoders independent of the masker: rapidjson's writer and a base64 encoder written
// in the test.
#include "cicd/executor/secret_masker.hpp"
#include "executor/secret_masker_forms.hpp"

#include <gtest/gtest.h>

#include <rapidjson/encodings.h>
#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

#include <random>
#include <string>
#include <string_view>
#include <vector>

namespace cicd::executor {
namespace {

std::string mask_whole(const std::vector<std::string>& secrets, std::string_view text) {
  SecretMasker masker(secrets);
  auto out = masker.feed(text); // before finish(): the order of a + b is unspecified
  return out + masker.finish();
}

// Plain RFC 4648 base64 with padding, 3 bytes at a time.
std::string base64(std::string_view bytes, bool url_safe = false) {
  std::string alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
  alphabet += url_safe ? "-_" : "+/";
  std::string out;
  for (std::size_t i = 0; i < bytes.size(); i += 3) {
    std::uint32_t group = static_cast<unsigned char>(bytes[i]) << 16;
    if (i + 1 < bytes.size()) {
      group |= static_cast<unsigned char>(bytes[i + 1]) << 8;
    }
    if (i + 2 < bytes.size()) {
      group |= static_cast<unsigned char>(bytes[i + 2]);
    }
    out += alphabet[(group >> 18) & 63];
    out += alphabet[(group >> 12) & 63];
    out += i + 1 < bytes.size() ? alphabet[(group >> 6) & 63] : '=';
    out += i + 2 < bytes.size() ? alphabet[group & 63] : '=';
  }
  return out;
}

// `text` as rapidjson writes a JSON string (quotes included); ASCII output escapes non-ASCII.
template <class Target>
std::string rapidjson_string(const std::string& text) {
  rapidjson::StringBuffer buffer;
  rapidjson::Writer<rapidjson::StringBuffer, rapidjson::UTF8<>, Target> writer(buffer);
  writer.String(text.data(), static_cast<rapidjson::SizeType>(text.size()));
  return std::string(buffer.GetString(), buffer.GetSize());
}

TEST(SecretMaskerForms, Base64CoreIsTheEncodingOfTheValueWithoutItsEdges) {
  // base64("abcdefgh") is "YWJjZGVmZ2g=": its last character mixes in the padding.
  EXPECT_EQ(base64_core("abcdefgh", 0, false), "YWJjZGVmZ2");
  for (int alignment = 0; alignment < 3; ++alignment) {
    for (bool url_safe : {false, true}) {
      auto core = base64_core("s3cr3t?value>>~", alignment, url_safe);
      for (std::string_view before : {"", "x", "yy", "zzz"}) {
        if (before.size() % 3 != static_cast<std::size_t>(alignment)) {
          continue;
        }
        for (std::string_view after : {"", "!", "!!", "!!!"}) {
          auto text =
              base64(std::string(before) + "s3cr3t?value>>~" + std::string(after), url_safe);
          EXPECT_NE(text.find(core), std::string::npos)
              << "alignment " << alignment << ", url-safe " << url_safe << ": " << core
              << " is not in " << text;
        }
      }
    }
  }
}

TEST(SecretMaskerForms, ABase64EncodedValueIsMaskedAtEveryAlignmentInBothAlphabets) {
  const std::string secret = "hunter2-is-my-password";
  std::mt19937 random(11);
  for (int prefix = 0; prefix < 6; ++prefix) {
    for (int suffix = 0; suffix < 4; ++suffix) {
      for (bool url_safe : {false, true}) {
        std::string plain(static_cast<std::size_t>(prefix), 'p');
        for (auto& c : plain) {
          c = static_cast<char>(random() % 256);
        }
        plain += secret + std::string(static_cast<std::size_t>(suffix), '\xfe');
        auto encoded = base64(plain, url_safe);
        auto out = mask_whole({secret}, "Authorization: Basic " + encoded + "\n");
        EXPECT_NE(out.find("***"), std::string::npos) << encoded;
        // What is left of the encoding around "***" is at most the edges: no 3 bytes of the
        // value in a row can be decoded from it.
        auto left = out.substr(21, out.size() - 22);
        auto stars = left.find("***");
        EXPECT_LE(stars, (static_cast<std::size_t>(prefix) + 2) / 3 * 4 + 1) << out;
        EXPECT_LE(left.size() - stars - 3, (static_cast<std::size_t>(suffix) + 2) / 3 * 4 + 3)
            << out;
      }
    }
  }
}

TEST(SecretMaskerForms, AWholeMultiLineValueIsMaskedInBase64) {
  // echo "$KEY" | base64 -w0: the lines and the newlines between them, encoded together.
  const std::string key = "-----BEGIN KEY-----\nMIIEvQIBADANBgkqhkiG9w0B\n-----END KEY-----";
  auto out = mask_whole({key}, base64(key + "\n") + "\n");
  EXPECT_EQ(out.find(base64_core(key, 0, false)), std::string::npos) << out;
  EXPECT_TRUE(out.starts_with("***")) << out;
}

TEST(SecretMaskerForms, AJsonEscapedValueIsMaskedAsEncodersWriteIt) {
  const std::string secret = "pa\"ss\\wo/rd\t\x01-caf\xc3\xa9-\xf0\x9f\x94\x91";
  std::vector<std::string> encoded = {
      rapidjson_string<rapidjson::UTF8<>>(secret),  // \u0001, UTF-8 as it is
      rapidjson_string<rapidjson::ASCII<>>(secret), // \u00E9 and a surrogate pair, upper case
      // Python's json.dumps (ensure_ascii): lower-case hex.
      R"("pa\"ss\\wo/rd\t\u0001-caf\u00e9-\ud83d\udd11")",
      // PHP's json_encode escapes '/'.
      R"("pa\"ss\\wo\/rd\t\u0001-caf\u00e9-\ud83d\udd11")",
  };
  for (const auto& json : encoded) {
    auto out = mask_whole({secret}, R"({"token":)" + json + "}");
    EXPECT_EQ(out, R"({"token":"***"})") << json;
  }
}

TEST(SecretMaskerForms, EachLineOfAMultiLineValueIsMaskedJsonEscaped) {
  const std::string secret = "first \"line\"\nsecond\\line";
  auto json = rapidjson_string<rapidjson::UTF8<>>(secret);
  EXPECT_EQ(mask_whole({secret}, json), "\"***\\n***\"");
}

TEST(SecretMaskerForms, FormsShorterThanFourBytesAreDropped) {
  for (const auto& form : secret_forms("abcd")) {
    EXPECT_GE(form.size(), k_min_secret_length) << form;
  }
  EXPECT_TRUE(secret_forms("abc").empty());
  EXPECT_TRUE(secret_forms("ab\ncd").size() > 0) << "the whole value's base64 is long enough";
}

TEST(SecretMaskerForms, OrdinaryTextAndOtherBase64AreLeftAlone) {
  const std::vector<std::string> secrets = {"hunter2-is-my-password"};
  const std::string text = "build 42 ok\n" + base64("hunter2-is-not-my-password") + "\n" +
                           R"({"token":"hunter2-is-my-passwor"})" + "\n";
  EXPECT_EQ(mask_whole(secrets, text), text);
}

} // namespace
} // namespace cicd::executor
