// The supervisor's and the services' log lines to the cloud
// (cloud-protocol §6, docs/logs.md): a logger subscriber turns each event
// into a stream line (or drops it), a bounded LogQueue holds the lines and
// engine::cloud::LogStream sends them. Wiring and bookkeeping only:
//  - what is sent: the same lines the local API's log stream shows (balena's
//    system lines, failures, container output with a service id), filtered
//    by each service's BALENA_LOGS_LEVEL; nothing when unmanaged, in local
//    mode, with SUPERVISOR_LOG_CONTROL false, or before the device has a
//    uuid and key (lines are then dropped, not queued, as balena);
//  - where each container was sent up to (the store's log_cursor table):
//    ContainerLogs resumes each container from there after a restart;
//  - with persistentLogging on, the older half of a half-full memory buffer
//    spills to the store's bounded log table, and the log followers wait
//    for that write rather than overflow the memory meanwhile.
#pragma once

#include <atomic>
#include <condition_variable>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <thread>

#include "engine/cloud/config_json.hpp"
#include "engine/cloud/log_queue.hpp"
#include "engine/cloud/log_stream.hpp"
#include "engine/store/store.hpp"
#include "log.hpp"

namespace supervisor {

// What decides, at any moment, whether and how lines are sent.
struct CloudLogsSettings {
  bool send = false;                // managed, not local mode, SUPERVISOR_LOG_CONTROL not false
  bool persistent_logging = false;  // spill to the store when the memory buffer is half full
};

// The stream line for a logger event, or nullopt when the cloud does not get it.
[[nodiscard]] std::optional<engine::cloud::LogLine> cloud_log_line(const LogEvent& event);

// SUPERVISOR_LOG_CONTROL of a target config map (any prefix): false turns
// the cloud logs off; absent or unreadable keeps them on.
[[nodiscard]] bool log_control_on(const std::map<std::string, std::string>& target_config);

// The store's log table as the queue's spill.
class StoreLogSpill final : public engine::cloud::LogSpill {
 public:
  explicit StoreLogSpill(engine::store::Store& store) : store_(store) {}
  [[nodiscard]] engine::Result<std::int64_t> append(const std::vector<engine::cloud::LogLine>& lines) override;
  [[nodiscard]] engine::Result<std::vector<std::pair<std::int64_t, engine::cloud::LogLine>>> oldest(
      std::size_t limit) override;
  [[nodiscard]] engine::Status remove_through(std::int64_t seq) override;

 private:
  engine::store::Store& store_;
};

struct CloudLogsOptions {
  engine::cloud::LogStreamOptions stream;  // endpoint, CA, uuid and key
  engine::cloud::LogQueueOptions queue;
  std::chrono::milliseconds settings_refresh{1000};
};

// The stream's endpoint (logsEndpoint, else apiEndpoint), extra root CA,
// uuid and key from balena's config.json; an unusable balenaRootCA is
// logged and the system store trusted alone, as the other cloud calls do.
[[nodiscard]] CloudLogsOptions cloud_logs_options(const engine::cloud::ConfigJson& config_json, Logger& log);

class CloudLogs {
 public:
  using SettingsFn = std::function<CloudLogsSettings()>;

  CloudLogs(Logger& log, engine::store::Store& store, CloudLogsOptions options, SettingsFn settings);
  ~CloudLogs();
  CloudLogs(const CloudLogs&) = delete;
  CloudLogs& operator=(const CloudLogs&) = delete;

  // Reads the resume points, subscribes to the logger, starts the stream.
  void start();
  void stop();

  // Where a container's output was sent (or spilled) up to, from the store
  // at start: ContainerLogs reads on from there.
  [[nodiscard]] std::optional<std::int64_t> resume_point(const std::string& container_id);
  // For the log followers, before each container line: while lines go to
  // the cloud and spill to disk, waits (up to 5 s) for the spill to make
  // room rather than let a burst overflow the memory meanwhile.
  void wait_for_room();
  // Drops the resume points of containers not in `existing` (removed by an
  // update while the supervisor ran, or while it was down), so the store
  // keeps one row per container the device has, not one per container it
  // ever had.
  void forget_removed_containers(const std::set<std::string>& existing);

  [[nodiscard]] engine::cloud::LogQueueStats queue_stats() { return queue_.stats(); }

 private:
  void on_event(const LogEvent& event);
  void on_sent(const std::vector<engine::cloud::QueuedLine>& sent);
  void on_stream_event(const engine::cloud::LogStreamEvent& event);
  void refresh_settings();

  Logger& log_;
  engine::store::Store& store_;
  CloudLogsOptions options_;
  SettingsFn settings_fn_;
  engine::cloud::LogQueue queue_;
  StoreLogSpill spill_;
  std::unique_ptr<engine::cloud::LogStream> stream_;
  std::atomic<bool> send_{false};
  bool spilling_ = false;  // refresh thread only
  std::optional<std::uint64_t> subscription_;

  std::mutex mutex_;
  std::condition_variable wake_;
  bool stopping_ = false;
  std::map<std::string, std::int64_t> resume_;   // read at start
  std::map<std::string, std::int64_t> cursors_;  // stream thread: sent up to
  std::thread refresh_thread_;
};

}  // namespace supervisor
