#pragma once
// The little of S3's XML answers the backend reads, through libexpat: the text of elements by
// name (<Key>, <UploadId>, <Code>), wherever they are. S3's answers are flat enough for that.

#include <map>
#include <string>
#include <string_view>
#include <vector>

namespace cicd::results {

struct S3Xml {
  bool well_formed = false;
  std::string root; // the root element's name ("Error", "ListBucketResult")
  // The text of every element named in the request, in document order.
  std::map<std::string, std::vector<std::string>, std::less<>> texts;

  // The first text of `name`, or "".
  std::string first(std::string_view name) const;
};

// Parses `xml` and collects the texts of the elements in `names` (namespaces ignored).
S3Xml parse_s3_xml(std::string_view xml, const std::vector<std::string>& names);

} // namespace cicd::results
