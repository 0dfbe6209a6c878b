#include "libgit2_handles.hpp"

#include "socket_stream.hpp"

#include "cicd/core/error.hpp"

namespace cicd::git {

void ensure_libgit2() {
  // A function-local static: initialised exactly once, other threads wait for it. libgit2 is
  // never shut down: objects of other static lifetimes may still use it at exit. Its sockets
  // are ours, with timeouts (socket_stream.hpp).
  static const int initialised = [] {
    int count = git_libgit2_init();
    if (count < 0) {
      throw Fatal("cannot initialise libgit2: " + last_error_text());
    }
    register_socket_stream();
    return count;
  }();
  (void)initialised;
}

std::string last_error_text(const char* fallback) {
  const git_error* error = git_error_last();
  if (error == nullptr || error->message == nullptr || *error->message == '\0') {
    return fallback;
  }
  std::string text = error->message;
  // Messages relayed from a server end in a newline (and sometimes a carriage return).
  while (!text.empty() && (text.back() == '\n' || text.back() == '\r' || text.back() == ' ')) {
    text.pop_back();
  }
  return text;
}

std::string oid_hex(const git_oid& id) {
  char text[GIT_OID_HEXSZ + 1];
  git_oid_tostr(text, sizeof text, &id);
  return text;
}

} // namespace cicd::git
