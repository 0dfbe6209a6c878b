#include "cicd/git/job_credentials.hpp"

#include "cicd/core/clock.hpp"
#include "cicd/core/log.hpp"
#include "cicd/crypto/random.hpp"

#include <fmt/format.h>

namespace cicd::git {

std::string ssh_key_context(const std::string& job) {
  return job + "/.ssh-key";
}

namespace {

Result<std::string> open_hex(const crypto::SecretBox& secret_box, const std::string& sealed_hex,
                             const std::string& context) {
  auto sealed = crypto::from_hex(sealed_hex);
  if (!sealed) {
    return make_error(ErrorCode::internal, "a stored key is not hex: the database was altered");
  }
  return secret_box.open(*sealed, context);
}

} // namespace

Result<Credentials> job_credentials(store::Store& store, const crypto::SecretBox& secret_box,
                                    const std::string& job, const model::GitSource& source) {
  Credentials credentials;
  if (source.repo_url.starts_with("ssh://") || source.repo_url.find("://") == std::string::npos) {
    auto key = store.get_ssh_key(job);
    if (!key) {
      return key.error();
    }
    if (*key) {
      auto opened = open_hex(secret_box, (*key)->sealed_private_key, ssh_key_context(job));
      if (!opened) {
        return opened.error();
      }
      credentials.ssh_private_key = std::move(*opened);
      credentials.ssh_public_key = (*key)->public_key;
    }
  }
  if (!source.credential_secret.empty()) {
    auto sealed = store.sealed_secrets(job);
    if (!sealed) {
      return sealed.error();
    }
    for (const auto& [name, value] : *sealed) {
      if (name == source.credential_secret) {
        auto opened = secret_box.open(value, job + "/" + name);
        if (!opened) {
          return opened.error();
        }
        credentials.https_token = std::move(*opened);
      }
    }
    if (credentials.https_token.empty()) {
      return make_error(ErrorCode::unprocessable,
                        fmt::format("the job's gitCredentialSecret '{}' is not set: PUT "
                                    "/jobs/{}/secrets/{} with the access token",
                                    source.credential_secret, job, source.credential_secret),
                        "gitCredentialSecret");
    }
  }
  credentials.check_host_key = [&store](const std::string& host,
                                        const std::string& fingerprint) -> Result<void> {
    auto pinned = store.pin_ssh_host_key(host, fingerprint, now_unix_ms());
    if (!pinned) {
      return pinned.error();
    }
    if (*pinned != fingerprint) {
      return make_error(ErrorCode::bad_gateway,
                        fmt::format("the SSH host key of {} changed: it showed {} but {} was "
                                    "trusted when it was first reached; if the server's key was "
                                    "replaced on purpose, DELETE /settings/ssh-host-keys/{}",
                                    host, fingerprint, *pinned, host));
    }
    return {};
  };
  return credentials;
}

} // namespace cicd::git
