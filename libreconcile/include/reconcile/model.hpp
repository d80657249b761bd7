// Value types of the planner: what a device runs (current), what it should
// run (target) and what else the planner knows (Context).
//
// Only the standard library appears here; JSON lives in reconcile/json.hpp.
// Times are seconds since the Unix epoch (UTC) and always come in as data:
// the planner never reads a clock.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <vector>

namespace reconcile {

using AppId = std::int64_t;
using Seconds = std::int64_t;  // seconds since the Unix epoch, UTC

// The container's state as the engine (or the executor, for the transient
// ones) reports it. `Other` keeps engine states the planner has no rule for.
enum class ServiceStatus {
  Running,
  Stopped,
  Stopping,
  Exited,
  Installing,
  Installed,
  Dead,
  HandingOver,
  AwaitingHandover,
  Downloading,
  Paused,
  Restarting,
  Removing,
};

enum class UpdateStrategy { DownloadThenKill, KillThenDownload, DeleteThenDownload, HandOver };

// One network a service joins, with the per-network compose options.
struct ServiceNetwork {
  std::vector<std::string> aliases;
  std::string ipv4_address;
  std::string ipv6_address;
  std::vector<std::string> link_local_ips;

  friend bool operator==(const ServiceNetwork&, const ServiceNetwork&) = default;
};

// The compose-derived configuration of a service. Immutable once built and
// shared between copies of a service: steps carry services by value, and
// sharing keeps a plan over a thousand services cheap.
struct ServiceConfig {
  std::vector<std::string> depends_on;  // includes network_mode service:<x>
  std::map<std::string, ServiceNetwork> networks;  // app network name -> options
  std::string network_mode;                        // "" when unset
  std::vector<std::string> named_volumes;          // app volumes it mounts
  UpdateStrategy strategy = UpdateStrategy::DownloadThenKill;
  bool requires_reboot = false;  // label io.balena.update.requires-reboot
  // Joins supervisor0 (label io.balena.features.supervisor-api and a network
  // stack of its own): the create body adds it, so `networks` does not name it.
  bool joins_supervisor_network = false;
  // Uses the supervisor API (that label, whatever its network): the create
  // body carries a key of its own.
  bool uses_supervisor_api = false;
  std::string restart;           // compose `restart`, "" when unset
  // The whole compose configuration as canonical JSON text (sorted keys),
  // kept to be written back out in steps.
  std::string composition = "{}";
  // Canonical JSON of the configuration that decides recreate versus
  // metadata update: `composition` without running, networks and depends_on,
  // normalized. Equal keys mean equal configuration.
  std::string config_key = "{}";

  friend bool operator==(const ServiceConfig&, const ServiceConfig&) = default;
};

// A service: one container of an app. The same type holds a current
// container (status, container_id, created_at are set) and a target service.
struct Service {
  std::string service_name = "main";
  AppId app_id = 1;
  std::string app_uuid = "appuuid";
  std::int64_t service_id = 1;
  std::int64_t image_id = 1;
  std::int64_t release_id = 1;
  std::string commit = "main-commit";
  std::string image = "test-image";  // image reference (name), as in the target
  // Target: the service should run. Current: the container runs.
  bool running = true;

  // Current containers only.
  ServiceStatus status = ServiceStatus::Running;
  std::optional<std::string> container_id;
  Seconds created_at = 0;
  std::string exit_error;  // the engine's error for an exited container
  // The engine image id: of the container (current) or, on a target
  // service, of the image when the engine already has it.
  std::optional<std::string> docker_image_id;

  [[nodiscard]] const ServiceConfig& config() const;
  void set_config(ServiceConfig config);

  friend bool operator==(const Service& a, const Service& b);

 private:
  std::shared_ptr<const ServiceConfig> config_;  // null: the default config
};

// An image the engine holds and the supervisor has a record of.
struct Image {
  std::string name = "test-image";
  AppId app_id = 1;
  std::string app_uuid = "appuuid";
  std::string service_name = "main";
  std::int64_t service_id = 1;
  std::int64_t image_id = 1;
  std::int64_t release_id = 1;
  std::string commit = "main-commit";
  std::optional<std::string> docker_image_id;

  friend bool operator==(const Image&, const Image&) = default;
  friend auto operator<=>(const Image&, const Image&) = default;
};

struct IpamPool {
  std::string subnet;
  std::string gateway;
  std::string ip_range;
  std::map<std::string, std::string> aux_addresses;

  friend bool operator==(const IpamPool&, const IpamPool&) = default;
  friend auto operator<=>(const IpamPool&, const IpamPool&) = default;
};

// docker-compose network keys, with compose defaults filled in.
struct NetworkConfig {
  std::string driver = "bridge";
  std::map<std::string, std::string> driver_opts;
  std::string ipam_driver = "default";
  std::vector<IpamPool> ipam_config;
  std::map<std::string, std::string> ipam_options;
  bool internal = false;
  bool enable_ipv6 = false;
  std::map<std::string, std::string> labels;
  bool config_only = false;

  friend bool operator==(const NetworkConfig&, const NetworkConfig&) = default;
  friend auto operator<=>(const NetworkConfig&, const NetworkConfig&) = default;
};

// docker-compose volume keys, with compose defaults filled in.
struct VolumeConfig {
  std::string driver = "local";
  std::map<std::string, std::string> driver_opts;
  std::map<std::string, std::string> labels;

  friend bool operator==(const VolumeConfig&, const VolumeConfig&) = default;
  friend auto operator<=>(const VolumeConfig&, const VolumeConfig&) = default;
};

struct Network {
  std::string name;
  AppId app_id = 1;
  std::string app_uuid = "appuuid";
  NetworkConfig config;

  friend bool operator==(const Network&, const Network&) = default;
  friend auto operator<=>(const Network&, const Network&) = default;
};

struct Volume {
  std::string name;
  AppId app_id = 1;
  std::string app_uuid = "appuuid";
  VolumeConfig config;

  friend bool operator==(const Volume&, const Volume&) = default;
  friend auto operator<=>(const Volume&, const Volume&) = default;
};

struct App {
  AppId app_id = 1;
  std::string app_uuid = "appuuid";
  std::string name;
  bool is_host = false;
  // Target only: the release failed a contract; the planner leaves the app
  // where it is (not installed, not updated, not removed).
  bool is_rejected = false;
  // Current: the commit recorded as running. Target: the release's commit.
  // Absent means unknown; updateCommit is only planned when both are known
  // or the target one is known.
  std::optional<std::string> commit;
  std::optional<std::int64_t> release_id;
  std::vector<Service> services;
  std::vector<Network> networks;  // current may hold duplicates of a name
  std::vector<Volume> volumes;

  friend bool operator==(const App&, const App&) = default;
};

struct State {
  std::vector<App> apps;

  friend bool operator==(const State&, const State&) = default;
};

// An image the engine holds, with or without a record of the supervisor's:
// the planner records one it already has (saveImage) instead of pulling it
// (images built on the device by `balena push`, records lost with a store).
struct EngineImage {
  std::string id;                       // "sha256:..."
  std::vector<std::string> references;  // repo tags and repo digests

  friend bool operator==(const EngineImage&, const EngineImage&) = default;
  friend auto operator<=>(const EngineImage&, const EngineImage&) = default;
};

struct Context {
  Seconds now = 0;
  Seconds boot_time = 0;
  std::vector<Image> available_images;   // image records whose image the engine holds
  std::vector<EngineImage> engine_images;  // every image the engine holds
  std::vector<std::string> downloading;  // image names being pulled
  // appId -> service name -> container id, for network_mode service:<x>.
  std::map<AppId, std::map<std::string, std::string>> container_ids;
  std::set<AppId> locks_held;  // apps whose update lock the supervisor holds
  bool has_leftover_locks = false;
  bool keep_volumes = false;
  bool keep_images = false;
  // An intermediate target of the local API (start-service) asks for a
  // stopped container to run: it is started, not left to the engine's
  // restart policy as an exited container otherwise is (balena §3.5).
  bool start_stopped = false;
  bool force = false;
  bool reboot_breadcrumb_set = false;
  // The engine holds supervisor0 as the supervisor creates it (bridge name,
  // subnet, gateway); false when it is missing or differs.
  bool supervisor_network_ready = true;

  friend bool operator==(const Context&, const Context&) = default;
};

// The image record a service needs (its engine id when known).
[[nodiscard]] Image image_of(const Service& service);

// Names used in JSON and logs.
[[nodiscard]] const char* to_string(ServiceStatus status);
[[nodiscard]] std::optional<ServiceStatus> parse_service_status(std::string_view text);
[[nodiscard]] const char* to_string(UpdateStrategy strategy);
// Unknown or absent strategy names fall back to download-then-kill.
[[nodiscard]] UpdateStrategy parse_update_strategy(std::string_view text);

}  // namespace reconcile
