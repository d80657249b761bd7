#include "config.hpp"

#include <fmt/format.h>

#include <cstdlib>
#include <fstream>
#include <iterator>
#include <nlohmann/json.hpp>

namespace supervisor {
namespace {

// A key of the wrong type or value: the message names the key.
struct BadKey {
  std::string key;
  std::string message;
};

const nlohmann::json* find(const nlohmann::json& json, const char* key) {
  auto it = json.find(key);
  return it == json.end() || it->is_null() ? nullptr : &*it;
}

void read_string(const nlohmann::json& json, const char* key, std::string& out) {
  if (const auto* value = find(json, key)) {
    if (!value->is_string()) throw BadKey{key, "must be a string"};
    out = value->get<std::string>();
  }
}

void read_bool(const nlohmann::json& json, const char* key, bool& out) {
  if (const auto* value = find(json, key)) {
    if (!value->is_boolean()) throw BadKey{key, "must be true or false"};
    out = value->get<bool>();
  }
}

void read_millis(const nlohmann::json& json, const char* key, std::chrono::milliseconds& out,
                 std::int64_t minimum) {
  if (const auto* value = find(json, key)) {
    if (!value->is_number_integer() || value->get<std::int64_t>() < minimum) {
      throw BadKey{key, fmt::format("must be a whole number of milliseconds, at least {}", minimum)};
    }
    out = std::chrono::milliseconds(value->get<std::int64_t>());
  }
}

}  // namespace

ConfigResult parse_config(const std::string& text, const std::string& origin) {
  const nlohmann::json json = nlohmann::json::parse(text, nullptr, false);
  if (json.is_discarded() || !json.is_object()) {
    return {std::nullopt, fmt::format("{}: not a JSON object", origin)};
  }
  Config config;
  try {
    read_string(json, "uuid", config.uuid);
    read_string(json, "dataDir", config.data_dir);
    read_string(json, "dockerHost", config.docker_host);
    read_string(json, "listenAddress", config.listen_address);
    if (const auto* port = find(json, "listenPort")) {
      if (!port->is_number_integer() || port->get<std::int64_t>() < 1 || port->get<std::int64_t>() > 65535) {
        throw BadKey{"listenPort", "must be a port number (1-65535)"};
      }
      config.listen_port = static_cast<std::uint16_t>(port->get<std::int64_t>());
    }
    read_string(json, "apiKey", config.api_key);
    read_string(json, "apiEndpoint", config.api_endpoint);
    read_string(json, "configJsonPath", config.config_json_path);
    read_string(json, "appsJsonPath", config.apps_json_path);
    read_string(json, "balenaDatabase", config.balena_database_path);
    read_string(json, "lockDir", config.lock_root);
    read_string(json, "ledFile", config.led_file);
    read_string(json, "hostProxyDir", config.proxy_dir);
    read_string(json, "journalctlPath", config.journalctl_path);
    config.local_mode = config.api_endpoint.empty();
    read_bool(json, "localMode", config.local_mode);
    read_string(json, "deviceName", config.device_name);
    read_string(json, "deviceType", config.device_type);
    read_string(json, "arch", config.arch);
    read_millis(json, "appUpdatePollInterval", config.poll_interval, 10'000);
    read_millis(json, "recheckInterval", config.recheck_interval, 100);
    read_millis(json, "backoffInitial", config.backoff_initial, 1);
    read_millis(json, "backoffMax", config.backoff_max, 1);
    if (const auto* level = find(json, "logLevel")) {
      const auto parsed = level->is_string() ? parse_level(level->get<std::string>()) : std::nullopt;
      if (!parsed) throw BadKey{"logLevel", "must be one of debug, info, warn, error"};
      config.log_level = *parsed;
    }
    if (config.backoff_max < config.backoff_initial) throw BadKey{"backoffMax", "must not be below backoffInitial"};
    if (config.data_dir.empty()) throw BadKey{"dataDir", "must not be empty"};
    if (!config.api_key.empty() &&
        config.api_key.find_first_not_of("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_") !=
            std::string::npos) {
      throw BadKey{"apiKey", "may hold only letters, digits and _"};
    }
  } catch (const BadKey& bad) {
    return {std::nullopt, fmt::format("{}: {} {}", origin, bad.key, bad.message)};
  }
  // The environment wins here: an operator's switch for one run (or a
  // systemd drop-in) without editing the file provisioning wrote.
  if (const char* env = std::getenv("SUPERVISOR_LOG_LEVEL"); env != nullptr && *env != '\0') {
    const auto parsed = parse_level(env);
    if (!parsed) return {std::nullopt, "SUPERVISOR_LOG_LEVEL (environment) must be one of debug, info, warn, error"};
    config.log_level = *parsed;
  }
  if (config.docker_host.empty()) {
    const char* env = std::getenv("DOCKER_HOST");
    config.docker_host = env != nullptr && *env != '\0' ? env : "unix:///var/run/docker.sock";
  }
  return {config, ""};
}

ConfigResult load_config(const std::string& path) {
  if (path.empty()) return parse_config("{}", "defaults");
  std::ifstream in(path);
  if (!in) return {std::nullopt, fmt::format("{}: cannot be read", path)};
  const std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  return parse_config(text, path);
}

}  // namespace supervisor
