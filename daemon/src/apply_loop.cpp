#include "apply_loop.hpp"

#include <algorithm>

#include "engine/exec/batch.hpp"
#include "reconcile/plan_text.hpp"
#include "reconcile/planner.hpp"

namespace supervisor {
namespace {

bool only_noops(const std::vector<reconcile::Step>& steps) {
  return std::all_of(steps.begin(), steps.end(),
                     [](const reconcile::Step& s) { return std::holds_alternative<reconcile::Noop>(s); });
}

}  // namespace

ApplyLoop::ApplyLoop(engine::StateReader& reader, engine::StepExecutor& executor, Logger& log,
                     ApplyOptions options)
    : reader_(reader), executor_(executor), log_(log), options_(options) {}

void ApplyLoop::set_target(reconcile::State target) {
  {
    const std::lock_guard<std::mutex> lock(mutex_);
    target_ = std::move(target);
    status_.has_target = true;
    status_.failures = 0;  // a new target deserves an immediate try
    triggered_ = true;
    target_changed_ = true;
    cancel_ = true;
  }
  wake_.notify_all();
}

std::optional<reconcile::State> ApplyLoop::target() const {
  const std::lock_guard<std::mutex> lock(mutex_);
  return target_;
}

void ApplyLoop::trigger(const std::string& why) {
  {
    const std::lock_guard<std::mutex> lock(mutex_);
    if (triggered_) return;
    triggered_ = true;
  }
  log_.info("trigger", "re-planning: " + why);
  wake_.notify_all();
}

void ApplyLoop::stop() {
  {
    const std::lock_guard<std::mutex> lock(mutex_);
    stopping_ = true;
    cancel_ = true;
  }
  wake_.notify_all();
}

ApplyStatus ApplyLoop::status() const {
  const std::lock_guard<std::mutex> lock(mutex_);
  return status_;
}

void ApplyLoop::heartbeat() const {
  if (on_heartbeat) on_heartbeat();
}

std::chrono::milliseconds ApplyLoop::backoff() const {
  // 500 ms x 2^(failures-1), capped: 0.5 s, 1 s, 2 s, ... backoff_max.
  auto delay = options_.backoff_initial;
  for (int i = 1; i < status_.failures && delay < options_.backoff_max; ++i) delay *= 2;
  return std::min(delay, options_.backoff_max);
}

void ApplyLoop::wait_for(std::chrono::milliseconds delay, Wake wake) {
  const auto deadline = std::chrono::steady_clock::now() + delay;
  std::unique_lock<std::mutex> lock(mutex_);
  const auto woken = [&] { return stopping_ || target_changed_ || (wake == Wake::OnTrigger && triggered_); };
  // Wake at least every second for the watchdog.
  while (!woken() && std::chrono::steady_clock::now() < deadline) {
    wake_.wait_until(lock, std::min(deadline, std::chrono::steady_clock::now() + std::chrono::seconds(1)));
    lock.unlock();
    heartbeat();
    lock.lock();
  }
}

void ApplyLoop::run() {
  log_.info("apply-loop", "started");
  while (true) {
    std::chrono::milliseconds delay;
    Wake wake = Wake::OnTrigger;
    {
      const std::lock_guard<std::mutex> lock(mutex_);
      if (stopping_) break;
      // After a failure only a new target cuts the backoff short: engine
      // events (our own kills among them) must not turn it into a hot loop.
      if (status_.failures > 0) {
        delay = backoff();
        wake = Wake::OnTargetOnly;
      } else {
        delay = triggered_ ? std::chrono::milliseconds(0) : options_.recheck;
      }
    }
    wait_for(delay, wake);
    {
      const std::lock_guard<std::mutex> lock(mutex_);
      if (stopping_) break;
      triggered_ = false;
      target_changed_ = false;
      cancel_ = false;
      if (!target_) continue;  // nothing to apply before the first target
      status_.applying = true;
      status_.run_started_ms = now_ms();
      status_.last_progress_ms = status_.run_started_ms;
    }
    const RunEnd end = apply_once();
    const std::lock_guard<std::mutex> lock(mutex_);
    status_.applying = false;
    status_.download_progress.clear();
    if (end == RunEnd::Settled) {
      status_.settled = true;
      status_.failures = 0;
      status_.last_error.clear();
      status_.last_settled_ms = now_ms();
    } else if (end == RunEnd::Failed) {
      status_.settled = false;
      ++status_.failures;
      log_.warn("backoff", "retrying after a failure",
                {{"failures", std::to_string(status_.failures)},
                 {"delay_ms", std::to_string(backoff().count())}});
    } else {
      status_.settled = false;
    }
  }
  log_.info("apply-loop", "stopped");
}

ApplyLoop::RunEnd ApplyLoop::apply_once() {
  for (int batch = 1; batch <= options_.max_batches; ++batch) {
    heartbeat();
    reconcile::State target;
    {
      const std::lock_guard<std::mutex> lock(mutex_);
      if (stopping_ || cancel_) return RunEnd::Interrupted;
      target = *target_;
    }
    engine::Snapshot snapshot;
    if (const engine::Status read = reader_.read(snapshot); !read.ok()) {
      log_.error("snapshot", "cannot read the device's state", {{"error", read.error}});
      const std::lock_guard<std::mutex> lock(mutex_);
      status_.last_error = "reading the device's state: " + read.error;
      return RunEnd::Failed;
    }
    const auto steps = reconcile::next_steps(snapshot.current, target, snapshot.context);
    if (steps.empty()) {
      // Said once per change, not at every periodic re-check.
      if (batch > 1) log_.info("settled", "the device runs its target");
      return RunEnd::Settled;
    }
    if (only_noops(steps)) {
      wait_for(options_.noop_wait, Wake::OnTargetOnly);
      continue;
    }
    log_.info("plan", "running a batch", {{"batch", std::to_string(batch)}, {"steps", std::to_string(steps.size())}});
    for (const auto& step : steps) {
      if (!std::holds_alternative<reconcile::Noop>(step)) {
        log_.info("step", reconcile::reason_of(step),
                  {{"action", reconcile::action_name(step)}, {"what", reconcile::describe(step)}});
      }
    }
    const auto progress = [this](const reconcile::Step& step, int percent) {
      const auto* fetch = std::get_if<reconcile::Fetch>(&step);
      if (fetch == nullptr) return;
      bool report = false;
      {
        const std::lock_guard<std::mutex> lock(mutex_);
        int& last = status_.download_progress[fetch->image.name];
        report = percent >= last + 10 || percent == 100;  // a line every 10%
        if (percent != last) status_.last_progress_ms = now_ms();
        last = std::max(last, percent);
      }
      if (report) {
        log_.info("download", "pulling", {{"image", fetch->image.name}, {"progress", std::to_string(percent) + "%"}});
      }
      heartbeat();
    };
    const auto results = engine::run_batch(executor_, steps, options_.parallelism, cancel_, progress);
    std::string first_error;
    for (std::size_t i = 0; i < steps.size(); ++i) {
      if (std::holds_alternative<reconcile::Noop>(steps[i])) continue;
      if (results[i].status.ok()) {
        log_.info("step-done", "", {{"action", reconcile::action_name(steps[i])},
                                    {"what", reconcile::describe(steps[i])},
                                    {"seconds", std::to_string(results[i].seconds)}});
      } else {
        log_.error("step-failed", results[i].status.error,
                   {{"action", reconcile::action_name(steps[i])}, {"what", reconcile::describe(steps[i])}});
        if (first_error.empty()) first_error = reconcile::describe(steps[i]) + ": " + results[i].status.error;
      }
    }
    {
      const std::lock_guard<std::mutex> lock(mutex_);
      status_.last_progress_ms = now_ms();
      if (!first_error.empty()) {
        status_.last_error = first_error;
        // A cancelled batch is an interruption, not a failure.
        return cancel_ && !stopping_ ? RunEnd::Interrupted : RunEnd::Failed;
      }
    }
  }
  log_.error("apply", "the plan did not settle within the batch limit",
             {{"batches", std::to_string(options_.max_batches)}});
  const std::lock_guard<std::mutex> lock(mutex_);
  status_.last_error = "the plan did not settle within " + std::to_string(options_.max_batches) + " batches";
  return RunEnd::Failed;
}

}  // namespace supervisor
