// What the local API does, carried out by the apply loop: a new target is
// stored then applied; service actions are intermediate targets (see
// reconcile/intermediate.hpp) that go through the planner like any update.
#pragma once

#include <mutex>
#include <optional>

#include "api/device_api.hpp"
#include "apply_loop.hpp"
#include "config.hpp"
#include "engine/store/store.hpp"
#include "identity.hpp"

namespace supervisor {

class LocalApi : public api::DeviceApi {
 public:
  LocalApi(const Config& config, const DeviceIdentity& identity, Logger& log, engine::store::Store& store,
           engine::StateReader& reader, ApplyLoop& loop);

  // The stored target, or none; given by the wiring after the store opened.
  void load_target(std::optional<engine::store::Target> stored);

  api::DeviceInfo info() override;
  bool key_is_valid(const std::string& key) override;
  std::optional<reconcile::State> target() override;
  std::map<std::string, std::string> target_config() override;
  engine::Status set_target(const reconcile::LocalTargetState& target) override;
  engine::Status current(engine::Snapshot& out) override;
  ApplyStatus apply_status() override;
  void trigger_update(engine::Force force, bool cancel) override;
  engine::Status restart_app(std::int64_t app_id, engine::Force force) override;
  engine::Status service_action(std::int64_t app_id, api::ServiceAction action, const std::string& service,
                                engine::Force force) override;
  Logger& log() override { return log_; }

 private:
  const Config& config_;
  const DeviceIdentity& identity_;
  Logger& log_;
  engine::store::Store& store_;
  engine::StateReader& reader_;
  ApplyLoop& loop_;
  std::string os_version_;
  std::mutex target_mutex_;
  std::optional<engine::store::Target> target_;
};

}  // namespace supervisor
