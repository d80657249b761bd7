// The daemon's configuration file (JSON, like balenaOS's config.json). Every
// key is optional; the defaults make `supervisor run` work out of the box on
// a machine with a Docker engine. See docs/configuration.md.
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>

namespace supervisor {

struct Config {
  std::string uuid;                 // "" : generated at first start, kept in the store
  std::string data_dir = "/var/lib/supervisor";
  std::string docker_host;          // "" : $DOCKER_HOST, else unix:///var/run/docker.sock
  std::string listen_address = "127.0.0.1";
  std::uint16_t listen_port = 48484;
  std::string api_key;              // "" : generated at first start, kept in the store
  std::string api_endpoint;         // "" : unmanaged (no cloud)
  bool local_mode = true;           // default: true when unmanaged
  std::string device_name = "local";
  std::string device_type = "generic-amd64";
  std::string arch = "amd64";
  std::chrono::milliseconds poll_interval{900'000};   // cloud target poll
  std::chrono::milliseconds recheck_interval{30'000};  // re-plan even without a trigger
  std::chrono::milliseconds backoff_initial{500};      // first retry after a failed apply
  std::chrono::milliseconds backoff_max{60'000};       // retries never wait longer

  [[nodiscard]] std::string database_path() const { return data_dir + "/database.sqlite"; }
  [[nodiscard]] std::string lock_dir() const { return data_dir + "/locks"; }
};

struct ConfigResult {
  std::optional<Config> config;
  std::string error;  // names the file and the key when config is empty
};

// Reads the file (absent path: defaults only). Environment overrides:
// DOCKER_HOST for the engine when the file does not name one.
[[nodiscard]] ConfigResult load_config(const std::string& path);
[[nodiscard]] ConfigResult parse_config(const std::string& text, const std::string& origin);

}  // namespace supervisor
