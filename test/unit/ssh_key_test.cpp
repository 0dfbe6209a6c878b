#include "cicd/crypto/ssh_key.hpp"

#include "support/cicd_process.hpp"
#include "support/git_repos.hpp"

#include <gtest/gtest.h>

#include <sys/stat.h>

#include <array>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <memory>
#include <optional>
#include <sstream>

namespace cicd::crypto {
namespace {

namespace fs = std::filesystem;

std::vector<std::string> words(const std::string& line) {
  std::istringstream in(line);
  std::vector<std::string> all;
  for (std::string word; in >> word;) {
    all.push_back(word);
  }
  return all;
}

void write_file(const fs::path& file, const std::string& text, mode_t mode) {
  std::ofstream(file, std::ios::binary) << text;
  ::chmod(file.c_str(), mode);
}

// ssh-keygen is the reference for both formats. Under CI a missing one fails the test.
class SshKeyTest : public ::testing::Test {
protected:
  void SetUp() override { test::have_tool("ssh-keygen", "openssh-client"); }

  test::TempDir m_dir{"cicd-ssh-key"};
};

TEST_F(SshKeyTest, GeneratedKeyIsReadByOpensshAndHasItsPublicHalf) {
  auto pair = generate_ssh_key("cicd job unit-test");
  ASSERT_TRUE(pair.has_value()) << pair.error().message;
  EXPECT_TRUE(pair->private_key.starts_with("-----BEGIN OPENSSH PRIVATE KEY-----\n"));
  EXPECT_TRUE(pair->private_key.ends_with("\n-----END OPENSSH PRIVATE KEY-----\n"));
  std::istringstream lines(pair->private_key);
  for (std::string line; std::getline(lines, line);) {
    EXPECT_LE(line.size(), 70u) << line;
  }
  auto public_words = words(pair->public_key);
  ASSERT_EQ(public_words.size(), 5u) << pair->public_key;
  EXPECT_EQ(public_words[0], "ssh-ed25519");
  EXPECT_EQ(pair->public_key.substr(pair->public_key.size() - 18), "cicd job unit-test");

  auto key_file = m_dir.path() / "id_ed25519";
  write_file(key_file, pair->private_key, 0600);
  auto derived = test::run_shell("ssh-keygen -y -f " + key_file.string());
  ASSERT_FALSE(HasFailure());
  auto derived_words = words(derived);
  ASSERT_GE(derived_words.size(), 2u) << derived;
  EXPECT_EQ(derived_words[0], public_words[0]);
  EXPECT_EQ(derived_words[1], public_words[1]);
}

TEST_F(SshKeyTest, FingerprintIsTheOneSshKeygenPrints) {
  auto pair = generate_ssh_key("fingerprinted");
  ASSERT_TRUE(pair.has_value()) << pair.error().message;
  auto public_file = m_dir.path() / "key.pub";
  write_file(public_file, pair->public_key + "\n", 0644);
  auto listed = test::run_shell("ssh-keygen -l -f " + public_file.string());
  ASSERT_FALSE(HasFailure());
  auto fingerprint = ssh_fingerprint(pair->public_key);
  ASSERT_TRUE(fingerprint.has_value()) << fingerprint.error().message;
  EXPECT_EQ(*fingerprint, words(listed).at(1));
}

// Host keys come in every type; an RSA blob's base64 has padding where ed25519's has none.
TEST_F(SshKeyTest, FingerprintOfKeysOpensshMade) {
  for (const char* type : {"ed25519", "rsa", "ecdsa"}) {
    auto key_file = m_dir.path() / (std::string("host_") + type);
    test::run_shell("ssh-keygen -q -t " + std::string(type) + " -N '' -C 'a host' -f " +
                    key_file.string());
    ASSERT_FALSE(HasFailure());
    std::ifstream in(key_file.string() + ".pub");
    std::string line;
    std::getline(in, line);
    auto listed = test::run_shell("ssh-keygen -l -f " + key_file.string() + ".pub");
    ASSERT_FALSE(HasFailure());
    auto fingerprint = ssh_fingerprint(line);
    ASSERT_TRUE(fingerprint.has_value()) << type << ": " << fingerprint.error().message;
    EXPECT_EQ(*fingerprint, words(listed).at(1)) << type;
  }
}

TEST_F(SshKeyTest, EveryKeyIsNew) {
  auto first = generate_ssh_key("a");
  auto second = generate_ssh_key("a");
  ASSERT_TRUE(first.has_value() && second.has_value());
  EXPECT_NE(first->public_key, second->public_key);
  EXPECT_NE(first->private_key, second->private_key);
}

TEST(SshFingerprint, RejectsWhatIsNotAPublicKeyLine) {
  for (const char* line :
       {"", "ssh-ed25519", "ssh-ed25519 not-base64!", "ssh-rsa AAAAC3NzaC1lZDI1NTE5AAAAIJ",
        "ssh-rsa AAAAC3NzaC1lZDI1NTE5AAAAIJbOS2m0PCJ8AM5s3yV1cZmGfBx4pC7UGL8DqAF3RGTR"}) {
    auto fingerprint = ssh_fingerprint(line);
    ASSERT_FALSE(fingerprint.has_value()) << line;
    EXPECT_EQ(fingerprint.error().code, ErrorCode::invalid_input) << line;
  }
}

TEST(SshKey, CommentMustBeOneLine) {
  auto pair = generate_ssh_key("two\nlines");
  ASSERT_FALSE(pair.has_value());
  EXPECT_EQ(pair.error().code, ErrorCode::invalid_input);
}

} // namespace
} // namespace cicd::crypto
