// The apply loop: snapshot -> plan -> run one batch -> snapshot again, until
// the plan is empty; then wait for a new target, a trigger (engine event,
// API call) or the periodic re-check. A failure becomes a logged error and
// an exponential backoff; nothing ends the loop but stop().
//
// The local API's service actions run intermediate targets through the same
// loop (apply_intermediate): exclusive, they cancel the run in progress and
// their outcome goes back to the caller. Services stopped or started through
// the API stay so until the next target (volatile overrides, as balena).
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <utility>

#include "clock.hpp"
#include "engine/exec/ports.hpp"
#include "engine/locks/update_locks.hpp"
#include "log.hpp"
#include "reconcile/model.hpp"
#include "reconcile/status.hpp"

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
  bool settled = false;   // the last run ended with an empty plan, and no target came since
  int failures = 0;       // consecutive failed runs
  std::string last_error;
  std::optional<engine::ErrorKind> last_error_kind;
  std::int64_t last_settled_ms = 0;
  std::int64_t run_started_ms = 0;
  std::int64_t last_progress_ms = 0;             // a batch finished or a pull moved
  std::map<std::string, int> download_progress;  // image -> percent, while pulling
};

// The apply loop's status as the status projections read it (local API and
// cloud report alike).
[[nodiscard]] reconcile::ApplyProgress apply_progress(const ApplyStatus& status);

class ApplyLoop {
 public:
  ApplyLoop(engine::StateReader& reader, engine::StepExecutor& executor, Logger& log, ApplyOptions options,
            Clock& clock = steady_clock());

  // A new target: cancels the run in progress and starts again at once.
  // `force` overrides user update locks until the target is reached.
  void set_target(reconcile::State target, engine::Force force = engine::Force::No);
  [[nodiscard]] std::optional<reconcile::State> target() const;
  // Re-plan now (engine event, API request); `force` as for set_target.
  void trigger(const std::string& why, engine::Force force = engine::Force::No);
  // What an intermediate target does with the volumes of an app it leaves
  // out: kept (every action but purge), or removed (purge).
  enum class Volumes { Keep, RemoveWithApp };
  // Applies `target` now, exclusively, images kept; returns when it is
  // reached or a step failed (the error's kind says why: Locked ...). The
  // loop then returns to the device's target.
  [[nodiscard]] engine::Status apply_intermediate(reconcile::State target, engine::Force force,
                                                  Volumes volumes = Volumes::Keep);
  // Keeps a service stopped (false) or running (true) whatever the target
  // says, until the next set_target; nullopt drops the override.
  void override_running(reconcile::AppId app, const std::string& service, std::optional<bool> running);
  // Runs until stop(); call from the loop's own thread.
  void run();
  void stop();
  [[nodiscard]] ApplyStatus status() const;

  // Called at least once per batch and per wait (systemd watchdog).
  std::function<void()> on_heartbeat;

 private:
  enum class RunEnd { Settled, Failed, Interrupted };
  enum class RunKind { Target, Intermediate };
  struct Intermediate {
    reconcile::State target;
    engine::Force force = engine::Force::No;
    Volumes volumes = Volumes::Keep;
    std::optional<engine::Status> outcome;  // set by the loop when done
  };
  RunEnd apply_once(RunKind kind, engine::Force force, engine::Error& failure);
  void run_intermediate();
  // Waits, interrupted by stop(), a new target, an intermediate target and
  // (unless `Wake::OnTargetOnly`, used while backing off) any trigger.
  enum class Wake { OnTrigger, OnTargetOnly };
  void wait_for(std::chrono::milliseconds delay, Wake wake);
  [[nodiscard]] std::chrono::milliseconds backoff() const;
  [[nodiscard]] reconcile::State effective_target() const;  // mutex_ held
  void heartbeat() const;

  engine::StateReader& reader_;
  engine::StepExecutor& executor_;
  Logger& log_;
  const ApplyOptions options_;
  Clock& clock_;

  mutable std::mutex mutex_;
  std::condition_variable wake_;
  std::optional<reconcile::State> target_;
  std::map<std::pair<reconcile::AppId, std::string>, bool> running_overrides_;
  engine::Force force_ = engine::Force::No;
  std::mutex one_intermediate_;           // callers of apply_intermediate, one at a time
  Intermediate* intermediate_ = nullptr;  // owned by the waiting caller
  std::condition_variable intermediate_done_;
  bool triggered_ = false;
  bool target_changed_ = false;
  bool stopping_ = false;
  engine::CancelFlag cancel_{false};
  ApplyStatus status_;
};

}  // namespace supervisor
