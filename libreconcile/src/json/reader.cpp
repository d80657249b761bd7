#include "reader.hpp"

#include <fmt/format.h>

namespace reconcile::detail {
namespace {

const char* type_name(const nlohmann::json& json) {
  if (json.is_null()) return "null";
  if (json.is_boolean()) return "a boolean";
  if (json.is_number()) return "a number";
  if (json.is_string()) return "a string";
  if (json.is_array()) return "an array";
  return "an object";
}

}  // namespace

std::string escape_pointer_token(std::string_view token) {
  std::string out;
  for (char c : token) {
    if (c == '~') out += "~0";
    else if (c == '/') out += "~1";
    else out += c;
  }
  return out;
}

std::string child_pointer(std::string_view pointer, std::string_view key) {
  return fmt::format("{}/{}", pointer, escape_pointer_token(key));
}

std::string child_pointer(std::string_view pointer, std::size_t index) {
  return fmt::format("{}/{}", pointer, index);
}

bool Reader::has(const char* key) const { return json_.is_object() && json_.contains(key); }

Reader Reader::at(const char* key) const {
  return Reader(json_.at(key), child_pointer(pointer_, key));
}

Reader Reader::at(const std::string& key) const { return Reader(json_.at(key), child_pointer(pointer_, key)); }

Reader Reader::at(std::size_t index) const {
  return Reader(json_.at(index), child_pointer(pointer_, index));
}

void Reader::fail(const std::string& message) const { throw FieldError{pointer_, message}; }

void Reader::expect_object() const {
  if (!json_.is_object()) fail(fmt::format("must be an object, not {}", type_name(json_)));
}

void Reader::expect_array() const {
  if (!json_.is_array()) fail(fmt::format("must be an array, not {}", type_name(json_)));
}

std::string Reader::as_string() const {
  if (!json_.is_string()) fail(fmt::format("must be a string, not {}", type_name(json_)));
  return json_.get<std::string>();
}

std::int64_t Reader::as_int() const {
  // Unsigned first: nlohmann counts an unsigned number as an integer too,
  // and reading 2^63 as a signed one wraps it to -2^63.
  if (json_.is_number_unsigned()) {
    const auto value = json_.get<std::uint64_t>();
    if (value > static_cast<std::uint64_t>(INT64_MAX)) fail("is too large");
    return static_cast<std::int64_t>(value);
  }
  if (json_.is_number_integer()) return json_.get<std::int64_t>();
  fail(fmt::format("must be an integer, not {}", type_name(json_)));
}

bool Reader::as_bool() const {
  if (!json_.is_boolean()) fail(fmt::format("must be true or false, not {}", type_name(json_)));
  return json_.get<bool>();
}

std::vector<std::string> Reader::as_strings() const {
  expect_array();
  std::vector<std::string> out;
  out.reserve(json_.size());
  for (std::size_t i = 0; i < json_.size(); ++i) out.push_back(at(i).as_string());
  return out;
}

std::map<std::string, std::string> Reader::as_string_map() const {
  std::map<std::string, std::string> out;
  if (json_.is_array()) {
    for (std::size_t i = 0; i < json_.size(); ++i) {
      std::string item = at(i).as_string();
      const auto eq = item.find('=');
      if (eq == std::string::npos) {
        out[item] = "";
      } else {
        out[item.substr(0, eq)] = item.substr(eq + 1);
      }
    }
    return out;
  }
  if (!json_.is_object()) {
    fail(fmt::format("must be an object of strings or a list of KEY=VALUE, not {}", type_name(json_)));
  }
  for (const auto& [key, value] : json_.items()) {
    const Reader item(value, child_pointer(pointer_, key));
    // Compose allows numbers and booleans as values; they mean their text.
    if (value.is_string()) {
      out[key] = value.get<std::string>();
    } else if (value.is_number() || value.is_boolean()) {
      out[key] = value.dump();
    } else if (value.is_null()) {
      out[key] = "";
    } else {
      item.fail(fmt::format("must be a string, not {}", type_name(value)));
    }
  }
  return out;
}

std::string Reader::string_or(const char* key, std::string fallback) const {
  return has(key) ? at(key).as_string() : std::move(fallback);
}

std::int64_t Reader::int_or(const char* key, std::int64_t fallback) const {
  return has(key) ? at(key).as_int() : fallback;
}

bool Reader::bool_or(const char* key, bool fallback) const {
  return has(key) ? at(key).as_bool() : fallback;
}

std::optional<std::string> Reader::optional_string(const char* key) const {
  if (!has(key) || json_.at(key).is_null()) return std::nullopt;
  return at(key).as_string();
}

}  // namespace reconcile::detail
