// A device for the API server's tests that has nothing to report: no target,
// no containers, every action accepted. Tests that care about the server's
// own behaviour (limits, logging, versions) rather than what a device says.
#pragma once

#include <map>
#include <optional>
#include <string>

#include "api/device_api.hpp"
#include "log.hpp"
#include "version.hpp"

namespace supervisor::testing {

class QuietDevice : public api::DeviceApi {
 public:
  explicit QuietDevice(Level threshold = Level::Error) : logger(threshold) {}

  bool local_mode = false;
  Logger logger;

  api::DeviceInfo info() override {
    api::DeviceInfo info;
    info.name = "quiet";
    info.supervisor_version = kSupervisorVersion;
    info.local_mode = local_mode;
    return info;
  }
  engine::Result<std::optional<api::KeyScope>> authorize(const std::string& key) override {
    if (key == "secret_key") return std::optional<api::KeyScope>{api::KeyScope{}};
    return std::optional<api::KeyScope>{};
  }
  engine::Result<std::string> regenerate_key(const std::string&) override {
    return engine::Error{engine::ErrorKind::NotFound, "no such key"};
  }
  std::optional<reconcile::State> target() override { return std::nullopt; }
  std::map<std::string, std::string> target_config() override { return {}; }
  engine::Status set_target(const reconcile::LocalTargetState&) override { return engine::Status::success(); }
  engine::Status current(engine::Snapshot&) override { return engine::Status::success(); }
  ApplyStatus apply_status() override { return {}; }
  void trigger_update(engine::Force, bool) override {}
  engine::Status restart_app(std::int64_t, engine::Force) override { return engine::Status::success(); }
  engine::Status purge_app(std::int64_t, engine::Force) override { return engine::Status::success(); }
  engine::Status power(api::PowerAction, engine::Force) override { return engine::Status::success(); }
  engine::Status service_action(std::int64_t, api::ServiceAction, const std::string&, engine::Force) override {
    return engine::Status::success();
  }
  Logger& log() override { return logger; }
};

}  // namespace supervisor::testing
