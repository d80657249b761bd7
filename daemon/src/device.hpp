// The daemon's device: the store, the Docker runtime, the apply loop and the
// local API joined together. It holds no planning logic; it keeps the target
// (store first, then the loop), answers the API and runs the loops.
#pragma once

#include <atomic>
#include <memory>
#include <string>
#include <thread>

#include "api/device_api.hpp"
#include "api/server.hpp"
#include "apply_loop.hpp"
#include "config.hpp"
#include "container_logs.hpp"
#include "engine/docker/client.hpp"
#include "engine/locks/update_locks.hpp"
#include "engine/runtime/docker_executor.hpp"
#include "engine/runtime/docker_reader.hpp"
#include "engine/store/store.hpp"
#include "local_images.hpp"
#include "log.hpp"
#include "store_records.hpp"

namespace supervisor {

inline constexpr const char* kSupervisorVersion = "0.1.0";

class Device : public api::DeviceApi {
 public:
  // Opens the store (recovering from a corrupt file), reads the identity and
  // the stored target. Nothing is started yet. Null with `error` on failure.
  // `create_body` turns a target service into the engine's container-create
  // body (compose normalization).
  static std::unique_ptr<Device> open(const Config& config, Logger& log, engine::CreateBodyFn create_body,
                                      std::string& error);
  ~Device() override;

  // Starts the API, the apply loop and the engine event watch; returns once
  // the API serves (false with `error` when it cannot bind).
  [[nodiscard]] bool start(std::string& error);
  // Stops everything started, within a few seconds.
  void stop();

  // api::DeviceApi
  api::DeviceInfo info() override;
  bool key_is_valid(const std::string& key) override;
  std::optional<reconcile::State> target() override;
  std::map<std::string, std::string> target_config() override;
  api::ActionResult set_target(const reconcile::LocalTargetState& target) override;
  engine::Status current(engine::Snapshot& out) override;
  ApplyStatus apply_status() override;
  void trigger_update(bool force, bool cancel) override;
  api::ActionResult restart_app(std::int64_t app_id, bool force) override;
  api::ActionResult service_action(std::int64_t app_id, api::ServiceAction action, const std::string& service,
                                   bool force) override;
  Logger& log() override { return log_; }

 private:
  Device(const Config& config, Logger& log, engine::store::Store store, engine::docker::Client docker,
         engine::CreateBodyFn create_body);
  void watch_events();

  Config config_;
  Logger& log_;
  engine::store::Store store_;
  engine::docker::Client docker_;
  engine::UpdateLocks locks_;
  engine::Downloads downloads_;
  StoreRecords records_;
  engine::DockerReader reader_;
  engine::DockerExecutor executor_;
  LocalImagesFirst local_images_first_;
  ApplyLoop loop_;
  api::Server server_;
  std::string api_key_;
  std::string uuid_;
  std::mutex target_mutex_;
  std::optional<engine::store::Target> target_;
  std::thread loop_thread_;
  std::thread events_thread_;
  std::thread logs_thread_;
  std::unique_ptr<ContainerLogs> container_logs_;
  engine::CancelFlag stopping_{false};
};

}  // namespace supervisor
