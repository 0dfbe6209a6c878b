// The S3 backend's own SigV4 signer against AWS's published examples (S3 API reference,
// "Authenticating Requests: Using Query Parameters" and "… Using the Authorization Header"),
// both also reproduced with AWS's @smithy/signature-v4 before being written here; and the
// --results s3:// URL: its options, defaults and refusals.
#include "results/s3_sigv4.hpp"

#include "cicd/core/error.hpp"
#include "results/s3_config.hpp"

#include <gtest/gtest.h>

#include <cstdlib>

namespace cicd::results {
namespace {

using namespace std::chrono_literals;

S3Credentials example_credentials() {
  S3Credentials credentials;
  credentials.access_key_id = "AKIAIOSFODNN7EXAMPLE";
  credentials.secret_access_key = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY";
  return credentials;
}

TEST(S3SigV4, PresignedUrlMatchesAwsExample) {
  auto query =
      sigv4::presigned_query("GET", "examplebucket.s3.amazonaws.com", "/test.txt",
                             "20130524T000000Z", 86400s, "us-east-1", example_credentials());
  EXPECT_EQ(query,
            "X-Amz-Algorithm=AWS4-HMAC-SHA256"
            "&X-Amz-Credential=AKIAIOSFODNN7EXAMPLE%2F20130524%2Fus-east-1%2Fs3%2Faws4_request"
            "&X-Amz-Date=20130524T000000Z&X-Amz-Expires=86400&X-Amz-SignedHeaders=host"
            "&X-Amz-Signature="
            "aeeed9bbccd4d02ee5c0109b86d86835f995330da4c265957d157751f604d404");
}

TEST(S3SigV4, HeaderSignatureMatchesAwsGetObjectExample) {
  sigv4::CanonicalRequest request;
  request.method = "GET";
  request.path = "/test.txt";
  request.headers = {{"Host", "examplebucket.s3.amazonaws.com"},
                     {"Range", "bytes=0-9"},
                     {"x-amz-content-sha256", std::string(sigv4::k_empty_sha256)},
                     {"x-amz-date", "20130524T000000Z"}};
  request.payload_hash = sigv4::k_empty_sha256;
  EXPECT_EQ(
      sigv4::authorization_header(request, "20130524T000000Z", "us-east-1", example_credentials()),
      "AWS4-HMAC-SHA256 "
      "Credential=AKIAIOSFODNN7EXAMPLE/20130524/us-east-1/s3/aws4_request, "
      "SignedHeaders=host;range;x-amz-content-sha256;x-amz-date, "
      "Signature=f0e8bdb87c964420e857bd35b5d6ed310bd44f0170aba48dd91039c6036bdb41");
}

TEST(S3SigV4, SessionTokenIsSignedIntoThePresignedQuery) {
  auto credentials = example_credentials();
  credentials.session_token = "token/with+chars=";
  auto query = sigv4::presigned_query("GET", "examplebucket.s3.amazonaws.com", "/test.txt",
                                      "20130524T000000Z", 86400s, "us-east-1", credentials);
  EXPECT_NE(query.find("&X-Amz-Security-Token=token%2Fwith%2Bchars%3D&"), std::string::npos)
      << query;
  EXPECT_EQ(query.find("aeeed9bbccd4d02ee5c0109b86d86835"), std::string::npos)
      << "the token must change the signature";
}

TEST(S3SigV4, UriEncodeKeepsOnlyUnreservedBytes) {
  EXPECT_EQ(sigv4::uri_encode("a b/é~._-Z9", true), "a%20b/%C3%A9~._-Z9");
  EXPECT_EQ(sigv4::uri_encode("a b/é", false), "a%20b%2F%C3%A9");
  EXPECT_EQ(sigv4::uri_encode("+!*'()=&?#%", true), "%2B%21%2A%27%28%29%3D%26%3F%23%25");
}

TEST(S3SigV4, CanonicalQueryIsSortedEncodedAndKeepsBareNames) {
  EXPECT_EQ(sigv4::canonical_query({{"prefix", "a b/"}, {"list-type", "2"}}),
            "list-type=2&prefix=a%20b%2F");
  EXPECT_EQ(sigv4::canonical_query({{"uploads", ""}}), "uploads=");
  EXPECT_EQ(sigv4::canonical_query({{"uploadId", "x"}, {"partNumber", "10"}}),
            "partNumber=10&uploadId=x");
  EXPECT_EQ(sigv4::canonical_query({}), "");
}

TEST(S3SigV4, AmzDateIsUtcBasicFormat) {
  std::chrono::sys_days day = std::chrono::year(2013) / 5 / 24;
  EXPECT_EQ(sigv4::amz_date(day + 1h + 2min + 3s + 400ms), "20130524T010203Z");
}

TEST(S3Url, EndpointMeansPathAddressingByDefault) {
  auto location =
      parse_s3_url("s3://results/ci%20runs/é?endpoint=http://127.0.0.1:9000&region=eu-west-1");
  EXPECT_EQ(location.bucket, "results");
  EXPECT_EQ(location.prefix, "ci runs/é/");
  EXPECT_EQ(location.scheme, "http");
  EXPECT_EQ(location.host, "127.0.0.1");
  EXPECT_EQ(location.port, 9000);
  EXPECT_EQ(location.region, "eu-west-1");
  EXPECT_EQ(location.addressing, S3Addressing::path);
  EXPECT_EQ(s3_origin(location), "http://127.0.0.1:9000");
  EXPECT_EQ(s3_key_path(location, "ci runs/é/runs/1/console.log"),
            "/results/ci%20runs/%C3%A9/runs/1/console.log");
  EXPECT_EQ(s3_bucket_path(location), "/results");
}

TEST(S3Url, AwsIsTheDefaultWithVirtualHosts) {
  auto location = parse_s3_url("s3://my-bucket");
  EXPECT_EQ(location.prefix, "");
  EXPECT_EQ(location.region, "us-east-1");
  EXPECT_EQ(location.addressing, S3Addressing::virtual_host);
  EXPECT_EQ(s3_origin(location), "https://my-bucket.s3.us-east-1.amazonaws.com");
  EXPECT_EQ(s3_host_header(location), "my-bucket.s3.us-east-1.amazonaws.com");
  EXPECT_EQ(s3_key_path(location, "runs/1/console.log"), "/runs/1/console.log");
  EXPECT_EQ(s3_bucket_path(location), "/");

  auto regional = parse_s3_url("s3://my-bucket/p/?region=eu-central-1");
  EXPECT_EQ(regional.prefix, "p/");
  EXPECT_EQ(s3_origin(regional), "https://my-bucket.s3.eu-central-1.amazonaws.com");
}

TEST(S3Url, AddressingAndCaFileCanBeChosen) {
  auto location = parse_s3_url(
      "s3://b-1/x?endpoint=https://minio.example:443&addressing=virtual&ca-file=/etc/ca.pem");
  EXPECT_EQ(location.addressing, S3Addressing::virtual_host);
  EXPECT_EQ(location.port, 0) << "the scheme's default port is left out of Host";
  EXPECT_EQ(s3_host_header(location), "b-1.minio.example");
  EXPECT_EQ(location.ca_file, "/etc/ca.pem");
  auto forced = parse_s3_url("s3://b/x?addressing=path");
  EXPECT_EQ(s3_origin(forced), "https://s3.us-east-1.amazonaws.com");
  EXPECT_EQ(s3_key_path(forced, "k"), "/b/k");
}

void expect_fatal(const std::string& url, std::string_view words) {
  try {
    parse_s3_url(url);
    ADD_FAILURE() << url << " was accepted";
  } catch (const Fatal& fatal) {
    EXPECT_NE(std::string(fatal.what()).find(words), std::string::npos)
        << url << ": " << fatal.what();
  }
}

TEST(S3Url, MalformedUrlsAreRefusedWithWhatToFix) {
  expect_fatal("s3://", "names no bucket");
  expect_fatal("s3://b?endpoint=127.0.0.1:9000", "needs a scheme");
  expect_fatal("s3://b?endpoint=ftp://host", "must be http:// or https://");
  expect_fatal("s3://b?endpoint=http://host/path", "no path");
  expect_fatal("s3://b?endpoint=http://host:99999", "invalid port");
  expect_fatal("s3://b?addressing=sideways", "addressing must be path or virtual");
  expect_fatal("s3://b?colour=blue", "unknown option 'colour'");
  expect_fatal("s3://b?region=us:east", "not a region name");
  expect_fatal("s3://Under_Score", "use addressing=path");
  expect_fatal("s3://b/100%?endpoint=http://h", "literal '%' as %25");
}

TEST(S3Url, CredentialsInTheUrlAreRefusedWithoutEchoingThem) {
  try {
    parse_s3_url("s3://AKIAEXAMPLE:supersecret@bucket/p");
    ADD_FAILURE() << "accepted";
  } catch (const Fatal& fatal) {
    std::string message = fatal.what();
    EXPECT_NE(message.find("AWS_ACCESS_KEY_ID"), std::string::npos) << message;
    EXPECT_EQ(message.find("supersecret"), std::string::npos) << message;
  }
}

TEST(S3Url, MissingCredentialsAreNamed) {
  ::unsetenv("AWS_ACCESS_KEY_ID");
  ::setenv("AWS_SECRET_ACCESS_KEY", "x", 1);
  try {
    s3_credentials_from_environment();
    ADD_FAILURE() << "accepted";
  } catch (const Fatal& fatal) {
    EXPECT_NE(std::string(fatal.what()).find("AWS_ACCESS_KEY_ID is not set"), std::string::npos)
        << fatal.what();
  }
  ::unsetenv("AWS_SECRET_ACCESS_KEY");
  try {
    s3_credentials_from_environment();
    ADD_FAILURE() << "accepted";
  } catch (const Fatal& fatal) {
    EXPECT_NE(
        std::string(fatal.what()).find("AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY are not set"),
        std::string::npos)
        << fatal.what();
  }
}

} // namespace
} // namespace cicd::results
