// Follows the output of the supervisor's running containers and hands each
// line to the logger's subscribers (the local API's /v2/local/logs, the
// cloud log stream). One stream per container; a stream ends with its
// container, and sync() attaches to containers that started since.
//
// Lines carry the engine's time of them. A container is read from where
// this run last read it, else from where the cloud last took its output
// (the resume point the cloud logs keep in the store: a restart sends what
// was written meanwhile, once), else from its creation or the daemon's
// start, whichever is later.
#pragma once

#include <atomic>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <thread>

#include "engine/docker/client.hpp"
#include "log.hpp"

namespace supervisor {

// "2026-11-25T09:00:00.123456789Z" as nanoseconds since the epoch (UTC);
// nullopt when it does not read. Fewer fraction digits are fine.
[[nodiscard]] std::optional<std::int64_t> parse_engine_time_ns(std::string_view text);

// BALENA_LOGS_LEVEL from a container's environment ("none", "err"/"error",
// else everything).
[[nodiscard]] ServiceLogsLevel logs_level_of(std::string_view value);

class ContainerLogs {
 public:
  // Where the cloud last took a container's output (engine ns), if known.
  using ResumePoint = std::function<std::optional<std::int64_t>(const std::string& container_id)>;
  // Called before each line is handed on; may block, holding the
  // container's further output with the engine (the cloud logs' spill
  // making room).
  using BeforeLine = std::function<void()>;

  ContainerLogs(const engine::docker::Client& docker, Logger& log);
  ~ContainerLogs();
  ContainerLogs(const ContainerLogs&) = delete;
  ContainerLogs& operator=(const ContainerLogs&) = delete;

  // Set before the first sync().
  void set_resume_point(ResumePoint resume_point);
  void set_before_line(BeforeLine before_line);
  // Attaches to every running supervised container not followed yet.
  void sync();
  void stop();

 private:
  struct Follower {
    std::thread thread;
    std::shared_ptr<std::atomic<bool>> ended;
  };

  const engine::docker::Client& docker_;
  Logger& log_;
  const std::int64_t started_at_;  // output from before the daemon started is not replayed
  ResumePoint resume_point_;
  BeforeLine before_line_;
  std::mutex mutex_;
  std::map<std::string, Follower> followers_;  // by container id
  // Per container id, the engine time of the last line read in this run.
  std::shared_ptr<std::map<std::string, std::int64_t>> read_until_ = std::make_shared<std::map<std::string, std::int64_t>>();
  std::shared_ptr<std::mutex> read_until_mutex_ = std::make_shared<std::mutex>();
  engine::docker::CancelFlag stopping_{false};
};

}  // namespace supervisor
