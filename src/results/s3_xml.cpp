#include "s3_xml.hpp"

#include <expat.h>

#include <algorithm>
#include <climits>
#include <memory>

namespace cicd::results {

namespace {

struct ParseState {
  S3Xml* result = nullptr;
  const std::vector<std::string>* names = nullptr;
  int depth = 0;
  int collecting_depth = -1; // the depth of the element whose text is being collected
  std::string collecting;
  std::string text;
};

// Without a namespace separator, expat leaves a prefix ("s3:Key") in the name: drop it.
std::string_view local_name(const XML_Char* name) {
  std::string_view full(name);
  auto colon = full.rfind(':');
  return colon == std::string_view::npos ? full : full.substr(colon + 1);
}

void XMLCALL on_start(void* data, const XML_Char* name, const XML_Char**) {
  auto& state = *static_cast<ParseState*>(data);
  auto local = local_name(name);
  if (state.depth == 0) {
    state.result->root = std::string(local);
  }
  ++state.depth;
  if (state.collecting_depth < 0 &&
      std::find(state.names->begin(), state.names->end(), local) != state.names->end()) {
    state.collecting_depth = state.depth;
    state.collecting = std::string(local);
    state.text.clear();
  }
}

void XMLCALL on_end(void* data, const XML_Char*) {
  auto& state = *static_cast<ParseState*>(data);
  if (state.depth == state.collecting_depth) {
    state.result->texts[state.collecting].push_back(std::move(state.text));
    state.text.clear();
    state.collecting_depth = -1;
  }
  --state.depth;
}

void XMLCALL on_text(void* data, const XML_Char* text, int length) {
  auto& state = *static_cast<ParseState*>(data);
  if (state.collecting_depth >= 0) {
    state.text.append(text, static_cast<std::size_t>(length));
  }
}

} // namespace

std::string S3Xml::first(std::string_view name) const {
  auto it = texts.find(name);
  return it == texts.end() || it->second.empty() ? std::string() : it->second.front();
}

S3Xml parse_s3_xml(std::string_view xml, const std::vector<std::string>& names) {
  S3Xml result;
  if (xml.size() > INT_MAX) {
    return result;
  }
  std::unique_ptr<XML_ParserStruct, decltype(&XML_ParserFree)> parser(XML_ParserCreate("UTF-8"),
                                                                      XML_ParserFree);
  if (!parser) {
    return result;
  }
  ParseState state;
  state.result = &result;
  state.names = &names;
  XML_SetUserData(parser.get(), &state);
  XML_SetElementHandler(parser.get(), on_start, on_end);
  XML_SetCharacterDataHandler(parser.get(), on_text);
  result.well_formed =
      XML_Parse(parser.get(), xml.data(), static_cast<int>(xml.size()), XML_TRUE) == XML_STATUS_OK;
  return result;
}

} // namespace cicd::results
