// What the local API does, carried out by the apply loop: a new target is
// stored then applied; service actions are intermediate targets (see
// reconcile/intermediate.hpp) that go through the planner like any update.
#pragma once

#include <atomic>
#include <functional>
#include <mutex>
#include <optional>

#include "api/device_api.hpp"
#include "api_keys.hpp"
#include "apply_loop.hpp"
#include "config.hpp"
#include "engine/locks/update_locks.hpp"
#include "engine/store/store.hpp"
#include "host_power.hpp"
#include "identity.hpp"

namespace supervisor {

class LocalApi : public api::DeviceApi {
 public:
  // The seams the API acts through: the store (targets), the keys, the
  // engine's state, the apply loop, the update locks and the host's power.
  struct Parts {
    engine::store::Store& store;
    ApiKeys& keys;
    engine::StateReader& reader;
    ApplyLoop& loop;
    engine::UpdateLocks& locks;
    HostPower& power;
  };
  LocalApi(const Config& config, const DeviceIdentity& identity, Logger& log, Parts parts);

  // The stored target, or none; given by the wiring after the store opened.
  void load_target(std::optional<engine::store::Target> stored);
  [[nodiscard]] std::optional<engine::store::Target> stored_target();
  // A target from the cloud or a preload, validated already: stored (one
  // transaction), then applied. A target equal to the stored one changes
  // nothing (no write, no new run).
  [[nodiscard]] engine::Status apply_target(engine::store::Target target, engine::Force force);

  // The SUPERVISOR_LOCAL_MODE of a managed device's target; takes effect at
  // once (the API's key check, POST /v2/local/target-state).
  void set_local_mode(bool local_mode) { local_mode_ = local_mode; }
  // On a managed device POST /v1/update asks the cloud for the target
  // (CloudSync); unset, it re-plans against the stored target.
  void set_update_handler(std::function<void(engine::Force, bool)> handler);

  api::DeviceInfo info() override;
  engine::Result<std::optional<api::KeyScope>> authorize(const std::string& key) override;
  engine::Result<std::string> regenerate_key(const std::string& key) override;
  std::optional<reconcile::State> target() override;
  std::map<std::string, std::string> target_config() override;
  engine::Status set_target(const reconcile::LocalTargetState& target) override;
  engine::Status current(engine::Snapshot& out) override;
  ApplyStatus apply_status() override;
  void trigger_update(engine::Force force, bool cancel) override;
  engine::Status restart_app(std::int64_t app_id, engine::Force force) override;
  engine::Status purge_app(std::int64_t app_id, engine::Force force) override;
  engine::Status power(api::PowerAction action, engine::Force force) override;
  engine::Status service_action(std::int64_t app_id, api::ServiceAction action, const std::string& service,
                                engine::Force force) override;
  Logger& log() override { return log_; }

 private:
  engine::Status store_and_apply(engine::store::Target target, engine::Force force);

  const Config& config_;
  const DeviceIdentity& identity_;
  Logger& log_;
  engine::store::Store& store_;
  ApiKeys& keys_;
  engine::StateReader& reader_;
  ApplyLoop& loop_;
  engine::UpdateLocks& locks_;
  HostPower& power_;
  std::string os_version_;
  std::mutex target_mutex_;
  std::optional<engine::store::Target> target_;
  std::atomic<bool> local_mode_;
  std::mutex handler_mutex_;
  std::function<void(engine::Force, bool)> update_handler_;
};

}  // namespace supervisor
