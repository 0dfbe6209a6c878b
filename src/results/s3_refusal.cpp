#include "s3_http.hpp"
#include "s3_xml.hpp"

#include <fmt/format.h>

namespace cicd::results {

// What S3's error codes mean for cicd and what the operator does about each: the message is
// what a run's reason or an API error shows ("result upload failed: " + this).
Error S3Http::refusal(const S3Response& response, std::string_view what) const {
  auto xml = parse_s3_xml(response.body, {"Code", "Message"});
  auto code = xml.first("Code");
  auto message = xml.first("Message");
  auto retried =
      response.attempts > 1 ? fmt::format(" after {} attempts", response.attempts) : std::string();
  std::string text;
  if (code == "SignatureDoesNotMatch") {
    text = "the S3 server refused the credentials (SignatureDoesNotMatch): check "
           "AWS_SECRET_ACCESS_KEY";
  } else if (code == "InvalidAccessKeyId") {
    text = "the S3 server does not know the access key (InvalidAccessKeyId): check "
           "AWS_ACCESS_KEY_ID";
  } else if (code == "ExpiredToken" || code == "InvalidToken") {
    text =
        fmt::format("the S3 server refused the session token ({}): renew AWS_SESSION_TOKEN", code);
  } else if (code == "RequestTimeTooSkewed") {
    text = "the S3 server refused the request's time (RequestTimeTooSkewed): set this machine's "
           "clock right (NTP)";
  } else if (code == "NoSuchBucket") {
    text = fmt::format("the S3 bucket '{}' does not exist at {} (NoSuchBucket): create it, or fix "
                       "the bucket in --results",
                       m_location.bucket, m_origin);
  } else if (code == "AccessDenied") {
    text = fmt::format("the S3 server denied {} (AccessDenied): allow these credentials "
                       "s3:GetObject, s3:PutObject, s3:DeleteObject and s3:ListBucket on "
                       "bucket '{}'",
                       what, m_location.bucket);
  } else if (code == "PermanentRedirect" || code == "AuthorizationHeaderMalformed" ||
             code == "IllegalLocationConstraintException") {
    text = fmt::format("the S3 bucket '{}' is not in region {} ({}): set region= in --results "
                       "(S3 says: {})",
                       m_location.bucket, m_location.region, code, message);
  } else if (response.status == 403 && code.empty()) {
    text = fmt::format("the S3 server refused {} with HTTP 403 and no detail: check "
                       "AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY and the bucket's policy",
                       what);
  } else {
    text = fmt::format("S3 refused {} with HTTP {}", what, response.status);
    if (!code.empty()) {
      text += fmt::format(" ({}: {})", code, message);
    }
  }
  return make_error(ErrorCode::unavailable, text + retried);
}

} // namespace cicd::results
