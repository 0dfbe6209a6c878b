#pragma once
// The credentials a git job's remote is reached with, as the master and the agents both need
// them: the job's deploy key for ssh:// (opened from the store), its token secret for https://
// (gitCredentialSecret), and host keys trusted on first use (pinned in the store).

#include "cicd/core/error.hpp"
#include "cicd/crypto/secret_box.hpp"
#include "cicd/git/repository.hpp"
#include "cicd/model/job.hpp"
#include "cicd/store/store.hpp"

#include <string>

namespace cicd::git {

// The context a deploy key is sealed under (crypto::SecretBox); no secret name can clash.
std::string ssh_key_context(const std::string& job);

// Loads and opens what `source` needs. A missing token secret is unprocessable, naming it.
// The host-key check pins the first key a host shows and refuses any other later.
Result<Credentials> job_credentials(store::Store& store, const crypto::SecretBox& secret_box,
                                    const std::string& job, const model::GitSource& source);

} // namespace cicd::git
