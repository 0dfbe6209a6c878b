#include "cicd/model/names.hpp"

#include <algorithm>
#include <array>
#include <string>

namespace cicd::model {
namespace {

bool is_lower_alnum(char c) {
  return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9');
}
bool is_alpha(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}
bool is_digit(char c) {
  return c >= '0' && c <= '9';
}

Error name_error(std::string_view field, std::string message) {
  return make_error(ErrorCode::invalid_input, std::move(message), std::string(field));
}

constexpr std::array<std::string_view, 8> k_reserved_env = {
    "PATH", "HOME", "HOSTNAME", "USER", "SHELL", "PWD", "TERM", "LD_PRELOAD"};

} // namespace

Result<void> check_job_name(std::string_view name, std::string_view field) {
  bool ok = !name.empty() && name.size() <= 64 && is_lower_alnum(name.front()) &&
            std::all_of(name.begin(), name.end(), [](char c) {
              return is_lower_alnum(c) || c == '.' || c == '_' || c == '-';
            });
  if (!ok) {
    return name_error(field, "job names are 1 to 64 characters of a-z, 0-9, '.', '_' and '-', "
                             "starting with a letter or digit");
  }
  return {};
}

Result<void> check_env_name(std::string_view name, std::string_view field) {
  bool ok = !name.empty() && name.size() <= 128 &&
            (is_alpha(name.front()) || name.front() == '_') &&
            std::all_of(name.begin(), name.end(),
                        [](char c) { return is_alpha(c) || is_digit(c) || c == '_'; });
  if (!ok) {
    return name_error(field, "'" + std::string(name.substr(0, 128)) +
                                 "' is not a valid variable name: use A-Z, a-z, 0-9 and '_', "
                                 "not starting with a digit, at most 128 characters");
  }
  if (name.starts_with("CICD_") ||
      std::find(k_reserved_env.begin(), k_reserved_env.end(), name) != k_reserved_env.end()) {
    return name_error(field, "'" + std::string(name) +
                                 "' is reserved (PATH, HOME, HOSTNAME, USER, SHELL, PWD, TERM, "
                                 "LD_PRELOAD and CICD_*): choose another name");
  }
  return {};
}

bool is_commit_sha(std::string_view text) {
  return text.size() == 40 && std::all_of(text.begin(), text.end(), [](char c) {
           return is_digit(c) || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
         });
}

Result<void> check_branch_name(std::string_view name, std::string_view field) {
  auto fail = [&](const char* why) {
    return name_error(field, std::string("not a valid branch name: ") + why);
  };
  if (name.empty() || name.size() > 255) {
    return fail("it must be 1 to 255 bytes long");
  }
  if (name.front() == '-' || name.front() == '/' || name.back() == '/' || name.back() == '.') {
    return fail("it may not start with '-' or '/', nor end with '/' or '.'");
  }
  if (name.find("..") != name.npos || name.find("//") != name.npos ||
      name.find("@{") != name.npos || name == "@" || name.ends_with(".lock") ||
      name.find(".lock/") != name.npos || name.find("/.") != name.npos || name.front() == '.') {
    return fail("it may not contain '..', '//', '@{', a component starting with '.', or end "
                "with '.lock'");
  }
  for (unsigned char c : name) {
    if (c < 0x20 || c == 0x7f || c == ' ' || c == '~' || c == '^' || c == ':' || c == '?' ||
        c == '*' || c == '[' || c == '\\') {
      return fail("it may not contain control characters, spaces or any of ~ ^ : ? * [ \\");
    }
  }
  return {};
}

Result<void> check_simple_name(std::string_view name, std::string_view field) {
  bool ok = !name.empty() && name.size() <= 64 && is_lower_alnum(name.front()) &&
            std::all_of(name.begin(), name.end(),
                        [](char c) { return is_lower_alnum(c) || c == '_' || c == '-'; });
  if (!ok) {
    return name_error(field, "'" + std::string(name.substr(0, 64)) +
                                 "' is not a valid name: use 1 to 64 characters of a-z, 0-9, '_' "
                                 "and '-', starting with a letter or digit");
  }
  return {};
}

} // namespace cicd::model
