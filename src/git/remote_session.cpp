#include "remote_session.hpp"

#include "socket_stream.hpp"

#include <openssl/evp.h>
#include <openssl/sha.h>

#include <cstring>

namespace cicd::git {
namespace {

// "SHA256:" and the unpadded base64 of the digest, as ssh-keygen -l prints it.
std::string ssh_sha256_fingerprint(const unsigned char (&digest)[SHA256_DIGEST_LENGTH]) {
  unsigned char text[4 * ((SHA256_DIGEST_LENGTH + 2) / 3) + 1];
  int length = EVP_EncodeBlock(text, digest, SHA256_DIGEST_LENGTH);
  std::string fingerprint(reinterpret_cast<const char*>(text), static_cast<std::size_t>(length));
  while (!fingerprint.empty() && fingerprint.back() == '=') {
    fingerprint.pop_back();
  }
  return "SHA256:" + fingerprint;
}

RemoteSession& session_of(void* payload) {
  return *static_cast<RemoteSession*>(payload);
}

} // namespace

RemoteSession::RemoteSession(std::string url, const Credentials& credentials,
                             std::function<bool()> keep_going)
    : m_url(std::move(url)), m_remote(parse_remote_url(m_url)), m_credentials(credentials),
      m_keep_going(std::move(keep_going)) {
  if (!m_credentials.https_token.empty()) {
    m_remote.secrets.push_back(m_credentials.https_token);
  }
}

git_remote_callbacks RemoteSession::callbacks() {
  take_stream_failure(); // from an earlier connection of this thread
  git_remote_callbacks callbacks = GIT_REMOTE_CALLBACKS_INIT;
  callbacks.credentials = &RemoteSession::acquire_credential;
  callbacks.certificate_check = &RemoteSession::check_certificate;
  callbacks.transfer_progress = &RemoteSession::transfer_progress;
  callbacks.sideband_progress = &RemoteSession::sideband_progress;
  callbacks.payload = this;
  // Each call starts a new connection: offering the credentials once more is not a loop.
  m_offered_ssh_key = false;
  m_offered_token = false;
  return callbacks;
}

bool RemoteSession::keep_going() {
  if (m_cancelled) {
    return false;
  }
  if (!m_keep_going) {
    return true;
  }
  try {
    m_cancelled = !m_keep_going();
  } catch (...) {
    m_cancelled = true; // an exception must not cross libgit2's C frames
  }
  return !m_cancelled;
}

std::string RemoteSession::scrubbed(std::string text) const {
  return scrub(std::move(text), m_url, m_remote);
}

Error RemoteSession::failure(int code, const std::string& doing) const {
  const auto& url = m_remote.shown;
  if (m_cancelled) {
    return make_error(ErrorCode::unprocessable,
                      (doing.empty() ? "connecting to " : doing + " from ") + url +
                          " was cancelled");
  }
  std::string reason = m_refusal;
  if (reason.empty()) {
    auto stream_failure = take_stream_failure();
    reason = scrubbed(stream_failure.empty() ? last_error_text() : stream_failure);
    if (code == GIT_EAUTH) {
      reason = "the server refused our credentials (" + reason + ")";
    }
  }
  return make_error(ErrorCode::bad_gateway, doing.empty()
                                                ? "cannot reach " + url + ": " + reason
                                                : doing + " from " + url + " failed: " + reason);
}

int RemoteSession::refuse(std::string reason) {
  m_refusal = std::move(reason);
  git_error_set_str(GIT_ERROR_CALLBACK, m_refusal.c_str());
  return GIT_EUSER;
}

int RemoteSession::acquire_credential(git_credential** out, const char* /*url*/,
                                      const char* username_from_url, unsigned int allowed_types,
                                      void* payload) {
  return session_of(payload).offer_credential(out, username_from_url, allowed_types);
}

int RemoteSession::offer_credential(git_credential** out, const char* username_from_url,
                                    unsigned int allowed_types) {
  if (!keep_going()) {
    return GIT_EUSER;
  }
  std::string user = username_from_url != nullptr && *username_from_url != '\0'
                         ? username_from_url
                         : "git"; // what GitHub, GitLab and Gitea expect over SSH
  if ((allowed_types & GIT_CREDENTIAL_USERNAME) != 0) {
    // SSH asks for the user name first when the URL names none.
    return git_credential_username_new(out, user.c_str());
  }
  if ((allowed_types & GIT_CREDENTIAL_SSH_MEMORY) != 0 && !m_credentials.ssh_private_key.empty()) {
    if (m_offered_ssh_key) {
      return refuse("the server refused the SSH deploy key for user '" + user +
                    "'; add the job's public key to the repository's deploy keys");
    }
    m_offered_ssh_key = true;
    const char* public_key =
        m_credentials.ssh_public_key.empty() ? nullptr : m_credentials.ssh_public_key.c_str();
    return git_credential_ssh_key_memory_new(out, user.c_str(), public_key,
                                             m_credentials.ssh_private_key.c_str(), nullptr);
  }
  if ((allowed_types & GIT_CREDENTIAL_USERPASS_PLAINTEXT) != 0 &&
      !m_credentials.https_token.empty()) {
    if (m_offered_token) {
      return refuse("the server refused the access token; check the job's git credential "
                    "secret and that the token may read this repository");
    }
    m_offered_token = true;
    return git_credential_userpass_plaintext_new(out, "x-access-token",
                                                 m_credentials.https_token.c_str());
  }
  if (m_remote.ssh) {
    return refuse(m_credentials.ssh_private_key.empty()
                      ? "the server asks for an SSH key and the job has no deploy key"
                      : "the server accepts no SSH key authentication");
  }
  return refuse(m_credentials.https_token.empty()
                    ? "the server asks for credentials and the job has no git credential secret"
                    : "the server accepts no token authentication");
}

int RemoteSession::check_certificate(git_cert* cert, int /*valid*/, const char* /*host*/,
                                     void* payload) {
  auto& session = session_of(payload);
  if (!session.keep_going()) {
    return GIT_EUSER;
  }
  if (cert->cert_type != GIT_CERT_HOSTKEY_LIBSSH2) {
    return GIT_PASSTHROUGH; // TLS: libgit2 checks the certificate chain and the host name
  }
  return session.check_host_key(cert);
}

int RemoteSession::check_host_key(git_cert* cert) {
  const auto* host_key = reinterpret_cast<const git_cert_hostkey*>(cert);
  unsigned char digest[SHA256_DIGEST_LENGTH];
  if ((host_key->type & GIT_CERT_SSH_RAW) != 0 && host_key->hostkey != nullptr &&
      host_key->hostkey_len > 0) {
    SHA256(reinterpret_cast<const unsigned char*>(host_key->hostkey), host_key->hostkey_len,
           digest);
  } else if ((host_key->type & GIT_CERT_SSH_SHA256) != 0) {
    std::memcpy(digest, host_key->hash_sha256, sizeof digest);
  } else {
    return refuse("the server's host key has no SHA-256 fingerprint to check");
  }
  auto fingerprint = ssh_sha256_fingerprint(digest);
  const auto& host = m_remote.host_and_port;
  if (!m_credentials.check_host_key) {
    return refuse("the host key of " + host + " (" + fingerprint +
                  ") was refused: no host keys are trusted");
  }
  Result<void> verdict = make_error(ErrorCode::internal, "the host key check failed");
  try {
    verdict = m_credentials.check_host_key(host, fingerprint);
  } catch (const std::exception& error) {
    verdict = make_error(ErrorCode::internal, error.what());
  }
  if (!verdict) {
    return refuse("the host key of " + host + " (" + fingerprint +
                  ") was refused: " + verdict.error().message);
  }
  return 0;
}

int RemoteSession::transfer_progress(const git_indexer_progress* /*stats*/, void* payload) {
  // A non-zero answer stops the transfer; libgit2 then fails the fetch with it.
  return session_of(payload).keep_going() ? 0 : GIT_EUSER;
}

int RemoteSession::sideband_progress(const char* /*text*/, int /*length*/, void* payload) {
  return session_of(payload).keep_going() ? 0 : GIT_EUSER;
}

} // namespace cicd::git
