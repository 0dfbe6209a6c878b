// The console masker (executor::SecretMasker). The fuzzer picks the secrets, the console text
// and where the text is cut into reads: a count byte, then for each secret a length byte and
// its bytes, then a chunking seed (2 bytes), then the text.
//
// The masking rule (secret_masker.hpp): each line of a value (split at '\n', a trailing '\r'
// dropped) of at least k_min_secret_length bytes is replaced by "***" wherever it appears,
// also across reads. Checked here:
// - no such line appears in the output, however the text was cut into reads (a line that
//   itself contains '*' is left out of this check: "***" put in by the masker next to
//   console text can spell it without any secret having been shown);
// - the output does not depend on the chunking: it equals the output of one whole read;
// - text in which no form of a value occurs (a line, its JSON-escaped or base64 forms:
//   src/executor/secret_masker_forms.hpp) comes out unchanged.

#include "cicd/executor/secret_masker.hpp"
#include "executor/secret_masker_forms.hpp"

#include "fuzz_support.hpp"

#include <vector>

namespace {

// The lines of `values` that the masker looks for.
std::vector<std::string> secret_lines(const std::vector<std::string>& values) {
  std::vector<std::string> lines;
  for (const auto& value : values) {
    std::size_t start = 0;
    while (start <= value.size()) {
      auto end = value.find('\n', start);
      end = end == std::string::npos ? value.size() : end;
      auto line = value.substr(start, end - start);
      if (!line.empty() && line.back() == '\r') {
        line.pop_back();
      }
      if (line.size() >= cicd::executor::k_min_secret_length) {
        lines.push_back(line);
      }
      start = end + 1;
    }
  }
  return lines;
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using cicd::fuzz::check;
  cicd::fuzz::Input input(data, size);
  std::vector<std::string> secrets(1 + input.byte() % 4);
  for (auto& secret : secrets) {
    secret = input.take(input.byte() % 48);
  }
  unsigned seed = input.byte(); // two statements: the order of the reads is fixed
  seed |= unsigned{input.byte()} << 8;
  auto text = input.rest();

  cicd::executor::SecretMasker whole_masker(secrets);
  auto whole = whole_masker.feed(text);
  whole += whole_masker.finish(); // after feed: the operands of + are not ordered

  cicd::executor::SecretMasker masker(secrets);
  std::string chunked;
  for (std::size_t at = 0; at < text.size();) {
    seed = seed * 1103515245U + 12345U;
    std::size_t chunk = std::min<std::size_t>((seed >> 16) % 80, text.size() - at);
    chunked += masker.feed(text.substr(at, chunk)); // a read of 0 bytes happens too
    at += chunk;
  }
  chunked += masker.finish();

  check(chunked == whole, "the output depends on how the text was cut into reads");
  for (const auto& line : secret_lines(secrets)) {
    if (line.find('*') == std::string::npos) {
      check(chunked.find(line) == std::string::npos, "a secret survived: " + line);
    }
  }
  bool any = false;
  for (const auto& secret : secrets) {
    for (const auto& form : cicd::executor::secret_forms(secret)) {
      any = any || text.find(form) != std::string_view::npos;
    }
  }
  if (!any) {
    check(chunked == text, "text without a secret was changed");
  }
  return 0;
}
