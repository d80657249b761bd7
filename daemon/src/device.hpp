// The daemon's device: the wiring of the store, the Docker runtime, the apply
// loop, the engine watch and the local API. It decides nothing: the planner
// decides, the adapters carry out, LocalApi answers the API.
#pragma once

#include <memory>
#include <string>
#include <thread>

#include "api/gateway_listener.hpp"
#include "api/server.hpp"
#include "api_keys.hpp"
#include "apply_loop.hpp"
#include "cloud_sync.hpp"
#include "config.hpp"
#include "engine/cloud/config_json.hpp"
#include "engine/docker/client.hpp"
#include "engine/locks/update_locks.hpp"
#include "engine/runtime/docker_executor.hpp"
#include "engine/runtime/docker_reader.hpp"
#include "engine/runtime/store_records.hpp"
#include "engine/store/store.hpp"
#include "engine_watch.hpp"
#include "host_power.hpp"
#include "identity.hpp"
#include "local_api.hpp"
#include "log.hpp"
#include "version.hpp"

namespace supervisor {

class CloudLogs;

class Device {
 public:
  // Opens the store (recovering from a corrupt file), loads the identity and
  // the stored target. Nothing is started yet. Null with `error` on failure.
  static std::unique_ptr<Device> open(const Config& config, Logger& log, std::string& error);
  ~Device();

  // Starts the API, the apply loop and the engine watch; returns once the
  // API serves (false with `error` when it cannot bind).
  [[nodiscard]] bool start(std::string& error);
  // Stops everything started, within a few seconds.
  void stop();

  [[nodiscard]] const DeviceIdentity& identity() const { return identity_; }

 private:
  Device(const Config& config, Logger& log, engine::store::Store store, engine::docker::Client docker,
         std::optional<engine::cloud::ConfigJson> config_json);
  // apps.json, when the store has no target yet (behaviour §5.3).
  void preload();
  // The target's name of an app, for BALENA_APP_NAME in its containers.
  [[nodiscard]] std::string app_name(reconcile::AppId app_id);

  Config config_;
  Logger& log_;
  engine::store::Store store_;
  // balena's config.json as read at start; set when the file exists. Handed
  // to CloudSync (the only writer from then on) on a managed device.
  std::optional<engine::cloud::ConfigJson> config_json_;
  DeviceIdentity identity_;
  ApiKeys keys_;  // before the executor: services are created with their keys
  LogindPower power_;
  engine::docker::Client docker_;
  engine::UpdateLocks locks_;
  engine::Downloads downloads_;
  engine::StoreRecords records_;
  // The balena supervisor's containers, after a switch-over (docs/switch-over.md).
  engine::Adoption adoption_;
  engine::DockerReader reader_;
  engine::DockerExecutor executor_;
  ApplyLoop loop_;
  LocalApi api_;
  api::Server server_;
  api::GatewayListener gateway_;  // the API on supervisor0, for the services that use it
  EngineWatch watch_;
  std::thread loop_thread_;
  std::unique_ptr<CloudSync> cloud_;  // managed devices only; stopped first
  std::unique_ptr<CloudLogs> cloud_logs_;  // managed devices only; stopped after the log followers
};

}  // namespace supervisor
