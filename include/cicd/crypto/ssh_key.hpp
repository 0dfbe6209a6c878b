#pragma once
// SSH deploy keys: an ed25519 key pair made with OpenSSL, the private half in the OpenSSH
// format libssh2 reads, the public half as one authorized_keys line.

#include "cicd/core/error.hpp"

#include <string>

namespace cicd::crypto {

struct SshKeyPair {
  std::string private_key; // "-----BEGIN OPENSSH PRIVATE KEY-----…", unencrypted
  std::string public_key;  // "ssh-ed25519 AAAA… <comment>"
};

// Makes a new key pair. `comment` ends the public line (e.g. "cicd job unit-test").
Result<SshKeyPair> generate_ssh_key(const std::string& comment);

// The SHA-256 fingerprint of a public key line, as ssh-keygen -l prints it ("SHA256:…").
Result<std::string> ssh_fingerprint(const std::string& public_key);

} // namespace cicd::crypto
