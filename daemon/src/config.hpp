// The daemon's configuration file (JSON, like balenaOS's config.json). Every
// key is optional; the defaults make `supervisor run` work out of the box on
// a machine with a Docker engine. See docs/configuration.md.
#pragma once

#include <fmt/format.h>

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>

#include "log.hpp"

namespace supervisor {

struct Config {
  std::string uuid;                 // "" : generated at first start, kept in the store
  std::string data_dir = "/var/lib/supervisor";
  std::string docker_host;          // "" : $DOCKER_HOST, else unix:///var/run/docker.sock
  std::string listen_address = "127.0.0.1";
  std::uint16_t listen_port = 48484;
  std::string api_key;              // "" : generated at first start, kept in the store
  std::string api_endpoint;         // "" : unmanaged (no cloud); config.json's apiEndpoint wins
  // balena's own config.json (cloud-protocol §1). Absent file, or no
  // apiEndpoint in it: an unmanaged device driven through the local API.
  // With apiEndpoint the device is managed: its uuid, keys, endpoints and
  // device type come from that file, which the daemon rewrites atomically
  // (provisioning, generated identity, persistentLogging).
  std::string config_json_path = "/mnt/boot/config.json";
  // A preloaded target (v3 form, as balena's apps.json), applied once when
  // the store has no target yet.
  std::string apps_json_path = "/mnt/data/apps.json";
  // The balena supervisor's database (balena-database.md §0), imported once
  // at the first start of a data directory without a store (switch-over,
  // docs/switch-over.md). "" : never import.
  std::string balena_database_path = "/mnt/data/resin-data/balena-supervisor/database.sqlite";
  // The root of the update-lock directories (ROOT/APPID/SERVICE, bound into
  // each service at /tmp/balena). "" : DATA_DIR/locks. On a device taken
  // over from the balena supervisor: /tmp/balena-supervisor/services, the
  // path its containers were created with.
  std::string lock_root;
  // Host seams of the local API (docs/local-api.md). balenaOS paths by
  // default; on another host each is simply absent and the route says so.
  // The identify LED (POST /v1/blink): balena's sysfs brightness file.
  std::string led_file = "/sys/class/leds/led0/brightness";
  // redsocks.conf and no_proxy of the host's proxy (/v1/device/host-config).
  std::string proxy_dir = "/mnt/boot/system-proxy";
  // POST /v2/journal-logs runs this (a name is looked up on PATH).
  std::string journalctl_path = "journalctl";
  bool local_mode = true;           // default: true when unmanaged
  std::string device_name = "local";
  std::string device_type = "generic-amd64";
  std::string arch = "amd64";
  std::chrono::milliseconds poll_interval{900'000};   // cloud target poll
  std::chrono::milliseconds recheck_interval{30'000};  // re-plan even without a trigger
  std::chrono::milliseconds backoff_initial{500};      // first retry after a failed apply
  std::chrono::milliseconds backoff_max{60'000};       // retries never wait longer
  // The lowest level written to stderr. $SUPERVISOR_LOG_LEVEL wins over the
  // file's logLevel; the cloud's SUPERVISOR_LOG_LEVEL over both while set.
  Level log_level = Level::Info;

  [[nodiscard]] std::string database_path() const { return data_dir + "/database.sqlite"; }
  [[nodiscard]] std::string lock_dir() const { return lock_root.empty() ? data_dir + "/locks" : lock_root; }
  // The last state report the cloud accepted, kept so that a restart sends
  // only what changed (cloud-protocol §5.4).
  [[nodiscard]] std::string report_cache_path() const { return fmt::format("{}/last-report.json", data_dir); }
};

struct ConfigResult {
  std::optional<Config> config;
  std::string error;  // names the file and the key when config is empty
};

// Reads the file (absent path: defaults only). Environment overrides:
// DOCKER_HOST for the engine when the file does not name one;
// SUPERVISOR_LOG_LEVEL for the log level, over the file's.
[[nodiscard]] ConfigResult load_config(const std::string& path);
[[nodiscard]] ConfigResult parse_config(const std::string& text, const std::string& origin);

}  // namespace supervisor
