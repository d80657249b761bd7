// A device for the API server's tests that has nothing to report: no target,
// no containers, every action accepted. Tests that care about the server's
// own behaviour (limits, logging, versions) rather than what a device says.
#pragma once

#include <map>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

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
  bool trigger_update(engine::Force, bool) override { return true; }
  engine::Status restart_app(std::int64_t, engine::Force) override { return engine::Status::success(); }
  engine::Status purge_app(std::int64_t, engine::Force) override { return engine::Status::success(); }
  engine::Status power(api::PowerAction, engine::Force) override { return engine::Status::success(); }
  engine::Status service_action(std::int64_t, api::ServiceAction, const std::string&, engine::Force) override {
    return engine::Status::success();
  }
  // The host and cloud seams: what was asked, and what to answer.
  bool has_led = true;
  int blinks = 0;
  HostConfig host{"quiet00", std::nullopt};
  std::vector<std::pair<HostConfigPatch, engine::Force>> host_patches;
  std::optional<engine::Error> host_failure;  // set: set_host_config fails so
  std::vector<api::DeviceTag> cloud_tags;
  std::optional<engine::Error> tags_failure;  // set: device_tags fails so
  std::map<std::string, std::string> stored_tags;
  std::vector<api::KeyScope> cleanups;
  std::string journal_binary = "echo";  // prints the arguments it was given
  std::vector<std::vector<std::string>> journal_calls;

  bool blink() override {
    ++blinks;
    return has_led;
  }
  engine::Result<HostConfig> host_config() override { return host; }
  engine::Status set_host_config(const HostConfigPatch& patch, engine::Force force) override {
    if (host_failure) return *host_failure;
    host_patches.emplace_back(patch, force);
    if (patch.hostname) host.hostname = patch.hostname->empty() ? "quiet00" : *patch.hostname;
    return engine::Status::success();
  }
  engine::Result<std::vector<api::DeviceTag>> device_tags() override {
    if (tags_failure) return *tags_failure;
    return cloud_tags;
  }
  engine::Status set_device_tags(const std::map<std::string, std::string>& tags) override {
    for (const auto& [key, value] : tags) stored_tags[key] = value;
    return engine::Status::success();
  }
  engine::Result<std::vector<std::string>> cleanup_volumes(const api::KeyScope& scope) override {
    cleanups.push_back(scope);
    return std::vector<std::string>{};
  }
  engine::Result<std::unique_ptr<ChildOutput>> journal(const std::vector<std::string>& arguments) override {
    journal_calls.push_back(arguments);
    return HostJournal(journal_binary).open(arguments);
  }
  Logger& log() override { return logger; }
};

}  // namespace supervisor::testing
