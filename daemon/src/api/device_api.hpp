// What the local HTTP API needs from the rest of the daemon. The real
// implementation is the daemon's Device; tests use a fake.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "apply_loop.hpp"
#include "engine/exec/ports.hpp"
#include "engine/locks/update_locks.hpp"
#include "host_config.hpp"
#include "host_journal.hpp"
#include "reconcile/json.hpp"

namespace supervisor::api {

enum class ServiceAction { Restart, Stop, Start };
enum class PowerAction { Reboot, Shutdown };

// What a request's key may act on (local-api.md §2.4): every app (the global
// key; every request when the API asks for no key) or one app (the key of a
// service with the supervisor-api feature).
struct KeyScope {
  std::optional<std::int64_t> app;  // nullopt: every app

  [[nodiscard]] bool allows(std::int64_t app_id) const { return !app || *app == app_id; }
  [[nodiscard]] bool is_global() const { return !app.has_value(); }
};

struct DeviceInfo {
  std::string uuid;
  std::string name;
  std::string device_type;
  std::string arch;
  std::string os_version;
  std::string supervisor_version;
  std::uint16_t api_port = 48484;
  bool local_mode = true;
};

// A tag as GET /v2/device/tags shows it.
struct DeviceTag {
  std::int64_t id = 0;
  std::string name;
  std::string value;
};

class DeviceApi {
 public:
  virtual ~DeviceApi() = default;

  [[nodiscard]] virtual DeviceInfo info() = 0;
  // The scope of `key`; nullopt when it is no key of this device; a failure
  // when it cannot be checked (the API answers 503).
  [[nodiscard]] virtual engine::Result<std::optional<KeyScope>> authorize(const std::string& key) = 0;
  // Replaces `key` with a new key of the same scope and returns it; NotFound
  // when `key` is no key of this device.
  [[nodiscard]] virtual engine::Result<std::string> regenerate_key(const std::string& key) = 0;

  [[nodiscard]] virtual std::optional<reconcile::State> target() = 0;
  [[nodiscard]] virtual std::map<std::string, std::string> target_config() = 0;
  // Validated already; stores it (one transaction) and starts an apply.
  [[nodiscard]] virtual engine::Status set_target(const reconcile::LocalTargetState& target) = 0;

  // The device as the engine reports it now.
  [[nodiscard]] virtual engine::Status current(engine::Snapshot& out) = 0;
  [[nodiscard]] virtual ApplyStatus apply_status() = 0;

  // Actions fail with a kind the server turns into the HTTP status: an
  // unknown app or service is NotFound (404), a user's update lock Locked
  // (423), the engine down Unavailable (503).
  // False when the request is ignored (instant updates off, no force).
  virtual bool trigger_update(engine::Force force, bool cancel) = 0;
  [[nodiscard]] virtual engine::Status restart_app(std::int64_t app_id, engine::Force force) = 0;
  // The app's containers and named volumes removed, then the app installed
  // again (its data gone).
  [[nodiscard]] virtual engine::Status purge_app(std::int64_t app_id, engine::Force force) = 0;
  // Reboots or powers off the host once every app's update locks are taken
  // (unless forced); Locked when a service holds one.
  [[nodiscard]] virtual engine::Status power(PowerAction action, engine::Force force) = 0;
  // `service_name` is a service's name, or "#<imageId>".
  [[nodiscard]] virtual engine::Status service_action(std::int64_t app_id, ServiceAction action,
                                                      const std::string& service_name, engine::Force force) = 0;

  // The identify LED's 15 s pattern, started without waiting for it;
  // false when the host has no LED (nothing blinks; not an error).
  [[nodiscard]] virtual bool blink() = 0;
  // The host's hostname and proxy (host_config.hpp). FileSystem when a
  // file cannot be read.
  [[nodiscard]] virtual engine::Result<HostConfig> host_config() = 0;
  // Validated already; written once every app's update locks are taken
  // (unless forced or SUPERVISOR_OVERRIDE_LOCK): Locked when a service holds
  // one, Invalid when the merged proxy is incomplete.
  [[nodiscard]] virtual engine::Status set_host_config(const HostConfigPatch& patch, engine::Force force) = 0;
  // The cloud's tags for this device, read now; Unavailable when there is
  // no cloud (unmanaged, not provisioned yet) or it cannot be reached.
  [[nodiscard]] virtual engine::Result<std::vector<DeviceTag>> device_tags() = 0;
  // Validated already; stored, then sent to the cloud in the background.
  [[nodiscard]] virtual engine::Status set_device_tags(const std::map<std::string, std::string>& tags) = 0;
  // Removes the volumes no container mounts and no target app in `scope`
  // declares (host_volumes.hpp); the names removed.
  [[nodiscard]] virtual engine::Result<std::vector<std::string>> cleanup_volumes(const KeyScope& scope) = 0;
  // journalctl started with `arguments` (host_journal.hpp); Unavailable
  // when the host has no journalctl.
  [[nodiscard]] virtual engine::Result<std::unique_ptr<ChildOutput>> journal(
      const std::vector<std::string>& arguments) = 0;

  [[nodiscard]] virtual Logger& log() = 0;
};

}  // namespace supervisor::api
