#pragma once
// The ui role: server-side rendered pages for people, a client of the master's REST API like
// any other (it calls the API with the signed-in user's own token). `cicd ui` serves it on
// its own; `cicd standalone` mounts it at /ui/ in the same process.

#include "cicd/http/message.hpp"

#include <memory>
#include <string>

namespace cicd::ui {

// `cicd ui --listen HOST:PORT --server URL`. Returns the exit code.
int run_ui(int argc, const char* const* argv);

struct UiOptions {
  std::string api_url;        // the master, "http://master:8080" (no trailing slash)
  std::string prefix;         // where the pages live: "" (cicd ui) or "/ui" (standalone)
  bool secure_cookie = false; // served over TLS (directly or behind a proxy): Secure cookies
};

// Thread safety: handle() may run concurrently; set_api_url() only before serving.
class Ui {
public:
  explicit Ui(UiOptions options);
  ~Ui();
  Ui(const Ui&) = delete;
  Ui& operator=(const Ui&) = delete;

  // Answers a request whose target starts with the prefix.
  http::Reply handle(http::Request&& request) const;
  // Standalone learns its own API's port only once it is bound.
  void set_api_url(std::string url);
  const std::string& prefix() const;

private:
  struct Impl;
  std::unique_ptr<Impl> m_impl;
};

} // namespace cicd::ui
