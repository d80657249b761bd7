// The loops that watch the engine beside the apply loop: its event stream (a
// container of ours that dies or disappears triggers a re-plan at once) and
// the log followers of running containers. Each runs on its own thread until
// stop(); failures are logged and retried with a backoff.
#pragma once

#include <memory>
#include <thread>

#include "apply_loop.hpp"
#include "clock.hpp"
#include "container_logs.hpp"
#include "engine/docker/client.hpp"
#include "log.hpp"

namespace supervisor {

class EngineWatch {
 public:
  EngineWatch(const engine::docker::Client& docker, ApplyLoop& loop, Logger& log, Clock& clock = steady_clock());
  ~EngineWatch();
  EngineWatch(const EngineWatch&) = delete;
  EngineWatch& operator=(const EngineWatch&) = delete;

  void start();
  void stop();
  // The log followers, for the cloud logs' resume point (set before start()).
  ContainerLogs& container_logs() { return container_logs_; }

 private:
  void watch_events();
  void follow_logs();

  const engine::docker::Client& docker_;
  ApplyLoop& loop_;
  Logger& log_;
  Stopper stopper_;
  engine::CancelFlag cancel_events_{false};
  ContainerLogs container_logs_;
  std::thread events_thread_;
  std::thread logs_thread_;
};

}  // namespace supervisor
