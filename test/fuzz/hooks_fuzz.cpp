// Forge hook deliveries (hooks::parse_github_event, parse_gitlab_event, unwatched_reason and
// the signature checks). The input is the event header (X-GitHub-Event, or X-Gitlab-Event when
// the first byte is 'L'), a newline, then the body. Beyond not crashing: a refusal is
// invalid_input, a pull request or push names a 40-digit commit, a watching trigger takes it, and
// only the exact signature of the body matches.

#include "cicd/crypto/digest.hpp"
#include "cicd/hooks/forge_event.hpp"
#include "cicd/hooks/signature.hpp"
#include "cicd/model/names.hpp"

#include "fuzz_support.hpp"

#include <openssl/hmac.h>

namespace {

using namespace cicd;

constexpr std::string_view k_secret = "the hook secret of the fuzz target";

std::string github_signature(std::string_view body) {
  unsigned char mac[EVP_MAX_MD_SIZE];
  unsigned int size = 0;
  HMAC(EVP_sha256(), k_secret.data(), static_cast<int>(k_secret.size()),
       reinterpret_cast<const unsigned char*>(body.data()), body.size(), mac, &size);
  std::string hex = "sha256=";
  for (unsigned int i = 0; i < size; ++i) {
    hex += "0123456789abcdef"[mac[i] >> 4];
    hex += "0123456789abcdef"[mac[i] & 0xf];
  }
  return hex;
}

model::ForgeTrigger trigger(const hooks::ForgeEvent& event) {
  model::ForgeTrigger watching;
  watching.connection = "fuzz";
  watching.repository = event.repository;
  watching.pull_request_actions = {"opened", "synchronize", "open", "update", event.action};
  watching.push_branches = {"main", "release/*", "*-fix-*", event.head_branch + "*"};
  return watching;
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  fuzz::Input input(data, size);
  bool gitlab = !input.empty() && data[0] == 'L';
  if (gitlab) {
    input.byte();
  }
  auto name = input.until('\n');
  auto body = input.rest();

  // The header line stands for an attacker's signature: it matches only when it is the one.
  fuzz::check(hooks::github_signature_matches(name, body, k_secret) ==
                  (name == github_signature(body)),
              "a GitHub signature matched that is not the body's");
  fuzz::check(hooks::github_signature_matches(github_signature(body), body, k_secret),
              "the body's own GitHub signature did not match");
  fuzz::check(hooks::gitlab_token_matches(name, k_secret) == (name == k_secret),
              "a GitLab token matched that is not the secret");

  auto event =
      gitlab ? hooks::parse_gitlab_event(name, body) : hooks::parse_github_event(name, body);
  if (!event) {
    fuzz::check(event.error().code == ErrorCode::invalid_input, "a refusal is not invalid_input");
    return 0;
  }
  using Kind = hooks::ForgeEvent::Kind;
  if (event->kind == Kind::pull_request || event->kind == Kind::push) {
    fuzz::check(model::is_commit_sha(event->head_sha),
                "an event's commit is not 40 hexadecimal digits: " + event->head_sha);
  }
  auto watching = trigger(*event);
  auto reason = hooks::unwatched_reason(watching, *event);
  if (event->kind == Kind::pull_request) {
    fuzz::check(reason.empty(), "a watched pull request was not taken: " + reason);
  }
  if (event->kind == Kind::push && !event->head_branch.empty()) {
    fuzz::check(reason.empty(), "a push to a watched branch was not taken: " + reason);
  }
  return 0;
}
