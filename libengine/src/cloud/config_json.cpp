#include "engine/cloud/config_json.hpp"

#include <fmt/format.h>

#include <array>
#include <cctype>
#include <charconv>
#include <cmath>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>
#include <variant>

namespace engine::cloud {
namespace {

// ordered_json: the file keeps its key order when written back.
using Json = nlohmann::ordered_json;

using StringField = std::optional<std::string> ConfigJson::*;
using IntField = std::optional<std::int64_t> ConfigJson::*;
using BoolField = std::optional<bool> ConfigJson::*;

struct Field {
  const char* key;
  std::variant<StringField, IntField, BoolField> member;
};

// Every modelled key, with the member that holds it.
const std::array<Field, 22> kFields{{
    {"uuid", &ConfigJson::uuid},
    {"deviceApiKey", &ConfigJson::device_api_key},
    {"apiKey", &ConfigJson::api_key},
    {"applicationId", &ConfigJson::application_id},
    {"registered_at", &ConfigJson::registered_at},
    {"deviceId", &ConfigJson::device_id},
    {"userId", &ConfigJson::user_id},
    {"apiEndpoint", &ConfigJson::api_endpoint},
    {"deltaEndpoint", &ConfigJson::delta_endpoint},
    {"registryEndpoint", &ConfigJson::registry_endpoint},
    {"logsEndpoint", &ConfigJson::logs_endpoint},
    {"balenaRootCA", &ConfigJson::balena_root_ca},
    {"deviceType", &ConfigJson::device_type},
    {"applicationName", &ConfigJson::application_name},
    {"initialDeviceName", &ConfigJson::initial_device_name},
    {"hostname", &ConfigJson::hostname},
    {"appUpdatePollInterval", &ConfigJson::app_update_poll_interval},
    {"bootstrapRetryDelay", &ConfigJson::bootstrap_retry_delay},
    {"apiTimeout", &ConfigJson::api_timeout},
    {"listenPort", &ConfigJson::listen_port},
    {"persistentLogging", &ConfigJson::persistent_logging},
    {"developmentMode", &ConfigJson::development_mode},
}};

Error config_error(std::string message) {
  return Error{ErrorKind::Config, 0, "config.json", std::move(message), std::nullopt};
}

std::string lower(std::string_view text) {
  std::string out(text);
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

std::string_view trim(std::string_view text) {
  while (!text.empty() && std::isspace(static_cast<unsigned char>(text.front())) != 0) text.remove_prefix(1);
  while (!text.empty() && std::isspace(static_cast<unsigned char>(text.back())) != 0) text.remove_suffix(1);
  return text;
}

// The value as the error message shows it, cut short for long values.
std::string shown(const Json& value) {
  std::string text = value.dump(-1, ' ', false, Json::error_handler_t::replace);
  if (text.size() > 60) text = fmt::format("{}...", text.substr(0, 60));
  return text;
}

std::optional<Error> read_string(const Json& value, const char* key, std::optional<std::string>& out) {
  if (value.is_null()) return std::nullopt;
  if (!value.is_string()) return config_error(fmt::format("{}: expected a string, got {}", key, shown(value)));
  out = value.get<std::string>();
  return std::nullopt;
}

std::optional<Error> read_int(const Json& value, const char* key, std::optional<std::int64_t>& out) {
  if (value.is_null()) return std::nullopt;
  if (value.is_number_integer()) {
    out = value.get<std::int64_t>();
    return std::nullopt;
  }
  if (value.is_number_float()) {
    const double number = value.get<double>();
    if (std::isfinite(number) && std::trunc(number) == number && std::fabs(number) < 9.0e15) {
      out = static_cast<std::int64_t>(number);
      return std::nullopt;
    }
  } else if (value.is_string()) {
    const auto text = trim(value.get_ref<const std::string&>());
    if (text.empty()) return std::nullopt;  // "" is "not set", as the supervisor's checkInt reads it
    std::int64_t number = 0;
    const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), number);
    if (ec == std::errc() && end == text.data() + text.size()) {
      out = number;
      return std::nullopt;
    }
  }
  return config_error(fmt::format("{}: expected a number or a numeric string, got {}", key, shown(value)));
}

std::optional<Error> read_bool(const Json& value, const char* key, std::optional<bool>& out) {
  if (value.is_null()) return std::nullopt;
  if (value.is_boolean()) {
    out = value.get<bool>();
    return std::nullopt;
  }
  if (value.is_number_integer() && (value == 0 || value == 1)) {
    out = value == 1;
    return std::nullopt;
  }
  if (value.is_string()) {
    const std::string text = lower(trim(value.get_ref<const std::string&>()));
    if (text == "true" || text == "1" || text == "on") {
      out = true;
      return std::nullopt;
    }
    if (text == "false" || text == "0" || text == "off") {
      out = false;
      return std::nullopt;
    }
  }
  return config_error(fmt::format("{}: expected a boolean (true/false, 1/0, \"on\"/\"off\"), got {}", key,
                                  shown(value)));
}

Result<Json> parse_object(std::string_view text) {
  Json json = Json::parse(text, nullptr, /*allow_exceptions=*/false);
  if (json.is_discarded()) return config_error("not valid JSON");
  if (!json.is_object()) return config_error("the top level is not a JSON object");
  return json;
}

}  // namespace

bool ConfigJson::provisioned() const {
  const auto set = [](const std::optional<std::string>& value) { return value && !value->empty(); };
  return set(uuid) && set(api_endpoint) && registered_at.value_or(0) != 0 && device_id.value_or(0) != 0;
}

std::chrono::milliseconds ConfigJson::poll_interval() const {
  return std::chrono::milliseconds(app_update_poll_interval.value_or(900000));
}

std::chrono::milliseconds ConfigJson::bootstrap_delay() const {
  return std::chrono::milliseconds(bootstrap_retry_delay.value_or(30000));
}

std::int64_t ConfigJson::api_port() const { return listen_port.value_or(48484); }

Result<ConfigJson> parse_config_json(std::string_view text) {
  auto parsed = parse_object(text);
  if (!parsed) return parsed.error();
  const Json& json = parsed.value();
  ConfigJson config;
  for (const Field& field : kFields) {
    const auto it = json.find(field.key);
    if (it == json.end()) continue;
    const auto failure = std::visit(
        [&](auto member) -> std::optional<Error> {
          using Member = decltype(member);
          if constexpr (std::is_same_v<Member, StringField>) return read_string(*it, field.key, config.*member);
          if constexpr (std::is_same_v<Member, IntField>) return read_int(*it, field.key, config.*member);
          if constexpr (std::is_same_v<Member, BoolField>) return read_bool(*it, field.key, config.*member);
        },
        field.member);
    if (failure) return *failure;
  }
  config.original = json.dump(-1, ' ', false, Json::error_handler_t::replace);
  return config;
}

Result<ConfigJson> read_config_json(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    return Error{ErrorKind::FileSystem, 0, "config.json", fmt::format("cannot open {}", path.string()),
                 std::nullopt};
  }
  std::ostringstream text;
  text << in.rdbuf();
  if (in.bad()) {
    return Error{ErrorKind::FileSystem, 0, "config.json", fmt::format("cannot read {}", path.string()),
                 std::nullopt};
  }
  auto config = parse_config_json(text.str());
  if (!config) {
    Error error = config.error();
    error.message = fmt::format("{}: {}", path.string(), error.message);
    return error;
  }
  return config;
}

Result<std::string> render_config_json(const ConfigJson& config) {
  auto parsed = parse_object(config.original.empty() ? std::string_view("{}") : std::string_view(config.original));
  if (!parsed) return parsed.error();
  Json json = std::move(parsed.value());
  // What `original` says for each modelled key: only keys whose value
  // changed since are rewritten, so the rest keep their spelling.
  auto before = parse_config_json(config.original.empty() ? std::string_view("{}") : std::string_view(config.original));
  if (!before) return before.error();
  for (const Field& field : kFields) {
    std::visit(
        [&](auto member) {
          const auto& now = config.*member;
          if (now == before.value().*member) return;
          if (now) {
            json[field.key] = *now;
          } else {
            json.erase(field.key);
          }
        },
        field.member);
  }
  return json.dump(-1, ' ', false, Json::error_handler_t::replace);
}

Status save_config_json(const std::filesystem::path& path, ConfigJson& config) {
  auto text = render_config_json(config);
  if (!text) return text.error();
  if (auto written = write_file_atomically(path, text.value()); !written) return written;
  config.original = std::move(text.value());
  return {};
}

}  // namespace engine::cloud
