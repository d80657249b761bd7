// The device's side of the balena cloud (cloud-protocol §2-§5): provisioning
// and the initial config report at start, then two loops: the target poll
// (ETag, jitter, backoff, instant updates) and the state report (only what
// changed, throttled, a failed report merged into the next). Wiring and
// waiting only: every decision is a pure function of engine/cloud or
// libreconcile's status projections.
//
// The cloud is never needed to run: the stored target is applied by the
// Device before this starts, and a cloud that is down only means backing
// off and trying again.
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <filesystem>
#include <map>
#include <mutex>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <thread>

#include "apply_loop.hpp"
#include "clock.hpp"
#include "cloud_tags.hpp"
#include "config.hpp"
#include "engine/cloud/config_json.hpp"
#include "engine/cloud/http.hpp"
#include "engine/cloud/supervisor_config.hpp"
#include "engine/exec/ports.hpp"
#include "engine/store/store.hpp"
#include "identity.hpp"
#include "local_api.hpp"
#include "log.hpp"

namespace supervisor {

class CloudSync {
 public:
  // `config_json` is the file as read at start (identity ensured); this
  // object owns it from now on and is the only one to rewrite it.
  CloudSync(const Config& config, engine::cloud::ConfigJson config_json, const DeviceIdentity& identity,
            Logger& log, engine::store::Store& store, engine::StateReader& reader, ApplyLoop& loop, LocalApi& api,
            Clock& clock = steady_clock());
  ~CloudSync();
  CloudSync(const CloudSync&) = delete;
  CloudSync& operator=(const CloudSync&) = delete;

  // The SUPERVISOR_* values stored by an earlier run, applied before the
  // first poll (local mode, poll interval). Call before start().
  void load_stored_settings();
  void start();
  void stop();

  // POST /v1/update: poll now (unless instant updates are off and the
  // request is not forced), then apply what it brings with `force`.
  // False when ignored: instant updates are off and force was not asked.
  bool request_update(engine::Force force, bool cancel);

  [[nodiscard]] engine::cloud::SupervisorSettings settings() const;
  // Device tags: sent once the device is provisioned (cloud_tags.hpp).
  [[nodiscard]] TagSender& tags() { return tags_; }

 private:
  void run_poll();
  void run_report();
  bool provision_device(engine::cloud::HttpClient& api);
  bool pin_device(engine::cloud::HttpClient& api);
  bool initial_config_report(engine::cloud::HttpClient& api);
  // One poll: true on success (200 or 304).
  bool poll_once(engine::cloud::HttpClient& api);
  void handle_target(const std::string& body, engine::Force force);
  void apply_settings(const std::map<std::string, std::string>& target_config);
  [[nodiscard]] nlohmann::json current_report();
  [[nodiscard]] std::optional<engine::cloud::HttpClient> make_client(const std::string& purpose);
  // Waits `delay`, or less when stopped or a poll is requested (`poll`).
  enum class Wake { OnStop, OnPollRequest };
  bool wait(std::chrono::milliseconds delay, Wake wake);

  const Config& config_;
  const std::filesystem::path config_json_path_;
  engine::cloud::ConfigJson config_json_;  // poll thread only, after start()
  const DeviceIdentity& identity_;
  Logger& log_;
  engine::store::Store& store_;
  engine::StateReader& reader_;
  ApplyLoop& loop_;
  LocalApi& api_;
  Clock& clock_;
  TagSender tags_{store_, log_, clock_};

  mutable std::mutex mutex_;
  std::condition_variable wake_;
  bool stopping_ = false;
  bool poll_requested_ = false;
  engine::Force requested_force_ = engine::Force::No;
  bool requested_cancel_ = false;
  bool ready_ = false;  // provisioned: the report loop may start
  std::string uuid_;         // config.json's, after provisioning
  std::string device_key_;   // deviceApiKey, after provisioning
  std::map<std::string, std::string> stored_values_;  // SUPERVISOR_* as stored
  engine::cloud::SupervisorSettings settings_;
  std::atomic<bool> cancel_{false};

  // Poll thread only.
  std::optional<std::string> etag_;
  int poll_failures_ = 0;

  std::thread poll_thread_;
  std::thread report_thread_;
};

}  // namespace supervisor
