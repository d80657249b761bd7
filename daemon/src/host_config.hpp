// The host's network configuration behind GET/PATCH /v1/device/host-config
// (local-api.md §3): the hostname, kept in balena's config.json
// (`hostname`, which balenaOS applies), and the redsocks proxy, kept on the
// boot partition as balenaOS reads it (PROXY_DIR/redsocks.conf and
// PROXY_DIR/no_proxy). Parsing and merging are pure; HostConfigFiles is
// the only part that touches files.
#pragma once

#include <cstdint>
#include <filesystem>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "engine/common/error.hpp"
#include "engine/common/result.hpp"

namespace supervisor {

struct HostProxy {
  std::string type;  // socks4, socks5, http-connect, http-relay
  std::string ip;
  std::int64_t port = 0;
  std::optional<std::string> login;
  std::optional<std::string> password;
  std::vector<std::string> no_proxy;  // addresses or CIDRs that bypass the proxy
  std::optional<std::string> dns;     // "ADDR:PORT": DNS over TCP through the proxy

  friend bool operator==(const HostProxy&, const HostProxy&) = default;
};

struct HostConfig {
  std::string hostname;
  std::optional<HostProxy> proxy;  // none: no redsocks.conf
};

// What a PATCH asks; an absent field keeps what the host has.
struct ProxyPatch {
  bool remove = false;  // "proxy": {}
  std::optional<std::string> type;
  std::optional<std::string> ip;
  std::optional<std::int64_t> port;
  std::optional<std::string> login;
  std::optional<std::string> password;
  std::optional<std::vector<std::string>> no_proxy;  // replaces the list; [] removes it
  enum class Dns { Keep, Remove, Set };
  Dns dns_change = Dns::Keep;
  std::string dns;  // with Dns::Set
};

struct HostConfigPatch {
  std::optional<std::string> hostname;  // "": back to the uuid's first 7 characters
  std::optional<ProxyPatch> proxy;
};

// The PATCH body (top-level `force` is the route's). Invalid naming the
// field when the shape is wrong or a value could not be written safely
// (docs/local-api.md, "host-config"). Values of a loose type that balena
// accepts (a port as a decimal string) and keys that are dropped come back
// in `warnings`, for the log.
[[nodiscard]] engine::Result<HostConfigPatch> parse_host_config_patch(const nlohmann::json& body,
                                                                      std::vector<std::string>& warnings);

// The GET answer: {"network": {"hostname", "proxy"?: {...}}}.
[[nodiscard]] nlohmann::json host_config_json(const HostConfig& config);

// The proxy after `patch`; none when it removes the proxy. Invalid when
// the result would lack type, ip or port (no proxy was set before and the
// patch does not name them all).
[[nodiscard]] engine::Result<std::optional<HostProxy>> merge_proxy(const std::optional<HostProxy>& existing,
                                                                   const ProxyPatch& patch);

// redsocks.conf as balenaOS's redsocks reads it (balena's template), and
// back. parse_redsocks ignores the no_proxy list (a file of its own).
[[nodiscard]] std::string render_redsocks(const HostProxy& proxy);
[[nodiscard]] std::optional<HostProxy> parse_redsocks(std::string_view text);

// The hostname balenaOS uses when config.json names none.
[[nodiscard]] std::string default_hostname(const std::string& uuid);

struct HostConfigPaths {
  std::filesystem::path config_json;  // balena's config.json (hostname)
  std::filesystem::path proxy_dir;    // redsocks.conf and no_proxy
};

class HostConfigFiles {
 public:
  HostConfigFiles(HostConfigPaths paths, std::string uuid) : paths_(std::move(paths)), uuid_(std::move(uuid)) {}

  // FileSystem when a file exists but cannot be read.
  [[nodiscard]] engine::Result<HostConfig> read() const;
  // Writes what the patch changes (each file atomically); Invalid from
  // merge_proxy, FileSystem when a file cannot be written.
  [[nodiscard]] engine::Status write(const HostConfigPatch& patch) const;

  [[nodiscard]] const HostConfigPaths& paths() const { return paths_; }

 private:
  HostConfigPaths paths_;
  std::string uuid_;
};

}  // namespace supervisor
