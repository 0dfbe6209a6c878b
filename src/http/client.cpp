#include "cicd/http/client.hpp"

#include <curl/curl.h>
#include <fmt/format.h>
#include <openssl/x509_vfy.h>

#include <algorithm>
#include <cctype>
#include <cstdlib>
#include <mutex>
#include <stdexcept>

namespace cicd::http {
namespace {

struct Transfer {
  ClientResponse* response = nullptr;
  const std::function<bool(std::string_view)>* on_body = nullptr;
  bool stopped = false;
  bool refused = false; // not a 2xx answer: its body is kept, not streamed
};

std::size_t on_header(char* data, std::size_t size, std::size_t count, void* user) {
  auto& transfer = *static_cast<Transfer*>(user);
  std::string_view line(data, size * count);
  if (line.starts_with("HTTP/")) {
    transfer.response->headers.clear(); // a new response (after a 100 Continue)
    auto space = line.find(' ');
    if (space != std::string_view::npos) {
      transfer.response->status = std::atol(std::string(line.substr(space + 1, 3)).c_str());
      transfer.refused = transfer.response->status < 200 || transfer.response->status >= 300;
    }
  } else if (auto colon = line.find(':'); colon != std::string_view::npos) {
    std::string name(line.substr(0, colon));
    std::transform(name.begin(), name.end(), name.begin(),
                   [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
    auto value = line.substr(colon + 1);
    while (!value.empty() && (value.front() == ' ' || value.front() == '\t')) {
      value.remove_prefix(1);
    }
    while (!value.empty() && (value.back() == '\r' || value.back() == '\n')) {
      value.remove_suffix(1);
    }
    transfer.response->headers[name] = std::string(value);
  }
  return size * count;
}

std::size_t on_data(char* data, std::size_t size, std::size_t count, void* user) {
  auto& transfer = *static_cast<Transfer*>(user);
  std::string_view bytes(data, size * count);
  if (transfer.on_body == nullptr || !*transfer.on_body || transfer.refused) {
    transfer.response->body.append(bytes);
    return bytes.size();
  }
  if (!(*transfer.on_body)(bytes)) {
    transfer.stopped = true;
    return 0; // aborts the transfer
  }
  return bytes.size();
}

std::string& default_ca_file() {
  static std::string file;
  return file;
}

// The host name of `url`.
std::string host_of(const std::string& url) {
  char* host = nullptr;
  CURLU* parsed = curl_url();
  std::string name;
  if (curl_url_set(parsed, CURLUPART_URL, url.c_str(), 0) == CURLUE_OK &&
      curl_url_get(parsed, CURLUPART_HOST, &host, 0) == CURLUE_OK) {
    name = host;
    curl_free(host);
  }
  curl_url_cleanup(parsed);
  return name;
}

// Why the server's certificate was refused, in words a person can act on.
std::string certificate_problem(CURL* curl, const std::string& url, const std::string& detail) {
  // curl checks the name itself once the chain is good, and says so in its message.
  if (detail.find("host name") != std::string::npos ||
      detail.find("subject name") != std::string::npos) {
    return fmt::format("the server's TLS certificate is not for the host name {}", host_of(url));
  }
  long verify = X509_V_OK;
  curl_easy_getinfo(curl, CURLINFO_SSL_VERIFYRESULT, &verify);
  switch (verify) {
  case X509_V_ERR_CERT_HAS_EXPIRED:
    return "the server's TLS certificate has expired";
  case X509_V_ERR_CERT_NOT_YET_VALID:
    return "the server's TLS certificate is not valid yet";
  case X509_V_ERR_DEPTH_ZERO_SELF_SIGNED_CERT:
  case X509_V_ERR_SELF_SIGNED_CERT_IN_CHAIN:
  case X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT:
  case X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT_LOCALLY:
  case X509_V_ERR_UNABLE_TO_VERIFY_LEAF_SIGNATURE:
    return "the server's TLS certificate is signed by an unknown certificate authority";
  case X509_V_OK:
    return "the server's TLS certificate is refused: " + detail;
  default:
    return fmt::format("the server's TLS certificate is refused: {} ({})",
                       X509_verify_cert_error_string(verify), detail);
  }
}

} // namespace

void set_default_ca_file(std::string ca_file) {
  default_ca_file() = std::move(ca_file);
}

std::string ClientResponse::header(const std::string& lower_name) const {
  auto found = headers.find(lower_name);
  return found == headers.end() ? std::string() : found->second;
}

Client::Client() {
  static std::once_flag global;
  std::call_once(global, [] { curl_global_init(CURL_GLOBAL_DEFAULT); });
  m_curl = curl_easy_init();
  if (m_curl == nullptr) {
    throw std::runtime_error("cannot start an HTTP client (libcurl)");
  }
}

Client::~Client() {
  curl_easy_cleanup(static_cast<CURL*>(m_curl));
}

ClientResult Client::perform(const ClientRequest& request,
                             const std::function<bool(std::string_view)>& on_body) {
  ClientResult result;
  Transfer transfer{&result.response, &on_body, false, false};
  auto* curl = static_cast<CURL*>(m_curl);
  curl_easy_reset(curl);
  curl_slist* list = curl_slist_append(nullptr, "Expect:"); // no 100-continue round trip
  for (const auto& header : request.headers) {
    list = curl_slist_append(list, header.c_str());
  }
  curl_easy_setopt(curl, CURLOPT_URL, request.url.c_str());
  curl_easy_setopt(curl, CURLOPT_CUSTOMREQUEST, request.method.c_str());
  if (!request.body.empty() || request.method == "POST" || request.method == "PUT") {
    curl_easy_setopt(curl, CURLOPT_POSTFIELDS, request.body.c_str());
    curl_easy_setopt(curl, CURLOPT_POSTFIELDSIZE_LARGE,
                     static_cast<curl_off_t>(request.body.size()));
  }
  curl_easy_setopt(curl, CURLOPT_HTTPHEADER, list);
  curl_easy_setopt(curl, CURLOPT_USERAGENT, request.user_agent.c_str());
  curl_easy_setopt(curl, CURLOPT_CONNECTTIMEOUT, 10L);
  if (request.streaming) {
    curl_easy_setopt(curl, CURLOPT_TCP_KEEPALIVE, 1L); // a quiet stream sends nothing a while
  } else {
    curl_easy_setopt(curl, CURLOPT_TIMEOUT, 120L);
  }
  curl_easy_setopt(curl, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(curl, CURLOPT_SSLVERSION, static_cast<long>(CURL_SSLVERSION_TLSv1_2));
  curl_easy_setopt(curl, CURLOPT_SSL_VERIFYPEER, 1L);
  curl_easy_setopt(curl, CURLOPT_SSL_VERIFYHOST, 2L);
  const std::string& ca_file = request.ca_file.empty() ? default_ca_file() : request.ca_file;
  if (!ca_file.empty()) {
    curl_easy_setopt(curl, CURLOPT_CAINFO, ca_file.c_str());
  }
  char detail[CURL_ERROR_SIZE] = {};
  curl_easy_setopt(curl, CURLOPT_ERRORBUFFER, detail);
  curl_easy_setopt(curl, CURLOPT_HEADERFUNCTION, on_header);
  curl_easy_setopt(curl, CURLOPT_HEADERDATA, &transfer);
  curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, on_data);
  curl_easy_setopt(curl, CURLOPT_WRITEDATA, &transfer);
  auto code = curl_easy_perform(curl);
  curl_slist_free_all(list);
  if (transfer.stopped) {
    result.end = ClientResult::End::stopped;
  } else if (code == CURLE_OK) {
    result.end = ClientResult::End::complete;
  } else if (code == CURLE_PEER_FAILED_VERIFICATION) {
    result.certificate_refused = true;
    result.error = certificate_problem(curl, request.url, detail);
  } else if (code == CURLE_SSL_CACERT_BADFILE) {
    result.error = fmt::format("cannot read the CA file {}", ca_file);
  } else {
    result.error = detail[0] != '\0' ? std::string(detail) : curl_easy_strerror(code);
  }
  curl_easy_setopt(curl, CURLOPT_ERRORBUFFER, nullptr);
  return result;
}

} // namespace cicd::http
