// What the local HTTP API needs from the rest of the daemon. The real
// implementation is the daemon's Device; tests use a fake.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "apply_loop.hpp"
#include "engine/exec/ports.hpp"
#include "reconcile/json.hpp"

namespace supervisor::api {

enum class ServiceAction { Restart, Stop, Start };

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

// The outcome of an API action: HTTP-like codes chosen by the device
// (e.g. 404 for an unknown app, 423 for a held update lock).
struct ActionResult {
  int status = 200;
  std::string message;
};

class DeviceApi {
 public:
  virtual ~DeviceApi() = default;

  [[nodiscard]] virtual DeviceInfo info() = 0;
  // Accepts the global key (and, later, per-service keys).
  [[nodiscard]] virtual bool key_is_valid(const std::string& key) = 0;

  [[nodiscard]] virtual std::optional<reconcile::State> target() = 0;
  [[nodiscard]] virtual std::map<std::string, std::string> target_config() = 0;
  // Validated already; stores it (one transaction) and starts an apply.
  [[nodiscard]] virtual ActionResult set_target(const reconcile::LocalTargetState& target) = 0;

  // The device as the engine reports it now.
  [[nodiscard]] virtual engine::Status current(engine::Snapshot& out) = 0;
  [[nodiscard]] virtual ApplyStatus apply_status() = 0;

  virtual void trigger_update(bool force, bool cancel) = 0;
  [[nodiscard]] virtual ActionResult restart_app(std::int64_t app_id, bool force) = 0;
  [[nodiscard]] virtual ActionResult service_action(std::int64_t app_id, ServiceAction action,
                                                    const std::string& service_name, bool force) = 0;

  [[nodiscard]] virtual Logger& log() = 0;
};

}  // namespace supervisor::api
