#include "cicd/hooks/signature.hpp"

#include <gtest/gtest.h>

namespace cicd::hooks {
namespace {

// GitHub's documented example ("Validating webhook deliveries").
constexpr std::string_view k_secret = "It's a Secret to Everybody";
constexpr std::string_view k_body = "Hello, World!";
constexpr std::string_view k_signature =
    "sha256=757107ea0eb2509fc211221cce984b8a37570b6d7586c22c46f4379c8b043e17";

TEST(GithubSignature, MatchesGithubsExample) {
  EXPECT_TRUE(github_signature_matches(k_signature, k_body, k_secret));
}

TEST(GithubSignature, UppercaseHexMatchesToo) {
  EXPECT_TRUE(github_signature_matches(
      "sha256=757107EA0EB2509FC211221CCE984B8A37570B6D7586C22C46F4379C8B043E17", k_body, k_secret));
}

TEST(GithubSignature, RefusesEverythingElse) {
  EXPECT_FALSE(github_signature_matches(k_signature, "Hello, World?", k_secret));
  EXPECT_FALSE(github_signature_matches(k_signature, k_body, "another secret"));
  EXPECT_FALSE(github_signature_matches(k_signature, k_body, ""));
  EXPECT_FALSE(github_signature_matches("", k_body, k_secret));
  EXPECT_FALSE(
      github_signature_matches("sha1=01dc10d0c83e72ed246219cdd91669667fe2ca59", k_body, k_secret));
  EXPECT_FALSE(github_signature_matches(std::string(k_signature) + "00", k_body, k_secret));
  EXPECT_FALSE(github_signature_matches(std::string(k_signature).substr(0, 70), k_body, k_secret));
  EXPECT_FALSE(github_signature_matches(
      "sha256=757107ea0eb2509fc211221cce984b8a37570b6d7586c22c46f4379c8b043e1g", k_body, k_secret));
  EXPECT_FALSE(github_signature_matches(
      "SHA256=757107ea0eb2509fc211221cce984b8a37570b6d7586c22c46f4379c8b043e17", k_body, k_secret));
}

TEST(GitlabToken, ComparesTheWholeToken) {
  EXPECT_TRUE(gitlab_token_matches("s3cret-token", "s3cret-token"));
  EXPECT_FALSE(gitlab_token_matches("s3cret-toke", "s3cret-token"));
  EXPECT_FALSE(gitlab_token_matches("s3cret-token2", "s3cret-token"));
  EXPECT_FALSE(gitlab_token_matches("", ""));
  EXPECT_FALSE(gitlab_token_matches("x", ""));
}

} // namespace
} // namespace cicd::hooks
