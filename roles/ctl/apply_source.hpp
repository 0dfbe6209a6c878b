#pragma once
// The text of the files `cicd ctl apply` reads, as JSON documents: YAML through yaml-cpp (plain
// scalars by the YAML 1.2 core schema, so `yes` is a string and `8080` a number) or JSON
// through rapidjson, with where each node was written kept for messages.

#include "ctl_error.hpp"

#include <rapidjson/document.h>

#include <filesystem>
#include <map>
#include <string>
#include <vector>

namespace cicd::ctl {

// Where something was written: "jobs.yaml:12:5", or "jobs.json" (JSON gives no positions).
struct SourceLocation {
  std::string file;
  int line = 0; // 1-based; 0 when unknown
  int column = 0;
  std::string text() const;
};

// Where the nodes of one document were written, by their path of keys, down to depth 4 (enough
// for jobs.NAME.secrets.KEY). A map's member is where its key is.
using Locations = std::map<std::vector<std::string>, SourceLocation>;

struct SourceDocument {
  rapidjson::Document document;
  Locations locations;
};

// The documents of a file: one for *.json, each non-empty `---` document for YAML. A usage
// error (exit 3) naming the file, line and column for a syntax error, a key given twice in a
// map, a number JSON cannot hold or an unreadable file.
std::vector<SourceDocument> parse_source_file(const std::filesystem::path& path);

// Whether `text`, written as a plain (unquoted) YAML scalar, reads back as that string here
// (not as null, a boolean or a number); what `cicd ctl export` quotes otherwise.
bool plain_yaml_reads_as_string(const std::string& text);

// The usage error (exit 3) for a fault at `where` in a file: "FILE:LINE:COLUMN: message".
CtlError file_error(const SourceLocation& where, const std::string& message);

} // namespace cicd::ctl
