// The apply loop: snapshot -> plan -> run one batch -> snapshot again, until
// the plan is empty; then wait for a new target, a trigger (engine event,
// API call) or the periodic re-check. A failure becomes a logged error and
// an exponential backoff; nothing ends the loop but stop().
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <map>
#include <mutex>
#include <optional>
#include <string>

#include "engine/exec/ports.hpp"
#include "log.hpp"
#include "reconcile/model.hpp"

namespace supervisor {

struct ApplyOptions {
  std::chrono::milliseconds recheck{30'000};
  std::chrono::milliseconds backoff_initial{500};
  std::chrono::milliseconds backoff_max{60'000};
  std::chrono::milliseconds noop_wait{1'000};  // between batches that only wait
  std::size_t parallelism = 4;                 // steps of one batch run at once
  int max_batches = 1'000;                     // per run; a guard against a planner loop
};

struct ApplyStatus {
  bool has_target = false;
  bool applying = false;  // a run is in progress
  bool settled = false;   // the last run ended with an empty plan
  int failures = 0;       // consecutive failed runs
  std::string last_error;
  std::int64_t last_settled_ms = 0;
  std::int64_t run_started_ms = 0;
  std::int64_t last_progress_ms = 0;           // a batch finished or a pull moved
  std::map<std::string, int> download_progress;  // image -> percent, while pulling
};

class ApplyLoop {
 public:
  ApplyLoop(engine::StateReader& reader, engine::StepExecutor& executor, Logger& log, ApplyOptions options);

  // A new target: cancels the run in progress and starts again at once.
  void set_target(reconcile::State target);
  [[nodiscard]] std::optional<reconcile::State> target() const;
  // Re-plan now (engine event, API request).
  void trigger(const std::string& why);
  // Runs until stop(); call from the loop's own thread.
  void run();
  void stop();
  [[nodiscard]] ApplyStatus status() const;

  // Called at least once per batch and per wait (systemd watchdog).
  std::function<void()> on_heartbeat;

 private:
  enum class RunEnd { Settled, Failed, Interrupted };
  RunEnd apply_once();
  // Waits, interrupted by stop(), a new target and (unless `Wake::OnTargetOnly`,
  // used while backing off) any trigger.
  enum class Wake { OnTrigger, OnTargetOnly };
  void wait_for(std::chrono::milliseconds delay, Wake wake);
  [[nodiscard]] std::chrono::milliseconds backoff() const;
  void heartbeat() const;

  engine::StateReader& reader_;
  engine::StepExecutor& executor_;
  Logger& log_;
  const ApplyOptions options_;

  mutable std::mutex mutex_;
  std::condition_variable wake_;
  std::optional<reconcile::State> target_;
  bool triggered_ = false;
  bool target_changed_ = false;
  bool stopping_ = false;
  engine::CancelFlag cancel_{false};
  ApplyStatus status_;
};

}  // namespace supervisor
