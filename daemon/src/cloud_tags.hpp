// Device tags (cloud-protocol §3.2, §7; local-api.md §4 /v2/device/tags).
// PATCH /v2/device/tags stores the wanted values (TagStore, config keys
// "targetTags" and "reportedTags" as JSON objects, as balena keeps them in
// its database) and wakes the TagSender, which PATCHes the cloud with the
// values that differ from the last accepted ones: at most one call per
// 10 s, §0.3 backoff on failure, and at start whatever an earlier run left
// unsent. GET /v2/device/tags is a live read through the same client.
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "api/device_api.hpp"
#include "clock.hpp"
#include "engine/cloud/device_tags.hpp"
#include "engine/cloud/http.hpp"
#include "engine/store/store.hpp"
#include "log.hpp"

namespace supervisor {

class TagStore {
 public:
  explicit TagStore(engine::store::Store& store) : store_(store) {}
  [[nodiscard]] engine::Result<engine::cloud::TagValues> target();
  [[nodiscard]] engine::Result<engine::cloud::TagValues> reported();
  // `values` over the stored wanted values (tags are never deleted).
  [[nodiscard]] engine::Status add_target(const engine::cloud::TagValues& values);
  // `values` over the stored accepted values.
  [[nodiscard]] engine::Status mark_reported(const engine::cloud::TagValues& values);

 private:
  engine::Result<engine::cloud::TagValues> values(const char* key);
  engine::Status merge(const char* key, const engine::cloud::TagValues& values);

  engine::store::Store& store_;
  std::mutex mutex_;  // a merge reads then writes
};

struct TagCredentials {
  std::string uuid;
  std::string device_api_key;
  std::int64_t device_id = 0;
};

class TagSender {
 public:
  TagSender(engine::store::Store& store, Logger& log, Clock& clock = steady_clock());
  ~TagSender();
  TagSender(const TagSender&) = delete;
  TagSender& operator=(const TagSender&) = delete;

  // Once the device is provisioned: the loop starts and sends what is
  // pending. `poll_interval` caps the backoff (§0.3).
  void start(engine::cloud::HttpClient client, TagCredentials credentials,
             std::function<std::chrono::milliseconds()> poll_interval);
  void stop();
  // New wanted values were stored.
  void wake();
  // The cloud's tags now (pine). Unavailable before start() (the device is
  // not provisioned yet) and when the cloud cannot be reached.
  [[nodiscard]] engine::Result<std::vector<api::DeviceTag>> read();

 private:
  void run();
  // Waits until `deadline`, a wake() when `on_wake`, or stop(); true when stopped.
  bool wait_until(Clock::TimePoint deadline, bool on_wake);

  TagStore tags_;
  Logger& log_;
  Clock& clock_;
  std::mutex mutex_;
  std::condition_variable wake_;
  bool stopping_ = false;
  bool woken_ = false;
  std::optional<engine::cloud::HttpClient> client_;  // set once by start()
  TagCredentials credentials_;
  std::function<std::chrono::milliseconds()> poll_interval_;
  std::atomic<bool> cancel_{false};
  std::thread thread_;
};

}  // namespace supervisor
