// Follows the output of the supervisor's running containers and hands each
// line to the logger's subscribers (the local API's /v2/local/logs). One
// stream per container; a stream ends with its container, and sync()
// attaches to containers that started since.
#pragma once

#include <atomic>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <thread>

#include "engine/docker/client.hpp"
#include "log.hpp"

namespace supervisor {

class ContainerLogs {
 public:
  ContainerLogs(const engine::docker::Client& docker, Logger& log);
  ~ContainerLogs();
  ContainerLogs(const ContainerLogs&) = delete;
  ContainerLogs& operator=(const ContainerLogs&) = delete;

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
  std::mutex mutex_;
  std::map<std::string, Follower> followers_;  // by container id
  engine::docker::CancelFlag stopping_{false};
};

}  // namespace supervisor
