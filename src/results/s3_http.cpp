#include "s3_http.hpp"

#include "cicd/core/log.hpp"
#include "s3_xml.hpp"

#include <curl/curl.h>
#include <fmt/format.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <mutex>
#include <new>
#include <random>
#include <thread>

namespace cicd::results {

namespace {

using Clock = std::chrono::steady_clock;

constexpr std::size_t k_kept_body = 1024 * 1024;
constexpr std::size_t k_pooled_handles = 8;

void initialise_curl_once() {
  static std::once_flag once;
  std::call_once(once, [] {
    if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK) {
      throw Fatal("libcurl could not be initialised (curl_global_init failed)");
    }
  });
}

std::string_view trim(std::string_view text) {
  while (!text.empty() && (text.front() == ' ' || text.front() == '\t')) {
    text.remove_prefix(1);
  }
  while (!text.empty() && (text.back() == ' ' || text.back() == '\t' || text.back() == '\r' ||
                           text.back() == '\n')) {
    text.remove_suffix(1);
  }
  return text;
}

std::string lower(std::string_view text) {
  std::string out(text);
  std::transform(out.begin(), out.end(), out.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return out;
}

class HeaderList {
public:
  HeaderList() = default;
  HeaderList(const HeaderList&) = delete;
  HeaderList& operator=(const HeaderList&) = delete;
  ~HeaderList() { curl_slist_free_all(m_list); }
  void add(const std::string& line) {
    auto* grown = curl_slist_append(m_list, line.c_str());
    if (grown == nullptr) {
      throw std::bad_alloc();
    }
    m_list = grown;
  }
  curl_slist* get() const { return m_list; }

private:
  curl_slist* m_list = nullptr;
};

// What the callbacks of one attempt share.
struct Transfer {
  const S3Request* request = nullptr;
  S3Response* response = nullptr;
  CURL* easy = nullptr;
  std::FILE* file = nullptr;
  std::int64_t body_left = 0;
  bool ranged = false; // a Range header was sent
  bool sink_stopped = false;
  bool range_ignored = false;
  int file_errno = 0; // set when the body file could not be read
};

std::size_t on_header(char* data, std::size_t size, std::size_t count, void* user) {
  auto& transfer = *static_cast<Transfer*>(user);
  std::string_view line(data, size * count);
  if (line.starts_with("HTTP/")) { // a new answer (after "100 Continue", say)
    transfer.response->headers.clear();
  } else if (auto colon = line.find(':'); colon != std::string_view::npos) {
    transfer.response->headers[lower(trim(line.substr(0, colon)))] =
        std::string(trim(line.substr(colon + 1)));
  }
  return size * count;
}

std::size_t on_body(char* data, std::size_t size, std::size_t count, void* user) {
  auto& transfer = *static_cast<Transfer*>(user);
  auto bytes = size * count;
  long status = 0;
  curl_easy_getinfo(transfer.easy, CURLINFO_RESPONSE_CODE, &status);
  // Only an object's bytes go to the sink; an error's XML is kept for the message.
  if (transfer.request->sink && (status == 200 || status == 206)) {
    if (transfer.ranged && status == 200) { // the whole object again: not what the sink expects
      transfer.range_ignored = true;
      return 0;
    }
    if (!transfer.request->sink(std::string_view(data, bytes))) {
      transfer.sink_stopped = true;
      return 0; // != bytes: libcurl stops with CURLE_WRITE_ERROR
    }
    transfer.response->delivered += static_cast<std::int64_t>(bytes);
    return bytes;
  }
  auto& body = transfer.response->body;
  body.append(data, std::min(bytes, k_kept_body - std::min(k_kept_body, body.size())));
  return bytes;
}

std::size_t on_read(char* buffer, std::size_t size, std::size_t count, void* user) {
  auto& transfer = *static_cast<Transfer*>(user);
  auto wanted = static_cast<std::size_t>(std::min<std::int64_t>(size * count, transfer.body_left));
  if (wanted == 0) {
    return 0;
  }
  auto got = std::fread(buffer, 1, wanted, transfer.file);
  if (got == 0) { // an error, or the file shrank under us
    transfer.file_errno = std::ferror(transfer.file) ? errno : ENODATA;
    return CURL_READFUNC_ABORT;
  }
  transfer.body_left -= static_cast<std::int64_t>(got);
  return got;
}

// libcurl rewinds the body when it must send it again on the same attempt.
int on_seek(void* user, curl_off_t offset, int origin) {
  auto& transfer = *static_cast<Transfer*>(user);
  const auto& request = *transfer.request;
  if (origin != SEEK_SET || offset < 0 || offset > request.body_size ||
      ::fseeko(transfer.file, static_cast<off_t>(request.body_offset + offset), SEEK_SET) != 0) {
    return CURL_SEEKFUNC_CANTSEEK;
  }
  transfer.body_left = request.body_size - offset;
  return CURL_SEEKFUNC_OK;
}

bool transient(CURLcode code) {
  switch (code) {
  case CURLE_COULDNT_RESOLVE_HOST: // a resolver hiccup; a wrong name fails every attempt alike
  case CURLE_COULDNT_CONNECT:
  case CURLE_OPERATION_TIMEDOUT:
  case CURLE_SEND_ERROR:
  case CURLE_RECV_ERROR:
  case CURLE_GOT_NOTHING:
  case CURLE_PARTIAL_FILE:
  case CURLE_SSL_CONNECT_ERROR:
  case CURLE_HTTP2:
  case CURLE_HTTP2_STREAM:
    return true;
  default:
    return false;
  }
}

std::string s3_error_code(const std::string& body) {
  if (body.empty()) {
    return {};
  }
  return parse_s3_xml(body, {"Code"}).first("Code");
}

bool transient(const S3Response& response) {
  if ((response.status >= 500 && response.status != 501) || response.status == 429) {
    return true;
  }
  // S3 gives up on a client that sent too slowly with 400 RequestTimeout: send it again.
  return response.status == 400 && s3_error_code(response.body) == "RequestTimeout";
}

std::string curl_failure(CURLcode code, const char* detail) {
  std::string text = detail[0] != '\0' ? std::string(detail) : curl_easy_strerror(code);
  switch (code) {
  case CURLE_PEER_FAILED_VERIFICATION:
  case CURLE_SSL_CACERT_BADFILE:
    return text + " (check the server's certificate, or name its CA with ca-file= in --results)";
  case CURLE_COULDNT_RESOLVE_HOST:
    return text + " (check endpoint= in --results)";
  case CURLE_UNSUPPORTED_PROTOCOL:
  case CURLE_URL_MALFORMAT:
    return text + " (check endpoint= in --results)";
  default:
    return text;
  }
}

} // namespace

struct S3Http::Pool {
  std::mutex mutex;
  std::vector<CURL*> idle;

  ~Pool() {
    for (auto* easy : idle) {
      curl_easy_cleanup(easy);
    }
  }
  CURL* take() {
    {
      std::lock_guard lock(mutex);
      if (!idle.empty()) {
        auto* easy = idle.back();
        idle.pop_back();
        return easy;
      }
    }
    auto* easy = curl_easy_init();
    if (easy == nullptr) {
      throw std::bad_alloc();
    }
    return easy;
  }
  // The handle keeps its live connections; its options (credentials included) are cleared.
  void give(CURL* easy) {
    curl_easy_reset(easy);
    std::lock_guard lock(mutex);
    if (idle.size() < k_pooled_handles) {
      idle.push_back(easy);
      return;
    }
    curl_easy_cleanup(easy);
  }
};

std::string S3Response::header(const std::string& lower_case_name) const {
  auto it = headers.find(lower_case_name);
  return it == headers.end() ? std::string() : it->second;
}

S3Http::S3Http(S3Location location, S3Credentials credentials, S3Tuning tuning)
    : m_location(std::move(location)), m_credentials(std::move(credentials)), m_tuning(tuning),
      m_origin(s3_origin(m_location)), m_pool(std::make_unique<Pool>()) {
  initialise_curl_once();
}

S3Http::~S3Http() = default;

namespace {

struct Attempt {
  CURLcode code = CURLE_OK;
  std::string failure; // when code != CURLE_OK
  bool sink_stopped = false;
  bool range_ignored = false;
  int file_errno = 0;
};

// One try of the request on a pooled handle. `resume_at` bytes of a GET already reached the
// sink on earlier tries; `etag` is the object's as they saw it, so a resumed read cannot mix
// two versions of the object.
Attempt attempt_once(CURL* easy, const S3Request& request, const std::string& url,
                     const S3Location& location, const S3Credentials& credentials,
                     const S3Tuning& tuning, std::int64_t resume_at, const std::string& etag,
                     S3Response& response) {
  Attempt attempt;
  Transfer transfer;
  transfer.request = &request;
  transfer.response = &response;
  transfer.easy = easy;
  char detail[CURL_ERROR_SIZE] = {};
  HeaderList headers;
  headers.add("x-amz-content-sha256: " + (request.payload_sha256.empty()
                                              ? std::string(sigv4::k_empty_sha256)
                                              : request.payload_sha256));
  if (!credentials.session_token.empty()) {
    headers.add("x-amz-security-token: " + credentials.session_token);
  }
  for (const auto& [name, value] : request.headers) {
    headers.add(name + ": " + value);
  }
  auto from = request.range_from + resume_at;
  if (request.sink && from > 0) {
    headers.add(fmt::format("Range: bytes={}-", from));
    transfer.ranged = true;
  }
  if (request.sink && resume_at > 0 && !etag.empty()) {
    headers.add("If-Match: " + etag);
  }
  auto signing = fmt::format("aws:amz:{}:s3", location.region);
  curl_easy_setopt(easy, CURLOPT_URL, url.c_str());
  curl_easy_setopt(easy, CURLOPT_ERRORBUFFER, detail);
  curl_easy_setopt(easy, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(easy, CURLOPT_PROTOCOLS_STR, "http,https");
  curl_easy_setopt(easy, CURLOPT_CONNECTTIMEOUT_MS,
                   static_cast<long>(tuning.connect_timeout.count()));
  curl_easy_setopt(easy, CURLOPT_LOW_SPEED_LIMIT, tuning.low_speed_bytes);
  curl_easy_setopt(easy, CURLOPT_LOW_SPEED_TIME, static_cast<long>(tuning.low_speed_time.count()));
  // Larger than libcurl's 16 KiB and 64 KiB defaults: fewer system calls and callbacks per
  // object, which shows on loopback and fast networks.
  curl_easy_setopt(easy, CURLOPT_BUFFERSIZE, 256L * 1024);
  curl_easy_setopt(easy, CURLOPT_UPLOAD_BUFFERSIZE, 1024L * 1024);
  curl_easy_setopt(easy, CURLOPT_AWS_SIGV4, signing.c_str());
  curl_easy_setopt(easy, CURLOPT_USERNAME, credentials.access_key_id.c_str());
  curl_easy_setopt(easy, CURLOPT_PASSWORD, credentials.secret_access_key.c_str());
  if (!location.ca_file.empty()) {
    curl_easy_setopt(easy, CURLOPT_CAINFO, location.ca_file.c_str());
  }
  curl_easy_setopt(easy, CURLOPT_HTTPHEADER, headers.get());
  curl_easy_setopt(easy, CURLOPT_HEADERFUNCTION, on_header);
  curl_easy_setopt(easy, CURLOPT_HEADERDATA, &transfer);
  curl_easy_setopt(easy, CURLOPT_WRITEFUNCTION, on_body);
  curl_easy_setopt(easy, CURLOPT_WRITEDATA, &transfer);

  std::unique_ptr<std::FILE, decltype(&std::fclose)> file(nullptr, std::fclose);
  if (request.method == "HEAD") {
    curl_easy_setopt(easy, CURLOPT_NOBODY, 1L);
  } else if (request.method == "GET") {
    curl_easy_setopt(easy, CURLOPT_HTTPGET, 1L);
  } else if (request.method == "PUT") {
    file.reset(std::fopen(request.body_file.c_str(), "rb"));
    if (!file || ::fseeko(file.get(), static_cast<off_t>(request.body_offset), SEEK_SET) != 0) {
      attempt.file_errno = errno;
      return attempt;
    }
    transfer.file = file.get();
    transfer.body_left = request.body_size;
    curl_easy_setopt(easy, CURLOPT_UPLOAD, 1L);
    curl_easy_setopt(easy, CURLOPT_INFILESIZE_LARGE, static_cast<curl_off_t>(request.body_size));
    curl_easy_setopt(easy, CURLOPT_READFUNCTION, on_read);
    curl_easy_setopt(easy, CURLOPT_READDATA, &transfer);
    curl_easy_setopt(easy, CURLOPT_SEEKFUNCTION, on_seek);
    curl_easy_setopt(easy, CURLOPT_SEEKDATA, &transfer);
  } else if (request.method == "POST") {
    curl_easy_setopt(easy, CURLOPT_POST, 1L);
    curl_easy_setopt(easy, CURLOPT_POSTFIELDSIZE_LARGE,
                     static_cast<curl_off_t>(request.body_text.size()));
    curl_easy_setopt(easy, CURLOPT_POSTFIELDS, request.body_text.c_str());
  } else {
    curl_easy_setopt(easy, CURLOPT_CUSTOMREQUEST, request.method.c_str());
  }

  attempt.code = curl_easy_perform(easy);
  curl_easy_getinfo(easy, CURLINFO_RESPONSE_CODE, &response.status);
  attempt.sink_stopped = transfer.sink_stopped;
  attempt.range_ignored = transfer.range_ignored;
  attempt.file_errno = transfer.file_errno;
  if (attempt.code != CURLE_OK) {
    attempt.failure = curl_failure(attempt.code, detail);
  }
  return attempt;
}

} // namespace

Result<S3Response> S3Http::perform(const S3Request& request) {
  auto url = m_origin + request.path;
  if (!request.query.empty()) {
    // libcurl 7.88 signs the query exactly as it appears in the URL: send the canonical form.
    url += "?" + sigv4::canonical_query(request.query);
  }
  auto start = Clock::now();
  auto delay = m_tuning.first_backoff;
  std::int64_t delivered = 0;
  std::string etag;
  std::minstd_rand jitter(std::random_device{}());
  for (int attempt_number = 1;; ++attempt_number) {
    S3Response response;
    auto* easy = m_pool->take();
    Attempt attempt;
    try {
      attempt = attempt_once(easy, request, url, m_location, m_credentials, m_tuning, delivered,
                             etag, response);
    } catch (...) {
      m_pool->give(easy);
      throw;
    }
    m_pool->give(easy);
    delivered += response.delivered;
    if (etag.empty()) {
      etag = response.header("etag");
    }
    response.delivered = delivered;
    response.attempts = attempt_number;
    if (attempt.sink_stopped) {
      response.stopped_by_sink = true;
      return response;
    }
    if (attempt.range_ignored) {
      return make_error(ErrorCode::unavailable,
                        fmt::format("S3 at {} ignored the Range header of {}: a server that "
                                    "cannot send part of an object cannot serve offsets",
                                    m_origin, request.what));
    }
    if (attempt.file_errno != 0) {
      return make_error(ErrorCode::unavailable,
                        fmt::format("cannot read {} for {}: {}", request.body_file.string(),
                                    request.what, std::strerror(attempt.file_errno)));
    }
    std::string reason;
    if (attempt.code == CURLE_OK) {
      if (!transient(response)) {
        return response;
      }
      auto code = s3_error_code(response.body);
      reason = fmt::format("HTTP {}{}", response.status, code.empty() ? "" : " " + code);
    } else if (!transient(attempt.code)) {
      return make_error(ErrorCode::unavailable,
                        fmt::format("S3 at {} could not be asked for {}: {}", m_origin,
                                    request.what, attempt.failure));
    } else {
      reason = attempt.failure;
    }
    auto elapsed = std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - start);
    if (attempt_number >= m_tuning.attempts || elapsed + delay > m_tuning.retry_budget) {
      if (attempt.code == CURLE_OK) {
        return response; // an answer: refusal() words it
      }
      return make_error(ErrorCode::unavailable,
                        fmt::format("S3 at {} did not answer {} after {} attempts in {:.1f} s: {}",
                                    m_origin, request.what, attempt_number,
                                    static_cast<double>(elapsed.count()) / 1000, reason));
    }
    // ±20 % so that agents cut off together do not come back together.
    auto spread = std::uniform_real_distribution<double>(0.8, 1.2)(jitter);
    auto wait = std::chrono::milliseconds(
        static_cast<std::int64_t>(static_cast<double>(delay.count()) * spread));
    log::warn("S3: {} failed (attempt {} of {}: {}); retrying in {} ms", request.what,
              attempt_number, m_tuning.attempts, reason, wait.count());
    std::this_thread::sleep_for(wait);
    delay *= 3;
  }
}

} // namespace cicd::results
