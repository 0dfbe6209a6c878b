#pragma once
// The forms of a secret value the console masker looks for (docs/config.md, "Masking"):
// - each line of the value (without a trailing '\r');
// - each line as a JSON string escapes it: \" \\ \b \f \n \r \t, other control characters
//   as \u00XX, with '/' as it is or as \/, non-ASCII as it is or as \uXXXX (UTF-16), hex
//   digits in either case;
// - the base64 of each line and of the whole value, standard and URL-safe alphabets, at each
//   of the three byte alignments the value may have in a longer encoded text: the characters
//   that depend on the value's bytes only (the one or two at each edge that mix in the
//   neighbours' bits are not part of the form).
// Forms shorter than k_min_secret_length are dropped. Private to src/executor.

#include <string>
#include <string_view>
#include <vector>

namespace cicd::executor {

// Every form of `value` named above, without duplicates, in no particular order.
std::vector<std::string> secret_forms(std::string_view value);

// The characters of the base64 (standard alphabet when `url_safe` is false) of `alignment`
// (0, 1 or 2) arbitrary bytes followed by `value` that depend on `value` alone.
std::string base64_core(std::string_view value, int alignment, bool url_safe);

} // namespace cicd::executor
