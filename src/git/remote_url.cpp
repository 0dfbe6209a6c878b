#include "remote_url.hpp"

#include <algorithm>
#include <cctype>

namespace cicd::git {
namespace {

std::string lower(std::string text) {
  std::transform(text.begin(), text.end(), text.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return text;
}

std::string default_port(const std::string& scheme, bool ssh) {
  if (ssh) {
    return "22";
  }
  if (scheme == "git") {
    return "9418";
  }
  if (scheme == "http") {
    return "80";
  }
  return "443";
}

// "host", "host:port", "[::1]:port" → "host:port" with the scheme's port when none is given.
std::string with_port(const std::string& host_port, const std::string& port) {
  auto close = host_port.find(']');
  auto colon = host_port.rfind(':');
  bool has_port = colon != std::string::npos && (close == std::string::npos || colon > close);
  return has_port ? host_port : host_port + ":" + port;
}

void add_secret(RemoteUrl& remote, const std::string& secret) {
  if (!secret.empty()) {
    remote.secrets.push_back(secret);
  }
}

// "[user@]host:path" with the ':' before any '/': git's scp-like syntax for SSH.
bool parse_scp_like(const std::string& url, RemoteUrl& remote) {
  auto colon = url.find(':');
  auto slash = url.find('/');
  if (colon == std::string::npos || colon == 0 || (slash != std::string::npos && slash < colon)) {
    return false;
  }
  auto at = url.rfind('@', colon);
  auto host_start = at == std::string::npos ? 0 : at + 1;
  remote.ssh = true;
  remote.user = at == std::string::npos ? "" : url.substr(0, at);
  remote.host_and_port = url.substr(host_start, colon - host_start) + ":22";
  remote.shown = url;
  return true;
}

} // namespace

RemoteUrl parse_remote_url(const std::string& url) {
  RemoteUrl remote;
  auto scheme_end = url.find("://");
  if (scheme_end == std::string::npos) {
    if (!parse_scp_like(url, remote)) {
      remote.shown = url; // a local path
    }
    return remote;
  }
  auto scheme = lower(url.substr(0, scheme_end));
  auto rest = url.substr(scheme_end + 3);
  auto authority_end = std::min(rest.find_first_of("/?#"), rest.size());
  auto authority = rest.substr(0, authority_end);
  auto path = rest.substr(authority_end);
  auto at = authority.rfind('@');
  auto user_info = at == std::string::npos ? "" : authority.substr(0, at);
  auto host_port = at == std::string::npos ? authority : authority.substr(at + 1);

  remote.ssh = scheme == "ssh" || scheme == "ssh+git" || scheme == "git+ssh";
  remote.host_and_port = with_port(host_port, default_port(scheme, remote.ssh));
  auto password_start = user_info.find(':');
  remote.user = user_info.substr(0, password_start);
  if (password_start != std::string::npos) {
    add_secret(remote, user_info);
    add_secret(remote, user_info.substr(password_start + 1));
  }
  if (remote.ssh) {
    auto shown_user = remote.user.empty() ? "" : remote.user + "@";
    remote.shown = url.substr(0, scheme_end + 3) + shown_user + host_port + path;
  } else {
    // The whole user info: "https://<token>@github.com/…" puts the token in the user name.
    add_secret(remote, user_info);
    remote.shown = url.substr(0, scheme_end + 3) + host_port + path;
  }
  return remote;
}

std::string scrub(std::string text, const std::string& raw_url, const RemoteUrl& remote) {
  auto replace_all = [&text](const std::string& what, const std::string& with) {
    if (what.empty() || what == with) {
      return;
    }
    for (auto at = text.find(what); at != std::string::npos;
         at = text.find(what, at + with.size())) {
      text.replace(at, what.size(), with);
    }
  };
  replace_all(raw_url, remote.shown);
  for (const auto& secret : remote.secrets) {
    replace_all(secret, "***");
  }
  return text;
}

} // namespace cicd::git
