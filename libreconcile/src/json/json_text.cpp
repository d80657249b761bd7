#include "reconcile/json_text.hpp"

#include <fmt/format.h>

#include <optional>

namespace reconcile {
namespace {

// The offset of the first bracket that opens level max_depth + 1, counting
// brackets outside strings only. Malformed text is left to the parser: the
// scan only has to be right for text that would parse.
std::optional<std::size_t> too_deep_at(std::string_view text, std::size_t max_depth) {
  std::size_t depth = 0;
  bool in_string = false;
  bool escaped = false;
  for (std::size_t i = 0; i < text.size(); ++i) {
    const char c = text[i];
    if (in_string) {
      if (escaped) escaped = false;
      else if (c == '\\') escaped = true;
      else if (c == '"') in_string = false;
      continue;
    }
    if (c == '"') {
      in_string = true;
    } else if (c == '[' || c == '{') {
      if (++depth > max_depth) return i;
    } else if ((c == ']' || c == '}') && depth > 0) {
      --depth;
    }
  }
  return std::nullopt;
}

}  // namespace

Parsed<nlohmann::json> parse_json_text(std::string_view text, std::size_t max_depth) {
  if (const auto at = too_deep_at(text, max_depth)) {
    return ParseError{"", fmt::format("nested deeper than {} levels of arrays and objects (at byte {}); refused "
                                      "without parsing",
                                      max_depth, *at)};
  }
  try {
    return nlohmann::json::parse(text);
  } catch (const nlohmann::json::exception& error) {  // parse_error, and out_of_range for 1E999
    return ParseError{"", fmt::format("not valid JSON: {}", error.what())};
  }
}

}  // namespace reconcile
