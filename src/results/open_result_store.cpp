#include "backends.hpp"

namespace cicd::results {

std::unique_ptr<ResultStore> open_result_store(const std::string& url) {
  if (url.starts_with("file://")) {
    auto path = url.substr(std::string_view("file://").size());
    if (path.empty() || path.front() != '/') {
      throw Fatal("--results file:// needs an absolute path, e.g. file:///var/lib/cicd/results");
    }
    return make_file_result_store(path);
  }
  if (url.starts_with("s3://")) {
    return make_s3_result_store(url);
  }
  throw Fatal("--results must be file:///dir or s3://bucket/prefix?endpoint=…");
}

} // namespace cicd::results
