#include "intake.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <charconv>
#include <nlohmann/json.hpp>

namespace reconcile::detail {
namespace {

bool is_alnum(char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9'); }

// The name as JSON text: quoted, with control characters escaped, so an
// error message (and the HTTP answer or log line carrying it) shows exactly
// what was refused.
std::string shown(std::string_view name) {
  return nlohmann::json(std::string(name)).dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

bool is_engine_name(std::string_view name) {
  if (name.empty() || name.size() > kMaxNameLength || !is_alnum(name.front())) return false;
  return std::all_of(name.begin(), name.end(), [](char c) { return is_alnum(c) || c == '_' || c == '.' || c == '-'; });
}

bool is_commit(std::string_view commit) {
  if (commit.empty()) return true;
  if (commit.size() > kMaxNameLength || !is_alnum(commit.front())) return false;
  return std::all_of(commit.begin(), commit.end(), [](char c) { return is_alnum(c) || c == '.' || c == '-'; });
}

bool follows(std::string_view name, NameRule rule) {
  if (name.empty() || name.size() > kMaxNameLength) return false;
  switch (rule) {
    case NameRule::Label:
      return std::all_of(name.begin(), name.end(), [](char c) { return c >= '!' && c <= '~'; });
    case NameRule::EnvironmentVariable:
    case NameRule::ConfigVariable: {
      const bool config = rule == NameRule::ConfigVariable;
      const char first = name.front();
      if (!(is_alnum(first) || first == '_') || (first >= '0' && first <= '9')) return false;
      return std::all_of(name.begin(), name.end(),
                         [config](char c) { return is_alnum(c) || c == '_' || (config && c == ':'); });
    }
  }
  return false;
}

const char* rule_text(NameRule rule) {
  switch (rule) {
    case NameRule::EnvironmentVariable:
      return "environment variable name: [A-Za-z_][A-Za-z0-9_]*";
    case NameRule::Label:
      return "label name: printable ASCII without spaces";
    case NameRule::ConfigVariable:
      return "configuration variable name: [A-Za-z_][A-Za-z0-9_:]*";
  }
  return "";
}

const char* type_name(const nlohmann::json& json) {
  if (json.is_null()) return "null";
  if (json.is_boolean()) return "a boolean";
  if (json.is_number()) return "a number";
  if (json.is_array()) return "a list";
  return "an object";
}

[[noreturn]] void fail_id(const Reader& reader, std::string_view given) {
  reader.fail(fmt::format("must be an id from 0 to {}, not {}", kMaxId, given));
}

}  // namespace

std::int64_t read_id(const Reader& reader, IdText text) {
  const nlohmann::json& json = reader.json();
  // Unsigned first: nlohmann counts an unsigned number as an integer too,
  // and reading 2^63 as a signed one wraps it.
  if (json.is_number_unsigned()) {
    const auto value = json.get<std::uint64_t>();
    if (value > static_cast<std::uint64_t>(kMaxId)) fail_id(reader, json.dump());
    return static_cast<std::int64_t>(value);
  }
  if (json.is_number_integer()) {
    const auto value = json.get<std::int64_t>();
    if (value < 0 || value > kMaxId) fail_id(reader, json.dump());
    return value;
  }
  if (json.is_string() && text == IdText::Allowed) {
    const std::string given = json.get<std::string>();
    std::int64_t value = 0;
    const bool digits = !given.empty() && std::all_of(given.begin(), given.end(), [](char c) { return c >= '0' && c <= '9'; });
    const auto [end, error] = std::from_chars(given.data(), given.data() + given.size(), value);
    if (!digits || error != std::errc() || end != given.data() + given.size() || value > kMaxId) {
      fail_id(reader, shown(given));
    }
    return value;
  }
  if (json.is_number_float()) fail_id(reader, json.dump());
  reader.fail(fmt::format("must be an integer id, not {}", json.is_string() ? "a string" : type_name(json)));
}

void check_engine_name(const Reader& at, std::string_view name, std::string_view what) {
  if (is_engine_name(name)) return;
  at.fail(fmt::format("{} is not a valid {}: Docker allows [a-zA-Z0-9][a-zA-Z0-9_.-]*, at most {} characters",
                      shown(name), what, kMaxNameLength));
}

std::string read_engine_name(const Reader& reader, std::string_view what) {
  std::string name = reader.as_string();
  check_engine_name(reader, name, what);
  return name;
}

void check_commit(const Reader& at, std::string_view commit) {
  if (is_commit(commit)) return;
  at.fail(fmt::format("{} is not a valid commit: it ends container names, so only [a-zA-Z0-9][a-zA-Z0-9.-]*, "
                      "at most {} characters",
                      shown(commit), kMaxNameLength));
}

std::string read_commit(const Reader& reader) {
  std::string commit = reader.as_string();
  check_commit(reader, commit);
  return commit;
}

std::string read_image_name(const Reader& reader) {
  std::string image = reader.as_string();
  if (image.empty() || image.size() > kMaxNameLength) {
    reader.fail(fmt::format("must hold 1 to {} characters", kMaxNameLength));
  }
  return image;
}

std::string read_device_name(const Reader& reader) {
  std::string name = reader.as_string();
  if (name.size() > kMaxNameLength || name.find('\n') != std::string::npos) {
    reader.fail(fmt::format("must be at most {} characters on one line", kMaxNameLength));
  }
  return name;
}

std::map<std::string, std::string> read_string_object(const Reader& reader, NameRule rule) {
  if (!reader.json().is_object()) {
    reader.fail(fmt::format("must be an object of strings, not {}",
                            reader.json().is_string() ? "a string" : type_name(reader.json())));
  }
  std::map<std::string, std::string> out;
  for (const auto& [name, value] : reader.json().items()) {
    const Reader item = reader.at(name.c_str());
    if (!follows(name, rule)) {
      item.fail(fmt::format("{} is not a valid {}, at most {} characters", shown(name), rule_text(rule),
                            kMaxNameLength));
    }
    if (!value.is_string()) item.fail(fmt::format("must be a string, not {}", type_name(value)));
    out.emplace(name, value.get<std::string>());
  }
  return out;
}

void check_service_references(const Reader& compose, const Service& service) {
  const ServiceConfig& config = service.config();
  const Reader networks = compose.has("networks") ? compose.at("networks") : compose;
  for (const auto& [name, options] : config.networks) check_engine_name(networks, name, "network name");
  const Reader volumes = compose.has("volumes") ? compose.at("volumes") : compose;
  for (const std::string& name : config.named_volumes) check_engine_name(volumes, name, "volume name");
}

}  // namespace reconcile::detail
