// balena's config.json (cloud-protocol §1): the device's identity and cloud
// endpoints, on the boot partition. Read with its loose types (numbers may
// be numeric strings, booleans may be "true"/"1"/"on"), written back whole
// and atomically with unknown keys kept.
#pragma once

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <string_view>

#include "engine/cloud/error.hpp"

namespace engine::cloud {

struct ConfigJson {
  // Identity. uuid and deviceApiKey are generated when absent (provision.hpp).
  std::optional<std::string> uuid;
  std::optional<std::string> device_api_key;  // deviceApiKey
  std::optional<std::string> api_key;         // provisioning key; deleted once provisioned
  std::optional<std::int64_t> application_id;
  std::optional<std::int64_t> registered_at;  // epoch ms
  std::optional<std::int64_t> device_id;
  std::optional<std::int64_t> user_id;  // not used by the protocol; kept typed for tools

  // Endpoints. An empty or absent apiEndpoint means an unmanaged device.
  std::optional<std::string> api_endpoint;
  std::optional<std::string> delta_endpoint;
  std::optional<std::string> registry_endpoint;
  std::optional<std::string> logs_endpoint;
  std::optional<std::string> balena_root_ca;  // base64 PEM, decode with decode_root_ca()

  std::optional<std::string> device_type;  // informative; the OS's device-type.json is authoritative
  std::optional<std::string> application_name;
  std::optional<std::string> initial_device_name;
  std::optional<std::string> hostname;

  std::optional<std::int64_t> app_update_poll_interval;  // ms
  std::optional<std::int64_t> bootstrap_retry_delay;     // ms
  std::optional<std::int64_t> api_timeout;               // ms, local API socket timeout
  std::optional<std::int64_t> listen_port;
  std::optional<bool> persistent_logging;
  std::optional<bool> development_mode;

  // The file as last read or written (compact JSON). Keys not modelled
  // above are written back from here unchanged, and a modelled key whose
  // value was not changed keeps its original spelling ("123" stays a string).
  std::string original;

  // Defaults of §1.
  [[nodiscard]] bool managed() const { return api_endpoint && !api_endpoint->empty(); }
  // uuid, apiEndpoint, registered_at and deviceId all present and truthy.
  [[nodiscard]] bool provisioned() const;
  [[nodiscard]] std::chrono::milliseconds poll_interval() const;      // 900000
  [[nodiscard]] std::chrono::milliseconds bootstrap_delay() const;    // 30000
  [[nodiscard]] std::int64_t api_port() const;                        // 48484
};

// Parses config.json text. Config errors name the bad key:
// "config.json: applicationId: expected a number or a numeric string, got \"x\"".
[[nodiscard]] Result<ConfigJson> parse_config_json(std::string_view text);

// Reads and parses the file (FileSystem error when unreadable).
[[nodiscard]] Result<ConfigJson> read_config_json(const std::filesystem::path& path);

// The file's new text: `original` with every changed modelled key replaced
// (an absent optional deletes the key), compact like the supervisor's.
[[nodiscard]] Result<std::string> render_config_json(const ConfigJson& config);

// Replaces the file with `text` so that after a crash at any point either the
// old or the new content is there, never a mix: temp file in the same
// directory, write, fsync, rename over, fsync the directory.
[[nodiscard]] Status write_file_atomically(const std::filesystem::path& path, std::string_view text);

// render + write_file_atomically; on success `config.original` is the new text.
[[nodiscard]] Status save_config_json(const std::filesystem::path& path, ConfigJson& config);

}  // namespace engine::cloud
