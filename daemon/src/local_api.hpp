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
#include "cloud_tags.hpp"
#include "host_config.hpp"
#include "host_journal.hpp"
#include "host_led.hpp"
#include "host_power.hpp"
#include "host_units.hpp"
#include "host_volumes.hpp"
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
  void set_update_handler(std::function<bool(engine::Force, bool)> handler);
  // The engine's volumes, for /v2/cleanup-volumes (unset: 503).
  void set_engine_volumes(std::unique_ptr<EngineVolumes> volumes);
  // A managed device's tag sender (CloudSync's); unset, tags are stored
  // only and GET /v2/device/tags says there is no cloud.
  void set_tag_sender(TagSender* sender);
  // Ends the journal streams (their processes killed) before the server
  // stops, which waits for every open stream.
  void stop_streams() { journal_.stop_all(); }
  // Host seams replaced by tests.
  void set_identify_led(std::unique_ptr<IdentifyLed> led);
  void set_host_units(std::unique_ptr<HostUnits> units);

  api::DeviceInfo info() override;
  engine::Result<std::optional<api::KeyScope>> authorize(const std::string& key) override;
  engine::Result<std::string> regenerate_key(const std::string& key) override;
  std::optional<reconcile::State> target() override;
  std::map<std::string, std::string> target_config() override;
  engine::Status set_target(const reconcile::LocalTargetState& target) override;
  engine::Status current(engine::Snapshot& out) override;
  ApplyStatus apply_status() override;
  bool trigger_update(engine::Force force, bool cancel) override;
  engine::Status restart_app(std::int64_t app_id, engine::Force force) override;
  engine::Status purge_app(std::int64_t app_id, engine::Force force) override;
  engine::Status power(api::PowerAction action, engine::Force force) override;
  engine::Status service_action(std::int64_t app_id, api::ServiceAction action, const std::string& service,
                                engine::Force force) override;
  bool blink() override;
  engine::Result<HostConfig> host_config() override;
  engine::Status set_host_config(const HostConfigPatch& patch, engine::Force force) override;
  engine::Result<std::vector<api::DeviceTag>> device_tags() override;
  engine::Status set_device_tags(const std::map<std::string, std::string>& tags) override;
  engine::Result<std::vector<std::string>> cleanup_volumes(const api::KeyScope& scope) override;
  engine::Result<std::unique_ptr<ChildOutput>> journal(const std::vector<std::string>& arguments) override;
  Logger& log() override { return log_; }

 private:
  engine::Status store_and_apply(engine::store::Target target, engine::Force force);
  // Takes the update locks of every app that runs services (all or none;
  // forced by `force` or SUPERVISOR_OVERRIDE_LOCK); the apps taken in `taken`.
  engine::Status lock_every_app(engine::Force force, std::vector<reconcile::AppId>& taken);
  void release_apps(const std::vector<reconcile::AppId>& taken);

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
  std::function<bool(engine::Force, bool)> update_handler_;
  std::unique_ptr<EngineVolumes> volumes_;  // under handler_mutex_
  TagSender* tag_sender_ = nullptr;         // under handler_mutex_
  std::unique_ptr<IdentifyLed> led_;        // under handler_mutex_
  HostConfigFiles host_files_;
  std::unique_ptr<HostUnits> units_;        // under host_config_mutex_
  std::mutex host_config_mutex_;            // one host-config write at a time
  HostJournal journal_;
  TagStore tag_store_;
};

}  // namespace supervisor
