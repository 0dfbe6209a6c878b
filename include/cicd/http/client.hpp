#pragma once
// An HTTP(S) client for cicd's own clients (`cicd ctl`, `cicd ui`): one exchange at a time
// over libcurl, TLS 1.2 or later, the server's certificate and host name always checked (against
// the system's CA store, or a CA file), the body kept or streamed. Failures to connect or
// transfer come back as `error`, never as exceptions.

#include <functional>
#include <map>
#include <string>
#include <string_view>
#include <vector>

namespace cicd::http {

struct ClientResponse {
  long status = 0;                            // 0 when no response came
  std::map<std::string, std::string> headers; // names in lower case
  std::string body; // the whole body, unless a 2xx body was streamed to on_body
  std::string header(const std::string& lower_name) const;
};

struct ClientRequest {
  std::string method = "GET";
  std::string url;
  std::string body;
  std::vector<std::string> headers; // "Name: value"
  std::string user_agent;
  // A long-lived stream (a followed console): no overall time limit, TCP keep-alive on.
  bool streaming = false;
  // PEM file of the CAs to trust instead of the system's store; empty: set_default_ca_file's,
  // else the system's.
  std::string ca_file;
};

// The CA file of every request in this process that names none (`cicd ui --ca-file`). Call it
// before the first request.
void set_default_ca_file(std::string ca_file);

struct ClientResult {
  enum class End { complete, stopped, failed };
  End end = End::failed;
  ClientResponse response;
  std::string error; // why it failed, for people, when end is failed
  // The server's certificate was refused (expired, another host's, an unknown CA): `error`
  // says which.
  bool certificate_refused = false;
};

// Thread safety: none; one per thread.
class Client {
public:
  Client();
  ~Client();
  Client(const Client&) = delete;
  Client& operator=(const Client&) = delete;

  // Sends the request. A 2xx body goes to `on_body` as it arrives when one is given (it
  // returns false to stop: end "stopped"); any other body is kept in the response.
  ClientResult perform(const ClientRequest& request,
                       const std::function<bool(std::string_view)>& on_body = {});

private:
  void* m_curl; // CURL*
};

} // namespace cicd::http
