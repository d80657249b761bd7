// Typed reads from nlohmann::json that name the field (JSON pointer) when a
// value has the wrong type. Internal to the parsers: a failure throws
// FieldError, which the public entry points turn into a ParseError.
#pragma once

#include <cstdint>
#include <map>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace reconcile::detail {

struct FieldError {
  std::string pointer;
  std::string message;
};

class Reader {
 public:
  Reader(const nlohmann::json& json, std::string pointer)
      : json_(json), pointer_(std::move(pointer)) {}

  [[nodiscard]] const nlohmann::json& json() const { return json_; }
  [[nodiscard]] const std::string& pointer() const { return pointer_; }
  [[nodiscard]] bool has(const char* key) const;
  [[nodiscard]] Reader at(const char* key) const;  // requires has(key)
  // A member by a key taken from the document itself (it may hold a NUL).
  [[nodiscard]] Reader at(const std::string& key) const;
  [[nodiscard]] Reader at(std::size_t index) const;

  [[noreturn]] void fail(const std::string& message) const;

  void expect_object() const;
  void expect_array() const;
  [[nodiscard]] std::string as_string() const;
  [[nodiscard]] std::int64_t as_int() const;
  [[nodiscard]] bool as_bool() const;
  // An array of strings.
  [[nodiscard]] std::vector<std::string> as_strings() const;
  // An object of strings, or a list of "KEY=VALUE" (compose allows both).
  [[nodiscard]] std::map<std::string, std::string> as_string_map() const;

  [[nodiscard]] std::string string_or(const char* key, std::string fallback) const;
  [[nodiscard]] std::int64_t int_or(const char* key, std::int64_t fallback) const;
  [[nodiscard]] bool bool_or(const char* key, bool fallback) const;
  [[nodiscard]] std::optional<std::string> optional_string(const char* key) const;

 private:
  const nlohmann::json& json_;
  std::string pointer_;
};

// JSON pointer escaping of one reference token.
[[nodiscard]] std::string escape_pointer_token(std::string_view token);
// The pointer to a member (its key escaped) or an element of `pointer`.
[[nodiscard]] std::string child_pointer(std::string_view pointer, std::string_view key);
[[nodiscard]] std::string child_pointer(std::string_view pointer, std::size_t index);

}  // namespace reconcile::detail
