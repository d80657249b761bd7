// Small value conversions shared by the compose module: compose accepts
// several spellings for one thing (environment as object or list, commands as
// string or list, memory with units), and the rest of the module wants one.
#include <cctype>
#include <cstdint>

#include "compose/internal.hpp"

namespace reconcile::compose::detail {

void fail(const std::string& pointer, const std::string& message) {
  throw FieldError{pointer, message};
}

std::string trim(std::string_view text) {
  std::size_t begin = 0;
  std::size_t end = text.size();
  while (begin < end && std::isspace(static_cast<unsigned char>(text[begin])) != 0) ++begin;
  while (end > begin && std::isspace(static_cast<unsigned char>(text[end - 1])) != 0) --end;
  return std::string(text.substr(begin, end - begin));
}

bool starts_with(std::string_view text, std::string_view prefix) {
  return text.substr(0, prefix.size()) == prefix;
}

const json& member(const json& object, const char* key) {
  static const json null_value;
  if (!object.is_object() || !object.contains(key)) return null_value;
  return object[key];
}

bool all_digits(std::string_view text) {
  if (text.empty()) return false;
  for (char c : text) {
    if (std::isdigit(static_cast<unsigned char>(c)) == 0) return false;
  }
  return true;
}

std::string scalar_text(const json& value, const std::string& pointer) {
  if (value.is_string()) return value.get<std::string>();
  if (value.is_boolean()) return value.get<bool>() ? "true" : "false";
  if (value.is_number()) return value.dump();
  if (value.is_null()) return "";
  fail(pointer, "must be a string, number or boolean");
}

bool truthy(const json& value) {
  if (value.is_boolean()) return value.get<bool>();
  if (value.is_number_integer()) return value.get<std::int64_t>() == 1;
  if (value.is_string()) {
    const auto text = value.get<std::string>();
    return text == "1" || text == "true" || text == "on";
  }
  return false;
}

std::string normalize_label_key(const std::string& key) {
  if (!starts_with(key, "io.resin.")) return key;
  std::string out = fmt::format("io.balena.{}", key.substr(9));
  const auto pos = out.find("resin-api");
  if (pos != std::string::npos) out.replace(pos, 9, "balena-api");
  return out;
}

json normalize_labels(const json& labels, const std::string& pointer) {
  json out = json::object();
  if (labels.is_null()) return out;
  const json object = environment_object(labels, pointer);
  // A balena name given both ways: the io.balena.* spelling wins.
  for (const auto& [key, value] : object.items()) {
    if (!starts_with(key, "io.resin.")) continue;
    out[normalize_label_key(key)] = value;
  }
  for (const auto& [key, value] : object.items()) {
    if (starts_with(key, "io.resin.")) continue;
    out[key] = value;
  }
  return out;
}

json environment_object(const json& env, const std::string& pointer) {
  json out = json::object();
  if (env.is_null()) return out;
  if (env.is_object()) {
    for (const auto& [key, value] : env.items()) {
      out[key] = scalar_text(value, child_pointer(pointer, key));
    }
    return out;
  }
  if (!env.is_array()) fail(pointer, "must be an object or a list of NAME=value");
  for (std::size_t i = 0; i < env.size(); ++i) {
    if (!env[i].is_string()) fail(child_pointer(pointer, i), "must be a string NAME=value");
    const auto item = env[i].get<std::string>();
    const auto eq = item.find('=');
    if (eq == std::string::npos) out[item] = "";
    else out[item.substr(0, eq)] = item.substr(eq + 1);
  }
  return out;
}

json command_list(const json& command, const std::string& pointer) {
  if (command.is_array()) return string_list(command, pointer);
  if (!command.is_string()) fail(pointer, "must be a string or a list of strings");
  // Shell-like split: whitespace separates words, quotes group, backslash escapes.
  json out = json::array();
  const auto text = command.get<std::string>();
  std::string word;
  bool in_word = false;
  char quote = 0;
  for (std::size_t i = 0; i < text.size(); ++i) {
    const char c = text[i];
    if (quote != 0) {
      if (c == quote) quote = 0;
      else if (c == '\\' && quote == '"' && i + 1 < text.size()) word += text[++i];
      else word += c;
    } else if (c == '"' || c == '\'') {
      quote = c;
      in_word = true;
    } else if (c == '\\' && i + 1 < text.size()) {
      word += text[++i];
      in_word = true;
    } else if (std::isspace(static_cast<unsigned char>(c)) != 0) {
      if (in_word) out.push_back(word);
      word.clear();
      in_word = false;
    } else {
      word += c;
      in_word = true;
    }
  }
  if (quote != 0) fail(pointer, "has an unterminated quote");
  if (in_word) out.push_back(word);
  return out;
}

std::int64_t memory_bytes(const json& value, const std::string& pointer) {
  if (value.is_number_integer() || value.is_number_unsigned()) return value.get<std::int64_t>();
  if (value.is_number_float()) return static_cast<std::int64_t>(value.get<double>());
  if (!value.is_string()) fail(pointer, "must be a number of bytes or a string like \"64m\"");
  const auto text = trim(value.get<std::string>());
  std::size_t digits = 0;
  while (digits < text.size() && std::isdigit(static_cast<unsigned char>(text[digits])) != 0) ++digits;
  std::string unit = text.substr(digits);
  for (auto& c : unit) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  if (unit.size() == 2 && unit[1] == 'b' && unit[0] != 'b') unit.pop_back();
  std::int64_t scale = 0;
  if (unit.empty() || unit == "b") scale = 1;
  else if (unit == "k") scale = 1024;
  else if (unit == "m") scale = 1024 * 1024;
  else if (unit == "g") scale = 1024 * 1024 * 1024;
  if (digits == 0 || digits > 15 || scale == 0) {
    fail(pointer, fmt::format("\"{}\" is not a memory size (a number with an optional b, k, m or g unit)", text));
  }
  const std::int64_t number = std::stoll(text.substr(0, digits));
  if (number > INT64_MAX / scale) fail(pointer, fmt::format("\"{}\" is too large", text));
  return number * scale;
}

std::int64_t duration_ns(const json& value, const std::string& pointer) {
  if (value.is_number_integer() || value.is_number_unsigned()) return value.get<std::int64_t>() * 1'000'000'000;
  if (!value.is_string()) fail(pointer, "must be a duration such as \"1m30s\"");
  const auto text = trim(value.get<std::string>());
  if (all_digits(text)) return std::stoll(text) * 1'000'000'000;
  std::int64_t total = 0;
  std::size_t i = 0;
  if (text.empty()) fail(pointer, "is an empty duration");
  while (i < text.size()) {
    std::size_t start = i;
    while (i < text.size() && (std::isdigit(static_cast<unsigned char>(text[i])) != 0 || text[i] == '.')) ++i;
    if (start == i) fail(pointer, fmt::format("\"{}\" is not a duration such as \"1m30s\"", text));
    const double number = std::stod(text.substr(start, i - start));
    std::size_t unit_start = i;
    while (i < text.size() && std::isalpha(static_cast<unsigned char>(text[i])) != 0) ++i;
    const auto unit = text.substr(unit_start, i - unit_start);
    double scale = 0;
    if (unit == "h") scale = 3600e9;
    else if (unit == "m") scale = 60e9;
    else if (unit == "s") scale = 1e9;
    else if (unit == "ms") scale = 1e6;
    else if (unit == "us") scale = 1e3;
    else if (unit == "ns") scale = 1;
    else fail(pointer, fmt::format("\"{}\" has an unknown duration unit \"{}\"", text, unit));
    total += static_cast<std::int64_t>(number * scale);
  }
  return total;
}

json string_list(const json& value, const std::string& pointer) {
  if (value.is_string()) return json::array({value});
  if (!value.is_array()) fail(pointer, "must be a list of strings");
  json out = json::array();
  for (std::size_t i = 0; i < value.size(); ++i) {
    out.push_back(scalar_text(value[i], child_pointer(pointer, i)));
  }
  return out;
}

void drop_empty(json& object) {
  for (auto it = object.begin(); it != object.end();) {
    const json& v = *it;
    const bool empty = v.is_null() || (v.is_string() && v.get<std::string>().empty()) ||
                       ((v.is_array() || v.is_object()) && v.empty());
    if (empty) it = object.erase(it);
    else ++it;
  }
}

}  // namespace reconcile::compose::detail
